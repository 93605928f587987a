"""Blog-list and blogroll entries: the blogs a blog says it reads.

Blogger's "My Blog List" (BlogList widget) and link lists (LinkList), WordPress blogroll and link
widgets and their block equivalents. Each entry keeps its position in its widget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from extract._dom import absolute, parse, select, text_of

#: Widgets that list other blogs, in the order tried: (widget, links inside it, and a heading
#: the widget must have, for widgets that hold any kind of content).
WIDGETS: Final[tuple[tuple[str, str, re.Pattern[str] | None], ...]] = (
    ("div.widget.BlogList", "div.blog-title a, .blog-title a", None),
    ("div.widget.LinkList", "li a", None),
    (".widget_links", "li a", None),
    (".widget_blogroll, ul.blogroll", "a", None),
    ("nav.wp-block-navigation.blogroll", "a", None),
    # block themes: a group of blocks headed "Blogroll", "Blogs I read", ...
    (
        ".widget_block, .wp-block-group, aside section",
        "li a",
        re.compile(
            r"blog ?roll|blog ?list|blogs? (i|we) (read|follow|like)|friends|lesenswert|blogliste",
            re.IGNORECASE,
        ),
    ),
)
WIDGET_TITLE: Final = ("h2", "h3", "h4", ".widget-title", ".title")


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
    own_host = urlsplit(url).netloc
    for widget_selector, link_selector, required_heading in WIDGETS:
        for widget in select(root, widget_selector):
            heading = next(
                (text_of(h) for s in WIDGET_TITLE for h in select(widget, s) if text_of(h)), None
            )
            if required_heading and not required_heading.search(heading or ""):
                continue
            for anchor in select(widget, link_selector):
                href = absolute(url, anchor.get("href"))
                if not href or urlsplit(href).scheme not in ("http", "https") or href in seen:
                    continue
                if urlsplit(href).netloc == own_host:
                    continue  # a link to the blog's own pages is navigation, not a blog it lists
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
