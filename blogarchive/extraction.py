"""Extraction in worker processes, so that a crawl uses more than one core.

Scrapy runs a crawl in one thread, and extracting a post page (parsing it, reading its post,
comments, key observations, forms and links) takes about a third of a crawl's time. The setting
``BLOGARCHIVE_EXTRACT_PROCESSES`` (``blogarchive crawl -s BLOGARCHIVE_EXTRACT_PROCESSES=N``)
says how many worker processes extract post pages while the crawl's own process goes on
fetching and writing: ``auto`` (the default) is one where the crawl may use two cores or more,
0 is none. The results are the same: the workers run the same extractors on the same text.

Workers are started (``spawn``: a crawl's process has threads, which ``fork`` does not copy) when
the first page comes, and stopped when the spider closes; a worker whose crawl was killed
outright (SIGKILL) exits too. Should one die, the pages still to come are extracted in the
crawl's own process, and the crawl goes on.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import os
import signal
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from extract import Page, extract_page, post_links
from extract.post import site_links

logger = logging.getLogger(__name__)


def extract_with_links(html: str, url: str, platform: str | None) -> tuple[Page, tuple[str, ...]]:
    """A page's extraction, and the links to follow from it (:func:`links_to_follow`, for
    ``platform`` or else the one the page shows). The page is parsed once for both."""
    page = extract_page(html, url)
    return page, links_to_follow(html, url, platform or page.blog.platform)


def links_to_follow(html: str, url: str, platform: str) -> tuple[str, ...]:
    """The pages to visit from this one: on Blogger and WordPress, the links their templates
    mark as posts; on any other blog every same-origin link that may be a post, since nothing
    marks them (the per-blog page cap bounds it)."""
    if platform == "generic":
        return site_links(html, url)
    return post_links(html, url)


def process_count(value: object) -> int:
    """The worker processes ``BLOGARCHIVE_EXTRACT_PROCESSES`` asks for: a whole number, or
    ``auto``: one when this process may run on two cores or more, else none. One, because with
    one worker the crawl's own process (fetching, writing the archive) is what limits the crawl
    (bench/RESULTS.md): more workers would wait, each holding its memory."""
    if isinstance(value, str) and value.strip().lower() == "auto":
        return 1 if usable_cores() >= 2 else 0
    try:
        count = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        count = -1
    if count < 0:
        raise ValueError(f"expects a number of processes or 'auto', got {value!r}")
    return count


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _start_worker() -> None:
    """A worker's set-up: Ctrl-C reaches the whole process group, and the crawl stops its
    workers itself; a crawl killed outright cannot, so the worker leaves when it does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    multiprocessing.connection.wait([parent.sentinel])  # ready once the crawl's process is gone
    os._exit(1)


class ExtractionPool:
    """Where a crawl extracts its post pages: in ``processes`` worker processes, or (0) in its
    own process."""

    def __init__(self, processes: int) -> None:
        self.processes = max(0, processes)
        self._executor: ProcessPoolExecutor | None = None

    async def extract(
        self, html: str, url: str, platform: str | None
    ) -> tuple[Page, tuple[str, ...]]:
        """:func:`extract_with_links`, in a worker when there are any."""
        if not self.processes:
            return extract_with_links(html, url, platform)
        future = None
        try:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                )
            future = self._executor.submit(extract_with_links, html, url, platform)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._give_up("an extraction process stopped")
        except (OSError, ImportError, NotImplementedError) as error:
            if future is not None:
                raise  # the page's own error, raised by the extractors in the worker
            # no semaphores (a container without /dev/shm), no processes left to start, ...
            self._give_up(f"extraction processes cannot start ({error})")
        return extract_with_links(html, url, platform)

    def _give_up(self, why: str) -> None:
        if self.processes:
            logger.error("%s; the crawl's own process extracts the rest", why)
            self.processes = 0
            self.close()

    def close(self) -> None:
        """Stop the workers (the pages they were given are finished first)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
