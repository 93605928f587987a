"""The comments of a post page, with their threading.

Three families of markup are read:

- threaded lists, where each comment is an element and a reply sits inside its parent: Blogger's
  threaded comments (classic templates with threading, 2017+ themes) and WordPress' core markup
  (``li.comment`` in ``ol.comment-list``, replies in ``ol.children``) with the many variants
  themes make of it (``div.comment``, ``li#li-comment-N``, ``article.comment``);
- Blogger's classic flat ``<dl id="comments-block">`` (``dt`` author, ``dd`` body and footer).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from extract._dom import (
    Node,
    absolute,
    clean_html,
    copy_tree,
    drop_tree,
    first_attr,
    index_tree,
    inner_html,
    parse,
    pruned_copy,
    resolve_links,
    sanitize,
    select,
    text_of,
    text_with_breaks,
)

#: Comment elements, in the order tried; the first selector that matches anything is used.
ITEMS = (
    "div.comment-thread li.comment",
    "li.comment, li.pingback, li.trackback",
    "li[id^=comment-], li[id^=li-comment-]",
    "div.comment[id^=comment-], article.comment[id^=comment-]",
    "div.comment, article.comment",
)
#: Blogger's classic flat layout: ``dt`` (author) and ``dd`` (body, footer) pairs.
CLASSIC_AUTHORS = "dl#comments-block > dt.comment-author"

AUTHOR = (
    "cite.user",
    ".comment-author .fn",
    ".comment-author cite",
    "cite.fn",
    ".fn",
    ".comment-author-name",
    ".comment-author",
    ".author",
)
AUTHOR_LINK = ("cite.user a", ".comment-author .fn a", ".comment-author a.url", "a.url", ".fn a")
#: The comment's text, in the order tried; without any, its own paragraphs are its text.
BODY = (
    "p.comment-content",
    ".comment-content",
    ".comment-text",
    ".commenttext",
    ".contenttext",
    ".comment-entry",
    ".w-comments-item-text",
    ".social-comment-body",
    ".comment-body > p",
)
#: Parts of a comment that are not its text (author, date, reply links).
NOT_TEXT = (
    ".comment-meta",
    ".comment-metadata",
    ".comment-author",
    ".reply",
    ".comment-reply-link",
    ".comment-actions",
    "footer",
    ".avatar",
    "cite",
)
TIME = (("time[datetime]", "datetime"), ("abbr[title]", "title"))
PERMALINK = (
    "span.datetime a",
    ".comment-metadata a",
    ".comment-meta a",
    "a.comment-permalink",
    "a[href*='#comment-']",
)
#: Classes of containers that hold replies, inside their parent comment.
REPLY_CONTAINERS = frozenset({"comment-replies", "children"})
REPLY_CONTAINER_SELECTOR = ", ".join(f".{name}" for name in sorted(REPLY_CONTAINERS))

SAID = re.compile(r"\s+(said|says|wrote|dijo|a dit|sagte|schrieb|sagt|meint)\W*$", re.IGNORECASE)
COMMENT_ID = re.compile(r"(\d+)\D*$")


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
    for selector in ITEMS:
        items = [item for item in select(root, selector) if not _is_form(item)]
        if items:
            return tuple(_threaded(_outermost(items), url))
    return tuple(_classic(root, url))


def _is_form(item: Node) -> bool:
    return item.find(".//textarea") is not None and not select(item, "p, .comment-content")


def _outermost(items: list[Node]) -> list[Node]:
    """One element per comment: an item wrapped by another item of the same id is dropped."""
    members = set(items)
    kept = []
    for item in items:
        parent = next((a for a in item.iterancestors() if a in members), None)
        if parent is not None and _comment_id(parent.get("id")) == _comment_id(item.get("id")):
            continue
        kept.append(item)
    return kept


def _threaded(items: list[Node], url: str) -> Iterator[Comment]:
    members = set(items)
    for position, item in enumerate(items, start=1):
        parent = next((a for a in item.iterancestors() if a in members), None)
        own = _own_tree(item, members)
        body = _body(own)
        link = first_attr(own, [(selector, "href") for selector in PERMALINK])
        author = _author(own)
        author_url = absolute(url, first_attr(own, [(s, "href") for s in AUTHOR_LINK]))
        published = _published(own, link)
        if body is None:
            content_html = ""
        elif own is item:
            content_html = sanitize(body, url)  # the page's own elements: read, never changed
        else:
            resolve_links(body, url)  # a copy: changed last, when nothing else reads it
            content_html = clean_html(inner_html(body))
        yield Comment(
            platform_id=_comment_id(item.get("id")),
            parent_platform_id=_comment_id(parent.get("id")) if parent is not None else None,
            position=position,
            author=author,
            author_url=author_url,
            published=published,
            content_html=content_html,
            content_text=text_with_breaks(body) if body is not None else "",
            url=absolute(url, link),
        )


def _own_tree(item: Node, members: set[Node]) -> Node:
    """``item`` without its replies (nested comments and their containers): the page's own
    subtree when it holds no reply (most comments; the page's index answers the selectors asked
    of it), else a copy without them, indexed (some thirty selectors are asked of it)."""
    if not _holds_replies(item, members):
        return item
    replies = {
        node
        for node in item.iterdescendants()
        if node in members or REPLY_CONTAINERS & set((node.get("class") or "").split())
    }
    clone = copy_tree(item)
    # a copy has the same shape: walking both in step pairs each node with its copy
    doomed = [
        copied
        for node, copied in zip(item.iterdescendants(), clone.iterdescendants(), strict=True)
        if node in replies
    ]
    for node in doomed:
        drop_tree(node)
    return index_tree(clone)


def _holds_replies(item: Node, members: set[Node]) -> bool:
    """Whether a comment holds another, or a container of replies (told without a walk of
    every element under it: the page's index finds the containers, and comments are of a few
    tags)."""
    if any(node is not item for node in select(item, REPLY_CONTAINER_SELECTOR)):
        return True
    tags = {member.tag for member in members}
    return any(node in members for node in item.iterdescendants(*tags))


def _body(own: Node) -> Node | None:
    for selector in BODY:
        found = select(own, selector)
        if not found:
            continue
        if selector.endswith("> p"):
            return _wrap(found)
        return found[0]
    paragraphs = [p for p in own.iter("p") if not _inside(p, own, NOT_TEXT)] or list(own.iter("p"))
    if paragraphs:
        return _wrap(paragraphs)
    return pruned_copy(own, NOT_TEXT) if text_of(own) else None


def _wrap(nodes: list[Node]) -> Node:
    """The given paragraphs under one new ``div`` (copies), as one comment body."""
    holder = etree.Element("div")
    for node in nodes:
        clone = copy_tree(node)
        clone.tail = None
        holder.append(clone)
    return holder


def _inside(node: Node, root: Node, selectors: tuple[str, ...]) -> bool:
    excluded = {element for selector in selectors for element in select(root, selector)}
    return any(ancestor in excluded for ancestor in node.iterancestors())


def _classic(root: Node, url: str) -> Iterator[Comment]:
    for position, dt in enumerate(select(root, CLASSIC_AUTHORS), start=1):
        body = dt.getnext()
        while body is not None and "comment-body" not in (body.get("class") or ""):
            body = body.getnext()
        footer = body.getnext() if body is not None else None
        link = _footer_link(footer)
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


def _footer_link(footer: Node | None) -> str | None:
    if footer is None:
        return None
    return first_attr(footer, [("span.comment-timestamp a", "href"), ("a", "href")])


def _author(own: Node) -> str | None:
    for selector in AUTHOR:
        for node in select(own, selector):
            name = SAID.sub("", text_of(node)).strip()
            if name:
                return name
    return None


def _published(own: Node, link: str | None) -> str | None:
    value = first_attr(own, TIME)
    return value.strip() if value else showcomment_time(link)


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
