"""Politeness a site asks for, seen from the server: a host whose robots.txt sets a
``Crawl-delay`` gets no two requests closer than it, whatever the crawl's own pace (none at
all, or a short delay that AutoThrottle moves)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from itertools import pairwise
from pathlib import Path

import pytest

from blogarchive.demo.server import DemoNetwork
from tests.conftest import FAST, run_cli
from tests.sitegen import PostSpec, SiteSpec, factory

DELAY = 0.5
SPEC = SiteSpec(
    platform="blogger",
    posts=tuple(
        PostSpec(body="text", fate="ok", variant="plain", comments=n % 2) for n in range(6)
    ),
    paging="honest",
    feed_cap=150,
    shuffle=False,
    duplicate=False,
    comment_feeds=True,
    pages_sitemap=True,
    crawl_delay=DELAY,
)
PACES = {
    "no delay of its own": FAST,
    "AutoThrottle from 0.05 s": ["-s", "DOWNLOAD_DELAY=0.05", "-s", "AUTOTHROTTLE_ENABLED=True"],
}


@pytest.mark.parametrize("pace", sorted(PACES))
def test_a_crawl_delay_spaces_every_request_to_its_host(tmp_path: Path, pace: str) -> None:
    db = tmp_path / "archive.db"
    with DemoNetwork(blogs={SPEC.key: SPEC.blog()}, site=factory(SPEC)) as network:
        home = network.homes[SPEC.key]
        result = run_cli("crawl", home, "--db", str(db), "--depth", "0", *PACES[pace])
        assert result.returncode == 0, result.stderr
        log = sorted(network.log, key=lambda entry: entry.received)
    assert log[0].path == "/robots.txt" and len(log) > 10
    gaps = [later.received - earlier.received for earlier, later in pairwise(log)]
    assert min(gaps) >= DELAY, [round(gap, 3) for gap in gaps]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM posts").fetchone() == (6,)
        [(stats,)] = conn.execute("SELECT stats FROM crawl_runs").fetchall()
    host = home.split("//")[1].split(":")[0]
    assert json.loads(stats)[f"politeness/crawl_delay/{host}"] >= DELAY


def test_a_crawl_delay_too_long_is_held_to_the_most_and_said(tmp_path: Path) -> None:
    """A robots.txt that asks for a request a day does not keep the crawl for months."""
    spec = dataclasses.replace(SPEC, crawl_delay=86400)
    db = tmp_path / "archive.db"
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        result = run_cli(
            "crawl", home, "--db", str(db), "--depth", "0", *FAST,
            "-s", "BLOGARCHIVE_MAX_CRAWL_DELAY=0.3",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        log = sorted(network.log, key=lambda entry: entry.received)
    gaps = [later.received - earlier.received for earlier, later in pairwise(log)]
    assert min(gaps) >= 0.3
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM posts").fetchone() == (6,)
        [(stats,)] = conn.execute("SELECT stats FROM crawl_runs").fetchall()
    host = home.split("//")[1].split(":")[0]
    held = json.loads(stats)
    assert 0.3 <= held[f"politeness/crawl_delay/{host}"] < 0.4
    assert held[f"politeness/crawl_delay_held/{host}"] == 86400
