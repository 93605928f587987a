"""The command line's answers that need no crawl and no server, through Click's ``CliRunner``
in this process: one-line errors and exit codes for bad input, ``extract`` on a saved page.
(A crawl, ``serve`` and the demo run as a user runs them, in processes of their own:
``tests/test_cli.py``.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from blogarchive.archive import Archive, open_database
from blogarchive.cli import cli
from blogarchive.items import BlogItem
from tests.conftest import FIXTURES


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def assert_one_line_error(result: Result, fragment: str) -> None:
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error:") and fragment in lines[0]


@pytest.mark.parametrize("url", ["ftp://example.org/", "example.org", "javascript:alert(1)"])
def test_crawl_rejects_urls_that_are_not_http(url: str, tmp_path: Path) -> None:
    result = run("crawl", url, "--db", str(tmp_path / "a.db"))
    assert_one_line_error(result, "not an http(s) URL")
    assert not (tmp_path / "a.db").exists()


def test_crawl_rejects_a_database_in_a_missing_folder(tmp_path: Path) -> None:
    result = run("crawl", "http://127.0.0.1:9/", "--db", str(tmp_path / "no" / "such" / "a.db"))
    assert_one_line_error(result, "does not exist")


def test_crawl_rejects_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("not sqlite at all " * 200)
    result = run("crawl", "http://127.0.0.1:9/", "--db", str(notes))
    assert_one_line_error(result, "cannot use")
    assert notes.read_text().startswith("not sqlite")  # left as it was


def test_crawl_rejects_a_malformed_setting(tmp_path: Path) -> None:
    result = run("crawl", "http://127.0.0.1:9/", "--db", str(tmp_path / "a.db"), "-s", "NOEQUALS")
    assert_one_line_error(result, "NAME=VALUE")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("BLOGARCHIVE_DEPTH=two", "BLOGARCHIVE_DEPTH expects a whole number, got 'two'"),
        ("BLOGARCHIVE_MAX_PAGES_PER_BLOG=1.5", "expects a whole number, got '1.5'"),
        ("DOWNLOAD_DELAY=soon", "DOWNLOAD_DELAY expects a number, got 'soon'"),
        ("ROBOTSTXT_OBEY=maybe", "expects true, false, 1 or 0, got 'maybe'"),
        ("BLOGARCHIVE_EXTRACT_PROCESSES=many", "a number of processes or 'auto', got 'many'"),
        ("BLOGARCHIVE_EXTRACT_PROCESSES=-1", "a number of processes or 'auto', got '-1'"),
    ],
)
def test_crawl_rejects_a_setting_value_it_cannot_take(
    setting: str, message: str, tmp_path: Path
) -> None:
    """A value the setting cannot take stops the crawl before it starts, in one line (Scrapy
    would raise it from inside the crawl, as a traceback)."""
    db = tmp_path / "a.db"
    result = run("crawl", "http://127.0.0.1:9/", "--db", str(db), "-s", setting)
    assert_one_line_error(result, message)
    assert not db.exists()


def test_extract_prints_the_page_as_json() -> None:
    case = FIXTURES / "post" / "blogger-classic-seed"
    url = json.loads((case / "meta.json").read_text())["url"]
    result = run("extract", str(case / "input.html"), "--url", url)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["platform"] == "blogger"
    assert data["post"]["title"] == "Miller Heiman: Round Table Discussions Part 2"
    assert [o["position"] for o in data["key_observations"]] == [1, 2, 3]
    coaching = next(f for f in data["forms"] if f["purpose"] == "contact")
    assert coaching["field_count"] == 13
    assert coaching["json_schema"]["title"] == "Do You Need One Of Our Coaches?"
    assert [link["title"] for link in data["blog_links"]] == [
        "Field Notes on Coaching",
        "Open Sales Notebook",
    ]
    assert data["comments"] == []


def test_extract_rejects_a_missing_file(tmp_path: Path) -> None:
    result = run("extract", str(tmp_path / "nope.html"), "--url", "https://example.org/")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_serve_refuses_a_missing_archive(tmp_path: Path) -> None:
    assert_one_line_error(run("serve", "--db", str(tmp_path / "none.db")), "no archive")


def test_a_base_url_that_is_no_path_is_refused_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    open_database(db).close()
    result = run("serve", "--db", str(db), "--base-url", "https://example.org/a/")
    assert_one_line_error(result, "expects a path such as /archive/")


def test_a_warc_folder_that_cannot_be_made_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file")
    result = run(
        "crawl", "http://127.0.0.1:9/", "--db", str(tmp_path / "a.db"),
        "--warc-dir", str(tmp_path / "taken"),
    )  # fmt: skip
    assert_one_line_error(result, "cannot keep WARC files in")


def test_replay_without_pywb_says_how_to_install_it_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    open_database(db).close()
    result = run("replay", "--db", str(db), "--pywb", str(tmp_path / "nowhere"))
    assert_one_line_error(result, "install pywb in a virtualenv of its own")


def test_export_of_an_archive_without_captures_is_refused_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    open_database(db).close()
    result = run("export", "--db", str(db), "--wacz", str(tmp_path / "out.wacz"))
    assert_one_line_error(result, "names no WARC file that is there")
    assert not (tmp_path / "out.wacz").exists()


def test_import_of_a_missing_file_is_refused_in_one_line(tmp_path: Path) -> None:
    result = run("import", str(tmp_path / "none.warc.gz"), "--db", str(tmp_path / "a.db"))
    assert_one_line_error(result, "no such file")
    assert not (tmp_path / "a.db").exists()


def test_from_the_feeds_is_refused_for_a_distributed_crawl_or_refresh_in_one_line(
    tmp_path: Path,
) -> None:
    """Workers read post pages: ``--from-feeds`` with ``--redis`` is said, not ignored."""
    db = tmp_path / "archive.db"
    archive = Archive(open_database(db))
    archive.save_blog(BlogItem(url="http://127.0.0.9/", title="A", platform="blogger", status="ok"))
    archive.db.close()
    redis = ("--redis", "redis://127.0.0.1:9/0", "--from-feeds")
    result = run("crawl", "http://127.0.0.9/", *redis)
    assert_one_line_error(result, "--from-feeds is not available for a distributed crawl")
    result = run("refresh", "--db", str(db), *redis)
    assert_one_line_error(result, "--from-feeds is not available for a distributed refresh")
