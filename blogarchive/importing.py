"""Web archives made into the archive, without the network: ``blogarchive import FILE...``.

WARC files (``.warc``, ``.warc.gz``, ``.warc.zst``; ours, or any crawler's: wget, Heritrix,
Browsertrix, ArchiveTeam) and WACZ packages are read record by record
(:mod:`blogarchive.warcread`), and every captured page takes the step a crawl takes
(:func:`~blogarchive.pageitems.page_items`), so the rows are those a crawl of the same pages
writes, each naming the capture it came from.

Two passes over the collection, each a file at a time. The first notes what decides how a page
is read (:func:`notes_of_file`): where each record is (a revisit is resolved by the record it
refers to, or by its payload digest alone: ArchiveTeam deduplicates across URLs), the posts the
feeds, sitemaps and WordPress REST answers list (a page they list is a post, whatever its
address), and the comment feeds the collection holds (a Blogger post whose feed is there takes
its comments from it, as the crawl did). The notes make the collection's index
(:class:`Collection`). The second makes each file's records into items
(:func:`items_of_records`, a plain function of records and the index, so that it runs in this
process, in ``--workers`` processes, or in a Spark or Dask task), and one writer
(:class:`ItemWriter`) writes them in the collection's order, the comments of comment feeds
once every post is written. What cannot be read (a truncated record, a damaged gzip member or
zstd frame, a file that is no WARC) is counted and reported with where and why; the rest is
read.
"""

from __future__ import annotations

import json
import multiprocessing
import pickle
import re
import sqlite3
import tempfile
import zipfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from blogarchive.archive import Archive
from blogarchive.blogcomments import BLOG_COMMENT_FEED, BlogComments, takes_held
from blogarchive.items import Capture, CommentsItem, PageItem, PostItem, SeenItem
from blogarchive.pageitems import (
    COMMENT_FEED,
    FEED,
    PAGE,
    Fetched,
    feed_post_item,
    is_html,
    page_items,
    rest_post_item,
    sitemap_route,
)
from blogarchive.pipelines import store_item
from blogarchive.reader import chunked
from blogarchive.report import BlogReport, other_slash
from blogarchive.scratch import ScratchDB
from blogarchive.sitemaps import SitemapError, sitemap_body_locations
from blogarchive.warc import SERVER_NOT_MODIFIED, cited_path
from blogarchive.warcread import Captured, ReadReport, opened, record_at, records_of
from extract import Post
from extract.feedposts import FeedPost, extract_feed_posts
from extract.feeds import CommentFeed, extract_comment_feed, extract_feed
from extract.restposts import (
    CommentsByPost,
    RestComment,
    extract_rest_comments,
    extract_rest_posts,
)
from extract.urls import canonical_url, home_url, on_blog, post_permalink

#: A Blogger blog's posts feed, whose entries may carry the posts whole (``--from-feeds``).
BLOGGER_POSTS_FEED = re.compile(r"/feeds/posts/(default|summary)")
#: What a captured URL was fetched as, by its address (else by its type: HTML is a page).
ROUTES = (
    ("comments", re.compile(r"/feeds/[^/?]+/comments/|/feeds/comments/")),
    ("feed", re.compile(r"/feeds/posts/|/feed/?(\?|$)|[?&]feed=(rss|atom)|/(rss|atom)\.xml$")),
    ("sitemap", re.compile(r"sitemap[^/]*\.xml(\.gz)?(\?|$)")),
    ("rest", re.compile(r"/wp-json/wp/v2/posts")),
    ("rest-comments", re.compile(r"/wp-json/wp/v2/comments")),
)

INDEX_SCHEMA = """
CREATE TABLE records (record_id TEXT PRIMARY KEY, digest TEXT, file TEXT, offset INTEGER,
    length INTEGER) WITHOUT ROWID;
CREATE INDEX records_by_digest ON records (digest);
CREATE TABLE announced (url TEXT, route TEXT, PRIMARY KEY (url, route)) WITHOUT ROWID;
CREATE TABLE fed (home TEXT, post TEXT, PRIMARY KEY (home, post)) WITHOUT ROWID;
CREATE TABLE blog_fed (home TEXT, post TEXT, comment TEXT, PRIMARY KEY (home, post, comment))
    WITHOUT ROWID;
CREATE TABLE post_pages (url TEXT PRIMARY KEY) WITHOUT ROWID;
"""
LATER_SCHEMA = "CREATE TABLE later (item BLOB);"
#: Files read ahead of the writer, a worker each.
AHEAD = 2


