"""End to end: the CLI crawls the demo network on loopback into a real SQLite file, twice."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from blogarchive.demo.server import DemoNetwork
from blogarchive.schema import FTS
from tests.conftest import FAST, CrawledArchive, run_cli

SEED_TITLE = "Miller Heiman: Round Table Discussions Part 2"
CONTENT_TABLES = (
    "posts",
    "comments",
    "key_observations",
    "forms",
    "form_fields",
    "blog_links",
    "blogs",
)


def query(crawled: CrawledArchive, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(crawled.path) as conn:
        return conn.execute(sql, params).fetchall()


def test_every_contract_table_is_filled(crawled: CrawledArchive) -> None:
    empty = [table for table, count in crawled.counts_after_first.items() if count == 0]
    assert empty == []


def test_second_crawl_adds_no_rows(crawled: CrawledArchive) -> None:
    for table in (*CONTENT_TABLES, "form_occurrences", "post_revisions", "pages"):
        assert crawled.counts_after_second[table] == crawled.counts_after_first[table], table
    assert crawled.counts_after_second["crawl_runs"] == 2


def test_every_demo_post_is_archived_once(crawled: CrawledArchive) -> None:
    from blogarchive.demo.content import BLOGS

    expected = sorted(post.title for blog in BLOGS.values() for post in blog.posts)
    assert sorted(row[0] for row in query(crawled, "SELECT title FROM posts")) == expected


def test_seed_post(crawled: CrawledArchive) -> None:
    [(post_id, author, published, labels, comment_count)] = query(
        crawled,
        "SELECT id, author, published, labels, comment_count FROM posts WHERE title = ?",
        SEED_TITLE,
    )
    assert author == "The Howard Group"
    assert published == "2010-03-08T09:30:00-08:00"
    assert json.loads(labels) == ["Miller Heiman", "Sales Management", "Coaching"]
    assert comment_count == 0
    assert query(crawled, "SELECT count(*) FROM comments WHERE post_id = ?", post_id) == [(0,)]
    observations = query(
        crawled,
        "SELECT heading, position, text FROM key_observations WHERE post_id = ? ORDER BY position",
        post_id,
    )
    assert [row[:2] for row in observations] == [
        ("Key Observations", 1),
        ("Key Observations", 2),
        ("Key Observations", 3),
    ]
    assert observations[0][2] == (
        "Sales managers need to stay on top of accounts or they’ll lose credibility – making "
        "selling a priority even though coaching is imperative."
    )
    assert "the “high” of closing big deals" in observations[1][2]


def test_coaching_form_is_one_form_on_every_page_it_is_on(crawled: CrawledArchive) -> None:
    [(form_id, purpose, field_count)] = query(
        crawled,
        "SELECT id, purpose, field_count FROM forms"
        " WHERE title = 'Do You Need One Of Our Coaches?'",
    )
    assert purpose == "contact" and field_count == 13
    fields = query(
        crawled,
        "SELECT label, type, options FROM form_fields WHERE form_id = ? ORDER BY position",
        form_id,
    )
    assert [f[0] for f in fields][:3] == ["Name", "Phone Number", "Best time/date to chat"]
    assert fields[-1][0] == "How do you envision 'The Howard Group' helping?"
    assert dict((f[0], f[1]) for f in fields)["Email Address"] == "email"
    assert dict((f[0], f[1]) for f in fields)["Phone Number"] == "tel"
    assert [len(json.loads(f[2])) for f in fields if f[1] in ("select", "radio")] == [14, 2]
    pages = {
        row[0]
        for row in query(crawled, "SELECT url FROM form_occurrences WHERE form_id = ?", form_id)
    }
    classic_posts = {
        row[0]
        for row in query(
            crawled,
            "SELECT p.url FROM posts p JOIN blogs b ON b.id = p.blog_id"
            " WHERE b.platform = 'blogger'"
            " AND b.title LIKE 'The Howard Group%'",
        )
    }
    assert classic_posts and classic_posts <= pages
    assert crawled.network.homes["classic"] in pages  # the home page shows it too


def test_blog_network_has_the_cycle_and_the_dead_link(crawled: CrawledArchive) -> None:
    homes = crawled.network.homes
    links = query(
        crawled,
        "SELECT s.url, l.target_url, t.status FROM blog_links l"
        " JOIN blogs s ON s.id = l.source_blog_id"
        " LEFT JOIN blogs t ON t.id = l.target_blog_id",
    )
    pairs = {(source, target) for source, target, _ in links}
    assert (homes["classic"], homes["contempo"]) in pairs
    assert (homes["contempo"], homes["classic"]) in pairs  # the cycle, crawled once per blog
    dead = [status for source, target, status in links if target.startswith("http://127.0.0.5:")]
    assert dead == ["unreachable"]
    assert query(crawled, "SELECT count(*) FROM blogs WHERE status = 'ok'") == [(3,)]


def test_threaded_replies_keep_their_parent(crawled: CrawledArchive) -> None:
    replies = query(
        crawled,
        "SELECT c.author, p.author FROM comments c JOIN comments p ON p.id = c.parent_id"
        " ORDER BY c.published",
    )
    assert ("The Howard Group", "Dana Whitfield") in replies
    assert ("Tom Becker", "Lena Fischer") in replies  # a reply to a reply (WordPress)


def test_static_pages_are_not_posts_but_their_forms_are_kept(crawled: CrawledArchive) -> None:
    contact = crawled.network.homes["wordpress"] + "contact/"
    assert query(crawled, "SELECT count(*) FROM posts WHERE url = ?", contact) == [(0,)]
    assert query(crawled, "SELECT kind FROM pages WHERE url = ?", contact) == [("page",)]
    purposes = query(
        crawled,
        "SELECT f.purpose FROM form_occurrences o JOIN forms f ON f.id = o.form_id WHERE o.url = ?",
        contact,
    )
    assert ("contact",) in purposes


def test_robots_txt_obeyed_and_user_agent_named(crawled: CrawledArchive) -> None:
    log = crawled.network.log
    assert log
    assert not [r.path for r in log if urlsplit(r.path).path.startswith("/search")]
    assert all("blogarchive" in r.user_agent for r in log)
    fetched = [
        (r.host, r.path) for r in log[: crawled.log_size_after_first] if r.path != "/robots.txt"
    ]
    assert len(fetched) == len(set(fetched))  # each page fetched once per crawl


def test_raw_pages_are_stored_for_reextraction(crawled: CrawledArchive) -> None:
    import zlib

    [(body, sha)] = query(
        crawled,
        "SELECT body, content_sha256 FROM pages WHERE url = ?",
        crawled.network.homes["classic"],
    )
    import hashlib

    assert hashlib.sha256(zlib.decompress(body)).hexdigest() == sha


def test_crawl_run_and_summary(crawled: CrawledArchive) -> None:
    runs = query(
        crawled, "SELECT status, pages_fetched, pages_failed, stats FROM crawl_runs ORDER BY id"
    )
    assert [r[0] for r in runs] == ["finished", "finished"]
    assert runs[0][1] == crawled.counts_after_first["pages"]
    assert runs[0][2] == 1  # the dead link
    assert json.loads(runs[0][3])["rows"]["posts.added"] == crawled.counts_after_first["posts"]
    assert "posts.added" not in json.loads(runs[1][3])["rows"]
    assert "Crawl finished" in crawled.first.stdout
    assert "unreachable" in crawled.first.stdout
    assert "Traceback" not in crawled.first.stderr


def test_private_addresses_are_not_followed_without_allow_private(
    demo_network: DemoNetwork, tmp_path: Path
) -> None:
    """The start blog's own origin is allowed; the loopback blogs it lists are not."""
    db = tmp_path / "archive.db"
    result = run_cli("crawl", demo_network.start_url, "--db", str(db), *FAST)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        statuses = dict(conn.execute("SELECT url, status FROM blogs").fetchall())
        posts = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    homes = demo_network.homes
    assert statuses == {
        homes["classic"]: "ok",
        homes["contempo"]: "blocked",
        homes["wordpress"]: "blocked",
    }
    assert posts == 7
    assert "private address" in result.stdout


