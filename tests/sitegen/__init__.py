"""Generated hostile blogs: a Blogger or WordPress blog built from a seed, served on loopback
with behaviours real servers show, chosen at random (hypothesis draws a :class:`SiteSpec`).

What varies, per site: feed pagination that is honest, ignored (every page is the first),
redirected to the first page, 404 past the end or empty past the end; the feed's page cap;
entries duplicated and reordered; post addresses given as ``https``, protocol-relative,
relative, ``?m=1`` and trailing-slash variants; a sitemap that lists pages that are no posts;
the pages sitemap present or not (a static page with a form then only linked from the menu);
Blogger comment feeds that answer 404; WordPress' REST API: its per-page cap, its page parameter
ignored, its pages each ordered their own way, a post listed twice; any paged route's pages past
the first redirected to the first; post pages whose ETag stays the same when their text changes
(a 304 after an edit). Per post: its body (text, one line, an image, an embed) and its fate
(answered, 404, 410, 503, a redirect chain, a redirect loop, a redirect to a private address, a
redirect to the home page, disallowed by robots.txt, a page that names another post as its
canonical address, a page that answers at an old address too (an alias, linked from the home
page, naming the post's address as canonical), a 429 with ``Retry-After`` or a 500 before the
post is answered, a "not found" page answered 200, an empty 200, a page whose ``<meta
http-equiv="refresh">`` sends the browser to the post's new address or to the home page, the
connection reset with no answer (every time, or the first time only), a body that ends before
the length announced, a page served as ``application/octet-stream``, a body that is not the gzip
its ``Content-Encoding`` names); a route that fails (the feed's pages past the first, or the
sitemap, answer 503). Between a crawl and a refresh, posts are edited, lose a comment, are
deleted or published, or their addresses start to reset the connection; or the whole blog is
gone, a parked domain's page answering at every address.

:func:`expected_reason` is the oracle: what the crawl must report for a post that it cannot
archive, from what the site really did.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from blogarchive.demo.content import CONTACT_PAGE, DemoBlog, DemoComment, DemoPost
from blogarchive.demo.server import Response, Site

BODIES = {
    "text": "<p>{title}: a field note long enough to read as a paragraph of a post.</p>" * 2,
    "line": "Nothing wrong here.",
    "image": '<img src="/images/{slug}.jpg" alt="">',
    "embed": '<iframe src="https://www.youtube.com/embed/{slug}" width="560"></iframe>',
}
FATES = (
    "ok", "404", "410", "503", "chain", "loop", "private", "robots", "home", "canon",
    "throttled", "flaky", "soft404", "empty", "refresh", "refresh-home", "reset", "reset-once",
    "truncate", "octet", "badgzip", "alias",
)  # fmt: skip
#: The fates of posts the crawl must archive; the others it must report missing.
ARCHIVED_FATES = (
    "ok", "chain", "canon", "throttled", "flaky", "refresh", "reset-once", "alias",
)  # fmt: skip
#: What a parked domain answers at every address: a page of no blog platform, with text enough
#: for a general extractor to take it for an article.
PARKED = (
    b"<!doctype html><html><head><title>This domain is for sale</title></head><body>"
    b"<h1>This domain is for sale</h1><p>The owner of this domain is offering it for sale for an"
    b" asking price of 1,500 USD. Contact us today to make an offer, or browse other premium"
    b" domains in our marketplace. Secure payment and fast transfer guaranteed.</p>"
    b'<p><a href="/">Home</a> <a href="/contact">Contact</a> <a href="/2024/01/offer.html">'
    b"Offer</a></p></body></html>"
)
VARIANTS = ("plain", "https", "protocol", "relative", "m1", "slash")
#: An address no crawl may reach without ``--allow-private``: not a start origin.
PRIVATE_HOST = "127.0.0.254"


@dataclass(frozen=True)
class PostSpec:
    body: str
    fate: str
    variant: str
    comments: int
    #: how many times the post was edited (each edit adds a line to its text)
    revision: int = 0


@dataclass(frozen=True)
class SiteSpec:
    platform: str  # blogger, wordpress
    posts: tuple[PostSpec, ...]
    #: honest, ignore, 404, empty, first (a page past the first redirects to the first);
    #: endless: a dedicated test's
    paging: str
    feed_cap: int
    shuffle: bool
    duplicate: bool
    comment_feeds: bool
    pages_sitemap: bool
    seed: int = 0
    key: str = field(default="gen")
    #: Blogger's theme: classic or a 2017+ one (contempo)
    theme: str = "classic"
    #: comments after a post's first reply to it
    replies: bool = False
    #: top-level comments not wrapped in a ``comment-thread`` (only the replies are)
    bare_top_thread: bool = False
    #: the robots.txt ``Crawl-delay`` (seconds), if any
    crawl_delay: float | None = None
    #: post pages' ETag names the address, not the text: the server answers 304 after an edit.
    #: Only where the feed reaches every post: a comment deleted from a post no route counts
    #: the comments of is seen by nothing a crawl reads (README, "Limits and safety")
    stale_validators: bool = False
    #: a route that fails: ``feed`` (its pages past the first) or ``sitemap`` answers 503
    broken_route: str | None = None
    #: another site answers at the blog's address: every page but robots.txt is a parking page
    parked: bool = False

    def blog(self) -> DemoBlog:
        posts = []
        for n, spec in enumerate(self.posts):
            if spec.fate == "gone":
                continue  # deleted: in no feed, sitemap or index, and its address answers 404
            slug = f"note-{n}"
            title = f"Field note {n}"
            comments = tuple(
                DemoComment(
                    id=f"{7000 + 10 * n + c}",
                    author=f"Reader {c}",
                    published=f"2024-02-{1 + n % 27:02d}T1{c}:00:00+01:00",
                    html=f"<p>Comment {c} on note {n}.</p>",
                    parent=f"{7000 + 10 * n}" if self.replies and c else None,
                )
                for c in range(spec.comments)
            )
            posts.append(
                DemoPost(
                    id=str(9000 + n),
                    slug=slug,
                    title=title,
                    author="Ana Field",
                    published=f"2024-01-{1 + n % 27:02d}T{n % 24:02d}:{n % 60:02d}:00+01:00",
                    labels=("Notes",),
                    html=BODIES[spec.body].format(title=title, slug=slug)
                    + "".join(f"<p>Revised, edit {r}.</p>" for r in range(1, spec.revision + 1)),
                    # Blogger dates every edit in its feed's ``updated``
                    updated=datetime.now(UTC).isoformat(timespec="seconds")
                    if spec.revision
                    else None,
                    comments=comments,
                )
            )
        wordpress = self.platform == "wordpress"
        return DemoBlog(
            key=self.key,
            title="Generated field notes",
            description="A blog made for a test.",
            platform=self.platform,
            template="wordpress.html" if wordpress else f"blogger_{self.theme}.html",
            posts=tuple(posts),
            blog_list=(),
            pages=(CONTACT_PAGE,) if wordpress else (),
        )


def site_specs(max_posts: int = 12) -> st.SearchStrategy[SiteSpec]:
    post = st.builds(
        PostSpec,
        body=st.sampled_from(tuple(BODIES)),
        fate=st.sampled_from(FATES),
        variant=st.sampled_from(VARIANTS),
        comments=st.integers(0, 3),
    )
    return st.builds(
        SiteSpec,
        platform=st.sampled_from(("blogger", "wordpress")),
        posts=st.lists(post, min_size=1, max_size=max_posts).map(tuple),
        paging=st.sampled_from(("honest", "ignore", "404", "empty", "first")),
        feed_cap=st.sampled_from((2, 5, 25, 150)),
        shuffle=st.booleans(),
        duplicate=st.booleans(),
        comment_feeds=st.booleans(),
        pages_sitemap=st.booleans(),
        seed=st.integers(0, 2**16),
        theme=st.sampled_from(("classic", "contempo")),
        replies=st.booleans(),
        bare_top_thread=st.booleans(),
        stale_validators=st.booleans(),
        broken_route=st.sampled_from((None, "feed", "sitemap")),
    ).map(_found_by_some_route)


def _found_by_some_route(spec: SiteSpec) -> SiteSpec:
    """``spec``, its sitemap failing only where its feed pages honestly: with both broken, no
    route may list a post (a crawl can then report only the shortfall: stated against found,
    and each route's stop), where the oracle wants each post archived or reported by address."""
    if spec.broken_route == "sitemap" and spec.paging not in ("honest", "404", "empty"):
        return dataclasses.replace(spec, broken_route=None)
    return spec


#: What an edit between two crawls does to a post (``new``: a post is added at the end;
#: ``broken``: its address resets the connection; ``parked``: another site answers at the
#: blog's address, whatever the post).
EDITS = ("text", "comment", "gone", "new", "broken", "parked")


def edits() -> st.SearchStrategy[tuple[tuple[int, str], ...]]:
    """Edits to make to a site between its crawl and a refresh: (post index, kind)."""
    return st.lists(st.tuples(st.integers(0, 50), st.sampled_from(EDITS)), max_size=4).map(tuple)


def edited(spec: SiteSpec, changes: tuple[tuple[int, str], ...]) -> SiteSpec:
    """``spec`` after ``changes``: a post's text edited, its last comment deleted, the post
    gone (its address answers 404) or broken (its address resets the connection), or a new post
    published. Edits apply to answered posts."""
    posts = list(spec.posts)
    for index, kind in changes:
        if kind == "parked":
            spec = dataclasses.replace(spec, parked=True)
            continue
        if kind == "new":
            posts.append(PostSpec(body="text", fate="ok", variant="plain", comments=1))
            continue
        candidates = [n for n, post in enumerate(posts) if post.fate == "ok"]
        if not candidates:
            continue
        n = candidates[index % len(candidates)]
        post = posts[n]
        if kind == "text":
            posts[n] = dataclasses.replace(post, revision=post.revision + 1)
        elif kind == "comment" and post.comments:
            posts[n] = dataclasses.replace(post, comments=post.comments - 1)
        elif kind == "gone":
            posts[n] = dataclasses.replace(post, fate="gone")
        elif kind == "broken":
            posts[n] = dataclasses.replace(post, fate="reset")
    return dataclasses.replace(spec, posts=tuple(posts))


def expected_reason(fate: str) -> str | None:
    """A fragment of the reason the crawl must give for a post of this fate (None: archived)."""
    return {
        "404": "HTTP 404",
        "410": "HTTP 410",
        "503": "HTTP 503",
        "loop": "redirect loop",
        "private": "private address not allowed",
        "robots": "robots.txt",
        "home": "redirected to the blog's home page",
        "soft404": "not-found page markup",
        "refresh-home": "redirected to the blog's home page",
        "empty": "an empty page",
        "reset": "connection lost",
        "truncate": "truncated",
        "octet": "not HTML: application/octet-stream",
        "badgzip": "undecodable",
    }.get(fate)


def alias_path(path: str) -> str:
    """The old address of the post at ``path`` (its slug before an edit)."""
    if path.endswith(".html"):
        return path.removesuffix(".html") + "-old.html"
    return path.rstrip("/") + "-old/"


class GeneratedSite(Site):
    """A demo :class:`Site` that serves its blog the way ``spec`` says."""

    def __init__(self, spec: SiteSpec, *args: Any) -> None:
        super().__init__(*args)
        self.spec = spec
        #: the post path -> its spec (a post's id is 9000 + its index in ``spec.posts``)
        self.fate_of = {v["path"]: spec.posts[int(v["id"]) - 9000] for v in self.views}
        # one request at a time: a feed page served shuffled or with a post twice swaps the
        # views the pages are made of while it is made (the server answers from many threads)
        self._one_at_a_time = threading.RLock()
        #: how many times each post's address was asked for
        self.hits: dict[str, int] = {}
        #: how many times a page of ``spec.broken_route`` answered 503
        self.broken_hits = 0
        #: an old address of each post whose fate is "alias" -> its path: the post's own page
        #: answers there too, without a redirect (an old slug), linked from the home page
        self.aliases = {
            alias_path(path): path for path, post in self.fate_of.items() if post.fate == "alias"
        }

    # -- what a post's address does ------------------------------------------------------------

    def route(self, path: str, query: dict[str, list[str]]) -> Response:
        with self._one_at_a_time:
            response = self._route(path, query)
        # (only where the feed reaches every post: behind a stale validator, what no route
        # counts or dates stays unseen, as the README's "Limits" says)
        stale = (
            self.spec.stale_validators
            and self.spec.paging in ("honest", "404", "empty")
            and self.spec.broken_route != "feed"
        )
        if stale and path in self.fate_of and response.status == 200:
            etag = '"' + hashlib.sha1(path.encode()).hexdigest()[:20] + '"'
            response.headers.setdefault("ETag", etag)
        return response

    def _route(self, path: str, query: dict[str, list[str]]) -> Response:
        if self.spec.parked and path != "/robots.txt":
            return Response(200, "text/html; charset=utf-8", PARKED)
        if self._broken(path, query):
            self.broken_hits += 1
            return Response(503, "text/html", b"<html><body>unavailable</body></html>")
        if path == "/robots.txt":
            response = super().route(path, query)
            disallowed = "".join(
                f"Disallow: {p}\n" for p, s in self.fate_of.items() if s.fate == "robots"
            )
            if self.spec.crawl_delay is not None:
                disallowed += f"Crawl-delay: {self.spec.crawl_delay}\n"
            text = response.body.decode().replace("User-agent: *\n", f"User-agent: *\n{disallowed}")
            return Response(200, "text/plain", text.encode())
        spec = self.fate_of.get(path)
        if spec is not None:
            return self._post_fate(path, spec, query)
        if path in self.aliases:  # the post's page as it is, its canonical address its own
            return super().route(self.aliases[path], query)
        if path.startswith("/moved/"):
            return self._post(self.by_path[path[len("/moved") :]])
        if path.startswith("/hop/"):
            return _redirect(self.home + "moved" + path[len("/hop") :])
        if path.startswith("/loop/"):
            return _redirect(self.home + path[len("/loop/") :])
        if self.blog.platform == "wordpress" and path + "/" in self.fate_of:
            return _redirect(self.home + path[1:] + "/", 301)  # as WordPress does
        if self.spec.paging == "endless" and path.startswith(("/wp-sitemap", "/wp-json/")):
            return Response(404, "text/html", b"<html><body>Not Found</body></html>")  # no count
        if path.startswith("/feeds/") and "/comments/" in path and not self.spec.comment_feeds:
            return Response(404, "text/html", b"<html><body>Not Found</body></html>")
        if path == "/p/about.html" and self.blog.platform == "blogger":
            return self._html(self.blog.template, posts=[], canonical=self.home + "p/about.html")
        paged = self._paged(path, query)
        response = paged if paged is not None else super().route(path, query)
        if path == "/" and self.aliases and response.status == 200:  # (linked as posts are)
            links = "".join(
                f'<h3 class="post-title"><a href="{self.home}{alias[1:]}">An older address</a></h3>'
                for alias in self.aliases
            )
            html = response.body.decode().replace("</body>", f"{links}</body>")
            response = dataclasses.replace(response, body=html.encode())
        return self._varied(path, response)

    def _broken(self, path: str, query: dict[str, list[str]]) -> bool:
        """Whether ``path`` is a page of the route the spec breaks."""
        if self.spec.broken_route == "feed":
            key = {"/feeds/posts/default": "start-index", "/feed/": "paged"}.get(path)
            return key is not None and query.get(key, ["1"])[0] not in ("", "1")
        if self.spec.broken_route == "sitemap":
            return path in ("/sitemap.xml", "/wp-sitemap.xml")
        return False

    def _post_fate(self, path: str, spec: PostSpec, query: dict[str, list[str]]) -> Response:
        hits = self.hits[path] = self.hits.get(path, 0) + 1
        if spec.fate == "throttled" and hits == 1:
            return Response(429, "text/html", b"<html><body>slow down</body></html>",
                            {"Retry-After": "1"})  # fmt: skip
        if spec.fate == "flaky" and hits == 1:
            return Response(500, "text/html", b"<html><body>try again</body></html>")
        if spec.fate == "reset" or (spec.fate == "reset-once" and hits == 1):
            return Response(200, "text/html", b"", misbehaviour="reset")
        if spec.fate == "truncate":
            response = super().route(path, query)
            return dataclasses.replace(response, misbehaviour="truncate")
        if spec.fate == "octet":  # a server that names no type it knows
            response = super().route(path, query)
            return dataclasses.replace(response, content_type="application/octet-stream")
        if spec.fate == "badgzip":  # gzip announced, the page sent as it is
            response = super().route(path, query)
            headers = {**response.headers, "Content-Encoding": "gzip"}
            return dataclasses.replace(response, headers=headers)
        if spec.fate == "soft404":  # the theme's "not found" page, answered 200
            # (WordPress' body_class() names a 404 view "error404"; Blogger's Blog1 lists none)
            return self._html(self.blog.template, posts=[], canonical=self.home + path[1:],
                              body_class="error404")  # fmt: skip
        if spec.fate == "empty":
            return Response(200, "text/html; charset=UTF-8", b"")
        if spec.fate in ("refresh", "refresh-home"):  # a page that sends the browser on
            target = self.home + ("moved" + path if spec.fate == "refresh" else "")
            page = f'<html><head><meta http-equiv="refresh" content="0; url={target}"></head>'
            return Response(200, "text/html; charset=UTF-8", f"{page}<body></body></html>".encode())
        if spec.fate == "ok" and self.spec.bare_top_thread:
            response = super().route(path, query)
            html = response.body.decode().replace(
                '<div class="comment-thread"><ol id="top-ra">', '<ol id="top-ra">'
            )
            return Response(response.status, response.content_type, html.encode())
        if spec.fate in ("404", "410", "503"):
            return Response(int(spec.fate), "text/html", b"<html><body>no</body></html>")
        if spec.fate == "chain":
            return _redirect(self.home + "hop" + path, 301)
        if spec.fate == "loop":
            return _redirect(self.home + "loop" + path)
        if spec.fate == "home":  # (a deleted post, on some blogs)
            return _redirect(self.home, 301)
        if spec.fate == "canon":  # (a theme that names one post on every page)
            other = next((p for p in self.fate_of if p != path), path)
            response = super().route(path, query)
            html = re.sub(
                r'<link[^>]*rel="canonical"[^>]*>',
                f'<link rel="canonical" href="{self.home}{other[1:]}"/>',
                response.body.decode(),
            )
            return Response(response.status, response.content_type, html.encode())
        if spec.fate == "private":
            port = self.home.rsplit(":", 1)[1].rstrip("/")
            return _redirect(f"http://{PRIVATE_HOST}:{port}{path}")
        return super().route(path, query)

    # -- feeds and sitemaps ----------------------------------------------------------------

    def _paged(self, path: str, query: dict[str, list[str]]) -> Response | None:
        """A feed page as ``spec.paging`` serves it (None: as the demo does)."""
        spec = self.spec
        # (the blog-wide comment feed is paged as the posts feed is)
        blogger = path in ("/feeds/posts/default", "/feeds/comments/default")
        wordpress = path == "/feed/"
        rest = path in ("/wp-json/wp/v2/posts", "/wp-json/wp/v2/comments")
        if not blogger and not wordpress and not rest:
            return None
        key = "page" if rest else "start-index" if blogger else "paged"
        if spec.paging == "first" and query.get(key, ["1"])[0] not in ("", "1"):
            first = urlencode([(k, v[0]) for k, v in query.items() if k != key])
            return _redirect(f"{self.home}{path[1:]}{'?' if first else ''}{first}", 301)
        if rest:
            return self._rest(path, query)
        if spec.paging == "endless" and wordpress:
            return self._endless(int(query.get("paged", ["1"])[0] or 1))
        if spec.paging == "ignore":
            query = {k: v for k, v in query.items() if k != key}
        if blogger:
            query = {**query, "max-results": [str(spec.feed_cap)]}
            start = int(query.get("start-index", ["1"])[0] or 1)
            listed = len(self.views)
            if path == "/feeds/comments/default":
                listed = sum(len(view["all_comments"]) for view in self.views)
            past = start > listed
        else:
            page = int(query.get("paged", ["1"])[0] or 1)
            past = (page - 1) * 10 >= len(self.views)
        if past and spec.paging == "404":
            return Response(404, "text/html", b"<html><body>Not Found</body></html>")
        if past and spec.paging == "empty" and wordpress:
            return self._xml(
                "wordpress_feed.xml",
                content_type="application/rss+xml; charset=UTF-8",
                posts=[],
                self_url=f"{self.home}feed/",
                updated_rfc="",
            )
        return self._reordered(path, query)

    def _reordered(self, path: str, query: dict[str, list[str]]) -> Response:
        """The demo's answer, its posts shuffled and the first listed twice as ``spec`` says."""
        spec = self.spec
        views = list(self.views)
        if spec.shuffle:
            # each page in an order of its own, the same at every request (a server that
            # orders by something else than the page parameter assumes, consistently)
            random.Random(f"{spec.seed} {sorted(query.items())}").shuffle(views)
        if spec.duplicate:
            views = [views[0], *views]
        saved, self.views = self.views, views
        try:
            return super().route(path, query)
        finally:
            self.views = saved

    def _rest(self, path: str, query: dict[str, list[str]]) -> Response:
        """WordPress' REST API as ``spec`` serves it: at most ``feed_cap`` items a page; its
        ``page`` ignored (every page the first); posts each page in an order of its own (so
        that the pages miss some, as the counts they state show), a post listed twice."""
        spec = self.spec
        query = {**query, "per_page": [str(min(spec.feed_cap, 100))]}
        if spec.paging == "ignore":
            query = {k: v for k, v in query.items() if k != "page"}
        return self._reordered(path, query)

    def _endless(self, page: int) -> Response:
        """A feed whose every page lists ten posts no page listed before (each answers 404):
        no route's own stop ends it, the blog's request budget must."""
        items = "".join(
            f"<item><title>Made up {page}-{n}</title><link>{self.home}made-up/{page}-{n}/</link>"
            "</item>"
            for n in range(10)
        )
        rss = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>Endless</title><link>{self.home}</link>{items}</channel></rss>"
        )
        return Response(200, "application/rss+xml; charset=UTF-8", rss.encode())

    def _varied(self, path: str, response: Response) -> Response:
        """Post addresses in feeds and sitemaps written as each post's variant says; the
        sitemap listing a page that is no post."""
        if response.status != 200 or not path.endswith((".xml", "/feed/", "/default")):
            return response
        text = response.body.decode("utf-8")
        host = self.home.split("://", 1)[1]
        for post_path, spec in self.fate_of.items():
            absolute = self.home + post_path[1:]
            variant = {
                "https": "https://" + host + post_path[1:],
                "protocol": "//" + host + post_path[1:],
                "relative": post_path,
                "m1": absolute + "?m=1",
                "slash": absolute.rstrip("/") if post_path.endswith("/") else absolute,
            }.get(spec.variant, absolute)
            if spec.variant in ("protocol", "relative") and "<rss" in text:
                continue  # an RSS <link> is absolute: the variants are Atom's and sitemaps'
            if spec.variant in ("protocol", "relative") and "<urlset" in text:
                continue  # a sitemap's <loc> is absolute too
            if spec.variant == "m1":
                variant = variant.replace("&", "&amp;")
            text = re.sub(re.escape(absolute) + r"(?=['\"<#])", variant, text)
        if "<urlset" in text and (path == "/sitemap.xml" or "posts-post" in path):
            about = "p/about.html" if self.blog.platform == "blogger" else "contact/"
            text = text.replace("</urlset>", f"<url><loc>{self.home}{about}</loc></url></urlset>")
        if path == "/wp-sitemap.xml" and not self.spec.pages_sitemap:
            text = re.sub(r"<sitemap><loc>[^<]*posts-page[^<]*</loc></sitemap>", "", text)
        return Response(response.status, response.content_type, text.encode(), response.headers)


def _redirect(location: str, status: int = 302) -> Response:
    return Response(status, "text/html", b"", {"Location": location})


def factory(spec: SiteSpec) -> Any:
    """What :class:`~blogarchive.demo.server.DemoNetwork` makes each blog's site with."""
    return lambda *args: GeneratedSite(spec, *args)