@dataclass
class ImportReport(ReadReport):
    """What an import read: records and pages by kind, revisits resolved, and each failure
    with where and why."""

    files: int = 0
    pages: Counter[str] = field(default_factory=Counter)
    revisits: int = 0
    #: per blog, the posts the collection's routes list: archived, or missing and why (the
    #: figures of a crawl's report, :class:`blogarchive.report.BlogReport`)
    blogs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, other: ImportReport) -> None:
        """Count in what another process read (a file of the same import)."""
        self.files += other.files
        self.records += other.records
        self.failures.extend(other.failures)
        self.pages.update(other.pages)
        self.revisits += other.revisits


def route_of(url: str, content_type: str | None, body: bytes) -> str | None:
    """What a captured response was fetched as (one of the archive's page kinds), or ``None``
    for what the archive does not read (robots.txt, images, scripts)."""
    for kind, pattern in ROUTES:
        if pattern.search(url):
            return kind
    if not is_html(content_type, body):
        return None
    return "home" if canonical_url(url) == home_url(url) else "post"


# -- the first pass: notes ------------------------------------------------------------------


@dataclass
class Notes:
    """What one file says about the collection: its response records (id, payload digest,
    file, offset, length), the posts its routes list (url, route), the comment feeds it holds
    (blog home, post id)."""

    records: list[tuple[str, str | None, str, int, int]] = field(default_factory=list)
    announced: set[tuple[str, str]] = field(default_factory=set)
    fed: set[tuple[str, str]] = field(default_factory=set)
    #: the comments blog-wide comment feeds list: (blog home, post id, comment id)
    blog_fed: set[tuple[str, str, str]] = field(default_factory=set)
    #: the permalinks of the post pages it holds (answered, or unchanged)
    post_pages: set[str] = field(default_factory=set)


def notes_of_file(path: str | Path) -> Notes:
    """The notes of one file (its failures are the second pass's to report)."""
    notes = Notes()
    try:
        with opened(Path(path)) as streams:
            for name, stream in streams:
                for captured in records_of(name, stream, ReadReport()):
                    _note(captured, notes)
    except (OSError, zipfile.BadZipFile):
        pass
    return notes


def _note(captured: Captured, notes: Notes) -> None:
    record = captured.record
    if record.rec_type not in ("response", "revisit"):
        return
    headers = record.rec_headers
    if _post_page(captured):
        notes.post_pages.add(post_permalink(canonical_url(headers.get_header("WARC-Target-URI"))))
    if record.rec_type != "response":
        return
    notes.records.append(
        (headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Payload-Digest"),
         captured.file, captured.offset, captured.length)
    )  # fmt: skip
    url = headers.get_header("WARC-Target-URI") or ""
    http = record.http_headers
    content_type = http.get_header("Content-Type") if http else None
    kind = route_of(url, content_type, captured.payload[:2048])
    if kind == "comments" and (match := COMMENT_FEED.match(url)) is not None:
        notes.fed.add((match.group(1), match.group(2)))
    elif kind == "comments" and (match := BLOG_COMMENT_FEED.match(url)) is not None:
        feed = extract_comment_feed(captured.payload, url)
        for comment, post in zip(feed.comments, feed.post_ids, strict=False):
            if post and comment.platform_id:
                notes.blog_fed.add((match.group(1), post, comment.platform_id))
    elif kind in ("feed", "sitemap", "rest"):
        # a sitemap that lists only posts on any platform, or any sitemap on Blogger (which
        # a page's platform decides: see Collection.announced)
        route = "sitemap-posts" if sitemap_route(url, None) == "sitemap" else kind
        for listed in _listed(kind, captured.payload, url):
            notes.announced.add((post_permalink(canonical_url(listed)), route))


