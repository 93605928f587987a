"""How the archive's pages present a post: dates as people read them, the post before and
after it on its blog, what changed between its archived versions, and how to cite it."""

from __future__ import annotations

import difflib
from datetime import datetime, timedelta
from typing import Any

from datasette.database import Database

#: Lines of context around each change in a post's history.
CONTEXT = 2


def readable(value: str | None) -> str:
    """An ISO 8601 time as people read it, its offset kept: ``2009-06-15T08:30:00-07:00`` is
    "15 June 2009, 08:30 (UTC-07:00)"; a date alone is "15 June 2009"; anything else is shown
    as it is (the ``<time datetime>`` beside it keeps the value)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    day = f"{moment.day} {moment:%B %Y}"
    if len(value.strip()) == 10:
        return day
    text = f"{day}, {moment:%H:%M}"
    offset = moment.utcoffset()
    if offset is None:
        return text
    if offset == timedelta(0):
        return f"{text} UTC"
    sign, offset = ("+", offset) if offset > timedelta(0) else ("-", -offset)
    hours, minutes = divmod(int(offset.total_seconds()) // 60, 60)
    return f"{text} (UTC{sign}{hours:02d}:{minutes:02d})"


async def neighbours(db: Database, post: dict[str, Any]) -> dict[str, dict[str, Any] | None]:
    """The post published before this one on its blog, and the one after (by their dates as
    stored; posts without a date have none)."""
    found: dict[str, dict[str, Any] | None] = {"previous": None, "next": None}
    if not post.get("published"):
        return found
    for name, compare, order in (("previous", "<", "DESC"), ("next", ">", "ASC")):
        rows = await db.execute(
            "SELECT id, title, published FROM posts WHERE blog_id = :blog"
            f" AND published IS NOT NULL AND (published, id) {compare} (:published, :id)"
            f" ORDER BY published {order}, id {order} LIMIT 1",
            {"blog": post["blog_id"], "published": post["published"], "id": post["id"]},
        )
        found[name] = dict(rows.rows[0]) if rows.rows else None
    return found


def changes(revisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each archived version of a post with what changed from the one before: its title, and
    its text as a line diff (``-`` removed, ``+`` added, `` `` context)."""
    shown = []
    before: dict[str, Any] | None = None
    for revision in revisions:
        lines: list[tuple[str, str]] = []
        if before is not None:
            diff = difflib.unified_diff(
                (before["content_text"] or "").splitlines(),
                (revision["content_text"] or "").splitlines(),
                n=CONTEXT,
                lineterm="",
            )
            for line in diff:
                if line.startswith(("---", "+++")):
                    continue
                if line.startswith("@@"):
                    lines.append(("gap", "…"))
                else:
                    kind = {"+": "added", "-": "removed"}.get(line[:1], "same")
                    lines.append((kind, line[1:]))
        title = None
        if before is not None and before["title"] != revision["title"]:
            title = (before["title"], revision["title"])
        shown.append({**revision, "diff": lines, "title_change": title, "first": before is None})
        before = revision
    return shown


def citation(post: dict[str, Any], capture: dict[str, Any] | None) -> str:
    """A reference to the post as archived: who, what, where, when published, where it was
    read, and the capture (its date and WARC record) where one was kept."""
    parts = []
    if post.get("author"):
        parts.append(f"{post['author']}.")
    parts.append(f"“{post.get('title') or 'Untitled post'}.”")
    if post.get("blog_title"):
        parts.append(f"{post['blog_title']},")
    if post.get("published"):
        parts.append(f"{readable(post['published'])}.")
    parts.append(f"{post['url']}.")
    if capture:
        parts.append(
            f"Archived {readable(capture['timestamp'])} by blogarchive"
            f" (WARC record {capture['record_id']}, {capture['warc_file']})."
        )
    elif post.get("first_seen"):
        parts.append(f"Archived {readable(post['first_seen'])} by blogarchive.")
    return " ".join(parts)
