"""The crawl's own extensions: progress output (one line every few seconds, on standard error)
and the garbage collector's pace while a crawl runs."""

from __future__ import annotations

import gc
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


class CollectorThreshold:
    """Raises the cyclic garbage collector's first threshold (``BLOGARCHIVE_GC_THRESHOLD``,
    Python's is 700) while the engine runs, and puts it back when it stops.

    Python collects its youngest objects whenever 700 more of them are alive than at the last
    collection. A crawl's requests, responses and items come and go by the thousand, nearly
    all freed by their reference counts alone, yet the collector then runs every few pages and
    takes a share of the CPU of the crawl's own process, which is what limits a crawl. At
    50,000 it runs a handful of times a crawl (``bench/crawl_ab.py`` and bench/RESULTS.md have
    the figures). ``0`` leaves Python's threshold as it is. The extraction workers keep
    Python's: theirs are the parsed trees, which reference cycles would keep alive longer.
    """

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.previous: tuple[int, int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CollectorThreshold:
        threshold = crawler.settings.getint("BLOGARCHIVE_GC_THRESHOLD", 0)
        if threshold <= 0:
            raise NotConfigured
        extension = cls(threshold)
        crawler.signals.connect(extension.engine_started, signal=signals.engine_started)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_started(self) -> None:
        self.previous = gc.get_threshold()
        gc.set_threshold(self.threshold, *self.previous[1:])

    def engine_stopped(self) -> None:
        if self.previous is not None:
            gc.set_threshold(*self.previous)
            self.previous = None
