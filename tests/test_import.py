"""``blogarchive import`` as a user runs it: the WARC files a crawl and a refresh of the demo
network wrote, imported into a new archive offline, give the crawl's rows (the same captures
named); a damaged file is reported in lines of its own, and the rest imported."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import sqlite3
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from blogarchive.demo.server import DemoNetwork
from tests.conftest import FAST, content_rows, run_cli

#: The rows the pages decide, each table's (not when a row was written or checked).
CONTENT = {
    "blogs": "id, url, title, platform, status",
    "blog_links": "source_blog_id, target_url, title, position, widget, target_home",
    "posts": "id, blog_id, url, title, author, published, updated, labels, content_html,"
    " content_text, comment_count, platform_id, extractor, content_sha256, deleted_at,"
    " capture_id",
    "post_urls": "url, post_id",
    "comments": "id, post_id, parent_id, author, author_url, published, content_html,"
    " content_text, url, platform_id, position, deleted_at, capture_id",
    "key_observations": "post_id, heading, position, text",
    "forms": "id, purpose, action, method, title, field_count, json_schema",
    "form_fields": "form_id, position, name, label, type, semantic_type, required, options,"
    " placeholder",
    "form_occurrences": "form_id, url, blog_id, post_id, capture_id",
}


def rows(db: Path) -> dict[str, list[tuple]]:
    found = content_rows(db, CONTENT)
    # a blog that never answered left no capture: the crawl's row of it is its failure's
    found["blogs"] = [row for row in found["blogs"] if row[-1] == "ok"]
    return found


@pytest.mark.parametrize("how", ["here", "2 workers", "dask"])
def test_the_warcs_of_a_crawl_and_a_refresh_import_into_the_crawl_s_rows(
    how: str, tmp_path: Path
) -> None:
    """Read in the import's own process, in two workers (a file each), or as a Dask bag of
    the files, as README "Many machines" shows: the same rows, those of the crawl."""
    crawled = tmp_path / "crawled.db"
    with DemoNetwork() as network:
        for command in (("crawl", network.start_url, "--allow-private"), ("refresh",)):
            result = run_cli(*command, "--db", str(crawled), *FAST)
            assert result.returncode == 0, result.stderr
    warcs = sorted(str(path) for path in (tmp_path / "crawled-warc").glob("*.warc.gz"))
    assert len(warcs) == 2
    imported = tmp_path / "imported.db"
    if how == "dask":
        failures = dask_import(warcs, imported)
        assert failures == []
    else:
        workers = "2" if how == "2 workers" else "0"
        result = run_cli("import", *warcs, "--db", str(imported), "--workers", workers)
        assert result.returncode == 0, result.stderr
        assert "could not be read" not in result.stdout, result.stdout
        assert "Import finished" in result.stdout and "revisits resolved" in result.stdout
    expected, got = rows(crawled), rows(imported)
    assert len(expected["posts"]) == 13 and expected["comments"]
    for table in CONTENT:
        assert got[table] == expected[table], table
    # every row names a capture the import made of the files
    with sqlite3.connect(imported) as conn:
        for table in ("posts", "comments"):
            assert conn.execute(
                f"SELECT count(*) FROM {table} WHERE capture_id IS NULL"
                " OR capture_id NOT IN (SELECT record_id FROM captures)"
            ).fetchone() == (0,), table


def dask_import(warcs: list[str], db: Path) -> list[tuple[str, int | None, str]]:
    """README "Many machines": an import whose files are read in Dask's worker processes,
    the items written here by the one writer; the failures it reports."""
    import dask.bag

    from blogarchive.archive import Archive, open_database
    from blogarchive.importing import ItemWriter, build_collection, file_items, notes_of_file

    files = dask.bag.from_sequence(warcs, npartitions=len(warcs))
    notes = files.map(notes_of_file).compute(scheduler="processes")
    collection = build_collection(db.parent / "index.sqlite", notes, base=db.parent)
    items = files.map(lambda path: list(file_items(path, collection))).flatten()
    archive = Archive(open_database(db))
    run_id = archive.start_run(warcs)
    writer = ItemWriter(archive, run_id, collection, db.parent)
    with archive.db.atomic():
        for item in items.compute(scheduler="processes"):
            writer.write(item)
        writer.finish()
    archive.end_run(run_id, "finished", {})
    archive.db.close()
    assert writer.report.files == 2 and writer.report.records > 30
    # every post the demo's feeds, sitemaps and REST answers list is archived
    assert len(writer.report.blogs) == 3
    assert all(blog["missing_count"] == 0 for blog in writer.report.blogs.values())
    return writer.report.failures


def test_a_damaged_file_is_reported_and_the_rest_imported(tmp_path: Path) -> None:
    db = tmp_path / "crawled.db"
    with DemoNetwork() as network:
        result = run_cli(
            "crawl", network.homes["wordpress"], "--db", str(db), "--depth", "0", *FAST
        )
        assert result.returncode == 0, result.stderr
    [warc] = (tmp_path / "crawled-warc").glob("*.warc.gz")
    data = bytearray(warc.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 40] = b"\x00" * 40  # a record's gzip member damaged
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(bytes(data[: len(data) - 100]))  # and the last one cut short
    notes = tmp_path / "notes.warc"
    notes.write_text("not a web archive\n")
    result = run_cli("import", str(damaged), str(notes), "--db", str(tmp_path / "new.db"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stdout.splitlines()
    failures = [line for line in lines if line.startswith("  ! ")]
    assert any("damaged gzip member" in line for line in failures), result.stdout
    assert any("cut short" in line for line in failures), result.stdout
    assert any(f"{notes} at offset 0: not a WARC file" in line for line in failures)
    with sqlite3.connect(tmp_path / "new.db") as conn:
        [(posts,)] = conn.execute("SELECT count(*) FROM posts").fetchall()
    assert posts >= 1  # the records before and after the damage


def test_a_wacz_export_validates_and_imports_into_the_crawl_s_rows(tmp_path: Path) -> None:
    """`blogarchive export --wacz` packages the captures (WARCs, CDXJ, pages of the posts,
    datapackage), checked by `wacz validate`; imported, the package gives the crawl's rows."""
    crawled = tmp_path / "crawled.db"
    with DemoNetwork() as network:
        for command in (("crawl", network.start_url, "--allow-private"), ("refresh",)):
            result = run_cli(*command, "--db", str(crawled), *FAST)
            assert result.returncode == 0, result.stderr
    package = tmp_path / "demo.wacz"
    result = run_cli("export", "--db", str(crawled), "--wacz", str(package))
    assert result.returncode == 0, result.stderr
    assert "13 pages (posts), validated" in result.stdout
    with zipfile.ZipFile(package) as wacz:
        names = set(wacz.namelist())
        lines = wacz.read("pages/pages.jsonl").decode().splitlines()
    assert {"datapackage.json", "pages/pages.jsonl"} <= names
    assert any(name.startswith("indexes/") for name in names)
    assert any(name.startswith("archive/") and name.endswith(".warc.gz") for name in names)
    pages = [json.loads(line) for line in lines[1:]]
    with sqlite3.connect(crawled) as conn:
        titles = {title for (title,) in conn.execute("SELECT title FROM posts")}
    assert {page["title"] for page in pages} == titles
    imported = tmp_path / "imported.db"
    result = run_cli("import", str(package), "--db", str(imported))
    assert result.returncode == 0, result.stderr
    assert "could not be read" not in result.stdout
    expected, got = rows(crawled), rows(imported)
    for table in CONTENT:
        assert got[table] == expected[table], table


