"""Discovery at scale, on loopback: every post of a large Blogger blog and every comment of a
long thread, through feeds that hold fewer entries per page than asked for."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from blogarchive.demo.server import BLOGGER_FEED_CAP, BLOGGER_PAGE_COMMENTS, DemoNetwork
from blogarchive.demo.synthetic import synthetic_blogger
from tests.conftest import FAST, run_cli

POSTS = 1200
LONG_THREAD = 230  # more than the 200 a Blogger post page shows
LONG_THREAD_POST = 17


@dataclass
class Crawl:
    db: Path
    network: DemoNetwork
    stdout: str


@pytest.fixture(scope="module")
def big_blog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    blog = synthetic_blogger("big", posts=POSTS, comments={LONG_THREAD_POST: LONG_THREAD, 3: 4})
    with DemoNetwork(blogs={"big": blog}) as network:
        db = tmp_path_factory.mktemp("big") / "archive.db"
        # ask for 500 entries a page: Blogger answers 150, which must not read as the last page
        result = run_cli(
            "crawl", network.start_url, "--db", str(db), "--depth", "0", *FAST,
            "-s", "BLOGARCHIVE_FEED_PAGE_SIZE=500", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
            timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        yield Crawl(db, network, result.stdout)


def rows(crawl: Crawl, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(crawl.db) as conn:
        return conn.execute(sql, params).fetchall()


def test_every_post_of_a_large_blog_is_archived_once(big_blog: Crawl) -> None:
    assert rows(big_blog, "SELECT count(*), count(DISTINCT url) FROM posts") == [(POSTS, POSTS)]
    fetched = Counter(
        r.path for r in big_blog.network.log if r.path.endswith(".html") and "?" not in r.path
    )
    assert len(fetched) == POSTS and set(fetched.values()) == {1}


def test_the_posts_feed_was_paged_at_the_servers_cap(big_blog: Crawl) -> None:
    starts = sorted(
        int(parse_qs(urlsplit(r.path).query)["start-index"][0])
        for r in big_blog.network.log
        if r.path.startswith("/feeds/posts/default")
    )
    assert starts == list(range(1, POSTS + 1, BLOGGER_FEED_CAP))


def test_a_long_thread_comes_whole_from_the_paged_comment_feed(big_blog: Crawl) -> None:
    [(post_id, stated)] = rows(
        big_blog, "SELECT id, comment_count FROM posts WHERE url LIKE ?",
        f"%/post-number-{LONG_THREAD_POST}.html",
    )  # fmt: skip
    assert stated == LONG_THREAD
    comments = rows(
        big_blog,
        "SELECT platform_id, parent_id, position FROM comments WHERE post_id = ? ORDER BY position",
        post_id,
    )
    assert len(comments) == LONG_THREAD > BLOGGER_PAGE_COMMENTS
    assert [c[2] for c in comments] == list(range(1, LONG_THREAD + 1))
    replies = [c for c in comments if c[1] is not None]
    assert len(replies) == LONG_THREAD // 5  # every fifth comment answers the one before
    parents = {c[1] for c in replies}
    by_id = dict(rows(big_blog, "SELECT id, platform_id FROM comments WHERE post_id = ?", post_id))
    assert parents <= set(by_id)  # every reply points at a comment of the same post


def test_the_report_says_every_stated_post_was_archived(big_blog: Crawl) -> None:
    [(stats,)] = rows(big_blog, "SELECT stats FROM crawl_runs")
    [(blog, report)] = json.loads(stats)["blogarchive/report"].items()
    assert report["stated"] == POSTS and report["archived"] == POSTS
    assert report["found"]["feed"] == POSTS
    assert "sitemap" not in report["found"]  # (the feed listed every post it counts)
    assert report["missing"] == []
    assert f"{blog}  stated {POSTS}" in big_blog.stdout


WP_POSTS = 250  # three pages of the REST API at 100 a page
WP_THREAD_POST = 5
WP_THREAD = 120  # 80 top-level threads: two pages of comments at 50 a page


@dataclass
class WordPressCrawls:
    with_rest: Crawl
    without_rest: Crawl


def crawl_wordpress(rest: bool, port: int, db: Path) -> Crawl:
    from blogarchive.demo.synthetic import synthetic_wordpress

    blog = synthetic_wordpress(
        "wp", posts=WP_POSTS, comments={WP_THREAD_POST: WP_THREAD}, rest=rest
    )
    with DemoNetwork(port, blogs={"wp": blog}) as network:
        result = run_cli(
            "crawl", network.start_url, "--db", str(db), "--depth", "0", *FAST,
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return Crawl(db, network, result.stdout)


@pytest.fixture(scope="module")
def wordpress(tmp_path_factory: pytest.TempPathFactory) -> WordPressCrawls:
    from tests.conftest import free_port

    port = free_port("127.0.0.10")  # the same origin twice: the same ids
    folder = tmp_path_factory.mktemp("wordpress")
    return WordPressCrawls(
        with_rest=crawl_wordpress(True, port, folder / "rest.db"),
        without_rest=crawl_wordpress(False, port, folder / "norest.db"),
    )


POST_COLUMNS = "id, url, title, author, published, labels, content_text, comment_count"
COMMENT_COLUMNS = "id, post_id, parent_id, author, author_url, published, content_text, url"


def test_wordpress_through_rest_finds_every_post(wordpress: WordPressCrawls) -> None:
    crawl = wordpress.with_rest
    rest_pages = sorted(r.path for r in crawl.network.log if r.path.startswith("/wp-json/"))
    assert [parse_qs(urlsplit(p).query)["page"] for p in rest_pages] == [["1"], ["2"], ["3"]]
    assert rows(crawl, "SELECT count(*) FROM posts") == [(WP_POSTS,)]
    [(stats,)] = rows(crawl, "SELECT stats FROM crawl_runs")
    [report] = json.loads(stats)["blogarchive/report"].values()
    assert (report["stated"], report["stated_by"], report["archived"]) == (
        WP_POSTS,
        "rest",
        WP_POSTS,
    )
    assert report["found"]["rest"] == WP_POSTS and report["missing"] == []


def test_wordpress_without_rest_gives_the_same_rows(wordpress: WordPressCrawls) -> None:
    crawl = wordpress.without_rest
    assert [r.status for r in crawl.network.log if r.path.startswith("/wp-json/")] == [401]
    feed_pages = {r.path for r in crawl.network.log if r.path.startswith("/feed/")}
    assert len(feed_pages) == WP_POSTS // 10 + 1  # every page of ten, and the 404 after them
    for table, columns in (("posts", POST_COLUMNS), ("comments", COMMENT_COLUMNS)):
        query = f"SELECT {columns} FROM {table} ORDER BY id"
        assert rows(crawl, query) == rows(wordpress.with_rest, query), table
    [(failed,)] = rows(crawl, "SELECT pages_failed FROM crawl_runs")
    assert failed == 0  # a REST API turned off and a feed's end are not failures


def test_wordpress_comment_pages_are_one_thread(wordpress: WordPressCrawls) -> None:
    crawl = wordpress.without_rest
    [(post_id,)] = rows(
        crawl, "SELECT id FROM posts WHERE url LIKE ?", f"%/wp-note-{WP_THREAD_POST}/"
    )
    [(count, replies)] = rows(
        crawl, "SELECT count(*), count(parent_id) FROM comments WHERE post_id = ?", post_id
    )
    assert (count, replies) == (WP_THREAD, WP_THREAD // 3)
    assert any("/comment-page-2/" in r.path for r in crawl.network.log)
