"""blogarchive's Datasette plugin: pages that read like the archive, and a safe publication.

Routes: ``/-/post/<id>`` (a post as its readers saw it: body, key observations, the comment
thread), ``/-/form/<id>`` (a form's fields, an inert preview, its JSON Schema),
``/-/forms/<id>.schema.json`` (the schema as a download), ``/-/network`` (who lists whom, as a
picture), ``/-/blog/<id>`` (:mod:`blogarchive.datasette.blogs`), ``/-/post/<id>/history``
(:mod:`blogarchive.datasette.reading`), ``/-/search``, the Atom feeds and the index page
(:mod:`blogarchive.datasette.frontdoor`). Every response carries a Content-Security-Policy
without inline scripts, and robots are turned away unless the metadata says otherwise.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any
from xml.sax.saxutils import escape

from datasette import hookimpl
from datasette.database import Database
from datasette.utils.asgi import Response
from markupsafe import Markup

from blogarchive.datasette.blogs import blog_page
from blogarchive.datasette.frontdoor import archive_of, holdings, posts_feed, search_page
from blogarchive.datasette.network import network_of, network_picture
from blogarchive.datasette.reading import changes, citation, neighbours, readable
from extract import clean_html

ID = r"(?P<id>[0-9a-f]{16})"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; object-src 'none'; frame-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


#: How much of an archive file SQLite reads through a memory map rather than its own page cache.
#: A search for a word most posts hold reads every matching row (Datasette counts them): mapped,
#: the rows are read without a copy through SQLite's cache (bench/RESULTS.md has the timings).
MMAP_BYTES = 1 << 30


@hookimpl
def prepare_connection(conn: Any, database: str) -> None:
    if not database.startswith("_"):  # not Datasette's own _memory and _internal
        conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["readable"] = readable


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (rf"^/-/post/{ID}$", post_page),
        (rf"^/-/post/{ID}/history$", history_page),
        (rf"^/-/form/{ID}$", form_page),
        (rf"^/-/forms/{ID}\.schema\.json$", form_schema),
        (r"^/-/network$", network_page),
        (r"^/-/network\.svg$", network_svg),
        (rf"^/-/blog/{ID}$", blog_page),
        (r"^/-/search$", search_page),
        (r"^/-/posts\.atom$", posts_feed),
        (rf"^/-/blog/{ID}/posts\.atom$", posts_feed),
        (r"^/robots\.txt$", robots_txt),
    ]


@hookimpl
def extra_template_vars(template: str, datasette: Any) -> Any:
    """The index page's ``archive``: what the archive holds (none where no archive is served:
    Datasette's own index then)."""
    if template != "index.html":
        return None

    async def archive() -> dict[str, Any]:
        db = await archive_of(datasette)
        return {"archive": await holdings(db) if db is not None else None}

    return archive


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """Security headers on every response: no inline scripts, no framing, no indexing; and the
    language on every HTML page's ``<html>`` (Datasette 0.65's base template names none, and
    has no block around the tag to name it in: screen readers need it, WCAG 3.1.1)."""

    def wrap(app: Any) -> Any:
        async def add_headers(scope: dict[str, Any], receive: Any, send: Any) -> None:
            held: dict[str, Any] = {}  # an HTML page's start, until its body is whole
            parts: list[bytes] = []

            async def send_with_headers(event: dict[str, Any]) -> None:
                if event["type"] == "http.response.start":
                    headers = _secured(event.get("headers", []), datasette)
                    event = {**event, "headers": headers}
                    if _content_type(headers).startswith(b"text/html"):
                        held["start"] = event
                        return
                elif event["type"] == "http.response.body" and "start" in held:
                    parts.append(event.get("body", b""))
                    if event.get("more_body"):
                        return
                    body = with_language(b"".join(parts))
                    start = held.pop("start")
                    length = (b"content-length", str(len(body)).encode())
                    kept = [(k, v) for k, v in start["headers"] if k.lower() != length[0]]
                    await send({**start, "headers": [*kept, length]})
                    event = {"type": "http.response.body", "body": body}
                await send(event)

            await app(scope, receive, send_with_headers)

        return add_headers

    return wrap


def _secured(headers: Any, datasette: Any) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() != b"content-security-policy"]
    kept += [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
    ]
    if not _allow_robots(datasette):
        kept.append((b"x-robots-tag", b"noindex, nofollow"))
    return kept


