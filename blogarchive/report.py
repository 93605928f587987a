"""A crawl's per-blog report: how many posts a blog states, the permalinks each route gave,
which of them the archive holds, the rest with the reason that really applied, and why each
paginated route stopped (``crawl_runs.stats``, and the lines a crawl ends with).

Nothing is lost silently: every URL a route lists as a post is either archived or missing with
its reason; what is archived is the archive's to say, not the crawl's bookkeeping.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from blogarchive.items import content_digest
from blogarchive.pageitems import DECIDED
from blogarchive.reader import chunked
from blogarchive.refresh import among
from blogarchive.scratch import ScratchDB
from extract import Post
from extract.urls import may_be_post

#: Routes that list a blog's posts as posts (a feed's entries, WordPress' REST API, a
#: sitemap): a URL they give is asked for whatever its address looks like, and is reported
#: missing unless archived. Links between pages (``html``) only suggest posts.
ANNOUNCING_ROUTES = ("feed", "rest", "sitemap")
#: Routes whose count of posts a blog's request budget grows with (see ``known_posts``).
BUDGET_ROUTES = ("rest", "sitemap", "sitemap-other")


class BlogReport:
    """What the crawl learned of one blog's posts: how many the site states, the permalinks
    each route gave, the post pages that failed or were not asked for (with why), the pages
    that are no post (with the evidence), and why each paginated route stopped.

    The URLs are rows of the spider's scratch file (``blogarchive.scratch``), not sets in
    memory: they grow with the site. Which of them the archive holds is the archive's to say
    (:meth:`summary`'s ``held``)."""

    #: The most missing posts a summary names.
    MISSING_SHOWN = 100

    def __init__(self, store: ScratchDB, blog: str) -> None:
        self.store = store
        self.blog = blog
        self.stated: int | None = None
        self.stated_by: str | None = None
        #: route -> why it stopped, for a route that stopped before its end
        self.stops: dict[str, str] = {}
        #: route -> permalinks it gave (distinct), for the request budget
        self.route_counts: Counter[str] = Counter()

    def add_found(self, route: str, urls: Iterable[str]) -> int:
        """Note the permalinks ``urls`` found by ``route``; how many it had not given before."""
        added = self.store.write_many(
            "INSERT OR IGNORE INTO found VALUES (?, ?, ?)", ((self.blog, route, u) for u in urls)
        )
        self.route_counts[route] += added
        return added

    def add_asked(self, urls: Iterable[str]) -> None:
        """Note the posts at ``urls`` asked for, or taken from a feed's or an API's entries
        whole, or left to their feed's word (a refresh)."""
        self.store.write_many(
            "INSERT OR IGNORE INTO asked VALUES (?, ?)", ((self.blog, url) for url in urls)
        )

    def asked_among(self, urls: Iterable[str]) -> set[str]:
        """Those of the permalinks ``urls`` of this blog asked for already. (What a route only
        found is not: an index page's links, a link whose address is no post's.)"""
        sql = "SELECT url FROM asked WHERE blog = ? AND url IN ({})"
        return among(self.store, sql, urls, self.blog)

    def archived_among(self, urls: Iterable[str]) -> set[str]:
        """Those of the permalinks ``urls`` of this blog archived already."""
        sql = "SELECT DISTINCT url FROM archived WHERE blog = ? AND url IN ({})"
        return among(self.store, sql, urls, self.blog)

    def known_posts(self) -> int:
        """How many posts the blog has, as the request budget counts them: what it states, or
        what its sitemaps or REST API listed, whole documents the blog publishes. Routes read
        page by page (feeds, index pages, links) do not count: a server that makes up a new
        page of posts at every request would grow the budget as fast as it spends it."""
        listed = max((self.route_counts[route] for route in BUDGET_ROUTES), default=0)
        return max(self.stated or 0, listed)

    def add_archived(self, *urls: str) -> None:
        """Note the posts at ``urls`` archived (a str is one URL, not its characters)."""
        self.store.write_many(
            "INSERT OR IGNORE INTO archived VALUES (?, ?)", ((self.blog, url) for url in urls)
        )

    def add_from_entry(self, url: str, post: Post) -> None:
        """Note the post at ``url`` archived from a route's entry (a feed's, the REST API's),
        with its text: a page that names it as its canonical address and shows that text is
        it (an alias), as where it was read from its own page."""
        self.add_archived(url)
        self.add_text(url, content_digest(post.title, post.content_text))

    def add_text(self, url: str, digest: str) -> None:
        """Note the text (its ``content_digest``) of the post archived at ``url`` from its own
        page."""
        self.store.write("INSERT OR REPLACE INTO texts VALUES (?, ?, ?)", (self.blog, url, digest))

    def holds_text(self, url: str, digest: str) -> bool:
        """Whether the post at ``url`` was archived from its own page with that text."""
        row = self.store.read(
            "SELECT 1 FROM texts WHERE blog = ? AND url = ? AND digest = ?",
            (self.blog, url, digest),
        ).fetchone()
        return row is not None

    def add_believed(self, url: str) -> None:
        """Note that the page of the archived post at ``url`` answered 304, taken as it came."""
        self.store.write("INSERT OR IGNORE INTO believed VALUES (?, ?)", (self.blog, url))

    def take_believed(self, urls: Iterable[str]) -> set[str]:
        """Those of ``urls`` whose 304 was taken as it came, no longer noted so."""
        sql = "SELECT url FROM believed WHERE blog = ? AND url IN ({})"
        found = among(self.store, sql, urls, self.blog)
        self.store.write_many(
            "DELETE FROM believed WHERE blog = ? AND url = ?", ((self.blog, u) for u in found)
        )
        return found

    def add_not_post(self, url: str, evidence: str) -> None:
        self.store.write(
            "INSERT OR REPLACE INTO not_posts VALUES (?, ?, ?)", (self.blog, url, evidence)
        )

    def add_failed(self, url: str, reason: str) -> None:
        self.store.write("INSERT OR REPLACE INTO failed VALUES (?, ?, ?)", (self.blog, url, reason))

    def add_unasked(self, url: str, reason: str) -> None:
        """A post not asked for (a cap, the budget): its reason, unless it has one already."""
        self.store.write("INSERT OR IGNORE INTO failed VALUES (?, ?, ?)", (self.blog, url, reason))

    def _answer(self, url: str) -> tuple[str | None, str | None]:
        """Why ``url`` failed, and the evidence that its page is no post, as noted (None: not)."""
        failed = self.store.read(
            "SELECT reason FROM failed WHERE blog = ? AND url = ?", (self.blog, url)
        ).fetchone()
        judged = self.store.read(
            "SELECT evidence FROM not_posts WHERE blog = ? AND url = ?", (self.blog, url)
        ).fetchone()
        return (
            None if failed is None else str(failed[0]),
            None if judged is None else str(judged[0]),
        )

    def settled(self, url: str) -> bool:
        """Whether the post page at ``url`` was read (archived, or found no post) or failed, or
        is not to be asked for."""
        return bool(self.archived_among([url])) or self._answer(url) != (None, None)

    def stop(self, route: str, why: str) -> None:
        """Note that ``route`` stopped before its end, and why (the first reason stands)."""
        self.stops.setdefault(route, why)

    def summary(self, held: Callable[[list[str]], set[str]] | None = None) -> dict[str, Any]:
        """The report. ``held(urls)``: which of ``urls`` the archive holds as posts (by their
        permalink or an address they were fetched at); without it, the crawl's own notes say.

        Every URL an announcing route gave is archived, or missing with its reason; a URL only
        links suggested is missing only if it was asked for and failed, or never asked for while
        its address may be a post's; a page judged no post is counted apart, with its evidence."""
        found = dict(
            self.store.read(
                "SELECT route, count(*) FROM found WHERE blog = ? GROUP BY route ORDER BY route",
                (self.blog,),
            ).fetchall()
        )
        rows = self.store.read(
            """SELECT f.url, group_concat(f.route), x.reason, n.evidence,
            EXISTS (SELECT 1 FROM archived a WHERE a.blog = f.blog AND a.url = f.url)
            FROM found f
            LEFT JOIN failed x ON x.blog = f.blog AND x.url = f.url
            LEFT JOIN not_posts n ON n.blog = f.blog AND n.url = f.url
            WHERE f.blog = ? GROUP BY f.url ORDER BY f.url""",
            (self.blog,),
        )
        archived = missing_count = not_posts = distinct = 0
        missing: list[dict[str, str]] = []
        for chunk in chunked(rows):
            holds = None
            if held is not None:
                # ``/post`` and ``/post/`` are one post (the platforms redirect one to the
                # other, and the crawl fetches the one it is sent to once)
                holds = held([u for row in chunk for u in (row[0], other_slash(row[0]))])
            for url, routes, reason, evidence, noted in chunk:
                distinct += 1
                if (url in holds or other_slash(url) in holds) if holds is not None else noted:
                    archived += 1
                    continue
                if reason is None and evidence is None:
                    # asked for at its other address (``/post`` for ``/post/``): that answer
                    reason, evidence = self._answer(other_slash(url))
                announced = any(route in ANNOUNCING_ROUTES for route in routes.split(","))
                if evidence is not None and (not announced or evidence.startswith(DECIDED)):
                    not_posts += 1  # (a static or index page is none, whatever lists it)
                    continue
                if evidence is not None:
                    reason = f"not a post: {evidence}"
                elif reason is None:
                    if not announced and not may_be_post(url):
                        not_posts += 1  # a link to a label or archive page: not asked for
                        continue
                    reason = (
                        "archived by the crawl, but not in the archive (a write failed)"
                        if noted
                        else "not fetched: the crawl ended before asking for it"
                    )
                missing_count += 1
                if len(missing) < self.MISSING_SHOWN:
                    missing.append({"url": url, "reason": reason})
        return {
            "stated": self.stated,
            "stated_by": self.stated_by,
            "found": found,
            "found_distinct": distinct,
            "archived": archived,
            "missing_count": missing_count,
            "not_posts": not_posts,
            "failed": int(
                self.store.read(
                    "SELECT count(*) FROM failed WHERE blog = ?", (self.blog,)
                ).fetchone()[0]
            ),
            "missing": missing,
            "stops": dict(sorted(self.stops.items())),
        }


def other_slash(url: str) -> str:
    """``url`` with its path's trailing slash removed, or added."""
    parts = urlsplit(url)
    path = parts.path[:-1] if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path or "/", parts.query, ""))
