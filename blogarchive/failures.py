"""What went wrong with a request, in the words the archive records: the HTTP status, a
one-line reason, and what it says of the blog (``error``, ``blocked``, ``unreachable``)."""

from __future__ import annotations

import gzip
import zlib

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError, DNSLookupError, TimeoutError
from twisted.python.failure import Failure

from blogarchive.exceptions import PrivateAddressBlocked, RedirectLoop

#: Failures that mean the server could not be reached at all.
UNREACHABLE = (
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    DownloadTimeoutError,
    DownloadFailedError,
    ConnectError,
    DNSLookupError,
    TimeoutError,
)

#: What decoding a gzip or deflate body raises (Scrapy's ``HttpCompressionMiddleware``) when it
#: is not what its ``Content-Encoding`` names, or ends inside the compressed stream.
UNDECODABLE = (gzip.BadGzipFile, zlib.error, EOFError)


def describe_failure(failure: Failure) -> tuple[int | None, str, str]:
    """(HTTP status, reason, blog status) for a failed request."""
    error = failure.value
    if failure.check(HttpError):
        response = error.response  # type: ignore[union-attr]
        return response.status, f"HTTP {response.status}", "error"
    if failure.check(PrivateAddressBlocked):
        return None, str(error), "blocked"
    if failure.check(RedirectLoop):
        return None, str(error), "error"
    if failure.check(IgnoreRequest) and "robots.txt" in str(error):
        return None, "forbidden by robots.txt", "blocked"
    if failure.check(ResponseDataLossError):
        return None, "truncated: the body ended before the length the server announced", "error"
    if failure.check(*UNDECODABLE):
        return (
            None,
            f"undecodable: the body is not what its Content-Encoding names ({error})",
            "error",
        )
    if failure.check(DownloadFailedError) and "ConnectionLost" in str(error):
        return None, "connection lost: the server closed it before the answer ended", "unreachable"
    if failure.check(*UNREACHABLE):
        return None, str(error) or type(error).__name__, "unreachable"
    return None, f"{type(error).__name__}: {error}".rstrip(": "), "error"
