"""``blogarchive serve``: a real Datasette server on the crawled archive, with our metadata."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CrawledArchive, run_cli, seed_capture, serving


@pytest.fixture(scope="module")
def datasette(crawled: CrawledArchive) -> Iterator[str]:
    with serving(crawled.path) as base:
        yield base


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def test_metadata_is_served(datasette: str) -> None:
    metadata = get_json(f"{datasette}/-/metadata.json")
    assert metadata["title"] == "blogarchive"
    posts = metadata["databases"]["archive"]["tables"]["posts"]
    assert posts["columns"]["comment_count"] == "The number of comments the page states."


def test_search_finds_the_seed_post(datasette: str) -> None:
    data = get_json(f"{datasette}/archive/posts.json?_search=Miller+Heiman&_shape=objects")
    titles = {row["title"] for row in data["rows"]}
    assert "Miller Heiman: Round Table Discussions Part 2" in titles


@pytest.mark.parametrize("table", ["posts", "comments", "key_observations"])
def test_searchable_tables_list_rows_in_archive_order_and_page_through_them(
    crawled: CrawledArchive, datasette: str, table: str
) -> None:
    """Searchable tables list rows in the order they were first archived, not by their hashed
    ids: a search matching every row then reads only the page it shows."""
    import sqlite3

    with sqlite3.connect(crawled.path) as db:
        archived = [row[0] for row in db.execute(f"SELECT id FROM {table} ORDER BY rowid")]
    assert len(archived) > 3 and archived != sorted(archived)
    seen: list[str] = []
    url = f"{datasette}/archive/{table}.json?_shape=objects&_size=3&_nofacet=1"
    while url:
        data = get_json(url)
        seen.extend(row["id"] for row in data["rows"])
        url = data["next_url"]
    assert seen == archived


def test_table_page_shows_descriptions(datasette: str) -> None:
    with urllib.request.urlopen(f"{datasette}/archive/key_observations", timeout=10) as response:
        html = response.read().decode()
    assert "Key Observations" in html
    assert "Items of &#34;Key Observations&#34;" in html or 'Items of "Key Observations"' in html


def test_publish_writes_a_checkpointed_copy_and_its_metadata(
    crawled: CrawledArchive, tmp_path: Path
) -> None:
    import shutil
    import sqlite3

    db = tmp_path / "archive.db"
    shutil.copy(crawled.path, db)
    result = run_cli("publish", "--db", str(db), "--out", str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    assert (
        "datasette publish cloudrun" in result.stdout and "--install blogarchive" in result.stdout
    )
    metadata = json.loads((tmp_path / "site" / "metadata.json").read_text())
    assert "posts" in metadata["databases"]["archive"]["tables"]
    with sqlite3.connect(f"file:{tmp_path / 'site' / 'archive.db'}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT count(*) FROM posts").fetchone()[0] == 13


def test_the_archive_is_read_through_a_memory_map(tmp_path: Path) -> None:
    """Searches that match most posts read every matching row: through a memory map, not
    SQLite's small page cache (bench/RESULTS.md has the latency it saves)."""
    import asyncio

    from datasette.app import Datasette

    from blogarchive.archive import open_database
    from blogarchive.datasette.plugin import MMAP_BYTES

    path = tmp_path / "archive.db"
    open_database(path).conn.close()
    datasette = Datasette([str(path)])

    async def mmap_size() -> int:
        return (await datasette.get_database("archive").execute("PRAGMA mmap_size")).first()[0]

    assert asyncio.run(mmap_size()) == MMAP_BYTES >= 256 << 20  # archives run to hundreds of MB


def test_the_security_headers_and_the_language_hold_under_a_base_url(
    crawled: CrawledArchive,
) -> None:
    with serving(crawled.path, base_url="/published") as base:
        assert base.endswith("/published")
        with urllib.request.urlopen(f"{base}/archive/posts", timeout=10) as response:
            page = response.read()
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            assert int(response.headers["Content-Length"]) == len(page)
        assert page.lstrip().startswith(b'<!DOCTYPE html>\n<html lang="en">')
        assert b'href="/published/archive/posts' in page
        landing = get_page(f"{base}/")
        assert 'action="/published/-/search"' in landing and 'href="/-/' not in landing
        assert search_results(base, "Miller Heiman")["posts"]


