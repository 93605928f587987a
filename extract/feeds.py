"""Atom and RSS feeds (Blogger, WordPress, any blog): the posts and comments they list.

A posts feed gives permalinks (with the platform's post id and comment count where it says
them) and what the feed states about the whole (``openSearch:totalResults``); a Blogger comment
feed gives comments, a reply naming its parent in its ``related`` link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import feedparser

from extract._dom import clean_html, parse, text_with_breaks
from extract.comments import Comment
from extract.urls import canonical_url

#: Blogger ids: ``tag:blogger.com,1999:blog-<blog id>.post-<post or comment id>``.
BLOGGER_ID = re.compile(r"\.post-(\d+)$")
#: A Blogger reply's ``related`` link ends with its parent's id.
PARENT_ID = re.compile(r"/comments/default/(\d+)$")


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


def extract_feed(xml: str | bytes, url: str) -> Feed:
    """The entries of a posts feed, with their permalinks made canonical."""
    parsed = feedparser.parse(xml, response_headers={"content-location": url})
    entries = []
    for entry in parsed.entries:
        link = _link(entry, "alternate", "text/html") or entry.get("link")
        if not link:
            continue
        entries.append(
            FeedEntry(
                url=canonical_url(link, base=url),
                id=entry.get("id"),
                platform_id=_blogger_id(entry.get("id")),
                title=entry.get("title"),
                published=entry.get("published"),
                updated=entry.get("updated"),
                comment_count=_int(entry.get("thr_total") or entry.get("slash_comments")),
            )
        )
    next_url = _link(parsed.feed, "next")
    return Feed(
        url=url,
        title=parsed.feed.get("title"),
        entries=tuple(entries),
        total=_int(parsed.feed.get("opensearch_totalresults")),
        next_url=next_url,
        ok=_is_feed(parsed),
    )


def extract_comment_feed(xml: str | bytes, url: str) -> CommentFeed:
    """The comments of a Blogger comment feed page, replies naming their parent."""
    parsed = feedparser.parse(xml, response_headers={"content-location": url})
    comments = []
    for position, entry in enumerate(parsed.entries, start=1):
        html = entry.get("content", [{}])[0].get("value") or entry.get("summary") or ""
        body = parse(f"<html><body>{html}</body></html>", url).find("body")
        related = _link(entry, "related") or ""
        parent = PARENT_ID.search(related)
        comments.append(
            Comment(
                platform_id=_blogger_id(entry.get("id")),
                parent_platform_id=parent.group(1) if parent else None,
                position=position,
                author=entry.get("author"),
                author_url=(entry.get("author_detail") or {}).get("href"),
                published=entry.get("published"),
                content_html=clean_html(html),
                content_text=text_with_breaks(body) if body is not None else "",
                url=_link(entry, "alternate", "text/html"),
            )
        )
    post = _link(parsed.feed, "alternate", "text/html")
    return CommentFeed(
        url=url,
        post_url=canonical_url(post, base=url) if post else None,
        comments=tuple(comments),
        total=_int(parsed.feed.get("opensearch_totalresults")),
        ok=_is_feed(parsed),
    )


def _link(item: feedparser.FeedParserDict, rel: str, kind: str | None = None) -> str | None:
    for link in item.get("links", []):
        if link.get("rel") == rel and (kind is None or link.get("type", kind) == kind):
            return str(link.get("href"))
    return None


def _blogger_id(value: str | None) -> str | None:
    match = BLOGGER_ID.search(value or "")
    return match.group(1) if match else None


def _int(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _is_feed(parsed: feedparser.FeedParserDict) -> bool:
    return bool(parsed.get("version")) or bool(parsed.entries)
