"""A Blogger post's comments from its comment feed, page by page, and from its page where the
feed fails.

The feed holds every comment (a post page shows at most 200), with replies' parents and times
in the blog's offset. Should it fail, the comments its post's page shows are archived instead:
read when the page came, or read from the page asked for again.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

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

    def comment_feed_request(
        self, blog: str, post: Post, page_url: str, platform: str
    ) -> scrapy.Request | None:
        """The request for a Blogger post's comment feed (none where its page gives the
        comments). Should the feed fail, the post's page (``page_url``) is asked for again for
        the comments it shows (:meth:`shown_comments_request`) unless they were read when it
        came: carrying them along in every feed's request would cost the crawl's process more
        than the rare second fetch."""
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
