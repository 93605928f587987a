"""Atom and RSS feeds (Blogger, WordPress, any blog): the posts and comments they list.

A posts feed gives permalinks (with the platform's post id and comment count where it says
them) and what the feed states about the whole (``openSearch:totalResults``); a Blogger comment
feed gives comments, a reply naming its parent in its ``related`` link.

Well-formed Atom (every Blogger feed) is read straight from lxml's tree: feedparser's reading
of a page of 150 posts would be most of a refresh's time (bench/RESULTS.md).
Anything else (RSS, RDF, Atom that is not well-formed, XHTML content) goes to feedparser, which
reads whatever the web calls a feed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import feedparser
from lxml import etree

from extract._dom import clean_html, joined, parse_fragment, text_with_breaks
from extract.comments import Comment
from extract.urls import canonical_url

#: Blogger ids: ``tag:blogger.com,1999:blog-<blog id>.post-<post or comment id>``.
BLOGGER_ID = re.compile(r"\.post-(\d+)$")
#: A Blogger reply's ``related`` link ends with its parent's id.
PARENT_ID = re.compile(r"/comments/default/(\d+)$")

ATOM = "{http://www.w3.org/2005/Atom}"
#: ``openSearch:totalResults`` in the namespaces of OpenSearch 1.0 (Blogger's) and 1.1.
TOTAL_RESULTS = (
    "{http://a9.com/-/spec/opensearchrss/1.0/}totalResults",
    "{http://a9.com/-/spec/opensearch/1.1/}totalResults",
)
THREAD_TOTAL = "{http://purl.org/syndication/thread/1.0}total"
#: A comment's ``thr:in-reply-to`` (RFC 4685): ``ref`` is the id of the post it is on.
IN_REPLY_TO = "{http://purl.org/syndication/thread/1.0}in-reply-to"
#: The children of a posts feed's entry that a ``FeedEntry`` holds, besides its links.
POST_FIELDS = (f"{ATOM}id", f"{ATOM}title", f"{ATOM}published", f"{ATOM}updated", THREAD_TOTAL)


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedEntry:
    url: str
    id: str | None
    platform_id: str | None
    title: str | None
    published: str | None
    updated: str | None
    comment_count: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Feed:
    url: str
    title: str | None
    entries: tuple[FeedEntry, ...]
    total: int | None  # what the feed says the blog holds (openSearch:totalResults)
    next_url: str | None  # rel="next", where the feed gives one
    ok: bool  # False when the document is not a feed


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentFeed:
    url: str
    post_url: str | None  # the post the comments are on (the feed's alternate link)
    comments: tuple[Comment, ...]
    total: int | None
    ok: bool
    #: the id of the post each comment is on, from its ``thr:in-reply-to`` (a blog-wide
    #: comment feed's comments are on many posts); None where an entry does not say
    post_ids: tuple[str | None, ...] = ()


def extract_feed(xml: str | bytes, url: str) -> Feed:
    """The entries of a posts feed, with their permalinks made canonical."""
    root = atom_root(xml, url)
    if root is not None:
        return _atom_feed(root, url)
    feed, items, ok = _feedparser(xml, url)
    entries = []
    for entry in items:
        link = _link(entry, "alternate", "text/html") or entry.get("link")
        if link:
            entries.append(
                FeedEntry(
                    url=canonical_url(link, base=url),
                    id=entry.get("id"),
                    platform_id=blogger_id(entry.get("id")),
                    title=entry.get("title"),
                    published=entry.get("published"),
                    updated=entry.get("updated"),
                    comment_count=_int(entry.get("thr_total") or entry.get("slash_comments")),
                )
            )
    return _feed(url, feed, entries, ok)


def extract_comment_feed(xml: str | bytes, url: str) -> CommentFeed:
    """The comments of a Blogger comment feed page, replies naming their parent."""
    feed, entries, ok = _read(xml, url)
    comments, post_ids = [], []
    for position, entry in enumerate(entries, start=1):
        post_ids.append(blogger_id((entry.get("thr_in-reply-to") or {}).get("ref")))
        html = entry.get("content", [{}])[0].get("value") or entry.get("summary") or ""
        body = parse_fragment(html, url)
        related = _link(entry, "related") or ""
        parent = PARENT_ID.search(related)
        comments.append(
            Comment(
                platform_id=blogger_id(entry.get("id")),
                parent_platform_id=parent.group(1) if parent else None,
                position=position,
                author=entry.get("author"),
                author_url=(entry.get("author_detail") or {}).get("href"),
                published=entry.get("published"),
                content_html=clean_html(html, base=url),
                content_text=text_with_breaks(body),
                url=_link(entry, "alternate", "text/html"),
            )
        )
    post = _link(feed, "alternate", "text/html")
    return CommentFeed(
        url=url,
        post_url=canonical_url(post, base=url) if post else None,
        comments=tuple(comments),
        total=_int(feed.get("opensearch_totalresults")),
        ok=ok,
        post_ids=tuple(post_ids),
    )


def is_alternate(link: Any) -> bool:
    """Whether an Atom ``<link>`` element is its entry's page (``rel`` and ``type`` as Atom
    defaults them)."""
    return bool(
        link.get("rel", "alternate") == "alternate" and link.get("type", "text/html") == "text/html"
    )


def _atom_feed(root: Any, url: str) -> Feed:
    """:func:`extract_feed` of well-formed Atom, each entry read in one pass over its children
    and only for what a ``FeedEntry`` holds: a Blogger page of 150 posts carries their whole
    text, which a feed of posts does not keep (3 ms a page, against 9 ms for the entries read
    as :class:`_AtomItem`)."""
    feed = _AtomItem(root, url)
    entries = []
    for entry in root.iterchildren(f"{ATOM}entry"):
        href = None
        found: dict[str, str] = {}
        for child in entry.iterchildren(f"{ATOM}link", *POST_FIELDS):
            if child.tag != f"{ATOM}link":
                found.setdefault(child.tag, (child.text or "").strip())  # the first, as find()
            elif href is None and is_alternate(child):
                href = child.get("href") or ""
        link = joined(entry.base or url, href) if href is not None else None
        if link:
            post_id = found.get(f"{ATOM}id")
            entries.append(
                FeedEntry(
                    url=canonical_url(link, base=url),
                    id=post_id,
                    platform_id=blogger_id(post_id),
                    title=found.get(f"{ATOM}title"),
                    published=found.get(f"{ATOM}published"),
                    updated=found.get(f"{ATOM}updated"),
                    comment_count=_int(found.get(THREAD_TOTAL)),
                )
            )
    return _feed(url, feed, entries, True)


def _feed(url: str, feed: Mapping[str, Any], entries: Iterable[FeedEntry], ok: bool) -> Feed:
    return Feed(
        url=url,
        title=feed.get("title"),
        entries=tuple(entries),
        total=_int(feed.get("opensearch_totalresults")),
        next_url=_link(feed, "next"),
        ok=ok,
    )


def _read(
    xml: str | bytes, url: str
) -> tuple[Mapping[str, Any], Iterable[Mapping[str, Any]], bool]:
    """(the feed, its entries, whether it is a feed at all), each in feedparser's shape."""
    root = atom_root(xml, url)
    if root is not None:
        return _AtomItem(root, url), _atom_entries(root, url), True
    return _feedparser(xml, url)


