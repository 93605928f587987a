"""The blog spider: from start blogs, find every post through the routes each site offers.

Routes, per blog: its feeds (Blogger's paged Atom feed, WordPress' RSS, autodiscovered feeds),
its sitemaps, the posts its home page lists, and links between posts. Each post page is fetched
once (Scrapy's duplicate filter on canonical URLs). Blog-list entries are followed to the
``BLOGARCHIVE_DEPTH``-th hop. A blog that cannot be read is recorded with the reason.

Usage from the repository: ``scrapy crawl blog -a url=URL -s ARCHIVE_DB=archive.db``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    DontCloseSpider,
)
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from blogarchive.exceptions import RedirectLoop
from blogarchive.extraction import (
    ExtractionPool,
    comments_from_feed,
    links_to_follow,
    process_count,
)
from blogarchive.failures import describe_failure
from blogarchive.items import (
    BlogItem,
    CommentsItem,
    CommentsSeenItem,
    FormsItem,
    GoneItem,
    PageItem,
    PostItem,
    SeenItem,
    StoredBody,
)
from blogarchive.reader import ArchiveReader, chunked
from blogarchive.refresh import CommentCounts, PendingPosts, among
from blogarchive.report import ANNOUNCING_ROUTES, DECIDED, BlogReport
from blogarchive.responses import content_type, header, is_html, now, page_text
from blogarchive.scratch import ScratchDB, report_store
from blogarchive.sitemaps import SitemapError, robots_sitemaps, sitemap_locations
from extract import Comment, Page, Post, extract_comments, extract_observations, extract_page
from extract.feeds import CommentFeed, Feed, FeedEntry, extract_feed
from extract.post import announced_post, index_links, menu_links
from extract.urls import (
    COMMENT_PAGE,
    canonical_url,
    home_url,
    may_be_post,
    on_blog,
    origin,
    post_permalink,
)

#: Posts asked for per page of WordPress' REST API (its maximum).
WORDPRESS_REST_PAGE = 100
START_URL = re.compile(r"^https?://[^/\s]+", re.IGNORECASE)
#: Sitemaps of a sitemap index that list no posts: WordPress core's sitemaps of categories,
#: tags and authors (its ``wp-sitemap-taxonomies-*`` and ``wp-sitemap-users-*``).
NOT_POST_SITEMAPS = re.compile(r"wp-sitemap-(taxonomies|users)-")
#: Sitemaps that list posts only: WordPress core's and Yoast's sitemaps of posts.
POST_SITEMAPS = re.compile(r"wp-sitemap-posts-post-\d+\.xml|/post-sitemap\d*\.xml")
#: A refresh believes a Blogger feed entry that says an archived post is unchanged only if the
#: post's page was last checked at least this long after the entry's ``updated``: room for a
#: server clock that runs behind ours.
FEED_TRUST_MARGIN = timedelta(hours=1)


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

    def __init__(
        self,
        url: str | None = None,
        urls: str | None = None,
        refresh_from: str | None = None,
        every_page: bool | str = False,
        **kwargs: Any,
    ) -> None:
        """A refresh names the archive in ``refresh_from`` (``-a refresh_from=archive.db``):
        its blogs are crawled again and its archived posts asked for again, their pages
        revalidated.

        A Blogger blog's archived posts wait for its posts feed: a post whose entry is
        unchanged (``updated`` well before the page last answered, ``thr:total`` equal to the
        comments archived) is not asked for; the rest are, once the whole feed is read, so a
        post the feed no longer lists is asked too (only the site's 404 or 410 marks it
        deleted). With ``every_page`` every archived post page is revalidated."""
        super().__init__(**kwargs)
        self.refresh_from = refresh_from
        self.trust_feeds = str(every_page).lower() in ("", "0", "false", "no")
        #: a refresh's view of the archive, read when asked (opened by ``start``)
        self.archived: ArchiveReader | None = None
        #: archived posts waiting for their blog's feed, and those it vouched for
        self.pending: PendingPosts | None = None
        #: post URL -> comments archived (``in`` and ``get``): a refresh's, or a worker's
        self.archived_comments: Any = {}
        #: archived posts whose feed entry counts other comments than the archive holds: their
        #: page is read even when it answers 304 (the archive may have missed their comments)
        self.comments_differ: set[str] = set()
        self.start_urls, rejected = parse_start_urls(url, urls)
        for bad in rejected:
            self.logger.error("not an http(s) URL, skipped: %s", bad)
        self.start_origins = {origin(u) for u in self.start_urls}
        self.depth_of: dict[str, int] = {}
        self.pages_of: Counter[str] = Counter()
        self.reports: dict[str, BlogReport] = {}
        self._report_store: ScratchDB | None = None
        self.comment_ids: dict[str, set[str]] = {}
        self.platform_of: dict[str, str] = {}
        self.max_depth = 1
        self.max_pages = 0
        self.generic_max_pages = 2000
        self.feed_page_size = 150
        self.distributed = False
        self.extraction = ExtractionPool(0)
        self.budget_base = 2000
        self.budget_per_post = 10
        self.route_max_pages = 1000
        #: the sitemaps each host's robots.txt names (:meth:`robots_answered`)
        self.robots_sitemaps: dict[str, list[str]] = {}
        #: how large a gzipped sitemap may grow once unpacked (Scrapy's DOWNLOAD_MAXSIZE)
        self.sitemap_max_size = 0
        #: blog -> posts a refresh holds of it (they count in its request budget)
        self.archived_count: dict[str, int] = {}
        #: (blog, route) -> pages of that paginated route read
        self.route_pages: Counter[tuple[str, str]] = Counter()
        #: blog -> whether its per-post comment feeds answer (None: not known yet)
        self.comment_feeds: dict[str, bool] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BlogSpider:
        spider: BlogSpider = super().from_crawler(crawler, *args, **kwargs)
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
        spider.extraction = ExtractionPool(
            process_count(settings.get("BLOGARCHIVE_EXTRACT_PROCESSES", "auto"))
        )
        crawler.signals.connect(spider.extraction.close, signal=signals.spider_closed)
        crawler.signals.connect(spider.release_pending, signal=signals.spider_idle)
        crawler.signals.connect(spider.robots_answered, signal=signals.response_received)
        # after spider_closed, whose handlers read the reports
        crawler.signals.connect(spider.close_reports, signal=signals.engine_stopped)
        return spider

    def close_reports(self) -> None:
        if self._report_store is not None:
            self._report_store.close()
            self._report_store = None
        if self.pending is not None:
            self.pending.close()
            self.pending = None
        if self.archived is not None:
            self.archived.close()
            self.archived = None

    def job_folder(self) -> str | None:
        """The crawl's ``JOBDIR``, where its scratch files go (None: a temporary folder)."""
        settings = getattr(self, "settings", None)
        return settings.get("JOBDIR") if settings else None

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

    async def start(self) -> AsyncIterator[Any]:
        for url in self.start_urls:
            request = self.blog_request(url, depth=0)
            if request is not None:
                yield request
        if not self.refresh_from:
            return
        self.archived = archived = ArchiveReader(self.refresh_from)
        self.archived_comments = CommentCounts(archived)
        if self.trust_feeds and not self.distributed:
            self.pending = PendingPosts(self.job_folder())
        for blog in archived.blogs_with_posts():
            self.archived_count[home_url(blog)] = archived.count(blog)
            home = self.blog_request(blog, depth=0)  # a blog not among the start URLs too
            if home is not None:
                yield home
            if self.pending is not None:
                self.pending.wait(home_url(blog), archived.posts(blog))  # until its feed is read
                continue
            for post_request in self.post_requests(archived.posts(blog), home_url(blog)):
                yield post_request

    # -- requests ---------------------------------------------------------------------------

    def blog_request(self, url: str, depth: int) -> scrapy.Request | None:
        """The request for a blog's home page, once per blog, at the lowest depth it is seen."""
        home = home_url(url)
        if home in self.depth_of:
            return None
        self.depth_of[home] = depth
        start = url if depth == 0 else home
        # in a distributed crawl, Redis' duplicate filter is what keeps a blog to one worker
        return self.page_request(
            start, home, "home", self.parse_home, dont_filter=not self.distributed
        )

    def page_request(
        self, url: str, blog: str, kind: str, callback: Any, **kwargs: Any
    ) -> scrapy.Request | None:
        """A request for a page of ``blog``, unless the blog's page cap or request budget is
        reached (a post not asked for is noted in the blog's report, with which)."""
        cap = self.max_pages
        if self.platform_of.get(blog) == "generic" and self.generic_max_pages:
            cap = min(cap, self.generic_max_pages) if cap else self.generic_max_pages
        budget = self.budget_of(blog)
        why = None
        if cap and self.pages_of[blog] >= cap:
            why = f"the blog's page cap ({cap} requests) was reached"
        elif budget and self.pages_of[blog] >= budget:
            why = (
                f"the blog's request budget ({budget} requests: {self.budget_base} + "
                f"{self.budget_per_post} a post for {self.known_posts(blog)} posts) was reached"
            )
        if why is not None:
            self.crawler.stats.inc_value("blogarchive/capped")  # type: ignore[union-attr]
            report = self.report_for(blog)
            if report.stops.get("crawl") is None:
                self.logger.warning("%s: %s; no more requests for it", blog, why)
            report.stop("crawl", why)
            if kind == "post":
                report.add_unasked(post_permalink(canonical_url(url)), f"not fetched: {why}")
            return None
        self.pages_of[blog] += 1
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.failed,
            meta={"blog": blog, "kind": kind, **kwargs.pop("meta", {})},
            **kwargs,
        )

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

    def linked_posts(
        self, links: tuple[str, ...], blog: str, page_url: str
    ) -> Iterator[scrapy.Request]:
        """Note the posts a page links to as found by the html route, and ask for them, but
        for the page itself and the permalinks some route found before: that route asked for
        them already (or left them to their feed's word), and a request that Scrapy's
        duplicate filter then drops costs the crawl's process nearly what a fetch does
        (``bench/scrapy_floor.py``); each post page links to itself and to its neighbours.
        Other links (a post's other pages of comments) are asked for as they are."""
        report = self.report_for(blog)
        canonical = list(dict.fromkeys(map(canonical_url, links)))
        found = report.found_before(canonical)
        unseen = [
            link
            for link in canonical
            if link != page_url and (link != post_permalink(link) or link not in found)
        ]
        report.add_found("html", map(post_permalink, links))
        yield from self.post_requests(unseen, blog, suggested=True)

    def post_requests(
        self, urls: Iterable[str], blog: str, *, suggested: bool = False
    ) -> Iterator[scrapy.Request]:
        """Requests for the posts at ``urls`` (read a few hundred at a time: a blog's archived
        posts come from the archive as they are asked for), but for those of other sites and
        archived posts whose feed entry decides (``pending``). Links between pages only
        ``suggested`` as posts are asked for only where their address may be a post's; what a
        route lists as a post is asked for whatever its address (``/?p=2895``, ``/2320``)."""
        wanted = (url for url in _on_blog(urls, blog) if not suggested or may_be_post(url))
        for chunk in chunked(wanted):
            held = self.pending.held(chunk) if self.pending is not None else ()
            for url in chunk:
                if url in held:
                    continue
                request = self.page_request(url, blog, "post", self.parse_page)
                if request is not None:
                    yield request

    def routed(self, urls: Iterable[str], blog: str) -> list[str]:
        """The permalinks a route gives, canonical and on the blog's origin (``www.`` and
        ``http``/``https`` variants of its own posts), others' dropped, in order, once each."""
        return list(dict.fromkeys(_on_blog(urls, blog)))

    # -- a refresh that trusts the feed -----------------------------------------------------

    def vouches(self, entry: FeedEntry, state: tuple[str | None, int] | None) -> bool:
        """Does this feed entry say the archived post is as the archive last saw it (``state``:
        when its page last answered and the comments archived, from
        :meth:`ArchiveReader.states`)? An entry that counts other comments than the archive
        holds is noted in ``comments_differ``."""
        checked, comments = state or (None, None)
        if checked is None or entry.updated is None or entry.comment_count is None:
            return False
        if entry.comment_count != comments:
            self.comments_differ.add(entry.url)
            return False
        try:
            updated = datetime.fromisoformat(entry.updated)
            seen = datetime.fromisoformat(checked)
        except ValueError:
            return False
        if updated.tzinfo is None or seen.tzinfo is None:
            return False
        return updated <= seen - FEED_TRUST_MARGIN

    def vouch(self, blog: str, feed: Feed) -> Iterator[Any]:
        """The archived posts this feed page lists unchanged: seen, not asked for (the page's
        posts looked up together: a refresh of an unchanged blog does little else)."""
        pending, archived = self.pending, self.archived
        if pending is None or archived is None or not pending.waiting(blog):
            return
        waiting = pending.waits(entry.url for entry in feed.entries)
        listed: dict[str, FeedEntry] = {}
        for entry in feed.entries:
            if entry.url in waiting:
                listed.setdefault(entry.url, entry)  # a post listed twice: its first entry
        states = archived.states(listed)
        unchanged = [url for url, entry in listed.items() if self.vouches(entry, states.get(url))]
        pending.discard(set(listed).difference(unchanged))
        if unchanged:
            pending.vouch(unchanged)
            self.report_for(blog).add_archived(*unchanged)
            self.crawler.stats.inc_value("blogarchive/unchanged_in_feed", len(unchanged))  # type: ignore[union-attr]
            yield SeenItem(blog_url=blog, urls=tuple(unchanged))

    def release(self, blog: str) -> Iterator[scrapy.Request]:
        """Ask for the blog's archived posts its feed did not vouch for (all of them when the
        feed could not be read whole)."""
        if self.pending is not None:
            yield from self.post_requests(self.pending.release(blog), blog)

    def release_pending(self) -> None:
        """On idle: whatever still waits is asked for (a blog whose home or feed never came)."""
        blogs = self.pending.blogs() if self.pending is not None else []
        if not blogs:
            return
        for blog in blogs:
            for request in self.release(blog):
                self.crawler.engine.crawl(request)  # type: ignore[union-attr]
        raise DontCloseSpider

    # -- callbacks --------------------------------------------------------------------------

    def parse_home(self, response: Response) -> Iterator[Any]:
        blog = response.meta["blog"]
        if not is_html(response):
            reason = f"not HTML: {content_type(response) or 'no content type'}"
            yield BlogItem(url=blog, title=None, platform=None, status="error", error=reason)
            yield self.page_item(response, error=reason)
            return
        assert isinstance(response, TextResponse)
        page = extract_page(page_text(response), response.url)
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
        links = links_to_follow(page_text(response), response.url, page.blog.platform)
        yield from self.linked_posts(links, blog, canonical_url(response.url))
        self.platform_of[blog] = page.blog.platform
        # static pages the menus link to: no posts, but their forms are archived
        for url in menu_links(page_text(response), response.url):
            request = self.page_request(url, blog, "page", self.parse_page)
            if request is not None:
                yield request
        if page.blog.platform != "blogger":
            yield from self.release(blog)  # only a Blogger feed vouches for a post
            yield from self.index_requests(response, blog)
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
        else:
            # the sitemaps the site's robots.txt names (Yoast's sitemap_index.xml, a news
            # site's own), read when the crawl obeyed it, before the home page was fetched
            requests.extend(self.robots_sitemap_requests(blog))
        if platform == "wordpress":
            rest = (
                f"{blog}wp-json/wp/v2/posts?per_page={WORDPRESS_REST_PAGE}&page=1&_fields=id,link"
            )
            requests.append(
                self.page_request(rest, blog, "rest", self.parse_rest, meta={"probe": True})
            )
            requests.append(self.page_request(f"{blog}feed/", blog, "feed", self.parse_feed))
            requests.append(
                self.page_request(f"{blog}wp-sitemap.xml", blog, "sitemap", self.parse_sitemap)
            )
        elif platform != "blogger":
            for feed in feeds:
                if origin(feed) == origin(blog):
                    requests.append(self.page_request(feed, blog, "feed", self.parse_feed))
            requests.append(
                self.page_request(f"{blog}sitemap.xml", blog, "sitemap", self.parse_sitemap)
            )
        yield from (request for request in requests if request is not None)

    async def parse_feed(self, response: Response) -> AsyncIterator[Any]:
        """A feed of posts, read in one of the crawl's extraction processes once a post page
        has started them (a 304's here: its body is the archived one, with nothing to hash or
        compress again)."""
        if response.status == 304:
            feed, stored = extract_feed(response.body, response.url), None
        else:
            feed, stored = await self.extraction.feed(response.body, response.url)
        for result in self.read_feed(response, feed, stored):
            yield result

    def read_feed(
        self, response: Response, feed: Feed, stored: StoredBody | None = None
    ) -> Iterator[Any]:
        """A feed page's posts, noted as found and asked for, and the request for its next page
        (``stored``: its body as the archive keeps it, when a worker made it)."""
        blog = response.meta["blog"]
        if not feed.ok:
            yield self.page_item(response, error="not a feed", stored=stored)
            yield from self.release(blog)
            return
        yield self.page_item(response, stored=stored)
        report = self.report_for(blog)
        if feed.total is not None:
            report.stated = max(report.stated or 0, feed.total)
            report.stated_by = "feed"
        urls = self.routed((entry.url for entry in feed.entries), blog)
        new = report.add_found("feed", urls)
        if self.platform_of.get(blog) == "blogger":
            yield from self.vouch(blog, feed)
        yield from self.post_requests(urls, blog)
        next_url = self.next_feed_page(response, feed)
        request = None
        if (
            next_url
            and origin(next_url) == origin(blog)
            and self.route_goes_on(report, "feed", response.url, len(urls), new)
        ):
            request = self.page_request(
                next_url, blog, "feed", self.parse_feed, meta={"probe": True}
            )
        if request is not None:
            yield request
        else:
            yield from self.release(blog)  # the whole feed is read

    def route_goes_on(
        self, report: BlogReport, route: str, url: str, entries: int, new: int
    ) -> bool:
        """Whether a paginated route asks for its next page after the page at ``url`` (which
        listed ``entries`` posts, ``new`` of them not listed by the route before). It stops on
        a page that brings nothing new (a server that ignores the page parameter answers the
        first page again), and at a cap: the pages the blog's stated posts fill at this
        route's page size, and a margin, or ``BLOGARCHIVE_ROUTE_MAX_PAGES`` where the blog
        states nothing. The stop and why go in the blog's report."""
        pages = self.route_pages[report.blog, route] = self.route_pages[report.blog, route] + 1
        if not new:
            what = "no post that earlier pages had not" if entries else "no post"
            report.stop(route, f"{url} listed {what} (page {pages})")
            return False
        if pages >= self.route_cap(report, entries):
            report.stop(
                route, f"stopped after {pages} pages, the cap for {report.stated or 0} posts"
            )
            return False
        return True

    def route_cap(self, report: BlogReport, size: int) -> int:
        """The most pages of ``size`` posts a route may take: those the posts the blog states
        fill, and two more and a tenth, or ``BLOGARCHIVE_ROUTE_MAX_PAGES`` where it states
        none (and never more)."""
        stated, size = report.stated or 0, max(size, 1)
        if not stated:
            return self.route_max_pages
        return min(self.route_max_pages, -(-stated // size) + 2 + stated // size // 10)

    def parse_rest(self, response: Response) -> Iterator[Any]:
        """WordPress' REST API: every post's permalink, 100 a page, X-WP-Total stated."""
        blog = response.meta["blog"]
        try:
            posts = json.loads(response.body)
            urls = [canonical_url(post["link"]) for post in posts]
        except (ValueError, TypeError, KeyError):
            yield self.page_item(response, error="not a WordPress REST answer")
            return
        yield self.page_item(response)
        report = self.report_for(blog)
        total = header(response.headers, b"X-WP-Total")
        if total and total.isdigit():
            report.stated, report.stated_by = int(total), "rest"
        urls = self.routed(urls, blog)
        report.add_found("rest", urls)
        yield from self.post_requests(urls, blog)
        pages = header(response.headers, b"X-WP-TotalPages") or "1"
        if re.search(r"[?&]page=1(&|$)", response.url) and pages.isdigit():
            # the pages are asked for at once: capped by what the blog states, not by progress
            cap = self.route_cap(report, WORDPRESS_REST_PAGE)
            if int(pages) > cap:
                report.stop("rest", f"X-WP-TotalPages said {pages}: {cap} asked for")
            for page in range(2, min(int(pages), cap) + 1):
                url = re.sub(r"([?&]page=)1(?=&|$)", rf"\g<1>{page}", response.url)
                request = self.page_request(url, blog, "rest", self.parse_rest)
                if request is not None:
                    yield request

    def parse_index(self, response: Response) -> Iterator[Any]:
        """An index page of a blog that is not on Blogger: its posts and the next index page."""
        blog = response.meta["blog"]
        if not is_html(response):
            yield self.page_item(response, error=f"not HTML: {content_type(response)}")
            return
        assert isinstance(response, TextResponse)
        yield self.page_item(response, kind="index")
        platform = self.platform_of.get(blog, "generic")
        links = links_to_follow(page_text(response), response.url, platform)
        report = self.report_for(blog)
        permalinks = list(dict.fromkeys(map(canonical_url, links)))
        new = report.add_found("index", permalinks)  # new to the index route itself
        yield from self.linked_posts(links, blog, canonical_url(response.url))
        # an index page that lists nothing new ends the index route (a server that ignores
        # ?paged= or /page/N/ answers the first page again, with a "next" link each time)
        if self.route_goes_on(report, "index", response.url, len(permalinks), new):
            yield from self.index_requests(response, blog)

    def index_requests(self, response: TextResponse, blog: str) -> Iterator[scrapy.Request]:
        for url in index_links(page_text(response), response.url):
            if origin(url) == origin(blog):
                request = self.page_request(url, blog, "index", self.parse_index)
                if request is not None:
                    yield request

    @staticmethod
    def next_feed_page(response: Response, feed: Feed) -> str | None:
        """The next page of a feed. Blogger's feeds are paged by start-index, and a page holds
        at most 150 or 500 entries whatever max-results asks: the next page starts after the
        entries received, until the stated total or an empty page. WordPress' by ?paged=N,
        until a page that is empty or missing."""
        if "start-index=" not in response.url:
            if feed.next_url:
                return feed.next_url
            if response.url.rstrip("/").endswith("/feed") or "/feed/?paged=" in response.url:
                if not feed.entries:
                    return None
                match = re.search(r"[?&]paged=(\d+)", response.url)
                following = int(match.group(1)) + 1 if match else 2
                return f"{response.url.split('?')[0]}?paged={following}"
            return None
        start = int(re.search(r"start-index=(\d+)", response.url).group(1))  # type: ignore[union-attr]
        following = start + len(feed.entries)
        if not feed.entries or (feed.total is not None and following > feed.total):
            return None
        return re.sub(r"start-index=\d+", f"start-index={following}", response.url)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        blog = response.meta["blog"]
        try:
            kind, locations = sitemap_locations(response, self.sitemap_max_size)
        except SitemapError as error:
            yield self.page_item(response, error=str(error))
            return
        yield self.page_item(response)
        report = self.report_for(blog)
        if kind == "sitemapindex":
            yield from self.sitemap_requests(blog, locations)
            return
        # a few hundred entries at a time, as the sitemap is read: 50,000 are never held at once
        listed = 0
        route = self.sitemap_route(blog, response.url)
        for chunk in chunked(locations):
            listed += len(chunk)
            urls = self.routed(chunk, blog)
            asked = report.found_before(urls)  # by the route that found them (see linked_posts)
            report.add_found(route, urls)
            yield from self.post_requests((url for url in urls if url not in asked), blog)
        if "wp-sitemap-posts-post-" in response.url and report.stated_by in (None, "sitemap"):
            # WordPress lists its posts (not its pages) in the posts-post sitemaps
            report.stated = (report.stated or 0) + listed
            report.stated_by = "sitemap"

    def robots_answered(self, response: Response, request: scrapy.Request) -> None:
        """Note the sitemaps a robots.txt names (``Sitemap:`` lines), as Scrapy's robots.txt
        middleware fetches it (its request, marked ``dont_obey_robotstxt``), by host."""
        if (
            request.meta.get("dont_obey_robotstxt")
            and urlsplit(request.url).path == "/robots.txt"
            and response.status == 200
        ):
            self.note_robots(urlsplit(request.url).netloc, response)

    def note_robots(self, host: str, response: Response) -> None:
        """Note the sitemaps that ``host``'s robots.txt (``response``, maybe redirected)
        names."""
        self.robots_sitemaps[host] = robots_sitemaps(response.body, response.url)

    def robots_sitemap_requests(self, blog: str) -> Iterator[scrapy.Request]:
        """The sitemaps that the blog's site's robots.txt names."""
        return self.sitemap_requests(blog, self.robots_sitemaps.get(urlsplit(blog).netloc, ()))

    def sitemap_requests(self, blog: str, locations: Iterable[str]) -> Iterator[scrapy.Request]:
        """The requests for the sitemaps at ``locations`` (a sitemap index's, a robots.txt's)
        that are on the blog's origin and may list posts, under the route's cap on
        sitemaps."""
        report = self.report_for(blog)
        for location in locations:
            if origin(location) != origin(blog) or NOT_POST_SITEMAPS.search(location):
                continue
            sitemaps = self.route_pages[blog, "sitemaps"] = self.route_pages[blog, "sitemaps"] + 1
            if sitemaps > self.route_max_pages:
                report.stop("sitemap", f"more than {self.route_max_pages} sitemaps listed")
                return
            request = self.page_request(location, blog, "sitemap", self.parse_sitemap)
            if request is not None:
                yield request

    def sitemap_route(self, blog: str, url: str) -> str:
        """``sitemap`` for a sitemap of posts (Blogger's ``sitemap.xml``, WordPress' posts
        sitemaps), whose every URL is a post; ``sitemap-other`` for one that lists a site's
        pages of any kind, each of which its page shows to be a post or not."""
        if self.platform_of.get(blog) == "blogger" and "sitemap-pages" not in url:
            return "sitemap"
        return "sitemap" if POST_SITEMAPS.search(url) else "sitemap-other"

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        """A page that may hold a post: archive the post, or only the forms of other pages.
        Its extraction runs in one of the crawl's extraction processes when it has any
        (``BLOGARCHIVE_EXTRACT_PROCESSES``), in this one otherwise."""
        unread = self.unread(response)
        if unread is not None:
            for item in unread:
                yield item
            return
        assert isinstance(response, TextResponse)
        platform = self.platform_of.get(response.meta["blog"])
        page, links, stored = await self.extraction.extract(
            page_text(response), response.body, response.url, platform
        )
        if self.extraction.processes:  # (not when the workers stopped and this process took over)
            self.crawler.stats.inc_value("blogarchive/extracted_in_workers")  # type: ignore[union-attr]
        for result in self.archive_page(response, page, links, stored):
            yield result

    def unread(self, response: Response) -> list[Any] | None:
        """The items of a post page's response that is not to be read (not HTML, or a 304 for a
        page the archive holds); ``None`` for one to read."""
        blog = response.meta["blog"]
        if not is_html(response):
            return [self.page_item(response, error=f"not HTML: {content_type(response)}")]
        url = post_permalink(canonical_url(response.url))
        if response.status != 304 or url not in self.archived_comments:
            return None
        if url in self.comments_differ:
            return None  # the page is as archived, but not the comments the archive holds
        # unchanged since the archive read it: same post, same comments (a new or deleted
        # comment changes the page), nothing to extract again
        self.report_for(blog).add_archived(url)
        return [self.page_item(response), SeenItem(blog_url=blog, urls=(url,))]

    def archive_page(
        self,
        response: TextResponse,
        page: Page,
        links: tuple[str, ...],
        stored: StoredBody | None = None,
    ) -> Iterator[Any]:
        """The items of an extracted page (``stored``: its body as the archive keeps it, when a
        worker made it), and the requests for the posts it links to."""
        blog = response.meta["blog"]
        page_url = canonical_url(response.url)
        report = self.report_for(blog)
        # the addresses the post was asked for and answered at (redirects, variants)
        addresses = tuple(
            dict.fromkeys(
                post_permalink(canonical_url(url))
                for url in (*response.meta.get("redirect_urls", ()), response.url)
            )
        )
        post, evidence = page.post, page.evidence
        if post is None and not evidence.startswith(DECIDED) and self.announced(report, addresses):
            # a route lists it as a post: its address or a short body does not make it less so
            post = announced_post(page_text(response), response.url)
            evidence = "listed as a post by a route of the blog" if post else evidence
        if post is None:
            for address in addresses:
                report.add_not_post(address, evidence)
            yield self.page_item(response, kind="page", stored=stored)
            if page.forms:
                yield FormsItem(blog_url=blog, page_url=page_url, forms=page.forms)
        else:
            yield self.page_item(response, stored=stored)
            report.add_archived(post.url, *addresses)
            platform = page.blog.platform
            feed = self.comment_feed_request(blog, post, page_url, platform)
            comments = page.comments
            read = post is page.post and not comments_from_feed(post, platform)
            if not read and (feed is None or self.comment_feeds.get(blog) is None):
                # the extraction left them to the feed: read here when the feed will not come
                # (the page cap, comment feeds that fail on this blog) or may fail (none of
                # this blog's has answered yet), so that a failed feed costs no second fetch
                comments, read = extract_comments(page_text(response), response.url), True
            complete = read and self.shows_every_comment(post, comments, links, page_url)
            if feed is not None and read:
                feed.meta["shown_comments"] = comments
                feed.meta["shows_every_comment"] = complete
            observations = page.key_observations
            if post is not page.post:  # (the extraction reads them only of what it calls posts)
                observations = extract_observations(page_text(response), response.url)
            yield PostItem(
                blog_url=blog,
                post=post,
                comments=() if feed is not None else comments,
                key_observations=observations,
                forms=page.forms,
                page_url=page_url,
                addresses=addresses,
            )
            if feed is not None:
                yield feed
            elif complete:
                yield self.every_comment(blog, post.url, comments)
        yield from self.linked_posts(links, blog, page_url)

    @staticmethod
    def announced(report: BlogReport, addresses: Iterable[str]) -> bool:
        """Whether a route that lists posts as posts gave one of ``addresses``."""
        sql = "SELECT DISTINCT url FROM found WHERE blog = ? AND route IN ({}) AND url IN ({{}})"
        sql = sql.format(", ".join(f"'{route}'" for route in ANNOUNCING_ROUTES))
        return bool(among(report.store, sql, addresses, report.blog))

    @staticmethod
    def shows_every_comment(
        post: Post, comments: tuple[Any, ...], links: tuple[str, ...], page_url: str
    ) -> bool:
        """Whether a post page shows every comment of its post: comments on one page (no link
        to another page of them), as many as the page states, each with its id on the site.
        Only then does a comment the archive holds but the page lacks count as deleted."""
        if COMMENT_PAGE.search(page_url) or any(COMMENT_PAGE.search(link) for link in links):
            return False
        if not all(comment.platform_id for comment in comments):
            return False
        if post.comment_count is None:
            return bool(comments)  # (a page that states no count and shows none says nothing)
        return post.comment_count == len(comments)

    def comment_feed_request(
        self, blog: str, post: Post, page_url: str, platform: str
    ) -> scrapy.Request | None:
        """Blogger: the post's comment feed holds every comment (a post page shows at most
        200), with replies' parents and times in the blog's offset. Should the feed fail, the
        post's page (``page_url``) is asked for again for the comments it shows
        (:meth:`shown_comments_request`): the extraction did not read them
        (:func:`~blogarchive.extraction.comments_from_feed`), and carrying them along in
        every feed's request cost the crawl's process more than the rare second fetch."""
        if platform != "blogger" or not post.platform_id or self.comment_feeds.get(blog) is False:
            return None  # (comment feeds that fail on this blog: its pages show the comments)
        if post.comment_count == 0 and not self.archived_comments.get(post.url):
            return None  # (a post down to no comments whose comments the archive holds: ask)
        url = (
            f"{blog}feeds/{post.platform_id}/comments/default"
            f"?start-index=1&max-results={self.feed_page_size}"
        )
        meta = {"post_url": post.url, "page_url": page_url}
        return self.page_request(url, blog, "comments", self.parse_comment_feed, meta=meta)

    async def parse_comment_feed(self, response: Response) -> AsyncIterator[Any]:
        """A post's comment feed, read in one of the crawl's extraction processes when it has
        any."""
        feed, stored = await self.extraction.comment_feed(response.body, response.url)
        for result in self.read_comment_feed(response, feed, stored):
            yield result

    def read_comment_feed(
        self, response: Response, feed: CommentFeed, stored: StoredBody | None = None
    ) -> Iterator[Any]:
        """A comment feed's page, its comments, and the request for its next page."""
        blog, post_url = response.meta["blog"], response.meta["post_url"]
        if not feed.ok:
            yield self.page_item(response, error="not a feed", stored=stored)
            if response.meta.get("page_url"):
                self.comment_feeds.setdefault(blog, False)
                yield from self.shown_comments(response.meta)
            return
        self.comment_feeds[blog] = True
        yield self.page_item(response, stored=stored)
        start = int(re.search(r"start-index=(\d+)", response.url).group(1))  # type: ignore[union-attr]
        comments = tuple(
            dataclasses.replace(comment, position=start + n)
            for n, comment in enumerate(feed.comments)
        )
        yield CommentsItem(blog_url=blog, post_url=post_url, comments=comments, stated=feed.total)
        seen = self.comment_ids.setdefault(post_url, set())
        before = len(seen)
        seen.update(c.platform_id for c in comments if c.platform_id)
        if comments and len(seen) == before:
            # a page of comments all read before (the server ignores start-index): the end
            self.report_for(blog).stop("comments", f"{response.url} listed no new comment")
            self.comment_ids.pop(post_url, None)
            return
        following = start + len(comments)
        if feed.total is not None and following > feed.total:
            del self.comment_ids[post_url]  # the feed's last page: nothing to remember
            if len(seen) >= feed.total:
                # the whole feed read: a comment the archive holds that it no longer lists is gone
                yield CommentsSeenItem(
                    blog_url=blog, post_url=post_url, platform_ids=frozenset(seen)
                )
        if comments and (feed.total is None or following <= feed.total):
            url = re.sub(r"start-index=\d+", f"start-index={following}", response.url)
            request = self.page_request(
                url,
                blog,
                "comments",
                self.parse_comment_feed,
                meta={"post_url": post_url},
            )
            if request is not None:
                yield request

    @staticmethod
    def every_comment(blog: str, post_url: str, comments: tuple[Comment, ...]) -> CommentsSeenItem:
        """The comments of a page that shows all of its post's: the archive's others are gone
        from the site."""
        return CommentsSeenItem(
            blog_url=blog,
            post_url=post_url,
            platform_ids=frozenset(c.platform_id for c in comments if c.platform_id),
        )

    def shown_comments(self, meta: dict[str, Any]) -> Iterator[Any]:
        """For a post whose comment feed failed: the comments its page showed, read when the
        page came (``shown_comments``), or else the page asked for again for them."""
        shown = meta.get("shown_comments")
        if shown is None:
            yield self.shown_comments_request(meta)
            return
        yield CommentsItem(blog_url=meta["blog"], post_url=meta["post_url"], comments=shown)
        if meta.get("shows_every_comment"):
            yield self.every_comment(meta["blog"], meta["post_url"], shown)

    def shown_comments_request(self, meta: dict[str, Any]) -> scrapy.Request:
        """The post page of a comment feed whose first page failed, asked for again for the
        comments it shows (outside the blog's page cap, and past the duplicate filter)."""
        return scrapy.Request(
            meta["page_url"],
            callback=self.parse_shown_comments,
            errback=self.shown_comments_failed,
            dont_filter=True,
            meta={"blog": meta["blog"], "kind": "post", "post_url": meta["post_url"]},
        )

    def parse_shown_comments(self, response: Response) -> Iterator[Any]:
        """The comments a post's page shows, kept for a post whose comment feed failed (the
        page itself is archived already)."""
        if not is_html(response):
            self.logger.warning("%s: not HTML, its comments not read", response.url)
            return
        assert isinstance(response, TextResponse)
        text = page_text(response)
        page = extract_page(text, response.url, blog_links=False)
        # (read of what the extraction calls a post only: a post a route forced is not one)
        comments = page.comments if page.post is not None else extract_comments(text, response.url)
        blog, post_url = response.meta["blog"], response.meta["post_url"]
        yield CommentsItem(blog_url=blog, post_url=post_url, comments=comments)
        if page.post is not None and self.shows_every_comment(
            page.post, comments, (), canonical_url(response.url)
        ):
            yield self.every_comment(blog, post_url, comments)

    def shown_comments_failed(self, failure: Failure) -> None:
        """A post page asked for again for its comments that failed this time: noted, and
        left for the next refresh (the archive holds fewer comments than the feed counts, so
        the next refresh reads the post again); the page's archived row stands."""
        request = failure.request  # type: ignore[attr-defined]
        self.crawler.stats.inc_value("blogarchive/failed")  # type: ignore[union-attr]
        _, reason, _ = describe_failure(failure)
        self.logger.warning("%s: its comments not read (its comment feed failed): %s",
                            request.url, reason)  # fmt: skip

    # -- failures ---------------------------------------------------------------------------

    def failed(self, failure: Failure) -> Iterator[Any]:
        """Record a request that failed; a start page that failed marks its blog."""
        request = failure.request  # type: ignore[attr-defined]
        blog = request.meta["blog"]
        kind = request.meta["kind"]
        status, reason, blog_status = describe_failure(failure)
        # recorded under the URL that was asked for, with the redirects that led elsewhere
        chain = [*request.meta.get("redirect_urls", []), request.url]
        asked = chain[0]
        if len(chain) > 1 and not failure.check(RedirectLoop):
            reason = f"{reason} (redirected: {' -> '.join(chain)})"
        if kind in ("home", "feed"):
            yield from self.release(blog)  # the feed will not vouch: ask for every post
        if request.meta.get("probe") and status is not None and 400 <= status < 500:
            # a route the site does not offer (REST disabled, the page after a feed's last)
            yield PageItem(
                url=request.url, blog_url=blog, kind=kind, status=status, fetched_at=now()
            )
            return
        self.crawler.stats.inc_value("blogarchive/failed")  # type: ignore[union-attr]
        self.logger.warning("%s: %s", asked, reason)
        if kind == "home":
            yield BlogItem(url=blog, title=None, platform=None, status=blog_status, error=reason)
        if kind == "post":
            self.report_for(blog).add_failed(post_permalink(canonical_url(asked)), reason)
            if status in (404, 410) and len(chain) == 1:
                # the site says the post is gone (a 5xx says nothing; nor does a 404 at the
                # end of redirects, which may be another page's)
                yield GoneItem(
                    blog_url=blog, url=post_permalink(canonical_url(asked)), status=status
                )
        if kind == "comments" and request.meta.get("page_url"):
            self.comment_feeds.setdefault(blog, False)
            yield from self.shown_comments(request.meta)
        yield PageItem(
            url=canonical_url(asked),
            blog_url=blog,
            kind=kind,
            status=status,
            fetched_at=now(),
            error=reason,
        )

    def page_item(
        self,
        response: Response,
        *,
        kind: str | None = None,
        error: str | None = None,
        stored: StoredBody | None = None,
    ) -> PageItem:
        """The fetch of ``response``, with its body as the archive stores it (``stored``, when
        a worker made it already)."""
        headers = response.headers
        if response.status == 304:
            stored = None  # no body: the archived one stands
        elif stored is None:
            stored = StoredBody.of(response.body)
        return PageItem(
            url=canonical_url(response.url)
            if response.meta["kind"] in ("home", "post")
            else response.url,
            blog_url=response.meta["blog"],
            kind=kind or response.meta["kind"],
            status=response.status,
            fetched_at=now(),
            error=error,
            etag=header(headers, b"ETag"),
            last_modified=header(headers, b"Last-Modified"),
            content_type=content_type(response),
            body=stored,
        )


def _on_blog(urls: Iterable[str], blog: str) -> Iterator[str]:
    """``urls`` canonical and on ``blog``'s origin (:func:`~extract.urls.on_blog`), in order;
    other sites' left out."""
    for url in urls:
        own = on_blog(canonical_url(url), blog)
        if own is not None:
            yield own
