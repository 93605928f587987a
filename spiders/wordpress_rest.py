"""A WordPress blog archived from its REST API (``--from-feeds``): every post from
``/wp-json/wp/v2/posts`` (content, dates, author and terms embedded), every comment from
``/wp-json/wp/v2/comments`` (threaded by ``parent``), no post page fetched.

Both routes are paged at 100 items, every page asked for once the first states how many
(``X-WP-TotalPages``). A post is archived once both routes are read, with its comments and
their count; a post the API gives no content for (password-protected, empty) is fetched as a
page. Should the posts route fail (a site that turns the REST API off answers 401) or list
fewer posts than it states, the blog's other routes (its feed, sitemaps and the posts its pages
link to) are asked for, and their posts fetched as pages; should the comments route fail, the
posts it held are fetched as pages, for the comments their pages show. What waits when the
crawl falls idle (a page of a route that never answered) is fetched as pages too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response

from blogarchive.pageitems import every_comment, rest_post_item
from blogarchive.reader import chunked
from blogarchive.responses import header
from extract.feedposts import FeedPost
from extract.restposts import CommentsByPost, extract_rest_comments, extract_rest_posts
from extract.urls import on_blog
from spiders.base import on_blog_urls, routed
from spiders.routes import WORDPRESS_REST_PAGE as REST_PAGE
from spiders.routes import Routes

#: What a post's page gives, asked of the API (``_links`` and ``_embedded``: the embedded
#: author and terms are kept only where both are named).
POST_FIELDS = "id,link,date,date_gmt,modified,modified_gmt,title,content,_links,_embedded"
COMMENT_FIELDS = "id,post,parent,author_name,author_url,date,date_gmt,content,link"
#: The page number of a REST API page's address.
PAGE_NUMBER = re.compile(r"([?&]page=)(\d+)(?=&|$)")


@dataclass
class _Blog:
    """What a blog's two routes have given so far."""

    #: platform id -> (the post's address on the blog, its entry, the capture it came from)
    posts: dict[str, tuple[str, FeedPost, str | None]] = field(default_factory=dict)
    comments: CommentsByPost = field(default_factory=CommentsByPost)
    #: the comments the comments route counts (``X-WP-Total``), where it says
    comment_total: int | None = None
    #: pages asked for and not yet answered, per route ("posts", "comments")
    pending: dict[str, int] = field(default_factory=lambda: {"posts": 0, "comments": 0})
    #: routes that did not give all they hold (their failure, or pages not asked for)
    failed: dict[str, str] = field(default_factory=dict)
    #: routes whose further pages were asked for: once, whatever answers as a first page
    #: again (a page a server redirects to the first)
    paged: set[str] = field(default_factory=set)


