"""The blog network as a picture: who lists whom, as an SVG drawn on the server (no script)."""

from __future__ import annotations

import math
from typing import Any
from xml.sax.saxutils import escape

from datasette.database import Database


async def _rows(db: Database, sql: str) -> list[dict[str, Any]]:
    return [dict(row) for row in await db.execute(sql)]


async def network_of(db: Database) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    blogs = await _rows(db, "SELECT id, url, title, status FROM blogs ORDER BY url")
    links = await _rows(
        db,
        "SELECT source_blog_id, target_url, target_blog_id, title, position FROM blog_links"
        " ORDER BY source_blog_id, position",
    )
    return blogs, links


def network_picture(blogs: list[dict[str, Any]], links: list[dict[str, Any]]) -> str:
    """Who lists whom, as an SVG: blogs on a circle, an arrow per blog-list entry; blogs that
    could not be read in red, listed addresses never crawled in grey."""
    nodes: list[dict[str, Any]] = [dict(blog, key=blog["id"]) for blog in blogs]
    known = {blog["id"] for blog in blogs}
    for link in links:
        if link["target_blog_id"] not in known and not any(
            n["key"] == link["target_url"] for n in nodes
        ):
            nodes.append({"key": link["target_url"], "url": link["target_url"],
                          "title": link["title"], "status": "not crawled"})  # fmt: skip
    size, radius = 640, 230
    center = size / 2
    position = {}
    for n, node in enumerate(nodes):
        angle = 2 * math.pi * n / max(1, len(nodes)) - math.pi / 2
        position[node["key"]] = (
            center + radius * math.cos(angle),
            center + radius * math.sin(angle),
        )
    colour = {"ok": "#2b6cb0", "not crawled": "#a0aec0"}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" '
        f'height="{size}" role="img" aria-label="Blog network">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#4a5568"/></marker></defs>',
    ]
    for link in links:
        source = position.get(link["source_blog_id"])
        target = position.get(link["target_blog_id"] or link["target_url"])
        if source is None or target is None:
            continue
        (x1, y1), (x2, y2) = source, target
        length = math.hypot(x2 - x1, y2 - y1) or 1
        # stop the arrow at the target's circle
        x2, y2 = x2 - (x2 - x1) * 14 / length, y2 - (y2 - y1) * 14 / length
        parts.append(
            f'<line class="link" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            'stroke="#4a5568" stroke-width="1.5" marker-end="url(#arrow)"/>'
        )
    for node in nodes:
        x, y = position[node["key"]]
        fill = colour.get(node["status"], "#c53030")
        label = escape(node.get("title") or node["url"])
        status = escape(node["status"] or "")
        parts.append(
            f'<g class="blog" data-status="{status}"><circle cx="{x:.1f}" cy="{y:.1f}" r="12" '
            f'fill="{fill}"><title>{escape(node["url"])} ({status})</title></circle>'
            f'<text x="{x:.1f}" y="{y + 28:.1f}" text-anchor="middle" font-size="12" '
            f'font-family="sans-serif">{label}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
