"""The item pipeline: hands each item to :class:`blogarchive.archive.Archive` (archive.db)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from blogarchive import capturing
from blogarchive.archive import Archive, ArchiveError, open_database
from blogarchive.items import (
    BlogItem,
    Capture,
    CommentsItem,
    CommentsSeenItem,
    FormsItem,
    GoneItem,
    PageItem,
    PostItem,
    SeenItem,
)
from blogarchive.lock import ArchiveLock, ArchiveLocked
from blogarchive.reader import post_id_for

logger = logging.getLogger(__name__)


class ArchivePipeline:
    """Writes items into the SQLite archive named by the ``ARCHIVE_DB`` setting.

    Items are written in one transaction committed every ``BLOGARCHIVE_COMMIT_SECONDS``; each
    item's own writes are a savepoint inside it, so an item that fails leaves the others."""

    def __init__(self, crawler: Crawler, path: str) -> None:
        self.crawler = crawler
        self.path = path
        self.archive: Archive | None = None
        self.run_id: int | None = None
        self.lock = ArchiveLock(path)
        self.commit_seconds = crawler.settings.getfloat("BLOGARCHIVE_COMMIT_SECONDS", 1.0)
        self._committer: task.LoopingCall | None = None
        self.early_comments = EarlyComments()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        path = crawler.settings.get("ARCHIVE_DB")
        if not path:
            raise NotConfigured("ARCHIVE_DB is not set")
        pipeline = cls(crawler, path)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.captured, signal=capturing.captured)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        self.lock = ArchiveLock(self.path)
        try:
            self.lock.acquire()
            self.archive = Archive(open_database(self.path))
        except (ArchiveError, ArchiveLocked) as error:
            self.lock.release()
            self.crawler.stats.set_value("archive/error", str(error))  # type: ignore[union-attr]
            raise
        start_urls = getattr(self.crawler.spider, "start_urls", [])
        self.run_id = self.archive.start_run(start_urls)
        self.crawler.stats.set_value("archive/run_id", self.run_id)  # type: ignore[union-attr]
        if self.commit_seconds > 0:
            self._committer = task.LoopingCall(self.commit)
            self._committer.start(self.commit_seconds, now=False)

    def commit(self) -> None:
        """Commit the items written since the last commit."""
        if self.archive is not None and self.archive.db.conn.in_transaction:
            self.archive.db.conn.commit()

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        assert self.archive is not None, "open_spider runs first"
        if self._committer is not None and not self.archive.db.conn.in_transaction:
            self.archive.db.execute("BEGIN")
        self.early_comments.store(self.archive, item, self.run_id)
        add_counts(self.crawler.stats, counts_of(item))
        return item

    def captured(self, capture: Capture) -> None:
        """A response the crawl kept as WARC records (:mod:`blogarchive.capturing`): every one,
        robots.txt and redirects included, so that a later capture can refer to it."""
        if self.archive is None:
            return
        if self._committer is not None and not self.archive.db.conn.in_transaction:
            self.archive.db.execute("BEGIN")
        self.archive.save_capture(capture, self.run_id)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._committer is not None and self._committer.running:
            self._committer.stop()
        if self.archive is None or self.run_id is None:
            return
        lost = self.early_comments.left()
        if lost:  # comments whose post never came: said, not dropped quietly
            logger.warning("%s", lost)
            self.crawler.stats.set_value("archive/comments_without_post", lost.count)  # type: ignore[union-attr]
        self.commit()
        # which posts are archived is the archive's to say, not the spider's bookkeeping
        report: dict[str, Any] = getattr(spider, "discovery_report", lambda held: {})(
            self.archive.posts_at
        )
        self.crawler.stats.set_value("blogarchive/report", report)  # type: ignore[union-attr]
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}  # type: ignore[union-attr]
        status = "finished" if reason == "finished" else reason
        row = self.archive.end_run(self.run_id, status, stats)
        self.crawler.stats.set_value("archive/summary", row)  # type: ignore[union-attr]
        self.archive.db.close()
        self.lock.release()


@dataclass(frozen=True)
class Unattached:
    """Comments whose post never came: how many, and the posts' URLs."""

    count: int
    urls: list[str]

    def __str__(self) -> str:
        shown = ", ".join(self.urls[:5]) + (", ..." if len(self.urls) > 5 else "")
        return (
            f"{self.count} comments of {len(self.urls)} posts were not archived:"
            f" their posts were not ({shown})"
        )


class EarlyComments:
    """Writes items with :func:`store_item`, holding the comments that come before their post
    till it comes. Items reach a local crawl's pipeline in the order Scrapy processes them,
    not the order the spider made them in (a post's comments, from a comment feed, may pass
    its post, from a posts feed); a distributed crawl's reach Redis in the order its workers
    push them. Comments whose post never comes are said (:meth:`left`), not dropped."""

    def __init__(self) -> None:
        #: post id -> its comments that came first
        self.held: dict[str, list[CommentsItem]] = {}

    def store(self, archive: Archive, item: Any, run_id: int | None) -> None:
        if isinstance(item, CommentsItem):
            if not archive.save_comments(item):  # (its post is on its way)
                self.held.setdefault(post_id_for(item.post_url), []).append(item)
            return
        store_item(archive, item, run_id)
        if isinstance(item, PostItem):
            for early in self.held.pop(post_id_for(item.post.url), ()):
                archive.save_comments(early)

    def left(self) -> Unattached | None:
        """The comments still held (their post never came), if any."""
        if not self.held:
            return None
        early = [item for items in self.held.values() for item in items]
        return Unattached(
            sum(len(item.comments) for item in early), sorted({item.post_url for item in early})
        )


def add_counts(stats: Any, counts: dict[str, int]) -> None:
    for name, count in counts.items():
        stats.inc_value(f"archive/{name}", count)


def counts_of(item: Any) -> dict[str, int]:
    """What an item adds to the archive, as the crawl's stats count it (``archive/<name>``)."""
    if isinstance(item, BlogItem):
        return {f"blogs/{item.status}": 1}
    if isinstance(item, PostItem):
        return {"posts": 1, "comments": len(item.comments)}
    if isinstance(item, CommentsItem):
        return {"comments": len(item.comments)}
    return {}


def store_item(archive: Archive, item: Any, run_id: int | None) -> None:
    """Write one spider item into the archive (a local crawl's pipeline and the distributed
    ingester both come here)."""
    if isinstance(item, BlogItem):
        archive.save_blog(item)
    elif isinstance(item, Capture):  # (a distributed worker's, from Redis)
        archive.save_capture(item, run_id)
    elif isinstance(item, PageItem):
        archive.save_page(item, run_id)
    elif isinstance(item, PostItem):
        archive.save_post(item)
    elif isinstance(item, CommentsItem):
        archive.save_comments(item)
    elif isinstance(item, FormsItem):
        archive.save_forms(item)
    elif isinstance(item, SeenItem):
        archive.mark_seen(item)
    elif isinstance(item, GoneItem):
        archive.mark_gone(item)
    elif isinstance(item, CommentsSeenItem):
        archive.mark_comments_seen(item)
