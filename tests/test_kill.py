"""A crawl killed with SIGKILL at any moment leaves an archive SQLite finds sound, and the next
run finishes the work without duplicates."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from blogarchive.demo.server import DemoNetwork
from blogarchive.demo.synthetic import synthetic_blogger
from tests.conftest import FAST, blogarchive_command, run_cli

POSTS = 400


@pytest.mark.parametrize("kill_after_requests", [3, 60, 250])
def test_sigkill_midway_then_the_next_run_completes(
    kill_after_requests: int, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    blog = synthetic_blogger("kill", posts=POSTS, comments={5: 12})
    with DemoNetwork(blogs={"kill": blog}) as network:
        args = ["crawl", network.start_url, "--db", str(db), "--depth", "0", "-q", *FAST]
        process = subprocess.Popen([*blogarchive_command(), *args], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 120
        while len(network.log) < kill_after_requests and process.poll() is None:
            assert time.monotonic() < deadline, "the crawl never got going"
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        result = run_cli(*args)
        assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*), count(DISTINCT url) FROM posts").fetchone() == (
            POSTS,
            POSTS,
        )
        assert conn.execute("SELECT count(*) FROM comments").fetchone() == (12,)
        statuses = [row[0] for row in conn.execute("SELECT status FROM crawl_runs ORDER BY id")]
    assert statuses[-1] == "finished" and "running" not in statuses  # the killed one: interrupted


def test_a_running_crawl_commits_as_it_goes_and_a_kill_keeps_what_it_committed(
    tmp_path: Path,
) -> None:
    """Items are committed every BLOGARCHIVE_COMMIT_SECONDS, not only at the end: another
    connection sees posts while the crawl runs, and SIGKILL loses none of them."""
    db = tmp_path / "archive.db"
    blog = synthetic_blogger("commits", posts=POSTS)
    with DemoNetwork(blogs={"commits": blog}) as network:
        args = ["crawl", network.start_url, "--db", str(db), "--depth", "0", "-q", *FAST,
                "-s", "BLOGARCHIVE_COMMIT_SECONDS=0.2"]  # fmt: skip
        process = subprocess.Popen([*blogarchive_command(), *args], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        seen = 0
        deadline = time.monotonic() + 120
        while not seen and process.poll() is None:
            assert time.monotonic() < deadline, "no post was committed while the crawl ran"
            time.sleep(0.05)
            if db.exists():
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                    try:
                        seen = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
                    except sqlite3.OperationalError:  # the schema is not there yet
                        continue
        assert process.poll() is None, "the crawl finished before a commit was seen"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert 0 < seen < POSTS
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM posts").fetchone()[0] >= seen


def stat_fields(pid: int | str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state, parent, ...); ``None`` once
    the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def children_of(pid: int) -> set[int]:
    """The processes whose parent is ``pid``."""
    children = set()
    for entry in Path("/proc").glob("[0-9]*"):
        fields = stat_fields(entry.name)
        if fields is not None and int(fields[1]) == pid:
            children.add(int(entry.name))
    return children


def alive(pid: int) -> bool:
    fields = stat_fields(pid)
    return fields is not None and fields[0] != "Z"  # a zombie has exited: only its wait is missing


def test_a_killed_crawls_extraction_processes_do_not_outlive_it(tmp_path: Path) -> None:
    """SIGKILL gives a crawl no chance to stop its workers: they leave by themselves."""
    blog = synthetic_blogger("orphans", posts=POSTS)
    with DemoNetwork(blogs={"orphans": blog}) as network:
        args = ["crawl", network.start_url, "--db", str(tmp_path / "archive.db"), "--depth", "0",
                "-q", *FAST, "-s", "BLOGARCHIVE_EXTRACT_PROCESSES=2"]  # fmt: skip
        process = subprocess.Popen([*blogarchive_command(), *args], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 120
        # the crawl's children: its two workers
        while len(network.log) < 60 or len(children_of(process.pid)) < 2:
            assert process.poll() is None, "the crawl finished before its workers were seen"
            assert time.monotonic() < deadline, "the crawl's workers never started"
            time.sleep(0.01)
        children = children_of(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 15
        while any(alive(child) for child in children) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not [child for child in children if alive(child)]
