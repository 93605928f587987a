"""Refreshing an archive: only what changed is fetched, every version is kept, nothing is lost."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from blogarchive.demo.content import BLOGS, DemoComment, DemoPost
from blogarchive.demo.server import DemoNetwork
from blogarchive.lock import ArchiveLock
from tests.conftest import FAST, counts, run_cli

EDITED = "Coaching Is Not Inspecting"
THREAD = "Miller Heiman: Round Table Discussions Part 1"


@pytest.fixture
def network() -> Iterator[DemoNetwork]:
    with DemoNetwork(blogs=dict(BLOGS)) as network:
        yield network


def crawl(network: DemoNetwork, db: Path) -> None:
    result = run_cli("crawl", network.homes["classic"], "--db", str(db), "--allow-private", *FAST)
    assert result.returncode == 0, result.stderr


def refresh(db: Path, *options: str) -> str:
    result = run_cli("refresh", "--db", str(db), *options, *FAST)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def just_now() -> str:
    """An edit's time, as Blogger's feed gives it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def edit(post: DemoPost) -> DemoPost:
    """The post with a paragraph added, as Blogger dates an edit in its feed."""
    return dataclasses.replace(
        post, html=post.html + "<p>Update: a reader asked for examples.</p>", updated=just_now()
    )


def query(db: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def last_run(db: Path) -> dict:
    [(fetched, not_modified, failed, stats)] = query(
        db, "SELECT pages_fetched, pages_not_modified, pages_failed, stats FROM crawl_runs"
        " ORDER BY id DESC LIMIT 1",
    )  # fmt: skip
    return {
        "fetched": fetched, "not_modified": not_modified, "failed": failed,
        "rows": json.loads(stats)["rows"],
    }  # fmt: skip


@pytest.mark.parametrize("folder", ["plain", "a?b#c%20d"], ids=["plain", "uri-characters"])
def test_a_refresh_with_nothing_changed_adds_nothing_and_costs_little(
    network: DemoNetwork, tmp_path: Path, folder: str
) -> None:
    """(Also in a folder whose name holds ``?``, ``#`` and ``%``: the archive is read through
    a ``file:`` URI, which must encode them.)"""
    (tmp_path / folder).mkdir()
    db = tmp_path / folder / "archive.db"
    crawl(network, db)
    first_bytes = network.bytes_sent()
    before = counts(db)
    mark = len(network.log)
    output = refresh(db)
    after = counts(db)
    assert {k: v for k, v in after.items() if k != "crawl_runs"} == {
        k: v for k, v in before.items() if k != "crawl_runs"
    }
    refresh_bytes = network.bytes_sent(mark)
    assert refresh_bytes <= 0.10 * first_bytes, (refresh_bytes, first_bytes)
    run = last_run(db)
    assert run["failed"] == 0
    assert not [k for k in run["rows"] if k.endswith((".added", ".deleted"))]
    # the Blogger feeds list every post unchanged: no post page of theirs is asked for; the
    # WordPress blog's are revalidated (its feed does not say when a post changed)
    asked = post_pages_asked(network, db, since=mark)
    assert asked["classic"] == asked["contempo"] == 0
    vouched = len(BLOGS["classic"].posts) + len(BLOGS["contempo"].posts)
    assert output.lstrip().startswith("Refresh finished")
    assert re.search(rf"feed vouched +{vouched}  posts unchanged in their feed", output)
    assert asked["wordpress"] == len(BLOGS["wordpress"].posts)
    assert run["not_modified"] > asked["wordpress"]  # homes, feeds and sitemaps: 304 too
    # and every post was seen by this run
    [(started,)] = query(db, "SELECT max(started_at) FROM crawl_runs")
    assert query(db, "SELECT count(*) FROM posts WHERE last_seen < ?", started) == [(0,)]


def post_pages_asked(network: DemoNetwork, db: Path, since: int) -> dict[str, int]:
    """Requests for archived post pages since the ``since``-th logged request, per blog."""
    posts = {url for (url,) in query(db, "SELECT url FROM posts")}
    blog_at = {urlsplit(home).netloc: key for key, home in network.homes.items()}
    asked = dict.fromkeys(network.homes, 0)
    for request in network.log[since:]:
        if f"http://{request.host}{request.path}" in posts:
            asked[blog_at[request.host]] += 1
    return asked


def test_every_page_revalidates_what_the_feed_vouches_for(
    network: DemoNetwork, tmp_path: Path
) -> None:
    """A change no feed entry shows (a template's, an edit Blogger did not date) is found by
    --every-page, which asks for each archived page; the default refresh trusts the feed."""
    db = tmp_path / "archive.db"
    crawl(network, db)
    classic = BLOGS["classic"]
    undated = tuple(
        dataclasses.replace(post, html=post.html + "<p>Quietly amended.</p>")
        if post.title == EDITED
        else post
        for post in classic.posts
    )
    network.update("classic", dataclasses.replace(classic, posts=undated))
    mark = len(network.log)
    refresh(db)
    assert post_pages_asked(network, db, since=mark)["classic"] == 0
    [(text,)] = query(db, "SELECT content_text FROM posts WHERE title = ?", EDITED)
    assert "Quietly amended." not in text

    mark = len(network.log)
    refresh(db, "--every-page")
    assert post_pages_asked(network, db, since=mark)["classic"] == len(classic.posts)
    [(text,)] = query(db, "SELECT content_text FROM posts WHERE title = ?", EDITED)
    assert "Quietly amended." in text
    assert last_run(db)["rows"]["post_revisions.added"] == 1


def test_edits_new_posts_replies_and_deletions_show_up(
    network: DemoNetwork, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    crawl(network, db)
    classic = BLOGS["classic"]
    posts = []
    for post in classic.posts:
        if post.title == EDITED:
            post = dataclasses.replace(edit(post), comments=())  # its one comment was deleted
        if post.title == THREAD:
            reply = DemoComment(
                id="1267900000000", author="Marcus Lee", published="2010-03-06T10:00:00-08:00",
                html="Same here, thanks!", parent="1267541100000",
            )  # fmt: skip
            post = dataclasses.replace(post, comments=(*post.comments, reply))
        posts.append(post)
    posts.append(
        DemoPost(
            id="9988776655443322110",
            slug="a-new-post",
            title="A New Post",
            author="The Howard Group",
            published="2010-03-15T08:00:00-08:00",
            labels=("News",),
            html="<p>Fresh off the press.</p>",
        )
    )
    network.update("classic", dataclasses.replace(classic, posts=tuple(posts)))
    refresh(db)

    [(edited_id, text)] = query(db, "SELECT id, content_text FROM posts WHERE title = ?", EDITED)
    assert "Update: a reader asked for examples." in text
    revisions = query(
        db, "SELECT content_text FROM post_revisions WHERE post_id = ? ORDER BY id", edited_id
    )
    assert len(revisions) == 2 and "Update:" not in revisions[0][0] and "Update:" in revisions[1][0]
    assert query(db, "SELECT count(*) FROM posts WHERE title = 'A New Post'") == [(1,)]
    [(parent_author,)] = query(
        db,
        "SELECT p.author FROM comments c JOIN comments p ON p.id = c.parent_id"
        " WHERE c.content_text = 'Same here, thanks!'",
    )
    assert parent_author == "Dana Whitfield"
    [(deleted_at, kept_text)] = query(
        db, "SELECT deleted_at, content_text FROM comments WHERE post_id = ?", edited_id
    )
    assert deleted_at is not None and "Bookmarked" in kept_text  # marked, not dropped
    rows = last_run(db)["rows"]
    assert rows["posts.added"] == 1 and rows["comments.added"] == 1
    assert rows["comments.deleted"] == 1
    assert rows["post_revisions.added"] == 2  # the edit, and the new post's first version


def test_comments_the_archive_missed_are_fetched_though_the_page_is_unchanged(
    network: DemoNetwork, tmp_path: Path
) -> None:
    """A post archived without its comments (a distributed worker killed with the comment
    feed's request in hand): its feed entry counts more comments than the archive holds, so
    the refresh reads its page even though the page answers 304, and fetches its comments."""
    db = tmp_path / "archive.db"
    crawl(network, db)
    [(post_id, comments)] = query(
        db, "SELECT p.id, count(c.id) FROM posts p JOIN comments c ON c.post_id = p.id"
        " WHERE p.title = ? GROUP BY p.id", THREAD,
    )  # fmt: skip
    assert comments >= 2
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM comments WHERE post_id = ?", [post_id])
    refresh(db)
    assert query(db, "SELECT count(*) FROM comments WHERE post_id = ?", post_id) == [(comments,)]


def test_a_feed_count_the_page_states_too_is_no_reason_to_doubt_a_304(
    network: DemoNetwork, tmp_path: Path
) -> None:
    """A WordPress feed's ``slash:comments`` counts pingbacks that a page may not list: a post
    whose page stated the count the feed gives has not changed, whatever the archive holds,
    and its 304 is believed (asked again, every refresh would fetch it whole)."""
    db = tmp_path / "archive.db"
    crawl(network, db)
    home = network.homes["wordpress"]
    rows = query(
        db, "SELECT p.id, p.comment_count, count(c.id) FROM posts p JOIN comments c"
        " ON c.post_id = p.id WHERE p.url LIKE ? GROUP BY p.id", home + "%",
    )  # fmt: skip
    post_id, stated, held = next(row for row in rows if row[1] is not None)
    assert stated == held >= 1
    with sqlite3.connect(db) as conn:  # one of them a pingback the page does not list
        conn.execute(
            "DELETE FROM comments WHERE id = (SELECT min(id) FROM comments WHERE post_id = ?)",
            [post_id],
        )
    mark = len(network.log)
    refresh(db)
    asked = post_pages_asked(network, db, since=mark)
    assert asked["wordpress"] == len(BLOGS["wordpress"].posts)
    [(stats,)] = query(db, "SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")
    assert "blogarchive/doubted_304" not in json.loads(stats)


def test_a_503_or_a_410_during_a_refresh(network: DemoNetwork, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    crawl(network, db)
    unavailable = "/2010/02/the-first-ninety-days.html"
    gone = "/2010/02/forecasting-without-fear.html"
    # as on Blogger: an edited post's feed entry gets a new `updated`, a deleted post leaves
    # the feed; so the refresh asks for both pages, and the server answers 503 and 410
    classic = BLOGS["classic"]
    posts = tuple(
        dataclasses.replace(post, updated=just_now())
        if post.slug == "the-first-ninety-days"
        else post
        for post in classic.posts
        if post.slug != "forecasting-without-fear"
    )
    network.update("classic", dataclasses.replace(classic, posts=posts))
    network.faults.update({unavailable: 503, gone: 410})
    refresh(db)
    home = network.homes["classic"]
    assert query(db, "SELECT deleted_at FROM posts WHERE url = ?", home + unavailable[1:]) == [
        (None,)
    ]
    [(deleted_at,)] = query(db, "SELECT deleted_at FROM posts WHERE url = ?", home + gone[1:])
    assert deleted_at is not None
    assert query(db, "SELECT count(*) FROM comments WHERE deleted_at IS NOT NULL") == [(0,)]
    assert last_run(db)["failed"] >= 2
    # the 503 page keeps its archived body for re-extraction
    [(body,)] = query(
        db, "SELECT body IS NOT NULL FROM pages WHERE url = ?", home + unavailable[1:]
    )
    assert body == 1


def test_a_feed_that_fails_during_a_refresh_means_every_page_is_asked(
    network: DemoNetwork, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    crawl(network, db)
    before, pages = counts(db), {url for (url,) in query(db, "SELECT url FROM pages")}
    network.faults["/feeds/posts/default"] = 503
    mark = len(network.log)
    refresh(db)
    asked = post_pages_asked(network, db, since=mark)
    assert asked["classic"] == len(BLOGS["classic"].posts)
    assert asked["contempo"] == len(BLOGS["contempo"].posts)
    # (the sitemaps, which the crawl did not need: its feeds listed every post they count)
    new_pages = {url for (url,) in query(db, "SELECT url FROM pages")} - pages
    assert sorted(new_pages) == sorted(
        network.homes[blog] + "sitemap.xml" for blog in ("classic", "contempo")
    )
    unchanged = {"crawl_runs", "pages"}
    assert {k: v for k, v in counts(db).items() if k not in unchanged} == {
        k: v for k, v in before.items() if k not in unchanged
    }
    assert query(db, "SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL") == [(0,)]


def test_a_second_writer_is_refused(network: DemoNetwork, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    crawl(network, db)
    with ArchiveLock(db):
        result = run_cli("refresh", "--db", str(db))
        assert result.returncode == 2
        assert "another crawl or refresh is writing to" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_reextract_rebuilds_extracted_tables_offline_keeping_ids(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with DemoNetwork(blogs=dict(BLOGS)) as network:
        crawl(network, db)
    # the network is gone: everything below comes from pages.body
    ids = {t: query(db, f"SELECT id FROM {t} ORDER BY id") for t in ("posts", "comments", "forms")}
    threads = query(db, "SELECT id, parent_id FROM comments ORDER BY id")
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM key_observations")
        conn.execute("DELETE FROM form_fields")
        conn.execute("UPDATE posts SET title = 'damaged'")
    result = run_cli("reextract", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "Re-extracted" in result.stdout
    assert {t: query(db, f"SELECT id FROM {t} ORDER BY id") for t in ids} == ids
    assert query(db, "SELECT id, parent_id FROM comments ORDER BY id") == threads
    assert query(db, "SELECT count(*) FROM posts WHERE title = 'damaged'") == [(0,)]
    assert query(db, "SELECT count(*) FROM key_observations") == [(16,)]
    [(fields,)] = query(db, "SELECT count(*) FROM form_fields")
    assert fields > 13


def test_reextract_of_an_unchanged_archive_changes_no_comment(tmp_path: Path) -> None:
    """Blogger comments come from where the crawl took them (the page that shows them all
    with their times, else a comment feed), in a re-extraction alike: no source's comments are
    written over another's."""
    db = tmp_path / "archive.db"
    with DemoNetwork(blogs=dict(BLOGS)) as network:
        crawl(network, db)
    columns = "id, parent_id, author, author_url, published, content_html, content_text, position"
    before = query(db, f"SELECT {columns} FROM comments ORDER BY id")
    assert before
    result = run_cli("reextract", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert "comments.changed" not in result.stdout, result.stdout
    assert query(db, f"SELECT {columns} FROM comments ORDER BY id") == before


def test_a_comment_deleted_on_wordpress_is_marked_and_restored_when_it_comes_back(
    network: DemoNetwork, tmp_path: Path
) -> None:
    """Issue 31: a WordPress post's page shows all its comments (one page of them, as many as
    it states): one the archive holds that the page no longer shows is deleted, and one that
    comes back is restored."""
    db = tmp_path / "archive.db"
    home = network.homes["wordpress"]
    result = run_cli("crawl", home, "--db", str(db), "--depth", "0", *FAST)
    assert result.returncode == 0, result.stderr
    blog = BLOGS["wordpress"]
    [post] = [p for p in blog.posts if p.comments]
    last = "It already did, in a renewal this morning."

    def deleted() -> dict[str, bool]:
        rows = query(db, "SELECT content_text, deleted_at FROM comments")
        return {text: when is not None for text, when in rows}

    assert deleted() == {text: False for text in deleted()} and last in deleted()
    shorter = dataclasses.replace(post, comments=post.comments[:-1])  # its last reply deleted
    posts = tuple(shorter if p is post else p for p in blog.posts)
    network.update("wordpress", dataclasses.replace(blog, posts=posts))
    refresh(db)
    assert deleted()[last] is True
    assert [gone for text, gone in deleted().items() if text != last] == [False, False]
    assert last_run(db)["rows"]["comments.deleted"] == 1

    network.update("wordpress", blog)  # the comment is back (it was unapproved, then approved)
    refresh(db)
    assert deleted()[last] is False


def rendered(db: Path, *paths: str) -> list[str]:
    """The archive's pages at ``paths``, as Datasette with the plugin renders them."""
    from datasette.app import Datasette

    async def get() -> list[str]:
        datasette = Datasette([str(db)])
        return [(await datasette.client.get(path)).text for path in paths]

    return asyncio.run(get())


def test_a_post_s_page_shows_its_dates_its_neighbours_and_what_an_edit_changed(
    network: DemoNetwork, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    crawl(network, db)
    classic = BLOGS["classic"]
    edited = tuple(edit(post) if post.title == EDITED else post for post in classic.posts)
    network.update("classic", dataclasses.replace(classic, posts=edited))
    refresh(db)
    [(post_id, blog_id, published)] = query(
        db, "SELECT id, blog_id, published FROM posts WHERE title = ?", EDITED
    )
    order = [i for (i,) in query(
        db, "SELECT id FROM posts WHERE blog_id = ? ORDER BY published", blog_id
    )]  # fmt: skip
    page, history = rendered(db, f"/-/post/{post_id}", f"/-/post/{post_id}/history")
    # the date as people read it, the value itself kept
    assert re.search(
        rf'<time datetime="{re.escape(published)}" title="[^"]+">\d{{1,2}} [A-Z][a-z]+ \d{{4}},'
        r" \d\d:\d\d \(UTC[+-]\d\d:\d\d\)</time>",
        page,
    )
    here = order.index(post_id)
    assert f'rel="prev" href="/-/post/{order[here - 1]}"' in page
    assert f'rel="next" href="/-/post/{order[here + 1]}"' in page
    assert "2 versions archived: what changed" in page and "Cite this post" in page
    assert "<ins>+ Update: a reader asked for examples.</ins>" in history
    assert history.count('class="ba-version"') == 2 and "<del>" not in history
