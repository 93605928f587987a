"""The crawl's capture extension on Scrapy's own objects: each downloaded response written,
where it is told to the request and to the pipeline (a signal), a repeat of the archive's last
capture written as a revisit of it, and a folder it cannot write to a logged stop, not a
crawl that fails."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from blogarchive.archive import Archive, open_database
from blogarchive.capturing import WarcCapture, captured, captured_id
from blogarchive.items import Capture
from spiders.blog import BlogSpider

URL = "http://127.0.0.2:8780/2010/03/a-post.html"
BODY = b"<html><body><p>A post.</p></body></html>"


def extension(folder: Path, db: Path | None = None) -> tuple[WarcCapture, list[Capture]]:
    settings = {"BLOGARCHIVE_WARC_DIR": str(folder), "ARCHIVE_DB": str(db) if db else None}
    crawler = get_crawler(BlogSpider, settings)
    heard: list[Capture] = []
    crawler.signals.connect(lambda capture: heard.append(capture), signal=captured, weak=False)
    return WarcCapture.from_crawler(crawler), heard


def download(capture: WarcCapture, status: int = 200, body: bytes = BODY) -> Request:
    request = Request(URL, headers={"Accept-Encoding": "gzip, deflate"})
    response = HtmlResponse(URL, status=status, body=body, request=request)
    capture.response_downloaded(response, request, None)  # type: ignore[arg-type]
    return request


def test_a_download_is_written_and_told_to_the_request_and_the_pipeline(tmp_path: Path) -> None:
    capture, heard = extension(tmp_path / "warc")
    request = download(capture)
    capture.close()
    assert heard and captured_id(request.meta) == heard[0].record_id
    assert heard[0].record_type == "response" and heard[0].url == URL
    # (no archive, as on a distributed worker: named from the folder that holds the WARC folder)
    assert heard[0].warc_file.startswith("warc/")
    assert (tmp_path / heard[0].warc_file).stat().st_size > heard[0].length


def test_a_repeat_of_the_archive_s_last_capture_is_a_revisit_of_it(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    first, heard = extension(tmp_path / "warc", db)
    download(first)
    first.close()
    archive = Archive(open_database(db))
    archive.save_capture(heard[0], None)
    archive.db.close()
    again, repeats = extension(tmp_path / "warc", db)
    download(again)  # the same payload
    download(again, status=304, body=b"")
    download(again, body=b"<html><body><p>Edited.</p></body></html>")
    again.close()
    assert [(c.record_type, c.refers_to) for c in repeats] == [
        ("revisit", heard[0].record_id),
        ("revisit", heard[0].record_id),
        ("response", None),
    ]


def test_a_folder_it_cannot_write_to_stops_the_captures_not_the_crawl(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "warc"
    blocked.write_text("a file, not a folder")
    capture, heard = extension(blocked)
    with caplog.at_level(logging.ERROR):
        request = download(capture)
        download(capture)
    assert heard == [] and captured_id(request.meta) is None
    errors = [r for r in caplog.records if "cannot write WARC files" in r.getMessage()]
    assert len(errors) == 1  # said once, then quiet
