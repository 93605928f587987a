"""The generated hostile-site suite (``tests/sitegen``): for every generated blog, the crawl
ends within its budget, every post the site has is archived exactly once or reported missing
with the reason the site really gave, nothing robots.txt disallows is asked for, the report
agrees with the archive, and a second crawl adds no row.

CI runs a bounded number of sites; ``BLOGARCHIVE_SITEGEN_EXAMPLES=500`` runs a longer search
(README, "Limits and safety")."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings

from blogarchive.demo.server import DemoNetwork
from tests.conftest import FAST, counts, run_cli
from tests.sitegen import (
    ARCHIVED_FATES,
    PostSpec,
    SiteSpec,
    edited,
    edits,
    expected_reason,
    factory,
    site_specs,
)

EXAMPLES = int(os.environ.get("BLOGARCHIVE_SITEGEN_EXAMPLES", "6"))
#: A file a long run notes each site that passed in (``BLOGARCHIVE_SITEGEN_LOG``), if any.
LOG = os.environ.get("BLOGARCHIVE_SITEGEN_LOG")


#: How many generated sites a test crawls, and how.
GENERATED = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=EXAMPLES <= 10,
    # each example is two crawls: a counterexample is printed as it was found, not shrunk
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


def crawl(home: str, db: Path, *extra: str) -> dict[str, object]:
    """Crawl ``home`` (depth 0, no --allow-private: the start origin is allowed anyway); the
    run's per-blog report."""
    result = run_cli("crawl", home, "--db", str(db), "--depth", "0", "-q", *FAST, *extra)
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(db) as conn:
        (stats,) = conn.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    report: dict[str, object] = json.loads(stats)["blogarchive/report"][home]
    return report


def rows(db: Path) -> dict[str, int]:
    """The archive's rows per table, but its runs (one more a crawl) and the failed fetches
    among its pages: which of a Blogger blog's failing comment feeds a crawl asks for before the
    first answers depends on timing (each failure is a row of its own), the content does not."""
    found = {table: n for table, n in counts(db).items() if table != "crawl_runs"}
    with sqlite3.connect(db) as conn:
        fetched = conn.execute("SELECT count(*) FROM pages WHERE error IS NULL").fetchone()
    found["pages"] = fetched[0]
    return found


def check_site(spec: SiteSpec, db: Path, changes: tuple[tuple[int, str], ...] = ()) -> None:
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        report = crawl(home, db)
        site = network.servers[0].site
        assert_failed_route_reported(spec, report, site)
        requested = [entry.path.split("?")[0] for entry in network.log]
        first_rows = rows(db)
        again = crawl(home, db)
        assert rows(db) == first_rows, "a second crawl added rows"
        assert again["archived"] == report["archived"]
        check_first_crawl(spec, db, home, site, report, requested)
        if changes:
            after = edited(spec, changes)
            network.site = factory(after)
            network.update(spec.key, after.blog())
            refreshed = run_cli("refresh", "--db", str(db), "-q", *FAST)
            assert refreshed.returncode == 0, refreshed.stderr[-3000:]
            check_refresh(spec, after, db, home, site)


def check_refresh(before: SiteSpec, after: SiteSpec, db: Path, home: str, site: Any) -> None:
    """Each edit shows after a refresh: an edited post has its new text and a new revision, a
    deleted comment its ``deleted_at``, a deleted post its ``deleted_at``, a new post a row."""
    with sqlite3.connect(db) as conn:
        posts = {
            url: (text, deleted, revisions, live)
            for url, text, deleted, revisions, live in conn.execute(
                "SELECT p.url, p.content_text, p.deleted_at,"
                " (SELECT count(*) FROM post_revisions r WHERE r.post_id = p.id),"
                " (SELECT count(*) FROM comments c WHERE c.post_id = p.id"
                "  AND c.deleted_at IS NULL)"
                " FROM posts p"
            )
        }
    paths = {int(post_id) - 9000: path for path, post_id in _ids(site).items()}
    if after.parked:  # another site at the blog's address: the archive keeps what it held
        check_parked(before, db, home, paths, posts)
        return
    for n, post in enumerate(after.posts):
        if n >= len(before.posts):  # a new post (unless a later edit deleted or broke it)
            new = [u for u in posts if re.search(rf"/note-{n}\b", u)]
            # (one broken before the refresh is archived only from a feed that carries it)
            expected = (0, 1) if post.fate == "reset" else (post.fate in ARCHIVED_FATES,)
            assert len(new) in expected, (n, post, sorted(posts))
            continue
        old = before.posts[n]
        if old.fate not in ARCHIVED_FATES:
            continue
        url = home + paths[n][1:]
        text, deleted, revisions, live = posts[url]
        if post.fate == "gone":
            assert deleted is not None, (url, "a deleted post has no deleted_at")
            continue
        assert deleted is None, url
        if post.fate == "reset":  # its page unread: what the archive held stays (a route
            # that carries posts whole may bring an edit)
            assert revisions >= 1, (url, post)
            assert live >= post.comments, (url, post, live)
            continue
        assert revisions == 1 + (post.revision > old.revision), (url, post, revisions)
        assert (f"edit {post.revision}." in text) == bool(post.revision), (url, text)
        assert live == post.comments, (url, post, live)


