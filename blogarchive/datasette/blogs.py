"""A blog's page in the archive (``/-/blog/<id>``): its posts, newest first and paged, its
labels, posts and comments per month, its forms, the blogs it lists and those that list it."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from datasette.utils.asgi import Response
from markupsafe import Markup

from blogarchive.datasette.frontdoor import archive_of

#: Posts a page of a blog's list shows.
PAGE_SIZE = 50


async def blog_page(datasette: Any, request: Any) -> Response:
    db = await archive_of(datasette)
    blog_id = request.url_vars["id"]
    rows = (await db.execute("SELECT * FROM blogs WHERE id = ?", [blog_id])).rows if db else []
    if db is None or not rows:
        return Response.html("<h1>Not found</h1><p>No blog with that id.</p>", status=404)
    blog = dict(rows[0])

    async def rows_of(sql: str, *params: Any) -> list[dict[str, Any]]:
        return [dict(row) for row in await db.execute(sql, list(params))]

    [(total,)] = (await db.execute("SELECT count(*) FROM posts WHERE blog_id = ?", [blog_id])).rows
    pages = max(1, -(-total // PAGE_SIZE))
    try:
        page = min(max(1, int(request.args.get("page") or 1)), pages)
    except ValueError:
        page = 1
    posts = await rows_of(
        "SELECT id, title, published, comment_count, deleted_at FROM posts WHERE blog_id = ?"
        " ORDER BY published IS NULL, published DESC, rowid DESC LIMIT ? OFFSET ?",
        blog_id, PAGE_SIZE, (page - 1) * PAGE_SIZE,
    )  # fmt: skip
    months = await rows_of(
        "SELECT month, sum(posts) AS posts, sum(comments) AS comments FROM ("
        " SELECT substr(published, 1, 7) AS month, 1 AS posts, 0 AS comments FROM posts"
        " WHERE blog_id = ? AND published IS NOT NULL"
        " UNION ALL SELECT substr(c.published, 1, 7), 0, 1 FROM comments c"
        " JOIN posts p ON p.id = c.post_id WHERE p.blog_id = ? AND c.published IS NOT NULL)"
        " GROUP BY month ORDER BY month",
        blog_id, blog_id,
    )  # fmt: skip
    labels = await rows_of(
        "SELECT j.value AS label, count(*) AS posts FROM posts, json_each(posts.labels) j"
        " WHERE posts.blog_id = ? GROUP BY j.value ORDER BY posts DESC, label",
        blog_id,
    )
    forms = await rows_of(
        "SELECT f.id, f.title, f.purpose, count(DISTINCT o.url) AS pages FROM form_occurrences o"
        " JOIN forms f ON f.id = o.form_id WHERE o.blog_id = ? GROUP BY f.id"
        " ORDER BY pages DESC, f.title",
        blog_id,
    )
    lists = await rows_of(
        "SELECT l.title, l.target_url, l.target_blog_id, b.title AS blog_title FROM blog_links l"
        " LEFT JOIN blogs b ON b.id = l.target_blog_id WHERE l.source_blog_id = ?"
        " ORDER BY l.position",
        blog_id,
    )
    listed_by = await rows_of(
        "SELECT DISTINCT b.id, b.title, b.url FROM blog_links l JOIN blogs b"
        " ON b.id = l.source_blog_id WHERE l.target_blog_id = ? ORDER BY b.title",
        blog_id,
    )
    return Response.html(
        await datasette.render_template(
            "blogarchive_blog.html",
            {
                "blog": blog,
                "posts": posts,
                "total": total,
                "page": page,
                "pages": pages,
                "months": months,
                "chart": Markup(month_chart(months)),
                "labels": labels,
                "forms": forms,
                "lists": lists,
                "listed_by": listed_by,
                "database": db.name,
            },
            request=request,
        )
    )


def month_chart(months: list[dict[str, Any]]) -> str:
    """Posts (blue) and comments (orange) per month as SVG bars side by side."""
    if not months:
        return "<p>No dated posts.</p>"
    width, height, bar = 40 * len(months) + 40, 220, 13
    peak = max(max(m["posts"], m["comments"]) for m in months) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             'role="img" aria-label="Posts and comments per month">']  # fmt: skip
    for n, month in enumerate(months):
        x = 30 + 40 * n
        for offset, key, colour in ((0, "posts", "#2b6cb0"), (bar + 1, "comments", "#c05621")):
            count = month[key]
            h = 150 * count / peak
            parts.append(
                f'<rect x="{x + offset}" y="{170 - h:.1f}" width="{bar}" height="{h:.1f}"'
                f' fill="{colour}"><title>{escape(month["month"])}: {count} {key}</title></rect>'
            )
            if count:
                parts.append(
                    f'<text x="{x + offset + bar / 2}" y="{165 - h:.1f}" font-size="10"'
                    f' text-anchor="middle">{count}</text>'
                )
        parts.append(
            f'<text x="{x + bar}" y="190" font-size="10" text-anchor="middle">'
            f"{escape(month['month'])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
