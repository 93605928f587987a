"""WARC files read into the archive (``blogarchive.importing``), in this process: the pages of
a collection give their rows and name their captures; revisits are resolved by the record they
name or by payload digest alone; damaged files (cut short, bytes flipped, no WARC at all) are
reported failures and every readable record is still read, whatever the damage (hypothesis)."""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blogarchive.archive import Archive, open_database
from blogarchive.importing import ImportReport, WarcImport, records_of
from blogarchive.warc import Exchange, WarcFiles
from tests.conftest import FIXTURES

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


#: The collection the damage test damages, made once (hypothesis draws offsets into its bytes,
#: which must be the same in every example): gzip-compressed, and plain.
UNDAMAGED: dict[bool, tuple[bytes, list[tuple[int, int, str]]]] = {}


def undamaged(tmp_path_factory: object, plain: bool) -> tuple[bytes, list[tuple[int, int, str]]]:
    if not UNDAMAGED:
        folder = tmp_path_factory.mktemp("undamaged")  # type: ignore[attr-defined]
        [path] = collection(folder)
        for is_plain, data in (
            (False, path.read_bytes()),
            (True, gzip.decompress(path.read_bytes())),
        ):
            records = [
                (c.offset, c.length, c.record.rec_headers.get_header("WARC-Record-ID"))
                for c in records_of("x", io.BytesIO(data), ImportReport())
                if c.record.rec_type == "response"
            ]
            UNDAMAGED[is_plain] = data, records
    return UNDAMAGED[plain]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_damage_is_reported_and_every_intact_record_still_read(
    tmp_path_factory: object, data: st.DataObject
) -> None:
    """Bytes flipped and the file cut at random: the import never raises, says where it could
    not read, and reads every response record whose bytes the damage left whole."""
    folder = tmp_path_factory.mktemp("damaged")  # type: ignore[attr-defined]
    plain = data.draw(st.booleans())
    whole, records = undamaged(tmp_path_factory, plain)
    path = folder / ("collection.warc" if plain else "collection.warc.gz")
    damaged = bytearray(whole)
    for _ in range(data.draw(st.integers(0, 6))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] ^= data.draw(st.integers(1, 255))
    if data.draw(st.booleans()):
        damaged = damaged[: data.draw(st.integers(0, len(damaged)))]
    path.write_bytes(bytes(damaged))
    report, conn = imported([path], folder / "archive.db")  # never raises
    captured = {record_id for (record_id,) in conn.execute("SELECT record_id FROM captures")}
    intact = {
        record_id
        for offset, length, record_id in records
        if damaged[offset : offset + length] == whole[offset : offset + length]
    }
    assert intact <= captured, report.failures
