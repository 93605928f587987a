"""Shared fixtures: the demo network on loopback, the CLI as a user runs it, a crawled archive."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

import pytest

from blogarchive.demo.server import DemoNetwork

FIXTURES = Path(__file__).parent / "fixtures"
#: Politeness off for tests: the servers are ours and on loopback.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


def blogarchive_command() -> list[str]:
    script = shutil.which("blogarchive", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "blogarchive.cli"]


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run ``blogarchive ARGS`` in a new process, as a user would."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [*blogarchive_command(), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
    )


def counts(db: Path) -> dict[str, int]:
    tables = [
        "blogs",
        "blog_links",
        "posts",
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
def serving(db: Path) -> Iterator[str]:
    """``blogarchive serve`` on ``db``, as a user starts it; yields its address once it answers."""
    port = free_port()
    command = [*blogarchive_command(), "serve", "--db", str(db), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).read()
                break
            except (URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"datasette did not start: {output}") from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
