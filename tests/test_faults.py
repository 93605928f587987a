"""One test per fault a long-running archive meets: the crawl ends with exit code 0, the failure
is recorded with its reason, retries are bounded, text is decoded right, and nothing already
archived is lost."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from blogarchive.demo.server import DemoNetwork, Response, Site
from blogarchive.demo.synthetic import synthetic_blogger
from tests.conftest import FAST, run_cli
from tests.faults import Fault, FaultyBlog, gzip_bomb, post

GOOD = "/posts/good.html"
BAD = "/posts/bad.html"
ROBOTS = Fault(200, b"User-agent: *\nAllow: /\n", "text/plain")


def home(*paths: str) -> Fault:
    links = "".join(f'<a href="{p}">{p}</a> ' for p in paths)
    return Fault(
        200, f"<html><head><title>Faulty</title></head><body>{links}</body></html>".encode()
    )


def routes(bad: Fault | object, **more: Fault) -> dict:
    return {"/robots.txt": ROBOTS, "/": home(GOOD, BAD), GOOD: Fault(200, post("Good post")),
            BAD: bad, **more}  # fmt: skip


def crawl(blog: FaultyBlog, db: Path, *settings: str) -> tuple[str, list[tuple]]:
    with blog.running() as url:
        result = run_cli("crawl", url, "--db", str(db), "--depth", "0", *FAST,
                         "-s", "RETRY_TIMES=2", *settings)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(db) as conn:
        pages = conn.execute("SELECT url, status, error FROM pages ORDER BY url").fetchall()
    return url, pages


def page_error(pages: list[tuple], path: str) -> tuple:
    return next((status, error) for url, status, error in pages if url.endswith(path))


def titles(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return sorted(
            row[0] for row in conn.execute("SELECT title FROM posts WHERE deleted_at IS NULL")
        )


def test_503_with_retry_after_is_retried_after_waiting(tmp_path: Path) -> None:
    answers = [Fault(503, b"busy", headers={"Retry-After": "1"}), Fault(200, post("Bad post"))]
    blog = FaultyBlog(routes(lambda hit: answers[min(hit, 2) - 1]))
    crawl(blog, tmp_path / "a.db")
    assert blog.hits[BAD] == 2
    assert titles(tmp_path / "a.db") == ["Bad post", "Good post"]


def test_a_lasting_500_is_retried_a_bounded_number_of_times_and_recorded(tmp_path: Path) -> None:
    blog = FaultyBlog(routes(Fault(500, b"oops")))
    _, pages = crawl(blog, tmp_path / "a.db")
    assert blog.hits[BAD] == 3  # the first try and RETRY_TIMES=2
    assert page_error(pages, BAD) == (500, "HTTP 500")
    assert titles(tmp_path / "a.db") == ["Good post"]


def test_429_is_retried(tmp_path: Path) -> None:
    answers = [Fault(429, b"slow down", headers={"Retry-After": "0"}), Fault(200, post("Bad post"))]
    blog = FaultyBlog(routes(lambda hit: answers[min(hit, 2) - 1]))
    crawl(blog, tmp_path / "a.db")
    assert blog.hits[BAD] == 2 and "Bad post" in titles(tmp_path / "a.db")


def test_a_retry_after_beyond_the_limit_is_left_for_the_next_run(tmp_path: Path) -> None:
    blog = FaultyBlog(routes(Fault(503, b"later", headers={"Retry-After": "3600"})))
    _, pages = crawl(blog, tmp_path / "a.db")
    assert blog.hits[BAD] == 1 and page_error(pages, BAD) == (503, "HTTP 503")


def test_a_slow_page_times_out_and_is_recorded(tmp_path: Path) -> None:
    blog = FaultyBlog(routes(Fault(200, post("Slow"), delay=3)))
    _, pages = crawl(blog, tmp_path / "a.db", "-s", "DOWNLOAD_TIMEOUT=1", "-s", "RETRY_TIMES=0")
    status, error = page_error(pages, BAD)
    assert status is None and "took longer than" in error


def test_a_connection_reset_is_recorded(tmp_path: Path) -> None:
    blog = FaultyBlog(routes(Fault(action="reset")))
    _, pages = crawl(blog, tmp_path / "a.db", "-s", "RETRY_TIMES=0")
    assert page_error(pages, BAD) == (
        None,
        "connection lost: the server closed it before the answer ended",
    )
    assert titles(tmp_path / "a.db") == ["Good post"]


def test_a_truncated_body_is_recorded(tmp_path: Path) -> None:
    blog = FaultyBlog(routes(Fault(200, post("Cut short"), action="truncate")))
    _, pages = crawl(blog, tmp_path / "a.db", "-s", "RETRY_TIMES=0")
    assert page_error(pages, BAD) == (
        None,
        "truncated: the body ended before the length the server announced",
    )
    assert "Cut short" not in titles(tmp_path / "a.db")


def test_a_body_that_is_not_its_content_encoding_is_recorded(tmp_path: Path) -> None:
    blog = FaultyBlog(routes(Fault(200, post("Not zipped"), headers={"Content-Encoding": "gzip"})))
    _, pages = crawl(blog, tmp_path / "a.db", "-s", "RETRY_TIMES=0")
    status, error = page_error(pages, BAD)
    assert status is None
    assert error.startswith("undecodable: the body is not what its Content-Encoding names"), error
    assert "Not zipped" not in titles(tmp_path / "a.db")


@pytest.mark.parametrize("declared", [None, "utf-8"], ids=["no charset", "wrong charset"])
def test_windows_1252_text_is_decoded_right(tmp_path: Path, declared: str | None) -> None:
    text = "“Quoted” – it’s • bulleted"
    body = post("Smart quotes", text, charset=None).replace(b"<p></p>", b"")
    body = body.replace(b"<p></p>", b"")
    raw = post("Smart quotes", text, charset="cp1252")
    if declared is None:
        raw = raw.replace(b'<meta charset="cp1252">', b"")
    else:
        raw = raw.replace(b'<meta charset="cp1252">', f'<meta charset="{declared}">'.encode())
    content_type = "text/html" if declared is None else f"text/html; charset={declared}"
    blog = FaultyBlog(routes(Fault(200, raw, content_type=content_type)))
    crawl(blog, tmp_path / "a.db")
    with sqlite3.connect(tmp_path / "a.db") as conn:
        [(content,)] = conn.execute(
            "SELECT content_text FROM posts WHERE title = 'Smart quotes'"
        ).fetchall()
    assert text in content


def test_a_gzip_bomb_is_refused_at_the_size_limit(tmp_path: Path) -> None:
    bomb = Fault(200, gzip_bomb(64), headers={"Content-Encoding": "gzip"})
    blog = FaultyBlog(routes(bomb))
    _, pages = crawl(blog, tmp_path / "a.db", "-s", f"DOWNLOAD_MAXSIZE={8 * 1024 * 1024}")
    error = page_error(pages, BAD)[1]
    assert error and "size" in error.lower()
    assert titles(tmp_path / "a.db") == ["Good post"]


def test_a_multi_megabyte_page_is_archived_and_a_bigger_one_refused(tmp_path: Path) -> None:
    big = post("Big post", "word " * 600_000)  # about 3 MB
    huge = Fault(200, post("Huge post", "word " * 3_000_000))  # about 15 MB
    blog = FaultyBlog(routes(Fault(200, big), **{"/posts/huge.html": huge}))
    blog.routes["/"] = home(GOOD, BAD, "/posts/huge.html")
    _, pages = crawl(blog, tmp_path / "a.db", "-s", f"DOWNLOAD_MAXSIZE={8 * 1024 * 1024}")
    assert titles(tmp_path / "a.db") == ["Big post", "Good post"]
    assert "size" in page_error(pages, "/posts/huge.html")[1].lower()


def test_a_redirect_loop_ends_and_is_recorded(tmp_path: Path) -> None:
    loop = {
        BAD: Fault(302, b"", headers={"Location": "/posts/loop.html"}),
        "/posts/loop.html": Fault(302, b"", headers={"Location": BAD}),
    }
    blog = FaultyBlog({**routes(loop[BAD]), "/posts/loop.html": loop["/posts/loop.html"]})
    _, pages = crawl(blog, tmp_path / "a.db")
    assert any((error or "").startswith("redirect loop: ") for _, _, error in pages)
    assert sum(blog.hits.get(p, 0) for p in (BAD, "/posts/loop.html")) <= 12


class MovedPost(Site):
    """A blog whose fourth post's address redirects (301) to the page of the fifth."""

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        if path.endswith("/post-number-3.html"):
            moved = path.replace("-3.html", "-4.html")
            return Response(301, "text/html", b"", {"Location": moved})
        return super().route(path, query)