def check_parked(
    before: SiteSpec, db: Path, home: str, paths: dict[int, str], posts: dict[str, Any]
) -> None:
    """A refresh of a blog whose address another site answers (a parked domain): each post
    as the crawl archived it (no revision, no comment marked deleted, nothing deleted), no page
    of the other site archived as a post, and the blog its platform's, marked in error."""
    urls = {home + path[1:]: n for n, path in paths.items()}
    assert set(posts) <= set(urls), sorted(set(posts) - set(urls))
    for url, (text, deleted, revisions, live) in posts.items():
        post = before.posts[urls[url]]
        assert deleted is None and revisions == 1 and "for sale" not in text, (url, post)
        if post.fate in ARCHIVED_FATES:  # (others only a feed carries whole: --from-feeds)
            assert live == post.comments, (url, post, live)
    if not posts:
        return  # (a refresh asks for the blogs it holds posts of)
    assert_marked_foreign(db, before.platform)


def assert_marked_foreign(db: Path, platform: str, revisions: int | None = None) -> None:
    """The archive's one blog keeps ``platform``, marked ``error``: another site answers at
    its address; with ``revisions``, its posts have that many revisions in all (none added)."""
    with sqlite3.connect(db) as conn:
        held = conn.execute("SELECT count(*) FROM post_revisions").fetchone()[0]
        status, platform_held, error = conn.execute(
            "SELECT status, platform, error FROM blogs"
        ).fetchone()
    assert revisions is None or held == revisions, held
    assert (platform_held, status) == (platform, "error"), (platform_held, status, error)
    assert "not the archived blog's platform" in error


def _ids(site: Any) -> dict[str, str]:
    """A site's post paths and their ids."""
    return {view["path"]: view["id"] for view in site.views}


def archived_posts(db: Path) -> tuple[list[str], dict[str, int]]:
    """The archive's posts (a URL twice: archived twice), and how many comments each has."""
    with sqlite3.connect(db) as conn:
        archived = [url for (url,) in conn.execute("SELECT url FROM posts")]
        comments = dict(
            conn.execute(
                "SELECT p.url, count(c.id) FROM posts p LEFT JOIN comments c ON c.post_id = p.id"
                " GROUP BY p.url"
            ).fetchall()
        )
    return archived, comments


def assert_failed_route_reported(spec: SiteSpec, report: dict[str, Any], site: Any) -> None:
    """A route whose page failed is reported stopped, with the failure (where the crawl asked
    for such a page)."""
    if site.broken_hits:
        stops = report["stops"]
        assert isinstance(stops, dict)
        assert "HTTP 503" in stops.get(spec.broken_route, ""), (spec.broken_route, stops)


def assert_no_other_page_missing(missing: list[dict[str, str]], site: Any, home: str) -> None:
    """Only posts are reported missing: a static page a sitemap lists is no post, found or not."""
    posts = {home + path[1:] for path in site.fate_of}
    others = [m for m in missing if m["url"] not in posts and m["url"] + "/" not in posts]
    assert not others, f"a page that is no post reported missing: {others}"


