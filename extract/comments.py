"""The comments of a post page, with their threading.

Three layouts are read: Blogger's threaded comments (classic templates with threading and the
2017+ themes), Blogger's classic flat ``<dl id="comments-block">``, and WordPress core markup
(``ol.comment-list`` with nested ``ol.children``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from lxml.html import HtmlElement

from extract._dom import absolute, first_attr, parse, sanitize, select, text_of, text_with_breaks

#: Threaded layouts: every comment is an ``li``; a reply sits inside its parent's ``li``.
THREADED_ITEMS = (
    "div.comment-thread li.comment",
    "ol.comment-list li.comment",
    "ol.commentlist li.comment",
    "ol.comment-list li.pingback",
    "ol.commentlist li",
)
#: Blogger's classic flat layout: ``dt`` (author) and ``dd`` (body, footer) pairs.
CLASSIC_AUTHORS = "dl#comments-block > dt.comment-author"

AUTHOR = (
    "cite.user",
    ".comment-author .fn",
    ".comment-author cite",
    ".comment-author",
)
AUTHOR_LINK = ("cite.user a", ".comment-author .fn a", ".comment-author a.url", "a.url")
BODY = ("p.comment-content", "div.comment-content", ".comment-body > p", ".comment-text")
TIME = (
    ("time[datetime]", "datetime"),
    ("abbr[title]", "title"),
)
PERMALINK = ("span.datetime a", ".comment-metadata a", ".comment-meta a", "a.comment-permalink")
#: Classes of the child of a comment's ``li`` that holds the comment without its replies.
OWN_PART = frozenset({"comment-block", "comment-body"})

SAID = re.compile(r"\s+(said|wrote|dijo|a dit|sagte|schrieb)\W*$", re.IGNORECASE)
COMMENT_ID = re.compile(r"(?:^|[^a-z])c?(?:omment-)?(\d+)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Comment:
    platform_id: str | None
    parent_platform_id: str | None
    position: int
    author: str | None
    author_url: str | None
    published: str | None
    content_html: str
    content_text: str
    url: str | None


def extract_comments(html: str, url: str) -> tuple[Comment, ...]:
    """Every comment on the page, in page order; replies name their parent's ``platform_id``."""
    root = parse(html, url)
    for selector in THREADED_ITEMS:
        items = select(root, selector)
        if items:
            return tuple(_threaded(items, url))
    return tuple(_classic(root, url))


def _threaded(items: list[HtmlElement], url: str) -> Iterator[Comment]:
    members = set(items)
    for position, item in enumerate(items, start=1):
        own = _own_part(item)
        parent = next((a for a in item.iterancestors() if a in members), None)
        body = _first(own, BODY)
        link = _first_attr_in(own, PERMALINK, "href")
        yield Comment(
            platform_id=_comment_id(item.get("id")),
            parent_platform_id=_comment_id(parent.get("id")) if parent is not None else None,
            position=position,
            author=_author(own),
            author_url=_author_url(own, url),
            published=_published(own, link),
            content_html=sanitize(body, url) if body is not None else "",
            content_text=text_with_breaks(body) if body is not None else "",
            url=absolute(url, link),
        )


def _classic(root: HtmlElement, url: str) -> Iterator[Comment]:
    for position, dt in enumerate(select(root, CLASSIC_AUTHORS), start=1):
        body = dt.getnext()
        while body is not None and "comment-body" not in (body.get("class") or ""):
            body = body.getnext()
        footer = body.getnext() if body is not None else None
        link = _first_attr_in(footer, ("span.comment-timestamp a", "a"), "href")
        anchor = first_attr(dt, [("a[name]", "name")]) or dt.get("id")
        author_link = next((a for a in select(dt, "a[href]") if not a.get("name")), None)
        yield Comment(
            platform_id=_comment_id(anchor),
            parent_platform_id=None,
            position=position,
            author=SAID.sub("", text_of(dt)) or None,
            author_url=absolute(url, author_link.get("href")) if author_link is not None else None,
            published=_published(footer, link) if footer is not None else None,
            content_html=sanitize(body, url) if body is not None else "",
            content_text=text_with_breaks(body) if body is not None else "",
            url=absolute(url, link),
        )


def _own_part(item: HtmlElement) -> HtmlElement:
    """The child of ``item`` that holds the comment itself (not its replies), else ``item``."""
    for child in item:
        classes = (child.get("class") or "").split()
        if OWN_PART & set(classes):
            return child
    return item


def _first(root: HtmlElement, selectors: tuple[str, ...]) -> HtmlElement | None:
    for selector in selectors:
        for node in select(root, selector):
            if not _inside_replies(node, root):
                return node
    return None


def _first_attr_in(root: HtmlElement | None, selectors: tuple[str, ...], attr: str) -> str | None:
    if root is None:
        return None
    for selector in selectors:
        for node in select(root, selector):
            if node.get(attr) and not _inside_replies(node, root):
                return node.get(attr)
    return None


def _inside_replies(node: HtmlElement, root: HtmlElement) -> bool:
    for ancestor in node.iterancestors():
        if ancestor is root:
            return False
        classes = (ancestor.get("class") or "").split()
        if "comment-replies" in classes or "children" in classes:
            return True
    return False


def _author(own: HtmlElement) -> str | None:
    node = _first(own, AUTHOR)
    if node is None:
        return None
    return SAID.sub("", text_of(node)) or None


def _author_url(own: HtmlElement, url: str) -> str | None:
    return absolute(url, _first_attr_in(own, AUTHOR_LINK, "href"))


def _published(own: HtmlElement, link: str | None) -> str | None:
    for selector, attr in TIME:
        value = _first_attr_in(own, (selector,), attr)
        if value:
            return value.strip()
    return showcomment_time(link)


def showcomment_time(link: str | None) -> str | None:
    """Blogger's comment links carry the time as ``?showComment=<epoch ms>``: that time in UTC."""
    if not link:
        return None
    values = parse_qs(urlsplit(link).query).get("showComment")
    if not values or not values[0].isdigit():
        return None
    moment = datetime.fromtimestamp(int(values[0]) / 1000, tz=UTC)
    return moment.isoformat(timespec="seconds")


def _comment_id(value: str | None) -> str | None:
    if not value:
        return None
    match = COMMENT_ID.search(value.strip())
    return match.group(1) if match else value.strip()
