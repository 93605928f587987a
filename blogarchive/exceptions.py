"""The errors of blogarchive, each raised by one layer and caught by another.

A leaf: it imports nothing of the project, so the module that catches an error need not import
the module that raises it (the spider names a middleware's refusal; the command line names a
crawl's, a lock's and Redis's). Each is also importable from the module that raises it.
"""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest


class ArchiveError(Exception):
    """The archive cannot be opened or written (a clear, one-line reason)."""


class ArchiveLocked(Exception):
    """Another process is writing to the archive."""


class SettingError(ValueError):
    """A ``-s NAME=VALUE`` argument that is not of that form, or a value its setting cannot
    take."""


class RedisUnavailable(Exception):
    """The Redis server named by ``--redis`` does not answer."""


class CrawlInProgress(Exception):
    """Requests of an earlier crawl are still queued: a new one would mix with it."""


class WorkerGone(Exception):
    """An extraction process stopped (killed, out of memory) with pages of the crawl in it."""


class PrivateAddressBlocked(IgnoreRequest):
    """A request to a private, loopback or link-local address that the crawl may not make."""


class RedirectLoop(IgnoreRequest):
    """A redirect back to a URL the chain already went through."""
