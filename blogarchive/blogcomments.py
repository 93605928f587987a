"""The comments of Blogger's blog-wide comment feed, held until their posts are archived.

``/feeds/comments/default`` lists every comment of a blog, newest first and 150 to a page,
each naming the post it is on (``thr:in-reply-to``): a blog whose posts have comments is read
in a few requests instead of one comment feed a post. A post's comments are spread over the
feed's pages, so they are gathered here, in a scratch SQLite file (a blog may hold millions),
and handed out a post at a time, oldest first and numbered from 1, as the post's own comment
feed numbers them.

The crawl (:mod:`spiders.comment_feeds`), a WARC import and a re-extraction all read the feed
through this one store.
"""

from __future__ import annotations

import dataclasses
import pickle
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from blogarchive.scratch import ScratchDB
from extract import Comment
from extract.feeds import CommentFeed

#: A blog's blog-wide comment feed: the blog's address.
BLOG_COMMENT_FEED = re.compile(r"^(.*/)feeds/comments/(?:default|full|summary)\b")

SCHEMA = """
CREATE TABLE IF NOT EXISTS held (
    blog TEXT, post TEXT, id TEXT, instant REAL, capture TEXT, comment BLOB,
    PRIMARY KEY (blog, id)
);
CREATE INDEX IF NOT EXISTS by_post ON held (blog, post, instant);
CREATE TABLE IF NOT EXISTS feeds (blog TEXT PRIMARY KEY, ended INTEGER, complete INTEGER,
                                  answered INTEGER, listed INTEGER, total INTEGER);
CREATE TABLE IF NOT EXISTS waiting (blog TEXT, post TEXT, waiting BLOB, PRIMARY KEY (blog, post));
"""


def blog_comment_feed_url(home: str, start: int, size: int) -> str:
    """The address of a page of the blog-wide comment feed of the blog at ``home``."""
    return f"{home}feeds/comments/default?start-index={start}&max-results={size}"


@dataclass(frozen=True, slots=True)
class Waiting:
    """A post whose comments wait for its blog's feed to be read."""

    post: str  # its id on Blogger
    url: str
    page_url: str
    count: int | None  # the comments its page or its posts feed entry states
    #: the comments its page shows, where read (before the blog's feed first answered: should
    #: both feeds fail, they are the post's), whether they are all, where the page is kept
    shown: tuple[Comment, ...] | None = None
    shows_every_comment: bool = False
    shown_capture: str | None = None


@dataclass(frozen=True, slots=True)
class FeedState:
    """How far a crawl has read a blog's feed."""

    ended: bool  # read as far as it goes
    complete: bool  # ended, every comment its first page counted listed
    answered: bool  # a page of it answered as a feed


