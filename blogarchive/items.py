"""Items the spider yields and the pipeline writes. Each carries the extractors' results as-is.

The spider never computes ids or writes SQL: it says what it saw, and where (``blog_url`` is the
home URL of the blog a page belongs to).
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from typing import Final

from extract import BlogLink, Comment, Form, KeyObservation, Post


@dataclass(frozen=True, slots=True, kw_only=True)
class BlogItem:
    """A blog, as its home page shows it, or a blog that could not be read (``status`` says why)."""

    url: str
    title: str | None
    platform: str | None
    status: str  # ok, unreachable, blocked, error
    error: str | None = None
    links: tuple[BlogLink, ...] = ()


#: zlib's level for stored response bodies.
COMPRESSION_LEVEL = 6


@dataclass(frozen=True, slots=True)
class StoredBody:
    """A response body as the archive keeps it: its SHA-256 and its zlib compression.

    Made where the page is read: for post pages, feeds of posts and comment feeds, in the
    extraction worker that reads them, so the crawl's own process (what limits a crawl) neither
    hashes nor compresses them."""

    sha256: str
    compressed: bytes

    @classmethod
    def of(cls, body: bytes) -> StoredBody:
        return cls(hashlib.sha256(body).hexdigest(), zlib.compress(body, COMPRESSION_LEVEL))


def content_digest(title: str | None, text: str) -> str:
    """What tells one text of a post from another: the SHA-256 of its title and text
    (``posts.content_sha256``)."""
    return hashlib.sha256(f"{title or ''}\n{text}".encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class Capture:
    """Where a response is kept as WARC records: the record of the answer in its file (the
    ``captures`` table; a citation names it)."""

    #: the ``WARC-Record-ID`` of the ``response`` or ``revisit`` record
    record_id: str
    url: str
    #: its ``WARC-Date``
    timestamp: str
    #: the file's name in the crawl's WARC folder, and the record's offset and length in it
    warc_file: str
    offset: int
    length: int
    payload_digest: str | None
    status: int
    #: ``response``, or ``revisit`` (a 304, or the payload of the last capture again)
    record_type: str
    #: a revisit's: the record id of the capture it repeats, where known
    refers_to: str | None = None


#: What a URL was fetched as (``pages.kind``): a blog's home page, a post page, a page a route
#: listed that is not a post, an index page (archive, label, the home's next pages), a feed, a
#: sitemap, a WordPress REST API answer, a comment feed.
PAGE_KINDS: Final = ("home", "post", "page", "index", "feed", "sitemap", "rest", "comments")


@dataclass(frozen=True, slots=True, kw_only=True)
class PageItem:
    """One fetched (or failed) URL, with the raw response for re-extraction without the network."""

    url: str
    blog_url: str
    kind: str  # one of PAGE_KINDS
    status: int | None
    fetched_at: str
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    body: StoredBody | None = None  # None for a 304: the archived body stands
    #: the WARC record of the response, when the crawl writes them
    capture_id: str | None = None

    def __post_init__(self) -> None:
        # researchers facet on pages.kind, whose values the metadata lists: a new kind is a
        # change of the public contract, made here and there together
        if self.kind not in PAGE_KINDS:
            raise ValueError(f"unknown page kind {self.kind!r} (one of {', '.join(PAGE_KINDS)})")


@dataclass(frozen=True, slots=True, kw_only=True)
class PostItem:
    """A post page: the post with its comments, key observations and the forms inside the page."""

    blog_url: str
    post: Post
    comments: tuple[Comment, ...]
    key_observations: tuple[KeyObservation, ...]
    forms: tuple[Form, ...]
    page_url: str
    #: the addresses the post was asked for and answered at (redirects, variants)
    addresses: tuple[str, ...] = ()
    #: the WARC record of the page, when the crawl writes them
    capture_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentsItem:
    """Comments of a post from another route than its page (Blogger's comment feed)."""

    blog_url: str
    post_url: str
    comments: tuple[Comment, ...]
    #: how many comments the route states the post has (a comment feed's total)
    stated: int | None = None
    #: the WARC record of the page they were read from, when the crawl writes them
    capture_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SeenItem:
    """Archived posts still there as the archive holds them: a post whose page the server
    says has not changed (304), or the posts of a feed page that vouches for them."""

    blog_url: str
    urls: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class GoneItem:
    """A post the site says is gone (404 or 410): the archive marks it deleted, keeps it."""

    blog_url: str
    url: str
    status: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentsSeenItem:
    """Every comment a complete comment feed lists: the post's others are gone from the site."""

    blog_url: str
    post_url: str
    platform_ids: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class FormsItem:
    """The forms of a page that is not a post (home, static and index pages)."""

    blog_url: str
    page_url: str
    forms: tuple[Form, ...]
    #: the WARC record of the page, when the crawl writes them
    capture_id: str | None = None
