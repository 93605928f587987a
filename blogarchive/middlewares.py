"""Downloader middlewares: keep the crawl on public addresses unless told otherwise; obey
robots.txt for every request; revalidate the pages the archive holds instead of fetching them
again."""

from __future__ import annotations

import asyncio
import ipaddress
import sqlite3
from collections.abc import Callable, Container
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.responsetypes import responsetypes
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from blogarchive.exceptions import PrivateAddressBlocked, RedirectLoop
from blogarchive.reader import ArchiveReader
from extract.urls import origin

ALLOWED_SCHEMES = ("http", "https")


def is_private_host(host: str) -> bool:
    """True for loopback, private, link-local and other non-public IP literals and localhost."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


class PrivateAddressMiddleware:
    """Refuse requests (redirects included) to non-public addresses and to non-HTTP schemes.

    The origins of the start URLs are always allowed; ``BLOGARCHIVE_ALLOW_PRIVATE`` allows all.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("BLOGARCHIVE_ALLOW_PRIVATE")
        self.resolved: dict[str, list[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ALLOWED_SCHEMES:
            raise PrivateAddressBlocked(f"scheme not allowed: {parts.scheme}")
        host = parts.hostname or ""
        if self.allow_private:
            return
        if is_private_host(host):
            refused = f"private address not allowed: {host}"
        else:
            private = [a for a in await self.addresses(host, parts.port) if is_private_host(a)]
            if not private:
                return
            # a public-looking name that resolves to a private address
            refused = f"private address not allowed: {host} ({private[0]})"
        # (a set, or on a distributed crawl's worker the crawl's set in Redis: asked last)
        allowed: Container[str] = getattr(self.crawler.spider, "start_origins", set())
        if origin(request.url) not in allowed:
            raise PrivateAddressBlocked(refused)

    async def addresses(self, host: str, port: int | None) -> list[str]:
        """The addresses ``host`` resolves to (none for IP literals or names that do not)."""
        try:
            ipaddress.ip_address(host.strip("[]"))
            return []
        except ValueError:
            pass
        if host not in self.resolved:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port or 80)
                self.resolved[host] = sorted({str(info[4][0]) for info in infos})
            except OSError:
                self.resolved[host] = []  # the download fails on its own, and is recorded
        return self.resolved[host]


class RobotsTxtRulesMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with the rules reaching every request that waits for
    them.

    While an origin's robots.txt is being fetched, Scrapy 2.19 has each further request to the
    origin await the one Deferred that the fetch fires. An asyncio Future made from a Deferred
    consumes its result, so only the first waiter gets the rules and the others get None: they
    go out unchecked, disallowed paths included. Here each waiter gets a Deferred of its own,
    chained to the origin's and handing the result on.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(pending, Deferred):
            return await super().robot_parser(request)  # known, or this request fetches it
        own: Deferred[RobotParser | None] = Deferred()

        def hand_on(parser: RobotParser | None) -> RobotParser | None:
            own.callback(parser)
            return parser

        pending.addCallback(hand_on)
        return await maybe_deferred_to_future(own)


class ConditionalRequestMiddleware:
    """Revalidate the pages the archive holds, with the validators their last answer gave.

    A request for an archived URL carries ``If-None-Match`` / ``If-Modified-Since`` (from
    ``pages.etag`` / ``pages.last_modified``). A ``304 Not Modified`` answer is handed to the
    spider with the archived body in it and its status kept, so the spider reads the page as
    usual (finding the posts a feed lists, say) and the pipeline knows nothing was transferred.
    Every page is checked with the server: nothing is taken from the archive unasked. A
    request whose ``unconditional`` meta key is set carries no validators.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.path = crawler.settings.get("ARCHIVE_DB")
        self.reader: ArchiveReader | None = None
        self._validators: Callable[[str], tuple[str | None, str | None] | None]
        self._validators = self._archived_validators
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequestMiddleware:
        if not crawler.settings.getbool("BLOGARCHIVE_REVALIDATE", True):
            raise NotConfigured
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        if not self.path or not Path(self.path).exists():
            return
        reader = ArchiveReader(self.path)
        try:
            reader.validators("")  # a question only an archive's tables answer
        except sqlite3.DatabaseError:
            reader.close()
            return  # no archive yet, or not one: nothing to revalidate
        # looked up page by page (an index seek), not loaded: memory does not grow with the site
        self.reader = reader

    def _archived_validators(self, url: str) -> tuple[str | None, str | None] | None:
        """The ETag and Last-Modified the archived page of ``url`` was served with, if any."""
        return self.reader.validators(url) if self.reader is not None else None

    def spider_closed(self, spider: Spider) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("unconditional"):
            return  # (asked again: its 304 was not believed)
        validators = self._validators(request.url)
        if validators is None:
            return
        etag, modified = validators
        if etag:
            request.headers.setdefault(b"If-None-Match", etag)
        if modified:
            request.headers.setdefault(b"If-Modified-Since", modified)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if response.status != 304 or self._validators(request.url) is None:
            return response
        stored = self._stored(request.url)
        if stored is None:
            return response
        body, content_type = stored
        headers = response.headers.copy()
        if content_type:
            headers[b"Content-Type"] = content_type
        response_class = responsetypes.from_args(headers=headers, url=request.url, body=body)
        return response_class(
            url=response.url, status=304, headers=headers, body=body, request=request,
            flags=[*response.flags, "archived"],
        )  # fmt: skip

    def _stored(self, url: str) -> tuple[bytes, str | None] | None:
        return self.reader.stored(url) if self.reader is not None else None


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, waiting as long as a 429 or 503's ``Retry-After`` asks first (up to
    ``BLOGARCHIVE_RETRY_AFTER_MAX`` seconds; a server asking for longer is retried at the
    next refresh instead). Retries stay bounded by ``RETRY_TIMES``."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("BLOGARCHIVE_RETRY_AFTER_MAX", 30)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if response.status in self.retry_http_codes and not request.meta.get("dont_retry"):
            wait = retry_after_seconds(response.headers.get(b"Retry-After"))
            retries = request.meta.get("retry_times", 0)
            if wait is not None and wait > self.max_wait:
                return response  # not now: the failure is recorded, the next run asks again
            if wait and retries < self.max_retry_times:
                await asyncio.sleep(wait)
        return RetryMiddleware.process_response(self, request, response)


def retry_after_seconds(value: bytes | None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


class RedirectLoopMiddleware:
    """Stop a redirect that goes back to where the chain has been, as a recorded failure
    (Scrapy would drop the repeated request as a duplicate, silently)."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        location = response.headers.get(b"Location")
        if response.status in (301, 302, 303, 307, 308) and location:
            target = urljoin(request.url, location.decode("latin-1"))
            chain = [*request.meta.get("redirect_urls", []), request.url]
            if target in chain:
                raise RedirectLoop(f"redirect loop: {' -> '.join([*chain, target])}")
        return response
