"""The archive writer on an in-memory database: stable ids, no duplicates, history, search."""

from __future__ import annotations

import dataclasses
import json
import random
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from sqlite_utils import Database

from blogarchive.archive import (
    BOILERPLATE_MIN_POSTS,
    Archive,
    ArchiveError,
    blog_id_for,
    open_database,
    post_id_for,
)
from blogarchive.items import BlogItem, CommentsItem, FormsItem, PageItem, PostItem, SeenItem
from blogarchive.schema import PAGE_SIZE, TABLES
from extract import extract_page

SEED = Path(__file__).parent / "fixtures" / "post" / "blogger-classic-seed"
SEED_URL = json.loads((SEED / "meta.json").read_text())["url"]
BLOG = "http://127.0.0.2:8780/"


@pytest.fixture
def archive() -> Archive:
    return Archive(Database(memory=True))


def seed_item() -> PostItem:
    page = extract_page((SEED / "input.html").read_text(encoding="utf-8"), SEED_URL)
    assert page.post is not None
    return PostItem(
        blog_url=BLOG,
        post=page.post,
        comments=page.comments,
        key_observations=page.key_observations,
        forms=page.forms,
        page_url=SEED_URL,
    )


def rows(archive: Archive) -> dict[str, int]:
    return {name: archive.db[name].count for name in TABLES}


def test_schema_has_every_contract_table_and_search(archive: Archive) -> None:
    assert set(TABLES) <= set(archive.db.table_names())
    for table in ("posts", "comments", "key_observations"):
        assert archive.db[table].detect_fts() == f"{table}_fts"
    assert archive.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


#: The columns the archive's contract (DESIGN.md, "The archive contract") names, by table.
CONTRACT_COLUMNS = {
    "blogs": "id url title platform status first_seen last_crawled",
    "blog_links": "source_blog_id target_url title target_blog_id position",
    "posts": "id blog_id url title author published updated labels content_html content_text"
    " comment_count first_seen last_seen deleted_at capture_id extractor",
    "post_revisions": "post_id captured_at title content_text content_sha256",
    "comments": "id post_id parent_id author author_url published content_html content_text url"
    " deleted_at capture_id",
    "key_observations": "id post_id heading position text",
    "forms": "id purpose action method title field_count json_schema capture_id",
    "form_fields": "form_id position name label type semantic_type required options placeholder",
    "form_occurrences": "form_id url blog_id post_id first_seen last_seen",
    "pages": "url blog_id kind status fetched_at etag last_modified content_sha256 body",
    "crawl_runs": "id started_at finished_at status pages_fetched pages_not_modified"
    " pages_failed stats",
    "captures": "url captured_at status warc_file warc_offset warc_length warc_record_id"
    " payload_digest refers_to",
}


def test_every_column_the_contract_names_is_there_and_reads_its_value(archive: Archive) -> None:
    for table, columns in CONTRACT_COLUMNS.items():
        present = {row[1] for row in archive.db.execute(f"PRAGMA table_xinfo([{table}])")}
        assert set(columns.split()) <= present, (table, set(columns.split()) - present)
    archive.db["captures"].insert(
        {"record_id": "<urn:uuid:1>", "url": "http://a.example/",
         "timestamp": "2026-12-05T00:00:00Z",
         "warc_file": "a.warc.gz", "offset": 10, "length": 20, "status": 200,
         "record_type": "response"}
    )  # fmt: skip
    assert archive.db.execute(
        "SELECT captured_at, warc_offset, warc_length, warc_record_id FROM captures"
    ).fetchall() == [("2026-12-05T00:00:00Z", 10, 20, "<urn:uuid:1>")]


def test_an_archive_made_before_the_contract_s_capture_columns_gets_them(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE captures (record_id TEXT PRIMARY KEY, url TEXT, timestamp TEXT,"
            " warc_file TEXT, offset INTEGER, length INTEGER)"
        )
        conn.execute("INSERT INTO captures VALUES ('r', 'u', 't', 'f', 1, 2)")
    Archive(Database(path))
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT warc_record_id, warc_offset FROM captures").fetchall() == [
            ("r", 1)
        ]


