"""The archive's front door: what the archive holds, on Datasette's index page (``/``), one
search over posts, comments and key observations (``/-/search?q=``), its results grouped and
linked to the posts' pages, and Atom feeds of the posts most recently archived.

Both read the archive through Datasette (any database with a ``posts`` table), so they work
under ``blogarchive serve`` and ``datasette archive.db`` alike, and under a ``base_url``.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from datasette.database import Database, QueryInterrupted
from datasette.utils import escape_fts
from datasette.utils.asgi import Response
from markupsafe import Markup

from blogarchive.datasette.network import network_of, network_picture

#: Results shown of each kind; the table's own search pages have them all.
SHOWN = 20
#: The posts an Atom feed lists, and the characters of each one's text it gives.
FEED_ENTRIES = 50
SUMMARY = 300
#: The latest posts and the most used labels the landing page lists.
LATEST = 10
LABELS = 15
#: The most blogs whose network the landing page draws (more: a link to its own page).
DRAWN = 150

#: The posts ranked by mentions of the words: the best this many by FTS5's bm25, which
#: favours short posts (it weighs a match by the length of the whole row).
RANKED = 100

#: What is searched, and how: each kind's query, with ``:terms`` for the words, and a post id,
#: its title, what comes before the snippet (a comment's author, an observation's heading) and
#: the snippet for each result.
SEARCHES = {
    # a post that names the words more often comes first (a mention in the title counts three)
    "posts": (
        "SELECT * FROM (SELECT p.id AS post_id, p.title AS post_title, NULL AS said_by,"
        " snippet(posts_fts, 1, '[', ']', '…', 24) AS text,"
        " 3 * (length(highlight(posts_fts, 0, char(1), '')) - length(coalesce(p.title, '')))"
        " + length(highlight(posts_fts, 1, char(1), ''))"
        " - length(coalesce(p.content_text, '')) AS mentions, rank"
        " FROM posts_fts JOIN posts p ON p.rowid = posts_fts.rowid"
        f" WHERE posts_fts MATCH :terms ORDER BY rank LIMIT {RANKED})"
        f" ORDER BY mentions DESC, rank LIMIT {SHOWN}"
    ),
    "comments": (
        "SELECT p.id AS post_id, p.title AS post_title, t.author AS said_by,"
        " snippet(comments_fts, 1, '[', ']', '…', 24) AS text"
        " FROM comments_fts JOIN comments t ON t.rowid = comments_fts.rowid"
        " JOIN posts p ON p.id = t.post_id"
        f" WHERE comments_fts MATCH :terms ORDER BY rank LIMIT {SHOWN}"
    ),
    "key_observations": (
        "SELECT p.id AS post_id, p.title AS post_title, t.heading AS said_by,"
        " snippet(key_observations_fts, 1, '[', ']', '…', 24) AS text"
        " FROM key_observations_fts JOIN key_observations t"
        " ON t.rowid = key_observations_fts.rowid JOIN posts p ON p.id = t.post_id"
        f" WHERE key_observations_fts MATCH :terms ORDER BY rank LIMIT {SHOWN}"
    ),
}


async def archive_of(datasette: Any) -> Database | None:
    """The database that holds the archive: the first with a ``posts`` table."""
    for database in datasette.databases.values():
        if not database.name.startswith("_") and await database.table_exists("posts"):
            return database  # type: ignore[no-any-return]
    return None


async def holdings(db: Database) -> dict[str, Any]:
    """What the landing page says the archive holds: counts, the posts' dates, the last
    crawl, the latest posts, the most used labels, forms by purpose, the network's picture."""

    async def value(sql: str) -> Any:
        rows = (await db.execute(sql)).rows
        return rows[0][0] if rows else None

    counts = {
        table: await value(f"SELECT count(*) FROM {table}")
        for table in ("blogs", "posts", "comments", "key_observations", "forms")
    }
    counts["comments"] = await value("SELECT count(*) FROM comments WHERE deleted_at IS NULL")
    latest = [
        dict(row)
        for row in await db.execute(
            "SELECT p.id, p.title, p.published, b.title AS blog FROM posts p"
            " JOIN blogs b ON b.id = p.blog_id WHERE p.deleted_at IS NULL"
            f" ORDER BY p.published DESC LIMIT {LATEST}"
        )
    ]
    labels = [
        dict(row)
        for row in await db.execute(
            "SELECT j.value AS label, count(*) AS posts FROM posts, json_each(posts.labels) j"
            f" GROUP BY j.value ORDER BY posts DESC, label LIMIT {LABELS}"
        )
    ]
    purposes = [
        dict(row)
        for row in await db.execute(
            "SELECT purpose, count(*) AS forms FROM forms GROUP BY purpose ORDER BY forms DESC"
        )
    ]
    picture = None
    if counts["blogs"] <= DRAWN:
        picture = Markup(network_picture(*await network_of(db)))
    return {
        "database": db.name,
        "counts": counts,
        "network": picture,
        "first": await value("SELECT min(published) FROM posts"),
        "last": await value("SELECT max(published) FROM posts"),
        "refreshed": await value("SELECT max(finished_at) FROM crawl_runs"),
        "latest": latest,
        "labels": labels,
        "purposes": purposes,
    }