def test_a_post_moved_onto_a_page_already_fetched_is_kept_as_its_address(tmp_path: Path) -> None:
    """Scrapy drops a redirect to a URL it has asked for as a duplicate, silently: the moved
    post's address is asked for once more where it was sent, and kept as that post's."""
    blog = synthetic_blogger("moved", posts=8)
    db = tmp_path / "a.db"
    with DemoNetwork(blogs={blog.key: blog}, site=MovedPost) as network:
        home = network.homes[blog.key]
        one_at_a_time = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
        result = run_cli("crawl", home, "--db", str(db), "--depth", "0", *FAST, *one_at_a_time)
        paths = [entry.path for entry in network.log]
    assert result.returncode == 0, result.stderr
    target, moved = "/2015/01/post-number-4.html", "/2015/01/post-number-3.html"
    assert paths.index(target) < paths.index(moved)  # (the case: the target asked for first)
    assert paths.count(target) == 2
    with sqlite3.connect(db) as conn:
        owners = dict(conn.execute("SELECT url, post_id FROM post_urls").fetchall())
        (stats,) = conn.execute("SELECT stats FROM crawl_runs").fetchone()
    assert owners[home + moved[1:]] == owners[home + target[1:]]
    report = json.loads(stats)["blogarchive/report"][home]
    assert (report["archived"], report["missing_count"]) == (8, 0), report


