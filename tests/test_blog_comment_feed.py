"""A Blogger blog's comments: from its post pages where they show every comment with its
time, with the rows the comment feeds give; else from its blog-wide comment feed
(``/feeds/comments/default``), with the rows a crawl that reads one feed a post writes, in a
request a page of comments; and where that feed misbehaves, each post's own feed, with the
reason the feed stopped in the report."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from blogarchive.demo.server import DemoNetwork, Response, Site
from blogarchive.demo.synthetic import synthetic_blogger
from tests.conftest import FAST, run_cli

POSTS = 60
#: comments on every third post, 1 to 5 of them
COMMENTS = {n: 1 + n % 5 for n in range(0, POSTS, 3)}
PAGE = 25

#: A crawl's rows, without the columns that say when they were written.
CONTRACT = {
    "posts": "id, url, title, published, content_text, comment_count",
    "comments": "id, post_id, parent_id, author, author_url, published, content_html,"
    " content_text, url, position, platform_id, deleted_at IS NULL, capture_id IS NOT NULL",
}


def contract_rows(db: Path) -> dict[str, Counter[tuple[Any, ...]]]:
    with sqlite3.connect(db) as conn:
        return {
            table: Counter(conn.execute(f"SELECT {columns} FROM {table}").fetchall())
            for table, columns in CONTRACT.items()
        }


class DatesOnly(Site):
    """A blog whose comment time format shows the date alone ("March 2, 2010"): its pages do
    not say in which offset a comment's moment is, which only its feeds give."""

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        response = super().route(path, query)
        if not response.content_type.startswith("text/html"):
            return response
        body = re.sub(rb"(\d{4}) at \d{1,2}:\d{2} [AP]M", rb"\1", response.body)
        return Response(response.status, response.content_type, body, response.headers)


class IgnoresStartIndex(DatesOnly):
    """A blog whose blog-wide comment feed answers its first page whatever page is asked."""

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/feeds/comments/default":
            query = {k: v for k, v in query.items() if k != "start-index"}
        return super().route(path, query)


class HidesAComment(DatesOnly):
    """A blog whose blog-wide comment feed leaves out one comment (one a moderator holds, say),
    which the post's page and its own feed count."""

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        response = super().route(path, query)
        if path != "/feeds/comments/default":
            return response
        body = response.body.decode()
        start = body.index("<entry>")
        end = body.index("</entry>", start) + len("</entry>")
        return Response(
            response.status, response.content_type, (body[:start] + body[end:]).encode()
        )


def crawls(
    folder: Path, site: type[Site] = DatesOnly, *extra: str
) -> tuple[list[str], dict[str, Any]]:
    """Crawl a blog of :data:`POSTS` posts with feed pages of :data:`PAGE` twice: reading one
    comment feed a post, then as a crawl does. Checks that both write the same rows; gives the
    paths the server was asked for by the second, and its report of the blog."""
    blog = synthetic_blogger("wide", posts=POSTS, comments=COMMENTS)
    with DemoNetwork(blogs={"wide": blog}, site=site) as network:
        home = network.homes["wide"]
        marks = []
        for name, options in (("own", ("-s", "BLOGARCHIVE_BLOG_COMMENT_FEED=False")), ("wide", ())):
            marks.append(len(network.log))
            result = run_cli(
                "crawl", home, "--db", str(folder / f"{name}.db"), "--depth", "0", "-q", *FAST,
                "-s", f"BLOGARCHIVE_FEED_PAGE_SIZE={PAGE}", *options, *extra,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
        paths = [entry.path for entry in network.log[marks[1] :]]
        alone = [entry.path for entry in network.log[marks[0] : marks[1]]]
    assert own_feeds(alone) == len(COMMENTS)
    assert contract_rows(folder / "wide.db") == contract_rows(folder / "own.db")
    with sqlite3.connect(folder / "wide.db") as conn:
        [(stats,)] = conn.execute("SELECT stats FROM crawl_runs").fetchall()
    return paths, json.loads(stats)["blogarchive/report"][home]


def own_feeds(paths: list[str]) -> int:
    return sum(path.startswith("/feeds/") and "/comments/default" in path
               and not path.startswith("/feeds/comments/") for path in paths)  # fmt: skip


def test_the_blog_wide_feed_gives_the_rows_of_one_feed_a_post_in_a_request_a_page(
    tmp_path: Path,
) -> None:
    paths, report = crawls(tmp_path)
    total = sum(COMMENTS.values())
    assert sum(path.startswith("/feeds/comments/default") for path in paths) == -(-total // PAGE)
    assert own_feeds(paths) == 0
    assert "comments" not in report["stops"]


def test_a_blog_wide_feed_that_ignores_start_index_is_stopped_and_posts_read_their_own(
    tmp_path: Path,
) -> None:
    paths, report = crawls(tmp_path, IgnoresStartIndex)
    # its first page again, then no more of it; the posts whose comments it did not list
    # read their own feeds
    assert sum(path.startswith("/feeds/comments/default") for path in paths) == 2
    assert 0 < own_feeds(paths) < len(COMMENTS)
    assert "listed no new comment" in report["stops"]["comments"]


def test_a_post_whose_comments_the_blog_wide_feed_leaves_one_out_of_reads_its_own(
    tmp_path: Path,
) -> None:
    paths, _ = crawls(tmp_path, HidesAComment)
    # each page of the blog-wide feed hides its newest comment: one post each
    assert 0 < own_feeds(paths) <= -(-sum(COMMENTS.values()) // PAGE)


def test_where_the_blog_wide_feed_fails_every_post_with_comments_reads_its_own(
    tmp_path: Path,
) -> None:
    class NoBlogFeed(DatesOnly):
        def route(self, path: str, query: dict[str, list[str]]) -> Response:
            if path == "/feeds/comments/default":
                return Response(500, "text/html", b"<html><body>oops</body></html>")
            return super().route(path, query)

    paths, report = crawls(tmp_path, NoBlogFeed, "-s", "RETRY_TIMES=0")
    assert own_feeds(paths) == len(COMMENTS)
    assert "failed" in report["stops"]["comments"]


def test_pages_that_show_every_comment_and_its_time_give_the_feeds_rows_without_a_feed(
    tmp_path: Path,
) -> None:
    """The same blog crawled twice: with dates only on its pages (its comments from its
    feeds), then with the time of day too: no comment feed is asked, and the rows are those
    the feeds gave (times to the millisecond in the blog's offset included)."""

    class TimesLater(DatesOnly):
        shown = False

        def route(self, path: str, query: dict[str, list[str]]) -> Response:
            return Site.route(self, path, query) if self.shown else super().route(path, query)

    blog = synthetic_blogger("wide", posts=POSTS, comments=COMMENTS)
    with DemoNetwork(blogs={"wide": blog}, site=TimesLater) as network:
        home = network.homes["wide"]
        paths = []
        for name in ("feeds", "pages"):
            TimesLater.shown = name == "pages"
            mark = len(network.log)
            result = run_cli(
                "crawl", home, "--db", str(tmp_path / f"{name}.db"), "--depth", "0", "-q",
                *FAST, "-s", f"BLOGARCHIVE_FEED_PAGE_SIZE={PAGE}",
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            paths = [entry.path for entry in network.log[mark:]]
    assert not [path for path in paths if "/comments/" in path]
    assert not [path for path in paths if path.startswith("/sitemap")]  # (the feed listed all)
    feeds, pages = contract_rows(tmp_path / "feeds.db"), contract_rows(tmp_path / "pages.db")
    assert sum(feeds["comments"].values()) == sum(COMMENTS.values())
    assert pages == feeds
