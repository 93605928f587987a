"""Web archives made into the archive, without the network: ``blogarchive import FILE...``.

WARC files (``.warc``, ``.warc.gz``; ours, or any crawler's: wget, Heritrix, Browsertrix,
ArchiveTeam) and WACZ packages are read with warcio, and every captured page takes the step a
crawl takes (:func:`~blogarchive.pageitems.page_items`), so the rows are those a crawl of the
same pages writes, each naming the capture it came from.

Two passes over the collection. The first reads what decides how a page is read: the comment
feeds the collection holds (a Blogger post whose feed is there takes its comments from it, as
the crawl did), the posts its feeds, sitemaps and WordPress REST answers list (a page they list
is a post, whatever its address), and where each record is (a revisit is resolved by the
record it refers to, or by its payload digest alone: ArchiveTeam deduplicates across URLs). The
second reads the pages in the collection's order, comment feeds last (their posts first). What
cannot be read (a truncated record, a damaged gzip member, a file that is no WARC) is counted
and reported with where and why; the rest is read.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import re
import zipfile
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord

from blogarchive.archive import Archive
from blogarchive.items import Capture, PageItem, SeenItem
from blogarchive.pageitems import (
    COMMENT_FEED,
    Fetched,
    StoredComments,
    extract_fetched,
    is_html,
    page_items,
    sitemap_route,
)
from blogarchive.pipelines import store_item
from blogarchive.scratch import ScratchDB
from blogarchive.sitemaps import SitemapError, sitemap_body_locations
from blogarchive.warc import SERVER_NOT_MODIFIED, cited_path
from extract.feeds import extract_feed
from extract.urls import canonical_url, home_url, post_permalink

#: What a captured URL was fetched as, by its address (else by its type: HTML is a page).
ROUTES = (
    ("comments", re.compile(r"/feeds/[^/?]+/comments/")),
    ("feed", re.compile(r"/feeds/posts/|/feed/?(\?|$)|[?&]feed=(rss|atom)|/(rss|atom)\.xml$")),
    ("sitemap", re.compile(r"sitemap[^/]*\.xml(\.gz)?(\?|$)")),
    ("rest", re.compile(r"/wp-json/wp/v2/posts")),
)

INDEX_SCHEMA = """
CREATE TABLE records (record_id TEXT PRIMARY KEY, digest TEXT, file TEXT, offset INTEGER,
    length INTEGER) WITHOUT ROWID;
