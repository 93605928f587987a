"""``blogarchive crawl --from-feeds``: a Blogger blog archived from its feeds, each post from its
posts feed's entry, with no post page fetched; the rows a crawl of its pages writes, but for
what only a page shows. An entry that is not the whole post (a summary, a post cut at its jump
break), and a feed that fails or stops short, send the crawl to the posts' pages."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from blogarchive.demo.content import DemoBlog
from blogarchive.demo.server import DemoNetwork, Response, Site
from blogarchive.demo.synthetic import synthetic_blogger
from tests.conftest import FAST, run_cli

POSTS = 40
#: comments on every third post, 1 to 5 of them
COMMENTS = {n: 1 + n % 5 for n in range(0, POSTS, 3)}
PAGE = 15
#: A template that puts nothing of its own in the post's body (the classic one adds a form,
#: which only the pages show)
TEMPLATE = "blogger_contempo.html"

#: The columns both crawls must agree on. A post from its feed also has ``updated`` (its
#: page states none), its ``extractor`` names the feed, its capture is the feed page's.
CONTRACT = {
    "posts": "id, blog_id, url, title, author, published, labels, content_html, content_text,"
    " comment_count, platform_id, deleted_at",
    "comments": "id, post_id, parent_id, author, author_url, published, content_html,"
    " content_text, url, position, platform_id, deleted_at",
    "key_observations": "post_id, heading, position, text",
    "post_revisions": "post_id, title, content_text, content_sha256",
}

#: A post page of the synthetic blogs: /YYYY/MM/post-number-N.html
POST_PAGE = re.compile(r"^/\d{4}/\d{2}/[^/]+\.html")


def contract_rows(db: Path) -> dict[str, Counter[tuple[Any, ...]]]:
    with sqlite3.connect(db) as conn:
        return {
            table: Counter(conn.execute(f"SELECT {columns} FROM {table}").fetchall())
            for table, columns in CONTRACT.items()
        }


def crawl_both(folder: Path, site: type[Site] = Site) -> tuple[list[str], dict[str, Any]]:
    """Crawl a blog of :data:`POSTS` posts (feed pages of :data:`PAGE`) from its pages, then
    from its feeds; checks that both write the same rows. Gives the paths the server was asked
    for by the second, and its report of the blog."""
    blog = synthetic_blogger(
        "fed", posts=POSTS, comments=COMMENTS, extras_every=4, template=TEMPLATE
    )
    paths, report = pages_then_feeds(folder, blog, site, "-s", f"BLOGARCHIVE_FEED_PAGE_SIZE={PAGE}")
    by_feeds = contract_rows(folder / "feeds.db")
    assert sum(by_feeds["posts"].values()) == POSTS
    assert sum(by_feeds["comments"].values()) == sum(COMMENTS.values())
    assert by_feeds["key_observations"]
    return paths, report


def pages_then_feeds(
    folder: Path, blog: DemoBlog, site: type[Site], *extra: str
) -> tuple[list[str], dict[str, Any]]:
    """Crawl ``blog`` into ``folder``'s pages.db from its pages, then into feeds.db from its
    feeds (WARCs beside each); checks that both write the same contract rows. Gives the paths
    the server was asked for by the second, and its report of the blog."""
    with DemoNetwork(blogs={blog.key: blog}, site=site) as network:
        home = network.homes[blog.key]
        marks = []
        for name, options in (("pages", ()), ("feeds", ("--from-feeds",))):
            marks.append(len(network.log))
            result = run_cli(
                "crawl", home, "--db", str(folder / f"{name}.db"), "--depth", "0", "-q", *FAST,
                "--warc-dir", str(folder / name), *extra, *options,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
        paths = [entry.path for entry in network.log[marks[1] :]]
    assert contract_rows(folder / "feeds.db") == contract_rows(folder / "pages.db")
    with sqlite3.connect(folder / "feeds.db") as conn:
        [(stats,)] = conn.execute("SELECT stats FROM crawl_runs").fetchall()
    return paths, json.loads(stats)["blogarchive/report"][home]


def post_pages(paths: list[str]) -> int:
    return sum(bool(POST_PAGE.match(path)) for path in paths)


def test_a_full_feed_archives_every_post_and_comment_without_a_post_page(tmp_path: Path) -> None:
    paths, report = crawl_both(tmp_path)
    assert post_pages(paths) == 0
    feed_pages = sum(path.startswith("/feeds/posts/default") for path in paths)
    comment_pages = sum(path.startswith("/feeds/comments/default") for path in paths)
    assert feed_pages == -(-POSTS // PAGE)
    assert comment_pages == -(-sum(COMMENTS.values()) // PAGE)
    # robots.txt, the home page and the feeds: no sitemap, no post's own comment feed
    assert len(paths) == 2 + feed_pages + comment_pages, paths
    assert report["archived"] == POSTS
    assert report["missing_count"] == 0


def imported(folder: Path, route: str) -> tuple[Path, int]:
    """``blogarchive import`` of the WARCs the crawl from the feeds wrote in ``folder``, into a
    new archive whose contract rows equal the crawl's; that archive, and how many captures of
    ``route`` (an address's part) its posts cite."""
    warcs = sorted(str(path) for path in (folder / "feeds").glob("*.warc*"))
    assert warcs
    db = folder / "imported.db"
    result = run_cli("import", *warcs, "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert contract_rows(db) == contract_rows(folder / "feeds.db")
    with sqlite3.connect(db) as conn:
        [(captured,)] = conn.execute(
            "SELECT count(DISTINCT p.capture_id) FROM posts p JOIN captures c"
            " ON c.record_id = p.capture_id WHERE c.url LIKE ?",
            [f"%{route}%"],
        ).fetchall()
    return db, int(captured)


def test_an_import_and_a_reextract_of_a_crawl_from_feeds_give_its_rows(tmp_path: Path) -> None:
    crawl_both(tmp_path)
    fed = contract_rows(tmp_path / "feeds.db")
    _, captured = imported(tmp_path, "/feeds/posts/default")
    assert captured == -(-POSTS // PAGE)  # each post names the feed page it came from
    result = run_cli("reextract", "--db", str(tmp_path / "feeds.db"))
    assert result.returncode == 0, result.stderr
    assert contract_rows(tmp_path / "feeds.db") == fed


class SummaryFeed(Site):
    """A blog whose feed setting is "Short": each entry a summary of plain text."""

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        response = super().route(path, query)
        if path != "/feeds/posts/default":
            return response
        body = re.sub(
            r"<content type='html'>.*?</content>",
            "<summary type='text'>The start of the post...</summary>",
            response.body.decode(),
            flags=re.DOTALL,
        )
        return Response(response.status, response.content_type, body.encode())


class JumpBreakFeed(Site):
    """A blog whose feed setting is "Until jump break": every other entry ends at its break,
    with a link to the rest (the others have no break)."""

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        response = super().route(path, query)
        if path != "/feeds/posts/default":
            return response
        entries = response.body.decode().split("<entry>")
        for n in range(1, len(entries), 2):
            link = re.search(r"<link rel='alternate' type='text/html' href='([^']+)'", entries[n])
            assert link is not None
            cut = f"&lt;p&gt;The start.&lt;/p&gt;&lt;a href=&quot;{link.group(1)}#more&quot;&gt;"
            entries[n] = re.sub(
                r"<content type='html'>.*?</content>",
                f"<content type='html'>{cut}Read more &#187;&lt;/a&gt;</content>",
                entries[n],
                flags=re.DOTALL,
            )
        return Response(response.status, response.content_type, "<entry>".join(entries).encode())


class FailingFeed(Site):
    """A blog whose posts feed answers 500."""

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/feeds/posts/default":
            return Response(500, "text/plain", b"server error")
        return super().route(path, query)


class FirstFeedPageOnly(Site):
    """A blog whose posts feed answers its first page whatever page is asked."""

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/feeds/posts/default":
            query = {k: v for k, v in query.items() if k != "start-index"}
        return super().route(path, query)


def test_a_summary_feed_sends_every_post_to_its_page(tmp_path: Path) -> None:
    paths, report = crawl_both(tmp_path, SummaryFeed)
    assert post_pages(paths) == POSTS
    assert report["archived"] == POSTS


def test_an_entry_cut_at_its_jump_break_sends_that_post_to_its_page(tmp_path: Path) -> None:
    paths, report = crawl_both(tmp_path, JumpBreakFeed)
    # every other entry of each feed page
    assert post_pages(paths) == sum((size + 1) // 2 for size in feed_page_sizes())
    assert report["archived"] == POSTS


def test_a_failing_feed_sends_the_crawl_to_the_sitemap_and_the_pages(tmp_path: Path) -> None:
    paths, report = crawl_both(tmp_path, FailingFeed)
    assert "/sitemap.xml" in paths
    assert post_pages(paths) == POSTS
    assert report["archived"] == POSTS
    assert report["missing_count"] == 0


def test_a_feed_that_stops_short_leaves_the_rest_to_the_sitemap(tmp_path: Path) -> None:
    paths, report = crawl_both(tmp_path, FirstFeedPageOnly)
    assert "listed no post" in report["stops"]["feed"]
    assert "/sitemap.xml" in paths
    assert post_pages(paths) == POSTS - PAGE
    assert report["archived"] == POSTS


def feed_page_sizes() -> list[int]:
    return [min(PAGE, POSTS - start) for start in range(0, POSTS, PAGE)]