class WordPressRest(Routes):
    """The blog spider's part that archives WordPress blogs from their REST API, in place of
    the routes that find posts to fetch as pages (which wait, :meth:`waiting_routes`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: the blogs whose routes are being read, and what they gave so far
        self.rest_blogs: dict[str, _Blog] = {}
        #: every blog read from its REST API
        self.read_from_rest: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.release_rest_posts, signal=signals.spider_idle)
        return spider

    def reads_rest(self, platform: str) -> bool:
        """Whether a blog of ``platform`` is archived from its REST API."""
        return platform == "wordpress" and self.from_feeds

    def discovery_requests(
        self, blog: str, platform: str, feeds: tuple[str, ...]
    ) -> Iterator[scrapy.Request]:
        """The first page of each of the REST API's routes, for a blog read from them (its
        other routes wait, :meth:`~spiders.routes.Routes.release`); else the blog's routes."""
        if not self.reads_rest(platform):
            yield from super().discovery_requests(blog, platform, feeds)
            return
        self.after_feed.setdefault(blog, ())
        self.read_from_rest.add(blog)
        yield from self.rest_requests(blog)

    def waiting_routes(self, blog: str) -> Iterator[scrapy.Request]:
        """A blog read from its REST API, where the API fell short: its feed and sitemaps
        (those robots.txt names, and WordPress core's)."""
        if blog not in self.read_from_rest:
            yield from super().waiting_routes(blog)
            return
        yield from self.robots_sitemap_requests(blog)
        for url, kind, callback in (
            (f"{blog}feed/", "feed", self.parse_feed),
            (f"{blog}wp-sitemap.xml", "sitemap", self.parse_sitemap),
        ):
            request = self.page_request(url, blog, kind, callback)
            if request is not None:
                yield request

    def post_requests(
        self, urls: Iterable[str], blog: str, *, suggested: bool = False
    ) -> Iterator[scrapy.Request]:
        """As :meth:`~spiders.base.BlogCrawl.post_requests`; on a blog read from its REST
        API, but for the posts archived from it (its feed, read where the API fell short,
        lists them again)."""
        if blog not in self.read_from_rest:
            yield from super().post_requests(urls, blog, suggested=suggested)
            return
        report = self.report_for(blog)
        for chunk in chunked(on_blog_urls(urls, blog)):
            archived = report.archived_among(chunk)
            wanted = [url for url in chunk if url not in archived]
            yield from super().post_requests(wanted, blog, suggested=suggested)

    def rest_requests(self, blog: str) -> Iterator[scrapy.Request]:
        """The first page of each route."""
        state = self.rest_blogs.setdefault(blog, _Blog())
        for route, url, callback in (
            (
                "posts",
                f"{blog}wp-json/wp/v2/posts?per_page={REST_PAGE}&page=1&_embed=1"
                f"&_fields={POST_FIELDS}",
                self.parse_rest_posts,
            ),
            (
                "comments",
                f"{blog}wp-json/wp/v2/comments?per_page={REST_PAGE}&page=1"
                f"&_fields={COMMENT_FIELDS}",
                self.parse_rest_comments,
            ),
        ):
            request = self._route_request(blog, route, url, callback)
            if request is None:
                state.failed.setdefault(route, "not asked for")
            else:
                yield request

    def _route_request(
        self, blog: str, route: str, url: str, callback: Any
    ) -> scrapy.Request | None:
        meta = {"probe": True, "rest_route": route}
        request = self.page_request(url, blog, "rest", callback, meta=meta)
        if request is not None:
            self.rest_blogs[blog].pending[route] += 1
        return request

    def parse_rest_posts(self, response: Response) -> Iterator[Any]:
        """A page of the posts route: its whole posts held, the others asked for as pages (a
        304's body is the archived one: its posts are held again, as they were)."""
        blog = response.meta["blog"]
        entries = extract_rest_posts(response.body, response.url)
        if not _rest_answer(response, entries):
            yield from self._no_rest_answer(response, "posts")
            return
        fetched = self.fetched(response)
        yield fetched.page_item()
        report = self.report_for(blog)
        total = header(response.headers, b"X-WP-Total")
        if total and total.isdigit():
            report.stated, report.stated_by = int(total), "rest"
        urls = routed((entry.url for entry in entries), blog)
        report.add_found("rest", urls)
        state = self.rest_blogs.setdefault(blog, _Blog())
        partial, whole = [], []
        for entry in entries:
            own = on_blog(entry.url, blog)
            if own is None:
                continue
            if entry.post is None or not entry.post.platform_id:
                partial.append(own)
            else:
                state.posts[entry.post.platform_id] = (own, entry, fetched.capture_id)
                whole.append(own)
        report.add_asked(whole)  # (held for the API's comments: a page's link to one is not)
        yield from self.post_requests(partial, blog)
        yield from self._further_pages(response, "posts", self.parse_rest_posts)
        yield from self._answered(blog, "posts")

    def parse_rest_comments(self, response: Response) -> Iterator[Any]:
        """A page of the comments route: its comments held by post."""
        blog = response.meta["blog"]
        comments = extract_rest_comments(response.body, response.url)
        if not _rest_answer(response, comments):
            yield from self._no_rest_answer(response, "comments")
            return
        yield self.page_item(response)
        state = self.rest_blogs.setdefault(blog, _Blog())
        total = header(response.headers, b"X-WP-Total")
        if total and total.isdigit():
            state.comment_total = max(state.comment_total or 0, int(total))
        state.comments.add(comments)
        yield from self._further_pages(response, "comments", self.parse_rest_comments)
        yield from self._answered(blog, "comments")

    def _no_rest_answer(self, response: Response, route: str) -> Iterator[Any]:
        """A page of ``route`` that answered with something else (an error page, a login
        form): kept as a failed fetch, and the route gave less than it holds."""
        why = "not a WordPress REST answer"
        yield self.page_item(response, error=why)
        yield from self.rest_route_failed(response.meta["blog"], route, why)

    def _further_pages(self, response: Response, route: str, callback: Any) -> Iterator[Any]:
        """From the first page of a route: every other page it states it has, asked at once
        (capped by what the blog states for posts, by the route's cap for comments)."""
        blog = response.meta["blog"]
        number = PAGE_NUMBER.search(response.url)
        pages = header(response.headers, b"X-WP-TotalPages") or "1"
        state = self.rest_blogs[blog]
        if number is None or number.group(2) != "1" or not pages.isdigit() or route in state.paged:
            return
        state.paged.add(route)
        report = self.report_for(blog)
        cap = self.route_cap(report, REST_PAGE) if route == "posts" else self.route_max_pages
        if int(pages) > cap:
            why = f"X-WP-TotalPages said {pages}: {cap} asked for"
            report.stop("rest" if route == "posts" else "rest-comments", why)
            state.failed.setdefault(route, why)
        for page in range(2, min(int(pages), cap) + 1):
            url = PAGE_NUMBER.sub(rf"\g<1>{page}", response.url, count=1)
            request = self._route_request(blog, route, url, callback)
            if request is None:
                state.failed.setdefault(route, "a page was not asked for")
            else:
                yield request

    def rest_route_failed(self, blog: str, route: str, why: str) -> Iterator[Any]:
        """A page of a route that failed (an error, an answer that is no REST answer): the
        route gave less than it holds."""
        state = self.rest_blogs.get(blog)
        if state is None:
            return
        state.failed.setdefault(route, why)
        yield from self._answered(blog, route)

    def _answered(self, blog: str, route: str) -> Iterator[Any]:
        """One page of ``route`` answered (or failed); once both routes are read, the posts
        they give."""
        state = self.rest_blogs.get(blog)
        if state is None:
            return
        state.pending[route] -= 1
        if any(state.pending.values()):
            return
        yield from self._archive(blog, self.rest_blogs.pop(blog))

    def _archive(self, blog: str, state: _Blog) -> Iterator[Any]:
        report = self.report_for(blog)
        read = len(state.comments)
        if state.comment_total is not None and read < state.comment_total:
            # (a server that answers its first page whatever page is asked)
            why = f"it listed {read} of the {state.comment_total} comments it counts"
            state.failed.setdefault("comments", why)
        if "comments" in state.failed:
            # the comments are not all known: each post's page shows them
            why = state.failed["comments"]
            report.stop("rest-comments", why)
            self.logger.warning(
                "%s: the REST API did not give every comment (%s); its posts are fetched as"
                " pages, which show them",
                blog,
                why,
            )
            yield from self.post_requests((url for url, _, _ in state.posts.values()), blog)
        else:
            for post_id, (url, entry, capture_id) in state.posts.items():
                item = rest_post_item(blog, url, entry, state.comments.of(post_id), capture_id)
                yield item
                yield every_comment(blog, url, item.comments)
                report.add_from_entry(url, item.post)
        if "posts" in state.failed:
            report.stop("rest", state.failed["posts"])
        yield from self.release(blog)  # (the blog's other routes, where the API fell short)

    def release_rest_posts(self) -> None:
        """On idle: the posts of a blog whose routes never both ended are fetched as pages."""
        if not self.rest_blogs:
            return
        for blog, state in list(self.rest_blogs.items()):
            del self.rest_blogs[blog]
            why = "its routes did not end (a page asked for was never answered)"
            self.report_for(blog).stop("rest", why)
            self.logger.warning("%s: the REST API: %s; its posts are fetched as pages", blog, why)
            urls = [url for url, _, _ in state.posts.values()]
            for request in [*self.post_requests(urls, blog), *self.release(blog)]:
                self.crawler.engine.crawl(request)  # type: ignore[union-attr]
        raise DontCloseSpider


def _rest_answer(response: Response, read: tuple[Any, ...]) -> bool:
    """Whether ``response`` is a page of a REST API's list (``read``: what it gave): an empty
    page is one too, an error page or a login form is not."""
    if response.status not in (200, 304):
        return False
    return bool(read) or response.body.lstrip()[:1] == b"["
