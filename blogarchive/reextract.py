"""Rebuild the extracted tables from the raw pages the archive keeps, without the network.

Every stored home, post and static page and every comment feed page is decoded and run through
today's extractors; the rows are written the way a crawl writes them, so ids stay and history
grows (a post whose text the new extractors read differently gets a revision).
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable

from w3lib.encoding import html_to_unicode

from blogarchive.archive import Archive
from blogarchive.items import BlogItem, CommentsItem, FormsItem, PostItem
from blogarchive.reader import ArchiveReader
from extract import extract_comments, extract_observations, extract_page
from extract.feeds import extract_comment_feed
from extract.post import announced_post
from extract.urls import canonical_url

#: A Blogger post's comment feed: the blog's address and the post's id.
COMMENT_FEED = re.compile(r"^(.*/)feeds/([^/?]+)/comments/")


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
    total = len(urls)
    for done, url in enumerate(urls, start=1):
        stored = reader.stored_page(url)
        blog = blogs.get(stored[0]) if stored is not None else None
        if stored is None or blog is None:
            continue
        _, kind, content_type, raw = stored
        if kind == "comments":
            _comments(archive, blog["url"], raw, url)
        elif kind in ("home", "post", "page"):
            _page(archive, blog, kind, raw, url, content_type, fed)
        else:
            continue
        read[kind] += 1
        if progress is not None:
            progress(done, total)
    for blog_id in blogs:
        archive.mark_boilerplate(blog_id)
    archive.optimize_search()
    return read


def _page(
    archive: Archive,
    blog: dict,
    kind: str,
    raw: bytes,
    url: str,
    content_type: str | None,
    fed: set[tuple[str, str]],
) -> None:
    _, html = html_to_unicode(content_type, raw)
    page = extract_page(html, url)
    page_url = canonical_url(url)
    if kind == "home":
        archive.save_blog(
            BlogItem(
                url=blog["url"],
                title=page.blog.title,
                platform=page.blog.platform,
                status=blog["status"] or "ok",
                links=page.blog_links,
            )
        )
        if page.forms:
            archive.save_forms(FormsItem(blog_url=blog["url"], page_url=page_url, forms=page.forms))
        return
    post = page.post
    if post is None and kind == "post":
        # the crawl archived it as a post, as a route listed it: so does this
        post = announced_post(html, url)
    if post is not None:
        read = page.post is not None  # (extract_page reads these only of what it calls posts)
        comments = page.comments if read else extract_comments(html, url)
        archive.save_post(
            PostItem(
                blog_url=blog["url"],
                post=post,
                comments=(() if (blog["url"], post.platform_id) in fed else comments),
                key_observations=page.key_observations if read else extract_observations(html, url),
                forms=page.forms,
                page_url=page_url,
            )
        )
    elif page.forms:
        archive.save_forms(FormsItem(blog_url=blog["url"], page_url=page_url, forms=page.forms))


def _comments(archive: Archive, blog_url: str, raw: bytes, url: str) -> None:
    feed = extract_comment_feed(raw, url)
    if not feed.ok or not feed.post_url:
        return
    start = 1
    if "start-index=" in url:
        start = int(url.split("start-index=")[1].split("&")[0])
    comments = tuple(
        dataclasses.replace(comment, position=start + n) for n, comment in enumerate(feed.comments)
    )
    archive.save_comments(
        CommentsItem(blog_url=blog_url, post_url=feed.post_url, comments=comments)
    )
