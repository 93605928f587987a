"""Extraction in worker processes, so that a crawl uses more than one core.

Scrapy runs a crawl in one thread, and extracting a post page (parsing it, reading its post,
comments, key observations, forms and links) takes about a third of a crawl's time. The setting
``BLOGARCHIVE_EXTRACT_PROCESSES`` (``blogarchive crawl -s BLOGARCHIVE_EXTRACT_PROCESSES=N``)
says how many worker processes extract post pages and read feeds of posts and Blogger's comment
feeds (and hash and compress their bodies for the archive) while the crawl's own process goes on
fetching and writing: ``auto`` (the default) is one where the crawl may use two cores or more, 0
is none. The results are the same: the workers run the same extractors on the same text.

Each worker is a ``python -m blogarchive.worker`` process (``worker.py``: what it runs, and how
tasks and answers go between them). Workers are started when the first page comes, and stopped
when the spider closes; a worker whose crawl was killed outright (SIGKILL) exits too, as its
socket to the crawl closes. Should one die, the pages still to come are extracted in the
crawl's own process, and the crawl goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import pickle
import socket
import subprocess
import sys
from typing import Any

from blogarchive.exceptions import WorkerGone
from blogarchive.items import StoredBody
from blogarchive.worker import HEADER_BYTES, TASKS, read_feed
from blogarchive.worker import frame as _frame
from extract import Page
from extract.feedposts import FeedPost
from extract.feeds import CommentFeed, Feed

logger = logging.getLogger(__name__)


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


#: How long a worker may take to finish the page it holds once the crawl stops it.
STOP_SECONDS = 10


def _spawn(connection: socket.socket) -> subprocess.Popen[bytes]:
    """Start a worker (``python -m blogarchive.worker``) that talks to the crawl through
    ``connection``. A fresh interpreter, as multiprocessing's ``spawn`` would start (the crawl's
    process has threads, which ``fork`` does not copy), but one that imports only what a worker
    runs, not the crawl's main module and Scrapy; it is given this process's ``sys.path``, as
    ``spawn`` gives it, so that it finds the code the crawl runs (scrapyd's eggs included)."""
    fd = connection.fileno()
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, sys.path)))
    return subprocess.Popen(
        [sys.executable, "-m", "blogarchive.worker", str(fd)],
        pass_fds=(fd,),
        stdin=subprocess.DEVNULL,
        env=environment,
    )


