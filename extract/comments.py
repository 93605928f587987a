"""The comments of a post page, with their threading.

Three families of markup are read:

- threaded lists, where each comment is an element and a reply sits inside its parent: Blogger's
  threaded comments (classic templates with threading, 2017+ themes) and WordPress' core markup
  (``li.comment`` in ``ol.comment-list``, replies in ``ol.children``) with the many variants
  themes make of it (``div.comment``, ``li#li-comment-N``, ``article.comment``);
- Blogger's classic flat ``<dl id="comments-block">`` (``dt`` author, ``dd`` body and footer).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from extract._dom import (
    Node,
    absolute,
    clean_html,
    copy_tree,
    drop_tree,
    first_attr,
    first_attr_found,
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
ITEMS: Final = (
    "div.comment-thread li.comment",
    "li.comment, li.pingback, li.trackback",
    "li[id^=comment-], li[id^=li-comment-]",
    "div.comment[id^=comment-], article.comment[id^=comment-]",
    # the Disqus WordPress plugin's markup for readers without JavaScript
    "li[id^=dsq-comment-]",
    # schema.org's Comment in microdata; microformats2's comments of an h-entry
    "[itemtype$='schema.org/Comment'], [itemtype$='schema.org/UserComments']",
    ".p-comment",
    "div.comment, article.comment",
)
#: Blogger's classic flat layout: ``dt`` (author) and ``dd`` (body, footer) pairs.
CLASSIC_AUTHORS: Final = "dl#comments-block > dt.comment-author"

AUTHOR: Final = (
    "cite.user",
    ".comment-author .fn",
    ".comment-author cite",
    "cite.fn",
    ".fn",
    ".comment-author-name",
    ".comment-author",
    "[id^=dsq-author-user-]",
    "[itemprop=author] [itemprop=name]",
    "[itemprop=author]",
    "[itemprop=creator]",
    ".p-author .p-name",
    ".u-author .p-name",
    ".p-author",
    ".u-author",
    ".author",
)
AUTHOR_LINK: Final = (
    "cite.user a",
    ".comment-author .fn a",
    ".comment-author a.url",
    "a.url",
    ".fn a",
    ".vcard a",  # hCard (Movable Type's comment_detail)
    "a[id^=dsq-author-user-]",
    "[itemprop=author] [itemprop=url]",
    "a.u-author",
    "a.p-author",
    ".p-author a.u-url",
    ".u-author a.u-url",
)
AUTHOR_HREF: Final = tuple((selector, "href") for selector in AUTHOR_LINK)
#: The comment's text, in the order tried; without any, its own paragraphs are its text.
BODY: Final = (
    "p.comment-content",
    ".comment-content",
    ".comment-text",
    ".commenttext",
    ".contenttext",
    ".comment-entry",
    ".w-comments-item-text",
    ".social-comment-body",
    ".dsq-comment-message",
    "[itemprop=text]",
    "[itemprop=commentText]",
    ".e-content",
    ".p-content",
    ".comment-body > p",
)
#: Parts of a comment that are not its text (author, date, reply links).
NOT_TEXT: Final = (
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
TIME: Final = (
    ("time[datetime]", "datetime"),
    ("abbr[title]", "title"),
    ("[itemprop=dateCreated]", "content"),
    ("[itemprop=datePublished]", "content"),
    ("[itemprop=commentTime]", "content"),
    (".dt-published", "datetime"),
    (".dt-published", "title"),
)
PERMALINK: Final = (
    "span.datetime a",
    ".comment-metadata a",
    ".comment-meta a",
    "a.comment-permalink",
    "a[href*='#comment-']",
)
#: Classes of containers that hold replies, inside their parent comment.
REPLY_CONTAINERS: Final = frozenset({"comment-replies", "children"})
REPLY_CONTAINER_SELECTOR: Final = ", ".join(f".{name}" for name in sorted(REPLY_CONTAINERS))

SAID: Final = re.compile(
    r"\s+(said|says|wrote|dijo|a dit|sagte|schrieb|sagt|meint)\W*$", re.IGNORECASE
)
COMMENT_ID: Final = re.compile(r"(\d+)\D*$")
#: The time of day a Blogger comment's date shows, in the blog's time zone ("6:12 PM", "18:12",
#: "4:14:00 PM"): the hour, the minute, and AM or PM where the clock has twelve hours.
TIME_OF_DAY: Final = re.compile(
    r"(?<![\d:])(\d{1,2}):(\d{2})(?::\d{2})?(?![\d:])(?:\s*([AaPp])\.?\s?[Mm]\b\.?)?"
)
#: The post's own time with the blog's offset, as Blogger's templates show it.
POST_TIME: Final = (
    ("abbr.published[title]", "title"),
    ("time.published[datetime]", "datetime"),
    ("[itemprop=datePublished]", "content"),
)
#: How far apart the offsets of one blog's times may be: a change to or from summer time.
SUMMER_TIME: Final = 60


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
    #: whether the page shows all its comment feed holds of it: its parent (the page threads
    #: its comments) and its time to the millisecond in the blog's offset, in the feed's form
    #: (Blogger's ``showComment`` time with the time of day the page shows)
    as_in_feed: bool = False


def extract_comments(html: str, url: str) -> tuple[Comment, ...]:
    """Every comment on the page, in page order; replies name their parent's ``platform_id``."""
    root = parse(html, url)
    items = comment_elements(root)
    if items:
        return _in_blog_time(root, list(_threaded(items, url)), threaded=True)
    return _in_blog_time(root, list(_classic(root, url)), threaded=False)