class PostsGoneElsewhere(Site):
    """A blog whose second post's address redirects to its home page, whose third answers
    JSON, and whose fourth redirects to a static page."""

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        if path.endswith("/post-number-1.html"):
            return Response(301, "text/html", b"", {"Location": "/"})
        if path.endswith("/post-number-2.html"):
            return Response(200, "application/json", b'{"id": 2}')
        if path.endswith("/post-number-3.html"):
            return Response(301, "text/html", b"", {"Location": "/p/gone.html"})
        if path == "/p/gone.html":
            return self._html(self.blog.template, posts=[], canonical=self.home + "p/gone.html")
        return super().route(path, query)


def test_a_post_that_answers_no_post_is_reported_with_what_it_answered(tmp_path: Path) -> None:
    """A post its feed lists that redirects to the home page, answers what is no HTML, or
    redirects to a page that is no post: each missing, with what happened (they were said
    "not fetched", or counted among the pages that are no posts, unnamed)."""
    blog = synthetic_blogger("gone", posts=8)
    db = tmp_path / "a.db"
    with DemoNetwork(blogs={blog.key: blog}, site=PostsGoneElsewhere) as network:
        home = network.homes[blog.key]
        result = run_cli("crawl", home, "--db", str(db), "--depth", "0", *FAST)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        (stats,) = conn.execute("SELECT stats FROM crawl_runs").fetchone()
        kinds = dict(conn.execute("SELECT url, kind FROM pages").fetchall())
    report = json.loads(stats)["blogarchive/report"][home]
    reasons = {m["url"].rsplit("-", 1)[1]: m["reason"] for m in report["missing"]}
    assert set(reasons) == {"1.html", "2.html", "3.html"}, report
    assert reasons["1.html"] == f"redirected to the blog's home page, {home}"
    assert reasons["2.html"] == "not HTML: application/json"
    assert reasons["3.html"].startswith(f"not a post: redirected to {home}p/gone.html: ")
    assert (report["archived"], report["missing_count"]) == (5, 3)
    assert kinds[home] == "home"  # (not overwritten by the post's answer)


def test_malformed_html_is_read(tmp_path: Path) -> None:
    broken = (
        b"<html><body><article><h1 class=entry-title>Broken <b>markup<div class=entry-content><p>"
        + (b"Unclosed paragraphs and <i>tags <p>" * 30)
        + b"</tr></td><<<>>> &bogus; \x00\x01"
    )
    blog = FaultyBlog(routes(Fault(200, broken)))
    _, pages = crawl(blog, tmp_path / "a.db")
    assert page_error(pages, BAD) == (200, None)
    assert any(t.startswith("Broken") for t in titles(tmp_path / "a.db"))


