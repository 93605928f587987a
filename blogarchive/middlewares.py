"""Downloader middleware: keep the crawl on public addresses unless told otherwise."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from extract.urls import origin

ALLOWED_SCHEMES = ("http", "https")


class PrivateAddressBlocked(IgnoreRequest):
    """A request to a private, loopback or link-local address that the crawl may not make."""


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

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in ALLOWED_SCHEMES:
            raise PrivateAddressBlocked(f"scheme not allowed: {parts.scheme}")
        if self.allow_private or not is_private_host(parts.hostname or ""):
            return
        allowed: set[str] = getattr(self.crawler.spider, "start_origins", set())
        if origin(request.url) not in allowed:
            raise PrivateAddressBlocked(f"private address not allowed: {parts.hostname}")
