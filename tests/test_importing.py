"""WARC files read into the archive (``blogarchive.importing``), in this process: the pages of
a collection give their rows and name their captures; revisits are resolved by the record they
name or by payload digest alone; damaged files (cut short, bytes flipped, no WARC at all) are
reported failures and every readable record is still read, whatever the damage (hypothesis)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blogarchive.archive import Archive, open_database
from blogarchive.demo.server import Site
from blogarchive.demo.synthetic import synthetic_blogger
from blogarchive.importing import ImportReport, WarcImport, records_of
from blogarchive.warc import Exchange, WarcFiles
from blogarchive.warcread import ZSTD_FRAME
from tests.conftest import FIXTURES
from tests.warczst import dictionary_of, records_of_gz, train, warc_zst

HTML = (("Content-Type", "text/html; charset=UTF-8"),)


def fixture(case: str) -> tuple[str, bytes]:
    folder = FIXTURES / "post" / case
    return json.loads((folder / "meta.json").read_text())["url"], (
        folder / "input.html"
    ).read_bytes()


def collection(folder: Path) -> list[Path]:
    """A small collection: two post pages, and a revisit of the first under another address
    (ArchiveTeam's deduplication: the same payload, another URL, found by digest alone)."""
    files = WarcFiles(folder, prefix="test")
    seed_url, seed = fixture("blogger-classic-seed")
    wp_url, wp = fixture("wordpress-core")
    first = files.write(Exchange(url=seed_url, status=200, response_headers=HTML, body=seed))
    files.write(Exchange(url=wp_url, status=200, response_headers=HTML, body=wp))
    moved = seed_url.replace(".html", "-copy.html")
    same = files.write(Exchange(url=moved, status=200, response_headers=HTML, body=seed), first)
    assert same.record_type == "revisit"
    files.close()
    return sorted(folder.glob("*.warc.gz"))


def imported(paths: list[Path], db: Path) -> tuple[ImportReport, sqlite3.Connection]:
    archive = Archive(open_database(db))
    run_id = archive.start_run([str(path) for path in paths])
    report = WarcImport(archive, run_id).run(paths)
    archive.end_run(run_id, "finished", {})
    archive.db.close()
    return report, sqlite3.connect(db)


def test_a_collection_gives_its_posts_each_naming_its_capture(tmp_path: Path) -> None:
    paths = collection(tmp_path / "warc")
    report, conn = imported(paths, tmp_path / "archive.db")
    assert report.failures == [] and report.revisits == 1
    seed_url, _ = fixture("blogger-classic-seed")
    wp_url, _ = fixture("wordpress-core")
    posts = dict(conn.execute("SELECT url, capture_id FROM posts").fetchall())
    assert set(posts) == {seed_url, wp_url}
    captures = dict(conn.execute("SELECT record_id, url FROM captures").fetchall())
    assert captures[posts[wp_url]] == wp_url
    # the revisit under another address is the seed post again: that address leads to it
    moved = seed_url.replace(".html", "-copy.html")
    assert captures[posts[seed_url]] == moved  # (its last capture)
    assert conn.execute("SELECT post_id FROM post_urls WHERE url = ?", [moved]).fetchone()
    (observations,) = conn.execute("SELECT count(*) FROM key_observations").fetchone()
    assert observations >= 3


def test_a_post_a_route_lists_but_the_files_lack_is_reported_missing(tmp_path: Path) -> None:
    """Nothing lost silently: the posts a WordPress REST answer lists are archived, or named
    missing with the reason (here, no capture of it in the files)."""
    files = WarcFiles(tmp_path / "warc")
    url, body = fixture("wordpress-core")
    lost = url.rstrip("/") + "-lost/"
    home = url.split("/", 3)[:3]
    rest = "/".join(home) + "/wp-json/wp/v2/posts?per_page=100&page=1"
    listing = json.dumps([{"link": url}, {"link": lost}]).encode()
    files.write(Exchange(url=url, status=200, response_headers=HTML, body=body))
    json_type = (("Content-Type", "application/json"),)
    files.write(Exchange(url=rest, status=200, response_headers=json_type, body=listing))
    files.close()
    report, conn = imported(sorted((tmp_path / "warc").glob("*.warc.gz")), tmp_path / "a.db")
    [(blog, figures)] = report.blogs.items()
    assert blog == "/".join(home) + "/"
    assert figures["found"] == {"rest": 2} and figures["archived"] == 1
    assert figures["missing"] == [
        {"url": lost, "reason": "not in the files imported (no capture of it)"}
    ]
    assert conn.execute("SELECT url FROM posts").fetchall() == [(url,)]


def test_the_comments_of_a_post_the_files_lack_are_reported(tmp_path: Path) -> None:
    """A comment feed whose post page is not in the files: its comments are reported, not
    dropped without a word."""
    blog = synthetic_blogger("t", posts=1, comments={0: 2})
    home = "http://127.0.0.9:8000/"
    feed = f"{home}feeds/9000000000/comments/default"
    answer = Site(blog, home, {"t": home}, {"t": blog}).route(urlsplit(feed).path, {})
    files = WarcFiles(tmp_path / "warc")
    headers = (("Content-Type", answer.content_type),)
    files.write(Exchange(url=feed, status=200, response_headers=headers, body=answer.body))
    files.close()
    report, conn = imported(sorted((tmp_path / "warc").glob("*.warc.gz")), tmp_path / "a.db")
    [(where, offset, why)] = report.failures
    assert (where, offset) == (feed, None)
    assert why.startswith("2 comments of ") and why.endswith(", which is not archived"), why
    assert conn.execute("SELECT count(*) FROM comments").fetchone() == (0,)


def test_a_revisit_whose_original_is_missing_is_reported(tmp_path: Path) -> None:
    files = WarcFiles(tmp_path / "warc")
    url, body = fixture("wordpress-core")
    original = files.write(Exchange(url=url, status=200, response_headers=HTML, body=body))
    files.close()
    first = sorted((tmp_path / "warc").glob("*.warc.gz"))
    again = WarcFiles(tmp_path / "revisits", prefix="later")
    again.write(Exchange(url=url, status=200, response_headers=HTML, body=body), original)
    again.close()
    alone = sorted((tmp_path / "revisits").glob("*.warc.gz"))
    report, conn = imported(alone, tmp_path / "archive.db")
    assert [why for _, _, why in report.failures] == [
        f"{url}: a revisit of a record not in the import"
    ]
    assert conn.execute("SELECT count(*) FROM posts").fetchone() == (0,)
    report, conn = imported([*first, *alone], tmp_path / "both.db")
    assert report.failures == [] and report.revisits == 1


def test_a_file_that_is_no_warc_is_a_reported_failure(tmp_path: Path) -> None:
    notes = tmp_path / "notes.warc.gz"
    notes.write_bytes(b"these are my notes, not a web archive\n" * 50)
    report, _ = imported([notes], tmp_path / "archive.db")
    assert report.records == 0 and len(report.failures) == 1
    where, offset, _ = report.failures[0]
    assert (where, offset) == (str(notes), 0)


def test_a_warc_zst_imports_as_the_same_records_gzipped(tmp_path: Path) -> None:
    """A ``.warc.zst`` with its dictionary (trained, stored compressed or not) or none gives
    the rows the same records give gzipped: revisits resolved within it, each capture at the
    offset of its zstd frame. The ``zstd`` tool reads the file back to the same records, so
    the file read is a standard one, not just one this project's reader agrees with."""
    paths = collection(tmp_path / "warc")
    records = records_of_gz(paths[0])
    dictionary = train(records)
    expected_report, expected = imported(paths, tmp_path / "gz.db")
    for name, data in (
        ("dict", warc_zst(records, dictionary)),
        ("compressed-dict", warc_zst(records, dictionary, compress_dictionary=True)),
        ("no-dict", warc_zst(records)),
    ):
        path = tmp_path / f"{name}.warc.zst"
        path.write_bytes(data)
        report, conn = imported([path], tmp_path / f"{name}.db")
        assert report.failures == [], name
        assert (report.records, report.revisits) == (expected_report.records, 1)
        for sql in (
            "SELECT url, title, capture_id, content_text FROM posts ORDER BY url",
            "SELECT record_id, url, payload_digest, status, refers_to FROM captures ORDER BY 1",
            "SELECT text FROM key_observations ORDER BY 1",
        ):
            assert conn.execute(sql).fetchall() == expected.execute(sql).fetchall(), sql
        for (offset,) in conn.execute("SELECT offset FROM captures"):
            assert data[offset : offset + 4] == ZSTD_FRAME
        if shutil.which("zstd") and name != "no-dict":
            (tmp_path / "dictionary").write_bytes(dictionary_of(data))
            plain = subprocess.run(
                ["zstd", "-d", "-c", "-D", str(tmp_path / "dictionary"), str(path)],
                capture_output=True,
                check=True,
            ).stdout
            assert plain == b"".join(records)


def test_a_warc_zst_without_zstandard_is_a_one_line_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = records_of_gz(collection(tmp_path / "warc")[0])
    path = tmp_path / "collection.warc.zst"
    path.write_bytes(warc_zst(records, train(records)))
    monkeypatch.setitem(sys.modules, "zstandard", None)  # (as where the extra is not installed)
    report, conn = imported([path], tmp_path / "archive.db")
    assert report.failures == [
        (
            str(path),
            0,
            "a .warc.zst file: reading it needs the zstandard package"
            " (pip install 'blogarchive[zst]')",
        )
    ]
    assert conn.execute("SELECT count(*) FROM captures").fetchone() == (0,)


def test_a_response_whose_status_line_is_damaged_is_reported(tmp_path: Path) -> None:
    """(A case the damage test found: a byte flipped in a status line raised.)"""
    [path] = collection(tmp_path / "warc")
    plain = gzip.decompress(path.read_bytes())
    damaged = tmp_path / "damaged.warc"
    damaged.write_bytes(plain.replace(b"HTTP/1.1 200 OK", b"HTTP/1.1 200!OK", 1))
    report, conn = imported([damaged], tmp_path / "archive.db")
    # the record, and the revisit that repeats it under another address
    assert len(report.failures) == 2
    for where, offset, why in report.failures:
        assert where == str(damaged) and offset is not None
        assert why.endswith("a damaged HTTP status line ('200!OK')"), why
    wp_url, _ = fixture("wordpress-core")
    assert conn.execute("SELECT url FROM posts").fetchall() == [(wp_url,)]  # the other


#: The collection the damage test damages, made once (hypothesis draws offsets into its bytes,
#: which must be the same in every example): gzip-compressed, plain, and zstd with a dictionary.
UNDAMAGED: dict[str, tuple[bytes, list[tuple[int, int, str]]]] = {}
SUFFIXES = {"gz": ".warc.gz", "plain": ".warc", "zst": ".warc.zst"}


def undamaged(tmp_path_factory: object, kind: str) -> tuple[bytes, list[tuple[int, int, str]]]:
    if not UNDAMAGED:
        folder = tmp_path_factory.mktemp("undamaged")  # type: ignore[attr-defined]
        [path] = collection(folder)
        records = records_of_gz(path)
        for each, data in (
            ("gz", path.read_bytes()),
            ("plain", gzip.decompress(path.read_bytes())),
            ("zst", warc_zst(records, train(records))),
        ):
            stream = folder / f"whole{SUFFIXES[each]}"
            stream.write_bytes(data)
            with stream.open("rb") as opened:
                found = [
                    (c.offset, c.length, c.record.rec_headers.get_header("WARC-Record-ID"))
                    for c in records_of(str(stream), opened, ImportReport())
                    if c.record.rec_type == "response"
                ]
            UNDAMAGED[each] = data, found
    return UNDAMAGED[kind]


#: Examples of damage a run tries (more for a deeper run outside CI).
DAMAGE_EXAMPLES = int(os.environ.get("BLOGARCHIVE_DAMAGE_EXAMPLES", "60"))


@settings(max_examples=DAMAGE_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_damage_is_reported_and_every_intact_record_still_read(
    tmp_path_factory: object, data: st.DataObject
) -> None:
    """Bytes flipped and the file cut at random: the import never raises, says where it could
    not read, and reads every response record whose bytes the damage left whole (in a
    ``.warc.zst``, with the dictionary every frame needs)."""
    folder = tmp_path_factory.mktemp("damaged")  # type: ignore[attr-defined]
    kind = data.draw(st.sampled_from(sorted(SUFFIXES)))
    whole, records = undamaged(tmp_path_factory, kind)
    path = folder / f"collection{SUFFIXES[kind]}"
    damaged = bytearray(whole)
    for _ in range(data.draw(st.integers(0, 6))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] ^= data.draw(st.integers(1, 255))
    if data.draw(st.booleans()):
        damaged = damaged[: data.draw(st.integers(0, len(damaged)))]
    path.write_bytes(bytes(damaged))
    report, conn = imported([path], folder / "archive.db")  # never raises
    captured = {record_id for (record_id,) in conn.execute("SELECT record_id FROM captures")}
    needed = records[0][0] if kind == "zst" else 0  # (the dictionary frame before the first)
    if damaged[:needed] != whole[:needed]:
        return  # (no record can be said whole without it; what it still decodes, checksums vouch)
    intact = {
        record_id
        for offset, length, record_id in records
        if damaged[offset : offset + length] == whole[offset : offset + length]
    }
    assert intact <= captured, report.failures