def test_saving_twice_adds_no_rows_and_keeps_first_seen(archive: Archive) -> None:
    archive.save_blog(BlogItem(url=BLOG, title="Blog", platform="blogger", status="ok"))
    archive.save_post(seed_item())
    first = rows(archive)
    first_seen = archive.db["posts"].get(post_id_for(SEED_URL))["first_seen"]
    archive.save_post(seed_item())
    assert rows(archive) == first
    assert archive.db["posts"].get(post_id_for(SEED_URL))["first_seen"] == first_seen
    assert first["post_revisions"] == 1
    assert first["key_observations"] == 3


def test_a_changed_post_gets_a_revision(archive: Archive) -> None:
    item = seed_item()
    archive.save_post(item)
    edited = dataclasses.replace(item.post, content_text=item.post.content_text + "\nP.S. edited")
    archive.save_post(dataclasses.replace(item, post=edited))
    post_id = post_id_for(SEED_URL)
    revisions = list(archive.db["post_revisions"].rows_where("post_id = ?", [post_id]))
    assert len(revisions) == 2
    assert archive.db["posts"].get(post_id)["content_text"].endswith("P.S. edited")
    assert archive.changes["posts.changed"] == 1


def test_same_form_on_many_pages_is_one_form_with_occurrences(archive: Archive) -> None:
    item = seed_item()
    archive.save_post(item)
    archive.save_forms(FormsItem(blog_url=BLOG, page_url=BLOG, forms=item.forms))
    coaching = next(f for f in item.forms if f.purpose == "contact")
    occurrences = list(archive.db["form_occurrences"].rows_where("form_id = ?", [coaching.id]))
    assert {o["url"] for o in occurrences} == {SEED_URL, BLOG}
    assert {o["post_id"] for o in occurrences} == {post_id_for(SEED_URL), None}
    assert archive.db["forms"].count == len(item.forms)
    assert archive.db["form_fields"].count == sum(f.field_count for f in item.forms)


def test_full_text_search_finds_the_post(archive: Archive) -> None:
    archive.save_post(seed_item())
    hits = list(archive.db["posts"].search("Miller Heiman"))
    assert [hit["id"] for hit in hits] == [post_id_for(SEED_URL)]
    found = list(archive.db["key_observations"].search("credibility"))
    assert len(found) == 1 and found[0]["position"] == 1


def index_rows(archive: Archive) -> tuple[int, int]:
    """The posts search index's stored rows and bytes (FTS5 keeps its segments there)."""
    count, size = archive.db.execute(
        "SELECT count(*), sum(length(block)) FROM posts_fts_data"
    ).fetchone()
    return count, size


def test_only_a_change_of_searched_text_touches_the_search_index(archive: Archive) -> None:
    """Moving ``last_seen`` (a refresh does it for every unchanged post) leaves the index as it
    is; a new title is indexed, the old one is gone from it."""
    item = seed_item()
    archive.save_post(item)
    before = index_rows(archive)
    archive.mark_seen(SeenItem(blog_url=BLOG, urls=(SEED_URL,)))
    archive.db.execute("UPDATE posts SET comment_count = 99")
    assert index_rows(archive) == before
    retitled = dataclasses.replace(item.post, title="Territory planning, renamed")
    archive.save_post(dataclasses.replace(item, post=retitled))
    assert index_rows(archive) != before
    assert [hit["id"] for hit in archive.db["posts"].search("renamed")] == [post_id_for(SEED_URL)]
    assert list(archive.db["posts"].search(f'"{item.post.title}"')) == []


def test_an_archive_whose_index_follows_every_update_gets_the_narrow_trigger(
    tmp_path: Path,
) -> None:
    """An archive made before keeps its rows and search, with the update trigger that fires
    only for the searched columns."""
    path = tmp_path / "archive.db"
    archive = Archive(open_database(str(path)))
    archive.save_post(seed_item())
    archive.db.execute("DROP TRIGGER posts_au")
    archive.db.execute(  # the trigger sqlite-utils makes
        'CREATE TRIGGER "posts_au" AFTER UPDATE ON "posts" BEGIN\n'
        '  INSERT INTO "posts_fts" ("posts_fts", rowid, "title", "content_text")'
        ' VALUES(\'delete\', old.rowid, old."title", old."content_text");\n'
        '  INSERT INTO "posts_fts" (rowid, "title", "content_text")'
        ' VALUES (new.rowid, new."title", new."content_text");\n'
        "END"
    )
    archive.db.close()
    reopened = Archive(open_database(str(path)))
    (sql,) = reopened.db.execute("SELECT sql FROM sqlite_master WHERE name = 'posts_au'").fetchone()
    assert 'AFTER UPDATE OF "title", "content_text" ON "posts"' in sql
    assert [hit["id"] for hit in reopened.db["posts"].search("Miller Heiman")] == [
        post_id_for(SEED_URL)
    ]