class _Channel(asyncio.Protocol):
    """The crawl's end of one worker: tasks go out as they come, answers come back in any
    order, each to the task that asked (by a number)."""

    def __init__(self, process: subprocess.Popen[bytes], sock: socket.socket):
        self.process = process
        self.sock = sock
        self.transport: asyncio.Transport | None = None
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.gone = False
        self._received = bytearray()
        self._asked = itertools.count()

    def ask(self, task: str, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        if self.gone or self.transport is None:
            raise WorkerGone
        ident = next(self._asked)
        future = asyncio.get_running_loop().create_future()
        self.pending[ident] = future
        self.transport.write(_frame((ident, task, args)))
        return future

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        received = self._received
        received += data
        start = 0
        while len(received) - start >= HEADER_BYTES:
            end = (
                start + HEADER_BYTES + int.from_bytes(received[start : start + HEADER_BYTES], "big")
            )
            if len(received) < end:
                break
            ident, done, value = pickle.loads(received[start + HEADER_BYTES : end])
            start = end
            future = self.pending.pop(ident, None)
            if future is not None and not future.done():
                if done:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        del received[:start]

    def connection_lost(self, exc: Exception | None) -> None:
        self.gone = True
        pending, self.pending = self.pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(WorkerGone())

    def stop(self) -> None:
        """Close the crawl's end (the worker leaves once it sees it) and wait for the worker."""
        self.gone = True
        with contextlib.suppress(OSError):  # (the worker may be gone already)
            self.sock.shutdown(socket.SHUT_RDWR)
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.transport is not None and not self.transport.is_closing():
            try:
                self.transport.abort()
            except RuntimeError:  # its event loop is closed (the crawl's has stopped)
                self.sock.close()
        else:
            self.sock.close()


class ExtractionPool:
    """Where a crawl extracts its post pages and reads its comment feeds: in ``processes``
    worker processes, or (0) in its own process.

    Each worker has a socket to the crawl, read and written by the crawl's event loop like any
    other connection, so handing a page over takes no thread of the crawl's: a process pool's
    threads, which hand each page over and take each answer back, make the crawl's Python wait
    for them (bench/RESULTS.md).
    """

    def __init__(self, processes: int) -> None:
        self.processes = max(0, processes)
        self._channels: list[_Channel] = []
        self._starting: asyncio.Future[list[_Channel]] | None = None

    async def extract(
        self, html: str, body: bytes, url: str, platform: str | None
    ) -> tuple[Page, tuple[str, ...], StoredBody]:
        """:func:`read_page`, in a worker when there are any."""
        result: tuple[Page, tuple[str, ...], StoredBody] = await self._run(
            "page", html, body, url, platform
        )
        return result

    async def comment_feed(self, xml: bytes, url: str) -> tuple[CommentFeed, StoredBody]:
        """:func:`read_comment_feed`, in a worker when there are any."""
        result: tuple[CommentFeed, StoredBody] = await self._run("comment feed", xml, url)
        return result

    async def feed(self, xml: bytes, url: str) -> tuple[Feed, StoredBody]:
        """:func:`read_feed`, in a worker once a post page has started them: a feed comes
        before its posts, and a refresh whose feeds vouch for every post fetches no post page,
        so waiting for a worker to start would only make the feed wait."""
        if self._starting is None:
            return read_feed(xml, url)
        result: tuple[Feed, StoredBody] = await self._run("feed", xml, url)
        return result

    async def feed_posts(
        self, xml: bytes, url: str
    ) -> tuple[Feed, tuple[FeedPost, ...], StoredBody]:
        """:func:`~blogarchive.worker.read_feed_posts`, in a worker when there are any: a crawl
        from feeds reads its posts there."""
        result: tuple[Feed, tuple[FeedPost, ...], StoredBody] = await self._run(
            "feed posts", xml, url
        )
        return result

    async def _run(self, task: str, *args: Any) -> Any:
        if not self.processes:
            return TASKS[task](*args)
        if self._starting is None:  # the first task starts the workers; the others wait for it
            self._starting = asyncio.ensure_future(self._start())
        try:
            channels = await self._starting
        except (OSError, ImportError, NotImplementedError) as error:
            # no processes left to start, no sockets, ...
            self._give_up(f"extraction processes cannot start ({error})")
            return TASKS[task](*args)
        try:
            channel = min(channels, key=lambda channel: len(channel.pending))
            return await channel.ask(task, args)
        except WorkerGone:
            self._give_up("an extraction process stopped")
        return TASKS[task](*args)

    async def _start(self) -> list[_Channel]:
        loop = asyncio.get_running_loop()
        for _ in range(self.processes):
            ours, theirs = socket.socketpair()
            try:
                process = _spawn(theirs)
            except BaseException:
                ours.close()
                raise
            finally:
                theirs.close()  # the worker has its own copy
            channel = _Channel(process, ours)
            self._channels.append(channel)  # stopped by close(), whatever happens next
            await loop.connect_accepted_socket(lambda: channel, sock=ours)  # noqa: B023 - used here
        return self._channels

    @property
    def pids(self) -> list[int]:
        """The process ids of the workers running now."""
        return [c.process.pid for c in self._channels if c.process.poll() is None]

    def _give_up(self, why: str) -> None:
        if self.processes:
            logger.error("%s; the crawl's own process extracts the rest", why)
            self.processes = 0
            self.close()

    def close(self) -> None:
        """Stop the workers (each finishes the page it holds first); a page given after this,
        or still waiting for a worker, is extracted in the crawl's own process."""
        self.processes = 0
        channels, self._channels = self._channels, []
        for channel in channels:
            channel.stop()
