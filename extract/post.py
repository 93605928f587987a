"""A blog post page: title, author, dates, labels, the body as sanitized HTML and as text.

Index, label, search and archive pages list several posts: :func:`extract_post` returns ``None``
for them, and :func:`post_links` gives the permalinks they list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from extract._dom import (
    absolute,
    first_attr,
    first_text,
    parse,
    pruned_copy,
    sanitize,
    select,
    text_of,
    text_with_breaks,
)
from extract.urls import canonical_url, may_be_post

#: The post body, in the order tried: Blogger (all layouts), WordPress themes, generic markup.
BODY = (
    "div.post-body",
    "div.entry-content",
    "div.post-content",
    "div.post-entry",
    "[itemprop=articleBody]",
    "article .content",
    "article",
    "main",
)
TITLE = (
    "h3.post-title",
    "h1.post-title",
    "h2.post-title",
    "h1.entry-title",
    "h2.entry-title",
    "article h1",
    "main h1",
)
TITLE_META = (("meta[property='og:title']", "content"), ("meta[name='twitter:title']", "content"))
AUTHOR = (
    ".post-author .fn",
    ".byline.post-author a",
    ".author.vcard .fn",
    ".author.vcard a",
    ".entry-author-name",
    "a[rel=author]",
    "[itemprop=author] [itemprop=name]",
)
AUTHOR_META = (("meta[name=author]", "content"), ("meta[property='article:author']", "content"))
PUBLISHED = (
    ("abbr.published", "title"),
    ("time.published", "datetime"),
    ("time.entry-date", "datetime"),
    ("meta[property='article:published_time']", "content"),
    ("[itemprop=datePublished]", "content"),
    ("[itemprop=datePublished]", "datetime"),
    ("article time[datetime]", "datetime"),
)
UPDATED = (
    ("abbr.updated", "title"),
    ("time.updated", "datetime"),
    ("meta[property='article:modified_time']", "content"),
    ("[itemprop=dateModified]", "content"),
    ("[itemprop=dateModified]", "datetime"),
)
LABELS = (".post-labels a", "a[rel~=tag]", ".tags-links a", ".cat-links a")
COMMENT_COUNT = (
    "#comments > h4",
    "#comments h4",
    ".comments > h3.title",
    "h2.comments-title",
    "h3.comments-title",
    ".comments-title",
)
POST_ID = (
    ("meta[itemprop=postId]", "content"),
    ("div[id^=post-body-]", "id"),
    ("article[id^=post-]", "id"),
)
#: Links from an index page to the posts it lists, and from a post to its neighbours.
POST_LINKS = (
    "h3.post-title a",
    "h2.post-title a",
    "h2.entry-title a",
    "h1.entry-title a",
    "a.blog-pager-older-link",
    "a.blog-pager-newer-link",
    ".nav-previous a",
    ".nav-next a",
)
#: Never part of a post's text, even when a theme puts them inside the body.
NOT_BODY = (
    "script",
    "style",
    "noscript",
    "form",
    ".post-share-buttons",
    ".sharedaddy",
    ".sd-sharing-enabled",
    ".jp-relatedposts",
    ".related-posts",
    ".yarpp-related",
    ".addtoany_share_save_container",
    ".post-footer",
    "#comments",
    ".comments",
    "nav",
    ".navigation",
    ".blog-pager",
)

#: Markup of pages that have a body but are not posts (WordPress static pages).
NOT_A_POST = ("body.page", "article.type-page", "body.static_page")

COUNT_WORDS = {"no": 0, "one": 1, "zero": 0}
FIRST_NUMBER = re.compile(r"\d[\d,.]*")
COMMENT_WORD = re.compile(r"comment|thought|response|repl|kommentar|commentaire|comentario", re.I)


@dataclass(frozen=True, slots=True, kw_only=True)
class Post:
    url: str
    title: str | None
    author: str | None
    published: str | None
    updated: str | None
    labels: tuple[str, ...]
    content_html: str
    content_text: str
    comment_count: int | None
    platform_id: str | None


def post_body(root: HtmlElement) -> HtmlElement | None:
    """The one post body of a single-post page, or ``None`` when the page has none or several."""
    for selector in BODY:
        found = select(root, selector)
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            return None
    return None


def extract_post(html: str, url: str) -> Post | None:
    """The post of a single-post page; ``None`` for pages that hold no post or a list of posts."""
    root = parse(html, url)
    if not may_be_post(url) or any(select(root, selector) for selector in NOT_A_POST):
        return None
    body = post_body(root)
    if body is None:
        return None
    cleaned = pruned_copy(body, NOT_BODY)
    return Post(
        url=canonical_url(first_attr(root, [("link[rel=canonical]", "href")]) or url, base=url),
        title=first_text(root, TITLE) or first_attr(root, TITLE_META),
        author=first_text(root, AUTHOR) or first_attr(root, AUTHOR_META),
        published=first_attr(root, PUBLISHED),
        updated=first_attr(root, UPDATED),
        labels=_labels(root),
        content_html=sanitize(cleaned, url),
        content_text=text_with_breaks(cleaned),
        comment_count=_comment_count(root),
        platform_id=_platform_id(root),
    )


def _labels(root: HtmlElement) -> tuple[str, ...]:
    for selector in LABELS:
        labels = [text_of(link) for link in select(root, selector)]
        labels = [label for label in labels if label]
        if labels:
            return tuple(dict.fromkeys(labels))
    return ()


def _comment_count(root: HtmlElement) -> int | None:
    for selector in COMMENT_COUNT:
        for heading in select(root, selector):
            count = parse_count(text_of(heading))
            if count is not None:
                return count
    return None


def parse_count(text: str) -> int | None:
    """The number a heading such as "0 comments:", "One thought on …" or "1,204 Comments" states."""
    match = FIRST_NUMBER.search(text)
    if match:
        return int(re.sub(r"[,.]", "", match.group()))
    first_word = text.strip().split(" ", 1)[0].lower()
    if first_word in COUNT_WORDS and COMMENT_WORD.search(text):
        return COUNT_WORDS[first_word]
    return None


def _platform_id(root: HtmlElement) -> str | None:
    value = first_attr(root, POST_ID)
    if value is None:
        return None
    digits = re.search(r"\d+", value)
    return digits.group() if digits else value


def post_links(html: str, url: str) -> tuple[str, ...]:
    """Permalinks of the posts that an index, label or archive page lists, in page order."""
    root = parse(html, url)
    host = urlsplit(url).netloc
    links: list[str] = []
    for selector in POST_LINKS:
        for link in select(root, selector):
            href = absolute(url, link.get("href"))
            if href and urlsplit(href).netloc == host and may_be_post(href):
                links.append(canonical_url(href))
    return tuple(dict.fromkeys(links))
