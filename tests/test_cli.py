"""The command line as a user meets it: clear one-line errors, exit codes, extract, forms export."""

from __future__ import annotations

import gc
import json
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import jsonschema
import pytest
from scrapy import Request, signals
from scrapy.core.downloader import Downloader
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from blogarchive.demo.server import DemoNetwork
from blogarchive.extensions import CollectorThreshold, CrawlProgress
from tests.conftest import FAST, CrawledArchive, free_port, loopback, run_cli


@contextmanager
def serving(content_type: str, body: bytes) -> Iterator[str]:
    """A loopback server answering every GET with ``body`` as ``content_type``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            payload = b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt" else body
            self.send_response(200)
            self.send_header(
                "Content-Type", "text/plain" if self.path == "/robots.txt" else content_type
            )
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    with loopback(Handler) as address:
        yield address


def assert_one_line_error(result, fragment: str) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error:") and fragment in lines[0]


@pytest.mark.parametrize(
    ("value", "cores", "processes"),
    [("auto", 1, 0), ("auto", 2, 1), ("AUTO", 16, 1), ("0", 8, 0), ("3", 1, 3), (2, 2, 2)],
)
def test_extraction_processes_are_a_number_or_one_where_there_are_two_cores(
    value: object, cores: int, processes: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from blogarchive import extraction, settings

    monkeypatch.setattr(extraction, "usable_cores", lambda: cores)
    assert extraction.process_count(value) == processes
    assert settings.BLOGARCHIVE_EXTRACT_PROCESSES == "auto"


def test_crawl_takes_the_setting_values_scrapy_takes(tmp_path: Path) -> None:
    """Fractions where Scrapy's default is 0 (``DOWNLOAD_DELAY``), flags as Scrapy spells them."""
    url = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    result = run_cli(
        "crawl", url, "--db", str(tmp_path / "a.db"), *FAST, "-s", "RETRY_TIMES=0",
        "-s", "DOWNLOAD_DELAY=0.01", "-s", "ROBOTSTXT_OBEY=False",
        "-s", "BLOGARCHIVE_EXTRACT_PROCESSES=auto", "-s", "BLOGARCHIVE_COMMIT_SECONDS=0.5",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_unreachable_blog_is_recorded_and_the_crawl_succeeds(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    url = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    result = run_cli("crawl", url, "--db", str(db), *FAST, "-s", "RETRY_TIMES=0")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT url, status FROM blogs").fetchall() == [(url, "unreachable")]
        [(error,)] = conn.execute("SELECT error FROM pages WHERE url = ?", [url]).fetchall()
    assert "refused" in error.lower()
    assert "unreachable" in result.stdout


def test_a_response_that_is_not_html_is_a_recorded_failure(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with serving("application/pdf", b"%PDF-1.4 not a blog") as url:
        result = run_cli("crawl", url, "--db", str(db), *FAST)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status, error FROM blogs").fetchall() == [
            ("error", "not HTML: application/pdf")
        ]
        [(kind, status, error)] = conn.execute("SELECT kind, status, error FROM pages").fetchall()
    assert (kind, status, error) == ("home", 200, "not HTML: application/pdf")
    assert "Traceback" not in result.stderr


def test_forms_export_writes_valid_schemas(crawled: CrawledArchive, tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    result = run_cli("forms", "export", "--db", str(crawled.path), "--out", str(out))
    assert result.returncode == 0, result.stderr
    files = sorted(out.glob("*.schema.json"))
    with sqlite3.connect(crawled.path) as conn:
        ids = sorted(row[0] for row in conn.execute("SELECT id FROM forms"))
    assert [f.name.split(".")[0] for f in files] == ids
    for file in files:
        jsonschema.Draft202012Validator.check_schema(json.loads(file.read_text()))
    assert "Do You Need One Of Our Coaches?" in result.stdout


def test_crawl_prints_progress_while_it_runs(demo_network: DemoNetwork, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    result = run_cli(
        "crawl", demo_network.start_url, "--db", str(db), "--depth", "0",
        "-s", "BLOGARCHIVE_PROGRESS_INTERVAL=0.05", "-s", "DOWNLOAD_DELAY=0.05",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    progress = [line for line in result.stderr.splitlines() if line.startswith("  … ")]
    assert progress, result.stderr
    assert "blogs" in progress[-1] and "pages fetched" in progress[-1]
    figures = [
        re.search(r" (\d+) pages fetched \((\d+)/s\), (\d+) waiting, (\d+) failed$", line)
        for line in progress
    ]
    assert all(figures), progress
    fetched, rates, waiting = (
        [int(found.group(n)) for found in figures if found] for n in (1, 2, 3)
    )
    assert fetched == sorted(fetched) and fetched[-1] > 0
    # the requests wait their turn (a page every 0.05 s) in the queue or the downloader, and
    # pages came at some rate
    assert max(waiting) > 0 and max(rates) > 0


def test_scrapy_crawl_from_the_repository_does_the_same(
    demo_network: DemoNetwork, tmp_path: Path
) -> None:
    db = tmp_path / "scrapy.db"
    repository = Path(__file__).parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "blog", "-a", f"url={demo_network.start_url}",
         "-s", f"ARCHIVE_DB={db}", "-s", "BLOGARCHIVE_DEPTH=0", *FAST, "-s", "LOG_LEVEL=WARNING"],
        cwd=repository, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 7
        assert conn.execute("SELECT status FROM crawl_runs").fetchall() == [("finished",)]


@pytest.mark.parametrize("shows_waiting", [True, False])
def test_a_progress_line_gives_the_rate_and_what_waits_in_the_queue(
    shows_waiting: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pages a second since the line before, and the requests not yet answered (queued, or
    held by the downloader), unless the queue is not the crawl's own (a distributed worker's is
    Redis's)."""
    crawler = get_crawler(settings_dict={"BLOGARCHIVE_PROGRESS_WAITING": shows_waiting})
    progress = CrawlProgress(crawler, interval=5)
    progress.downloader = Downloader(crawler)
    progress.downloader.active.update(Request(f"http://127.0.0.1/{n}") for n in range(16))
    stats = crawler.stats
    assert stats is not None
    progress.last = (time.monotonic() - 2, 100)  # 100 pages fetched two seconds ago
    for name, value in (
        ("archive/blogs/blogger", 2), ("archive/posts", 150), ("archive/comments", 40),
        ("response_received_count", 300), ("scheduler/enqueued", 420),
        ("scheduler/dequeued", 310), ("blogarchive/failed", 1),
    ):  # fmt: skip
        stats.set_value(name, value)
    progress.report()
    line = capsys.readouterr().err.rstrip("\n")
    waiting = "126 waiting, " if shows_waiting else ""
    found = re.fullmatch(
        rf"  … 2 blogs, 150 posts, 40 comments, 300 pages fetched \((\d+)/s\), {waiting}1 failed",
        line,
    )
    assert found is not None, line
    assert 95 <= int(found.group(1)) <= 100  # 200 pages in two seconds and a little more
    assert progress.last[1] == 300


def test_the_collector_waits_for_more_objects_while_the_engine_runs() -> None:
    """The project's threshold holds from the engine's start to its stop, then Python's is
    back (a crawl run inside another program leaves it as it found it)."""
    # Scrapy's own extensions left out: some need a running reactor for engine_started
    crawler = get_crawler(settings_dict={"BLOGARCHIVE_GC_THRESHOLD": 50_000, "EXTENSIONS_BASE": {}})
    extension = CollectorThreshold.from_crawler(crawler)  # signals hold their handlers weakly
    before = gc.get_threshold()
    try:
        crawler.signals.send_catch_log(signals.engine_started)
        assert gc.get_threshold() == (50_000, *before[1:])
    finally:
        crawler.signals.send_catch_log(signals.engine_stopped)
    assert gc.get_threshold() == before
    assert extension.previous is None


def test_the_collector_is_left_alone_with_a_threshold_of_zero() -> None:
    with pytest.raises(NotConfigured):
        CollectorThreshold.from_crawler(get_crawler(settings_dict={"BLOGARCHIVE_GC_THRESHOLD": 0}))


def test_the_collector_extension_is_on_for_the_project_crawls() -> None:
    from blogarchive import settings

    crawler = get_crawler(
        settings_dict={
            "EXTENSIONS": settings.EXTENSIONS,
            "BLOGARCHIVE_GC_THRESHOLD": settings.BLOGARCHIVE_GC_THRESHOLD,
            "EXTENSIONS_BASE": {},
        }
    )
    loaded = [e for e in crawler.extensions.middlewares if isinstance(e, CollectorThreshold)]
    assert len(loaded) == 1
    assert loaded[0].threshold > gc.get_threshold()[0]
