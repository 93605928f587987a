"""``blogarchive serve``: a real Datasette server on the crawled archive, with our metadata."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.error import URLError

import pytest

from tests.conftest import CrawledArchive, blogarchive_command, free_port


@pytest.fixture(scope="module")
def datasette(crawled: CrawledArchive) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [*blogarchive_command(), "serve", "--db", str(crawled.path), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/-/versions.json", timeout=2).read()
                break
            except (URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"datasette did not start: {output}") from None
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


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

    from tests.conftest import run_cli

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