def test_a_feed_that_is_not_xml_is_recorded(tmp_path: Path) -> None:
    page = (
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml">'
        b'</head><body><a href="/posts/good.html">g</a></body></html>'
    )
    blog = FaultyBlog({"/robots.txt": ROBOTS, "/": Fault(200, page),
                       "/feed.xml": Fault(200, b"<html><body>Not a feed</body></html>"),
                       GOOD: Fault(200, post("Good post"))})  # fmt: skip
    _, pages = crawl(blog, tmp_path / "a.db")
    assert page_error(pages, "/feed.xml") == (200, "not a feed")
    assert titles(tmp_path / "a.db") == ["Good post"]


def test_robots_txt_that_disallows_everything(tmp_path: Path) -> None:
    disallow = Fault(200, b"User-agent: *\nDisallow: /\n", "text/plain")
    blog = FaultyBlog(routes(Fault(200, post("Bad post")), **{"/robots.txt": disallow}))
    crawl(blog, tmp_path / "a.db")
    assert [path for path, _ in blog.log] == ["/robots.txt"]
    with sqlite3.connect(tmp_path / "a.db") as conn:
        assert conn.execute("SELECT status, error FROM blogs").fetchall() == [
            ("blocked", "forbidden by robots.txt")
        ]


def test_robots_txt_rules_reach_every_request_that_waited_for_them(tmp_path: Path) -> None:
    # a refresh with --every-page asks for the home and every archived post at once: all of
    # them wait for the slow robots.txt, which now disallows one post
    later = Fault(200, b"User-agent: *\nDisallow: /posts/bad\n", "text/plain", delay=1.0)
    robots = [ROBOTS, later]
    blog = FaultyBlog(routes(Fault(200, post("Bad post")),
                             **{"/robots.txt": lambda hit: robots[min(hit, 2) - 1]}))  # fmt: skip
    url, _ = crawl(blog, tmp_path / "a.db")
    mark = len(blog.log)
    with blog.running(urlsplit(url).port or 0):
        result = run_cli("refresh", "--db", str(tmp_path / "a.db"), "--every-page", *FAST)
    assert result.returncode == 0, result.stderr
    asked = [path for path, _ in blog.log[mark:]]
    assert asked[0] == "/robots.txt" and GOOD in asked
    assert BAD not in asked
    assert titles(tmp_path / "a.db") == ["Bad post", "Good post"]  # (not deleted either)


def test_robots_txt_that_answers_500_does_not_stop_the_crawl(tmp_path: Path) -> None:
    blog = FaultyBlog(routes(Fault(200, post("Bad post")), **{"/robots.txt": Fault(500, b"oops")}))
    crawl(blog, tmp_path / "a.db", "-s", "RETRY_TIMES=0")
    assert titles(tmp_path / "a.db") == ["Bad post", "Good post"]


def test_nothing_archived_is_lost_when_the_site_breaks(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    good = FaultyBlog(routes(Fault(200, post("Bad post", "The text we keep."))))
    crawl(good, db)
    broken = FaultyBlog(routes(Fault(500, b"oops")))
    broken.routes["/"] = Fault(503, b"down")
    crawl(broken, db, "-s", "RETRY_TIMES=0")
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT title, content_text, deleted_at FROM posts ORDER BY title"
        ).fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert [(t, d) for t, _, d in rows] == [("Bad post", None), ("Good post", None)]
    assert "The text we keep." in rows[0][1]


def test_a_crawl_goes_on_when_an_extraction_process_dies() -> None:
    """An extraction process killed (out of memory, by an operator): the pages still to come are
    extracted in the crawl's own process, with the same result, and nothing raises."""
    import asyncio
    import os
    import signal
    import time

    from blogarchive.extraction import ExtractionPool
    from blogarchive.worker import read_page

    body = post("A post read twice")
    html = body.decode()
    url = "http://127.0.0.1:9/2024/01/read-twice.html"
    expected = read_page(html, body, url, None)
    pool = ExtractionPool(1)

    async def extract_around_a_kill() -> tuple[object, object]:
        first = await pool.extract(html, body, url, None)
        workers = pool.pids
        assert workers, "no extraction process was started"
        for pid in workers:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pool.pids and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return first, await pool.extract(html, body, url, None)

    try:
        first, second = asyncio.run(extract_around_a_kill())
    finally:
        pool.close()
    assert first == expected
    assert second == expected
    assert pool.processes == 0  # the crawl's process extracts from now on


