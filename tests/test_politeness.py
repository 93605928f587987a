"""Politeness seen from the server: no two requests to a host closer than the crawl's delay;
and a host whose robots.txt sets a ``Crawl-delay`` gets no two requests closer than that,
whatever the crawl's own pace (none at all, or a short delay that AutoThrottle moves)."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from itertools import pairwise
from pathlib import Path

import pytest

from blogarchive.demo.server import DemoNetwork, Response, Site
from blogarchive.demo.synthetic import synthetic_blogger
from tests.conftest import FAST, run_cli
from tests.sitegen import PostSpec, SiteSpec, factory

DELAY = 0.5
SPEC = SiteSpec(
    platform="blogger",
    posts=tuple(
        PostSpec(body="text", fate="ok", variant="plain", comments=n % 2) for n in range(8)
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


def request_gaps(spec: SiteSpec, db: Path, *options: str) -> tuple[list[float], str]:
    """The times between the requests the site's server received during a crawl of it, in
    the order received, and the site's home."""
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        result = run_cli("crawl", home, "--db", str(db), "--depth", "0", *options)
        assert result.returncode == 0, result.stderr
        log = sorted(network.log, key=lambda entry: entry.received)
    assert log[0].path == "/robots.txt" and len(log) > 10
    return [later.received - earlier.received for earlier, later in pairwise(log)], home


def test_the_crawl_s_delay_is_the_least_time_between_two_requests_to_a_host(
    tmp_path: Path,
) -> None:
    spec = dataclasses.replace(SPEC, crawl_delay=None)
    gaps, _ = request_gaps(spec, tmp_path / "archive.db", "-s", "DOWNLOAD_DELAY=0.2")
    # (Scrapy's default randomization would let two requests come 0.1 s apart)
    assert min(gaps) >= 0.2 - 0.01, [round(gap, 3) for gap in gaps]


@pytest.mark.parametrize("pace", sorted(PACES))
def test_a_crawl_delay_spaces_every_request_to_its_host(tmp_path: Path, pace: str) -> None:
    db = tmp_path / "archive.db"
    gaps, home = request_gaps(SPEC, db, *PACES[pace])
    assert min(gaps) >= DELAY, [round(gap, 3) for gap in gaps]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM posts").fetchone() == (len(SPEC.posts),)
        [(stats,)] = conn.execute("SELECT stats FROM crawl_runs").fetchall()
    host = home.split("//")[1].split(":")[0]
    assert json.loads(stats)[f"politeness/crawl_delay/{host}"] >= DELAY


def test_a_crawl_delay_too_long_is_held_to_the_most_and_said(tmp_path: Path) -> None:
    """A robots.txt that asks for a request a day does not keep the crawl for months."""
    spec = dataclasses.replace(SPEC, crawl_delay=86400)
    db = tmp_path / "archive.db"
    gaps, home = request_gaps(spec, db, *FAST, "-s", "BLOGARCHIVE_MAX_CRAWL_DELAY=0.3")
    assert min(gaps) >= 0.3
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM posts").fetchone() == (len(SPEC.posts),)
        [(stats,)] = conn.execute("SELECT stats FROM crawl_runs").fetchall()
    host = home.split("//")[1].split(":")[0]
    held = json.loads(stats)
    assert 0.3 <= held[f"politeness/crawl_delay/{host}"] < 0.4
    assert held[f"politeness/crawl_delay_held/{host}"] == 86400


def test_a_429_pauses_its_host_for_its_retry_after_and_not_the_others(tmp_path: Path) -> None:
    """Blog a answers its first post page 429, Retry-After: 1: a gets nothing more for that
    second, while blog b (which a lists) is asked on; the post is archived at the retry."""
    first_post: list[float] = []

    class Pausing(Site):
        def route(self, path: str, query: dict[str, list[str]]) -> Response:
            if self.blog.key == "b":
                time.sleep(0.02)  # (b's pages take a while: b is still asked during a's pause)
            elif path in self.by_path and not first_post:
                first_post.append(time.monotonic())
                return Response(429, "text/html", b"slow down", {"Retry-After": "1"})
            return super().route(path, query)

    a = dataclasses.replace(synthetic_blogger("a", posts=8), blog_list=("b",))
    b = synthetic_blogger("b", posts=80)
    with DemoNetwork(blogs={"a": a, "b": b}, site=Pausing) as network:
        hosts = {key: url.split("//")[1].rstrip("/") for key, url in network.homes.items()}
        result = run_cli(
            "crawl", network.homes["a"], "--db", str(tmp_path / "archive.db"), "--depth", "1",
            "--allow-private", *FAST,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        log = list(network.log)
    [answered] = first_post
    # (what arrives in the first 100 ms was sent before the crawl read the 429)
    known = answered + 0.1
    on_a = [e.received for e in log if e.host == hosts["a"] and e.received > known]
    on_b = [e.received for e in log if e.host == hosts["b"]]
    assert on_a and min(on_a) >= answered + 1.0, [round(t - answered, 3) for t in on_a]
    assert any(known < t < answered + 1.0 for t in on_b)
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        assert conn.execute("SELECT count(*) FROM posts").fetchone() == (88,)