def check_first_crawl(
    spec: SiteSpec, db: Path, home: str, site: Any, report: dict[str, Any], requested: list[str]
) -> None:
    """Every post archived once or reported missing with the reason the site gave; nothing
    robots.txt disallows asked for; no page that is no post archived as one."""
    archived, comments = archived_posts(db)
    missing = report["missing"]
    assert isinstance(missing, list)
    for path, post in site.fate_of.items():  # type: ignore[attr-defined]
        url = home + path[1:]
        if post.fate in ARCHIVED_FATES:
            assert archived.count(url) == 1, (url, post, archived)
            assert comments[url] == post.comments, (url, post)
            continue
        assert url not in archived
        reasons = [m["reason"] for m in missing if m["url"].rstrip("/") == url.rstrip("/")]
        assert reasons, (url, post, missing)
        assert all(expected_reason(post.fate) in reason for reason in reasons), (post, reasons)
        if post.fate == "robots":
            assert path not in requested, f"{path} is disallowed by robots.txt"
    assert_no_other_page_missing(missing, site, home)
    # nothing else is a post (a static page a sitemap lists is not), and nothing twice
    expected = {home + p[1:] for p, s in site.fate_of.items() if s.fate in ARCHIVED_FATES}  # type: ignore[attr-defined]
    assert sorted(archived) == sorted(expected)
    if spec.platform == "wordpress":  # the contact page's form, from the menu or a sitemap
        with sqlite3.connect(db) as conn:
            urls = {u for (u,) in conn.execute("SELECT url FROM form_occurrences")}
        assert f"{home}contact/" in urls


