"""A blog on no known platform, explored link by link: label, search and calendar pages are
never posts, tracking parameters and comment anchors do not make a post twice, and links or
redirects to other private addresses are not followed."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import FAST, free_port, run_cli

POST = """<!doctype html><html><head><title>{title}</title>
<link rel="alternate" type="application/rss+xml" href="/feed.xml"></head><body>
<nav><a href="/">Home</a> <a href="/tag/notes/">Notes</a> <a href="/search?q=notes">Search</a>
<a href="/calendar/2020/01/">Calendar</a> <a href="/2020/">2020</a></nav>
<article><h1>{title}</h1><div class="entry-content"><p>{text}</p><p>{filler}</p></div></article>
<a href="/posts/{other}.html?utm_source=feed&amp;utm_medium=rss">the other post</a>
<a href="/posts/{other}.html?replytocom=5#respond">reply</a>
<a href="/posts/{other}.html#comments">comments</a>
<a href="{elsewhere}">a friend on another private address</a>
<a href="/go/friend">a redirect to it</a>
</body></html>"""
FILLER = "A plain paragraph long enough to be the body of a post on a small personal site. " * 3


def page(path: str, elsewhere: str) -> tuple[int, str, dict[str, str]]:
    if path == "/go/friend":
        return 302, "", {"Location": elsewhere}
    if path in ("/", "/index.html"):
        links = '<a href="/posts/alpha.html">Alpha</a> <a href="/posts/beta.html">Beta</a>'
        return 200, f"<html><body><h1>Small site</h1>{links}</body></html>", {}
    for name, other in (("alpha", "beta"), ("beta", "alpha")):
        if path == f"/posts/{name}.html":
            title = f"{name.title()} post"
            return (
                200,
                POST.format(
                    title=title,
                    text=f"The {name} text.",
                    filler=FILLER,
                    other=other,
                    elsewhere=elsewhere,
                ),
                {},
            )
    if path.startswith("/calendar/"):  # an endless calendar: every month links the next
        year, month = (int(x) for x in path.strip("/").split("/")[1:3])
        following = f"/calendar/{year + month // 12}/{month % 12 + 1:02d}/"
        return 200, f'<html><body><a href="{following}">next month</a></body></html>', {}
    if path.startswith(("/tag/", "/search", "/2020")):
        return (
            200,
            POST.format(
                title="Listing", text="x", filler=FILLER, other="alpha", elsewhere=elsewhere
            ),
            {},
        )
    return 404, "<html><body>not found</body></html>", {}


@pytest.fixture
def small_site() -> Iterator[tuple[str, list[str]]]:
    log: list[str] = []
    elsewhere = f"http://127.0.0.7:{free_port('127.0.0.7')}/"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            log.append(self.path)
            if self.path == "/robots.txt":
                status, body, headers = 200, "User-agent: *\nAllow: /\n", {}
            else:
                status, body, headers = page(urlsplit(self.path).path, elsewhere)
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.6", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.6:{server.server_address[1]}/", log
    finally:
        server.shutdown()
        server.server_close()


def test_only_posts_are_archived_once_and_traps_are_not_followed(
    small_site: tuple[str, list[str]], tmp_path: Path
) -> None:
    home, log = small_site
    db = tmp_path / "archive.db"
    result = run_cli("crawl", home, "--db", str(db), "--depth", "0", *FAST)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        posts = sorted(conn.execute("SELECT url, title FROM posts"))
        blocked = conn.execute(
            "SELECT url, error FROM pages WHERE error LIKE 'private address%'"
        ).fetchall()
    assert posts == [
        (f"{home}posts/alpha.html", "Alpha post"),
        (f"{home}posts/beta.html", "Beta post"),
    ]
    fetched = Counter(urlsplit(path).path for path in log)
    assert fetched["/posts/alpha.html"] == 1 and fetched["/posts/beta.html"] == 1
    assert not [p for p in fetched if p.startswith(("/tag/", "/search", "/calendar/", "/2020"))]
    # the redirect left for another loopback address: refused, and recorded with the reason
    # under the URL that was asked for, with the chain
    assert fetched["/go/friend"] == 1
    assert [url for url, _ in blocked] == [f"{home}go/friend"]
    assert re.fullmatch(
        rf"private address not allowed: 127\.0\.0\.7 \(redirected: {re.escape(home)}go/friend"
        r" -> http://127\.0\.0\.7:\d+/\)",
        blocked[0][1],
    )


def test_a_name_that_resolves_to_a_private_address_is_refused(tmp_path: Path) -> None:
    import socket

    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 80)}
    except OSError:
        pytest.skip(f"{name} does not resolve here")
    if not any(a.startswith("127.") for a in addresses):
        pytest.skip(f"{name} does not resolve to loopback here")
    log: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            log.append(self.headers.get("Host", "") + self.path)
            port = self.server.server_address[1]
            pages = {
                "/robots.txt": "User-agent: *\nAllow: /\n",
                "/": '<html><body><a href="/go/x.html">x</a></body></html>',
            }
            body = pages.get(self.path, "<html><body>not found</body></html>").encode()
            if self.path == "/go/x.html":  # a redirect to a name that resolves to loopback
                self.send_response(302)
                self.send_header("Location", f"http://{name}:{port}/posts/x.html")
            else:
                self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        db = tmp_path / "archive.db"
        home = f"http://127.0.0.1:{server.server_address[1]}/"
        result = run_cli("crawl", home, "--db", str(db), "--depth", "0", *FAST)
        assert result.returncode == 0, result.stderr
    finally:
        server.shutdown()
        server.server_close()
    assert not [entry for entry in log if entry.startswith(name)]
    with sqlite3.connect(db) as conn:
        [(error,)] = conn.execute(
            "SELECT error FROM pages WHERE url = ?", [f"{home}go/x.html"]
        ).fetchall()
    # recorded under the URL asked for, with the redirect that led to the private name
    assert error.startswith(f"private address not allowed: {name} (127.")
    assert error.endswith(
        f"(redirected: {home}go/x.html -> http://{name}:{urlsplit(home).port}/posts/x.html)"
    )