def test_a_post_whose_write_fails_midway_leaves_nothing_and_the_others_stay(
    tmp_path: Path,
) -> None:
    """In a crawl's open transaction, each item is written whole or not at all: a post whose
    key observations cannot be written leaves no post, revision or form of its own, and the
    post written before it stays, in a transaction that goes on and commits."""
    archive = Archive(open_database(str(tmp_path / "archive.db")))
    archive.db.execute("BEGIN")  # as the pipeline keeps one open between its commits
    first = seed_item()
    archive.save_post(first)
    archive.db.execute(
        "CREATE TEMP TRIGGER refuse BEFORE INSERT ON key_observations"
        " BEGIN SELECT RAISE(ABORT, 'refused'); END"
    )
    second = dataclasses.replace(
        first, post=dataclasses.replace(first.post, url=SEED_URL.replace(".html", "-2.html"))
    )
    assert second.key_observations  # the write that fails comes after the post's own
    before = rows(archive)
    with pytest.raises(sqlite3.IntegrityError, match="refused"):
        archive.save_post(second)
    assert rows(archive) == before
    assert archive.db.conn.in_transaction
    archive.db.conn.commit()
    assert [row["url"] for row in archive.db["posts"].rows] == [first.post.url]


def test_an_item_is_one_savepoint_not_one_per_row(tmp_path: Path) -> None:
    """sqlite-utils makes every insert and update inside a transaction a savepoint of its own,
    named afresh; the archive's blocks nest into their outermost one, under one name."""
    archive = Archive(open_database(str(tmp_path / "archive.db")))
    statements: list[str] = []
    archive.db.conn.set_trace_callback(statements.append)
    archive.db.execute("BEGIN")
    item = seed_item()
    archive.save_post(item)
    savepoints = [sql for sql in statements if sql.startswith("SAVEPOINT")]
    inserts = [sql for sql in statements if sql.startswith("INSERT")]
    assert len(inserts) >= 5  # the post, its revision, observations, the form and its fields
    assert savepoints and len(savepoints) <= 2  # the blog's, and the post's with all it holds
    assert set(savepoints) == {"SAVEPOINT archive_group"}


def test_the_archive_s_row_writers_leave_what_sqlite_utils_leaves() -> None:
    """Its inserts, upserts and updates of one row (one statement each, made once per set of
    columns) write what sqlite-utils' ``insert``, ``upsert`` and ``update`` write."""
    from sqlite_utils.db import NotFoundError

    ours, theirs = Archive(Database(memory=True)), Archive(Database(memory=True))
    fetched = {"url": f"{BLOG}a.html", "kind": "post", "status": 200, "etag": '"1"', "body": b"x"}
    again = {"url": f"{BLOG}a.html", "status": 304, "error": None, "etag": '"2"'}
    other = {"url": f"{BLOG}b.html", "kind": "feed", "status": 500, "error": "HTTP 500"}
    blog = {"id": "b1", "url": BLOG, "title": ["a list", 1], "platform": "blogger"}
    for row in (fetched, again, other):
        ours._table("pages").upsert_row(row, "url")
        theirs.db.table("pages").upsert(row, pk="url")
    ours._table("blogs").insert_row(blog)
    theirs.db.table("blogs").insert(blog)
    ours._table("blogs").update_row("b1", {"title": {"a": "dict"}, "status": "ok"})
    theirs.db.table("blogs").update("b1", {"title": {"a": "dict"}, "status": "ok"})
    for table in ("pages", "blogs"):
        query = f"SELECT * FROM {table} ORDER BY rowid"
        assert list(ours.db.query(query)) == list(theirs.db.query(query))
    assert json.loads(next(ours.db.query("SELECT title FROM blogs"))["title"]) == {"a": "dict"}
    with pytest.raises(NotFoundError):
        ours._table("blogs").update_row("gone", {"title": "x"})