def comment_elements(root: Node) -> list[Node]:
    """The elements of the page's threaded comments (:data:`ITEMS`), replies included, in page
    order; none for a page without any (or with Blogger's classic flat list)."""
    for selector in ITEMS:
        items = [item for item in select(root, selector) if not _is_form(item)]
        if items:
            return _outermost(_with_parents(items))
    return []


def _with_parents(items: list[Node]) -> list[Node]:
    """``items`` and the comments they are replies in, in page order: a theme may wrap only
    its replies in the ``comment-thread`` a selector looks for (a top-level comment of the same
    tag and class that holds a matched reply is a comment too)."""
    members = set(items)
    added: list[Node] = []
    for item in items:
        for ancestor in item.iterancestors(item.tag):
            if ancestor not in members and ancestor.get("class") == item.get("class"):
                members.add(ancestor)
                added.append(ancestor)
    if not added:
        return items
    # (in the page's order of all elements: a selector's matches may be of several tags)
    order = {node: n for n, node in enumerate(items[0].getroottree().iter()) if node in members}
    return sorted(members, key=order.__getitem__)


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


@functools.cache
def _union(selectors: tuple[tuple[str, str], ...]) -> str:
    """One selector for the elements any of ``(selector, attribute)`` pairs finds."""
    return ", ".join(selector for selector, _ in selectors)


class _Scope:
    """Where a comment's parts are looked for: its element less its replies (nested comments and
    their containers). On the page, the page's index answers and what lies in a reply is left
    out; a copy without the replies is a scope with none."""

    __slots__ = ("copied", "replies", "root")

    def __init__(self, root: Node, replies: frozenset[Node] = frozenset(), *, copied: bool) -> None:
        self.root = root
        self.replies = replies
        self.copied = copied

    def select(self, selector: str) -> list[Node]:
        found = select(self.root, selector)
        if not self.replies:
            return found
        return [node for node in found if not self._in_reply(node)]

    def first_attr(self, selectors: tuple[tuple[str, str], ...]) -> str | None:
        # (one selector of them all first: on most pages most of them find nothing)
        if not self.select(_union(selectors)):
            return None
        return first_attr_found(self.select, selectors)

    def _in_reply(self, node: Node) -> bool:
        for element in (node, *node.iterancestors()):
            if element is self.root:
                return False
            if element in self.replies:
                return True
        return False

    def holds_reply(self, node: Node | None) -> bool:
        """Whether ``node`` (a part found in the scope) has a reply inside: its text would not
        be the comment's alone."""
        return node is not None and any(
            node is reply or node in reply.iterancestors() for reply in self.replies
        )