@GENERATED
@given(spec=site_specs(), changes=edits())
# counterexamples found on the way, kept
@example(  # the feed's /x for the post at /x/, which answered 410: reported with that reason
    spec=SiteSpec(platform="wordpress", posts=(PostSpec("embed", "410", "slash", 2),),
                  paging="404", feed_cap=150, shuffle=True, duplicate=True, comment_feeds=True,
                  pages_sitemap=False, seed=1450),
    changes=(),
)  # fmt: skip
@example(  # a Blogger post's two comments deleted, its comment feeds off: both marked deleted
    spec=SiteSpec(platform="blogger", posts=(PostSpec("text", "chain", "slash", 1),
                  PostSpec("image", "loop", "relative", 1), PostSpec("embed", "410", "https", 0),
                  PostSpec("text", "chain", "m1", 0), PostSpec("embed", "ok", "https", 2),
                  PostSpec("image", "503", "m1", 2), PostSpec("line", "chain", "relative", 1),
                  PostSpec("image", "ok", "m1", 2), PostSpec("text", "chain", "m1", 1)),
                  paging="honest", feed_cap=25, shuffle=False, duplicate=True, comment_feeds=False,
                  pages_sitemap=True, seed=1485, replies=True),
    changes=((31, "comment"), (45, "comment"), (40, "new"), (26, "gone")),
)  # fmt: skip
@example(  # a WordPress post's two comments deleted: its page shows a comments area and none
    spec=SiteSpec(platform="wordpress", posts=(PostSpec("line", "loop", "relative", 0),
                  PostSpec("line", "ok", "slash", 2)), paging="honest", feed_cap=25,
                  shuffle=False, duplicate=True, comment_feeds=False, pages_sitemap=False,
                  seed=18234, theme="contempo", replies=True),
    changes=((48, "comment"), (23, "comment")),
)  # fmt: skip
@example(  # an embed-only post on a 2017+ theme: its own container, however many comments
    spec=SiteSpec(platform="blogger", posts=(PostSpec("line", "private", "relative", 2),
                  PostSpec("embed", "ok", "relative", 3)), paging="404", feed_cap=5,
                  shuffle=True, duplicate=True, comment_feeds=True, pages_sitemap=False,
                  seed=225, theme="contempo"),
    changes=((24, "comment"), (31, "new"), (24, "new"), (33, "comment")),
)  # fmt: skip
@example(  # a post only a sitemap and an index page list, the index read first: asked by neither
    spec=SiteSpec(platform="wordpress", posts=(PostSpec("line", "chain", "https", 3),
                  PostSpec("text", "chain", "https", 0), PostSpec("text", "chain", "relative", 1),
                  PostSpec("text", "robots", "plain", 3),
                  PostSpec("embed", "robots", "relative", 2), PostSpec("line", "ok", "https", 0),
                  PostSpec("embed", "private", "relative", 2),
                  PostSpec("embed", "404", "plain", 0), PostSpec("embed", "chain", "https", 2),
                  PostSpec("text", "home", "relative", 3), PostSpec("embed", "404", "relative", 2),
                  PostSpec("text", "ok", "m1", 1)), paging="404", feed_cap=2, shuffle=True,
                  duplicate=True, comment_feeds=True, pages_sitemap=False, seed=587,
                  theme="classic", replies=True),
    changes=((40, "gone"),),
)  # fmt: skip
@example(  # posts whose pages name the first post as canonical: each is archived at its own
    spec=SiteSpec(platform="blogger", posts=(PostSpec("text", "canon", "plain", 1),
                  PostSpec("text", "ok", "plain", 2), PostSpec("line", "canon", "https", 0),
                  PostSpec("text", "canon", "m1", 3)), paging="honest", feed_cap=2,
                  shuffle=True, duplicate=False, comment_feeds=True, pages_sitemap=False,
                  seed=35),
    changes=((1, "text"),),
)  # fmt: skip
@example(  # a 429 and a 500 before the answer: archived; a "not found" page or nothing, answered
    # 200: reported, not archived as the sidebar's text (a general extractor finds text there)
    spec=SiteSpec(platform="blogger", posts=(PostSpec("text", "throttled", "plain", 1),
                  PostSpec("text", "flaky", "https", 2), PostSpec("text", "soft404", "plain", 0),
                  PostSpec("line", "empty", "plain", 0), PostSpec("text", "ok", "m1", 1)),
                  paging="honest", feed_cap=150, shuffle=False, duplicate=False,
                  comment_feeds=True, pages_sitemap=False, seed=1),
    changes=((0, "text"),),
)  # fmt: skip
@example(  # post pages whose ETag names the address: the feed's dates and counts contradict the
    # 304 after an edit and after a comment is deleted, and the page is asked for again
    spec=SiteSpec(platform="blogger", posts=(PostSpec("text", "ok", "plain", 1),
                  PostSpec("text", "ok", "plain", 2), PostSpec("line", "ok", "https", 0)),
                  paging="honest", feed_cap=150, shuffle=False, duplicate=False,
                  comment_feeds=True, pages_sitemap=False, seed=1, stale_validators=True),
    changes=((0, "text"), (1, "comment")),
)  # fmt: skip
@example(  # the same on WordPress, the 304s answered before the routes that contradict them
    spec=SiteSpec(platform="wordpress", posts=(PostSpec("text", "ok", "plain", 1),
                  PostSpec("text", "ok", "plain", 2), PostSpec("line", "ok", "https", 0),
                  PostSpec("text", "ok", "plain", 1)), paging="404", feed_cap=2, shuffle=False,
                  duplicate=False, comment_feeds=True, pages_sitemap=False, seed=1,
                  stale_validators=True),
    changes=((0, "text"), (1, "comment")),
)  # fmt: skip
@example(  # the feed's /x for the post at /x/, an empty page: /x reported as /x/ is, not unasked
    spec=SiteSpec(platform="wordpress", posts=(PostSpec("image", "empty", "slash", 0),
                  PostSpec("text", "ok", "m1", 1)), paging="honest", feed_cap=2, shuffle=True,
                  duplicate=True, comment_feeds=False, pages_sitemap=True, seed=3600,
                  theme="contempo"),
    changes=(),
)  # fmt: skip
@example(  # a 2017+ Blogger theme's "not found" page marks a feed view: still a post missing
    spec=SiteSpec(platform="blogger", posts=(PostSpec("text", "refresh-home", "https", 2),
                  PostSpec("embed", "soft404", "slash", 2), PostSpec("text", "ok", "plain", 1)),
                  paging="honest", feed_cap=150, shuffle=True, duplicate=False,
                  comment_feeds=True, pages_sitemap=True, seed=1610, theme="contempo"),
    changes=((37, "new"), (3, "text")),
)  # fmt: skip
@example(  # WordPress' "not found" view (body.error404), answered 200, for a post its feed lists
    spec=SiteSpec(platform="wordpress", posts=(PostSpec("text", "soft404", "plain", 1),
                  PostSpec("text", "ok", "slash", 1)), paging="honest", feed_cap=150,
                  shuffle=False, duplicate=False, comment_feeds=True, pages_sitemap=True, seed=2),
    changes=(),
)  # fmt: skip
@example(  # connections reset with no answer (always; once), a body cut short, a page served
    # as a download, a body not the gzip it says: the second archived after a retry, the others
    # reported; a post whose address resets at the refresh keeps what the archive held
    spec=SiteSpec(platform="blogger", posts=(PostSpec("text", "reset", "plain", 1),
                  PostSpec("text", "reset-once", "https", 2),
                  PostSpec("text", "truncate", "plain", 1), PostSpec("text", "ok", "plain", 2),
                  PostSpec("line", "ok", "m1", 1), PostSpec("text", "octet", "plain", 0),
                  PostSpec("text", "badgzip", "https", 1)), paging="honest", feed_cap=2,
                  shuffle=False,
                  duplicate=False, comment_feeds=True, pages_sitemap=False, seed=1),
    changes=((0, "broken"), (1, "text")),
)  # fmt: skip
@example(  # a parked domain's page at every address, at the refresh: nothing taken from it
    spec=SiteSpec(platform="blogger", posts=(PostSpec("text", "ok", "plain", 1),
                  PostSpec("line", "ok", "m1", 2), PostSpec("text", "404", "plain", 0)),
                  paging="honest", feed_cap=150, shuffle=False, duplicate=False,
                  comment_feeds=True, pages_sitemap=False, seed=1),
    changes=((0, "text"), (0, "parked")),
)  # fmt: skip
@example(  # the same on WordPress
    spec=SiteSpec(platform="wordpress", posts=(PostSpec("text", "ok", "plain", 1),
                  PostSpec("line", "ok", "slash", 2)), paging="honest", feed_cap=150,
                  shuffle=False, duplicate=False, comment_feeds=True, pages_sitemap=True, seed=1),
    changes=((0, "parked"), (1, "comment")),
)  # fmt: skip
@example(  # the same on WordPress
    spec=SiteSpec(platform="wordpress", posts=(PostSpec("text", "reset", "slash", 1),
                  PostSpec("text", "reset-once", "plain", 2),
                  PostSpec("text", "truncate", "plain", 1), PostSpec("text", "ok", "plain", 2),
                  PostSpec("line", "ok", "plain", 1)), paging="404", feed_cap=2, shuffle=False,
                  duplicate=False, comment_feeds=True, pages_sitemap=True, seed=1),
    changes=((0, "broken"), (1, "comment")),
)  # fmt: skip
def test_every_generated_site_is_archived_or_reported(
    spec: SiteSpec, changes: tuple[tuple[int, str], ...]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        check_site(spec, Path(folder) / "archive.db", changes)
    if LOG:  # a long run says how far it got
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(f"{spec.platform} {len(spec.posts)} posts {spec.paging}: ok\n")


@GENERATED
@given(spec=site_specs(), changes=edits())
@example(  # a post on two pages of a shuffled feed: vouched on the first, not taken on the second
    spec=SiteSpec(platform="blogger", posts=(PostSpec("image", "robots", "relative", 0),
                  PostSpec("embed", "canon", "slash", 1),
                  PostSpec("line", "private", "relative", 3),
                  PostSpec("text", "private", "protocol", 3), PostSpec("embed", "410", "slash", 1),
                  PostSpec("text", "home", "protocol", 1), PostSpec("line", "canon", "https", 1),
                  PostSpec("embed", "503", "plain", 1), PostSpec("line", "home", "https", 3),
                  PostSpec("text", "ok", "plain", 0), PostSpec("line", "private", "slash", 2),
                  PostSpec("text", "404", "protocol", 2)), paging="empty", feed_cap=2,
                  shuffle=True, duplicate=False, comment_feeds=True, pages_sitemap=False,
                  seed=65536, replies=True),
    changes=((5, "new"), (5, "new")),
)  # fmt: skip
@example(  # a post its feed gives at its https address: vouched for all the same, not read again
    spec=SiteSpec(platform="blogger", posts=(PostSpec("embed", "ok", "plain", 1),
                  PostSpec("line", "canon", "https", 1), PostSpec("embed", "private", "plain", 1)),
                  paging="ignore", feed_cap=5, shuffle=True, duplicate=False, comment_feeds=True,
                  pages_sitemap=False, seed=542, bare_top_thread=True),
    changes=((12, "text"), (49, "new"), (4, "gone"), (21, "gone")),
)  # fmt: skip
def test_every_generated_site_is_archived_or_reported_from_its_feeds(
    spec: SiteSpec, changes: tuple[tuple[int, str], ...]
) -> None:
    """``--from-feeds`` on the same hostile sites: a post its feed or REST API carries whole
    is archived from it whatever its page does (its page is not asked for); every other post
    is archived from its page or reported missing with the reason its page gave. Each post
    once, with every comment; nothing robots.txt disallows asked for; a second crawl adds no
    row; after edits, ``refresh --from-feeds`` shows each of them."""
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "archive.db"
        with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
            home = network.homes[spec.key]
            report = crawl(home, db, "--from-feeds")
            site = network.servers[0].site
            assert_failed_route_reported(spec, report, site)
            requested = [entry.path.split("?")[0] for entry in network.log]
            first_rows = rows(db)
            crawl(home, db, "--from-feeds")
            assert rows(db) == first_rows, "a second crawl added rows"
            archived, comments = archived_posts(db)
            with sqlite3.connect(db) as conn:
                failed = {u for (u,) in conn.execute("SELECT url FROM pages WHERE error > ''")}
            if changes:
                after = edited(spec, changes)
                network.site = factory(after)
                network.update(spec.key, after.blog())
                refreshed = run_cli("refresh", "--db", str(db), "--from-feeds", "-q", *FAST)
                assert refreshed.returncode == 0, refreshed.stderr[-3000:]
                check_refresh(spec, after, db, home, site)
    missing = report["missing"]
    assert isinstance(missing, list)
    for path, post in site.fate_of.items():  # type: ignore[attr-defined]
        url = home + path[1:]
        if url in archived:
            assert archived.count(url) == 1, (url, post, archived)
            if comments[url] != post.comments:
                # a Blogger post whose comment feeds fail shows its comments on its page
                # only: where that fails too, the failures are in the archive
                assert not spec.comment_feeds and spec.platform == "blogger", (url, post)
                assert post.fate not in ARCHIVED_FATES, (url, post)
                assert any("/comments/" in page for page in failed), (url, post, failed)
            continue
        assert post.fate not in ARCHIVED_FATES, (url, post, missing)
        reasons = [m["reason"] for m in missing if m["url"].rstrip("/") == url.rstrip("/")]
        assert reasons, (url, post, missing)
        assert all(expected_reason(post.fate) in reason for reason in reasons), (post, reasons)
    for path, post in site.fate_of.items():  # type: ignore[attr-defined]
        if post.fate == "robots":
            assert path not in requested, f"{path} is disallowed by robots.txt"
    posts = {home + p[1:] for p in site.fate_of}  # type: ignore[attr-defined]
    assert set(archived) <= posts, "a page that is no post was archived"
    assert_no_other_page_missing(missing, site, home)


def one(platform: str, *posts: PostSpec, **behaviour: object) -> SiteSpec:
    options: dict[str, object] = {
        "paging": "honest",
        "feed_cap": 150,
        "shuffle": False,
        "duplicate": False,
        "comment_feeds": True,
        "pages_sitemap": True,
        **behaviour,
    }
    return SiteSpec(platform=platform, posts=tuple(posts), **options)  # type: ignore[arg-type]


def ok(body: str = "text", comments: int = 0, variant: str = "plain") -> PostSpec:
    return PostSpec(body=body, fate="ok", variant=variant, comments=comments)


def test_a_feed_that_ignores_its_page_parameter_ends(tmp_path: Path) -> None:
    """Issue 31: a WordPress server answering /feed/?paged=N with the first page made the
    crawl ask for page after page; the feed route stops on the page that brings nothing new."""
    spec = one("wordpress", *(ok() for _ in range(25)), paging="ignore")
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        report = crawl(home, tmp_path / "archive.db")
        feeds = [e.path for e in network.log if e.path.startswith("/feed/")]
    assert feeds == ["/feed/", "/feed/?paged=2"]
    assert report["archived"] == 25 and report["missing"] == []
    assert "listed no post that earlier pages had not" in report["stops"]["feed"]  # type: ignore[index]


@pytest.mark.parametrize("platform", ["blogger", "wordpress"])
def test_a_feed_page_that_fails_is_reported_and_its_posts_found_elsewhere(
    platform: str, tmp_path: Path
) -> None:
    """The posts feed's second page answers 503 at every try: the report says the feed route
    stopped there and why, and the posts it would have listed come from the sitemap."""
    spec = one(platform, *(ok() for _ in range(7)), feed_cap=3, broken_route="feed")
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        report = crawl(home, tmp_path / "archive.db")
        site = network.servers[0].site
    assert site.broken_hits == 3  # asked, then retried twice
    assert report["archived"] == 7 and report["missing"] == []
    stop = report["stops"]["feed"]  # type: ignore[index]
    assert "failed: HTTP 503" in stop and ("start-index=4" in stop or "paged=2" in stop), stop


@pytest.mark.parametrize("platform", ["blogger", "wordpress"])
def test_a_crawl_into_an_archive_takes_nothing_from_a_parked_domain(
    platform: str, tmp_path: Path
) -> None:
    """A second crawl (not a refresh) of a blog whose address now serves a parked domain's
    page: the archive keeps its posts, takes none of the parking page's, and marks the blog."""
    spec = one(platform, ok(comments=1), ok(), ok(comments=2))
    db = tmp_path / "archive.db"
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        crawl(home, db)
        before = archived_posts(db)
        network.site = factory(dataclasses.replace(spec, parked=True))
        network.update(spec.key, spec.blog())
        report = crawl(home, db)
    assert archived_posts(db) == before
    assert "not the archived blog's platform" in report["stops"]["home"]  # type: ignore[index]
    assert_marked_foreign(db, platform, revisions=3)


@pytest.mark.parametrize(
    ("platform", "options", "paging"),
    [("blogger", (), "honest"), ("wordpress", (), "honest"),
     ("wordpress", ("--from-feeds",), "ignore")],  # (the REST API short: the links are read)
)  # fmt: skip
def test_an_alias_read_before_its_post_is_that_post(
    platform: str, options: tuple[str, ...], paging: str, tmp_path: Path
) -> None:
    """A post's page answers at an old address too, linked from the home page, which the crawl
    reads before the post's own (a route lists that one), or after the post was archived from
    its REST API entry (``--from-feeds``): one row, at the post's address, the old address
    among its addresses; a second crawl adds nothing."""
    alias_post = PostSpec(body="text", fate="alias", variant="plain", comments=2)
    spec = one(platform, *(ok() for _ in range(5)), alias_post, paging=paging, feed_cap=5)
    db = tmp_path / "archive.db"
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        site = network.servers[0].site
        [(alias, path)] = site.aliases.items()
        report = crawl(home, db, *options)
        asked = [entry.path for entry in network.log]
        again = crawl(home, db, *options)
    assert alias in asked  # (else the alias was never read, and nothing tested)
    archived, comments = archived_posts(db)
    assert sorted(archived) == sorted(home + p[1:] for p in site.fate_of), archived
    assert comments[home + path[1:]] == 2
    with sqlite3.connect(db) as conn:
        (owner,) = conn.execute(
            "SELECT p.url FROM post_urls u JOIN posts p ON p.id = u.post_id WHERE u.url = ?",
            [home + alias[1:]],
        ).fetchone()
    assert owner == home + path[1:]
    # (the report counts addresses: the old one is archived, as the post it shows)
    assert report["archived"] == again["archived"] == 7 and report["missing"] == []


@pytest.mark.parametrize("body", ["line", "image", "embed"])
def test_a_short_post_is_a_post(body: str, tmp_path: Path) -> None:
    """Issue 31: a Blogger post of one line (or only an image, or an embed) is archived."""
    spec = one("blogger", ok(), ok(body), ok())
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        report = crawl(home, tmp_path / "archive.db")
    assert report["archived"] == 3 and report["missing"] == []
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        texts = [t for (t,) in conn.execute("SELECT content_text FROM posts")]
    if body == "line":
        assert any(text.startswith("Nothing wrong here.") for text in texts)


def test_comments_of_a_blog_whose_comment_feeds_fail_come_from_the_page_in_hand(
    tmp_path: Path,
) -> None:
    """Issue 31: with its comment feeds answering 404, each post page is fetched once, and its
    comments are archived from it."""
    spec = one("blogger", *(ok(comments=2) for _ in range(6)), comment_feeds=False)
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        crawl(home, tmp_path / "archive.db")
        pages = [e.path for e in network.log if e.path.startswith("/2024/")]
    assert len(pages) == len(set(pages)) == 6
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        assert conn.execute("SELECT count(*) FROM comments").fetchone() == (12,)


@pytest.mark.parametrize(
    ("fate", "reason"),
    [("loop", "redirect loop: "), ("private", "private address not allowed: 127.0.0.254")],
)
def test_a_post_that_redirects_badly_is_reported_under_its_own_url(
    fate: str, reason: str, tmp_path: Path
) -> None:
    """Issue 31: the failure is recorded under the post's URL, with the chain, not under the
    redirect's target, and not as "not fetched"."""
    bad = PostSpec(body="text", fate=fate, variant="plain", comments=0)
    spec = one("blogger", ok(), bad)
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        report = crawl(home, tmp_path / "archive.db")
        site = network.servers[0].site
    [path] = [p for p, s in site.fate_of.items() if s.fate == fate]  # type: ignore[attr-defined]
    missing = report["missing"]
    assert isinstance(missing, list)
    [entry] = missing
    assert entry["url"] == home + path[1:]
    assert entry["reason"].startswith(reason) and home + path[1:] in entry["reason"]
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        [(error,)] = conn.execute("SELECT error FROM pages WHERE url = ?", [entry["url"]])
    assert error == entry["reason"]


def test_a_static_page_linked_from_the_menu_keeps_its_form(tmp_path: Path) -> None:
    """Issue 31: the Contact Form 7 form of a WordPress static page only the menu links to
    (no pages sitemap) is archived; the page is no post."""
    spec = one("wordpress", ok(), ok(), pages_sitemap=False)
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        report = crawl(home, tmp_path / "archive.db")
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        forms = conn.execute(
            "SELECT f.field_count FROM forms f JOIN form_occurrences o ON o.form_id = f.id"
            " WHERE o.url = ? AND o.post_id IS NULL",
            [f"{home}contact/"],
        ).fetchall()
        posts = [u for (u,) in conn.execute("SELECT url FROM posts")]
    assert forms and forms[0][0] >= 3
    assert f"{home}contact/" not in posts and report["archived"] == 2


def test_replies_and_their_parents_on_a_newer_blogger_layout(tmp_path: Path) -> None:
    """Issue 31: a 2017+ theme whose top-level comments are not in a ``comment-thread`` (only
    the replies are), its comment feeds off: parents and replies are archived, threaded, and
    the count the page states is the post's ``comment_count``."""
    spec = dataclasses.replace(
        one("blogger", ok(comments=3), ok(comments=2), comment_feeds=False),
        theme="contempo",
        replies=True,
        bare_top_thread=True,
    )
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        crawl(network.homes[spec.key], tmp_path / "archive.db")
    with sqlite3.connect(tmp_path / "archive.db") as conn:
        counts = conn.execute("SELECT comment_count FROM posts ORDER BY url").fetchall()
        threads = conn.execute(
            "SELECT count(*), count(parent_id) FROM comments GROUP BY post_id ORDER BY 1"
        ).fetchall()
    assert counts == [(3,), (2,)]
    assert threads == [(2, 1), (3, 2)]  # each post's first comment, and its replies


def test_a_loop_no_route_foresaw_ends_at_the_blogs_request_budget(tmp_path: Path) -> None:
    """Issue 31: a feed that makes up ten new posts on every page is stopped by no route's own
    rule; the blog's request budget (a constant, and a number a post its sitemaps and REST API
    list) ends it, and the report says so. REST and sitemaps answer 404 here: the blog states
    no count, which would cap the feed's pages, and the budget is the constant."""
    spec = one("wordpress", ok(), ok(), paging="endless")
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        report = crawl(home, tmp_path / "archive.db", "-s", "BLOGARCHIVE_BUDGET_BASE=120")
        asked = len(network.log)
    assert asked <= 120 + 2  # the budget, robots.txt and the home page
    assert "request budget (" in report["stops"]["crawl"]  # type: ignore[index]
    assert "the blog's request budget" in json.dumps(report["missing"])
    assert report["archived"] == 2


@pytest.mark.parametrize("platform", ["blogger", "wordpress"])
def test_a_refresh_from_the_feeds_asks_for_no_post_page_but_the_gone_post_s(
    platform: str, tmp_path: Path
) -> None:
    """``refresh --from-feeds`` of an archive crawled ``--from-feeds``: an edited post gets its
    new text and a revision, a deleted comment its ``deleted_at``, a new post its row, all from
    the posts feed (Blogger) or the REST API (WordPress); the one post page asked for is that of
    the post they no longer list, whose 404 marks it deleted. A post the feed lists unchanged
    is not read again: its comment feed is not asked for."""
    spec = one(platform, ok(comments=2), ok(comments=1), ok(), ok(comments=3))
    after = edited(spec, ((0, "text"), (1, "comment"), (2, "gone"), (0, "new")))
    db = tmp_path / "archive.db"
    with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
        home = network.homes[spec.key]
        crawl(home, db, "--from-feeds")
        site = network.servers[0].site
        gone = next(path for path, post in site.fate_of.items() if post is spec.posts[2])  # type: ignore[attr-defined]
        network.site = factory(after)
        network.update(spec.key, after.blog())
        before = len(network.log)
        refreshed = run_cli("refresh", "--db", str(db), "--from-feeds", "-q", *FAST)
        assert refreshed.returncode == 0, refreshed.stderr[-3000:]
        asked = [entry.path for entry in network.log[before:]]
        check_refresh(spec, after, db, home, site)
    assert [path for path in asked if re.search(r"/note-\d+", path)] == [gone], asked
    assert not [path for path in asked if path.startswith("/feeds/9003/")], asked