def test_a_crawl_leaves_its_search_indexes_merged(crawled: CrawledArchive, tmp_path: Path) -> None:
    """Each commit of a crawl adds a segment to every full-text index it writes; the crawl ends
    by merging them (``Archive.optimize_search``), so merging a copy again changes nothing."""
    copy = tmp_path / "copy.db"
    with sqlite3.connect(crawled.path) as source, sqlite3.connect(copy) as target:
        source.backup(target)

    def segment_rows() -> dict[str, int]:
        with sqlite3.connect(copy) as conn:
            return {
                table: conn.execute(f"SELECT count(*) FROM [{table}_fts_data]").fetchone()[0]
                for table in FTS
            }

    merged = segment_rows()
    with sqlite3.connect(copy) as conn:
        for table in FTS:
            conn.execute(f"INSERT INTO [{table}_fts]([{table}_fts]) VALUES ('optimize')")
    assert segment_rows() == merged


def test_the_promo_every_classic_post_repeats_is_marked(crawled: CrawledArchive) -> None:
    marked = {row[0] for row in query(crawled, "SELECT text FROM boilerplate")}
    assert "Would You Like To Have A FREE BUSINESS COACHING SESSION?" in marked
    [(text, main)] = query(
        crawled, "SELECT content_text, content_text_main FROM posts WHERE title = ?", SEED_TITLE
    )
    assert "FREE BUSINESS COACHING SESSION" in text
    assert "FREE BUSINESS COACHING SESSION" not in main
    assert "Key Observations:" in main


#: Columns that say when a row was seen or by which run, not what it holds.
#: Columns that say when, or which capture: each crawl's own.
WHEN = {
    "first_seen", "last_seen", "last_crawled", "deleted_at", "fetched_at", "captured_at",
    "capture_id",
}  # fmt: skip


def contents(db: Path, table: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info([{table}])")]
        kept = ", ".join(f"[{name}]" for name in columns if name not in WHEN)
        return sorted(conn.execute(f"SELECT {kept} FROM [{table}]").fetchall(), key=repr)


@pytest.mark.parametrize("processes", [0, 2])
def test_extraction_processes_archive_what_the_crawl_process_does(
    processes: int, crawled: CrawledArchive, tmp_path: Path
) -> None:
    """With post pages extracted in the crawl's own process (0) or in worker processes
    (``BLOGARCHIVE_EXTRACT_PROCESSES``), the demo network is archived row for row as with the
    default (one worker on a machine of two cores or more)."""
    db = tmp_path / "archive.db"
    result = run_cli(
        "crawl", crawled.network.start_url, "--db", str(db), "--allow-private", "--depth", "2",
        *FAST, "-s", f"BLOGARCHIVE_EXTRACT_PROCESSES={processes}", "-v",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    extracted = re.search(r"'blogarchive/extracted_in_workers': (\d+)", result.stderr)
    if processes:
        assert extracted is not None and int(extracted.group(1)) >= 10, result.stderr[-3000:]
    else:
        assert extracted is None, result.stderr[-3000:]
    for table in CONTENT_TABLES:
        assert contents(db, table) == contents(crawled.path, table), table