def _threaded(items: list[Node], url: str) -> Iterator[tuple[Comment, str | None]]:
    """Each comment, with the text of its permalink (the time a Blogger page shows)."""
    members = set(items)
    for position, item in enumerate(items, start=1):
        parent = next((a for a in item.iterancestors() if a in members), None)
        replies = _replies(item, members)
        identity = {
            "platform_id": _comment_id(item.get("id")),
            "parent_platform_id": _comment_id(parent.get("id")) if parent is not None else None,
            "position": position,
        }
        try:
            yield _read(_Scope(item, replies, copied=False), url, identity)
        except _ReadACopy:
            yield _read(_Scope(_copy_without(item, replies), copied=True), url, identity)


class _ReadACopy(Exception):
    """A comment's part holds a reply, or its text is wanted without them: only a copy of the
    comment without its replies can give it."""


def _read(scope: _Scope, url: str, identity: dict[str, Any]) -> tuple[Comment, str | None]:
    """The comment read in ``scope``, and the text of its permalink (raises ``_ReadACopy``
    when a part read holds a reply)."""
    body = _body(scope)
    permalink = _permalink_node(scope)
    link = permalink.get("href", "").strip() if permalink is not None else _own_url(scope)
    author_node = _author_node(scope)
    if scope.holds_reply(body) or scope.holds_reply(author_node):
        raise _ReadACopy
    if body is None:
        content_html = ""
    elif not scope.copied:
        content_html = sanitize(body, url)  # the page's own elements: read, never changed
    else:
        resolve_links(body, url)  # a copy: changed last, when nothing else reads it
        content_html = clean_html(inner_html(body))
    comment = Comment(
        **identity,
        author=_author_name(author_node),
        author_url=absolute(url, scope.first_attr(AUTHOR_HREF)),
        published=_published(scope, link),
        content_html=content_html,
        content_text=text_with_breaks(body) if body is not None else "",
        url=_permalink(url, link),
    )
    return comment, text_of(permalink) if permalink is not None else None


def _permalink_node(scope: _Scope) -> Node | None:
    for selector in PERMALINK:
        for node in scope.select(selector):
            if (node.get("href") or "").strip():
                return node
    return None


def _own_url(scope: _Scope) -> str | None:
    """A microformats2 comment's ``u-url``: its own address (one inside its author's h-card is
    the author's)."""
    for link in scope.select("a.u-url"):
        if not any(
            "h-card" in (element.get("class") or "").split()
            for element in _ancestors_within(link, scope.root)
        ):
            return link.get("href")
    return None


def _ancestors_within(node: Node, root: Node) -> Iterator[Node]:
    for element in (node, *node.iterancestors()):
        if element is root:
            return
        yield element


def _permalink(url: str, link: str | None) -> str | None:
    """The comment's address: a link to an anchor of the page itself (``#comment-12``) is the
    page's address with that anchor."""
    if link and link.strip().startswith("#") and len(link.strip()) > 1:
        return url.split("#", 1)[0] + link.strip()
    return absolute(url, link)


def _replies(item: Node, members: set[Node]) -> frozenset[Node]:
    """The replies inside a comment: nested comments and containers of replies (found by the
    page's index and by the few tags comments have, without a walk of every element)."""
    containers = [node for node in select(item, REPLY_CONTAINER_SELECTOR) if node is not item]
    tags = {member.tag for member in members}
    nested = [node for node in item.iterdescendants(*tags) if node in members]
    return frozenset((*containers, *nested))


def _copy_without(item: Node, replies: frozenset[Node]) -> Node:
    """A copy of ``item`` without its replies, indexed (some thirty selectors are asked of it)."""
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


