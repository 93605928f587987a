"""The archive's reader: every question the crawl, a refresh, re-extraction and the command line
ask of ``archive.db``, the read-side counterpart of :class:`blogarchive.archive.Archive`.

It reads through a read-only connection of its own (a crawl writes the archive meanwhile
through the writer's), answers by primary-key or index lookups, and streams what could be
long (a blog's posts, the stored pages, the forms) a page of rows at a time: nothing holds a
whole table in memory, and no read transaction stays open between two pages.
"""

from __future__ import annotations

import itertools
import sqlite3
import zlib
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from blogarchive.items import Capture
from blogarchive.schema import TABLES, stable_id
from extract.feedposts import FEED_EXTRACTOR
from extract.urls import home_url

#: Rows read per query where a list is streamed.
PAGE = 1000
#: Values looked up per query with ``IN (?, ...)`` (SQLite before 3.32 allows 999 parameters).
IN_LIST = 500

T = TypeVar("T")


def connect_read_only(path: str | Path) -> sqlite3.Connection:
    """A connection that can only read the archive at ``path`` (a crawl writes it meanwhile
    through its own connection). The path goes in as a ``file:`` URI, percent-encoded, so a
    folder named with ``?``, ``#`` or ``%`` opens as well."""
    return sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)


def blog_id_for(url: str) -> str:
    return stable_id(home_url(url))


def post_id_for(url: str) -> str:
    return stable_id(url)


#: Whether a post (its id) is archived with a text (its ``content_digest``).
TEXT_HELD = "SELECT 1 FROM posts WHERE id = ? AND content_sha256 = ?"