def test_optimize_search_merges_the_index_and_finds_the_same_posts(tmp_path: Path) -> None:
    """Posts committed one at a time, as a crawl commits them, leave the search index in many
    segments; ``optimize_search`` merges them into fewer rows, and searches find the same."""
    archive = Archive(open_database(str(tmp_path / "archive.db")))
    item = seed_item()
    for n in range(40):
        post = dataclasses.replace(
            item.post, url=f"{BLOG}2024/01/post-{n}.html", title=f"Post {n} topic{n % 4}"
        )
        archive.save_post(dataclasses.replace(item, post=post, page_url=post.url))

    def searched() -> dict[str, list[str]]:
        return {
            term: sorted(hit["id"] for hit in archive.db["posts"].search(term))
            for term in ("topic1", "Miller Heiman", "credibility")
        }

    def index_rows() -> int:
        return archive.db.execute("SELECT count(*) FROM posts_fts_data").fetchone()[0]

    before, rows_before = searched(), index_rows()
    assert len(before["topic1"]) == 10 and len(before["Miller Heiman"]) == 40
    archive.optimize_search()
    assert searched() == before
    assert index_rows() < rows_before
    merged = index_rows()
    archive.optimize_search()  # one segment already: nothing to merge
    assert index_rows() == merged


def test_blog_links_get_their_target_once_it_is_crawled(archive: Archive) -> None:
    page = extract_page(
        (SEED.parent.parent / "bloglist" / "blogger-bloglist" / "input.html").read_text(),
        BLOG,
    )
    archive.save_blog(
        BlogItem(url=BLOG, title="A", platform="blogger", status="ok", links=page.blog_links)
    )
    links = list(archive.db["blog_links"].rows)
    assert [link["target_blog_id"] for link in links] == [None, None]
    target = page.blog_links[0].target_url
    archive.save_blog(BlogItem(url=target, title="B", platform="blogger", status="ok"))
    linked = archive.db["blog_links"].get((blog_id_for(BLOG), target))
    assert linked["target_blog_id"] == blog_id_for(target)


def test_pages_keep_the_raw_body_compressed(archive: Archive) -> None:
    import hashlib
    import zlib

    from blogarchive.items import StoredBody

    body = (SEED / "input.html").read_bytes()
    archive.save_page(
        PageItem(
            url=SEED_URL,
            blog_url=BLOG,
            kind="post",
            status=200,
            fetched_at="2026-01-01T00:00:00+00:00",
            body=StoredBody.of(body),
        ),
        None,
    )
    row = archive.db["pages"].get(SEED_URL)
    assert zlib.decompress(row["body"]) == body
    assert len(row["body"]) < len(body)
    assert row["content_sha256"] == hashlib.sha256(body).hexdigest()


def test_unusable_database_paths_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="does not exist"):
        open_database(tmp_path / "missing" / "archive.db")
    not_sqlite = tmp_path / "notes.db"
    not_sqlite.write_text("this is not a database" * 100)
    with pytest.raises(ArchiveError, match="cannot use"):
        open_database(not_sqlite)
    with pytest.raises(ArchiveError, match="directory"):
        open_database(tmp_path)


def test_a_new_archive_takes_large_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    """New archives get PAGE_SIZE pages (several posts to a page); an archive made with
    SQLite's default 4 KiB pages opens, keeps them and its rows, and takes new ones."""
    new = Archive(open_database(tmp_path / "new.db"))
    new.save_post(seed_item())
    assert new.db.execute("PRAGMA page_size").fetchone()[0] == PAGE_SIZE
    assert new.db.journal_mode == "wal"

    old = Database(tmp_path / "old.db")
    old["notes"].insert({"text": "kept"})  # made before any archive table, in 4 KiB pages
    old.close()
    archive = Archive(open_database(tmp_path / "old.db"))
    archive.save_post(seed_item())
    assert archive.db.execute("PRAGMA page_size").fetchone()[0] == 4096
    assert list(archive.db["notes"].rows) == [{"text": "kept"}]
    assert archive.db["posts"].count == 1


def test_lines_most_posts_repeat_are_marked_boilerplate_and_kept(archive: Archive) -> None:
    item = seed_item()
    bodies = ["A first post.", "A second post.", "A third post.", "A fourth one."]
    for number, text in enumerate(bodies):
        post = dataclasses.replace(
            item.post,
            url=f"{BLOG}2010/0{number + 1}/post.html",
            content_text=f"{text}\nWould You Like A FREE BUSINESS COACHING SESSION?\nSigned, H.",
        )
        archive.save_post(dataclasses.replace(item, post=post, forms=(), comments=()))
    # one post without the promo: the lines are still in 4 of 5 posts
    lone = dataclasses.replace(item.post, url=f"{BLOG}2010/09/lone.html", content_text="Only this.")
    archive.save_post(dataclasses.replace(item, post=lone, forms=(), comments=()))
    assert archive.mark_boilerplate(blog_id_for(BLOG)) == 2
    marked = {row["text"]: row["posts"] for row in archive.db["boilerplate"].rows}
    assert marked == {"Would You Like A FREE BUSINESS COACHING SESSION?": 4, "Signed, H.": 4}
    first = archive.db["posts"].get(post_id_for(f"{BLOG}2010/01/post.html"))
    assert first["content_text_main"] == "A first post."
    assert "FREE BUSINESS COACHING SESSION" in first["content_text"]  # kept, not dropped