def test_a_post_page_says_when_it_was_captured_and_links_the_replay(
    crawled: CrawledArchive,
) -> None:
    """Each post page names the capture its text was read from (its date and WARC record),
    and with --replay-url links it where `blogarchive replay` serves it."""
    title = "Miller Heiman: Round Table Discussions Part 2"
    url, timestamp = seed_capture(crawled.path, title)
    with sqlite3.connect(crawled.path) as conn:
        [(post_id, record_id)] = conn.execute(
            "SELECT p.id, c.record_id FROM posts p JOIN captures c ON c.timestamp = ?"
            " AND c.url = ? WHERE p.title = ?",
            [timestamp, url, title],
        ).fetchall()
    replay = "http://127.0.0.1:8080/blogarchive/"
    with serving(crawled.path, "/", "--replay-url", replay) as base:
        page = urllib.request.urlopen(f"{base}/-/post/{post_id}", timeout=10).read().decode()
    stamp = re.sub(r"\D", "", timestamp)[:14]
    assert f'captured <time datetime="{timestamp}"' in page
    assert f'href="{replay}{stamp}/{url}"' in page
    assert html.escape(record_id) in page


def get_page(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def test_the_landing_page_says_what_the_archive_holds(
    crawled: CrawledArchive, datasette: str
) -> None:
    """Its counts are the archive's (comments less those deleted on the site)."""
    page = get_page(f"{datasette}/")
    shown = {
        table: int(count.replace(",", ""))
        for table, count in re.findall(r'data-table="(\w+)">([\d,]+)<', page)
    }
    with sqlite3.connect(crawled.path) as db:
        counted = {
            table: db.execute(f"SELECT count(*) FROM {table}{where}").fetchone()[0]
            for table, where in (
                ("blogs", ""), ("posts", ""), ("comments", " WHERE deleted_at IS NULL"),
                ("key_observations", ""), ("forms", ""),
            )
        }  # fmt: skip
        [(latest,)] = db.execute("SELECT title FROM posts ORDER BY published DESC LIMIT 1")
    assert shown == counted and all(counted.values())
    assert 'action="/-/search"' in page and html.escape(latest) in page
    assert 'href="/archive"' in page  # every table, one click away
    assert '<div class="ba-network"><svg' in page


def test_the_front_door_is_there_under_plain_datasette_too(crawled: CrawledArchive) -> None:
    """``datasette archive.db``, without blogarchive's metadata or options: the plugin's
    index and search still read the archive."""
    import asyncio

    from datasette.app import Datasette

    async def pages() -> list[str]:
        datasette = Datasette([str(crawled.path)])
        paths = ("/", "/-/search?q=Miller+Heiman", "/-/posts.atom")
        return [(await datasette.client.get(path)).text for path in paths]

    front, found, feed = asyncio.run(pages())
    assert 'data-table="posts">13<' in front
    assert "Miller Heiman: Round Table Discussions Part 2" in found
    assert feed.count("<entry>") == 13


def search_results(base: str, words: str) -> dict[str, list[str]]:
    """The post ids each kind of result links to, in order, for a search of ``words``."""
    page = get_page(f"{base}/-/search?q={urllib.parse.quote_plus(words)}")
    sections = re.findall(r'data-kind="(\w+)">(.*?)</section>', page, flags=re.S)
    return {
        kind: re.findall(r'href="[^"]*/-/post/([0-9a-f]{16})"', body) for kind, body in sections
    }


def test_one_search_finds_posts_comments_and_key_observations(
    crawled: CrawledArchive, datasette: str
) -> None:
    with sqlite3.connect(crawled.path) as db:
        [(seed,)] = db.execute(
            "SELECT id FROM posts WHERE title = 'Miller Heiman: Round Table Discussions Part 2'"
        )
        posts_text = " ".join(
            t for (t,) in db.execute("SELECT title || ' ' || content_text FROM posts")
        )
        comments = db.execute("SELECT post_id, content_text FROM comments").fetchall()
        observations = db.execute("SELECT post_id, text FROM key_observations").fetchall()
    # the post that names the words most comes first
    assert search_results(datasette, "Miller Heiman")["posts"][0] == seed
    in_posts = set(re.findall(r"[a-z]{6,}", posts_text.lower()))
    word, post = next(
        (w, post)
        for post, text in comments
        for w in re.findall(r"[a-z]{6,}", text.lower())
        if w not in in_posts
    )
    found = search_results(datasette, word)
    assert post in found["comments"] and not found["posts"], word
    post, text = observations[0]
    word = max(re.findall(r"[a-z]{6,}", text.lower()), key=len)
    assert post in search_results(datasette, word)["key_observations"], word


@pytest.mark.parametrize("words", ['"', "*", "NEAR(", "<script>", "AND OR"])
def test_a_search_of_odd_words_is_an_answer_not_an_error(datasette: str, words: str) -> None:
    page = get_page(f"{datasette}/-/search?q={urllib.parse.quote_plus(words)}")
    assert 'data-kind="posts"' in page
    # the words are shown escaped: no more scripts than the page has of its own
    assert page.count("<script") == get_page(f"{datasette}/-/search").count("<script")


def test_the_tables_come_in_reading_order_and_raw_pages_stay_off_the_list(datasette: str) -> None:
    page = get_page(f"{datasette}/archive")
    listed = re.findall(r'<h3><a href="/archive/(\w+)"', page)
    assert listed[:5] == ["posts", "comments", "key_observations", "blogs", "forms"]
    assert "pages" not in listed and not [name for name in listed if "_fts" in name]
    assert get_json(f"{datasette}/archive/pages.json?_size=1")["rows"]  # (still queryable)


def test_a_blog_page_lists_its_posts_labels_forms_and_network(
    crawled: CrawledArchive, datasette: str
) -> None:
    with sqlite3.connect(crawled.path) as db:
        [(blog_id,)] = db.execute(
            "SELECT id FROM blogs WHERE title = 'The Howard Group Sales Coaching Blog'"
        )
        newest_first = [
            post_id
            for (post_id,) in db.execute(
                "SELECT id FROM posts WHERE blog_id = ? ORDER BY published DESC", [blog_id]
            )
        ]
        listed = {t for (t,) in db.execute(
            "SELECT target_blog_id FROM blog_links WHERE source_blog_id = ?"
            " AND target_blog_id IS NOT NULL", [blog_id],
        )}  # fmt: skip
    page = get_page(f"{datasette}/-/blog/{blog_id}")
    posts = re.search(r'<ol class="ba-blog-posts".*?</ol>', page, flags=re.S)
    assert posts is not None
    assert re.findall(r"/-/post/([0-9a-f]{16})", posts.group(0)) == newest_first
    assert "labels__arraycontains=Coaching" in page and "/-/form/" in page
    lists = re.search(r'<ul class="ba-lists">.*?</ul>', page, flags=re.S)
    assert lists is not None
    assert set(re.findall(r"/-/blog/([0-9a-f]{16})", lists.group(0))) == listed


@pytest.mark.parametrize("which", ["archive", "blog"])
def test_the_atom_feeds_of_newly_archived_posts_are_atom(
    crawled: CrawledArchive, datasette: str, which: str
) -> None:
    import feedparser

    with sqlite3.connect(crawled.path) as db:
        [(blog_id,)] = db.execute("SELECT blog_id FROM posts LIMIT 1")
        where = "WHERE blog_id = ?" if which == "blog" else "WHERE ? IS NOT NULL"
        expected = [
            url
            for (url,) in db.execute(
                f"SELECT url FROM posts {where} ORDER BY first_seen DESC, rowid DESC", [blog_id]
            )
        ]
    path = f"/-/blog/{blog_id}/posts.atom" if which == "blog" else "/-/posts.atom"
    with urllib.request.urlopen(f"{datasette}{path}", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/atom+xml")
        feed = feedparser.parse(response.read())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert [entry.id for entry in feed.entries] == expected[:50]
    assert all(entry.link.startswith(f"{datasette}/-/post/") for entry in feed.entries)
    assert 'type="application/atom+xml"' in get_page(f"{datasette}/")
