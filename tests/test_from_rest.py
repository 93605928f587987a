"""``blogarchive crawl --from-feeds`` on WordPress: a blog archived from its REST API, posts
and threaded comments, with no post page fetched; the rows a crawl of its pages writes. Where
the API falls short (turned off, a route that fails, a post it gives no content for), the
crawl goes to the pages, and the rows are the same."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from blogarchive.demo.server import DemoNetwork, Response, Site
from blogarchive.demo.synthetic import synthetic_wordpress
from tests.conftest import FAST, run_cli
from tests.test_from_feeds import contract_rows, imported, pages_then_feeds

POSTS = 130
#: comments on every fourth post, 1 to 9 of them (more than the API's 100 a page in all);
#: every third comment answers the one before
COMMENTS = {n: 1 + n % 9 for n in range(0, POSTS, 4)}
#: A post page of the synthetic WordPress blogs: /YYYY/MM/DD/slug/
POST_PAGE = re.compile(r"^/\d{4}/\d{2}/\d{2}/[^/]+/$")


def crawl_both(
    folder: Path, site: type[Site] = Site, *, rest: bool = True
) -> tuple[list[str], dict[str, Any]]:
    """Crawl the blog from its pages, then from its REST API; checks that both write the same
    rows. Gives the paths the server was asked for by the second, and its report of the
    blog."""
    blog = synthetic_wordpress("rest", posts=POSTS, comments=COMMENTS, rest=rest)
    paths, report = pages_then_feeds(folder, blog, site)
    by_feeds = contract_rows(folder / "feeds.db")
    assert sum(by_feeds["posts"].values()) == POSTS
    assert sum(by_feeds["comments"].values()) == sum(COMMENTS.values())
    return paths, report


def post_pages(paths: list[str]) -> int:
    return sum(bool(POST_PAGE.match(path)) for path in paths)


def rest_pages(paths: list[str], route: str) -> int:
    return sum(path.startswith(f"/wp-json/wp/v2/{route}?") for path in paths)


def test_a_blog_is_archived_from_its_rest_api_without_a_post_page(tmp_path: Path) -> None:
    paths, report = crawl_both(tmp_path)
    assert post_pages(paths) == 0
    assert rest_pages(paths, "posts") == -(-POSTS // 100)
    assert rest_pages(paths, "comments") == -(-sum(COMMENTS.values()) // 100)
    # robots.txt, the home page and the API: no feed, no sitemap, no index page
    assert len(paths) == 2 + rest_pages(paths, "posts") + rest_pages(paths, "comments"), paths
    assert report["archived"] == POSTS
    assert report["missing_count"] == 0
    with sqlite3.connect(tmp_path / "feeds.db") as conn:
        extractors = dict(conn.execute("SELECT extractor, count(*) FROM posts GROUP BY 1"))
    assert extractors == {"blogarchive/wordpress-rest": POSTS}


def test_a_blog_whose_rest_api_is_off_is_read_from_its_pages(tmp_path: Path) -> None:
    paths, report = crawl_both(tmp_path, rest=False)
    assert "/feed/" in paths and "/wp-sitemap.xml" in paths
    assert post_pages(paths) == POSTS
    assert report["archived"] == POSTS
    assert report["missing_count"] == 0


class FailingComments(Site):
    """A blog whose REST API answers 500 for its comments."""

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/wp-json/wp/v2/comments":
            return Response(500, "application/json", b'{"code":"internal_server_error"}')
        return super().route(path, query)


def test_comments_the_api_fails_to_give_come_from_the_posts_pages(tmp_path: Path) -> None:
    paths, report = crawl_both(tmp_path, FailingComments)
    assert post_pages(paths) == POSTS
    assert report["archived"] == POSTS


class SecondPostsPageFails(Site):
    """A blog whose REST API answers 500 for the second page of its posts."""

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/wp-json/wp/v2/posts" and query.get("page") == ["2"]:
            return Response(500, "application/json", b'{"code":"internal_server_error"}')
        return super().route(path, query)


def test_posts_the_api_fails_to_list_are_found_by_the_other_routes(tmp_path: Path) -> None:
    paths, report = crawl_both(tmp_path, SecondPostsPageFails)
    assert "/wp-sitemap.xml" in paths
    assert post_pages(paths) == POSTS - 100
    assert report["archived"] == POSTS
    assert report["missing_count"] == 0


class CommentsPagesRedirected(Site):
    """A blog whose REST API redirects (301) a page of its comments past the first to the
    first (as some servers answer a page they do not have)."""

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/wp-json/wp/v2/comments" and query.get("page", ["1"]) != ["1"]:
            first = "&".join(f"{k}={v[0]}" for k, v in query.items() if k != "page")
            return Response(301, "text/html", b"", {"Location": f"{path}?{first}&page=1"})
        return super().route(path, query)


def test_a_route_whose_pages_redirect_to_its_first_ends_and_says_why(tmp_path: Path) -> None:
    """Scrapy drops the redirect to the first page, which it has asked for, as a duplicate:
    the page is asked for again past its filter, read as a first page again (its further
    pages not asked for twice), and the comments it falls short of come from the pages."""
    paths, report = crawl_both(tmp_path, CommentsPagesRedirected)
    comments = [p for p in paths if p.startswith("/wp-json/wp/v2/comments?")]
    assert sum(bool(re.search(r"[?&]page=1(&|$)", p)) for p in comments) == 2
    assert rest_pages(paths, "comments") == 3
    assert post_pages(paths) == POSTS
    assert "listed 100 of the" in report["stops"]["rest-comments"], report
    assert (report["archived"], report["missing_count"]) == (POSTS, 0)


def test_a_route_left_unanswered_ends_when_the_crawl_falls_idle(tmp_path: Path) -> None:
    """Requests of the routes the crawl never gets an answer for (Scrapy's URL length limit
    drops them, and calls nothing back): when the crawl falls idle, the blog's other routes
    find its posts, fetched as pages, and the report says why."""
    blog = synthetic_wordpress("rest", posts=POSTS, comments=COMMENTS)
    db = tmp_path / "a.db"
    with DemoNetwork(blogs={blog.key: blog}) as network:
        home = network.homes[blog.key]
        shorter = len(f"{home}wp-json/wp/v2/comments?per_page=100&page=1")
        result = run_cli("crawl", home, "--db", str(db), "--depth", "0", "--from-feeds", *FAST,
                         "-s", f"URLLENGTH_LIMIT={shorter}")  # fmt: skip
        paths = [entry.path for entry in network.log]
    assert result.returncode == 0, result.stderr
    assert "its routes did not end" in result.stderr
    assert rest_pages(paths, "posts") == rest_pages(paths, "comments") == 0
    assert post_pages(paths) == POSTS
    with sqlite3.connect(db) as conn:
        [(stats,)] = conn.execute("SELECT stats FROM crawl_runs").fetchall()
        rows = conn.execute("SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM comments)")
        assert rows.fetchone() == (POSTS, sum(COMMENTS.values()))
    report = json.loads(stats)["blogarchive/report"][home]
    assert report["stops"]["rest"].startswith("its routes did not end"), report
    assert (report["archived"], report["missing_count"]) == (POSTS, 0)


class ProtectedPosts(Site):
    """A blog whose REST API gives every tenth post as password-protected (no content)."""

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        response = super().route(path, query)
        if path != "/wp-json/wp/v2/posts" or response.status != 200:
            return response
        posts = json.loads(response.body)
        for post in posts:
            if post["id"] % 10 == 0:
                post["content"] = {"rendered": "", "protected": True}
        return Response(200, response.content_type, json.dumps(posts).encode(), response.headers)


def test_a_post_the_api_gives_no_content_for_is_read_from_its_page(tmp_path: Path) -> None:
    paths, report = crawl_both(tmp_path, ProtectedPosts)
    assert post_pages(paths) == len([n for n in range(POSTS) if (100 + n) % 10 == 0])
    assert report["archived"] == POSTS


def test_an_import_of_a_crawl_from_the_api_gives_its_rows(tmp_path: Path) -> None:
    """The crawl's WARCs, imported into a new archive: the same rows, each post citing the
    API's page it came from."""
    crawl_both(tmp_path)
    db, captured = imported(tmp_path, "/wp-json/wp/v2/posts")
    assert captured == -(-POSTS // 100)
    with sqlite3.connect(db) as conn:
        [(reported,)] = conn.execute("SELECT stats FROM crawl_runs").fetchall()
    report = next(iter(json.loads(reported)["blogarchive/report"].values()))
    assert report["archived"] == POSTS and report["missing_count"] == 0


def test_a_reextract_reads_the_posts_and_comments_from_the_stored_answers(
    tmp_path: Path,
) -> None:
    """``reextract`` of a crawl from the API: its posts and comments rebuilt from the API's
    answers the archive keeps (a post's text spoiled and its comments deleted come back)."""
    crawl_both(tmp_path)
    db = tmp_path / "feeds.db"
    fed = contract_rows(db)
    with sqlite3.connect(db) as conn:
        [(post_id,)] = conn.execute(
            "SELECT post_id FROM comments GROUP BY post_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchall()
        conn.execute("UPDATE posts SET content_text = 'spoiled' WHERE id = ?", [post_id])
        conn.execute("DELETE FROM comments WHERE post_id = ?", [post_id])
    result = run_cli("reextract", "--db", str(db))
    assert result.returncode == 0, result.stderr
    again = contract_rows(db)
    assert again["posts"] == fed["posts"]
    assert again["comments"] == fed["comments"]
