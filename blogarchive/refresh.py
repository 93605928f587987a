"""What a refresh knows of the archive, read from it when asked rather than held in memory.

A refresh asks, for every archived post: is it still there (its page, revalidated), and, on
Blogger, does its feed entry vouch for it (``updated`` well before the page last answered, as
many comments as the archive holds). Loaded up front, those answers were about 1 KB a post in
the refresh's memory; here they are primary-key lookups in the archive (read-only), a feed
page's posts in one query, and the posts waiting for their blog's feed are rows of a scratch
file (:mod:`blogarchive.scratch`).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from blogarchive.archive import blog_id_for, connect_read_only, post_id_for
from blogarchive.scratch import ScratchDB

#: Archived post URLs read per query when a blog's posts are listed (no read transaction is
#: left open between two: the crawl writes the archive meanwhile).
PAGE = 1000
#: URLs looked up per query when a feed page's posts are looked up together.
IN_LIST = 500

T = TypeVar("T")


class ArchivedPosts:
    """The archive's posts as a refresh sees them (those not marked deleted)."""

    def __init__(self, path: str | Path) -> None:
        self.connection = connect_read_only(path)

    def blogs(self) -> list[str]:
        """The home URLs of the blogs that have archived posts."""
        return [
            url
            for (url,) in self.connection.execute(
                "SELECT url FROM blogs WHERE id IN"
                " (SELECT blog_id FROM posts WHERE deleted_at IS NULL) ORDER BY url"
            )
        ]

    def posts(self, blog: str) -> Iterator[str]:
        """The blog's archived post URLs in the order they were archived, read a page at a
        time (each page one seek in the posts' ``blog_id`` index)."""
        blog_id = blog_id_for(blog)
        after = 0
        while True:
            page = self.connection.execute(
                "SELECT rowid, url FROM posts WHERE blog_id = ? AND deleted_at IS NULL"
                " AND rowid > ? ORDER BY rowid LIMIT ?",
                [blog_id, after, PAGE],
            ).fetchall()
            yield from (url for _, url in page)
            if len(page) < PAGE:
                return
            after = page[-1][0]

    def count(self, blog: str) -> int:
        """How many posts of the blog the archive holds (not marked deleted)."""
        row = self.connection.execute(
            "SELECT count(*) FROM posts WHERE blog_id = ? AND deleted_at IS NULL",
            [blog_id_for(blog)],
        ).fetchone()
        return int(row[0])

    def has(self, url: str) -> bool:
        """Whether the post at ``url`` is archived (and not marked deleted)."""
        return (
            self.connection.execute(
                "SELECT 1 FROM posts WHERE id = ? AND deleted_at IS NULL", [post_id_for(url)]
            ).fetchone()
            is not None
        )

    def comments(self, url: str) -> int | None:
        """How many comments the archive holds for the post at ``url``; None if it is not an
        archived post."""
        return self._comment_counts([url]).get(url)

    def _comment_counts(self, urls: list[str]) -> dict[str, int]:
        """:meth:`comments` of each of ``urls`` that is an archived post, in one query."""
        ids = {post_id_for(url): url for url in urls}
        rows = self.connection.execute(
            "SELECT p.id, (SELECT count(*) FROM comments c WHERE c.post_id = p.id"
            " AND c.deleted_at IS NULL) FROM posts p"
            f" WHERE p.id IN ({marks(ids)}) AND p.deleted_at IS NULL",
            list(ids),
        ).fetchall()
        return {ids[post_id]: int(count) for post_id, count in rows}

    def states(self, urls: Iterable[str]) -> dict[str, tuple[str | None, int]]:
        """``(checked, comments)`` of each of ``urls`` that is an archived post: when its page
        last answered (200 or 304, as the archive recorded it; None if never) and
        :meth:`comments`, a feed page's posts in two queries."""
        found = {}
        for page in chunked(urls):
            comments = self._comment_counts(page)
            checked = dict(
                self.connection.execute(
                    f"SELECT url, fetched_at FROM pages WHERE url IN ({marks(comments)})"
                    " AND status IN (200, 304) AND error IS NULL",
                    list(comments),
                ).fetchall()
            )
            found.update({url: (checked.get(url), n) for url, n in comments.items()})
        return found

    def close(self) -> None:
        self.connection.close()


