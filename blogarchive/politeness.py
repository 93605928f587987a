"""Politeness a site asks for: a robots.txt ``Crawl-delay`` longer than the crawl's own
interval (``DOWNLOAD_DELAY``) becomes the least interval between two requests to that host.

Scrapy reads ``Crawl-delay`` (its robots.txt parsers' ``crawl_delay``) but does not apply it,
and two things of its own would undercut it: the random variation of each slot's delay
(``DOWNLOAD_DELAY_JITTER``, by default ±50%) and AutoThrottle, which moves a slot's delay
between ``DOWNLOAD_DELAY`` and its maximum by the latency it sees. So a host that asks for a
delay gets it as its download slot's delay, with no variation, here and in the settings a slot
is made from again (Scrapy drops a slot idle for a minute), and it is set back after each of
its responses, after AutoThrottle's (this extension comes after it). A delay longer than
``BLOGARCHIVE_MAX_CRAWL_DELAY`` (60 s) is held to it: a site that asks for a request a day
would keep the crawl for months; the stats say so.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.robotstxt import RobotParser

#: The interval held is this much longer than asked: the delay runs from when a request is
#: sent, and one sent on a connection already open arrives sooner after one that opened it.
MARGIN = 1.05


class CrawlDelay:
    """Holds each host whose robots.txt asks for a ``Crawl-delay`` to it."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.user_agent: str = settings.get("ROBOTSTXT_USER_AGENT") or settings.get(
            "USER_AGENT", ""
        )
        self.own = settings.getfloat("DOWNLOAD_DELAY")
        self.most = settings.getfloat("BLOGARCHIVE_MAX_CRAWL_DELAY", 60.0)
        #: download slot -> the least interval its host asks for
        self.floors: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelay:
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(extension.response_downloaded, signal=signals.response_downloaded)
        return extension

    def robots_parsed(self, robotparser: RobotParser, request: Request, **_: Any) -> None:
        asked = robotparser.crawl_delay(self.user_agent)
        if asked is None or asked <= self.own:
            return
        engine = self.crawler.engine
        if engine is None:
            return
        key = engine.downloader.get_slot_key(request)
        floor = min(float(asked), self.most) * MARGIN
        self.floors[key] = floor
        stats = self.crawler.stats
        if stats is not None:
            stats.set_value(f"politeness/crawl_delay/{key}", floor)
            if asked > self.most:
                stats.set_value(f"politeness/crawl_delay_held/{key}", float(asked))
        self._hold(key)

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        key = request.meta.get("download_slot")
        if key in self.floors:
            self._hold(key)

    def _hold(self, key: str) -> None:
        """The host's slot at its floor, with no variation; and so when it is made again."""
        floor = self.floors[key]
        engine = self.crawler.engine
        if engine is None:
            return
        downloader = engine.downloader
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, floor)
            slot.jitter = 0.0
        settings = downloader.per_slot_settings.setdefault(key, {})
        settings["delay"] = max(float(settings.get("delay", 0.0)), floor)
        settings["jitter"] = 0.0