def _post_page(captured: Captured) -> bool:
    """Whether a record is a post page's answer (a 2xx, or a revisit of one)."""
    record = captured.record
    http = record.http_headers
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    if http is None or not (http.get_statuscode() or "").startswith(("2", "304")):
        return False
    content_type = http.get_header("Content-Type")
    return route_of(url, content_type, captured.payload[:2048]) == "post"


class Collection:
    """What the first pass learned of a collection, as reading any of its files needs it: a
    read-only view of the index at ``path``. It pickles as its path (and ``base``, the folder
    the captures name their files relative to), so that a worker opens the index for itself:
    another process here, or a task on another machine that sees the same files and index."""

    def __init__(self, path: str | Path, base: str | Path | None = None) -> None:
        self.path = str(path)
        self.base = str(base) if base is not None else None
        self._connection: sqlite3.Connection | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "base": self.base}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"], state["base"])  # type: ignore[misc]

    def _read(self, sql: str, parameters: tuple[Any, ...]) -> sqlite3.Cursor:
        if self._connection is None:
            # (read-only, by a URI: its path quoted, whatever characters it holds)
            uri = Path(self.path).absolute().as_uri() + "?mode=ro"
            self._connection = sqlite3.connect(uri, uri=True)
        return self._connection.execute(sql, parameters)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __contains__(self, key: object) -> bool:
        """Whether the collection holds the comment feed of ``(blog home, post id)``."""
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        sql = "SELECT 1 FROM fed WHERE home = ? AND post = ?"
        return self._read(sql, key).fetchone() is not None

    def held(self, home: str, post: str | None) -> int:
        """How many comments of the post whose id is ``post`` the blog-wide comment feeds of
        the blog at ``home`` list."""
        sql = "SELECT count(*) FROM blog_fed WHERE home = ? AND post = ?"
        return int(self._read(sql, (home, post)).fetchone()[0])

    def comments_from(self, home: str) -> Callable[[Post], str]:
        """Where the comments of the posts of the blog at ``home`` come from, as the crawl
        took them: the post's comment feed where the collection holds it, else its blog's
        comment feed where that lists all of them, else its page."""

        def comments_from(post: Post) -> str:
            if (home, post.platform_id) in self:
                return FEED
            if post.platform_id and takes_held(
                self.held(home, post.platform_id), post.comment_count
            ):
                return FEED
            return PAGE

        return comments_from

    def has_post_page(self, url: str) -> bool:
        """Whether the collection holds the page of the post at ``url`` (its permalink)."""
        sql = "SELECT 1 FROM post_pages WHERE url = ?"
        return self._read(sql, (url,)).fetchone() is not None

    def announced(self, addresses: tuple[str, ...], platform: str) -> bool:
        """Whether a route the crawl would take lists one of ``addresses`` as a post: a feed,
        WordPress' REST API, a sitemap of posts (on Blogger, any sitemap but its pages')."""
        routes = ["feed", "rest", "sitemap-posts"]
        if platform == "blogger":
            routes.append("sitemap")
        marks = ", ".join("?" for _ in addresses)
        sql = (
            f"SELECT 1 FROM announced WHERE url IN ({marks})"
            f" AND route IN ({', '.join('?' for _ in routes)}) LIMIT 1"
        )
        return self._read(sql, (*addresses, *routes)).fetchone() is not None

    def listed(self) -> Iterator[tuple[str, set[str]]]:
        """Every URL a route of the collection lists as a post, with the routes that do."""
        sql = "SELECT url, group_concat(route) FROM announced GROUP BY url ORDER BY url"
        for url, routes in self._read(sql, ()):
            yield url, set(routes.split(","))

    def original(self, captured: Captured, report: ImportReport) -> Captured | None:
        """The response record a revisit repeats: the one it names, else any with its payload
        digest; a revisit whose original the collection lacks is reported."""
        headers = captured.record.rec_headers
        row = None
        refers_to = headers.get_header("WARC-Refers-To")
        if refers_to:
            sql = "SELECT file, offset, length FROM records WHERE record_id = ?"
            row = self._read(sql, (refers_to,)).fetchone()
        digest = headers.get_header("WARC-Payload-Digest")
        if row is None and digest:
            sql = "SELECT file, offset, length FROM records WHERE digest = ? LIMIT 1"
            row = self._read(sql, (digest,)).fetchone()
        if row is None:
            url = headers.get_header("WARC-Target-URI")
            report.fail(
                captured.file, captured.offset, f"{url}: a revisit of a record not in the import"
            )
            return None
        file, offset, length = row
        return record_at(file, offset, length, report)

    def cited(self, file: str) -> str:
        """A WARC file (or a WACZ member, ``PACKAGE#archive/NAME``) as the archive names it."""
        package, hash_, member = file.partition("#")
        return cited_path(package, self.base) + hash_ + member


