"""What the parts of the blog spider share: its settings, each blog's requests under its page
cap and request budget, the blogs' discovery reports, and a response as the archive reads it.

The spider is split by what its callbacks do (:mod:`spiders.routes` reads the routes to a
blog's posts, :mod:`spiders.comment_feeds` a post's comment feed, :mod:`spiders.blog` home and
post pages); the parts are classes of one spider, so that every callback is a method of it
(Scrapy keeps such requests in a ``JOBDIR``, to resume).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from blogarchive.extraction import ExtractionPool, process_count
from blogarchive.items import PageItem, StoredBody
from blogarchive.pageitems import Fetched
from blogarchive.reader import ArchiveReader, chunked
from blogarchive.refresh import FeedTrust
from blogarchive.report import BlogReport
from blogarchive.responses import content_type, header, now, page_text
from blogarchive.scratch import ScratchDB, report_store
from extract.feedposts import FeedPost
from extract.urls import canonical_url, may_be_post, on_blog, post_permalink, same_address


class BlogCrawl(scrapy.Spider):
    """The state and the requests of a crawl of blogs (see :class:`spiders.blog.BlogSpider`)."""

    #: the spider's callbacks for a post page and for any failed request
    parse_page: Callable[[Response], AsyncIterator[Any]]
    failed: Callable[[Failure], Iterator[Any]]
    #: the posts a feed page carries whole, archived from it (``--from-feeds``)
    archive_feed_posts: Callable[[str, dict[str, FeedPost], str | None], Iterator[Any]]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: a refresh's reading of the archive and of its blogs' feeds (made by ``start``)
        self.trust: FeedTrust | None = None
        #: post URL -> comments archived (``in`` and ``get``): a refresh's, or a worker's
        self.archived_comments: Any = {}
        self.depth_of: dict[str, int] = {}
        #: blog -> (blog-list hops, page cap) of the start blog it came from, where that start
        #: was handed over with limits of its own (:meth:`limits_of`)
        self.limits: dict[str, tuple[int, int]] = {}
        self.pages_of: Counter[str] = Counter()
        self.reports: dict[str, BlogReport] = {}
        self._report_store: ScratchDB | None = None
        self.platform_of: dict[str, str] = {}
        #: blog -> the platform the archive holds it as (where the crawl writes into one)
        self.archived_platform: Mapping[str, str] = {}
        #: blog -> posts a refresh holds of it (they count in its request budget)
        self.archived_count: dict[str, int] = {}
        #: (blog, route) -> pages of that paginated route read
        self.route_pages: Counter[tuple[str, str]] = Counter()
        self.max_depth = 1
        self.max_pages = 0
        self.generic_max_pages = 2000
        self.feed_page_size = 150
        self.budget_base = 2000
        self.budget_per_post = 10
        self.route_max_pages = 1000
        #: how large a gzipped sitemap may grow once unpacked (Scrapy's DOWNLOAD_MAXSIZE)
        self.sitemap_max_size = 0
        self.distributed = False
        #: archive Blogger posts from their posts feed's entries, WordPress posts from the REST
        #: API (``--from-feeds``); not on a distributed worker, which reads post pages
        self.from_feeds = False
        #: a refresh: the archive it refreshes (``-a refresh_from=archive.db``)
        self.refresh_from: str | None = None
        #: the archive a refresh reads, once it starts
        self.refreshed: ArchiveReader | None = None
        self.extraction = ExtractionPool(0)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.max_depth = settings.getint("BLOGARCHIVE_DEPTH", 1)
        spider.max_pages = settings.getint("BLOGARCHIVE_MAX_PAGES_PER_BLOG", 0)
        spider.generic_max_pages = settings.getint("BLOGARCHIVE_GENERIC_MAX_PAGES", 2000)
        spider.feed_page_size = settings.getint("BLOGARCHIVE_FEED_PAGE_SIZE", 150)
        spider.budget_base = settings.getint("BLOGARCHIVE_BUDGET_BASE", 2000)
        spider.budget_per_post = settings.getint("BLOGARCHIVE_BUDGET_PER_POST", 10)
        spider.route_max_pages = settings.getint("BLOGARCHIVE_ROUTE_MAX_PAGES", 1000)
        spider.sitemap_max_size = settings.getint("DOWNLOAD_MAXSIZE")
        spider.distributed = settings.getbool("BLOGARCHIVE_DISTRIBUTED")
        spider.from_feeds = settings.getbool("BLOGARCHIVE_FROM_FEEDS") and not spider.distributed
        spider.extraction = ExtractionPool(
            process_count(settings.get("BLOGARCHIVE_EXTRACT_PROCESSES", "auto"))
        )
        crawler.signals.connect(spider.extraction.close, signal=signals.spider_closed)
        crawler.signals.connect(spider.redirected_to_asked, signal=signals.request_dropped)
        # after spider_closed, whose handlers read the reports
        crawler.signals.connect(spider.close_reports, signal=signals.engine_stopped)
        return spider

    def close_reports(self) -> None:
        if self._report_store is not None:
            self._report_store.close()
            self._report_store = None
        if self.trust is not None:
            self.trust.close()
            self.trust = None

    def job_folder(self) -> str | None:
        """The crawl's ``JOBDIR``, where its scratch files go (None: a temporary folder)."""
        settings = getattr(self, "settings", None)
        return settings.get("JOBDIR") if settings else None

    # -- reports ----------------------------------------------------------------------------

    def report_for(self, blog: str) -> BlogReport:
        report = self.reports.get(blog)
        if report is None:
            if self._report_store is None:
                self._report_store = report_store(self.job_folder())
            report = self.reports[blog] = BlogReport(self._report_store, blog)
        return report

    def discovery_report(
        self, held: Callable[[list[str]], set[str]] | None = None
    ) -> dict[str, dict[str, Any]]:
        """Per blog: posts stated, found by each route, archived (as ``held`` says: the
        archive), missing with why, and why routes stopped (see :class:`BlogReport`)."""
        return {blog: report.summary(held) for blog, report in sorted(self.reports.items())}

    # -- requests ---------------------------------------------------------------------------

    def page_request(
        self, url: str, blog: str, kind: str, callback: Any, **kwargs: Any
    ) -> scrapy.Request | None:
        """A request for a page of ``blog``, unless the blog's page cap or request budget is
        reached (a post not asked for is noted in the blog's report, with which)."""
        if not self._within_limits(url, blog, kind):
            return None
        meta = {"blog": blog, "kind": kind, **kwargs.pop("meta", {})}
        if blog in self.limits:  # (for the worker that reads the answer, in a distributed crawl)
            meta["limits"] = self.limits[blog]
        kwargs.setdefault("errback", self.failed)
        return scrapy.Request(url, callback=callback, meta=meta, **kwargs)

    def over_limits(self, blog: str, more: int = 0) -> str | None:
        """Why the next request for ``blog`` and ``more`` after it would go past its page cap
        or request budget; None where they are within both."""
        cap = self.limits_of(blog)[1]
        if self.platform_of.get(blog) == "generic" and self.generic_max_pages:
            cap = min(cap, self.generic_max_pages) if cap else self.generic_max_pages
        budget = self.budget_of(blog)
        asked = self.pages_of[blog] + more
        if cap and asked >= cap:
            return f"the blog's page cap ({cap} requests) was reached"
        if budget and asked >= budget:
            return (
                f"the blog's request budget ({budget} requests: {self.budget_base} + "
                f"{self.budget_per_post} a post for {self.known_posts(blog)} posts) was reached"
            )
        return None

    def _within_limits(self, url: str, blog: str, kind: str) -> bool:
        """Whether one more request for ``blog`` is within its page cap and request budget
        (and counted); if not, why is noted in its report."""
        why = self.over_limits(blog)
        if why is not None:
            self.crawler.stats.inc_value("blogarchive/capped")  # type: ignore[union-attr]
            report = self.report_for(blog)
            if report.stops.get("crawl") is None:
                self.logger.warning("%s: %s; no more requests for it", blog, why)
            report.stop("crawl", why)
            if kind == "post":
                report.add_unasked(post_permalink(canonical_url(url)), f"not fetched: {why}")
            return False
        self.pages_of[blog] += 1
        return True

    def redirected_to_asked(self, request: scrapy.Request, spider: scrapy.Spider) -> None:
        """Scrapy's duplicate filter drops a redirect to a URL the crawl asked for before, and
        says so only in its debug log: the URL that redirected would get no answer (a post
        whose address moved to another's would be reported never fetched; a REST API's
        route would never end). A post page or a route's page is asked for once more where it
        was sent, past the filter, under the blog's limits, so that its callback reads the
        answer as that URL's. Not where the redirect only adds or drops a trailing slash or
        changes the scheme: that is the same page, fetched once (the report knows); nor where
        a post's address leads to the blog's home page, which the report says."""
        meta = request.meta
        chain = meta.get("redirect_urls")
        if not chain or meta.get("kind") not in ("post", "rest") or request.dont_filter:
            return
        if all(same_address(url, request.url) for url in chain):
            return
        blog = meta["blog"]
        if self.sent_home(blog, chain, request.url):
            return
        if not self._within_limits(chain[0], blog, meta["kind"]):
            return
        self.logger.debug("asked again past the duplicate filter: %s", request.url)
        self.crawler.engine.crawl(request.replace(dont_filter=True))  # type: ignore[union-attr]

    def sent_home(self, blog: str, chain: Iterable[str], url: str) -> bool:
        """Whether the addresses ``chain`` redirected to the blog's home page at ``url`` (a
        post deleted, on some blogs): the report says so of each."""
        chain = list(chain)
        if not chain or not same_address(url, blog):
            return False
        for address in chain:
            why = f"redirected to the blog's home page, {url}"
            self.report_for(blog).add_failed(post_permalink(canonical_url(address)), why)
        return True

    def limits_of(self, blog: str) -> tuple[int, int]:
        """The blog-list hops to follow from ``blog`` and its page cap: those of the start
        blog it came from, where that had its own (a distributed crawl's seeds each carry
        theirs), else the crawl's settings."""
        return self.limits.get(blog, (self.max_depth, self.max_pages))

    def budget_of(self, blog: str) -> int:
        """The requests a blog may take: a constant and a number a post the crawl knows of
        (``BLOGARCHIVE_BUDGET_BASE``, ``BLOGARCHIVE_BUDGET_PER_POST``; 0: no budget). It ends
        any loop no route's own stop foresaw."""
        if not self.budget_per_post and not self.budget_base:
            return 0
        return self.budget_base + self.budget_per_post * self.known_posts(blog)

    def known_posts(self, blog: str) -> int:
        """The posts of ``blog`` its budget counts: what its report knows, or a refresh's
        archive holds."""
        report = self.reports.get(blog)
        known = report.known_posts() if report is not None else 0
        return max(known, self.archived_count.get(blog, 0))

    def post_requests(
        self, urls: Iterable[str], blog: str, *, suggested: bool = False
    ) -> Iterator[scrapy.Request]:
        """Requests for the posts at ``urls`` (read a few hundred at a time: a blog's archived
        posts come from the archive as they are asked for), but for those of other sites and
        archived posts whose feed entry decides (``trust``). Links between pages only
        ``suggested`` as posts are asked for only where their address may be a post's; what a
        route lists as a post is asked for whatever its address (``/?p=2895``, ``/2320``)."""
        wanted = (url for url in on_blog_urls(urls, blog) if not suggested or may_be_post(url))
        report = self.report_for(blog)
        for chunk in chunked(wanted):
            held = self.trust.held(chunk) if self.trust is not None else ()
            asked = []
            for url in chunk:
                if url in held:
                    asked.append(url)
                    continue
                request = self.page_request(url, blog, "post", self.parse_page)
                if request is not None:
                    asked.append(url)
                    yield request
            report.add_asked(asked)

    def linked_posts(
        self, links: tuple[str, ...], blog: str, page_url: str
    ) -> Iterator[scrapy.Request]:
        """Note the posts a page links to as found by the html route, and ask for them, but
        for the page itself and the permalinks asked for before (or left to their feed's
        word): a request that Scrapy's duplicate filter then drops costs the crawl's process
        nearly what a fetch does; each post page links to itself and to its neighbours. Other
        links (a post's other pages of comments) are asked for as they are."""
        report = self.report_for(blog)
        canonical = list(dict.fromkeys(map(canonical_url, links)))
        asked = report.asked_among(canonical)
        unseen = [
            link
            for link in canonical
            if link != page_url and (link != post_permalink(link) or link not in asked)
        ]
        report.add_found("html", map(post_permalink, links))
        yield from self.post_requests(unseen, blog, suggested=True)

    def release(self, blog: str) -> Iterator[scrapy.Request]:
        """Ask for the blog's archived posts its feed did not vouch for (all of them when the
        feed could not be read whole)."""
        if self.trust is not None:
            yield from self.post_requests(self.trust.release(blog), blog)

    # -- responses --------------------------------------------------------------------------

    def fetched(
        self, response: Response, stored: StoredBody | None = None, *, text: bool = False
    ) -> Fetched:
        """``response`` as :mod:`blogarchive.pageitems` reads it (``stored``: its body as the
        archive keeps it, when a worker made it; ``text``: with its text as Scrapy decodes
        it, for a page to be read). The blog's limits, where the request carried them, are
        noted: the request may have been made by another worker."""
        if "limits" in response.meta:
            depth, pages = response.meta["limits"]
            self.limits.setdefault(response.meta["blog"], (int(depth), int(pages)))
        return Fetched(
            url=response.url,
            blog=response.meta["blog"],
            kind=response.meta["kind"],
            status=response.status,
            body=response.body,
            fetched_at=now(),
            content_type=content_type(response),
            etag=header(response.headers, b"ETag"),
            last_modified=header(response.headers, b"Last-Modified"),
            text=page_text(response) if text and isinstance(response, TextResponse) else None,
            redirects=tuple(response.meta.get("redirect_urls", ())),
            stored=stored,
            capture=response.meta.get("capture"),
        )

    def page_item(
        self,
        response: Response,
        *,
        kind: str | None = None,
        error: str | None = None,
        stored: StoredBody | None = None,
    ) -> PageItem:
        """The fetch of ``response``, with its body as the archive stores it."""
        return self.fetched(response, stored).page_item(kind=kind, error=error)


def on_blog_urls(urls: Iterable[str], blog: str) -> Iterator[str]:
    """``urls`` canonical and on ``blog``'s origin (:func:`~extract.urls.on_blog`), in order;
    other sites' left out."""
    for url in urls:
        own = on_blog(canonical_url(url), blog)
        if own is not None:
            yield own


def routed(urls: Iterable[str], blog: str) -> list[str]:
    """The permalinks a route gives, canonical and on the blog's origin (``www.`` and
    ``http``/``https`` variants of its own posts), others' dropped, in order, once each."""
    return list(dict.fromkeys(on_blog_urls(urls, blog)))