async def search(db: Database, query: str) -> dict[str, list[dict[str, Any]]]:
    """What ``query`` finds among posts, comments and key observations (words, as a table's
    search box takes them: quoted, so that no FTS syntax error can come of them)."""
    terms = escape_fts(query)
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in SEARCHES}
    if not terms.strip():
        return found  # (punctuation alone: no word to look for)
    for kind, sql in SEARCHES.items():
        found[kind] = [dict(row) for row in await db.execute(sql, {"terms": terms})]
    return found


async def search_page(datasette: Any, request: Any) -> Response:
    db = await archive_of(datasette)
    if db is None:
        return Response.html("<h1>Not found</h1><p>No archive is served here.</p>", status=404)
    query = (request.args.get("q") or "").strip()
    try:
        results = await search(db, query) if query else {}
    except (sqlite3.OperationalError, QueryInterrupted) as error:
        message = "the search took too long" if isinstance(error, QueryInterrupted) else error
        return Response.html(
            await datasette.render_template(
                "blogarchive_search.html",
                {"q": query, "results": {}, "error": str(message), "database": db.name},
                request=request,
            ),
            status=400,
        )
    return Response.html(
        await datasette.render_template(
            "blogarchive_search.html",
            {"q": query, "results": results, "database": db.name, "shown": SHOWN},
            request=request,
        )
    )


async def posts_feed(datasette: Any, request: Any) -> Response:
    """An Atom feed of the posts most recently archived, the archive's or one blog's
    (``/-/posts.atom``, ``/-/blog/<id>/posts.atom``): a researcher follows a refreshed
    archive in a feed reader."""
    db = await archive_of(datasette)
    if db is None:
        return Response.text("No archive is served here.", status=404)
    blog_id = request.url_vars.get("id")
    blog = None
    if blog_id is not None:
        rows = (await db.execute("SELECT id, title, url FROM blogs WHERE id = ?", [blog_id])).rows
        if not rows:
            return Response.text("No blog with that id.", status=404)
        blog = dict(rows[0])
    where, params = ("WHERE p.blog_id = :blog", {"blog": blog_id}) if blog else ("", {})
    posts = [
        dict(row)
        for row in await db.execute(
            "SELECT p.id, p.url, p.title, p.author, p.published, p.first_seen, p.content_text,"
            f" b.title AS blog_title FROM posts p JOIN blogs b ON b.id = p.blog_id {where}"
            f" ORDER BY p.first_seen DESC, p.rowid DESC LIMIT {FEED_ENTRIES}",
            params,
        )
    ]
    path = f"/-/blog/{blog_id}/posts.atom" if blog else "/-/posts.atom"
    xml = atom(
        title=f"Newly archived: {blog['title'] or blog['url']}" if blog else "Newly archived posts",
        self_url=datasette.absolute_url(request, datasette.urls.path(path)),
        page_url=lambda post_id: datasette.absolute_url(
            request, datasette.urls.path(f"/-/post/{post_id}")
        ),
        posts=posts,
    )
    return Response(xml, content_type="application/atom+xml; charset=utf-8")


def atom(*, title: str, self_url: str, page_url: Any, posts: list[dict[str, Any]]) -> str:
    """The Atom document (RFC 4287) of ``posts``: each entry links the post's page in the
    archive and the post where it was published, and is updated when it was archived."""
    ns = "http://www.w3.org/2005/Atom"
    ElementTree.register_namespace("", ns)
    feed = ElementTree.Element(f"{{{ns}}}feed")

    def add(parent: ElementTree.Element, tag: str, text: str | None = None, **attrs: str) -> None:
        element = ElementTree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
        element.text = text

    add(feed, "id", self_url)
    add(feed, "title", title)
    add(feed, "updated", _atom_time(posts[0]["first_seen"]) if posts else _atom_time(None))
    add(feed, "link", rel="self", href=self_url)
    add(feed, "generator", "blogarchive")
    for post in posts:
        entry = ElementTree.SubElement(feed, f"{{{ns}}}entry")
        add(entry, "id", post["url"])  # (the permalink: the same wherever this is served)
        add(entry, "title", post["title"] or "Untitled post")
        add(entry, "link", rel="alternate", type="text/html", href=page_url(post["id"]))
        add(entry, "link", rel="related", type="text/html", href=post["url"])
        add(entry, "updated", _atom_time(post["first_seen"]))
        if post["published"]:
            add(entry, "published", _atom_time(post["published"]))
        author = ElementTree.SubElement(entry, f"{{{ns}}}author")
        add(author, "name", post["author"] or post["blog_title"] or "unknown")
        text = post["content_text"] or ""
        add(entry, "summary", text[:SUMMARY] + ("…" if len(text) > SUMMARY else ""))
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(
        feed, encoding="unicode"
    )


def _atom_time(value: str | None) -> str:
    """An RFC 3339 time for Atom (a stored time without an offset is taken as UTC)."""
    try:
        moment = datetime.fromisoformat((value or "").strip())
    except ValueError:
        moment = datetime(1970, 1, 1, tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")