class ArchiveReader:
    """Read-only questions to the archive at ``path``; posts marked deleted count as gone."""

    def __init__(self, path: str | Path) -> None:
        self.connection = connect_read_only(path)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> ArchiveReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _rows(self, sql: str, parameters: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        # read to the end: no read transaction left open
        return self.connection.execute(sql, list(parameters)).fetchall()

    def _paged(self, sql: str, parameters: list[Any]) -> Iterator[tuple[Any, ...]]:
        """The rows of ``sql`` (``... AND key > ? ORDER BY key LIMIT ?`` at its end, the key
        its first column: a rowid or a text id), a page at a time, each page one seek in an
        index."""
        after = 0  # (below every key: SQLite orders any number before any text)
        while True:
            page = self._rows(sql, [*parameters, after, PAGE])
            yield from page
            if len(page) < PAGE:
                return
            after = page[-1][0]

    # -- blogs ------------------------------------------------------------------------------

    def blog_urls(self) -> list[str]:
        """Every blog's home URL, in URL order."""
        return [url for (url,) in self._rows("SELECT url FROM blogs ORDER BY url")]

    def blogs_with_posts(self) -> list[str]:
        """The home URLs of the blogs that have archived posts."""
        sql = (
            "SELECT url FROM blogs WHERE id IN"
            " (SELECT blog_id FROM posts WHERE deleted_at IS NULL) ORDER BY url"
        )
        return [url for (url,) in self._rows(sql)]

    def platforms(self) -> dict[str, str]:
        """The home URLs of the archived blogs, with the platform each was archived as."""
        return dict(self._rows("SELECT url, platform FROM blogs WHERE platform IS NOT NULL"))

    def unreadable_blogs(self) -> list[tuple[str, str, str | None]]:
        """``(url, status, error)`` of the blogs whose last crawl could not read them."""
        sql = "SELECT url, status, error FROM blogs WHERE status != 'ok' ORDER BY url"
        return [(url, status, error) for url, status, error in self._rows(sql)]

    # -- posts ------------------------------------------------------------------------------

    def holds_text(self, url: str, digest: str) -> bool:
        """Whether the post at ``url`` is archived with the text whose
        :func:`~blogarchive.items.content_digest` is ``digest``."""
        return bool(self._rows(TEXT_HELD, (post_id_for(url), digest)))

    def posts(self, blog: str) -> Iterator[str]:
        """The blog's archived post URLs in the order they were archived."""
        sql = (
            "SELECT rowid, url FROM posts WHERE blog_id = ? AND deleted_at IS NULL"
            " AND rowid > ? ORDER BY rowid LIMIT ?"
        )
        return (url for _, url in self._paged(sql, [blog_id_for(blog)]))

    def posts_with_comments(self, blog: str) -> Iterator[tuple[str, int]]:
        """``(url, comments archived)`` of the blog's archived posts, in the order they were
        archived."""
        sql = (
            "SELECT p.rowid, p.url, (SELECT count(*) FROM comments c WHERE c.post_id = p.id"
            " AND c.deleted_at IS NULL) FROM posts p WHERE p.blog_id = ?"
            " AND p.deleted_at IS NULL AND p.rowid > ? ORDER BY p.rowid LIMIT ?"
        )
        return ((url, int(count)) for _, url, count in self._paged(sql, [blog_id_for(blog)]))

    def count(self, blog: str) -> int:
        """How many posts of the blog the archive holds."""
        sql = "SELECT count(*) FROM posts WHERE blog_id = ? AND deleted_at IS NULL"
        return int(self._rows(sql, [blog_id_for(blog)])[0][0])

    def warc_files(self) -> list[str]:
        """The WARC files the archive's captures are in, as it names them."""
        rows = self._rows("SELECT DISTINCT warc_file FROM captures ORDER BY warc_file")
        return [file for (file,) in rows]

    def captured_posts(self) -> Iterator[tuple[str, str, str | None]]:
        """``(url, timestamp, title)`` of each archived post's capture (the one a revisit
        repeats, where its capture is one), a page at a time."""
        sql = (
            "SELECT p.rowid, coalesce(o.url, c.url), coalesce(o.timestamp, c.timestamp),"
            " p.title FROM posts p JOIN captures c ON c.record_id = p.capture_id"
            " LEFT JOIN captures o ON o.record_id = c.refers_to"
            " WHERE p.deleted_at IS NULL AND p.rowid > ? ORDER BY p.rowid LIMIT ?"
        )
        for _, url, timestamp, title in self._paged(sql, []):
            yield url, timestamp, title

    def last_capture(self, url: str) -> Capture | None:
        """The latest capture of ``url`` that holds its payload (a ``response`` record), if
        any: what a new capture of it that repeats it refers to."""
        rows = self._rows(
            "SELECT record_id, url, timestamp, warc_file, offset, length, payload_digest,"
            " status, record_type, refers_to FROM captures WHERE url = ?"
            " AND record_type = 'response' ORDER BY timestamp DESC LIMIT 1",
            [url],
        )
        if not rows:
            return None
        fields = ("record_id", "url", "timestamp", "warc_file", "offset", "length",
                  "payload_digest", "status", "record_type", "refers_to")  # fmt: skip
        return Capture(**dict(zip(fields, rows[0], strict=True)))

    def has(self, url: str) -> bool:
        """Whether the post at ``url`` is archived."""
        sql = "SELECT 1 FROM posts WHERE id = ? AND deleted_at IS NULL"
        return bool(self._rows(sql, [post_id_for(url)]))

    def post_at(self, url: str) -> str | None:
        """The permalink of the post the address ``url`` was asked for or answered at
        (``post_urls``), if any."""
        rows = self._rows(
            "SELECT p.url FROM post_urls u JOIN posts p ON p.id = u.post_id WHERE u.url = ?",
            [url],
        )
        return str(rows[0][0]) if rows else None

    def comments_counted(self, urls: Iterable[str]) -> dict[str, int]:
        """How many comments each of ``urls`` that is an archived post was said to have when it
        was archived (its page's count, or its feed's where the page gave none), else how
        many the archive holds: what a route's count of them is compared with (a count that
        takes in pingbacks a page does not list stays the same while nothing changes)."""
        found = {}
        for chunk in chunked(urls):
            found.update(self._comment_counts(chunk, stated=True))
        return found

    def comments(self, url: str) -> int | None:
        """How many comments the archive holds for the post at ``url``; None if it is not an
        archived post."""
        return self._comment_counts([url]).get(url)

    def _comment_counts(self, urls: list[str], *, stated: bool = False) -> dict[str, int]:
        """:meth:`comments` of each of ``urls`` that is an archived post, in one query (with
        ``stated``, :meth:`comments_counted`)."""
        ids = {post_id_for(url): url for url in urls}
        held = "(SELECT count(*) FROM comments c WHERE c.post_id = p.id AND c.deleted_at IS NULL)"
        counted = f"coalesce(p.comment_count, {held})" if stated else held
        rows = self._rows(
            f"SELECT p.id, {counted} FROM posts p"
            f" WHERE p.id IN ({marks(ids)}) AND p.deleted_at IS NULL",
            list(ids),
        )
        return {ids[post_id]: int(count) for post_id, count in rows}

    def states(self, urls: Iterable[str]) -> dict[str, tuple[str | None, int]]:
        """``(checked, comments)`` of each of ``urls`` that is an archived post: when its page
        last answered (200 or 304, as the archive recorded it), or, for a post taken from its
        feed entry (``--from-feeds``), when it was last seen (None if neither), and
        :meth:`comments`; a feed page's posts in a few queries."""
        found = {}
        for chunk in chunked(urls):
            comments = self._comment_counts(chunk)
            checked = dict(
                self._rows(
                    f"SELECT url, fetched_at FROM pages WHERE url IN ({marks(comments)})"
                    " AND status IN (200, 304) AND error IS NULL",
                    list(comments),
                )
            )
            unread = [url for url in comments if url not in checked]
            if unread:
                checked.update(
                    self._rows(
                        f"SELECT url, last_seen FROM posts WHERE url IN ({marks(unread)})"
                        " AND extractor = ?",
                        [*unread, FEED_EXTRACTOR],
                    )
                )
            found.update({url: (checked.get(url), n) for url, n in comments.items()})
        return found

    # -- pages ------------------------------------------------------------------------------

    def validators(self, url: str) -> tuple[str | None, str | None] | None:
        """The ETag and Last-Modified the archived page of ``url`` was served with, if any."""
        rows = self._rows(
            "SELECT etag, last_modified FROM pages WHERE url = ? AND body IS NOT NULL"
            " AND (etag IS NOT NULL OR last_modified IS NOT NULL)",
            [url],
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def post_validators(self) -> Iterator[tuple[str, tuple[str | None, str | None]]]:
        """``(url, (etag, last_modified))`` of every archived post page that has either."""
        sql = (
            "SELECT rowid, url, etag, last_modified FROM pages WHERE kind = 'post'"
            " AND body IS NOT NULL AND (etag IS NOT NULL OR last_modified IS NOT NULL)"
            " AND rowid > ? ORDER BY rowid LIMIT ?"
        )
        return ((url, (etag, modified)) for _, url, etag, modified in self._paged(sql, []))

    def stored(self, url: str) -> tuple[bytes, str | None] | None:
        """The archived response body of ``url`` (decompressed) and its content type."""
        rows = self._rows("SELECT body, content_type FROM pages WHERE url = ?", [url])
        if not rows or rows[0][0] is None:
            return None
        return zlib.decompress(rows[0][0]), rows[0][1]

    def stored_page_urls(self) -> list[str]:
        """The URLs of every stored page that answered, blogs' homes first, comment feeds
        last (re-extraction's order: a post before its comments). Addresses only: a large
        archive's bodies are read one at a time (:meth:`stored_page`)."""
        sql = (
            "SELECT url FROM pages WHERE body IS NOT NULL AND error IS NULL ORDER BY"
            " CASE kind WHEN 'home' THEN 0 WHEN 'comments' THEN 2 ELSE 1 END, url"
        )
        return [url for (url,) in self._rows(sql)]

    def stored_page(self, url: str) -> tuple[str, str, str | None, bytes] | None:
        """``(blog_id, kind, content_type, body)`` of the stored page of ``url``."""
        rows = self._rows(
            "SELECT blog_id, kind, content_type, body FROM pages WHERE url = ?"
            " AND body IS NOT NULL",
            [url],
        )
        if not rows:
            return None
        blog_id, kind, content_type, body = rows[0]
        return blog_id, kind, content_type, zlib.decompress(body)

    def posts_by_extractor(self, extractor: str) -> set[str]:
        """The URLs of the posts whose body ``extractor`` read (a feed's, for one)."""
        return {
            url for (url,) in self._rows("SELECT url FROM posts WHERE extractor = ?", [extractor])
        }

    def blogs(self) -> dict[str, dict[str, Any]]:
        """Every blog's ``id``, ``url`` and ``status``, by id."""
        rows = self._rows("SELECT id, url, status FROM blogs")
        return {id_: {"id": id_, "url": url, "status": status} for id_, url, status in rows}

    # -- any table --------------------------------------------------------------------------

    def row_count(self, table: str) -> int:
        """How many rows ``table`` (one of the archive's) holds."""
        if table not in TABLES:
            raise ValueError(f"no table {table!r} in the archive's schema")
        return int(self._rows(f'SELECT count(*) FROM "{table}"')[0][0])

    def id_titled(self, table: str, title: str) -> str | None:
        """The id of the first post or form (``table``) titled ``title``."""
        if table not in ("posts", "forms"):
            raise ValueError(f"no titles in {table!r}")
        rows = self._rows(f"SELECT id FROM {table} WHERE title = ? LIMIT 1", [title])
        return str(rows[0][0]) if rows else None

    # -- forms ------------------------------------------------------------------------------

    def forms(self) -> Iterator[tuple[str, str | None, str, str]]:
        """``(id, title, purpose, json_schema)`` of every form, in id order."""
        sql = "SELECT id, title, purpose, json_schema FROM forms WHERE id > ? ORDER BY id LIMIT ?"
        return self._paged(sql, [])  # type: ignore[return-value]


def chunked(values: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """``values`` ``size`` at a time, read as they are needed (by default :data:`IN_LIST`, as
    many as one ``IN (?, ...)`` takes)."""
    iterator = iter(values)
    while chunk := list(itertools.islice(iterator, size or IN_LIST)):
        yield chunk


def marks(values: Collection[object]) -> str:
    """The placeholders of ``IN (...)`` for ``values``: ``?, ?, ?``."""
    return ", ".join("?" * len(values))


def platforms_held(path: str | Path | None) -> dict[str, str]:
    """:meth:`ArchiveReader.platforms` of the archive at ``path``: none where there is no
    archive there yet (a first crawl), or the file is not one."""
    if not path or not Path(path).exists():
        return {}
    try:
        with ArchiveReader(path) as reader:
            return reader.platforms()
    except sqlite3.DatabaseError:
        return {}
