"""Shared fixtures: the demo network on loopback, the CLI as a user runs it, a crawled archive."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.error import URLError

import pytest

from blogarchive.demo.server import DemoNetwork
from blogarchive.reader import ArchiveReader

FIXTURES = Path(__file__).parent / "fixtures"
#: Politeness off for tests: the servers are ours and on loopback.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


def blogarchive_command() -> list[str]:
    script = shutil.which("blogarchive", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "blogarchive.cli"]


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run ``blogarchive ARGS`` in a new process, as a user would. After a crawl or refresh
    that ended well, its per-blog reports are checked against the archive (issue 31: on every
    crawl of the suite)."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [*blogarchive_command(), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )
    local = args and args[0] in ("crawl", "refresh") and "--redis" not in args
    if result.returncode == 0 and local and "--db" in args:
        db = Path(args[args.index("--db") + 1])
        assert_reports_agree(db if db.is_absolute() or cwd is None else cwd / db)
    return result


def assert_reports_agree(db: Path) -> None:
    """The last run's per-blog reports against the archive: a URL called missing is no post
    the archive holds, the archived, missing and not-post counts add up to the URLs found, and
    no more posts are called archived than the archive holds for the blog."""
    from blogarchive.archive import blog_id_for

    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
        if row is None or not row[0]:
            return
        reports = json.loads(row[0]).get("blogarchive/report", {})
        held = {u for (u,) in conn.execute("SELECT url FROM post_urls UNION SELECT url FROM posts")}
        for blog, report in reports.items():
            for entry in report["missing"]:
                assert entry["url"] not in held, (blog, entry)
                assert entry["reason"], (blog, entry)
            parts = report["archived"] + report["missing_count"] + report["not_posts"]
            assert parts == report["found_distinct"], (blog, report)
            assert len(report["missing"]) == min(report["missing_count"], 100), (blog, report)
            # every URL called archived is an address of a post the archive holds (or that
            # address with its trailing slash toggled)
            (addresses,) = conn.execute(
                "SELECT count(*) FROM (SELECT url FROM post_urls WHERE blog_id = ?"
                " UNION SELECT url FROM posts WHERE blog_id = ?)",
                [blog_id_for(blog)] * 2,
            ).fetchone()
            assert report["archived"] <= 2 * addresses, (blog, report, addresses)


def counts(db: Path) -> dict[str, int]:
    tables = [
        "blogs",
        "blog_links",
        "posts",
        "post_urls",
        "post_revisions",
        "comments",
        "key_observations",
        "forms",
        "form_fields",
        "form_occurrences",
        "pages",
        "crawl_runs",
    ]
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


#: The slow tiers: what a test needs beyond this process. Each is a marker, and so is ``slow``,
#: which every test of any tier has: ``pytest -m "not slow"`` is the quick tier.
TIERS = {
    "e2e": "runs crawls or servers in processes of their own (the CLI, Datasette, scrapyd)",
    "browser": "drives headless Chromium",
    "redis": "starts redis-server",
    "bench": "runs a benchmark's smoke run (nginx, wget)",
    "corpus": "reads the real pages of ../shared/corpus",
    "build": "builds the extractors with mypyc",
    "fuzz": "runs the fuzz target for a bounded time",
}
#: The tiers of every test of a module.
MODULE_TIERS = {
    "test_bench": ("bench",),
    "test_blog_comment_feed": ("e2e",),
    "test_browser": ("browser", "e2e"),
    "test_captures": ("e2e",),
    "test_cli": ("e2e",),
    "test_compiled": ("build", "corpus"),
    "test_crawl": ("e2e",),
    "test_discovery": ("e2e",),
    "test_distributed": ("redis", "e2e"),
    "test_eval": ("corpus",),
    "test_faults": ("e2e",),
    "test_from_feeds": ("e2e",),
    "test_from_rest": ("e2e",),
    "test_import": ("e2e",),
    "test_kill": ("e2e",),
    "test_politeness": ("e2e",),
    "test_refresh": ("e2e",),
    "test_scrapyd": ("e2e",),
    "test_serve": ("e2e",),
    "test_replay": ("e2e",),
    "test_sitegen": ("e2e",),
    "test_traps": ("e2e",),
}
#: Fixtures that crawl the demo network through the CLI: a test that uses one is end to end.
E2E_FIXTURES = frozenset({"crawled", "demo_network"})


def pytest_configure(config: pytest.Config) -> None:
    for name, what in TIERS.items():
        config.addinivalue_line("markers", f"{name}: {what} (slow)")
    config.addinivalue_line("markers", 'slow: of a tier above; -m "not slow" leaves it out')


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rpartition(".")[2] if item.module else ""  # type: ignore[attr-defined]
        tiers = set(MODULE_TIERS.get(module, ()))
        if E2E_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            tiers.add("e2e")
        tiers.update(mark.name for mark in item.iter_markers() if mark.name in TIERS)
        for tier in sorted(tiers):
            item.add_marker(tier)
        if tiers:
            item.add_marker("slow")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def demo_network() -> Iterator[DemoNetwork]:
    with DemoNetwork() as network:
        yield network


@dataclass
class CrawledArchive:
    path: Path
    network: DemoNetwork
    first: subprocess.CompletedProcess[str]
    second: subprocess.CompletedProcess[str]
    counts_after_first: dict[str, int]
    counts_after_second: dict[str, int]
    log_size_after_first: int


@pytest.fixture(scope="session")
def crawled(demo_network: DemoNetwork, tmp_path_factory: pytest.TempPathFactory) -> CrawledArchive:
    """The demo network crawled twice into one archive, with the CLI, depth 2."""
    db = tmp_path_factory.mktemp("archive") / "archive.db"
    args = [
        "crawl",
        demo_network.start_url,
        "--db",
        str(db),
        "--allow-private",
        "--depth",
        "2",
        *FAST,
    ]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    after_first = counts(db)
    log_size = len(demo_network.log)
    second = run_cli(*args)
    assert second.returncode == 0, second.stderr
    return CrawledArchive(db, demo_network, first, second, after_first, counts(db), log_size)


@contextmanager
def loopback(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server on 127.0.0.1 answering with ``handler``; yields its address."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def content_rows(db: Path, columns: dict[str, str]) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's ``columns`` (table -> a SELECT list), its rows in a set order."""
    with sqlite3.connect(db) as conn:
        return {
            table: sorted(conn.execute(f"SELECT {select} FROM {table}").fetchall(), key=repr)
            for table, select in columns.items()
        }


