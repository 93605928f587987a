"""A crawl's bookkeeping that grows with the site, kept on disk rather than in memory.

A crawl remembers every request it made (the duplicate filter) and, for each blog, every
permalink each route found and every post it archived (the discovery report). Held in Python
sets they were the crawl's largest growth, about 1 KB a post (tracemalloc over a 3,000-post
crawl). Here they are rows of SQLite files in the run's job folder (``JOBDIR``), or in a
temporary folder without one, so the crawl's memory does not grow with the site.

The files are scratch: no journal, no fsync, committed in batches. The duplicate filter's file
stays in the job folder when the crawl stops, as Scrapy's ``requests.seen`` does, so a paused
``scrapy crawl -s JOBDIR=...`` resumes with it; ``blogarchive crawl`` and ``refresh`` start
each run in an empty folder and remove it at the end (``blogarchive.crawl.queue_folder``).
The report's file is the run's own: emptied at the start, removed at the end. Without a job
folder (a scrapyd job, a distributed worker) both files are unlinked as soon as they are open.
"""

from __future__ import annotations

import inspect
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.squeues import PickleLifoDiskQueue
from scrapy.utils.request import RequestFingerprinterProtocol

#: Writes between two commits (a commit costs a write of every changed page).
BATCH = 5000
#: The most memory SQLite may cache of one file, in KiB.
CACHE_KIB = 512


class ScratchDB:
    """One SQLite file of scratch tables in ``folder`` (a temporary one if ``None``).

    With ``keep``, a file the folder already holds is used as it is and left there by
    :meth:`close`; without, it starts empty and :meth:`close` removes it.
    """

    def __init__(
        self, folder: str | Path | None, name: str, schema: str, *, keep: bool = False
    ) -> None:
        self._temporary = None
        if not folder:
            self._temporary = tempfile.TemporaryDirectory(prefix="blogarchive-")
            folder = self._temporary.name
        Path(folder).mkdir(parents=True, exist_ok=True)
        self.path = Path(folder, name)
        self.keep = keep and self._temporary is None
        if not self.keep:
            self.path.unlink(missing_ok=True)
        self.connection = sqlite3.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", f"cache_size=-{CACHE_KIB}"):
            self.connection.execute(f"PRAGMA {pragma}")
        self.connection.executescript(schema)
        self.connection.execute("BEGIN")
        self._writes = 0
        if self._temporary is not None:
            # open files outlive their names: nothing is left behind, even by a killed process
            self.path.unlink()
            self._temporary.cleanup()

    def write(self, sql: str, parameters: tuple[Any, ...]) -> int:
        """Run one INSERT/UPDATE; the number of rows it changed."""
        changed = self.connection.execute(sql, parameters).rowcount
        self._wrote(1)
        return changed

    def write_many(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> int:
        """Run one INSERT/UPDATE for each row; the number of rows they changed."""
        changed = self.connection.executemany(sql, rows).rowcount
        self._wrote(changed)
        return max(changed, 0)

    def read(self, sql: str, parameters: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        return self.connection.execute(sql, parameters)

    def _wrote(self, count: int) -> None:
        self._writes += max(count, 1)
        if self._writes >= BATCH:
            self.connection.execute("COMMIT")
            self.connection.execute("BEGIN")
            self._writes = 0

    def close(self) -> None:
        self.connection.commit()
        self.connection.close()
        if not self.keep:
            self.path.unlink(missing_ok=True)


class DiskDupeFilter(RFPDupeFilter):
    """Scrapy's duplicate filter (same fingerprints, same logging) with the fingerprints in a
    SQLite file instead of a set: memory stays flat however many requests a crawl makes."""

    def __init__(
        self,
        path: str | None = None,
        debug: bool = False,
        *,
        fingerprinter: RequestFingerprinterProtocol | None = None,
    ) -> None:
        super().__init__(None, debug, fingerprinter=fingerprinter)
        self.store = ScratchDB(
            path,
            "requests.seen.sqlite",
            "CREATE TABLE IF NOT EXISTS seen (fingerprint BLOB PRIMARY KEY) WITHOUT ROWID",
            keep=True,
        )

    def request_seen(self, request: Request) -> bool:
        fingerprint = self.fingerprinter.fingerprint(request)  # (the bytes Scrapy's set holds)
        return self.store.write("INSERT OR IGNORE INTO seen VALUES (?)", (fingerprint,)) == 0

    def close(self, reason: str) -> None:
        self.store.close()


class DiskQueue(PickleLifoDiskQueue):  # type: ignore[misc,valid-type]
    """Scrapy's disk queue of requests (``PickleLifoDiskQueue``, the same files), which names a
    request's callback and errback from a table of the spider's methods.

    ``Request.to_dict`` finds a method's name among all the members of the spider, each
    property evaluated, for every request queued: 3.7% of the crawl's own process on a 2,000-post
    crawl (py-spy). The names are looked up once per method here, among the spider class's
    attributes, and a request comes back from the queue as Scrapy's would.
    """

    def __init__(self, crawler: Crawler, key: str) -> None:
        super().__init__(crawler, key)
        self._names: dict[Callable[..., Any], str] = {}

    def push(self, request: Request) -> None:
        callback, errback = request.callback, request.errback
        request.callback = request.errback = None  # to_dict leaves None as it is
        try:
            data = request.to_dict(spider=self.spider)
        finally:
            request.callback, request.errback = callback, errback
        data["callback"], data["errback"] = self._name(callback), self._name(errback)
        # past Scrapy's push, which would name them again
        super(PickleLifoDiskQueue, self).push(data)  # type: ignore[misc]

    def _name(self, method: Any) -> Any:
        """The spider's name for ``method`` (Scrapy's markers, such as None, as they are)."""
        if not callable(method):
            return method
        function = getattr(method, "__func__", None)
        name = self._names.get(function)  # type: ignore[arg-type]
        if name is None:
            members = []
            if getattr(method, "__self__", None) is self.spider:
                # the class's attributes: no property of the spider is evaluated
                members = inspect.getmembers(type(self.spider), lambda member: member is function)
            if not members:
                raise ValueError(f"Function {method} is not an instance method in: {self.spider}")
            name = self._names[function] = members[0][0]  # type: ignore[index]
        return name


REPORT_SCHEMA = """
CREATE TABLE found (blog TEXT, route TEXT, url TEXT, PRIMARY KEY (blog, route, url))
    WITHOUT ROWID;
CREATE INDEX found_by_url ON found (blog, url);
CREATE TABLE asked (blog TEXT, url TEXT, PRIMARY KEY (blog, url)) WITHOUT ROWID;
CREATE TABLE archived (blog TEXT, url TEXT, PRIMARY KEY (blog, url)) WITHOUT ROWID;
CREATE TABLE not_posts (blog TEXT, url TEXT, evidence TEXT, PRIMARY KEY (blog, url))
    WITHOUT ROWID;
CREATE TABLE failed (blog TEXT, url TEXT, reason TEXT, PRIMARY KEY (blog, url)) WITHOUT ROWID;
CREATE TABLE texts (blog TEXT, url TEXT, digest TEXT, PRIMARY KEY (blog, url)) WITHOUT ROWID;
CREATE TABLE believed (blog TEXT, url TEXT, PRIMARY KEY (blog, url)) WITHOUT ROWID;
"""


def report_store(folder: str | Path | None) -> ScratchDB:
    """The scratch file that the spider's per-blog reports (``BlogReport``) write to."""
    return ScratchDB(folder, "discovery.sqlite", REPORT_SCHEMA)
