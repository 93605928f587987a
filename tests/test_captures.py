"""A crawl keeps every response as WARC/1.1 records beside the archive, and the archive's rows
name the capture they came from: checked with warcio (its own ``warcio check`` too) on what
crawls and refreshes of the demo network write, and on a server that sends gzip, chunked."""

from __future__ import annotations

import gzip
import io
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from blogarchive.demo.server import DemoNetwork
from blogarchive.warc import SERVER_NOT_MODIFIED
from tests.conftest import FAST, loopback, run_cli


def query(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def warc_records(folder: Path) -> dict[str, tuple[str, dict[str, str], Any, bytes]]:
    """Every record in ``folder``'s WARC files by record id: type, WARC headers, HTTP headers,
    payload as stored (digests checked as read)."""
    found = {}
    for path in sorted(folder.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                headers = dict(record.rec_headers.headers)
                payload = record.raw_stream.read()
                found[headers["WARC-Record-ID"]] = (
                    record.rec_type, headers, record.http_headers, payload
                )  # fmt: skip
    return found


def read_at(base: Path, warc_file: str, offset: int, length: int) -> tuple[str, str, bytes]:
    """The record at ``offset`` of ``warc_file`` (as the archive in ``base`` names it), read
    alone: type, record id, payload."""
    with (base / warc_file).open("rb") as stream:
        stream.seek(offset)
        member = stream.read(length)
    record = next(iter(ArchiveIterator(io.BytesIO(member))))
    return (
        record.rec_type,
        record.rec_headers.get_header("WARC-Record-ID"),
        record.raw_stream.read(),
    )


def warcio_check(folder: Path) -> subprocess.CompletedProcess[str]:
    warcio = shutil.which("warcio", path=str(Path(sys.executable).parent)) or "warcio"
    files = sorted(str(path) for path in folder.glob("*.warc.gz"))
    return subprocess.run([warcio, "check", *files], capture_output=True, text=True, timeout=120)


def test_a_crawl_and_a_refresh_keep_every_response_as_warc_records(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    folder = tmp_path / "archive-warc"  # the default: beside the archive, named after it
    with DemoNetwork() as network:
        crawled = run_cli("crawl", network.start_url, "--db", str(db), "--allow-private", *FAST)
        assert crawled.returncode == 0, crawled.stderr
        assert f"responses kept as WARC records in {folder}" in crawled.stdout
        refreshed = run_cli("refresh", "--db", str(db), *FAST)
        assert refreshed.returncode == 0, refreshed.stderr
    checked = warcio_check(folder)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert len(list(folder.glob("*.warc.gz"))) == 2  # one file a run
    records = warc_records(folder)

    # every answer has its request, concurrent to it, as sent
    answers = {rid for rid, (kind, *_) in records.items() if kind in ("response", "revisit")}
    requests = [r for r in records.values() if r[0] == "request"]
    assert {headers["WARC-Concurrent-To"] for _, headers, _, _ in requests} == answers
    for _, headers, http, _ in requests:
        assert http.get_header("Host") == headers["WARC-Target-URI"].split("/")[2]
        assert http.get_header("Accept-Encoding") == "gzip, deflate"  # what replay decodes

    # the captures table lists each answer, where it is
    captures = query(
        db, "SELECT record_id, url, warc_file, offset, length, record_type, refers_to,"
        " crawl_run_id, status FROM captures"
    )  # fmt: skip
    assert {row[0] for row in captures} == answers
    by_id = {row[0]: row for row in captures}
    for record_id, url, warc_file, offset, length, kind, *_ in captures:
        assert warc_file.startswith("archive-warc/")  # beside the archive: they move together
        assert read_at(tmp_path, warc_file, offset, length)[:2] == (kind, record_id)
        assert records[record_id][1]["WARC-Target-URI"] == url

    # the refresh's unchanged pages are revisits of the crawl's captures of them
    unchanged = query(db, "SELECT url, capture_id FROM pages WHERE status = 304")
    assert len(unchanged) >= 10
    for url, capture_id in unchanged:
        _, _, _, _, _, kind, refers_to, run, _ = by_id[capture_id]
        assert (kind, run) == ("revisit", 2), url
        assert by_id[refers_to][5:8] == ("response", None, 1)
        assert records[capture_id][1]["WARC-Profile"] == SERVER_NOT_MODIFIED
        assert records[capture_id][1]["WARC-Refers-To"] == refers_to

    # each post names the capture of its page, whose payload holds its title
    posts = query(db, "SELECT url, title, capture_id FROM posts")
    assert len(posts) == 13
    for url, title, capture_id in posts:
        row = by_id[capture_id]
        original = row if row[5] == "response" else by_id[row[6]]
        _, _, http, payload = records[original[0]]
        if http.get_header("Content-Encoding") == "gzip":  # (as the server sent it)
            payload = gzip.decompress(payload)
        assert original[1] == url and title.encode() in payload
    [(unnamed,)] = query(db, "SELECT count(*) FROM comments WHERE capture_id IS NULL")
    [(named,)] = query(db, "SELECT count(*) FROM comments WHERE capture_id IN"
                           " (SELECT record_id FROM captures)")  # fmt: skip
    assert unnamed == 0 and named > 0
    [(forms,)] = query(db, "SELECT count(*) FROM form_occurrences WHERE capture_id NOT IN"
                           " (SELECT record_id FROM captures)")  # fmt: skip
    assert forms == 0


def test_no_warc_keeps_none(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with DemoNetwork() as network:
        result = run_cli(
            "crawl", network.homes["wordpress"], "--db", str(db), "--depth", "0", "--no-warc",
            *FAST,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "archive-warc").exists()
    assert query(db, "SELECT count(*) FROM captures") == [(0,)]
    assert query(db, "SELECT count(*) FROM posts WHERE capture_id IS NOT NULL") == [(0,)]


PAGE = (
    b'<!DOCTYPE html><html><head><meta property="og:site_name" content="Zipped Notes">'
    b"<title>Zipped Notes</title></head><body>"
    b"<h1>Zipped Notes</h1><p>A blog served gzip-encoded, in chunks.</p></body></html>"
)


@contextmanager
def gzip_chunked_server() -> Iterator[str]:
    """A server that sends every page gzip-encoded and chunked (as nginx and Blogger do)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                body, kind = b"User-agent: *\nAllow: /\n", "text/plain"
            else:
                body, kind = PAGE, "text/html; charset=utf-8"
            zipped = gzip.compress(body)
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(zipped), 40):
                chunk = zipped[start : start + 40]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")

        def log_message(self, *args: object) -> None:
            pass

    with loopback(Handler) as address:
        yield address


def test_a_gzipped_chunked_answer_is_kept_as_sent(tmp_path: Path) -> None:
    """The payload stays gzip with its Content-Encoding (replay decodes it); the body Scrapy
    de-chunked is not announced as chunked; the archive reads the decoded page."""
    db = tmp_path / "archive.db"
    with gzip_chunked_server() as home:
        result = run_cli("crawl", home, "--db", str(db), "--depth", "0", *FAST)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "archive-warc"
    assert warcio_check(folder).returncode == 0
    assert query(db, "SELECT title FROM blogs") == [("Zipped Notes",)]
    [(capture_id,)] = query(db, "SELECT capture_id FROM pages WHERE kind = 'home'")
    kind, _, http, payload = warc_records(folder)[capture_id]
    assert kind == "response" and payload[:2] == b"\x1f\x8b"
    assert gzip.decompress(payload) == PAGE
    assert http.get_header("Content-Encoding") == "gzip"
    assert http.get_header("Transfer-Encoding") is None