CREATE INDEX records_by_digest ON records (digest);
CREATE TABLE announced (url TEXT, route TEXT, PRIMARY KEY (url, route)) WITHOUT ROWID;
CREATE TABLE fed (home TEXT, post TEXT, PRIMARY KEY (home, post)) WITHOUT ROWID;
CREATE TABLE later (file TEXT, offset INTEGER, length INTEGER, url TEXT);
"""


@dataclass
class ImportReport:
    """What an import read: records and pages by kind, revisits resolved, and each failure
    with where and why."""

    files: int = 0
    records: int = 0
    pages: Counter[str] = field(default_factory=Counter)
    revisits: int = 0
    failures: list[tuple[str, int | None, str]] = field(default_factory=list)

    def fail(self, where: str, offset: int | None, why: str) -> None:
        self.failures.append((where, offset, why))


@dataclass(frozen=True, slots=True)
class Captured:
    """A response record as read: the record and where it is."""

    record: ArcWarcRecord
    file: str
    offset: int
    length: int
    #: its HTTP payload, de-chunked and decoded (gzip, deflate, br)
    payload: bytes = b""


def route_of(url: str, content_type: str | None, body: bytes) -> str | None:
    """What a captured response was fetched as (one of the archive's page kinds), or ``None``
    for what the archive does not read (robots.txt, images, scripts)."""
    for kind, pattern in ROUTES:
        if pattern.search(url):
            return kind
    if not is_html(content_type, body):
        return None
    return "home" if canonical_url(url) == home_url(url) else "post"


@contextmanager
def opened(path: Path) -> Iterator[list[tuple[str, IO[bytes]]]]:
    """The WARC streams of a file: itself, or a WACZ's ``archive/`` members."""
    if path.suffix.lower() == ".wacz":
        with zipfile.ZipFile(path) as package:
            names = [n for n in package.namelist() if n.startswith("archive/") and ".warc" in n]
            streams = [(f"{path}#{name}", package.open(name)) for name in sorted(names)]
            try:
                yield streams
            finally:
                for _, stream in streams:
                    stream.close()
        return
    with path.open("rb") as stream:
        yield [(str(path), stream)]


#: Where a record may begin: a gzip member (a ``.warc.gz``), or a WARC header line.
GZIP_MEMBER = b"\x1f\x8b\x08"
WARC_HEADER = b"WARC/1."
#: Bytes read at a time while looking for the next record after a damaged one.
SCAN_CHUNK = 1 << 20


def records_of(name: str, stream: IO[bytes], report: ImportReport) -> Iterator[Captured]:
    """The records of one WARC stream with where each is. A record that cannot be read (a
    damaged gzip member, a wrong length, bytes that are no WARC) is a failure reported at its
    offset, and reading goes on at the next record found after it."""
    start = _next_record(stream, 0)
    if start is None:
        report.fail(name, 0, "not a WARC file (nor ARC)")
        return
    if start > 0:
        report.fail(name, 0, f"no record could be read before offset {start}")
    stream.seek(start)
    if stream.read(3) == GZIP_MEMBER:
        yield from _gzip_records(name, stream, start, report)
    else:
        yield from _plain_records(name, stream, start, report)


def _gzip_records(
    name: str, stream: IO[bytes], start: int | None, report: ImportReport
) -> Iterator[Captured]:
    """The records of a ``.warc.gz``, a gzip member at a time (a record a member, as every
    WARC writer makes them): a damaged member is reported at its offset, and the next read."""
    while start is not None:
        member = _member(stream, start)
        if isinstance(member, str):
            report.fail(name, start, member)
            start = _next_record(stream, start + 1)
            continue
        data, length = member
        try:
            for record, payload in _parsed(data):
                report.records += 1
                yield Captured(record, name, start, length, payload)
        except Exception as error:  # warcio on damaged bytes raises more than its own errors
            report.fail(name, start, f"{type(error).__name__}: {error}".strip()[:300])
        start = _following_member(name, stream, start + length, report)


def _following_member(
    name: str, stream: IO[bytes], position: int, report: ImportReport
) -> int | None:
    """Where the member after one that ends at ``position`` begins: there, as a sound file
    has it; else the next found (the bytes between reported); None at the file's end."""
    stream.seek(position)
    head = stream.read(3)
    if not head or head == GZIP_MEMBER:
        return position if head else None
    following = _next_record(stream, position)
    end = "the file's end" if following is None else f"offset {following}"
    report.fail(name, position, f"bytes that are no record, up to {end}")
    return following


def _member(stream: IO[bytes], start: int) -> tuple[bytes, int] | str:
    """The gzip member at ``start``: its data and its length in the file, or why it cannot
    be read."""
    stream.seek(start)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    parts, read = [], 0
    while not inflater.eof:
        chunk = stream.read(SCAN_CHUNK)
        if not chunk:
            return "a gzip member cut short (the file ends inside it)"
        read += len(chunk)
        try:
            parts.append(inflater.decompress(chunk))
        except zlib.error as error:
            return f"a damaged gzip member ({error})"
    return b"".join(parts), read - len(inflater.unused_data)


def _parsed(data: bytes) -> Iterator[tuple[ArcWarcRecord, bytes]]:
    """The records of one gzip member's data, with their HTTP payloads (de-chunked, decoded)."""
    iterator = ArchiveIterator(io.BytesIO(data), arc2warc=True, check_digests=False)
    for record in iterator:
        payload = record.content_stream().read() if record.http_headers else b""
        iterator.read_to_end(record)
        _check_whole(record)
        yield record, payload


class CutShort(ValueError):
    """A record whose bytes end before the length its header states."""


def _check_whole(record: ArcWarcRecord) -> None:
    """Raise :class:`CutShort` for a record the stream ended inside of (warcio gives such a
    record as it is: a length damaged upwards would swallow the records after it)."""
    if record.rec_headers.get_header("Content-Length") is None:  # (the standard's must)
        raise CutShort("a record whose header states no length (a damaged header?)")
    stream = record.raw_stream
    while stream is not None and not isinstance(stream, LimitReader):
        stream = getattr(stream, "stream", None)
    if isinstance(stream, LimitReader) and stream.limit > 0:
        raise CutShort(f"the record ends {stream.limit} bytes before the length it states")


def _plain_records(
    name: str, stream: IO[bytes], start: int | None, report: ImportReport
) -> Iterator[Captured]:
    """The records of an uncompressed WARC; after a record that cannot be read, reading goes
    on at the next ``WARC/`` header line found."""
    while start is not None:
        stream.seek(start)
        iterator = ArchiveIterator(stream, arc2warc=True, check_digests=False)
        at = start  # where the record being read begins
        try:
            for record in iterator:
                # (the payload first: asking where a record is reads it to its end)
                payload = record.content_stream().read() if record.http_headers else b""
                iterator.read_to_end(record)
                _check_whole(record)
                offset = iterator.get_record_offset() or 0  # (from the stream's start)
                length = iterator.get_record_length() or 0
                at = offset + length
                report.records += 1
                yield Captured(record, name, offset, length, payload)
            return
        except Exception as error:  # warcio on damaged bytes raises more than its own errors
            report.fail(name, at, f"{type(error).__name__}: {error}".strip()[:300])
        start = _next_record(stream, at + 1)


def _looks_like_record(stream: IO[bytes], position: int) -> bool:
    """Whether a WARC (or ARC) record begins at ``position``, compressed or not."""
    stream.seek(position)
    head = stream.read(4096)
    if head.startswith(GZIP_MEMBER):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 64)
        except zlib.error:
            return False
    return head.startswith((b"WARC/", b"filedesc:"))