def _feedparser(
    xml: str | bytes, url: str
) -> tuple[Mapping[str, Any], Iterable[Mapping[str, Any]], bool]:
    """:func:`_read` of what is not well-formed Atom."""
    try:
        parsed = feedparser.parse(xml, response_headers={"content-location": url})
    except Exception:  # feedparser raises on some broken markup (found by the fuzz target)
        return {}, (), False  # read as what it is: not a feed
    return parsed.feed, parsed.entries, _is_feed(parsed)


# -- well-formed Atom, read from lxml's tree --------------------------------------------------


def atom_root(xml: str | bytes, url: str) -> Any:
    """The root of a well-formed Atom document, or None (not bytes, not XML, not Atom, or
    holding XHTML content, which feedparser renders)."""
    if not isinstance(xml, bytes):
        return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(xml, parser, base_url=url)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None or root.tag != f"{ATOM}feed":
        return None
    for element in root.iter(f"{ATOM}content", f"{ATOM}title", f"{ATOM}summary"):
        if element.get("type") == "xhtml":
            return None
    return root


class _AtomItem(dict[str, Any]):
    """An Atom feed or entry element in the shape of feedparser's dict, for the keys read here."""

    def __init__(self, element: Any, base: str) -> None:
        super().__init__()
        base = element.base or base  # xml:base, inherited, resolved against the document's URL
        self["links"] = [_link_of(link, base) for link in element.iterchildren(f"{ATOM}link")]
        for key in ("id", "title", "published", "updated"):
            value = _child_text(element, f"{ATOM}{key}")
            if value is not None:
                self[key] = value
        for key, tag in (("summary", f"{ATOM}summary"), ("content", f"{ATOM}content")):
            child = element.find(tag)
            if child is not None:
                value = child.text or ""
                self[key] = [{"value": value}] if key == "content" else value
        author = element.find(f"{ATOM}author")
        if author is not None:
            name = _child_text(author, f"{ATOM}name")
            if name is not None:
                self["author"] = name
            uri = _child_text(author, f"{ATOM}uri")
            self["author_detail"] = {"href": joined(base, uri)} if uri else {}
        for key, tags in (
            ("thr_total", (THREAD_TOTAL,)),
            ("opensearch_totalresults", TOTAL_RESULTS),
        ):
            for tag in tags:
                value = _child_text(element, tag)
                if value is not None:
                    self[key] = value
        reply = element.find(IN_REPLY_TO)
        if reply is not None:
            self["thr_in-reply-to"] = dict(reply.attrib)


def _link_of(link: Any, base: str) -> dict[str, str]:
    found = {"rel": link.get("rel", "alternate"), "href": joined(base, link.get("href") or "")}
    if link.get("type") is not None:
        found["type"] = link.get("type")
    return found


def _atom_entries(root: Any, url: str) -> Iterator[_AtomItem]:
    for entry in root.iterchildren(f"{ATOM}entry"):
        yield _AtomItem(entry, url)


def _child_text(element: Any, tag: str) -> str | None:
    child = element.find(tag)
    return None if child is None else (child.text or "").strip()


def _link(item: Mapping[str, Any], rel: str, kind: str | None = None) -> str | None:
    for link in item.get("links", []):
        if link.get("rel") == rel and (kind is None or link.get("type", kind) == kind):
            return str(link.get("href"))
    return None


def blogger_id(value: str | None) -> str | None:
    match = BLOGGER_ID.search(value or "")
    return match.group(1) if match else None


def _int(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _is_feed(parsed: feedparser.FeedParserDict) -> bool:
    return bool(parsed.get("version")) or bool(parsed.entries)
