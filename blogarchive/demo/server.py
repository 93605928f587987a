"""The demo blog network, served on loopback by real HTTP servers: one origin per blog.

Each blog listens on its own loopback address (127.0.0.2, 127.0.0.3, 127.0.0.4) on one shared
port, so the blogs are distinct origins as they are on the web. Every request is logged (host,
path, User-Agent), which tests read to check robots.txt and identification.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import jinja2

from blogarchive.demo.content import BLOGS, DemoBlog, DemoPost

HOSTS = {"classic": "127.0.0.2", "contempo": "127.0.0.3", "wordpress": "127.0.0.4"}
#: A loopback address where nothing listens: the blog list's dead link.
DEAD_HOST = "127.0.0.5"
#: Blogger serves at most this many entries per feed page, whatever max-results asks.
BLOGGER_FEED_CAP = 150
#: Blogger's post pages show this many comments; the rest only through the comment feed.
BLOGGER_PAGE_COMMENTS = 200
#: WordPress' "break comments into pages" setting: top-level comments per comment page.
WORDPRESS_COMMENTS_PER_PAGE = 50
#: WordPress REST: at most 100 items a page; 10 posts a page of a feed or index.
WORDPRESS_REST_MAX = 100
WORDPRESS_PAGE_SIZE = 10

BLOGGER_ROBOTS = """User-agent: Mediapartners-Google
Disallow:

User-agent: *
Disallow: /search
Allow: /

Sitemap: {home}sitemap.xml
"""
WORDPRESS_ROBOTS = """User-agent: *
Disallow: /wp-admin/
Allow: /wp-admin/admin-ajax.php