def _content_type(headers: list[tuple[bytes, bytes]]) -> bytes:
    return next((v.lower() for k, v in headers if k.lower() == b"content-type"), b"")


#: The language of Datasette's pages and ours (their words are English; a post's own text is
#: whatever its blog wrote).
LANGUAGE = b"en"


def with_language(page: bytes) -> bytes:
    """``page`` with ``lang`` on its ``<html>`` tag, where the tag has none."""
    start = page.find(b"<html", 0, 512)
    if start < 0:
        return page
    end = page.find(b">", start)
    if end < 0 or b"lang=" in page[start:end]:
        return page
    return page[: start + 5] + b' lang="' + LANGUAGE + b'"' + page[start + 5 :]


@hookimpl
def render_cell(
    value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Markup | None:
    """Post and form ids link to the pages that read like them."""
    if column == "id" and isinstance(value, str) and len(value) == 16:
        page = {"posts": "post", "forms": "form"}.get(table or "")
        if page:
            href = datasette.urls.path(f"/-/{page}/{value}")
            return Markup(f'<a href="{escape(href)}">{escape(value)}</a>')
    return None


@hookimpl
def extra_css_urls(template: str, datasette: Any) -> list[str]:
    """The plugin's stylesheet, on its own pages and the archive's front door only
    (Datasette's keep their look)."""
    if template.startswith("blogarchive_") or template == "index.html":
        return [datasette.urls.static_plugins("blogarchive", "blogarchive.css")]
    return []


def _allow_robots(datasette: Any) -> bool:
    return bool((datasette.plugin_config("blogarchive") or {}).get("allow_robots"))


async def _archive(datasette: Any) -> Database:
    """The database that holds the archive: the first with a ``posts`` table."""
    database = await archive_of(datasette)
    if database is None:
        raise LookupError("no database with a posts table")
    return database


async def _one(db: Database, sql: str, params: list[Any]) -> dict[str, Any] | None:
    rows = (await db.execute(sql, params)).rows
    return dict(rows[0]) if rows else None


async def _all(db: Database, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    return [dict(row) for row in (await db.execute(sql, params or []))]


def _not_found(what: str) -> Response:
    return Response.html(f"<h1>Not found</h1><p>No {escape(what)} with that id.</p>", status=404)


# -- posts ------------------------------------------------------------------------------------


async def post_page(datasette: Any, request: Any) -> Response:
    db = await _archive(datasette)
    post_id = request.url_vars["id"]
    post = await _one(
        db,
        "SELECT p.*, b.title AS blog_title, b.url AS blog_url FROM posts p"
        " JOIN blogs b ON b.id = p.blog_id WHERE p.id = ?",
        [post_id],
    )
    if post is None:
        return _not_found("post")
    observations = await _all(
        db,
        "SELECT heading, position, text FROM key_observations WHERE post_id = ? ORDER BY position",
        [post_id],
    )
    comments = await _all(
        db, "SELECT * FROM comments WHERE post_id = ? ORDER BY position, published", [post_id]
    )
    revisions = await _one(
        db, "SELECT count(*) AS n FROM post_revisions WHERE post_id = ?", [post_id]
    )
    forms = await _all(
        db,
        "SELECT DISTINCT f.id, f.title, f.purpose FROM form_occurrences o"
        " JOIN forms f ON f.id = o.form_id WHERE o.post_id = ?",
        [post_id],
    )
    post["labels"] = json.loads(post["labels"] or "[]")
    post["body"] = Markup(clean_html(post["content_html"] or ""))  # sanitized again to render
    capture = await _capture(datasette, db, post.get("capture_id"))
    return Response.html(
        await datasette.render_template(
            "blogarchive_post.html",
            {
                "post": post,
                "neighbours": await neighbours(db, post),
                "citation": citation(post, capture),
                "observations": observations,
                "thread": _thread(comments),
                "comment_total": len(comments),
                "revisions": revisions["n"] if revisions else 0,
                "forms": forms,
                "database": db.name,
                "capture": capture,
            },
            request=request,
        )
    )


async def history_page(datasette: Any, request: Any) -> Response:
    """A post's archived versions, each with what changed from the one before."""
    db = await _archive(datasette)
    post = await _one(db, "SELECT id, title, url FROM posts WHERE id = ?", [request.url_vars["id"]])
    if post is None:
        return _not_found("post")
    revisions = await _all(
        db,
        "SELECT id, captured_at, title, content_text FROM post_revisions WHERE post_id = ?"
        " ORDER BY captured_at, id",
        [post["id"]],
    )
    return Response.html(
        await datasette.render_template(
            "blogarchive_history.html",
            {"post": post, "versions": changes(revisions), "database": db.name},
            request=request,
        )
    )


async def _capture(datasette: Any, db: Any, record_id: str | None) -> dict[str, Any] | None:
    """The capture a post was read from (the one a revisit repeats, where it is one): when,
    its record, and where pywb replays it (the ``replay_url`` setting: ``blogarchive serve
    --replay-url``). None for a post of an archive that kept no WARC files."""
    if not record_id or not await db.table_exists("captures"):
        return None
    capture = await _one(
        db,
        "SELECT coalesce(o.record_id, c.record_id) AS record_id, coalesce(o.url, c.url) AS url,"
        " coalesce(o.timestamp, c.timestamp) AS timestamp, c.timestamp AS checked,"
        " coalesce(o.warc_file, c.warc_file) AS warc_file FROM captures c"
        " LEFT JOIN captures o ON o.record_id = c.refers_to WHERE c.record_id = ?",
        [record_id],
    )
    if capture is None:
        return None
    replay = (datasette.plugin_config("blogarchive") or {}).get("replay_url")
    if replay:
        stamp = "".join(ch for ch in capture["timestamp"] if ch.isdigit())[:14]
        capture["replay"] = f"{replay.rstrip('/')}/{stamp}/{capture['url']}"
    return capture


def _thread(comments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Comments nested under their parents, each with its sanitized body."""
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    known = {comment["id"] for comment in comments}
    for comment in comments:
        comment["body"] = Markup(clean_html(comment["content_html"] or ""))
        parent = comment["parent_id"] if comment["parent_id"] in known else None
        children[parent].append(comment)
    for comment in comments:
        comment["replies"] = children.get(comment["id"], [])
    return children.get(None, [])


# -- forms ------------------------------------------------------------------------------------


async def form_page(datasette: Any, request: Any) -> Response:
    db = await _archive(datasette)
    form_id = request.url_vars["id"]
    form = await _one(db, "SELECT * FROM forms WHERE id = ?", [form_id])
    if form is None:
        return _not_found("form")
    fields = await _all(
        db, "SELECT * FROM form_fields WHERE form_id = ? ORDER BY position", [form_id]
    )
    for field in fields:
        field["options"] = json.loads(field["options"] or "[]")
    pages = await _all(
        db,
        "SELECT url, post_id, first_seen, last_seen FROM form_occurrences WHERE form_id = ?"
        " ORDER BY url",
        [form_id],
    )
    return Response.html(
        await datasette.render_template(
            "blogarchive_form.html",
            {"form": form, "fields": fields, "pages": pages, "database": db.name},
            request=request,
        )
    )


async def form_schema(datasette: Any, request: Any) -> Response:
    db = await _archive(datasette)
    form_id = request.url_vars["id"]
    form = await _one(db, "SELECT json_schema FROM forms WHERE id = ?", [form_id])
    if form is None:
        return _not_found("form")
    body = json.dumps(json.loads(form["json_schema"]), indent=2, ensure_ascii=False)
    return Response(
        body,
        content_type="application/schema+json; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{form_id}.schema.json"'},
    )


# -- the network and the blogs ----------------------------------------------------------------


async def network_page(datasette: Any, request: Any) -> Response:
    db = await _archive(datasette)
    blogs, links = await network_of(db)
    return Response.html(
        await datasette.render_template(
            "blogarchive_network.html",
            {
                "svg": Markup(network_picture(blogs, links)),
                "blogs": blogs,
                "links": links,
                "database": db.name,
            },
            request=request,
        )
    )


async def network_svg(datasette: Any, request: Any) -> Response:
    blogs, links = await network_of(await _archive(datasette))
    return Response(network_picture(blogs, links), content_type="image/svg+xml; charset=utf-8")


async def robots_txt(datasette: Any, request: Any) -> Response:
    if _allow_robots(datasette):
        return Response.text("User-agent: *\nAllow: /\n")
    return Response.text("User-agent: *\nDisallow: /\n")