PYWB_REQUIREMENTS = Path(__file__).parent / "requirements-pywb.txt"


@pytest.fixture(scope="session")
def pywb_bin() -> str:
    """The bin folder of a pywb install: ``BLOGARCHIVE_PYWB``, pywb's tools on the PATH, or a
    virtualenv of its own made beside the repository (``.venv-pywb``) from
    ``tests/requirements-pywb.txt`` (pywb pins libraries older than ours)."""
    configured = os.environ.get("BLOGARCHIVE_PYWB")
    if configured:
        return configured
    found = shutil.which("wayback")
    if found and shutil.which("wb-manager"):
        return str(Path(found).parent)
    venv = Path(__file__).parent.parent / ".venv-pywb"
    if not (venv / "bin" / "wayback").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        result = subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "-r", str(PYWB_REQUIREMENTS)],
            capture_output=True, text=True, timeout=1200,
        )  # fmt: skip
        if result.returncode != 0:
            pytest.fail(f"cannot install pywb: {result.stderr[-2000:]}")
    return str(venv / "bin")


def wait_until_answers(
    url: str, process: subprocess.Popen[bytes], what: str, seconds: float = 60
) -> None:
    """Wait until ``url`` answers, or raise with what the server ``process`` said."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except (URLError, ConnectionError):
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"{what} did not start: {output[-2000:]}") from None
            time.sleep(0.3)


def seed_capture(db: Path, title: str) -> tuple[str, str]:
    """The URL and time of the capture a post (by its title) was read from."""
    with ArchiveReader(db) as reader:
        return next((url, when) for url, when, named in reader.captured_posts() if named == title)


@contextmanager
def serving(db: Path, base_url: str = "/", *options: str) -> Iterator[str]:
    """``blogarchive serve`` on ``db`` (with ``options``), as a user starts it; yields its
    address (with ``base_url``'s path, less its last slash) once it answers."""
    port = free_port()
    command = [*blogarchive_command(), "serve", "--db", str(db), "--port", str(port), *options]
    if base_url != "/":
        command += ["--base-url", base_url]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}{base_url.rstrip('/')}"
    try:
        wait_until_answers(f"{base}/-/versions.json", process, "datasette")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