WGET = shutil.which("wget")


@pytest.mark.skipif(WGET is None and not os.environ.get("BLOGARCHIVE_REQUIRE_NGINX"),
                    reason="no wget (apt-get install wget)")  # fmt: skip
def test_a_warc_that_wget_wrote_gives_the_crawl_s_posts_and_comments(tmp_path: Path) -> None:
    """Another tool's WARC: `wget --mirror --warc-file` of the demo network, whose answers
    come gzip-encoded and chunked (as wget stores them), gives the posts and comments the
    crawl archives."""
    crawled = tmp_path / "crawled.db"
    with DemoNetwork() as network:
        result = run_cli("crawl", network.start_url, "--db", str(crawled), "--allow-private",
                         *FAST)  # fmt: skip
        assert result.returncode == 0, result.stderr
        mirror = subprocess.run(
            [WGET or "wget", "--mirror", "--compression=auto", "--no-verbose",
             "--no-warc-keep-log", f"--warc-file={tmp_path / 'wget'}", "--directory-prefix",
             str(tmp_path / "mirror"), *network.homes.values()],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert (tmp_path / "wget.warc.gz").exists(), mirror.stderr[-2000:]
    with gzip.open(tmp_path / "wget.warc.gz") as warc:
        raw = warc.read()
    assert b"Content-Encoding: gzip" in raw and b"Transfer-Encoding: chunked" in raw
    imported = tmp_path / "imported.db"
    result = run_cli("import", str(tmp_path / "wget.warc.gz"), "--db", str(imported))
    assert result.returncode == 0, result.stderr
    assert "could not be read" not in result.stdout, result.stdout
    for table, columns in (
        ("posts", "id, url, title, author, published, labels, content_text, comment_count"),
        ("comments", "id, post_id, parent_id, author, published, content_text, position"),
        ("key_observations", "post_id, heading, position, text"),
    ):
        sql = f"SELECT {columns} FROM {table}"
        with sqlite3.connect(crawled) as one, sqlite3.connect(imported) as other:
            expected = sorted(map(instants, one.execute(sql).fetchall()), key=repr)
            got = sorted(map(instants, other.execute(sql).fetchall()), key=repr)
        assert got == expected, table


def instants(row: tuple) -> tuple:
    """A row with its dates as instants: a Blogger page shows a comment's time in UTC, its
    comment feed (which wget does not fetch) in the blog's offset; the moment is the same."""
    return tuple(
        datetime.fromisoformat(value).astimezone(UTC)
        if isinstance(value, str)
        and re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+([+-]\d\d:\d\d|Z)", value)
        else value
        for value in row
    )