class BlogComments:
    """The comments read from blog-wide comment feeds, by blog and post; and, for a crawl,
    how far each blog's feed is read and the posts that wait for it.

    In a ``folder`` of its own (a crawl's ``JOBDIR``) the file is kept, so that a crawl
    resumed there finds what it had read."""

    def __init__(self, folder: str | Path | None, *, keep: bool = False) -> None:
        self.db = ScratchDB(folder, "blog-comments.sqlite", SCHEMA, keep=keep)

    # -- the feed's comments --------------------------------------------------------------

    def add(self, blog: str, feed: CommentFeed, capture_id: str | None = None) -> int:
        """Hold the comments of one page of ``blog``'s feed (``capture_id``: where the page is
        kept); returns how many it held for the first time (none: a page read before, as a
        server that ignores ``start-index`` gives). A comment whose entry names no post, or
        that has no id, cannot be put anywhere: its post's count then falls short, and the
        post's own feed is read instead."""
        rows = [
            (blog, post, comment.platform_id, _instant(comment.published), capture_id,
             pickle.dumps(comment))
            for comment, post in zip(feed.comments, feed.post_ids, strict=False)
            if post and comment.platform_id
        ]  # fmt: skip
        return self.db.write_many("INSERT OR IGNORE INTO held VALUES (?, ?, ?, ?, ?, ?)", rows)

    def of_post(self, blog: str, post: str) -> tuple[tuple[Comment, ...], str | None]:
        """The comments held of the post whose id is ``post``, oldest first and numbered from
        1; and where the page that listed the oldest is kept."""
        rows = self.db.read(
            "SELECT comment, capture FROM held WHERE blog = ? AND post = ?"
            " ORDER BY instant, length(id), id",
            (blog, post),
        ).fetchall()
        comments = tuple(
            dataclasses.replace(pickle.loads(blob), position=position)
            for position, (blob, _) in enumerate(rows, start=1)
        )
        return comments, rows[0][1] if rows else None

    def count(self, blog: str, post: str) -> int:
        """How many comments of the post whose id is ``post`` are held."""
        sql = "SELECT count(*) FROM held WHERE blog = ? AND post = ?"
        return int(self.db.read(sql, (blog, post)).fetchone()[0])

    def blogs(self) -> list[str]:
        """The blogs whose comments are held."""
        return [blog for (blog,) in self.db.read("SELECT DISTINCT blog FROM held ORDER BY blog")]

    def posts(self, blog: str) -> list[str]:
        """The ids of the posts that comments held of ``blog`` are on."""
        sql = "SELECT DISTINCT post FROM held WHERE blog = ? ORDER BY post"
        return [post for (post,) in self.db.read(sql, (blog,)).fetchall()]

    # -- a crawl's reading of the feed ----------------------------------------------------

    def begin(self, blog: str) -> None:
        """The first page of ``blog``'s feed is asked for: its posts' comments wait for it."""
        self.db.write("INSERT OR IGNORE INTO feeds VALUES (?, 0, 0, 0, 0, NULL)", (blog,))

    def read_page(self, blog: str, listed: int, total: int | None) -> int:
        """A page of ``blog``'s feed listing ``listed`` comments was read; the comments listed
        so far."""
        self.db.write(
            "UPDATE feeds SET answered = 1, listed = listed + ?, total = coalesce(total, ?)"
            " WHERE blog = ?",
            (listed, total, blog),
        )
        return int(self.db.read("SELECT listed FROM feeds WHERE blog = ?", (blog,)).fetchone()[0])

    def state(self, blog: str) -> FeedState | None:
        """How far ``blog``'s feed is read; None where the crawl does not read it."""
        sql = "SELECT ended, complete, answered FROM feeds WHERE blog = ?"
        row = self.db.read(sql, (blog,)).fetchone()
        return FeedState(*(bool(value) for value in row)) if row is not None else None

    def end(self, blog: str) -> bool:
        """``blog``'s feed is read as far as it goes; whether it was read whole (every comment
        its first page counted listed)."""
        self.db.write(
            "UPDATE feeds SET ended = 1, complete = (total IS NOT NULL AND listed >= total)"
            " WHERE blog = ?",
            (blog,),
        )
        state = self.state(blog)
        return state is not None and state.complete

    def reading(self) -> list[str]:
        """The blogs whose feed is not ended."""
        return [blog for (blog,) in self.db.read("SELECT blog FROM feeds WHERE ended = 0")]

    def wait(self, blog: str, waiting: Waiting) -> None:
        self.db.write(
            "INSERT OR REPLACE INTO waiting VALUES (?, ?, ?)",
            (blog, waiting.post, pickle.dumps(waiting)),
        )

    def release(self, blog: str) -> Iterator[Waiting]:
        """The posts of ``blog`` that waited, each once."""
        sql = (
            "SELECT rowid, waiting FROM waiting WHERE blog = ? AND rowid > ?"
            " ORDER BY rowid LIMIT 500"
        )
        after = 0
        while rows := self.db.read(sql, (blog, after)).fetchall():
            for _, blob in rows:
                yield pickle.loads(blob)
            after = rows[-1][0]
            self.db.write("DELETE FROM waiting WHERE blog = ? AND rowid <= ?", (blog, after))

    def close(self) -> None:
        self.db.close()


def takes_held(held: int, stated: int | None) -> bool:
    """Whether a post's comments are the ``held`` ones its blog's feed listed: as many as its
    page (or its posts feed entry) says it has, at least. Else the post's own feed gives
    them (a comment added or deleted while the feed was read shifts its pages by one)."""
    return stated is not None and held >= stated


def _instant(published: str | None) -> float:
    """A comment's time as a number to order by (its feed's text has the blog's offset, which
    changes with daylight saving: the text alone does not sort); undated ones first."""
    try:
        return datetime.fromisoformat(published or "").timestamp()
    except ValueError:
        return float("-inf")