Sitemap: {home}wp-sitemap.xml
"""

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("blogarchive.demo", "templates"),
    autoescape=jinja2.select_autoescape(["html", "xml"]),
    trim_blocks=False,
)


@dataclass(frozen=True)
class LoggedRequest:
    host: str
    path: str
    user_agent: str
    status: int
    bytes_sent: int
    #: when the request arrived (``time.monotonic()``)
    received: float = 0.0


@dataclass
class Response:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    #: how a test's site answers worse than a status can say: ``reset`` (the connection closed
    #: with no answer), ``truncate`` (the body ends before the length announced)
    misbehaviour: str | None = None


class Site:
    """One demo blog: routes a path to a rendered page, feed, sitemap or robots.txt."""

    def __init__(
        self, blog: DemoBlog, home: str, homes: dict[str, str], blogs: dict[str, DemoBlog]
    ) -> None:
        self.blogs = blogs
        self.blog = blog
        self.home = home
        self.blog_id = _stable_blog_id(blog.key)
        self.posts = sorted(blog.posts, key=lambda p: p.published, reverse=True)
        self.views = [self._view(p) for p in self.posts]
        self.by_path = {view["path"]: view for view in self.views}
        self.by_id = {view["id"]: view for view in self.views}
        self.labels = sorted({label for p in self.posts for label in p.labels})
        self.blog_list = [self._listed(key, homes) for key in blog.blog_list]

    # -- view models --------------------------------------------------------------------------

    def _path(self, post: DemoPost) -> str:
        if self.blog.platform == "wordpress":
            return (
                f"/{post.published[:4]}/{post.published[5:7]}/{post.published[8:10]}/{post.slug}/"
            )
        return post.path

    def _view(self, post: DemoPost) -> dict[str, Any]:
        published = datetime.fromisoformat(post.published)
        comments = [
            {
                "id": c.id,
                "author": c.author,
                "author_url": c.author_url,
                "published": c.published,
                "html": c.html,
                "parent": c.parent,
                "epoch_ms": int(datetime.fromisoformat(c.published).timestamp() * 1000),
                "published_feed": datetime.fromisoformat(c.published).isoformat(
                    timespec="milliseconds"
                ),
                "when": _when(datetime.fromisoformat(c.published)),
            }
            for c in post.comments
        ]
        replies: dict[str, list[object]] = {c.id: [] for c in post.comments}
        for comment in post.comments:
            if comment.parent in replies:
                replies[comment.parent].append(comment)
        return {
            "id": post.id,
            "title": post.title,
            "author": post.author,
            "published": post.published,
            "updated": post.updated,
            "labels": post.labels,
            "html": post.html,
            "path": self._path(post),
            "comments": comments,
            "all_comments": comments,
            "replies": replies,
            "date_header": published.strftime("%A, %B %-d, %Y"),
            "date_short": published.strftime("%B %-d, %Y"),
            "time_text": published.strftime("%-I:%M %p"),
            "published_feed": published.isoformat(timespec="milliseconds"),
            "updated_feed": datetime.fromisoformat(post.updated or post.published).isoformat(
                timespec="milliseconds"
            ),
            "published_rfc": format_datetime(published),
            "summary": post.html[:120],
        }

    def _listed(self, key: str, homes: dict[str, str]) -> dict[str, str]:
        if key == "dead":
            port = urlsplit(self.home).port
            return {"url": f"http://{DEAD_HOST}:{port}/", "title": "Gone Quiet", "latest": ""}
        other = self.blogs[key]
        latest = max(other.posts, key=lambda p: p.published)
        return {"url": homes[key], "title": other.title, "latest": latest.title}

    def _context(self, **extra: Any) -> dict[str, Any]:
        return {
            "blog": self.blog,
            "home": self.home,
            "blog_id": self.blog_id,
            "blog_list": self.blog_list,
            "all_labels": self.labels,
            "archive_months": [],
            "post": None,
            "page": None,
            "newer": None,
            "older": None,
            "body_class": "home blog",
            **extra,
        }

    def _html(self, template: str, **context: Any) -> Response:
        body = _env.get_template(template).render(self._context(**context))
        return Response(200, "text/html; charset=UTF-8", body.encode("utf-8"))

    # -- routes -------------------------------------------------------------------------------

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/robots.txt":
            robots = WORDPRESS_ROBOTS if self.blog.platform == "wordpress" else BLOGGER_ROBOTS
            return Response(200, "text/plain", robots.format(home=self.home).encode())
        if path == "/":
            return self._index()
        if path in self.by_path:
            return self._post(self.by_path[path])
        if self.blog.platform == "wordpress":
            return self._wordpress_route(path, query)
        return self._blogger_route(path, query)

    def _index(self, page: int = 1) -> Response:
        size = self.blog.index_size
        views = self.views[(page - 1) * size : page * size]
        if not views:
            return _not_found()
        older = None
        if len(self.views) > page * size:
            last = views[-1]["published_feed"]
            older = f"{self.home}search?updated-max={quote(last)}&max-results={len(views)}"
            if self.blog.platform == "wordpress":
                older = f"{self.home}page/{page + 1}/"
        canonical = self.home if page == 1 else f"{self.home}page/{page}/"
        return self._html(
            self.blog.template, posts=views, older=older, canonical=canonical, index_page=page
        )

    def _post(self, view: dict[str, Any], comment_page: int | None = None) -> Response:
        index = self.views.index(view)
        if self.blog.platform == "blogger" and len(view["comments"]) > BLOGGER_PAGE_COMMENTS:
            shown = view["comments"][:BLOGGER_PAGE_COMMENTS]
            view = {**view, "comments": shown, "comment_total": len(view["all_comments"])}
        if self.blog.platform == "wordpress":
            paged = self._comment_page(view, comment_page or 1)
            if paged is None:
                return _not_found()
            view = paged
        newer = self.home + self.views[index - 1]["path"][1:] if index > 0 else None
        older = (
            self.home + self.views[index + 1]["path"][1:] if index + 1 < len(self.views) else None
        )
        return self._html(
            self.blog.template,
            posts=[view],
            post=view,
            newer=newer,
            older=older,
            canonical=self.home + view["path"][1:],
            body_class=f"post-template-default single single-post postid-{view['id']}",
        )

    def _comment_page(self, view: dict[str, Any], page: int) -> dict[str, Any] | None:
        """The post with one page of its comment threads (WordPress breaks them into pages)."""
        threads = [c for c in view["all_comments"] if c["parent"] is None]
        pages = max(1, -(-len(threads) // WORDPRESS_COMMENTS_PER_PAGE))
        if page > pages:
            return None
        keep = threads[
            (page - 1) * WORDPRESS_COMMENTS_PER_PAGE : page * WORDPRESS_COMMENTS_PER_PAGE
        ]
        kept = {c["id"] for c in keep}
        shown = []
        for comment in view["all_comments"]:  # replies come after their parents
            if comment["id"] in kept or comment["parent"] in kept:
                kept.add(comment["id"])
                shown.append(comment)
        base = self.home + view["path"][1:]
        return {
            **view,
            "comments": shown,
            "comment_total": len(view["all_comments"]),
            "comment_older": f"{base}comment-page-{page - 1}/#comments" if page > 1 else None,
            "comment_newer": f"{base}comment-page-{page + 1}/#comments" if page < pages else None,
        }

    def _blogger_route(self, path: str, query: dict[str, list[str]]) -> Response:
        if path == "/feeds/posts/default":
            return self._blogger_feed(query)
        if path == "/feeds/comments/default" and self.blog.extra.get("blog_comments") != "off":
            return self._blogger_blog_comment_feed(query)
        match = COMMENT_FEED.match(path)
        if match and match.group(1) in self.by_id:
            return self._blogger_comment_feed(self.by_id[match.group(1)], query)
        if path == "/sitemap.xml":
            entries = [(self.home + v["path"][1:], v["updated_feed"]) for v in self.views]
            return self._xml("sitemap.xml", entries=entries)
        if path.startswith("/search"):
            label = (
                unquote(path[len("/search/label/") :])
                if path.startswith("/search/label/")
                else None
            )
            views = [v for v in self.views if label is None or label in v["labels"]]
            return self._html(self.blog.template, posts=views, canonical=self.home + path[1:])
        return _not_found()

    def _blogger_feed(self, query: dict[str, list[str]]) -> Response:
        start, per_page = _paging(query)
        views = self.views[start - 1 : start - 1 + per_page]
        next_url = None
        if start - 1 + per_page < len(self.views):
            next_url = (
                f"{self.home}feeds/posts/default?start-index={start + per_page}"
                f"&max-results={per_page}"
            )
        return self._xml(
            "blogger_feed.xml",
            content_type="application/atom+xml; charset=UTF-8",
            posts=views,
            total=len(self.views),
            start=start,
            per_page=per_page,
            next_url=next_url,
            self_url=f"{self.home}feeds/posts/default?start-index={start}&max-results={per_page}",
            updated=self.views[0]["updated_feed"] if self.views else "",
        )

    def _blogger_comment_feed(self, view: dict[str, Any], query: dict[str, list[str]]) -> Response:
        start, per_page = _paging(query)
        comments = view["all_comments"]
        page = comments[start - 1 : start - 1 + per_page]
        base = f"{self.home}feeds/{view['id']}/comments/default"
        next_url = None
        if start - 1 + per_page < len(comments):
            next_url = f"{base}?start-index={start + per_page}&max-results={per_page}"
        return self._xml(
            "blogger_comments_feed.xml",
            content_type="application/atom+xml; charset=UTF-8",
            post=view,
            comments=page,
            total=len(comments),
            start=start,
            per_page=per_page,
            next_url=next_url,
            self_url=f"{base}?start-index={start}&max-results={per_page}",
        )

    def _blogger_blog_comment_feed(self, query: dict[str, list[str]]) -> Response:
        """Every comment of the blog, newest first (as Blogger lists them), each naming its
        post in ``thr:in-reply-to``."""
        start, per_page = _paging(query)
        comments = sorted(
            ((view, c) for view in self.views for c in view["all_comments"]),
            key=lambda pair: datetime.fromisoformat(pair[1]["published"]),
            reverse=True,
        )
        base = f"{self.home}feeds/comments/default"
        next_url = None
        if start - 1 + per_page < len(comments):
            next_url = f"{base}?start-index={start + per_page}&max-results={per_page}"
        return self._xml(
            "blogger_blog_comments_feed.xml",
            content_type="application/atom+xml; charset=UTF-8",
            comments=comments[start - 1 : start - 1 + per_page],
            total=len(comments),
            start=start,
            per_page=per_page,
            next_url=next_url,
            self_url=f"{base}?start-index={start}&max-results={per_page}",
            updated=comments[0][1]["published_feed"] if comments else "",
        )

    def _wordpress_rest(self, path: str, query: dict[str, list[str]]) -> Response:
        """WordPress' REST API, as core 6.4 answers it: ``/wp/v2/posts`` and ``/wp/v2/comments``
        (approved comments, newest first unless ``order=asc``), paged by ``per_page`` (at most
        100) and ``page``, with ``X-WP-Total`` and ``X-WP-TotalPages``; ``_fields`` keeps the
        fields it names, and ``_embed`` adds a post's author and terms under ``_embedded``."""
        if self.blog.extra.get("rest") == "off":
            body = {"code": "rest_disabled", "message": "The REST API is disabled."}
            return Response(401, "application/json; charset=UTF-8", json.dumps(body).encode())
        if path == "/wp-json/wp/v2/posts":
            items = [self._rest_post(view, "_embed" in query) for view in self.views]
        elif path == "/wp-json/wp/v2/comments":
            items = self._rest_comments(query)
        else:
            return Response(404, "application/json", b'{"code":"rest_no_route"}')
        try:
            per_page = min(WORDPRESS_REST_MAX, max(1, int(query.get("per_page", ["10"])[0])))
            page = max(1, int(query.get("page", ["1"])[0]))
        except ValueError:
            return Response(400, "application/json", b'{"code":"rest_invalid_param"}')
        pages = max(1, -(-len(items) // per_page))
        if page > pages:
            return Response(400, "application/json", b'{"code":"rest_post_invalid_page_number"}')
        answer = items[(page - 1) * per_page : page * per_page]
        fields = [f for f in ",".join(query.get("_fields", [])).split(",") if f]
        if fields:
            answer = [{k: v for k, v in item.items() if k in fields} for item in answer]
        headers = {"X-WP-Total": str(len(items)), "X-WP-TotalPages": str(pages)}
        return Response(
            200, "application/json; charset=UTF-8", json.dumps(answer).encode(), headers
        )

    def _rest_post(self, view: dict[str, Any], embed: bool) -> dict[str, Any]:
        published = datetime.fromisoformat(view["published"])
        modified = datetime.fromisoformat(view["updated"] or view["published"])
        category, *tags = view["labels"] or ("Uncategorized",)
        link = self.home + view["path"][1:]
        post: dict[str, Any] = {
            "id": int(view["id"]),
            "date": _local(published),
            "date_gmt": _gmt(published),
            "modified": _local(modified),
            "modified_gmt": _gmt(modified),
            "slug": view["path"].rstrip("/").rsplit("/", 1)[-1],
            "status": "publish",
            "type": "post",
            "link": link,
            "title": {"rendered": view["title"]},
            "content": {"rendered": view["html"], "protected": False},
            "excerpt": {"rendered": f"<p>{view['summary']}</p>", "protected": False},
            "author": 1,
            "comment_status": "open",
            "categories": [_term_id(category)],
            "tags": [_term_id(tag) for tag in tags],
            "_links": {"self": [{"href": f"{self.home}wp-json/wp/v2/posts/{view['id']}"}]},
        }
        if embed:

            def term(name: str, taxonomy: str) -> dict[str, Any]:
                kind = "category" if taxonomy == "category" else "tag"
                return {
                    "id": _term_id(name),
                    "name": name,
                    "slug": name.lower(),
                    "taxonomy": taxonomy,
                    "link": f"{self.home}{kind}/{name.lower()}/",
                }

            post["_embedded"] = {
                "author": [{"id": 1, "name": view["author"], "link": f"{self.home}author/lena/"}],
                "wp:term": [[term(category, "category")], [term(t, "post_tag") for t in tags]],
            }
        return post

    def _rest_comments(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        wanted = set(query.get("post", []))
        comments = []
        for view in self.views:
            if wanted and view["id"] not in wanted:
                continue
            for comment in view["all_comments"]:
                moment = datetime.fromisoformat(comment["published"])
                comments.append(
                    {
                        "id": int(comment["id"]),
                        "post": int(view["id"]),
                        "parent": int(comment["parent"] or 0),
                        "author": 0,
                        "author_name": comment["author"],
                        "author_url": comment["author_url"] or "",
                        "date": _local(moment),
                        "date_gmt": _gmt(moment),
                        "content": {"rendered": comment["html"]},
                        "link": f"{self.home}{view['path'][1:]}#comment-{comment['id']}",
                        "status": "approved",
                        "type": "comment",
                    }
                )
        comments.sort(key=lambda c: (c["date_gmt"], c["id"]))
        if query.get("order", ["desc"])[0] != "asc":
            comments.reverse()
        return comments

    def _wordpress_route(self, path: str, query: dict[str, list[str]]) -> Response:
        if path.startswith("/wp-json/"):
            return self._wordpress_rest(path, query)
        match = WORDPRESS_COMMENT_PAGE.match(path)
        if match and match.group(1) in self.by_path:
            return self._post(self.by_path[match.group(1)], int(match.group(2)))
        match = WORDPRESS_INDEX_PAGE.match(path)
        if match:
            return self._index(int(match.group(1)))
        for page in self.blog.pages:
            if path == f"/{page.slug}/":
                return self._html(
                    self.blog.template,
                    posts=[],
                    page=page,
                    canonical=self.home + path[1:],
                    body_class="page-template-default page page-id-5",
                )
        if path == "/feed/":
            paged = int(query.get("paged", ["1"])[0])
            views = self.views[(paged - 1) * WORDPRESS_PAGE_SIZE : paged * WORDPRESS_PAGE_SIZE]
            if not views:
                return _not_found()
            return self._xml(
                "wordpress_feed.xml",
                content_type="application/rss+xml; charset=UTF-8",
                posts=views,
                self_url=f"{self.home}feed/",
                updated_rfc=self.views[0]["published_rfc"],
            )
        if path == "/wp-sitemap.xml":
            return self._xml(
                "sitemapindex.xml",
                entries=[
                    f"{self.home}wp-sitemap-posts-post-1.xml",
                    f"{self.home}wp-sitemap-posts-page-1.xml",
                ],
            )
        if path == "/wp-sitemap-posts-post-1.xml":
            entries = [(self.home + v["path"][1:], v["updated_feed"]) for v in self.views]
            return self._xml("sitemap.xml", entries=entries)
        if path == "/wp-sitemap-posts-page-1.xml":
            entries = [(f"{self.home}{p.slug}/", "2021-07-01") for p in self.blog.pages]
            return self._xml("sitemap.xml", entries=entries)
        return _not_found()

    def _xml(
        self, template: str, content_type: str = "application/xml", **context: Any
    ) -> Response:
        body = _env.get_template(template).render(self._context(**context))
        return Response(200, content_type, body.encode("utf-8"))


COMMENT_FEED = re.compile(r"^/feeds/(\d+)/comments/default$")
WORDPRESS_COMMENT_PAGE = re.compile(r"^(/.+/)comment-page-(\d+)/$")
WORDPRESS_INDEX_PAGE = re.compile(r"^/page/(\d+)/$")


def _paging(query: dict[str, list[str]]) -> tuple[int, int]:
    """(start-index, page size) of a Blogger feed request, capped as Blogger caps it."""
    try:
        start = max(1, int(query.get("start-index", ["1"])[0]))
        asked = max(1, int(query.get("max-results", ["25"])[0]))
    except ValueError:
        return 1, 25
    return start, min(BLOGGER_FEED_CAP, asked)


def _when(moment: datetime) -> str:
    return moment.strftime("%B %-d, %Y at %-I:%M %p")


def _stable_blog_id(key: str) -> str:
    return str(sum(ord(ch) * 7919**i for i, ch in enumerate(key)) % 10**19)


def _not_found() -> Response:
    return Response(
        404, "text/html; charset=UTF-8", b"<html><body><h1>Not Found</h1></body></html>"
    )


#: Bodies from this size on are sent gzip-encoded and chunked to a client that accepts gzip.
GZIP_FROM = 1024
#: The size of each chunk of such a body.
CHUNK = 4096
#: ``SO_LINGER`` on, zero seconds: closing the socket sends an RST, not a FIN.
LINGER_NONE = (1).to_bytes(4, "little") + (0).to_bytes(4, "little")


class _Handler(BaseHTTPRequestHandler):
    server: _SiteServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        received = time.monotonic()
        parts = urlsplit(self.path)
        fault = self.server.network.faults.get(parts.path)
        try:
            if fault:
                response = Response(fault, "text/html", b"<html><body>unavailable</body></html>")
            else:
                response = self.server.site.route(parts.path, parse_qs(parts.query))
        except Exception:  # a bug in the demo must not hang the crawler
            response = Response(500, "text/plain", b"internal error")
        if response.status == 200 and not parts.path.startswith("/wp-json/"):
            # validators, as real blogs send them: the same body gets the same ETag (WordPress
            # core sends none with its REST API's answers)
            etag = '"' + hashlib.sha1(response.body).hexdigest()[:20] + '"'
            etag = response.headers.setdefault("ETag", etag)  # (a test's site may set its own)
            if self.headers.get("If-None-Match") == etag:
                response = Response(304, response.content_type, b"", {"ETag": etag})
        if response.misbehaviour == "reset":  # an RST in place of an answer
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_NONE)
            self.connection.close()
            self.close_connection = True
            self._log(response, received)
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        body = response.body
        if response.misbehaviour == "truncate":  # the body, then the end: half what was announced
            self.send_header("Content-Length", str(2 * len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            self._log(response, received)
            return
        if len(body) >= GZIP_FROM and "gzip" in self.headers.get("Accept-Encoding", ""):
            # as Blogger's and most servers' answers to a client that accepts it: gzip-encoded,
            # sent in chunks (no Content-Length)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            zipped = gzip.compress(body, mtime=0)
            for start in range(0, len(zipped), CHUNK):
                piece = zipped[start : start + CHUNK]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        self._log(response, received)

    def _log(self, response: Response, received: float) -> None:
        self.server.network.log.append(
            LoggedRequest(
                host=self.headers.get("Host", ""),
                path=self.path,
                user_agent=self.headers.get("User-Agent", ""),
                status=response.status,
                bytes_sent=len(response.body),
                received=received,
            )
        )

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    site: Site
    network: DemoNetwork


class DemoNetwork:
    """The three demo blogs, started on loopback. Use as a context manager or call start/stop."""

    def __init__(
        self,
        port: int = 0,
        blogs: dict[str, DemoBlog] | None = None,
        site: Callable[..., Site] | None = None,
    ) -> None:
        """``blogs`` replaces the demo's three blogs (each gets its own 127.0.0.x address);
        ``site(blog, home, homes, blogs)`` makes what serves each (by default a :class:`Site`:
        a test's subclass may serve it otherwise)."""
        self.site = site or Site
        self.blogs = blogs if blogs is not None else BLOGS
        self.hosts = (
            HOSTS if blogs is None else {key: f"127.0.0.{10 + n}" for n, key in enumerate(blogs)}
        )
        self.requested_port = port
        self.port = 0
        self.log: list[LoggedRequest] = []
        #: path -> HTTP status to answer instead of the page (a 503 during a refresh, a 410)
        self.faults: dict[str, int] = {}
        self.servers: list[_SiteServer] = []
        self.threads: list[threading.Thread] = []

    @property
    def homes(self) -> dict[str, str]:
        return {key: f"http://{host}:{self.port}/" for key, host in self.hosts.items()}

    @property
    def start_url(self) -> str:
        """Where a crawl of the network starts: the classic Blogger blog, which lists the others
        (or the first of the blogs given)."""
        return self.homes["classic"] if "classic" in self.homes else next(iter(self.homes.values()))

    def start(self) -> DemoNetwork:
        for attempt in range(20):
            self.port = self.requested_port or _free_port(next(iter(self.hosts.values())))
            try:
                self._bind_all()
                break
            except OSError:
                self._close_all()
                if self.requested_port or attempt == 19:
                    raise
        for server in self.servers:
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            self.threads.append(thread)
        return self

    def _bind_all(self) -> None:
        homes = self.homes
        for key, host in self.hosts.items():
            server = _SiteServer((host, self.port), _Handler)
            server.site = self.site(self.blogs[key], homes[key], homes, self.blogs)
            server.network = self
            self.servers.append(server)

    def update(self, key: str, blog: DemoBlog) -> None:
        """Publish a new version of one blog (an edit, a new post, a deleted comment)."""
        self.blogs = {**self.blogs, key: blog}
        homes = self.homes
        for server in self.servers:
            if server.site.blog.key == key:
                server.site = self.site(blog, homes[key], homes, self.blogs)

    def bytes_sent(self, since: int = 0) -> int:
        """Bytes of response bodies sent since the ``since``-th logged request."""
        return sum(request.bytes_sent for request in self.log[since:])

    def _close_all(self) -> None:
        for server in self.servers:
            server.server_close()
        self.servers.clear()

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
        self._close_all()

    def __enter__(self) -> DemoNetwork:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_network(port: int = 0) -> Iterator[DemoNetwork]:
    network = DemoNetwork(port)
    network.start()
    try:
        yield network
    finally:
        network.stop()


def serve_forever(port: int = 0) -> None:
    """Run the demo network until interrupted (``python -m blogarchive.demo.server``)."""
    with running_network(port) as network:
        for key, home in network.homes.items():
            print(f"{key:10} {home}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    serve_forever()


def _local(moment: datetime) -> str:
    """A time as WordPress' REST API gives ``date``: the site's wall clock, no offset."""
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def _gmt(moment: datetime) -> str:
    """A time as WordPress' REST API gives ``date_gmt``: UTC, no offset."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


def _term_id(name: str) -> int:
    """A category's or tag's id: the same for the same name."""
    return 2 + int(hashlib.sha1(name.encode()).hexdigest()[:6], 16)
