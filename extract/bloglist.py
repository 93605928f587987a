"""Blog-list and blogroll entries: the blogs a blog says it reads.

Blogger's "My Blog List" (BlogList widget) and link lists (LinkList), WordPress blogroll and link
widgets and their block equivalents. Each entry keeps its position in its widget.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from extract._dom import absolute, parse, select, text_of

#: Widgets that list other blogs, in the order tried; each is (widget, link inside it).
WIDGETS = (
    ("div.widget.BlogList", "div.blog-title a, .blog-title a"),
    ("div.widget.LinkList", "li a"),
    (".widget_links", "li a"),
    (".widget_blogroll, ul.blogroll", "a"),
    ("nav.wp-block-navigation.blogroll", "a"),
)
WIDGET_TITLE = ("h2", "h3", ".widget-title", ".title")


@dataclass(frozen=True, slots=True, kw_only=True)
class BlogLink:
    target_url: str
    title: str | None
    position: int
    widget: str | None


def extract_blog_links(html: str, url: str) -> tuple[BlogLink, ...]:
    """Every entry of the page's blog-list widgets, numbered from 1 in page order."""
    root = parse(html, url)
    seen: set[str] = set()
    links: list[BlogLink] = []
    for widget_selector, link_selector in WIDGETS:
        for widget in select(root, widget_selector):
            heading = next(
                (text_of(h) for s in WIDGET_TITLE for h in select(widget, s) if text_of(h)), None
            )
            for anchor in select(widget, link_selector):
                href = absolute(url, anchor.get("href"))
                if not href or urlsplit(href).scheme not in ("http", "https") or href in seen:
                    continue
                seen.add(href)
                links.append(
                    BlogLink(
                        target_url=href,
                        title=text_of(anchor) or None,
                        position=len(links) + 1,
                        widget=heading,
                    )
                )
    return tuple(links)