def test_too_few_posts_have_no_boilerplate(archive: Archive) -> None:
    archive.save_post(seed_item())
    assert archive.mark_boilerplate(blog_id_for(BLOG)) == 0
    post = archive.db["posts"].get(post_id_for(SEED_URL))
    assert post["content_text_main"] == post["content_text"]


@pytest.mark.parametrize("seed", range(5))
def test_boilerplate_in_bounded_memory_finds_what_counting_everything_finds(
    archive: Archive, seed: int
) -> None:
    # posts of random lines from a small vocabulary, some lines in most posts: the frequent-
    # items pass (a few counters) must mark exactly the lines an exact count marks
    rng = random.Random(seed)
    vocabulary = [f"line {n}" for n in range(40)]
    item = seed_item()
    texts = []
    for number in range(60):
        lines = rng.sample(vocabulary, rng.randint(0, 12))
        lines += [
            v for v, share in (("Signed, H.", 0.8), ("Subscribe!", 0.55)) if rng.random() < share
        ]
        texts.append("\n".join(lines))
        post = dataclasses.replace(
            item.post, url=f"{BLOG}2011/01/post-{number}.html", content_text=texts[-1]
        )
        archive.save_post(dataclasses.replace(item, post=post, forms=(), comments=()))
    counts = Counter(line for text in texts for line in {x for x in text.splitlines() if x})
    expected = {
        line for line, n in counts.items() if n >= max(BOILERPLATE_MIN_POSTS, 0.5 * len(texts))
    }
    archive.mark_boilerplate(blog_id_for(BLOG))
    assert {row["text"] for row in archive.db["boilerplate"].rows} == expected


def test_a_post_s_addresses_and_the_comment_count_its_feed_states(archive: Archive) -> None:
    """Issue 31: every address a post was asked for or answered at is a ``post_urls`` row (what
    the crawl's report reads to tell archived from missing); a comment feed's total fills the
    post's ``comment_count`` where its page stated none, and never overrides the page's."""
    item = seed_item()
    unstated = dataclasses.replace(
        item,
        post=dataclasses.replace(item.post, comment_count=None),
        addresses=("http://127.0.0.2:8780/?p=7", item.post.url),
    )
    archive.save_post(unstated)
    assert archive.posts_at(["http://127.0.0.2:8780/?p=7", item.post.url, "http://x/"]) == {
        "http://127.0.0.2:8780/?p=7",
        item.post.url,
    }
    archive.save_comments(CommentsItem(blog_url=item.blog_url, post_url=item.post.url,
                                       comments=(), stated=4))  # fmt: skip
    [(count,)] = archive.db.execute("SELECT comment_count FROM posts").fetchall()
    assert count == 4
    archive.save_post(item)  # its page states 0 again
    archive.save_comments(CommentsItem(blog_url=item.blog_url, post_url=item.post.url,
                                       comments=(), stated=4))  # fmt: skip
    [(count,)] = archive.db.execute("SELECT comment_count FROM posts").fetchall()
    assert count == item.post.comment_count


def test_a_page_kind_is_one_the_metadata_describes() -> None:
    import yaml

    from blogarchive.items import PAGE_KINDS

    metadata = yaml.safe_load(
        (Path(__file__).parent.parent / "blogarchive" / "datasette" / "metadata.yml").read_text()
    )
    described = metadata["databases"]["*"]["tables"]["pages"]["columns"]["kind"]
    assert all(kind in described for kind in PAGE_KINDS)
    with pytest.raises(ValueError, match="unknown page kind 'stylesheet'"):
        PageItem(url="https://a.example/style.css", blog_url="https://a.example/",
                 kind="stylesheet", status=200, fetched_at="2026-12-04T00:00:00+00:00")  # fmt: skip