def _body(scope: _Scope) -> Node | None:
    for selector in BODY:
        found = scope.select(selector)
        if not found:
            continue
        if selector.endswith("> p"):
            return _wrap(found, scope)
        return found[0]
    paragraphs = scope.select("p")
    if paragraphs:
        excluded = {element for selector in NOT_TEXT for element in scope.select(selector)}
        return _wrap(
            [p for p in paragraphs if not any(a in excluded for a in p.iterancestors())]
            or paragraphs,
            scope,
        )
    if scope.replies:
        raise _ReadACopy  # its text less the replies'
    return pruned_copy(scope.root, NOT_TEXT) if text_of(scope.root) else None


def _wrap(nodes: list[Node], scope: _Scope) -> Node:
    """The given paragraphs under one new ``div`` (copies), as one comment body."""
    if any(scope.holds_reply(node) for node in nodes):
        raise _ReadACopy
    holder = etree.Element("div")
    for node in nodes:
        clone = copy_tree(node)
        clone.tail = None
        holder.append(clone)
    return holder


def _classic(root: Node, url: str) -> Iterator[tuple[Comment, str | None]]:
    """Each comment, with the text of its permalink (the time a Blogger page shows)."""
    for position, dt in enumerate(select(root, CLASSIC_AUTHORS), start=1):
        body = dt.getnext()
        while body is not None and "comment-body" not in (body.get("class") or ""):
            body = body.getnext()
        footer = body.getnext() if body is not None else None
        permalink = _footer_link(footer)
        link = permalink.get("href", "").strip() if permalink is not None else None
        anchor = first_attr(dt, [("a[name]", "name")]) or dt.get("id")
        author_link = next((a for a in select(dt, "a[href]") if not a.get("name")), None)
        comment = Comment(
            platform_id=_comment_id(anchor),
            parent_platform_id=None,
            position=position,
            author=SAID.sub("", text_of(dt)) or None,
            author_url=absolute(url, author_link.get("href")) if author_link is not None else None,
            published=_published(_Scope(footer, copied=False), link)
            if footer is not None
            else None,
            content_html=sanitize(body, url) if body is not None else "",
            content_text=text_with_breaks(body) if body is not None else "",
            url=_permalink(url, link),
        )
        yield comment, text_of(permalink) if permalink is not None else None


def _footer_link(footer: Node | None) -> Node | None:
    if footer is None:
        return None
    for selector in ("span.comment-timestamp a", "a"):
        for node in select(footer, selector):
            if (node.get("href") or "").strip():
                return node
    return None


def _author_node(scope: _Scope) -> Node | None:
    """The first element the author selectors find that names someone."""
    for selector in AUTHOR:
        for node in scope.select(selector):
            if _author_name(node):
                return node
    return None


def _author_name(node: Node | None) -> str | None:
    return SAID.sub("", text_of(node)).strip() or None if node is not None else None


def _published(scope: _Scope, link: str | None) -> str | None:
    value = scope.first_attr(TIME)
    return value.strip() if value else showcomment_time(link)


def showcomment_time(link: str | None) -> str | None:
    """Blogger's comment links carry the time as ``?showComment=<epoch ms>``: that time in UTC
    (:func:`_in_blog_time` gives it the blog's offset where the page shows the time of day)."""
    moment = showcomment_moment(link)
    return moment.isoformat(timespec="seconds") if moment is not None else None


def showcomment_moment(link: str | None) -> datetime | None:
    """The moment a Blogger comment link's ``?showComment=<epoch ms>`` gives, in UTC."""
    if not link:
        return None
    values = parse_qs(urlsplit(link).query).get("showComment")
    if not values or not values[0].isdigit():
        return None
    return datetime.fromtimestamp(int(values[0]) / 1000, tz=UTC)