def test_an_error_raised_in_an_extraction_process_is_the_pages_own() -> None:
    """What the extractors raise for one page in a worker is raised again in the crawl, for that
    page (Scrapy records it as the page's error); the worker goes on with the next page."""
    import asyncio

    from blogarchive.extraction import ExtractionPool
    from blogarchive.worker import read_page

    body = post("A post after a bad one")
    html = body.decode()
    url = "http://127.0.0.1:9/2024/01/after-a-bad-one.html"
    pool = ExtractionPool(1)

    async def a_bad_page_then_a_good_one() -> tuple[BaseException, object]:
        try:
            await pool.extract(None, b"", url, None)  # type: ignore[arg-type] - no text to parse
        except Exception as error:
            raised: BaseException = error
        else:
            raise AssertionError("the bad page raised nothing")
        return raised, await pool.extract(html, body, url, None)

    try:
        raised, good = asyncio.run(a_bad_page_then_a_good_one())
        assert pool.processes == 1  # the worker was not given up
    finally:
        pool.close()
    # what the pure build raises for text that is None, or the compiled build (setup.py), whose
    # functions check their arguments' types
    assert isinstance(raised, AttributeError | TypeError)
    assert "None" in str(raised)
    assert good == read_page(html, body, url, None)


def test_a_crawl_extracts_in_its_own_process_where_workers_cannot_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Where no worker process can start (the user's process limit reached, and fork fails;
    simulated here), the crawl's own process extracts every page and says so once."""
    import asyncio

    from blogarchive import extraction, worker

    def no_processes(*args: object, **kwargs: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(extraction, "_spawn", no_processes)
    body = post("A post read at home")
    html = body.decode()
    url = "http://127.0.0.1:9/2024/01/read-at-home.html"
    pool = extraction.ExtractionPool(1)

    async def extract_twice() -> list[object]:
        return [await pool.extract(html, body, url, None) for _ in range(2)]

    expected = worker.read_page(html, body, url, None)
    assert asyncio.run(extract_twice()) == [expected] * 2
    assert pool.processes == 0
    said = [r.getMessage() for r in caplog.records if r.name == "blogarchive.extraction"]
    assert said == [
        "extraction processes cannot start ([Errno 11] Resource temporarily unavailable); the"
        " crawl's own process extracts the rest"
    ]


def test_feeds_are_read_in_a_worker_only_once_a_post_page_started_one() -> None:
    """A feed comes before its posts: read before any post page, it is read in the crawl's own
    process and starts no worker (a refresh whose feeds vouch for every post never waits for
    one); once a worker runs, feeds go to it, with the same answer and the body as stored."""
    import asyncio
    import zlib

    from blogarchive.extraction import ExtractionPool
    from blogarchive.worker import read_feed

    url = "http://127.0.0.1:9/feeds/posts/default"
    xml = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A blog</title>'
        b"<entry><id>tag:blogger.com,1999:blog-1.post-2</id><title>A post</title>"
        b'<link rel="alternate" href="http://127.0.0.1:9/2024/01/a-post.html"/>'
        b"<published>2024-01-02T03:04:05Z</published><content>Text</content></entry></feed>"
    )
    body = post("A post that starts the worker")
    html = body.decode()
    pool = ExtractionPool(1)

    async def a_feed_a_page_a_feed() -> tuple[object, int, object]:
        before = await pool.feed(xml, url)
        started = len(pool.pids)
        await pool.extract(html, body, "http://127.0.0.1:9/2024/01/a-post.html", None)
        return before, started, await pool.feed(xml, url)

    try:
        before, workers_before, after = asyncio.run(a_feed_a_page_a_feed())
        workers_after = len(pool.pids)
    finally:
        pool.close()
    assert workers_before == 0
    assert workers_after == 1
    expected = read_feed(xml, url)
    assert before == after == expected
    feed, stored = expected
    assert [entry.url for entry in feed.entries] == ["http://127.0.0.1:9/2024/01/a-post.html"]
    assert zlib.decompress(stored.compressed) == xml