def _next_record(stream: IO[bytes], position: int) -> int | None:
    """Where the next record begins at or after ``position`` (None: nowhere)."""
    base = position
    carried = b""
    while True:
        stream.seek(base + len(carried))
        chunk = stream.read(SCAN_CHUNK)
        if not chunk:
            return None
        data = carried + chunk
        starts = sorted(
            index
            for marker in (GZIP_MEMBER, WARC_HEADER, b"filedesc:")
            for index in _all(data, marker)
        )
        for found in starts:
            if _looks_like_record(stream, base + found):
                return base + found
        keep = len(WARC_HEADER) + 2
        base += len(data) - keep
        carried = data[-keep:]


def _all(data: bytes, marker: bytes) -> Iterator[int]:
    found = data.find(marker)
    while found >= 0:
        yield found
        found = data.find(marker, found + 1)


class WarcImport:
    """An import of WARC files into ``archive``, as the crawl run ``run_id`` (its scratch
    index in ``folder``, a temporary one by default; ``base``: the archive's folder, which
    the captures name their files relative to)."""

    def __init__(
        self,
        archive: Archive,
        run_id: int | None,
        folder: str | Path | None = None,
        progress: Callable[[ImportReport], None] | None = None,
        base: str | Path | None = None,
        workers: int = 0,
    ) -> None:
        self.archive = archive
        self.run_id = run_id
        self.base = base
        self.index = ScratchDB(folder, "import.sqlite", INDEX_SCHEMA)
        self.report = ImportReport()
        self.progress = progress
        #: ``workers`` processes that extract post pages while this one reads and writes
        self.pool: ProcessPoolExecutor | None = None
        if workers > 0:
            context = multiprocessing.get_context("spawn")  # (this process holds SQLite)
            self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        #: pages read, waiting for their extraction, in the collection's order
        self.window: deque[tuple[_Job, Future[Any] | None]] = deque()
        self.window_size = 4 * workers

    def run(self, paths: list[Path]) -> ImportReport:
        try:
            for path in paths:
                self._scan(path)
            comments = StoredComments(_Fed(self.index))
            for path in paths:
                self.report.files += 1
                self._read(path, comments)
            self._drain(comments)
            self._read_later(comments)
            self._drain(comments)
        finally:
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)
            self.index.close()
        return self.report

    # -- the first pass: what decides how pages are read -----------------------------------

    def _scan(self, path: Path) -> None:
        scan = ImportReport()  # (its failures are the second pass's to report)
        try:
            with opened(path) as streams:
                for name, stream in streams:
                    for captured in records_of(name, stream, scan):
                        self._note(captured)
        except (OSError, zipfile.BadZipFile):
            pass

    def _note(self, captured: Captured) -> None:
        record = captured.record
        if record.rec_type != "response":
            return
        headers = record.rec_headers
        self.index.write(
            "INSERT OR IGNORE INTO records VALUES (?, ?, ?, ?, ?)",
            (headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Payload-Digest"),
             captured.file, captured.offset, captured.length),
        )  # fmt: skip
        url = headers.get_header("WARC-Target-URI") or ""
        http = record.http_headers
        content_type = http.get_header("Content-Type") if http else None
        kind = route_of(url, content_type, captured.payload[:2048])
        if kind == "comments" and (match := COMMENT_FEED.match(url)) is not None:
            self.index.write("INSERT OR IGNORE INTO fed VALUES (?, ?)", match.groups())
        elif kind in ("feed", "sitemap", "rest"):
            # a sitemap that lists only posts on any platform, or any sitemap on Blogger (which
            # a page's platform decides: see _announced)
            route = "sitemap-posts" if sitemap_route(url, None) == "sitemap" else kind
            listed = _listed(kind, captured.payload, url)
            self.index.write_many(
                "INSERT OR IGNORE INTO announced VALUES (?, ?)",
                ((post_permalink(canonical_url(u)), route) for u in listed),
            )

    # -- the second pass: the pages -------------------------------------------------------

    def _read(self, path: Path, comments: StoredComments) -> None:
        try:
            with opened(path) as streams:
                for name, stream in streams:
                    for captured in records_of(name, stream, self.report):
                        self._page(captured, comments, defer=True)
                        if self.progress is not None and self.report.records % 500 == 0:
                            self.progress(self.report)
        except zipfile.BadZipFile:
            self.report.fail(str(path), None, "not a WACZ (zip) file")
        except OSError as error:
            self.report.fail(str(path), None, error.strerror or str(error))

    def _read_later(self, comments: StoredComments) -> None:
        """The comment feeds, once every post is read."""
        rows = self.index.read("SELECT file, offset, length FROM later ORDER BY rowid").fetchall()
        for file, offset, length in rows:
            captured = _record_at(file, offset, length, self.report)
            if captured is not None:
                self._page(captured, comments, defer=False)

    def _page(self, captured: Captured, comments: StoredComments, *, defer: bool) -> None:
        """Read a record's page: now, or (with workers) once its extraction is made, in the
        collection's order either way."""
        job = self._prepare(captured, defer=defer)
        if job is None:
            return
        future = None
        if self.pool is not None and job.fetched.kind == "post" and not job.not_modified:
            future = self.pool.submit(extract_fetched, job.fetched)
        self.window.append((job, future))
        while len(self.window) > self.window_size:
            self._finish(*self.window.popleft(), comments)

    def _drain(self, comments: StoredComments) -> None:
        while self.window:
            self._finish(*self.window.popleft(), comments)

    def _prepare(self, captured: Captured, *, defer: bool) -> _Job | None:
        """The page of a record, as the archive reads it; None for a record it does not read
        (or a comment feed put off till every post is read)."""
        record = captured.record
        if record.rec_type == "revisit":
            original = self._original(captured)
            if original is None:
                return None
            self.report.revisits += 1
            body, http = original.payload, original.record.http_headers
        elif record.rec_type == "response":
            body, http = captured.payload, record.http_headers
        else:
            return None
        headers = record.rec_headers
        url = headers.get_header("WARC-Target-URI") or ""
        record_id = headers.get_header("WARC-Record-ID")
        if http is None:
            return None  # (a response that is no HTTP exchange: DNS, whois)
        if headers.get_header("WARC-Truncated"):
            why = headers.get_header("WARC-Truncated")
            self.report.fail(captured.file, captured.offset, f"{url}: truncated ({why})")
            return None
        status = int(http.get_statuscode() or 0)
        content_type = http.get_header("Content-Type")
        kind = route_of(url, content_type, body[:2048])
        if kind is None or not 200 <= status < 300:
            return None
        # a 304 the crawl answered with the archived page: the revisit's own status
        not_modified = headers.get_header("WARC-Profile") == SERVER_NOT_MODIFIED
        if not_modified:
            status = 304
        if kind == "comments" and defer:
            self.index.write(
                "INSERT INTO later VALUES (?, ?, ?, ?)",
                (captured.file, captured.offset, captured.length, url),
            )
            return None
        capture = Capture(
            record_id=record_id,
            url=url,
            timestamp=headers.get_header("WARC-Date") or "",
            warc_file=self.cited(captured.file),
            offset=captured.offset,
            length=captured.length,
            payload_digest=headers.get_header("WARC-Payload-Digest"),
            status=status,
            record_type=record.rec_type,
            refers_to=headers.get_header("WARC-Refers-To"),
        )
        fetched = Fetched(
            url=url, blog=home_url(url), kind=kind, status=status, body=body,
            fetched_at=capture.timestamp, content_type=content_type,
            etag=http.get_header("ETag"), last_modified=http.get_header("Last-Modified"),
            capture=capture,
        )  # fmt: skip
        return _Job(fetched, not_modified, captured.file, captured.offset)

    def _finish(self, job: _Job, future: Future[Any] | None, comments: StoredComments) -> None:
        """Write a page's rows: its capture, and the items of :func:`page_items`."""
        fetched, url, kind = job.fetched, job.fetched.url, job.fetched.kind
        assert fetched.capture is not None
        self.archive.save_capture(fetched.capture, self.run_id)
        if job.not_modified and kind == "post" and self._archived(fetched.addresses[-1]):
            # an archived post whose page has not changed: seen, not read again, as a
            # refresh does (its rows name the capture they were read from)
            store_item(self.archive, fetched.page_item(), self.run_id)
            store_item(self.archive, SeenItem(blog_url=fetched.blog, urls=(url,)), self.run_id)
            self.report.pages["post"] += 1
            return
        read = page_items(
            fetched,
            future.result() if future is not None else None,
            announced=lambda page: self._announced(fetched.addresses, page.blog.platform),
            comments_from=comments.route(fetched.blog),
            post_url=comments.post_of(url),
        )
        for item in read.items:
            if isinstance(item, PageItem) and kind == "comments" and item.error:
                self.report.fail(job.file, job.offset, f"{url}: not a feed")
            store_item(self.archive, item, self.run_id)
        self.report.pages["post" if read.post else "page" if kind == "post" else kind] += 1

    def cited(self, file: str) -> str:
        """A WARC file (or a WACZ member, ``PACKAGE#archive/NAME``) as the archive names it."""
        package, hash_, member = file.partition("#")
        return cited_path(package, self.base) + hash_ + member

    def _archived(self, url: str) -> bool:
        return bool(self.archive.posts_at([url]))

    def _announced(self, addresses: tuple[str, ...], platform: str) -> bool:
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
        return self.index.read(sql, (*addresses, *routes)).fetchone() is not None

    def _original(self, captured: Captured) -> Captured | None:
        """The response record a revisit repeats: the one it names, else any with its payload
        digest; a revisit whose original the collection lacks is reported."""
        headers = captured.record.rec_headers
        row = None
        refers_to = headers.get_header("WARC-Refers-To")
        if refers_to:
            row = self.index.read(
                "SELECT file, offset, length FROM records WHERE record_id = ?", (refers_to,)
            ).fetchone()
        digest = headers.get_header("WARC-Payload-Digest")
        if row is None and digest:
            row = self.index.read(
                "SELECT file, offset, length FROM records WHERE digest = ? LIMIT 1", (digest,)
            ).fetchone()
        if row is None:
            url = headers.get_header("WARC-Target-URI")
            self.report.fail(
                captured.file, captured.offset, f"{url}: a revisit of a record not in the import"
            )
            return None
        file, offset, length = row
        return _record_at(file, offset, length, self.report)


