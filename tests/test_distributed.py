"""A distributed crawl: a real redis-server, worker processes and one ingester, on loopback."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import pickle
import shutil
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from scrapy import Request
from scrapy.utils.test import get_crawler

from blogarchive.demo.content import BLOGS
from blogarchive.demo.server import DemoNetwork
from blogarchive.demo.synthetic import synthetic_blogger
from blogarchive.distributed import PENDING, ROBOTS, SharedRobotsTxtMiddleware
from blogarchive.items import BlogItem
from tests.conftest import FAST, blogarchive_command, free_port, run_cli
from tests.sitegen import factory
from tests.test_pipeline import BLOG, archived_comments, comments, post
from tests.test_sitegen import assert_marked_foreign, ok, one

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
if not Path(REDIS_SERVER).exists():
    if os.environ.get("BLOGARCHIVE_REQUIRE_REDIS"):
        raise RuntimeError("BLOGARCHIVE_REQUIRE_REDIS is set but redis-server is not installed")
    pytest.skip("redis-server is not installed (Debian: redis-server)", allow_module_level=True)

#: The rows a crawl must produce, without the columns that say when they were written.
CONTRACT = {
    "blogs": "id, url, title, platform, status",
    "blog_links": "source_blog_id, target_url, title, target_blog_id",
    "posts": "id, blog_id, url, title, author, published, labels, content_text, platform_id",
    "comments": "id, post_id, parent_id, author, published, content_text, position",
    "key_observations": "post_id, position, heading, text",
    "forms": "id, purpose, field_count, json_schema",
    "form_fields": "form_id, position, name, label, type, semantic_type",
    "form_occurrences": "form_id, url, blog_id, post_id",
}


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


#: The tables that differ for a blog that never answered (a crawl's row of its failure).
BLOG_TABLES = ("blogs", "blog_links")


def contract_rows(db: Path) -> dict[str, Counter[tuple[object, ...]]]:
    with sqlite3.connect(db) as conn:
        return {
            table: Counter(conn.execute(f"SELECT {columns} FROM {table}").fetchall())
            for table, columns in CONTRACT.items()
        }


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*blogarchive_command(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def finish(process: subprocess.Popen[str], timeout: float = 240) -> str:
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output
    return output


def distributed_run(redis_url: str, db: Path, *seed_args: str) -> tuple[str, list[str], str]:
    """Seed with ``blogarchive SEED_ARGS --redis``, run two workers and the ingester to the end;
    what the seeding, each worker and the ingester printed."""
    seeded = run_cli(*seed_args, "--redis", redis_url)
    assert seeded.returncode == 0, seeded.stderr
    worker = ["worker", "--redis", redis_url, "--idle-timeout", "5", "--allow-private", "-q"]
    warcs = ["--warc-dir", str(db.parent / "workers-warc")]  # (both workers' files in one)
    workers = [start(*worker, *warcs, *FAST) for _ in range(2)]
    ingester = start("ingest", "--redis", redis_url, "--db", str(db), "--idle-timeout", "7")
    outputs = [finish(process) for process in workers]
    return seeded.stderr, outputs, finish(ingester)


def test_two_workers_and_an_ingester_archive_what_one_process_does(
    redis_url: str, tmp_path: Path
) -> None:
    with DemoNetwork() as network:
        local = tmp_path / "local.db"
        result = run_cli(
            "crawl", network.start_url, "--db", str(local), "--allow-private", "--depth", "2", *FAST
        )
        assert result.returncode == 0, result.stderr
        mark = len(network.log)

        shared = tmp_path / "shared.db"
        seeded, outputs, summary = distributed_run(
            redis_url, shared, "crawl", network.start_url, "--depth", "2"
        )
        assert "Queued 1 start blog" in seeded
        requests = Counter((r.host, r.path) for r in network.log[mark:])

    assert contract_rows(shared) == contract_rows(local)
    assert sum(contract_rows(shared)["posts"].values()) == 13
    # the workers kept every response as WARC records, which the ingester's rows cite, named
    # from the archive's folder; imported, they give the same rows again
    with sqlite3.connect(shared) as conn:
        files = {file for (file,) in conn.execute("SELECT DISTINCT warc_file FROM captures")}
        cited = conn.execute(
            "SELECT count(*), count(c.record_id) FROM posts p"
            " LEFT JOIN captures c ON c.record_id = p.capture_id"
        ).fetchone()
        [(captures,)] = conn.execute("SELECT count(*) FROM captures").fetchall()
    assert cited == (13, 13)
    assert captures == sum(requests.values())  # every response the servers sent
    assert files and all((tmp_path / file).is_file() for file in files), files
    assert {Path(file).parent.name for file in files} == {"workers-warc"}
    imported = tmp_path / "imported.db"
    result = run_cli("import", *sorted(str(tmp_path / f) for f in files), "--db", str(imported))
    assert result.returncode == 0 and "could not be read" not in result.stdout, result.stdout
    # (but for the blog that never answered: a failed fetch leaves no record)
    answered = {t: rows for t, rows in contract_rows(local).items() if t not in BLOG_TABLES}
    assert {t: r for t, r in contract_rows(imported).items() if t not in BLOG_TABLES} == answered
    # robots.txt included: one worker reads it, the others take its answer from Redis
    assert {url: n for url, n in requests.items() if n > 1} == {}
    assert all("stopped (finished)" in output for output in outputs)
    assert "Ingested" in summary and "Crawl finished" in summary
    with sqlite3.connect(shared) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT status FROM crawl_runs").fetchall() == [("finished",)]
    assert redis.Redis.from_url(redis_url).llen("blogarchive:items") == 0


POSTS = 240


def test_a_worker_killed_midway_loses_nothing_after_one_refresh(
    redis_url: str, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    blog = synthetic_blogger("dist", posts=POSTS, comments={n: 2 for n in range(0, POSTS, 10)})
    with DemoNetwork(blogs={"dist": blog}) as network:
        seeded = run_cli("crawl", network.start_url, "--redis", redis_url, "--depth", "0")
        assert seeded.returncode == 0, seeded.stderr
        # no --allow-private: the start blog's origin is allowed on every worker (issue 31)
        worker = ["worker", "--redis", redis_url, "--idle-timeout", "6", "-q", "--no-warc"]
        doomed, survivor = start(*worker, *FAST), start(*worker, *FAST)
        ingester = start("ingest", "--redis", redis_url, "--db", str(db), "--idle-timeout", "8")
        deadline = time.monotonic() + 120
        while len(network.log) < 60:
            assert time.monotonic() < deadline, "the workers never got going"
            time.sleep(0.01)
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.wait()
        survived = finish(survivor)
        finish(ingester)
        robots = [r for r in network.log if r.path == "/robots.txt"]
        with sqlite3.connect(db) as conn:
            after_run = conn.execute("SELECT count(DISTINCT url) FROM posts").fetchone()[0]
        refreshed = run_cli("refresh", "--db", str(db), "-q", *FAST)
        assert refreshed.returncode == 0, refreshed.stderr

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*), count(DISTINCT url) FROM posts").fetchone() == (
            POSTS,
            POSTS,
        )
        assert conn.execute("SELECT count(*) FROM comments").fetchone() == (2 * POSTS // 10,)
    assert 0 < after_run <= POSTS
    # both workers crawled the one blog; its robots.txt was read once and shared
    assert " 0 pages fetched" not in survived
    assert len(robots) == 1


def test_a_distributed_refresh_revalidates_and_finds_an_edit(
    redis_url: str, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    with DemoNetwork() as network:
        distributed_run(redis_url, db, "crawl", network.start_url, "--depth", "2")
        before = contract_rows(db)
        mark = len(network.log)
        distributed_run(redis_url, db, "refresh", "--db", str(db))
        answers = Counter(r.status for r in network.log[mark:] if r.path.endswith(".html"))
        assert contract_rows(db) == before  # nothing changed, nothing added
        assert answers[304] >= 10 and answers[200] == 0  # every post page revalidated

        classic = BLOGS["classic"]
        edited = classic.posts[0]
        posts = (dataclasses.replace(edited, html=edited.html + "<p>An addendum.</p>"),)
        network.update("classic", dataclasses.replace(classic, posts=posts + classic.posts[1:]))
        distributed_run(redis_url, db, "refresh", "--db", str(db))

    with sqlite3.connect(db) as conn:
        [(post_id, text)] = conn.execute(
            "SELECT id, content_text FROM posts WHERE title = ?", [edited.title]
        ).fetchall()
        assert "An addendum." in text
        revisions = conn.execute(
            "SELECT count(*) FROM post_revisions WHERE post_id = ?", [post_id]
        ).fetchone()
        statuses = conn.execute("SELECT status FROM crawl_runs ORDER BY id").fetchall()
    assert revisions == (2,)
    assert statuses == [("finished",)] * 3


def test_a_distributed_refresh_takes_nothing_from_a_parked_domain(
    redis_url: str, tmp_path: Path
) -> None:
    """Workers hold no archive: the refresh hands them the platform each blog was archived as,
    so a parking page at a blog's address is no post of it there either (as in a local
    refresh: tests/test_sitegen.py)."""
    spec = one("blogger", ok(comments=1), ok(), ok(comments=2))
    db = tmp_path / "archive.db"
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        distributed_run(redis_url, db, "crawl", home, "--depth", "0")
        before = contract_rows(db)
        network.site = factory(dataclasses.replace(spec, parked=True))
        network.update(spec.key, spec.blog())
        distributed_run(redis_url, db, "refresh", "--db", str(db))
        parked = [r.path for r in network.log if r.status == 200 and r.path.endswith(".html")]
    after = contract_rows(db)
    assert parked  # (the refresh asked for the post pages, and a parking page answered)
    assert {t: rows for t, rows in after.items() if t not in BLOG_TABLES} == {
        t: rows for t, rows in before.items() if t not in BLOG_TABLES
    }
    assert_marked_foreign(db, "blogger", revisions=3)


def shared_robots(redis_url: str, answer: dict[str, object]) -> list[object]:
    """What three requests of one worker get from its robots.txt middleware while another
    worker, which claimed the origin, fetches its robots.txt and then stores ``answer``."""
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True, "REDIS_URL": redis_url})
    middleware = SharedRobotsTxtMiddleware(crawler)
    server = redis.Redis.from_url(redis_url)
    origin = "http://127.0.0.2:8780"
    server.hset(ROBOTS, origin, PENDING)

    async def three_requests() -> list[object]:
        asking = [
            asyncio.ensure_future(middleware.robot_parser(Request(f"{origin}/{n}.html")))
            for n in range(3)
        ]
        await asyncio.sleep(0.3)  # all three wait for the claimant's answer
        server.hset(ROBOTS, origin, json.dumps(answer))
        return list(await asyncio.gather(*asking))

    return asyncio.run(three_requests())


def test_requests_waiting_for_another_worker_s_robots_txt_all_get_its_rules(
    redis_url: str,
) -> None:
    body = base64.b64encode(b"User-agent: *\nDisallow: /private/\n").decode()
    parsers = shared_robots(redis_url, {"status": 200, "body": body})
    assert len(parsers) == 3 and len({id(p) for p in parsers}) == 1
    [parser] = {id(p): p for p in parsers}.values()
    assert not parser.allowed("http://127.0.0.2:8780/private/a.html", "blogarchive")  # type: ignore[attr-defined]
    assert parser.allowed("http://127.0.0.2:8780/2010/01/a.html", "blogarchive")  # type: ignore[attr-defined]
    # an origin whose robots.txt could not be fetched has no rules, for every request
    assert shared_robots(redis_url, {"error": "Connection refused"}) == [None, None, None]


def test_seeding_while_a_crawl_is_queued_is_refused(redis_url: str) -> None:
    first = run_cli("crawl", "http://127.0.0.2:9/", "--redis", redis_url)
    assert first.returncode == 0, first.stderr
    second = run_cli("crawl", "http://127.0.0.2:9/", "--redis", redis_url)
    assert second.returncode == 2
    assert second.stderr.strip().splitlines() == [
        f"Error: 1 requests of an earlier crawl are still queued on {redis_url}:"
        " let its workers finish first"
    ]


def test_an_unreachable_redis_is_one_line(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    for args in (
        ["crawl", "http://127.0.0.2:9/", "--redis", url],
        ["worker", "--redis", url],
        ["ingest", "--redis", url, "--db", str(tmp_path / "a.db")],
    ):
        result = run_cli(*args)
        assert result.returncode == 2, result.stderr
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"Error: cannot reach Redis at {url}: ")


def test_an_ingester_runs_until_stopped_and_finishes_a_dead_ones_batch(
    redis_url: str, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    client = redis.Redis.from_url(redis_url)
    # what an ingester killed between taking a batch and committing it leaves behind
    blog = BlogItem(url="http://127.0.0.9/", title="Left over", platform="blogger", status="ok")
    client.rpush("blogarchive:ingesting", pickle.dumps(blog), b"not a pickle")
    ingester = start("ingest", "--redis", redis_url, "--db", str(db))
    deadline = time.monotonic() + 30
    while client.llen("blogarchive:ingesting"):
        assert time.monotonic() < deadline, "the left-over batch was never written"
        time.sleep(0.1)
    ingester.send_signal(signal.SIGTERM)
    output = finish(ingester, timeout=30)
    assert "Ingested 2 items" in output and "BlogItem 1, unreadable 1" in output
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT title FROM blogs").fetchall() == [("Left over",)]
        assert conn.execute("SELECT status FROM crawl_runs").fetchall() == [("stopped",)]


def test_an_ingester_holds_comments_that_pass_their_post_and_says_which_never_found_one(
    redis_url: str, tmp_path: Path
) -> None:
    """Workers push items in the order each makes them: a post's comments, from a comment
    feed another worker read, may reach Redis before the post. They are written with it; those
    whose post never comes are counted and named, not dropped quietly."""
    db = tmp_path / "archive.db"
    client = redis.Redis.from_url(redis_url)
    queued = [comments(1), post(2), comments(3), post(1), comments(2)]
    client.rpush("blogarchive:items", *(pickle.dumps(item) for item in queued))
    output = finish(start("ingest", "--redis", redis_url, "--db", str(db), "--idle-timeout", "1"))
    assert archived_comments(db) == {
        f"{BLOG}2024/01/post-1.html": 2,
        f"{BLOG}2024/01/post-2.html": 2,
    }
    assert (
        f"Warning: 2 comments of 1 posts were not archived: their posts were not"
        f" ({BLOG}2024/01/post-3.html)"
    ) in output
    with sqlite3.connect(db) as conn:
        (stats,) = conn.execute("SELECT stats FROM crawl_runs").fetchone()
    assert json.loads(stats)["archive/comments_without_post"] == 2