class FailingFeed:
    """A generated Blogger blog of three posts with three comments each, served whole but for
    the first post's comment feed, which answers ``feed``, and, with ``page``, the first post's
    page from its second fetch on; until the faults are mended (:attr:`healthy`)."""

    def __init__(self, feed: Fault, page: Fault | None = None) -> None:
        self.demo = synthetic_blogger("faulty", posts=3, comments=dict.fromkeys(range(3), 3))
        self.first = self.demo.posts[0]
        self.feed, self.page = feed, page
        self.healthy = False
        self.server = FaultyBlog({}, fallback=self.answer)
        self.site: Site | None = None

    def answer(self, path: str) -> Fault | None:
        parts = urlsplit(path)
        if not self.healthy and parts.path == f"/feeds/{self.first.id}/comments/default":
            return self.feed
        second = parts.path == self.first.path and self.fetches(path) > 1
        if self.page and not self.healthy and second:
            return self.page
        assert self.site is not None
        response = self.site.route(parts.path, parse_qs(parts.query))
        return Fault(response.status, response.body, response.content_type)

    def fetches(self, path: str) -> int:
        return self.server.hits.get(path, 0)

    def runs(self, db: Path, *commands: list[str]) -> list[tuple[dict[str, int], tuple]]:
        """Run each command (the blog's URL follows ``crawl``), mending the faults after the
        first: after each, the comments archived per post path, and the first post page's
        archived (status, error)."""
        found = []
        with self.server.running() as url:
            self.site = Site(self.demo, url, {self.demo.key: url}, {self.demo.key: self.demo})
            for command in commands:
                extra = [url, "--depth", "0"] if command[0] == "crawl" else []
                result = run_cli(*command, *extra, "--db", str(db), *FAST, "-s", "RETRY_TIMES=0")
                assert result.returncode == 0, result.stderr
                assert "Traceback" not in result.stderr
                found.append(self.archived(db))
                self.healthy = True
        return found

    def archived(self, db: Path) -> tuple[dict[str, int], tuple]:
        with sqlite3.connect(db) as conn:
            rows = conn.execute(
                "SELECT posts.url, count(comments.id) FROM posts LEFT JOIN comments"
                " ON comments.post_id = posts.id AND comments.deleted_at IS NULL"
                " GROUP BY posts.url"
            ).fetchall()
            page = conn.execute(
                "SELECT status, error FROM pages WHERE url LIKE ?", [f"%{self.first.path}"]
            ).fetchone()
        return {urlsplit(post_url).path: n for post_url, n in rows}, page


@pytest.mark.parametrize(
    "feed", [Fault(500, b"oops"), Fault(200, b"<html><body>Sign in to comment</body></html>")],
    ids=["500", "not a feed"],
)  # fmt: skip
def test_the_comments_a_page_shows_are_kept_when_its_comment_feed_fails(
    tmp_path: Path, feed: Fault
) -> None:
    """The crawl reads a Blogger post's comments from its comment feed, not from its page;
    should the feed fail before any of the blog's has answered, the comments the page in hand
    shows are kept, without a second fetch of the page (issue 31)."""
    blog = FailingFeed(feed)
    [(comments, page)] = blog.runs(tmp_path / "a.db", ["crawl"])
    assert comments == {post.path: 3 for post in blog.demo.posts}
    assert page == (200, None)
    assert blog.fetches(blog.first.path) == 1
    # the other posts' feeds answered: their pages were fetched once
    assert [blog.fetches(post.path) for post in blog.demo.posts[1:]] == [1, 1]


def test_comments_of_a_failed_feed_need_no_second_fetch_that_could_fail(
    tmp_path: Path,
) -> None:
    """A second fetch of the page (for the comments its failed feed would have given) would
    fail: none is made, the comments come from the page in hand, and a refresh keeps them."""
    blog = FailingFeed(Fault(500, b"oops"), page=Fault(500, b"down"))
    crawled, refreshed = blog.runs(tmp_path / "a.db", ["crawl"], ["refresh"])
    assert crawled == ({p.path: 3 for p in blog.demo.posts}, (200, None))
    assert refreshed[0] == {post.path: 3 for post in blog.demo.posts}
