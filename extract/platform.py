"""Which platform published a page, and what the page says about its blog (title, feeds)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from extract._dom import absolute, first_attr, first_text, parse, select

PLATFORMS: Final = ("blogger", "wordpress", "generic")

#: Signals in the order tried; the first that matches decides: the generator, then markup
#: only that platform's templates produce, then addresses only its pages refer to.
GENERATOR_META: Final = "meta[name=generator]"
BLOGGER_MARKERS: Final = ("div.blog-posts", "div.post-body")
BLOGGER_ADDRESSES: Final = ("blogger.com/feeds", "/feeds/posts/default", "www.blogger.com/static/")
WORDPRESS_MARKERS: Final = ("link[rel='https://api.w.org/']",)
WORDPRESS_ADDRESSES: Final = ("/wp-content/", "/wp-includes/", "/wp-json/")

BLOG_TITLE: Final = (
    "meta[property='og:site_name']",
    "meta[name='application-name']",
)
BLOG_TITLE_TEXT: Final = ("header h1.title", "#header h1", "h1.site-title", "p.site-title", "title")
FEED_LINKS: Final = (
    "link[rel~=alternate][type='application/atom+xml']",
    "link[rel~=alternate][type='application/rss+xml']",
)
CANONICAL: Final = "link[rel=canonical]"

BLOGGER_HOST: Final = re.compile(r"(^|\.)blogspot\.[a-z.]+$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Blog:
    """A blog as one of its pages describes it."""

    url: str
    title: str | None
    platform: str
    feeds: tuple[str, ...]


def detect_platform(html: str, url: str) -> str:
    """``blogger``, ``wordpress`` or ``generic``, from the generator and the page's markup."""
    root = parse(html, url)
    generator = (first_attr(root, [(GENERATOR_META, "content")]) or "").lower()
    if "blogger" in generator:
        return "blogger"
    if "wordpress" in generator:
        return "wordpress"
    # addresses are looked for in the page's text: one scan instead of a walk of every link
    if any(select(root, s) for s in BLOGGER_MARKERS) or any(a in html for a in BLOGGER_ADDRESSES):
        return "blogger"
    if any(select(root, s) for s in WORDPRESS_MARKERS) or any(
        a in html for a in WORDPRESS_ADDRESSES
    ):
        return "wordpress"
    return "generic"


def extract_blog(html: str, url: str) -> Blog:
    """The blog a page belongs to: its title, platform and the feeds the page announces."""
    root = parse(html, url)
    title = first_attr(root, [(selector, "content") for selector in BLOG_TITLE])
    if not title:
        title = first_text(root, BLOG_TITLE_TEXT)
    feeds: list[str] = []
    for selector in FEED_LINKS:
        for link in select(root, selector):
            href = absolute(url, link.get("href"))
            if href and href not in feeds and "/comments/" not in href:
                feeds.append(href)
    return Blog(url=url, title=title, platform=detect_platform(html, url), feeds=tuple(feeds))