@dataclass(frozen=True, slots=True)
class _Job:
    """A record's page, read as far as what its extraction needs."""

    fetched: Fetched
    #: a revisit of a 304: its page as the record it repeats holds it
    not_modified: bool
    file: str
    offset: int


class _Fed:
    """The stored comment feeds, as :class:`StoredComments` asks (``(home, post id) in``)."""

    def __init__(self, index: ScratchDB) -> None:
        self.index = index

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, tuple) or len(key) != 2:
            return False
        sql = "SELECT 1 FROM fed WHERE home = ? AND post = ?"
        return self.index.read(sql, key).fetchone() is not None


def _record_at(file: str, offset: int, length: int, report: ImportReport) -> Captured | None:
    """The record at ``offset`` of ``file`` (a WACZ member: ``PACKAGE#archive/NAME``)."""
    package, _, member = file.partition("#")
    try:
        if member:
            with zipfile.ZipFile(package) as archive, archive.open(member) as stream:
                stream.seek(offset)
                data = stream.read(length)
        else:
            with open(file, "rb") as stream:
                stream.seek(offset)
                data = stream.read(length)
    except (OSError, zipfile.BadZipFile, KeyError) as error:
        report.fail(file, offset, f"cannot read the record again: {error}")
        return None
    found = list(records_of(file, io.BytesIO(data), ImportReport()))
    if not found:
        report.fail(file, offset, "cannot read the record again")
        return None
    return Captured(found[0].record, file, offset, length, found[0].payload)


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