class CommentCounts:
    """``ArchivedPosts.comments`` as the spider's ``archived_comments`` reads it (``in`` and
    ``get``, as a dict of post URL -> comments archived would answer)."""

    def __init__(self, archived: ArchivedPosts) -> None:
        self.archived = archived

    def __contains__(self, url: object) -> bool:
        return self.archived.has(str(url))

    def get(self, url: str, default: int | None = None) -> int | None:
        count = self.archived.comments(url)
        return default if count is None else count


PENDING_SCHEMA = """
CREATE TABLE pending (url TEXT PRIMARY KEY, blog TEXT NOT NULL, vouched INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE INDEX pending_by_blog ON pending (blog, vouched, url);
"""


class PendingPosts:
    """Archived posts waiting for their blog's feed, and those the feed vouched for.

    A post waits until its blog's feed lists it (then the entry decides) or the blog is
    released (the feed is read whole, or never came): then it is asked for. A vouched post is
    not asked for this run."""

    def __init__(self, folder: str | Path | None) -> None:
        self.store = ScratchDB(folder, "pending.sqlite", PENDING_SCHEMA)

    def wait(self, blog: str, urls: Iterator[str]) -> None:
        self.store.write_many(
            "INSERT OR IGNORE INTO pending VALUES (?, ?, 0)", ((url, blog) for url in urls)
        )

    def held(self, urls: Iterable[str]) -> set[str]:
        """Those of ``urls`` waiting or vouched for (either way, not to be asked for now)."""
        return among(self.store, "SELECT url FROM pending WHERE url IN ({})", urls)

    def waiting(self, blog: str) -> bool:
        """Do posts of ``blog`` wait for its feed?"""
        sql = "SELECT 1 FROM pending WHERE blog = ? AND vouched = 0 LIMIT 1"
        return self.store.read(sql, (blog,)).fetchone() is not None

    def waits(self, urls: Iterable[str]) -> set[str]:
        """Those of the posts at ``urls`` that wait for their blog's feed."""
        return among(self.store, "SELECT url FROM pending WHERE url IN ({}) AND vouched = 0", urls)

    def vouch(self, urls: Iterable[str]) -> None:
        self.store.write_many("UPDATE pending SET vouched = 1 WHERE url = ?", _rows(urls))

    def discard(self, urls: Iterable[str]) -> None:
        """The feed listed ``urls`` without vouching for them: they are asked for like new
        posts."""
        self.store.write_many("DELETE FROM pending WHERE url = ? AND vouched = 0", _rows(urls))

    def blogs(self) -> list[str]:
        """The blogs with posts still waiting."""
        rows = self.store.read("SELECT DISTINCT blog FROM pending WHERE vouched = 0 ORDER BY blog")
        return [blog for (blog,) in rows]

    def release(self, blog: str) -> Iterator[str]:
        """The blog's waiting posts, in URL order, each taken out as it is read."""
        while True:
            page = self.store.read(
                "SELECT url FROM pending WHERE blog = ? AND vouched = 0 ORDER BY url LIMIT ?",
                (blog, PAGE),
            ).fetchall()
            if not page:
                return
            self.store.write_many(
                "DELETE FROM pending WHERE url = ? AND vouched = 0", ((url,) for (url,) in page)
            )
            yield from (url for (url,) in page)

    def close(self) -> None:
        self.store.close()


def chunked(values: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """``values`` ``size`` at a time, read as they are needed (by default ``IN_LIST``, as many
    as one ``IN (?, ...)`` takes: SQLite before 3.32 allows 999 parameters a statement)."""
    iterator = iter(values)
    while chunk := list(itertools.islice(iterator, size or IN_LIST)):
        yield chunk


def among(store: ScratchDB, sql: str, urls: Iterable[str], *parameters: object) -> set[str]:
    """Those of ``urls`` that ``sql`` gives back (its ``{}`` the placeholders of an ``IN``
    list, after ``parameters``), looked up :func:`chunked`."""
    return {
        url
        for chunk in chunked(urls)
        for (url,) in store.read(sql.format(marks(chunk)), (*parameters, *chunk)).fetchall()
    }


def marks(values: Collection[object]) -> str:
    """The placeholders of ``IN (...)`` for ``values``: ``?, ?, ?``."""
    return ", ".join("?" * len(values))


def _rows(urls: Iterable[str]) -> Iterator[tuple[str]]:
    return ((url,) for url in urls)
