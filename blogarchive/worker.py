"""An extraction worker: the process a crawl hands post pages and feeds to (``extraction.py``).

    python -m blogarchive.worker FD

reads tasks from the connected socket ``FD`` (inherited from the crawl), runs each, and writes
back its result or the error it raised, until the crawl closes its end. A crawl killed outright
closes it too, so no worker outlives its crawl.

A message either way is its length (8 bytes, big-endian), then a pickle: ``(ident, task, args)``
to the worker, ``(ident, done, value)`` back. This module imports neither Scrapy nor the
archive: a worker starts in a third of the time the crawl's own imports take.
"""

from __future__ import annotations

import pickle
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

from blogarchive.items import StoredBody
from blogarchive.pageitems import extract_post_page
from extract import Page
from extract.feedposts import FeedPost, extract_feed_posts
from extract.feeds import CommentFeed, Feed, extract_comment_feed, extract_feed

#: The length of a message's length.
HEADER_BYTES = 8


def read_page(
    html: str, body: bytes, url: str, platform: str | None
) -> tuple[Page, tuple[str, ...], StoredBody]:
    """What a crawl needs of a post page: its extraction and links to follow
    (:func:`~blogarchive.pageitems.extract_post_page` of its text), and its ``body`` (the bytes
    of that text) as the archive stores it."""
    return (*extract_post_page(html, url, platform), StoredBody.of(body))


def read_comment_feed(xml: bytes, url: str) -> tuple[CommentFeed, StoredBody]:
    """A comment feed read, and as the archive stores it."""
    return extract_comment_feed(xml, url), StoredBody.of(xml)


def read_feed(xml: bytes, url: str) -> tuple[Feed, StoredBody]:
    """A feed of posts read (a Blogger feed page lists up to 150, with their text), and as the
    archive stores it."""
    return extract_feed(xml, url), StoredBody.of(xml)


def read_feed_posts(xml: bytes, url: str) -> tuple[Feed, tuple[FeedPost, ...], StoredBody]:
    """A feed of posts read with the posts its entries carry whole (``--from-feeds``), and as
    the archive stores it."""
    return extract_feed(xml, url), extract_feed_posts(xml, url), StoredBody.of(xml)


#: What a worker does, by the name the crawl asks for it with.
TASKS: dict[str, Callable[..., Any]] = {
    "page": read_page,
    "comment feed": read_comment_feed,
    "feed": read_feed,
    "feed posts": read_feed_posts,
}


def frame(message: object) -> bytes:
    """``message`` as it goes over the socket."""
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(HEADER_BYTES, "big") + data


def serve(connection: socket.socket) -> None:
    """A worker's life: read a task from the crawl, answer with its result (or the error it
    raised), until the crawl closes its end."""
    with connection, connection.makefile("rb") as incoming:
        while True:
            header = incoming.read(HEADER_BYTES)
            if len(header) < HEADER_BYTES:
                return  # the crawl closed its end
            ident, task, args = pickle.loads(incoming.read(int.from_bytes(header, "big")))
            try:
                reply = frame((ident, True, TASKS[task](*args)))
            except Exception as error:  # the task's own error, raised again in the crawl
                try:
                    reply = frame((ident, False, error))
                except Exception:  # an error that does not pickle
                    reply = frame((ident, False, RuntimeError(repr(error))))
            try:
                connection.sendall(reply)
            except OSError:
                return  # the crawl is gone


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m blogarchive.worker FD (started by a crawl)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group
    try:
        connection = socket.socket(fileno=int(argv[0]))
    except OSError as error:
        print(f"blogarchive.worker: no socket at {argv[0]}: {error}", file=sys.stderr)
        return 2
    serve(connection)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
