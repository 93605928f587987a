"""Politeness a site asks for, kept per host: a robots.txt ``Crawl-delay`` longer than the
crawl's own interval (``DOWNLOAD_DELAY``) becomes the least interval between two requests to
that host; a 429 or 503 pauses that host (for its ``Retry-After``), not the whole crawl.

Scrapy reads ``Crawl-delay`` (its robots.txt parsers' ``crawl_delay``) but does not apply it,
and two things of its own would undercut it: the random variation of each slot's delay
(``DOWNLOAD_DELAY_JITTER``, by default ±50%) and AutoThrottle, which moves a slot's delay
between ``DOWNLOAD_DELAY`` and its maximum by the latency it sees. So a host that asks for a
delay gets it as its download slot's delay, with no variation, here and in the settings a slot
is made from again (Scrapy drops a slot idle for a minute), and it is set back after each of
its responses, after AutoThrottle's (this extension comes after it). A delay longer than
``BLOGARCHIVE_MAX_CRAWL_DELAY`` (60 s) is held to it: a site that asks for a request a day
would keep the crawl for months; the stats say so.

A 429 (Too Many Requests) or a 503 with ``Retry-After`` pauses the host that sent it: its slot
sends nothing more for that long (a 429 without ``Retry-After``: twice its interval, a second
at least), then takes its pace again. (Scrapy holds a slot back by the time it last sent a
request: that time is moved to the pause's end.) Other hosts go on. A wait beyond
``BLOGARCHIVE_RETRY_AFTER_MAX`` is not waited for (the retry middleware leaves that request to
the next run).
"""

from __future__ import annotations

import time
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.robotstxt import RobotParser

from blogarchive.middlewares import retry_after_seconds

#: The interval held is this much longer than asked: the delay runs from when a request is
#: sent, and one sent on a connection already open arrives sooner after one that opened it.
MARGIN = 1.05


#: The delay a paused slot is given if it has none: Scrapy holds a slot back from the time its
#: last request was sent only when the slot has a delay.
PAUSE_DELAY = 0.001


class HostPoliteness:
    """Holds each host whose robots.txt asks for a ``Crawl-delay`` to it; pauses a host that
    answers 429, or 503 with ``Retry-After``."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.user_agent: str = settings.get("ROBOTSTXT_USER_AGENT") or settings.get(
            "USER_AGENT", ""
        )
        self.own = settings.getfloat("DOWNLOAD_DELAY")
        self.most = settings.getfloat("BLOGARCHIVE_MAX_CRAWL_DELAY", 60.0)
        self.longest_pause = settings.getfloat("BLOGARCHIVE_RETRY_AFTER_MAX", 30.0)
        #: download slot -> the least interval its host asks for
        self.floors: dict[str, float] = {}
        #: download slot -> when its pause ends, for a slot that had no delay before it
        self.paused: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostPoliteness:
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
        if key is None:
            return
        if response.status == 429 or (
            response.status == 503 and b"Retry-After" in response.headers
        ):
            self._pause(key, retry_after_seconds(response.headers.get(b"Retry-After")))
        elif key in self.paused and time.monotonic() >= self.paused[key]:
            del self.paused[key]
            slot = self._slot(key)
            if slot is not None and slot.delay == PAUSE_DELAY:
                slot.delay = 0.0
        if key in self.floors:
            self._hold(key)

    def _pause(self, key: str, asked: float | None) -> None:
        """Send the host nothing for ``asked`` seconds (a 429 without: twice its interval, a
        second at least): its slot is held as if it had sent its last request then."""
        slot = self._slot(key)
        if slot is None:
            return
        wait = asked if asked is not None else max(1.0, 2 * slot.delay)
        if wait > self.longest_pause:
            return  # (not waited for: the request is left to the next run)
        now = time.monotonic()
        slot.lastseen = max(slot.lastseen, now + wait)
        if not slot.delay:
            slot.delay = PAUSE_DELAY
            self.paused[key] = now + wait
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("politeness/pauses")

    def _slot(self, key: str) -> Any:
        engine = self.crawler.engine
        return engine.downloader.slots.get(key) if engine is not None else None

    def _hold(self, key: str) -> None:
        """The host's slot at its floor, with no variation; and so when it is made again."""
        floor = self.floors[key]
        engine = self.crawler.engine
        if engine is None:
            return
        downloader = engine.downloader
        slot = self._slot(key)
        if slot is not None:
            slot.delay = max(slot.delay, floor)
            slot.jitter = 0.0
        settings = downloader.per_slot_settings.setdefault(key, {})
        settings["delay"] = max(float(settings.get("delay", 0.0)), floor)
        settings["jitter"] = 0.0
