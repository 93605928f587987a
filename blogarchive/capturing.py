"""The crawl's captures: every response it downloads, kept as WARC records
(:mod:`blogarchive.warc`) beside the archive, with where each is kept told to the spider.

A Scrapy extension on the ``response_downloaded`` signal, which comes before any downloader
middleware's answer: the body is still as the server encoded it (Scrapy's
``HttpCompressionMiddleware`` decodes it later), and a 304 is still a 304 (the revalidation
middleware answers it with the archived page later). The capture rides in the request's
``meta["capture"]`` to the spider, whose items name it, and from them into the ``captures``
table.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from blogarchive import __version__
from blogarchive.items import Capture
from blogarchive.reader import ArchiveReader
from blogarchive.warc import DEFAULT_MAX_SIZE, Exchange, WarcFiles, header_pairs

logger = logging.getLogger(__name__)

#: Sent with ``capture`` (a :class:`~blogarchive.items.Capture`) once a response is written:
#: the archive's pipeline records it.
captured = object()


def captured_id(meta: dict[str, Any]) -> str | None:
    """The record id of the capture of the response to a request (``meta``), if it was kept."""
    capture = meta.get("capture")
    return capture.record_id if isinstance(capture, Capture) else None


def default_warc_dir(db: str | Path) -> Path:
    """Where a crawl of the archive ``db`` keeps its WARC files unless told otherwise: a folder
    beside it, named after it (``archive.db``: ``archive-warc/``)."""
    db = Path(db)
    return db.with_name(f"{db.stem}-warc")


def exchange_of(response: Response, request: Request) -> Exchange:
    """What the crawl sent and received, as :mod:`blogarchive.warc` writes it."""
    ip = getattr(response, "ip_address", None)
    return Exchange(
        url=response.url,
        method=request.method,
        request_headers=header_pairs(request.headers.items()),
        protocol=getattr(response, "protocol", None) or "HTTP/1.1",
        status=response.status,
        response_headers=header_pairs(response.headers.items()),
        body=response.body,
        ip_address=str(ip) if ip is not None else None,
        truncated="dataloss" in response.flags,
    )


class WarcCapture:
    """Writes each downloaded response and its request into the WARC files of
    ``BLOGARCHIVE_WARC_DIR`` (none: no captures), a new file each ``BLOGARCHIVE_WARC_MAX_SIZE``
    bytes. A response that repeats the archive's last capture of its URL (a 304, or the same
    payload) is a ``revisit`` record that refers to it."""

    def __init__(
        self,
        crawler: Crawler,
        folder: str,
        max_size: int,
        archive: str | None,
        prefix: str = "blogarchive",
    ) -> None:
        self.crawler = crawler
        self.files = WarcFiles(
            folder,
            prefix=prefix,
            max_size=max_size,
            info={"software": f"blogarchive/{__version__}", "format": "WARC File Format 1.1"},
            # (a distributed worker has no archive: its files are named from the folder that
            # holds its WARC folder, which goes beside the archive)
            base=Path(archive).absolute().parent if archive else Path(folder).absolute().parent,
        )
        self.archive = archive
        self._reader: ArchiveReader | None = None
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCapture:
        settings = crawler.settings
        folder = settings.get("BLOGARCHIVE_WARC_DIR")
        if not folder:
            raise NotConfigured
        capture = cls(
            crawler,
            folder,
            settings.getint("BLOGARCHIVE_WARC_MAX_SIZE", DEFAULT_MAX_SIZE),
            settings.get("ARCHIVE_DB"),
            settings.get("BLOGARCHIVE_WARC_PREFIX", "blogarchive"),
        )
        crawler.signals.connect(capture.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(capture.close, signal=signals.engine_stopped)
        return capture

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        if self.failed:
            return
        try:
            capture = self.files.write(exchange_of(response, request), self.previous(response.url))
        except OSError as error:  # a full disk, a folder gone: the crawl goes on without
            self.failed = True
            logger.error("cannot write WARC files in %s (%s): no more captures this run",
                         self.files.folder, error)  # fmt: skip
            if self.crawler.stats is not None:
                self.crawler.stats.set_value("blogarchive/warc_error", str(error))
            return
        request.meta["capture"] = capture
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("blogarchive/captures")
            if capture.record_type == "revisit":
                stats.inc_value("blogarchive/revisits")
            stats.set_value("blogarchive/warc_dir", str(self.files.folder))
        self.crawler.signals.send_catch_log(captured, capture=capture)

    def previous(self, url: str) -> Capture | None:
        """The archive's last capture of ``url`` with its payload, if any."""
        if self.archive is None or not Path(self.archive).exists():
            return None
        try:
            if self._reader is None:
                self._reader = ArchiveReader(self.archive)
            return self._reader.last_capture(url)
        except sqlite3.OperationalError:  # an archive without captures yet
            return None

    def close(self, *args: Any) -> None:
        self.files.close()
        if self._reader is not None:
            self._reader.close()
            self._reader = None
