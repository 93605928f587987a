"""The blog spider: from start blogs, find every post through the routes each site offers.

Routes, per blog: its feeds (Blogger's paged Atom feed, WordPress' RSS, autodiscovered feeds),
its sitemaps, the posts its home page lists, and links between posts. Each post page is fetched
once (Scrapy's duplicate filter on canonical URLs). Blog-list entries are followed to the
``BLOGARCHIVE_DEPTH``-th hop. A blog that cannot be read is recorded with the reason.

Usage from the repository: ``scrapy crawl blog -a url=URL -s ARCHIVE_DB=archive.db``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.internet.error import ConnectError, DNSLookupError, TimeoutError
from twisted.python.failure import Failure

from blogarchive.items import BlogItem, FormsItem, PageItem, PostItem
from blogarchive.middlewares import PrivateAddressBlocked
from extract import extract_page, post_links
from extract.feeds import extract_feed
from extract.urls import canonical_url, home_url, may_be_post, origin

HTML_TYPES = ("text/html", "application/xhtml+xml")
START_URL = re.compile(r"^https?://[^/\s]+", re.IGNORECASE)


def parse_start_urls(*values: str | None) -> tuple[list[str], list[str]]:
    """Split ``-a url=`` / ``-a urls=`` values into valid start URLs and rejected ones."""
    good: list[str] = []
    bad: list[str] = []
    for value in values:
        for url in re.split(r"[\s,]+", value or ""):
            if not url:
                continue
            (good if START_URL.match(url) else bad).append(url)
    return good, bad


class BlogSpider(scrapy.Spider):
    name = "blog"

    def __init__(self, url: str | None = None, urls: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls, rejected = parse_start_urls(url, urls)
        for bad in rejected:
            self.logger.error("not an http(s) URL, skipped: %s", bad)
        self.start_origins = {origin(u) for u in self.start_urls}
        self.depth_of: dict[str, int] = {}
        self.pages_of: Counter[str] = Counter()
        self.max_depth = 1
        self.max_pages = 0
        self.feed_page_size = 150

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BlogSpider:
        spider: BlogSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.max_depth = settings.getint("BLOGARCHIVE_DEPTH", 1)
        spider.max_pages = settings.getint("BLOGARCHIVE_MAX_PAGES_PER_BLOG", 0)
        spider.feed_page_size = settings.getint("BLOGARCHIVE_FEED_PAGE_SIZE", 150)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            request = self.blog_request(url, depth=0)
            if request is not None:
                yield request

    # -- requests ---------------------------------------------------------------------------

    def blog_request(self, url: str, depth: int) -> scrapy.Request | None:
        """The request for a blog's home page, once per blog, at the lowest depth it is seen."""
        home = home_url(url)
        if home in self.depth_of:
            return None
        self.depth_of[home] = depth
        start = url if depth == 0 else home
        return self.page_request(start, home, "home", self.parse_home, dont_filter=True)

    def page_request(
        self, url: str, blog: str, kind: str, callback: Any, **kwargs: Any
    ) -> scrapy.Request | None:
        """A request for a page of ``blog``, unless the blog's page cap is reached."""
        if self.max_pages and self.pages_of[blog] >= self.max_pages:
            self.crawler.stats.inc_value("blogarchive/capped")  # type: ignore[union-attr]
            return None
        self.pages_of[blog] += 1
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.failed,
            meta={"blog": blog, "kind": kind, **kwargs.pop("meta", {})},
            **kwargs,
        )

    def post_requests(self, urls: Any, blog: str) -> Iterator[scrapy.Request]:
        for url in urls:
            url = canonical_url(url)
            if origin(url) == origin(blog) and may_be_post(url):
                request = self.page_request(url, blog, "post", self.parse_page)
                if request is not None:
                    yield request

    # -- callbacks --------------------------------------------------------------------------

    def parse_home(self, response: Response) -> Iterator[Any]:
        blog = response.meta["blog"]
        if not _is_html(response):
            reason = f"not HTML: {_content_type(response) or 'no content type'}"
            yield BlogItem(url=blog, title=None, platform=None, status="error", error=reason)
            yield self.page_item(response, error=reason)
            return
        assert isinstance(response, TextResponse)
        page = extract_page(response.text, response.url)
        yield BlogItem(
            url=blog,
            title=page.blog.title,
            platform=page.blog.platform,
            status="ok",
            links=page.blog_links,
        )
        yield self.page_item(response)
        if page.forms:
            yield FormsItem(blog_url=blog, page_url=canonical_url(response.url), forms=page.forms)
        yield from self.discovery_requests(blog, page.blog.platform, page.blog.feeds)
        yield from self.post_requests(post_links(response.text, response.url), blog)
        depth = self.depth_of.get(blog, 0)
        if depth < self.max_depth:
            for link in page.blog_links:
                request = self.blog_request(link.target_url, depth + 1)
                if request is not None:
                    yield request

    def discovery_requests(
        self, blog: str, platform: str, feeds: tuple[str, ...]
    ) -> Iterator[scrapy.Request]:
        """The routes to every post of a blog: its feeds and sitemaps, by platform."""
        requests: list[scrapy.Request | None] = []
        if platform == "blogger":
            feed = f"{blog}feeds/posts/default?start-index=1&max-results={self.feed_page_size}"
            requests.append(self.page_request(feed, blog, "feed", self.parse_feed))
            requests.append(
                self.page_request(f"{blog}sitemap.xml", blog, "sitemap", self.parse_sitemap)
            )
        elif platform == "wordpress":
            requests.append(self.page_request(f"{blog}feed/", blog, "feed", self.parse_feed))
            requests.append(
                self.page_request(f"{blog}wp-sitemap.xml", blog, "sitemap", self.parse_sitemap)
            )
        else:
            for feed in feeds:
                if origin(feed) == origin(blog):
                    requests.append(self.page_request(feed, blog, "feed", self.parse_feed))
            requests.append(
                self.page_request(f"{blog}sitemap.xml", blog, "sitemap", self.parse_sitemap)
            )
        yield from (request for request in requests if request is not None)

    def parse_feed(self, response: Response) -> Iterator[Any]:
        blog = response.meta["blog"]
        feed = extract_feed(response.body, response.url)
        if not feed.ok:
            yield self.page_item(response, error="not a feed")
            return
        yield self.page_item(response)
        if feed.total is not None:
            self.crawler.stats.max_value(f"blogarchive/stated_posts/{blog}", feed.total)  # type: ignore[union-attr]
        yield from self.post_requests((entry.url for entry in feed.entries), blog)
        if feed.next_url and origin(feed.next_url) == origin(blog):
            request = self.page_request(feed.next_url, blog, "feed", self.parse_feed)
            if request is not None:
                yield request

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        blog = response.meta["blog"]
        try:
            sitemap = Sitemap(response.body)
        except Exception:  # lxml raises several types on documents that are not XML
            yield self.page_item(response, error="not a sitemap")
            return
        yield self.page_item(response)
        locations = [entry["loc"] for entry in sitemap if entry.get("loc")]
        if sitemap.type == "sitemapindex":
            for location in locations:
                if origin(location) == origin(blog):
                    request = self.page_request(location, blog, "sitemap", self.parse_sitemap)
                    if request is not None:
                        yield request
        else:
            yield from self.post_requests(locations, blog)

    def parse_page(self, response: Response) -> Iterator[Any]:
        """A page that may hold a post: archive the post, or only the forms of other pages."""
        blog = response.meta["blog"]
        if not _is_html(response):
            yield self.page_item(response, error=f"not HTML: {_content_type(response)}")
            return
        assert isinstance(response, TextResponse)
        page = extract_page(response.text, response.url)
        page_url = canonical_url(response.url)
        if page.post is None:
            yield self.page_item(response, kind="page")
            if page.forms:
                yield FormsItem(blog_url=blog, page_url=page_url, forms=page.forms)
        else:
            yield self.page_item(response)
            yield PostItem(
                blog_url=blog,
                post=page.post,
                comments=page.comments,
                key_observations=page.key_observations,
                forms=page.forms,
                page_url=page_url,
            )
        yield from self.post_requests(post_links(response.text, response.url), blog)

    # -- failures ---------------------------------------------------------------------------

    def failed(self, failure: Failure) -> Iterator[Any]:
        """Record a request that failed; a start page that failed marks its blog."""
        request = failure.request  # type: ignore[attr-defined]
        blog = request.meta["blog"]
        kind = request.meta["kind"]
        status, reason, blog_status = _describe_failure(failure)
        self.crawler.stats.inc_value("blogarchive/failed")  # type: ignore[union-attr]
        self.logger.warning("%s: %s", request.url, reason)
        if kind == "home":
            yield BlogItem(url=blog, title=None, platform=None, status=blog_status, error=reason)
        yield PageItem(
            url=canonical_url(request.url),
            blog_url=blog,
            kind=kind,
            status=status,
            fetched_at=_now(),
            error=reason,
        )

    def page_item(
        self, response: Response, *, kind: str | None = None, error: str | None = None
    ) -> PageItem:
        headers = response.headers
        return PageItem(
            url=canonical_url(response.url)
            if response.meta["kind"] in ("home", "post")
            else response.url,
            blog_url=response.meta["blog"],
            kind=kind or response.meta["kind"],
            status=response.status,
            fetched_at=_now(),
            error=error,
            etag=_header(headers, b"ETag"),
            last_modified=_header(headers, b"Last-Modified"),
            content_type=_content_type(response),
            body=response.body,
        )


#: Failures that mean the server could not be reached at all.
UNREACHABLE = (
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    DownloadTimeoutError,
    DownloadFailedError,
    ConnectError,
    DNSLookupError,
    TimeoutError,
)


def _describe_failure(failure: Failure) -> tuple[int | None, str, str]:
    """(HTTP status, reason, blog status) for a failed request."""
    error = failure.value
    if failure.check(HttpError):
        response = error.response  # type: ignore[union-attr]
        return response.status, f"HTTP {response.status}", "error"
    if failure.check(PrivateAddressBlocked):
        return None, str(error), "blocked"
    if failure.check(IgnoreRequest) and "robots.txt" in str(error):
        return None, "forbidden by robots.txt", "blocked"
    if failure.check(*UNREACHABLE):
        return None, str(error) or type(error).__name__, "unreachable"
    return None, f"{type(error).__name__}: {error}", "error"


def _is_html(response: Response) -> bool:
    content_type = _content_type(response)
    if content_type:
        return content_type.split(";")[0].strip().lower() in HTML_TYPES
    return isinstance(response, TextResponse) and b"<html" in response.body[:2048].lower()


def _content_type(response: Response) -> str | None:
    return _header(response.headers, b"Content-Type")


def _header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