def _in_blog_time(
    root: Node, read: list[tuple[Comment, str | None]], *, threaded: bool
) -> tuple[Comment, ...]:
    """The comments, their Blogger times in the blog's offset where the page shows it.

    Blogger's comment feed gives a comment's time to the millisecond in the blog's offset
    (``2017-09-10T18:12:36.197+02:00``); its page gives the moment (``showComment``, in
    milliseconds) and the time of day in the blog's zone, in the blog's format. The offset is
    what the two differ by, trusted only where every Blogger comment of the page shows a time
    of day, the clock is sure (AM/PM, an hour past 12, or the post's own offset to check
    against), and the offsets agree to within a summer time change of each other and of the
    post's: a twelve-hour clock without AM/PM, or a format of dates only, leaves the times in
    UTC, and the comments not :attr:`~Comment.as_in_feed`."""
    timed = [
        (comment, moment, shown)
        for comment, shown in read
        if (moment := showcomment_moment(comment.url))
        and comment.published == moment.isoformat(timespec="seconds")  # (no time of its own)
    ]
    offsets = _blog_offsets(root, [(moment, shown) for _, moment, shown in timed])
    if not timed or offsets is None:
        return tuple(comment for comment, _ in read)
    exact = {id(c): (moment, offset) for (c, moment, _), offset in zip(timed, offsets, strict=True)}
    comments = []
    for comment, _ in read:
        if id(comment) in exact:
            moment, offset = exact[id(comment)]
            zone = timezone(timedelta(minutes=offset))
            comment = dataclasses.replace(
                comment,
                published=moment.astimezone(zone).isoformat(timespec="milliseconds"),
                as_in_feed=threaded,
            )
        comments.append(comment)
    return tuple(comments)


def _blog_offsets(root: Node, times: list[tuple[datetime, str | None]]) -> list[int] | None:
    """The offset (minutes east of UTC) of each Blogger time, or None where they are not sure
    (:func:`_in_blog_time`)."""
    post_offset = _offset_of(first_attr(root, POST_TIME))
    shown = [_shown_offsets(moment, text) for moment, text in times]
    read = [candidates for candidates in shown if candidates is not None]
    if not read or len(read) < len(shown):
        return None
    if post_offset is None and not any(clock_sure for _, clock_sure in read):
        return None
    # (what the offsets are checked against: the post's, or one no other offset shows the same
    # time of day as; UTC-11:00 and UTC+13:00 show the same)
    anchor = post_offset
    if anchor is None:
        anchor = next((candidates[0] for candidates, _ in read if len(candidates) == 1), None)
        if anchor is None:
            return None
    offsets = []
    for candidates, _ in read:
        offset = min(candidates, key=lambda o: abs(o - anchor))
        if abs(offset - anchor) > SUMMER_TIME:
            return None
        offsets.append(offset)
    if max(offsets) - min(offsets) > SUMMER_TIME:
        return None
    return offsets


def _shown_offsets(moment: datetime, shown: str | None) -> tuple[list[int], bool] | None:
    """The offsets (minutes east of UTC) that make ``moment`` the time of day ``shown``
    (offsets 24 hours apart show the same time: both, where both exist), and whether the clock
    is sure; None where no time of day is shown, or none fits."""
    match = TIME_OF_DAY.search(shown or "")
    if match is None:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2)), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half in "Pp" else 0)
    if hour > 23 or minute > 59:
        return None
    difference = (hour * 60 + minute - moment.hour * 60 - moment.minute) % 1440
    # (zones run from UTC-12:00 to UTC+14:00, all at whole quarters of an hour)
    candidates = [o for o in (difference, difference - 1440) if -720 <= o <= 840 and not o % 15]
    if not candidates:
        return None
    return candidates, bool(half) or hour == 0 or hour > 12


def _offset_of(value: str | None) -> int | None:
    """The offset of an ISO 8601 time with one (minutes east of UTC)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    offset = moment.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def _comment_id(value: str | None) -> str | None:
    if not value:
        return None
    match = COMMENT_ID.search(value.strip())
    return match.group(1) if match else value.strip()
