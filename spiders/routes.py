"""The routes to every post of a blog: its feeds (Blogger's paged Atom feed, WordPress' RSS,
autodiscovered feeds), WordPress' REST API, its index pages and its sitemaps (those robots.txt
names too). Each paginated route stops on a page that brings nothing new and under a cap, and
the blog's report says why it stopped.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from blogarchive.items import SeenItem, StoredBody
from blogarchive.pageitems import links_to_follow, page_items, sitemap_route
from blogarchive.reader import chunked
from blogarchive.report import BlogReport
from blogarchive.responses import header
from blogarchive.sitemaps import SitemapError, robots_sitemaps, sitemap_entries
from extract.feedposts import FeedPost, extract_feed_posts
from extract.feeds import Feed, extract_feed
from extract.post import index_links
from extract.urls import canonical_url, on_blog, origin, post_permalink
from spiders.base import BlogCrawl, routed

#: Posts asked for per page of WordPress' REST API (its maximum).
WORDPRESS_REST_PAGE = 100
#: Sitemaps of a sitemap index that list no posts: WordPress core's sitemaps of categories,
#: tags and authors (its ``wp-sitemap-taxonomies-*`` and ``wp-sitemap-users-*``).
NOT_POST_SITEMAPS = re.compile(r"wp-sitemap-(taxonomies|users)-")


class Routes(BlogCrawl):
    """The blog spider's part that reads the routes to a blog's posts."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: the sitemaps each host's robots.txt names (:meth:`robots_answered`)
        self.robots_sitemaps: dict[str, list[str]] = {}
        #: blog -> the post links its pages show, of a blog whose sitemap waits for its feed
        #: (a Blogger blog's; with ``--from-feeds``, any blog's, and then its pages' links
        #: wait too): asked for once its feed is read, where it lists fewer posts than it
        #: counts (:meth:`release`)
        self.after_feed: dict[str, tuple[str, ...]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.robots_answered, signal=signals.response_received)
        return spider

    def discovery_requests(
        self, blog: str, platform: str, feeds: tuple[str, ...]
    ) -> Iterator[scrapy.Request]:
        """The routes to every post of a blog: its feeds and sitemaps, by platform."""
        requests: list[scrapy.Request | None] = []
        if platform == "blogger":
            feed = f"{blog}feeds/posts/default?start-index=1&max-results={self.feed_page_size}"
            requests.append(self.page_request(feed, blog, "feed", self.parse_feed))
            if not self.distributed:
                # asked once the feed is read, for what it did not list (:meth:`release`): a
                # feed that lists every post it counts leaves the sitemap nothing to add
                self.after_feed.setdefault(blog, ())
            else:  # (the feed's pages go to any worker: none knows when it is read)
                requests.append(
                    self.page_request(f"{blog}sitemap.xml", blog, "sitemap", self.parse_sitemap)
                )
        else:
            # the sitemaps the site's robots.txt names (Yoast's sitemap_index.xml, a news
            # site's own), read when the crawl obeyed it, before the home page was fetched
            requests.extend(self.robots_sitemap_requests(blog))
        if platform == "wordpress":
            rest = (
                f"{blog}wp-json/wp/v2/posts?per_page={WORDPRESS_REST_PAGE}&page=1"
                "&_fields=id,link,modified_gmt"
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
            if self.from_feeds:
                # asked once the feed is read, for what it did not list (:meth:`release`)
                self.after_feed.setdefault(blog, ())
            else:
                requests.append(
                    self.page_request(f"{blog}sitemap.xml", blog, "sitemap", self.parse_sitemap)
                )
        yield from (request for request in requests if request is not None)

    async def parse_feed(self, response: Response) -> AsyncIterator[Any]:
        """A feed of posts, read in one of the crawl's extraction processes once a post page
        has started them (a 304's here: its body is the archived one, with nothing to hash or
        compress again)."""
        posts = None
        from_feeds = self.from_feeds and response.meta["blog"] in self.after_feed
        if response.status == 304:
            feed, stored = extract_feed(response.body, response.url), None
            if from_feeds:  # (its posts, archived from it before, are archived again as such)
                posts = extract_feed_posts(response.body, response.url)
        elif from_feeds:
            feed, posts, stored = await self.extraction.feed_posts(response.body, response.url)
        else:
            feed, stored = await self.extraction.feed(response.body, response.url)
        for result in self.read_feed(response, feed, stored, posts):
            yield result

    def read_feed(
        self,
        response: Response,
        feed: Feed,
        stored: StoredBody | None = None,
        posts: tuple[FeedPost, ...] | None = None,
    ) -> Iterator[Any]:
        """A feed page's posts, noted as found and asked for, and the request for its next page
        (``stored``: its body as the archive keeps it, when a worker made it). The ``posts``
        its entries carry whole (``--from-feeds``) are archived from it, not asked for."""
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
        urls = routed((entry.url for entry in feed.entries), blog)
        new = report.add_found("feed", urls)
        yield from self.doubt(
            blog,
            {
                on_blog(entry.url, blog) or entry.url: (entry.updated, entry.comment_count)
                for entry in feed.entries
            },
        )
        unchanged: set[str] = set()
        if self.platform_of.get(blog) == "blogger":
            for seen in self.vouch(blog, feed):
                unchanged.update(seen.urls)
                yield seen
        if posts:
            carried = {
                own: entry
                for entry in posts
                if entry.post is not None and (own := on_blog(entry.url, blog)) is not None
            }
            if self.trust is not None:
                # (in a refresh, an archived post the feed says is unchanged, on this page or
                # on an earlier one that listed it too, is not taken again)
                unchanged.update(self.trust.held(carried))
            whole = {url: entry for url, entry in carried.items() if url not in unchanged}
            capture_id = self.fetched(response, stored).capture_id
            yield from self.archive_feed_posts(blog, whole, capture_id)
            urls = [url for url in urls if post_permalink(url) not in whole]
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

    def release(self, blog: str) -> Iterator[scrapy.Request]:
        """As :meth:`BlogCrawl.release`; and for a blog whose sitemap waits for its feed, once
        the feed is read (or failed), its sitemap and the posts its pages link to (with
        ``--from-feeds``), where the feed listed fewer posts than it counts or counted none."""
        yield from super().release(blog)
        links = self.after_feed.pop(blog, None)
        if links is None:
            return
        report = self.report_for(blog)
        stated_by = report.stated_by if report.stated_by in ("feed", "rest") else "feed"
        if report.stated is not None and report.route_counts[stated_by] >= report.stated:
            return  # the feed listed every post it states the blog holds
        yield from self.waiting_routes(blog)
        yield from self.linked_posts(links, blog, blog)

    def waiting_routes(self, blog: str) -> Iterator[scrapy.Request]:
        """The routes that wait for a blog's feed, asked for where it fell short: its
        sitemap."""
        sitemap = self.page_request(f"{blog}sitemap.xml", blog, "sitemap", self.parse_sitemap)
        if sitemap is not None:
            yield sitemap

    def doubt(
        self, blog: str, stated: dict[str, tuple[str | None, int | None]]
    ) -> Iterator[scrapy.Request]:
        """In a refresh, what a route says of archived posts of ``blog``: when each was last
        modified and how many comments it has, by URL (:meth:`FeedTrust.note_stated
        <blogarchive.refresh.FeedTrust.note_stated>`). A post it shows changed whose page
        answered 304 already, taken as it came, is asked for again without validators."""
        if self.trust is None or not stated:
            return
        doubted = self.trust.note_stated(stated)
        for url in sorted(self.report_for(blog).take_believed(doubted)):
            request = self.unconditional_request(url, blog)
            if request is not None:
                yield request

    def unconditional_request(self, url: str, blog: str) -> scrapy.Request | None:
        """A post page asked for again without validators, its 304 not believed (a server
        whose ETag names the address answers 304 after an edit); once: a second 304 is
        taken as it comes."""
        request = self.page_request(
            url, blog, "post", self.parse_page, meta={"unconditional": True}, dont_filter=True
        )
        if request is not None:
            self.crawler.stats.inc_value("blogarchive/doubted_304")  # type: ignore[union-attr]
        return request

    def vouch(self, blog: str, feed: Feed) -> Iterator[SeenItem]:
        """The archived posts this feed page lists unchanged: seen, not asked for (a refresh
        that trusts the feed, :class:`~blogarchive.refresh.FeedTrust`)."""
        unchanged = self.trust.unchanged(blog, feed) if self.trust is not None else []
        if unchanged:
            self.report_for(blog).add_archived(*unchanged)
            self.crawler.stats.inc_value("blogarchive/unchanged_in_feed", len(unchanged))  # type: ignore[union-attr]
            yield SeenItem(blog_url=blog, urls=tuple(unchanged))

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
        yield from self.doubt(
            blog,
            {
                on_blog(url, blog) or url: (f"{post['modified_gmt']}+00:00", None)
                for url, post in zip(urls, posts, strict=True)
                if isinstance(post.get("modified_gmt"), str)
            },
        )
        report = self.report_for(blog)
        total = header(response.headers, b"X-WP-Total")
        if total and total.isdigit():
            report.stated, report.stated_by = int(total), "rest"
        urls = routed(urls, blog)
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
        fetched = self.fetched(response, text=True)
        yield from page_items(fetched).items
        if not fetched.is_html:
            return
        html = fetched.html
        platform = self.platform_of.get(blog, "generic")
        links = links_to_follow(html, response.url, platform)
        report = self.report_for(blog)
        permalinks = list(dict.fromkeys(map(canonical_url, links)))
        new = report.add_found("index", permalinks)  # new to the index route itself
        yield from self.linked_posts(links, blog, canonical_url(response.url))
        # an index page that lists nothing new ends the index route (a server that ignores
        # ?paged= or /page/N/ answers the first page again, with a "next" link each time)
        if self.route_goes_on(report, "index", response.url, len(permalinks), new):
            yield from self.index_requests(html, response.url, blog)

    def index_requests(self, html: str, url: str, blog: str) -> Iterator[scrapy.Request]:
        """The requests for the next index pages an index page (or a home page) at ``url``
        links to."""
        for link in index_links(html, url):
            if origin(link) == origin(blog):
                request = self.page_request(link, blog, "index", self.parse_index)
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
            kind, entries = sitemap_entries(response, self.sitemap_max_size)
        except SitemapError as error:
            yield self.page_item(response, error=str(error))
            return
        yield self.page_item(response)
        report = self.report_for(blog)
        if kind == "sitemapindex":
            yield from self.sitemap_requests(blog, (location for location, _ in entries))
            return
        # a few hundred entries at a time, as the sitemap is read: 50,000 are never held at once
        listed = 0
        route = sitemap_route(response.url, self.platform_of.get(blog))
        # Blogger's sitemap dates each post as its feed does; elsewhere a lastmod is often the
        # sitemap's own date, which would have every archived page asked for again
        blogger = self.platform_of.get(blog) == "blogger"
        for chunk in chunked(entries):
            listed += len(chunk)
            urls = routed((location for location, _ in chunk), blog)
            asked = report.asked_among(urls)  # (see linked_posts)
            report.add_found(route, urls)
            if blogger:
                yield from self.doubt(
                    blog,
                    {
                        own: (modified, None)
                        for location, modified in chunk
                        if modified and (own := on_blog(canonical_url(location), blog)) is not None
                    },
                )
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
