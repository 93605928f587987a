"""A Blogger post's comments, where its page does not give them as a feed would
(:func:`~blogarchive.pageitems.page_gives_comments`): from its blog's comment feed, or its
own, page by page, and from its page where both fail.

A comment feed holds every comment (a post page shows at most 200), with replies' parents and
times in the blog's offset. Where a blog's pages show no comment times, a crawl reads the
blog-wide feed (``/feeds/comments/default``: a blog's comments in a few requests,
:mod:`blogarchive.blogcomments`), asked for by the first such page; a post whose comments it
does not hold all of (its page counts more) gets its own feed read, as does a post whose page
shows times but not every comment, and every post where the blog-wide feed is not read (a
refresh, a distributed worker) or fails. Should a post's own feed fail, the comments its page
shows are archived instead: read when the page came, or read from the page asked for again.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from blogarchive.blogcomments import (
    BlogComments,
    FeedState,
    Waiting,
    blog_comment_feed_url,
    takes_held,
)
from blogarchive.failures import describe_failure
from blogarchive.items import CommentsItem, CommentsSeenItem, StoredBody
from blogarchive.pageitems import every_comment, page_items, shows_every_comment
from extract import Post, extract_comments, extract_page
from extract.feeds import CommentFeed
from extract.urls import canonical_url
from spiders.base import BlogCrawl


class CommentFeeds(BlogCrawl):
    """The blog spider's part that reads posts' comment feeds."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: post URL -> the ids of the comments its feed listed so far
        self.comment_ids: dict[str, set[str]] = {}
        #: blog -> whether its per-post comment feeds answer (None: not known yet)
        self.comment_feeds: dict[str, bool] = {}
        #: whether Blogger blogs' blog-wide comment feeds are read (``-s
        #: BLOGARCHIVE_BLOG_COMMENT_FEED=False``: one feed a post, as a refresh reads them)
        self.read_blog_comment_feeds = True
        self._blog_comments: BlogComments | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Any:
        spider = super().from_crawler(crawler, *args, **kwargs)
        setting = crawler.settings.getbool("BLOGARCHIVE_BLOG_COMMENT_FEED", True)
        spider.read_blog_comment_feeds = setting
        crawler.signals.connect(spider.close_blog_comments, signal=signals.engine_stopped)
        crawler.signals.connect(spider.end_stalled_blog_feeds, signal=signals.spider_idle)
        return spider

    def wants_comment_feed(self, post: Post, platform: str) -> bool:
        """Whether a post's comments come from a comment feed: a Blogger post with an id, and
        comments (or comments the archive holds: a post down to none asks its feed)."""
        if platform != "blogger" or not post.platform_id:
            return False
        return post.comment_count != 0 or bool(self.archived_comments.get(post.url))

    def comment_feed_request(
        self, blog: str, post: Post, page_url: str, platform: str
    ) -> scrapy.Request | None:
        """The request for a Blogger post's comment feed (none where its page gives the
        comments). Should the feed fail, the post's page (``page_url``) is asked for again for
        the comments it shows (:meth:`shown_comments_request`) unless they were read when it
        came: carrying them along in every feed's request would cost the crawl's process more
        than the rare second fetch."""
        if not self.wants_comment_feed(post, platform) or self.comment_feeds.get(blog) is False:
            return None  # (comment feeds that fail on this blog: its pages show the comments)
        return self.post_comment_feed_request(blog, post.platform_id or "", post.url, page_url)

    def post_comment_feed_request(
        self, blog: str, post_id: str, post_url: str, page_url: str
    ) -> scrapy.Request | None:
        url = (
            f"{blog}feeds/{post_id}/comments/default"
            f"?start-index=1&max-results={self.feed_page_size}"
        )
        meta = {"post_url": post_url, "page_url": page_url}
        return self.page_request(url, blog, "comments", self.parse_comment_feed, meta=meta)

    # -- the blog-wide comment feed ----------------------------------------------------------

    @property
    def blog_comments(self) -> BlogComments:
        if self._blog_comments is None:
            folder = self.job_folder()
            self._blog_comments = BlogComments(folder, keep=bool(folder))
        return self._blog_comments

    def blog_comment_feed_request(self, blog: str) -> scrapy.Request | None:
        """The first page of a Blogger blog's blog-wide comment feed, where the crawl reads it:
        not in a refresh (it asks only for the comments of posts whose count changed), nor on
        a distributed worker (the feed's pages would go to any worker, its posts to others)."""
        if not self.read_blog_comment_feeds or self.distributed or self.refresh_from:
            return None
        url = blog_comment_feed_url(blog, 1, self.feed_page_size)
        meta = {"probe": True, "blog_feed": True}
        request = self.page_request(url, blog, "comments", self.parse_blog_comment_feed, meta=meta)
        if request is not None:
            self.blog_comments.begin(blog)
        return request

    def blog_feed_state(self, blog: str) -> FeedState | None:
        """How far ``blog``'s blog-wide comment feed is read (None: it is not read)."""
        return self._blog_comments.state(blog) if self._blog_comments is not None else None

    def held_comments(self, blog: str, post: Waiting, complete: bool) -> list[Any] | None:
        """The items of the comments of ``post`` its blog's feed held, if all of them (as
        many as its page or feed entry counts; and where the feed was read whole, the
        archive's others are gone); None where it did not hold them all."""
        comments, capture_id = self.blog_comments.of_post(blog, post.post)
        if not takes_held(len(comments), post.count):
            return None
        item = CommentsItem(
            blog_url=blog, post_url=post.url, comments=comments, capture_id=capture_id
        )
        return [item, every_comment(blog, post.url, comments)] if complete else [item]

    def own_comment_feed(self, blog: str, post: Waiting) -> Iterator[Any]:
        """The request for the feed of a post whose comments its blog's feed did not hold all
        of, carrying the comments its page showed where they were read (they are the post's
        should this feed fail, and at once where this blog's own feeds fail)."""
        shown = None
        if post.shown is not None:
            shown = {
                "blog": blog, "post_url": post.url, "shown_comments": post.shown,
                "shows_every_comment": post.shows_every_comment,
                "shown_capture": post.shown_capture,
            }  # fmt: skip
            if self.comment_feeds.get(blog) is False:
                yield from self.shown_comments(shown)
                return
        request = self.post_comment_feed_request(blog, post.post, post.url, post.page_url)
        if request is None:  # (the blog's budget: what the page showed, where read)
            if shown is not None:
                yield from self.shown_comments(shown)
            return
        request.meta.update(shown or {})
        yield request

    async def parse_blog_comment_feed(self, response: Response) -> AsyncIterator[Any]:
        """A page of a blog's blog-wide comment feed, read in one of the crawl's extraction
        processes when it has any."""
        feed, stored = await self.extraction.comment_feed(response.body, response.url)
        for result in self.read_blog_comment_feed(response, feed, stored):
            yield result

    def read_blog_comment_feed(
        self, response: Response, feed: CommentFeed, stored: StoredBody | None = None
    ) -> Iterator[Any]:
        """A page of a blog-wide comment feed: its comments held, and the request for its next
        page; or, on its last page (or where it stops), the comments of the posts that wait."""
        blog = response.meta["blog"]
        fetched = self.fetched(response, stored)
        yield fetched.page_item(error=None if feed.ok else "not a feed")
        state = self.blog_comments.state(blog)
        if state is None or state.ended:
            return  # (a resumed crawl's page of a feed it no longer reads)
        if not feed.ok:
            yield from self.end_blog_feed(blog, f"{response.url} is not a feed")
            return
        new = self.blog_comments.add(blog, feed, fetched.capture_id)
        listed = self.blog_comments.read_page(blog, len(feed.comments), feed.total)
        start = int(re.search(r"start-index=(\d+)", response.url).group(1))  # type: ignore[union-attr]
        following = start + len(feed.comments)
        if feed.comments and not new:
            yield from self.end_blog_feed(blog, f"{response.url} listed no new comment")
            return
        if not feed.comments or (feed.total is not None and following > feed.total):
            short = feed.total is not None and listed < feed.total
            why = f"{response.url} ended it at {listed} of its {feed.total} comments"
            yield from self.end_blog_feed(blog, why if short else None)
            return
        url = blog_comment_feed_url(blog, following, self.feed_page_size)
        meta = {"probe": True, "blog_feed": True}
        request = self.page_request(url, blog, "comments", self.parse_blog_comment_feed, meta=meta)
        if request is None:
            yield from self.end_blog_feed(blog, f"stopped after {listed} comments")
            return
        yield request

    def end_blog_feed(self, blog: str, why: str | None = None) -> Iterator[Any]:
        """``blog``'s feed is read as far as it goes (``why`` it stopped short, where it did):
        the posts that waited get the comments it held, or their own feeds."""
        complete = self.blog_comments.end(blog)
        if why is not None:
            self.report_for(blog).stop("comments", why)
        for waiting in self.blog_comments.release(blog):
            held = self.held_comments(blog, waiting, complete)
            yield from held if held is not None else self.own_comment_feed(blog, waiting)

    def blog_feed_failed(self, blog: str, reason: str) -> Iterator[Any]:
        """A page of ``blog``'s feed that did not answer ends it."""
        state = self.blog_feed_state(blog)
        if state is not None and not state.ended:
            yield from self.end_blog_feed(blog, f"the blog-wide comment feed failed: {reason}")

    def end_stalled_blog_feeds(self) -> None:
        """On idle: a feed still being read has no request left (one a resumed crawl lost):
        it ends, and the posts that wait for it get their own feeds (an idle spider can be
        given requests, not items)."""
        if self._blog_comments is None:
            return
        stalled = self._blog_comments.reading()
        for blog in stalled:
            self._blog_comments.end(blog)
            self.report_for(blog).stop("comments", "no request of it was left")
            for post in self._blog_comments.release(blog):
                for request in self.own_comment_feed(blog, post):
                    if isinstance(request, scrapy.Request):
                        self.crawler.engine.crawl(request)  # type: ignore[union-attr]
        if stalled:
            raise DontCloseSpider

    def close_blog_comments(self) -> None:
        if self._blog_comments is not None:
            self._blog_comments.close()
            self._blog_comments = None

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
        read = page_items(self.fetched(response, stored), feed, post_url=post_url)
        yield from read.items
        if not feed.ok:
            if response.meta.get("page_url"):
                self.comment_feeds.setdefault(blog, False)
                yield from self.shown_comments(response.meta)
            return
        self.comment_feeds[blog] = True
        comments = read.comments or ()
        seen = self.comment_ids.setdefault(post_url, set())
        before = len(seen)
        seen.update(c.platform_id for c in comments if c.platform_id)
        if comments and len(seen) == before:
            # a page of comments all read before (the server ignores start-index): the end
            self.report_for(blog).stop("comments", f"{response.url} listed no new comment")
            self.comment_ids.pop(post_url, None)
            return
        start = int(re.search(r"start-index=(\d+)", response.url).group(1))  # type: ignore[union-attr]
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
                url, blog, "comments", self.parse_comment_feed, meta={"post_url": post_url}
            )
            if request is not None:
                yield request

    def shown_comments(self, meta: dict[str, Any]) -> Iterator[Any]:
        """For a post whose comment feed failed: the comments its page showed, read when the
        page came (``shown_comments``), or else the page asked for again for them."""
        shown = meta.get("shown_comments")
        if shown is None:
            yield self.shown_comments_request(meta)
            return
        yield CommentsItem(
            blog_url=meta["blog"],
            post_url=meta["post_url"],
            comments=shown,
            capture_id=meta.get("shown_capture"),
        )
        if meta.get("shows_every_comment"):
            yield every_comment(meta["blog"], meta["post_url"], shown)

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
        fetched = self.fetched(response, text=True)
        if not fetched.is_html:
            self.logger.warning("%s: not HTML, its comments not read", response.url)
            return
        text = fetched.html
        page = extract_page(text, response.url, blog_links=False)
        # (read of what the extraction calls a post only: a post a route forced is not one)
        comments = page.comments if page.post is not None else extract_comments(text, response.url)
        blog, post_url = response.meta["blog"], response.meta["post_url"]
        yield CommentsItem(
            blog_url=blog, post_url=post_url, comments=comments, capture_id=fetched.capture_id
        )
        if page.post is not None and shows_every_comment(
            page.post, comments, (), canonical_url(response.url)
        ):
            yield every_comment(blog, post_url, comments)

    def shown_comments_failed(self, failure: Failure) -> None:
        """A post page asked for again for its comments that failed this time: noted, and
        left for the next refresh (the archive holds fewer comments than the feed counts, so
        the next refresh reads the post again); the page's archived row stands."""
        request = failure.request  # type: ignore[attr-defined]
        self.crawler.stats.inc_value("blogarchive/failed")  # type: ignore[union-attr]
        _, reason, _ = describe_failure(failure)
        self.logger.warning("%s: its comments not read (its comment feed failed): %s",
                            request.url, reason)  # fmt: skip
