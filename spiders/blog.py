"""The blog spider: from start blogs, find every post through the routes each site offers.

Routes, per blog: its feeds (Blogger's paged Atom feed, WordPress' RSS, autodiscovered feeds),
its sitemaps, the posts its home page lists, and links between posts. Each post page is fetched
once (Scrapy's duplicate filter on canonical URLs). Blog-list entries are followed to the
``BLOGARCHIVE_DEPTH``-th hop. A blog that cannot be read is recorded with the reason.

Usage from the repository: ``scrapy crawl blog -a url=URL -s ARCHIVE_DB=archive.db``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any, Final

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from blogarchive.blogcomments import Waiting
from blogarchive.capturing import captured_id
from blogarchive.exceptions import RedirectLoop
from blogarchive.failures import describe_failure
from blogarchive.items import BlogItem, GoneItem, PageItem, SeenItem
from blogarchive.pageitems import (
    FEED,
    FEED_OR_PAGE,
    PAGE,
    Fetched,
    alias_pending,
    feed_post_item,
    foreign_to,
    links_to_follow,
    on_archived_platform,
    page_items,
    shows_comment_times,
)
from blogarchive.reader import ArchiveReader, platforms_held
from blogarchive.refresh import CommentCounts, FeedTrust, PendingPosts, among
from blogarchive.report import ANNOUNCING_ROUTES, BlogReport
from blogarchive.responses import now
from extract import Post
from extract.feedposts import FeedPost
from extract.post import menu_links
from extract.urls import canonical_url, home_url, origin, post_permalink, same_address
from spiders.comment_feeds import CommentFeeds
from spiders.wordpress_rest import WordPressRest

START_URL = re.compile(r"^https?://[^/\s]+", re.IGNORECASE)
#: The priority of a post page that a page read before it names as its canonical address
#: (Scrapy's requests have 0): the sooner it is read, the fewer pages wait for it.
CANONICAL_FIRST: Final = 10


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


class BlogSpider(WordPressRest, CommentFeeds):
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
        self.start_urls, rejected = parse_start_urls(url, urls)
        for bad in rejected:
            self.logger.error("not an http(s) URL, skipped: %s", bad)
        self.start_origins = {origin(u) for u in self.start_urls}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> BlogSpider:
        spider: BlogSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.release_pending, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        if not self.distributed:  # (a worker's are the refresh's, in Redis)
            # (known before any home page answers: a crawl into an archive that holds a blog
            # sees a parked domain at its address as a refresh does)
            self.archived_platform = platforms_held(
                self.refresh_from or self.settings["ARCHIVE_DB"]
            )
        for url in self.start_urls:
            request = self.blog_request(url, depth=0)
            if request is not None:
                yield request
        if not self.refresh_from:
            return
        archived = self.refreshed = ArchiveReader(self.refresh_from)
        pending = None
        if self.trust_feeds and not self.distributed:
            pending = PendingPosts(self.job_folder())
        self.trust = FeedTrust(archived, pending)
        self.archived_comments = CommentCounts(archived)
        for blog in archived.blogs_with_posts():
            self.archived_count[home_url(blog)] = archived.count(blog)
            home = self.blog_request(blog, depth=0)  # a blog not among the start URLs too
            if home is not None:
                yield home
            if pending is not None:
                pending.wait(home_url(blog), archived.posts(blog))  # until its feed is read
                continue
            for post_request in self.post_requests(archived.posts(blog), home_url(blog)):
                yield post_request

    def seed(
        self, url: str, depth: int, max_pages: int, posts: Iterable[str] = ()
    ) -> list[scrapy.Request]:
        """The requests for a start blog handed over with limits of its own (a distributed
        crawl's seeds, each queued by its own ``blogarchive crawl --redis``): ``depth``
        blog-list hops from it and ``max_pages`` a blog (0: no cap), for it and the blogs it
        leads to; and, for a refresh, its archived ``posts``, every one revalidated."""
        home = home_url(url)
        self.limits[home] = (depth, max_pages)
        request = self.blog_request(url, depth=0)
        posts = list(posts)
        self.archived_count[home] = len(posts)
        return [*([request] if request is not None else []), *self.post_requests(posts, home)]

    def blog_request(self, url: str, depth: int, via: str | None = None) -> scrapy.Request | None:
        """The request for a blog's home page, once per blog, at the lowest depth it is seen
        (``via``: the blog whose list named it, whose limits it takes)."""
        home = home_url(url)
        if home in self.depth_of:
            return None
        self.depth_of[home] = depth
        if via in self.limits:
            self.limits.setdefault(home, self.limits[via])
        start = url if depth == 0 else home
        # in a distributed crawl, Redis' duplicate filter is what keeps a blog to one worker
        return self.page_request(
            start, home, "home", self.parse_home, dont_filter=not self.distributed
        )

    def release_pending(self) -> None:
        """On idle: whatever still waits is asked for (a blog whose home or feed never came,
        or whose feed's next page was not asked for)."""
        blogs = list(self.trust.waiting_blogs()) if self.trust is not None else []
        blogs += [blog for blog in self.after_feed if blog not in blogs]
        if not blogs:
            return
        for blog in blogs:
            for request in self.release(blog):
                self.crawler.engine.crawl(request)  # type: ignore[union-attr]
        raise DontCloseSpider

    # -- home and post pages ---------------------------------------------------------------

    def parse_home(self, response: Response) -> Iterator[Any]:
        """A blog's home page: the blog, the routes to its posts, the posts and static pages
        it links to, and the blogs its blog list names (to the crawl's depth)."""
        blog = response.meta["blog"]
        fetched = self.fetched(response, text=True)
        read = page_items(fetched)
        why = foreign_to(read.page, self.archived_platform.get(blog)) if read.page else None
        if why is not None:
            yield from self.foreign_home(fetched, read.items, why)
            return
        yield from read.items
        if read.page is None:
            return  # (not HTML)
        html, platform = fetched.html, read.page.blog.platform
        yield from self.discovery_requests(blog, platform, read.page.blog.feeds)
        if platform == "blogger" and self.from_feeds:
            # (a crawl of pages asks for it once a page does not show its comments' times)
            comments_request = self.blog_comment_feed_request(blog)
            if comments_request is not None:
                yield comments_request
        links = links_to_follow(html, response.url, platform)
        if self.from_feeds and blog in self.after_feed:
            self.after_feed[blog] = links  # (its feed gives its posts: these only if it fails)
        else:
            yield from self.linked_posts(links, blog, canonical_url(response.url))
        self.platform_of[blog] = platform
        # static pages the menus link to: no posts, but their forms are archived
        for url in menu_links(html, response.url):
            request = self.page_request(url, blog, "page", self.parse_page)
            if request is not None:
                yield request
        if platform != "blogger" and blog not in self.read_from_rest:
            yield from self.release(blog)  # only a Blogger feed vouches for a post
            yield from self.index_requests(html, response.url, blog)
        depth = self.depth_of.get(blog, 0)
        if depth < self.limits_of(blog)[0]:
            for link in read.page.blog_links:
                request = self.blog_request(link.target_url, depth + 1, via=blog)
                if request is not None:
                    yield request

    def foreign_home(self, fetched: Fetched, items: Iterable[Any], why: str) -> Iterator[Any]:
        """A home page that is another site's (:func:`~blogarchive.pageitems.foreign_to`): the
        blog keeps the title and platform the archive holds, marked ``error`` with why; none of
        the page's links, routes or forms is taken; the blog's archived posts are asked for
        (each page says what answers at its address now)."""
        blog = fetched.blog
        self.logger.warning("%s: %s", blog, why)
        self.report_for(blog).stop("home", why)  # (no route of it is read)
        self.platform_of[blog] = self.archived_platform[blog]
        yield BlogItem(url=blog, title=None, platform=None, status="error", error=why)
        yield from (item for item in items if isinstance(item, PageItem))
        yield from self.release(blog)

    async def parse_page(self, response: Response) -> AsyncIterator[Any]:
        """A page that may hold a post: archive the post, or only the forms of other pages.
        Its extraction runs in one of the crawl's extraction processes when it has any
        (``BLOGARCHIVE_EXTRACT_PROCESSES``), in this one otherwise."""
        fetched = self.fetched(response, text=True)
        blog = fetched.blog
        if fetched.kind == "post" and self.sent_home(blog, fetched.redirects, response.url):
            return  # (the home page is the home's request's to archive)
        if self.doubted(response):
            # a route says the post changed since the archive checked its page
            request = self.unconditional_request(response.url, blog)
            if request is not None:
                yield request
                return
        if fetched.is_html and self.unchanged(response):
            url = post_permalink(canonical_url(response.url))
            # unchanged since the archive read it: same post, same comments (a new or deleted
            # comment changes the page), nothing to extract again; unless a route read later
            # says otherwise (:meth:`doubt`)
            self.report_for(blog).add_archived(url)
            if self.trust is not None and not response.meta.get("unconditional"):
                self.report_for(blog).add_believed(url)
            yield fetched.page_item()
            yield SeenItem(blog_url=blog, urls=(url,))
            return
        extracted = None
        if fetched.is_html:
            page, links, stored = await self.extraction.extract(
                fetched.html, response.body, response.url, self.platform_of.get(blog)
            )
            extracted, fetched = (page, links), dataclasses.replace(fetched, stored=stored)
            if self.extraction.processes:  # (not when the workers stopped and this one took over)
                self.crawler.stats.inc_value("blogarchive/extracted_in_workers")  # type: ignore[union-attr]
        checked = "alias_checked" in response.meta  # (its canonical page read first)
        for result in self.archive_page(fetched, extracted, may_wait=not checked):
            yield result

    def holds_text(self, report: BlogReport) -> Callable[[str, str], bool]:
        """Whether the post at a URL has a text (its ``content_digest``): archived from its own
        page in this crawl, or, in a refresh, as the archive holds it (a page answered 304 is
        not read again)."""
        archived = self.refreshed
        if archived is None:
            return report.holds_text
        return lambda url, text: report.holds_text(url, text) or archived.holds_text(url, text)

    def canonical_first(self, fetched: Fetched, canonical: str) -> scrapy.Request | None:
        """The request for the post page that the page ``fetched`` names as its canonical
        address, where that page is not read yet: whether this one is its alias (the same
        text: one post, at the canonical address) or a post of its own is known only from
        it. Once that page is read, or has failed, this one is asked for again and decided
        (:meth:`parse_canonical`); the decision never waits twice. None where the canonical
        page was read already, or the blog's limits leave no room for both requests (the
        page is then decided as it is)."""
        blog = fetched.blog
        url = post_permalink(canonical_url(canonical))
        if self.report_for(blog).settled(url) or self.over_limits(blog, more=1):
            return None  # (nothing to wait for, or no room for the page asked again)
        asked = (*fetched.redirects, fetched.url)[0]  # (its redirects again, as first asked)
        # (before the blog's other pages: any that names it too waits till it is read)
        return self.page_request(
            url, blog, "post", self.parse_canonical, errback=self.canonical_failed,
            dont_filter=True,  # (asked already maybe, but its answer is what this one waits for)
            priority=CANONICAL_FIRST, meta={"alias": (asked, fetched.kind)},
        )  # fmt: skip

    async def parse_canonical(self, response: Response) -> AsyncIterator[Any]:
        """A post page a page named as its canonical address (:meth:`canonical_first`): read
        as any post page, then that page asked for again."""
        async for result in self.parse_page(response):
            yield result
        again = self.alias_again(response.meta, answered=response.url)
        if again is not None:
            yield again

    def canonical_failed(self, failure: Failure) -> Iterator[Any]:
        """The canonical page a page waits for failed: recorded as any page's failure, then
        that page asked for again (it is decided without it)."""
        yield from self.failed(failure)
        again = self.alias_again(failure.request.meta)  # type: ignore[attr-defined]
        if again is not None:
            yield again

    def alias_again(
        self, meta: dict[str, Any], answered: str | None = None
    ) -> scrapy.Request | None:
        """The page that waited for its canonical page, asked for again to be decided (under
        the blog's limits: a request they refuse is noted in its report). None where the
        canonical address redirected to that very page (``answered``): it was read then, as
        the post at the canonical address."""
        url, kind = meta["alias"]
        if answered is not None and same_address(canonical_url(answered), canonical_url(url)):
            return None
        return self.page_request(
            url, meta["blog"], kind, self.parse_page, dont_filter=True,
            meta={"alias_checked": True},
        )  # fmt: skip

    def doubted(self, response: Response) -> bool:
        """Whether a post page's 304 is contradicted by a route: one that says the post changed
        since the archive last checked the page, or a feed entry that counts other comments
        than the archive holds (asked without validators, it is not)."""
        if response.status != 304 or self.trust is None or response.meta.get("unconditional"):
            return False
        url = post_permalink(canonical_url(response.url))
        return url in self.trust.changed or url in self.trust.comments_differ

    def unchanged(self, response: Response) -> bool:
        """Whether a post page answered 304 for a post the archive holds with the comments its
        feed counts: nothing to read."""
        url = post_permalink(canonical_url(response.url))
        if response.status != 304 or url not in self.archived_comments:
            return False
        # (a page as archived, but not the comments the archive holds, is read)
        return self.trust is None or url not in self.trust.comments_differ

    def archive_page(
        self, fetched: Fetched, extracted: Any, *, may_wait: bool = True
    ) -> Iterator[Any]:
        """The items of a post page (:func:`~blogarchive.pageitems.page_items`), its comment
        feed asked for where that gives its comments, the post noted in the blog's report (or
        why it is not one), and the requests for the posts it links to. With ``may_wait``, a
        page that may be an alias of a post not read yet waits for it (:meth:`canonical_first`)."""
        blog, page_url = fetched.blog, canonical_url(fetched.url)
        report = self.report_for(blog)
        if extracted:
            page = on_archived_platform(extracted[0], self.archived_platform.get(blog))
            if page is not extracted[0]:  # another site's: its links are not followed
                extracted = (page, ())
            pending = alias_pending(page, fetched, self.holds_text(report)) if may_wait else None
            first = self.canonical_first(fetched, pending) if pending else None
            if first is not None:
                yield first
                return
        platform = extracted[0].blog.platform if extracted else "generic"
        feed: list[scrapy.Request] = []
        held: list[Any] = []  # (from the blog's comment feed: after the post's own items)
        waits: list[Waiting] = []
        begun: list[scrapy.Request] = []  # (the blog's comment feed, where this page began it)

        def comments_from(post: Post) -> str:
            # (asked only where the page does not give them all): from a feed, asked for once
            # the post is known, its id, its count of comments
            state = self.blog_feed_state(blog)
            if (
                state is None
                and extracted
                and not shows_comment_times(extracted[0].comments)
                and self.wants_comment_feed(post, platform)
            ):
                # the blog's pages show no comment times: its blog-wide feed gives them all
                request = self.blog_comment_feed_request(blog)
                if request is not None:
                    begun.append(request)
                    state = self.blog_feed_state(blog)
            if state is not None and post.platform_id and self.wants_comment_feed(post, platform):
                waiting = Waiting(post.platform_id, post.url, page_url, post.comment_count)
                if not state.ended:
                    waits.append(waiting)  # till the blog's feed is read
                    return FEED if state.answered else FEED_OR_PAGE
                from_blog_feed = self.held_comments(blog, waiting, state.complete)
                if from_blog_feed is not None:
                    held.extend(from_blog_feed)
                    return FEED
                # (else its own feed, as where the blog's is not read)
            request = self.comment_feed_request(blog, post, page_url, platform)
            if request is None:
                return PAGE
            feed.append(request)
            return FEED if self.comment_feeds.get(blog) else FEED_OR_PAGE

        read = page_items(
            fetched,
            extracted,
            announced=lambda page: self.announced(report, fetched.addresses),
            comments_from=comments_from,
            holds_text=self.holds_text(report),
        )
        yield from read.items
        if read.page is None:  # (not HTML)
            for address in fetched.addresses:
                report.add_failed(address, read.error)
            return
        if read.post is None:
            answered = fetched.addresses[-1]
            for address in fetched.addresses:
                evidence = read.evidence
                if not same_address(address, answered):  # (a post's address sent elsewhere)
                    evidence = f"redirected to {answered}: {evidence}"
                report.add_not_post(address, evidence)
        else:
            report.add_archived(read.post.url, *fetched.addresses)
            if read.own_text is not None:
                report.add_text(read.post.url, read.own_text)
        yield from held
        yield from begun
        for waiting in waits:
            if read.comments is not None:  # (what the page shows, should both feeds fail)
                waiting = dataclasses.replace(
                    waiting, shown=read.comments, shows_every_comment=read.shows_every_comment,
                    shown_capture=fetched.capture_id,
                )  # fmt: skip
            self.blog_comments.wait(blog, waiting)
        for request in feed:
            if read.comments is not None:
                request.meta["shown_comments"] = read.comments
                request.meta["shows_every_comment"] = read.shows_every_comment
                request.meta["shown_capture"] = fetched.capture_id
            yield request
        if self.from_feeds and blog in self.after_feed:
            # (its feed, still being read, gives the posts it links to)
            self.after_feed[blog] += read.links
        else:
            yield from self.linked_posts(read.links, blog, page_url)

    def archive_feed_posts(
        self, blog: str, posts: dict[str, FeedPost], capture_id: str | None
    ) -> Iterator[Any]:
        """The posts a page of a Blogger blog's posts feed carries whole, by their address on
        the blog (``--from-feeds``): archived from their entries, with the feed page as their
        capture; their comments wait for the blog-wide comment feed, or come from their own."""
        report = self.report_for(blog)
        report.add_asked(posts)  # (no page of theirs is asked for: their links need not be)
        for url, entry in posts.items():
            item = feed_post_item(blog, url, entry, capture_id)
            yield item
            report.add_from_entry(url, item.post)
            post = item.post
            if not self.wants_comment_feed(post, "blogger"):
                continue
            waiting = Waiting(post.platform_id or "", url, url, post.comment_count)
            state = self.blog_feed_state(blog)
            if state is not None and not state.ended:
                self.blog_comments.wait(blog, waiting)
                continue
            held = None
            if state is not None:
                held = self.held_comments(blog, waiting, state.complete)
            yield from held if held is not None else self.own_comment_feed(blog, waiting)

    @staticmethod
    def announced(report: BlogReport, addresses: Iterable[str]) -> bool:
        """Whether a route that lists posts as posts gave one of ``addresses``."""
        sql = "SELECT DISTINCT url FROM found WHERE blog = ? AND route IN ({}) AND url IN ({{}})"
        sql = sql.format(", ".join(f"'{route}'" for route in ANNOUNCING_ROUTES))
        return bool(among(report.store, sql, addresses, report.blog))

    # -- failures ---------------------------------------------------------------------------

    def failed(self, failure: Failure) -> Iterator[Any]:
        """Record a request that failed; a start page that failed marks its blog."""
        request = failure.request  # type: ignore[attr-defined]
        blog = request.meta["blog"]
        kind = request.meta["kind"]
        status, reason, blog_status = describe_failure(failure)
        capture_id = captured_id(request.meta)
        # recorded under the URL that was asked for, with the redirects that led elsewhere
        chain = [*request.meta.get("redirect_urls", []), request.url]
        asked = chain[0]
        if len(chain) > 1 and not failure.check(RedirectLoop):
            reason = f"{reason} (redirected: {' -> '.join(chain)})"
        if kind in ("home", "feed"):
            yield from self.release(blog)  # the feed will not vouch: ask for every post
        if request.meta.get("blog_feed"):
            yield from self.blog_feed_failed(blog, reason)
        if request.meta.get("rest_route"):
            yield from self.rest_route_failed(blog, request.meta["rest_route"], reason)
        probed = request.meta.get("probe") and status is not None and 400 <= status < 500
        if kind in ("feed", "sitemap", "index") and not probed:
            # the route ends here, short of its end: the report says where and why
            self.report_for(blog).stop(kind, f"{asked} failed: {reason}")
        if probed:
            # a route the site does not offer (REST disabled, the page after a feed's last)
            yield PageItem(
                url=request.url,
                blog_url=blog,
                kind=kind,
                status=status,
                fetched_at=now(),
                capture_id=capture_id,
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
            capture_id=capture_id,
        )
