"""Rebuild the extracted tables from the raw pages the archive keeps, without the network.

Every stored home, post and static page and every comment feed page goes through the step a
crawl takes from a page to its items (:func:`~blogarchive.pageitems.page_items`) with today's
extractors, and the posts a crawl ``--from-feeds`` took from a Blogger posts feed or a
WordPress REST API's answers are read from those again; the rows are written the way a crawl
writes them, so ids stay and history grows (a post whose text the new extractors read
differently gets a revision). What only a live answer says (a post gone, comments no longer
shown) is left to the next crawl.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from blogarchive.archive import Archive
from blogarchive.blogcomments import BLOG_COMMENT_FEED, BlogComments, takes_held
from blogarchive.items import BlogItem, CommentsItem, FormsItem, PostItem
from blogarchive.pageitems import (
    COMMENT_FEED,
    Fetched,
    StoredComments,
    feed_post_item,
    page_items,
    rest_post_item,
)
from blogarchive.pipelines import store_item
from blogarchive.reader import ArchiveReader
from extract.feedposts import FEED_EXTRACTOR, extract_feed_posts
from extract.feeds import extract_comment_feed
from extract.restposts import (
    REST_EXTRACTOR,
    CommentsByPost,
    extract_rest_comments,
    extract_rest_posts,
)
from extract.urls import on_blog

#: A page of a WordPress REST API's comments route.
REST_COMMENTS = re.compile(r"/wp-json/wp/v2/comments")
#: The items of what the extractors read: the pages' own rows stand, and what only a live answer
#: says (a post gone, comments no longer shown) is the next crawl's to say.
EXTRACTED = (BlogItem, PostItem, FormsItem, CommentsItem)


def reextract(
    archive: Archive,
    reader: ArchiveReader,
    progress: Callable[[int, int], None] | None = None,
) -> Counter[str]:
    """Re-run the extractors over every stored page ``reader`` finds, writing through
    ``archive`` (both of one archive.db); returns pages read per kind."""
    blogs = reader.blogs()
    read: Counter[str] = Counter()
    # the addresses first, then each page's body when its turn comes: the bodies of a large
    # archive do not fit in memory at once
    urls = reader.stored_page_urls()
    # posts whose comments a stored comment feed gives (Blogger): the crawl took their comments
    # from the feed, not from the page, and so does this
    fed = {
        (match.group(1), match.group(2))
        for url in urls
        if (match := COMMENT_FEED.match(url)) is not None
    }
    # the comments blog-wide comment feeds list (Blogger), read first: a post whose page
    # counts no more of them took its comments from there
    held = BlogComments(None)
    for url in urls:
        if (match := BLOG_COMMENT_FEED.match(url)) is not None and (
            stored := reader.stored_page(url)
        ):
            held.add(match.group(1), extract_comment_feed(stored[3], url))
    comments = StoredComments(
        fed,
        lambda home, post: takes_held(held.count(home, post.platform_id or ""), post.comment_count),
    )
    # posts the crawl took from their posts feed's entry (``--from-feeds``): from there again
    fed_posts = reader.posts_by_extractor(FEED_EXTRACTOR)
    # posts it took from a WordPress REST API, with the comments its answers list
    rest_posts = reader.posts_by_extractor(REST_EXTRACTOR)
    rest_comments: dict[str, CommentsByPost] = {}
    if rest_posts:
        for url in filter(REST_COMMENTS.search, urls):  # (only those bodies are read twice)
            stored = reader.stored_page(url)
            if stored is None or stored[0] not in blogs:
                continue
            home = blogs[stored[0]]["url"]
            answer = extract_rest_comments(stored[3], url)
            rest_comments.setdefault(home, CommentsByPost()).add(answer)
    total = len(urls)
    for done, url in enumerate(urls, start=1):
        stored = reader.stored_page(url)
        blog = blogs.get(stored[0]) if stored is not None else None
        if stored is None or blog is None or BLOG_COMMENT_FEED.match(url):
            continue
        _, kind, content_type, raw = stored
        home = blog["url"]
        if kind == "rest" and rest_posts and not REST_COMMENTS.search(url):
            for post_item in rest_posts_of(home, url, raw, rest_posts, rest_comments):
                store_item(archive, post_item, None)
            read[kind] += 1
            continue
        if kind == "feed" and fed_posts:
            for post_item in feed_posts_of(home, url, raw, fed_posts):
                # (where its comments come from, as for a post page)
                comments.route(home)(post_item.post)
                store_item(archive, post_item, None)
            read[kind] += 1
            continue
        if kind not in ("home", "post", "page", "comments"):
            continue
        # the post the crawl archived the page as, asked for there and sent here: a page
        # that names it as canonical is it (pageitems), as when the crawl followed the redirect
        post = reader.post_at(url) if kind == "post" else None
        fetched = Fetched(
            url=url, blog=home, kind=kind, status=200, body=raw, fetched_at="",
            content_type=content_type, redirects=(post,) if post and post != url else (),
        )  # fmt: skip
        result = page_items(
            fetched,
            announced=kind == "post",  # the crawl archived it as a post: so does this
            comments_from=comments.route(home),
            post_url=comments.post_of(url),
            holds_text=archive.holds_text,
        )
        for item in result.items:
            if isinstance(item, EXTRACTED):
                store_item(archive, item, None)
        read[kind] += 1
        if progress is not None:
            progress(done, total)
    for (home, post_id), post_url in comments.blog_fed_posts.items():
        listed, capture_id = held.of_post(home, post_id)
        item = CommentsItem(
            blog_url=home, post_url=post_url, comments=listed, capture_id=capture_id
        )
        store_item(archive, item, None)
    held.close()
    for blog_id in blogs:
        archive.mark_boilerplate(blog_id)
    archive.optimize_search()
    return read


def rest_posts_of(
    home: str,
    url: str,
    raw: bytes,
    posts: set[str],
    comments: dict[str, CommentsByPost],
) -> list[PostItem]:
    """The items of the ``posts`` a stored page of ``home``'s REST API gives whole, each with
    the comments the stored answers of its comments route list."""
    items = []
    for entry in extract_rest_posts(raw, url):
        own = on_blog(entry.url, home)
        if entry.post is None or own not in posts:
            continue
        listed = comments.get(home, CommentsByPost()).of(entry.post.platform_id or "")
        items.append(rest_post_item(home, own, entry, listed, None))
    return items


def feed_posts_of(home: str, url: str, raw: bytes, posts: set[str]) -> list[PostItem]:
    """The items of the ``posts`` a stored page of ``home``'s posts feed carries whole."""
    items = []
    for entry in extract_feed_posts(raw, url):
        own = on_blog(entry.url, home)
        if entry.post is not None and own in posts:
            items.append(feed_post_item(home, own, entry, None))
    return items
