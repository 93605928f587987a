"""What the spider reads off a Scrapy response before any extractor: its text, its headers as
text, and the time it was fetched."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.http import Response, TextResponse


def page_text(response: TextResponse) -> str:
    """The page as text. A page that declares UTF-8 but is written in Windows-1252 (curly
    quotes and bullets become U+FFFD) is read as Windows-1252, as browsers end up showing it."""
    text = response.text
    if "\ufffd" in text and response.encoding.lower().replace("-", "") in ("utf8", "ascii"):
        try:
            return response.body.decode("cp1252")
        except UnicodeDecodeError:
            pass
    return text


def content_type(response: Response) -> str | None:
    """The response's ``Content-Type``, as text."""
    return header(response.headers, b"Content-Type")


def header(headers: Any, name: bytes) -> str | None:
    value = headers.get(name)
    return value.decode("latin-1") if value else None


def now() -> str:
    """Now, in UTC, to the second: when a response was fetched."""
    return datetime.now(UTC).isoformat(timespec="seconds")