# -- the second pass: records into items -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A post page the server said had not changed (a revisit of a 304): seen if the archive
    holds its post, else read from the record the revisit repeats (the writer decides)."""

    fetched: Fetched


@dataclass(frozen=True, slots=True)
class BlogFeedPage:
    """A page of a blog-wide comment feed: its comments go to the writer's store, and from
    there to their posts once every post is written."""

    home: str
    feed: CommentFeed
    capture_id: str | None


@dataclass(frozen=True, slots=True)
class RestPage:
    """A page of a WordPress REST API's posts (whose pages the collection lacks) or comments:
    held by the writer, and written once every file is read, each post with its comments
    (a crawl ``--from-feeds`` took them from there)."""

    home: str
    posts: tuple[tuple[str, FeedPost], ...]
    comments: tuple[RestComment, ...]
    capture_id: str | None


@dataclass(frozen=True, slots=True)
class Later:
    """The comments of a comment feed, written once every post is: their post is the one the
    archive holds with the feed's post id, else the feed's own link to it (``fallback``)."""

    item: CommentsItem
    feed_url: str
    fallback: str | None


def file_items(path: str | Path, collection: Collection) -> Iterator[Any]:
    """The items of one file's records (a WACZ's: its WARC members'; see
    :func:`items_of_records`), and last the file's :class:`ImportReport`: a task of its own,
    wherever it runs (this process, a worker, a Spark or Dask task)."""
    path = Path(path)
    report = ImportReport(files=1)
    yield from _file_items(path, collection, report)
    yield report


def _file_items(path: Path, collection: Collection, report: ImportReport) -> Iterator[Any]:
    try:
        with opened(path) as streams:
            for name, stream in streams:
                yield from items_of_records(records_of(name, stream, report), collection, report)
    except zipfile.BadZipFile:
        report.fail(str(path), None, "not a WACZ (zip) file")
    except OSError as error:
        report.fail(str(path), None, error.strerror or str(error))


def items_of_records(
    records: Iterable[Captured], collection: Collection, report: ImportReport
) -> Iterator[Any]:
    """What the archive makes of ``records``: for each page it reads, its :class:`Capture`,
    then the items :func:`~blogarchive.pageitems.page_items` makes of it, an
    :class:`Unchanged` for a post page's 304, a :class:`Later` for a comment feed's comments.
    A plain function of records and the collection's index (no archive, no order across
    files): :class:`ItemWriter` writes what it yields, in this process or another."""
    #: the texts of the posts read from their own pages (url -> digest), for their aliases
    texts: dict[str, str] = {}
    for captured in records:
        fetched = _fetched(captured, collection, report)
        if fetched is None:
            continue
        yield fetched.capture
        if fetched.status == 304 and fetched.kind == "post":
            yield Unchanged(fetched)
        else:
            where = (captured.file, captured.offset)
            yield from read_page(fetched, collection, report, where, texts)


def read_page(
    fetched: Fetched,
    collection: Collection,
    report: ImportReport,
    where: tuple[str, int],
    texts: dict[str, str] | None = None,
) -> Iterator[Any]:
    """The items of one captured page (``where``: its record's file and offset; ``texts``: the
    :func:`~blogarchive.items.content_digest` of each post read from its own page before,
    by its URL, which this one's adds to)."""
    if fetched.kind == "comments" and (match := BLOG_COMMENT_FEED.match(fetched.url)):
        feed = extract_comment_feed(fetched.body, fetched.url)
        yield fetched.page_item(error=None if feed.ok else "not a feed")
        if feed.ok:
            yield BlogFeedPage(match.group(1), feed, fetched.capture_id)
        else:
            report.fail(*where, f"{fetched.url}: not a feed")
        report.pages["comments"] += 1
        return
    if fetched.kind == "comments":
        feed = extract_comment_feed(fetched.body, fetched.url)
        # (the feed's own address stands for its post till the writer names it)
        read = page_items(fetched, feed, post_url=fetched.url)
        for item in read.items:
            if isinstance(item, CommentsItem):
                yield Later(item, fetched.url, feed.post_url)
            else:
                if isinstance(item, PageItem) and item.error:
                    report.fail(*where, f"{fetched.url}: not a feed")
                yield item
        report.pages["comments"] += 1
        return
    if fetched.kind in ("rest", "rest-comments"):
        yield from page_items(replace(fetched, kind="rest")).items  # (the crawl's kind for both)
        posts: tuple[tuple[str, FeedPost], ...] = ()
        comments: tuple[RestComment, ...] = ()
        if fetched.kind == "rest":
            posts = tuple(rest_posts(fetched, collection))
        else:
            comments = extract_rest_comments(fetched.body, fetched.url)
        if posts or comments:
            yield RestPage(fetched.blog, posts, comments, fetched.capture_id)
        report.pages[fetched.kind] += 1
        return
    if fetched.kind == "feed" and BLOGGER_POSTS_FEED.search(fetched.url):
        yield from page_items(fetched).items
        yield from feed_posts(fetched, collection)
        report.pages["feed"] += 1
        return
    read = page_items(
        fetched,
        announced=lambda page: collection.announced(fetched.addresses, page.blog.platform),
        comments_from=collection.comments_from(fetched.blog),
        holds_text=None if texts is None else lambda url, digest: texts.get(url) == digest,
    )
    if texts is not None and read.post is not None and read.own_text is not None:
        texts[read.post.url] = read.own_text
    yield from read.items
    kind = fetched.kind
    report.pages["post" if read.post else "page" if kind == "post" else kind] += 1


def feed_posts(fetched: Fetched, collection: Collection) -> Iterator[PostItem]:
    """The posts a page of a Blogger posts feed carries whole whose pages the collection
    lacks: a crawl ``--from-feeds`` took them from there (a post whose page it holds is read
    from its page, as a crawl of pages did)."""
    for entry in extract_feed_posts(fetched.body, fetched.url):
        own = on_blog(entry.url, fetched.blog)
        if entry.post is not None and own is not None and not collection.has_post_page(own):
            yield feed_post_item(fetched.blog, own, entry, fetched.capture_id)


def rest_posts(fetched: Fetched, collection: Collection) -> Iterator[tuple[str, FeedPost]]:
    """The posts a page of a WordPress REST API gives whole whose pages the collection lacks,
    at their addresses on the blog."""
    for entry in extract_rest_posts(fetched.body, fetched.url):
        own = on_blog(entry.url, fetched.blog)
        if entry.post is not None and own is not None and not collection.has_post_page(own):
            yield own, entry


def _fetched(captured: Captured, collection: Collection, report: ImportReport) -> Fetched | None:
    """The page of a record, as the archive reads it; None for a record it does not read."""
    record = captured.record
    if record.rec_type == "revisit":
        original = collection.original(captured, report)
        if original is None:
            return None
        report.revisits += 1
        body, http = original.payload, original.record.http_headers
    elif record.rec_type == "response":
        body, http = captured.payload, record.http_headers
    else:
        return None
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI") or ""
    if http is None:
        return None  # (a response that is no HTTP exchange: DNS, whois)
    if headers.get_header("WARC-Truncated"):
        why = headers.get_header("WARC-Truncated")
        report.fail(captured.file, captured.offset, f"{url}: truncated ({why})")
        return None
    try:
        status = int(http.get_statuscode() or 0)
    except ValueError:
        why = f"a damaged HTTP status line ({http.statusline[:60]!r})"
        report.fail(captured.file, captured.offset, f"{url}: {why}")
        return None
    content_type = http.get_header("Content-Type")
    kind = route_of(url, content_type, body[:2048])
    if kind is None or not 200 <= status < 300:
        return None
    # a 304 the crawl answered with the archived page: the revisit's own status
    if headers.get_header("WARC-Profile") == SERVER_NOT_MODIFIED:
        status = 304
    capture = Capture(
        record_id=headers.get_header("WARC-Record-ID"),
        url=url,
        timestamp=headers.get_header("WARC-Date") or "",
        warc_file=collection.cited(captured.file),
        offset=captured.offset,
        length=captured.length,
        payload_digest=headers.get_header("WARC-Payload-Digest"),
        status=status,
        record_type=record.rec_type,
        refers_to=headers.get_header("WARC-Refers-To"),
    )
    return Fetched(
        url=url, blog=home_url(url), kind=kind, status=status, body=body,
        fetched_at=capture.timestamp, content_type=content_type,
        etag=http.get_header("ETag"), last_modified=http.get_header("Last-Modified"),
        capture=capture,
    )  # fmt: skip


# -- writing ---------------------------------------------------------------------------------


class ItemWriter:
    """The one writer: the items of :func:`file_items` into ``archive``, in the order given
    (the files' reports summed in :attr:`report`); the comments of comment feeds
    (:class:`Later`) kept aside in ``folder`` till :meth:`finish`, when every post is
    written. ``progress`` is told every 500 captures written."""

    def __init__(
        self,
        archive: Archive,
        run_id: int | None,
        collection: Collection,
        folder: str | Path,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.archive = archive
        self.run_id = run_id
        self.collection = collection
        #: what the files written read: the sum of their reports
        self.report = ImportReport()
        self.later = ScratchDB(folder, "later.sqlite", LATER_SCHEMA)
        self.blog_comments = BlogComments(folder)
        #: blog -> its REST API's posts (platform id -> address, entry, capture) and comments
        self.rest_posts: dict[str, dict[str, tuple[str, FeedPost, str | None]]] = {}
        self.rest_comments: dict[str, CommentsByPost] = {}
        self.progress = progress
        #: captures written
        self.captures = 0

    def write(self, item: Any) -> None:
        if isinstance(item, Capture):
            self.archive.save_capture(item, self.run_id)
            self.captures += 1
            if self.progress is not None and self.captures % 500 == 0:
                self.progress(self.captures)
        elif isinstance(item, ImportReport):
            self.report.add(item)
        elif isinstance(item, Unchanged):
            self._unchanged(item.fetched)
        elif isinstance(item, Later):
            self.later.write("INSERT INTO later VALUES (?)", (pickle.dumps(item),))
        elif isinstance(item, BlogFeedPage):
            self.blog_comments.add(item.home, item.feed, item.capture_id)
        elif isinstance(item, RestPage):
            posts = self.rest_posts.setdefault(item.home, {})
            for url, entry in item.posts:
                assert entry.post is not None
                posts[entry.post.platform_id or url] = (url, entry, item.capture_id)
            self.rest_comments.setdefault(item.home, CommentsByPost()).add(item.comments)
        else:
            store_item(self.archive, item, self.run_id)

    def _unchanged(self, fetched: Fetched) -> None:
        if self.archive.posts_at([fetched.addresses[-1]]):
            # an archived post whose page has not changed: seen, not read again, as a
            # refresh does (its rows name the capture they were read from)
            store_item(self.archive, fetched.page_item(), self.run_id)
            seen = SeenItem(blog_url=fetched.blog, urls=(fetched.url,))
            store_item(self.archive, seen, self.run_id)
            self.report.pages["post"] += 1
            return
        assert fetched.capture is not None
        where = (fetched.capture.warc_file, fetched.capture.offset)
        for item in read_page(fetched, self.collection, self.report, where):
            self.write(item)

    def finish(self) -> None:
        """Write the comments of the comment feeds, each to its post; then report, per blog,
        the listed posts not archived (:func:`listed_report`)."""
        for (blob,) in self.later.read("SELECT item FROM later ORDER BY rowid"):
            later: Later = pickle.loads(blob)
            match = COMMENT_FEED.match(later.feed_url)
            post_url = None
            if match is not None:
                post_url = self.archive.post_with_platform_id(match.group(1), match.group(2))
            post_url = post_url or later.fallback
            saved = post_url and self.archive.save_comments(replace(later.item, post_url=post_url))
            if not saved and later.item.comments:  # (nothing lost silently)
                post = post_url or "a post the feed does not name"
                self.report.fail(
                    later.feed_url, None,
                    f"{len(later.item.comments)} comments of {post}, which is not archived",
                )  # fmt: skip
        self.later.close()
        self._blog_feed_comments()
        self._rest_posts()
        self.report.blogs = listed_report(self.collection, self.archive)

    def _rest_posts(self) -> None:
        """Write the posts the REST API's answers gave whole, each with its comments in page
        order and their count."""
        for home, posts in self.rest_posts.items():
            comments = self.rest_comments.get(home, CommentsByPost())
            for post_id, (url, entry, capture_id) in posts.items():
                item = rest_post_item(home, url, entry, comments.of(post_id), capture_id)
                store_item(self.archive, item, self.run_id)

    def _blog_feed_comments(self) -> None:
        """Write the comments of the blog-wide comment feeds to the posts that took theirs from
        them (:meth:`Collection.comments_from`: no feed of their own, and all of theirs
        listed); a post the archive lacks is reported."""
        for home in self.blog_comments.blogs():
            for post_id in self.blog_comments.posts(home):
                if (home, post_id) in self.collection:
                    continue  # (its own feed gave them)
                comments, capture_id = self.blog_comments.of_post(home, post_id)
                post_url = self.archive.post_with_platform_id(home, post_id)
                if post_url is None:
                    self.report.fail(
                        f"{home}feeds/comments/default", None,
                        f"{len(comments)} comments of post {post_id}, which is not archived",
                    )  # fmt: skip
                elif takes_held(len(comments), self.archive.comments_stated(post_url)):
                    item = CommentsItem(
                        blog_url=home, post_url=post_url, comments=comments, capture_id=capture_id
                    )
                    self.archive.save_comments(item)
        self.blog_comments.close()


class WarcImport:
    """An import of WARC files into ``archive``, as the crawl run ``run_id`` (its scratch
    files in ``folder``, a temporary one by default; ``base``: the archive's folder, which
    the captures name their files relative to; ``workers``: processes that read files, one
    a task, while this one writes)."""

    def __init__(
        self,
        archive: Archive,
        run_id: int | None,
        folder: str | Path | None = None,
        progress: Callable[[int], None] | None = None,
        base: str | Path | None = None,
        workers: int = 0,
    ) -> None:
        self.archive = archive
        self.run_id = run_id
        self.base = base
        self._temporary = tempfile.TemporaryDirectory(prefix="blogarchive-import-")
        self.folder = Path(folder or self._temporary.name)
        self.report = ImportReport()
        self.progress = progress
        self.workers = workers

    def run(self, paths: list[Path]) -> ImportReport:
        pool = None
        if self.workers > 0:
            context = multiprocessing.get_context("spawn")  # (this process holds SQLite)
            pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        collection = None
        try:
            notes = self._each(pool, notes_of_file, [(path,) for path in paths])
            collection = build_collection(self.folder / "import.sqlite", notes, self.base)
            writer = ItemWriter(
                self.archive, self.run_id, collection, self.folder, progress=self.progress
            )
            if pool is None:
                for path in paths:
                    for item in file_items(path, collection):
                        writer.write(item)
            else:
                spool = str(self.folder)
                tasks = [(path, collection, spool, n) for n, path in enumerate(paths)]
                for spooled in self._each(pool, _spooled_items, tasks):
                    for item in _unspooled(spooled):
                        writer.write(item)
            writer.finish()
            self.report = writer.report
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
            if collection is not None:
                collection.close()
            self._temporary.cleanup()
        return self.report

    def _each(
        self,
        pool: ProcessPoolExecutor | None,
        task: Callable[..., Any],
        arguments: list[tuple[Any, ...]],
    ) -> Iterator[Any]:
        """``task`` on each of ``arguments``, results in their order: here, or in the pool
        with a few files read ahead of the writer."""
        if pool is None:
            for each in arguments:
                yield task(*each)
            return
        running: deque[Future[Any]] = deque()
        for each in arguments:
            running.append(pool.submit(task, *each))
            while len(running) > AHEAD * self.workers:
                yield running.popleft().result()
        while running:
            yield running.popleft().result()


def build_collection(
    path: str | Path, notes: Iterable[Notes], base: str | Path | None = None
) -> Collection:
    """The collection's index at ``path`` (a new file, left there), made of every file's
    :func:`notes_of_file`."""
    Path(path).unlink(missing_ok=True)
    with closing(sqlite3.connect(path)) as index:
        index.execute("PRAGMA journal_mode=OFF")  # (scratch: made again if lost)
        index.execute("PRAGMA synchronous=OFF")
        index.executescript(INDEX_SCHEMA)
        for each in notes:
            index.executemany("INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?, ?)", each.records)
            index.executemany("INSERT OR IGNORE INTO announced VALUES (?, ?)", each.announced)
            index.executemany("INSERT OR IGNORE INTO fed VALUES (?, ?)", each.fed)
            index.executemany("INSERT OR IGNORE INTO blog_fed VALUES (?, ?, ?)", each.blog_fed)
            index.executemany(
                "INSERT OR IGNORE INTO post_pages VALUES (?)", ((u,) for u in each.post_pages)
            )
        index.commit()
    return Collection(path, base)


def listed_report(collection: Collection, archive: Archive) -> dict[str, dict[str, Any]]:
    """Per blog, as a crawl reports them: the posts the collection's feeds, sitemaps and REST
    answers list, how many the archive holds, and each one it does not with why (nothing
    lost silently: a listed post the files lack is named)."""
    blogs: dict[str, dict[str, Any]] = {}
    platforms: dict[str, str | None] = {}
    for chunk in chunked(collection.listed()):
        addresses = [address for url, _ in chunk for address in (url, other_slash(url))]
        held = archive.posts_at(addresses)
        kinds = archive.page_kinds(addresses)
        for url, routes in chunk:
            home = home_url(url)
            if home not in platforms:
                platforms[home] = archive.platform_of(home)
            if routes == {"sitemap"} and platforms[home] != "blogger":
                continue  # (a sitemap of every page lists more than posts)
            figures = blogs.setdefault(home, _figures())
            figures["found"].update("sitemap" if r.startswith("sitemap") else r for r in routes)
            figures["found_distinct"] += 1
            if url in held or other_slash(url) in held:
                figures["archived"] += 1
                continue
            kind = kinds.get(url) or kinds.get(other_slash(url))
            reason = (
                f"captured, but its page is no post (kept as a {kind!r} page)"
                if kind
                else "not in the files imported (no capture of it)"
            )
            figures["missing_count"] += 1
            if len(figures["missing"]) < BlogReport.MISSING_SHOWN:
                figures["missing"].append({"url": url, "reason": reason})
    return {home: {**f, "found": dict(sorted(f["found"].items()))} for home, f in blogs.items()}


def _figures() -> dict[str, Any]:
    return {
        "stated": None, "stated_by": None, "found": Counter(), "found_distinct": 0,
        "archived": 0, "missing_count": 0, "not_posts": 0, "failed": 0, "missing": [],
        "stops": {},
    }  # fmt: skip


def _spooled_items(path: Path, collection: Collection, folder: str, number: int) -> str:
    """A worker's task: the items of one file, pickled one after another into a file of
    ``folder`` (they wait there, not in memory, for the writer)."""
    spooled = Path(folder, f"items-{number}.pickle")
    with spooled.open("wb") as out:
        for item in file_items(path, collection):
            pickle.dump(item, out, protocol=pickle.HIGHEST_PROTOCOL)
    collection.close()
    return str(spooled)


def _unspooled(spooled: str) -> Iterator[Any]:
    with open(spooled, "rb") as stream:
        while True:
            try:
                yield pickle.load(stream)
            except EOFError:
                break
    Path(spooled).unlink()


def _listed(kind: str, body: bytes, url: str) -> list[str]:
    """The post URLs a feed, sitemap or WordPress REST answer lists."""
    if kind == "feed":
        feed = extract_feed(body, url)
        return [entry.url for entry in feed.entries] if feed.ok else []
    if kind == "sitemap":
        try:
            sitemap_kind, locations = sitemap_body_locations(body)
        except SitemapError:
            return []
        return list(locations) if sitemap_kind == "urlset" else []
    try:
        answer: Any = json.loads(body)
        return [post["link"] for post in answer if isinstance(post, dict) and "link" in post]
    except (ValueError, TypeError):
        return []
