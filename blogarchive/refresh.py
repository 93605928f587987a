"""What a refresh keeps track of as it goes, on disk rather than in memory.

A refresh asks, for every archived post: is it still there (its page, revalidated), and, on
Blogger, does its feed entry vouch for it (``updated`` well before the page last answered, as
many comments as the archive holds). The archive answers through
:class:`~blogarchive.reader.ArchiveReader`; the posts waiting for their blog's feed are rows of
a scratch file (:mod:`blogarchive.scratch`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from blogarchive.reader import PAGE, ArchiveReader, chunked, marks
from blogarchive.scratch import ScratchDB
from extract.feeds import Feed, FeedEntry
from extract.urls import on_blog

#: A refresh believes a Blogger feed entry that says an archived post is unchanged only if the
#: post's page was last checked at least this long after the entry's ``updated``: room for a
#: server clock that runs behind ours.
FEED_TRUST_MARGIN = timedelta(hours=1)


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


def _clearly_before(updated: str, checked: str) -> bool | None:
    """Whether a post modified at ``updated`` was so at least :data:`FEED_TRUST_MARGIN` before
    its page was checked at ``checked`` (None: either is no time with an offset)."""
    try:
        moment, seen = datetime.fromisoformat(updated), datetime.fromisoformat(checked)
    except ValueError:
        return None
    if moment.tzinfo is None or seen.tzinfo is None:
        return None
    return moment <= seen - FEED_TRUST_MARGIN


class FeedTrust:
    """A refresh's reading of its blogs' routes: which archived posts a Blogger feed entry
    vouches for (not asked for again), which a route says changed (:meth:`note_stated`), and
    which wait for their feed (``pending``; ``None`` where none waits: a distributed
    worker's, or a refresh that revalidates every page)."""

    def __init__(self, archived: ArchiveReader, pending: PendingPosts | None) -> None:
        self.archived = archived
        self.pending = pending
        #: archived posts whose feed entry counts other comments than the archive holds: their
        #: page is read even when it answers 304 (the archive may have missed their comments)
        self.comments_differ: set[str] = set()
        #: archived posts a route says were modified after the archive last checked their page
        #: (:meth:`note_stated`): a 304 from their page is not believed
        self.changed: set[str] = set()

    def vouches(self, url: str, entry: FeedEntry, state: tuple[str | None, int] | None) -> bool:
        """Does this feed entry say the archived post at ``url`` is as the archive last saw it
        (``state``: when its page last answered and the comments archived, from
        :meth:`ArchiveReader.states`)? An entry that counts other comments than the archive
        holds is noted in ``comments_differ``."""
        checked, comments = state or (None, None)
        if checked is None or entry.updated is None or entry.comment_count is None:
            return False
        if entry.comment_count != comments:
            self.comments_differ.add(url)
            return False
        return _clearly_before(entry.updated, checked) is True

    def note_stated(self, stated: dict[str, tuple[str | None, int | None]]) -> set[str]:
        """What a route says of archived posts, by their URL: when each was last modified (a
        feed entry's ``updated``, the REST API's ``modified_gmt``) and how many comments it
        has (``thr:total``, ``slash:comments``). A post modified later than
        :data:`FEED_TRUST_MARGIN` before the archive last checked its page is ``changed``; one
        counted other comments than the archive counted for it
        (:meth:`~blogarchive.reader.ArchiveReader.comments_counted`), ``comments_differ``; those
        are returned. (A server whose validators ignore an edit answers 304 after it: the edit
        would be lost without a word.)"""
        states = self.archived.states(stated)
        counted = self.archived.comments_counted(
            url for url, (_, comments) in stated.items() if comments is not None
        )
        doubted = set()
        for url, (modified, comments) in stated.items():
            checked = states.get(url, (None, 0))[0]
            if checked is None:
                continue  # (not an archived post, or never checked)
            if modified is not None and _clearly_before(modified, checked) is False:
                self.changed.add(url)
                doubted.add(url)
            if comments is not None and url in counted and comments != counted[url]:
                self.comments_differ.add(url)
                doubted.add(url)
        return doubted

    def unchanged(self, blog: str, feed: Feed) -> list[str]:
        """The archived posts of ``blog`` this feed page lists unchanged, now vouched for; those
        it lists otherwise are to be asked for like new posts (the page's posts are looked up
        together: a refresh of an unchanged blog does little else)."""
        pending = self.pending
        if pending is None or not pending.waiting(blog):
            return []
        # (an entry may give the post's address as its https or www. variant)
        entries = [(on_blog(entry.url, blog) or entry.url, entry) for entry in feed.entries]
        waiting = pending.waits(url for url, _ in entries)
        listed: dict[str, FeedEntry] = {}
        for url, entry in entries:
            if url in waiting:
                listed.setdefault(url, entry)  # a post listed twice: its first entry
        states = self.archived.states(listed)
        unchanged = [
            url for url, entry in listed.items() if self.vouches(url, entry, states.get(url))
        ]
        pending.discard(set(listed).difference(unchanged))
        if unchanged:
            pending.vouch(unchanged)
        return unchanged

    def held(self, urls: Iterable[str]) -> set[str]:
        """Those of ``urls`` that wait for their feed or that it vouched for."""
        return self.pending.held(urls) if self.pending is not None else set()

    def release(self, blog: str) -> Iterator[str]:
        """The archived posts of ``blog`` its feed did not vouch for, to be asked for now."""
        return self.pending.release(blog) if self.pending is not None else iter(())

    def waiting_blogs(self) -> list[str]:
        """The blogs whose posts still wait (their home or feed never came)."""
        return self.pending.blogs() if self.pending is not None else []

    def close(self) -> None:
        if self.pending is not None:
            self.pending.close()
        self.archived.close()


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
