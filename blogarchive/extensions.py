"""Progress output during a crawl: one line every few seconds, on standard error."""

from __future__ import annotations

import sys
import time
from typing import Any

from scrapy import signals
from scrapy.core.downloader import Downloader
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task


class CrawlProgress:
    """Prints blogs, posts, comments and pages so far (``BLOGARCHIVE_PROGRESS_INTERVAL`` s),
    the pages a second since the last line, and the requests waiting for an answer: those in
    the crawl's queue and those the downloader holds (Scrapy moves up to
    ``CONCURRENT_REQUESTS`` of them out of the queue at once, to wait out a download delay
    there). ``waiting`` is left out when ``BLOGARCHIVE_PROGRESS_WAITING`` is off: a distributed
    worker's queue is Redis's, shared by every worker, and its scheduler counts what waits there
    differently."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.shows_waiting = crawler.settings.getbool("BLOGARCHIVE_PROGRESS_WAITING", True)
        self.loop: task.LoopingCall | None = None
        self.last = (time.monotonic(), 0)  # when the last line was printed, pages fetched then
        self.downloader: Downloader | None = None  # the engine's, once the spider opens

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        interval = crawler.settings.getfloat("BLOGARCHIVE_PROGRESS_INTERVAL", 0)
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Any) -> None:
        self.downloader = self.crawler.engine.downloader
        self.last = (time.monotonic(), 0)
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()

    def report(self) -> None:
        stats = self.crawler.stats
        assert stats is not None
        get = stats.get_value
        blogs = sum(v for k, v in stats.get_stats().items() if k.startswith("archive/blogs/"))
        fetched = get("response_received_count", 0)
        now = time.monotonic()
        then, fetched_then = self.last
        self.last = (now, fetched)
        rate = (fetched - fetched_then) / (now - then) if now > then else 0.0
        waiting = get("scheduler/enqueued", 0) - get("scheduler/dequeued", 0)
        if self.downloader is not None:
            waiting += len(self.downloader.active)
        print(
            f"  … {blogs} blogs, {get('archive/posts', 0)} posts, "
            f"{get('archive/comments', 0)} comments, "
            f"{fetched} pages fetched ({rate:.0f}/s), "
            + (f"{waiting} waiting, " if self.shows_waiting else "")
            + f"{get('blogarchive/failed', 0)} failed",
            file=sys.stderr,
            flush=True,
        )
