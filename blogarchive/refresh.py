"""What a refresh keeps track of as it goes, on disk rather than in memory.

A refresh asks, for every archived post: is it still there (its page, revalidated), and, on
Blogger, does its feed entry vouch for it (``updated`` well before the page last answered, as
many comments as the archive holds). The archive answers through
:class:`~blogarchive.reader.ArchiveReader`; the posts waiting for their blog's feed are rows of
a scratch file (:mod:`blogarchive.scratch`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from blogarchive.reader import PAGE, ArchiveReader, chunked, marks
from blogarchive.scratch import ScratchDB


class CommentCounts:
    """``ArchiveReader.comments`` as the spider's ``archived_comments`` reads it (``in`` and
    ``get``, as a dict of post URL -> comments archived would answer)."""

    def __init__(self, archived: ArchiveReader) -> None:
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


def among(store: ScratchDB, sql: str, urls: Iterable[str], *parameters: object) -> set[str]:
    """Those of ``urls`` that ``sql`` gives back (its ``{}`` the placeholders of an ``IN``
    list, after ``parameters``), looked up :func:`chunked`."""
    return {
        url
        for chunk in chunked(urls)
        for (url,) in store.read(sql.format(marks(chunk)), (*parameters, *chunk)).fetchall()
    }


def _rows(urls: Iterable[str]) -> Iterator[tuple[str]]:
    return ((url,) for url in urls)
