"""Atom and RSS feeds (Blogger, WordPress, any blog): the posts they list and how to page them."""

from __future__ import annotations

from dataclasses import dataclass

import feedparser

from extract.urls import canonical_url


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedEntry:
    url: str
    id: str | None
    title: str | None
    published: str | None
    updated: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Feed:
    url: str
    title: str | None
    entries: tuple[FeedEntry, ...]
    total: int | None  # what the feed says the blog holds (openSearch:totalResults)
    next_url: str | None  # rel="next", where the feed gives one
    ok: bool  # False when the document is not a feed


def extract_feed(xml: str | bytes, url: str) -> Feed:
    """The entries of a feed document, with their permalinks made canonical."""
    parsed = feedparser.parse(xml, response_headers={"content-location": url})
    entries = []
    for entry in parsed.entries:
        link = _alternate(entry)
        if not link:
            continue
        entries.append(
            FeedEntry(
                url=canonical_url(link, base=url),
                id=entry.get("id"),
                title=entry.get("title"),
                published=entry.get("published"),
                updated=entry.get("updated"),
            )
        )
    total = parsed.feed.get("opensearch_totalresults")
    next_url = next(
        (link.get("href") for link in parsed.feed.get("links", []) if link.get("rel") == "next"),
        None,
    )
    is_feed = bool(parsed.get("version")) or bool(parsed.entries)
    return Feed(
        url=url,
        title=parsed.feed.get("title"),
        entries=tuple(entries),
        total=int(total) if total and str(total).isdigit() else None,
        next_url=next_url,
        ok=is_feed,
    )


def _alternate(entry: feedparser.FeedParserDict) -> str | None:
    for link in entry.get("links", []):
        if link.get("rel") == "alternate" and link.get("type", "text/html") == "text/html":
            return str(link.get("href"))
    return entry.get("link")
