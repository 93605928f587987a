"""Captures as WARC/1.1 records (ISO 28500), written with warcio: for every response its
``response`` record, or a ``revisit`` where it repeats the last capture of its URL, and the
``request`` record that asked for it (``WARC-Concurrent-To``).

The bytes are those the server sent: the payload keeps its ``Content-Encoding`` (replay tools
decode gzip and deflate), a body the client de-chunked is not announced as chunked, and the
payload digest is over the payload as sent. Each record is a gzip member of its own, so that a
capture is read at its offset alone (replay, CDXJ) and a file cut short by a crash keeps every
whole record before the cut. Files are rotated at a size.

No Scrapy here: :class:`Exchange` is what any client saw of one request and its answer.
"""

from __future__ import annotations

import base64
import hashlib
import http
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import IO, Final
from urllib.parse import quote, urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from blogarchive.items import Capture

#: WARC/1.1's revisit profiles (section 6.7).
SERVER_NOT_MODIFIED: Final = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL_PAYLOAD: Final = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
#: A new WARC file is begun once the current one is this large (bytes).
DEFAULT_MAX_SIZE: Final = 1 << 30


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """One request and the answer to it, as the client sent and received them."""

    url: str
    method: str = "GET"
    request_headers: tuple[tuple[str, str], ...] = ()
    #: the protocol of the answer (``HTTP/1.1``)
    protocol: str = "HTTP/1.1"
    status: int
    response_headers: tuple[tuple[str, str], ...] = ()
    #: the body as received: content-encoded, not chunked
    body: bytes = b""
    ip_address: str | None = None
    #: when the answer came (else now)
    date: datetime | None = None
    #: the connection ended before the whole body came
    truncated: bool = False


def cited_path(path: str | Path, base: str | Path | None) -> str:
    """How the archive names a WARC file: relative to ``base`` (the archive's folder) when it
    is inside it, so that the archive and its WARCs move together; else absolute."""
    path = Path(path).absolute()
    if base is not None:
        try:
            return path.relative_to(Path(base).absolute()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def payload_digest(body: bytes) -> str:
    """The WARC payload digest of ``body`` (SHA-1 in base 32, as warcio and Heritrix write it)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def warc_date(moment: datetime | None = None) -> str:
    """A WARC/1.1 date: UTC, to the microsecond."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    return str(datetime_to_iso_date(moment, use_micros=True))


def _ascii(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers that warcio can write. It percent-encodes a value that is not ASCII as RFC 8187
    says (``; name*=UTF-8''value``) as it writes it, but a value whose non-ASCII is not inside
    a parameter's value stays as it was, and the write fails: such a value (and any name that
    is not ASCII) is percent-encoded whole here, as warcio encodes a value with no parameter."""
    written = []
    for name, value in headers:
        if not value.isascii():
            trial = StatusAndHeaders("", [(name, value)])
            trial.percent_encode_non_ascii_headers()
            if not trial.headers[0][1].isascii():
                value = quote(value)
        written.append((name if name.isascii() else quote(name), value))
    return written


def _response_headers(exchange: Exchange) -> StatusAndHeaders:
    headers = _ascii(
        (name, value)
        for name, value in exchange.response_headers
        # the body is stored de-chunked: announcing it chunked would make readers undo it again
        if not (name.lower() == "transfer-encoding" and "chunked" in value.lower())
    )
    try:
        reason = http.HTTPStatus(exchange.status).phrase
    except ValueError:
        reason = ""
    statusline = f"{exchange.status} {reason}".rstrip()
    return StatusAndHeaders(statusline, headers, protocol=exchange.protocol or "HTTP/1.1")


def _request_headers(exchange: Exchange) -> StatusAndHeaders:
    parts = urlsplit(exchange.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = _ascii(exchange.request_headers)
    if not any(name.lower() == "host" for name, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    # (warcio splits a request line at its first space: method, then target and version)
    return StatusAndHeaders(f"{exchange.method} {target} HTTP/1.1", headers, is_http_request=True)


class WarcFiles:
    """The WARC files of one writer in ``folder``: ``PREFIX-TIMESTAMP-SERIAL-PID.warc.gz``,
    each begun with a ``warcinfo`` record, a new one once the current reaches ``max_size``."""

    def __init__(
        self,
        folder: str | Path,
        *,
        prefix: str = "blogarchive",
        max_size: int = DEFAULT_MAX_SIZE,
        info: dict[str, str] | None = None,
        base: str | Path | None = None,
    ) -> None:
        """``base``: the folder the captures name their files relative to (:func:`cited_path`;
        none: by their names alone)."""
        self.folder = Path(folder)
        self.base = base
        self.prefix = prefix
        self.max_size = max(1, max_size)
        self.info = info or {}
        self.serial = 0
        self._file: IO[bytes] | None = None
        self._name = ""
        self._writer: WARCWriter | None = None
        #: the files written, in order
        self.names: list[str] = []

    def write(self, exchange: Exchange, previous: Capture | None = None) -> Capture:
        """Write ``exchange``: a ``revisit`` where the server said 304 (``previous`` is what it
        refers to, if known) or sent the payload of ``previous`` again, else a ``response``;
        then its ``request``. The capture, as the archive records it."""
        writer, out = self._open()
        date = warc_date(exchange.date)
        digest = payload_digest(exchange.body)
        http_headers = _response_headers(exchange)
        fields = {"WARC-Date": date}
        if exchange.ip_address:
            fields["WARC-IP-Address"] = exchange.ip_address
        if exchange.truncated:
            fields["WARC-Truncated"] = "disconnect"
        refers_to = None
        if exchange.status == 304 or (
            previous is not None and previous.payload_digest == digest and exchange.status < 300
        ):
            record = writer.create_warc_record(
                exchange.url, "revisit", http_headers=http_headers, warc_headers_dict=fields
            )
            profile = SERVER_NOT_MODIFIED if exchange.status == 304 else IDENTICAL_PAYLOAD
            record.rec_headers.add_header("WARC-Profile", profile)
            if exchange.status != 304:
                record.rec_headers.add_header("WARC-Payload-Digest", digest)
            if previous is not None:
                refers_to = previous.record_id
                record.rec_headers.add_header("WARC-Refers-To", previous.record_id)
                record.rec_headers.add_header("WARC-Refers-To-Target-URI", previous.url)
                record.rec_headers.add_header("WARC-Refers-To-Date", previous.timestamp)
            kind = "revisit"
        else:
            record = writer.create_warc_record(
                exchange.url,
                "response",
                payload=BytesIO(exchange.body),
                length=len(exchange.body),
                http_headers=http_headers,
                warc_headers_dict=fields,
            )
            kind = "response"
        offset = out.tell()
        writer.write_record(record)
        length = out.tell() - offset
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        request = writer.create_warc_record(
            exchange.url,
            "request",
            http_headers=_request_headers(exchange),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id},
        )
        writer.write_record(request)
        capture = Capture(
            record_id=record_id,
            url=exchange.url,
            timestamp=date,
            warc_file=(
                cited_path(self.folder / self._name, self.base) if self.base else self._name
            ),
            offset=offset,
            length=length,
            payload_digest=None if exchange.status == 304 else digest,
            status=exchange.status,
            record_type=kind,
            refers_to=refers_to,
        )
        if out.tell() >= self.max_size:
            self.close()
        return capture

    def _open(self) -> tuple[WARCWriter, IO[bytes]]:
        if self._writer is not None and self._file is not None:
            return self._writer, self._file
        self.folder.mkdir(parents=True, exist_ok=True)
        self.serial += 1
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        self._name = f"{self.prefix}-{stamp}-{self.serial:05d}-{os.getpid()}.warc.gz"
        self._file = open(self.folder / self._name, "xb")  # noqa: SIM115 - closed by close()
        self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")
        self.names.append(self._name)
        info = self._writer.create_warcinfo_record(self._name, dict(self.info))
        self._writer.write_record(info)
        return self._writer, self._file

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file, self._writer = None, None


def header_pairs(headers: Iterable[tuple[bytes, Iterable[bytes]]]) -> tuple[tuple[str, str], ...]:
    """Headers as (name, value) text pairs, one a value, from a client's bytes (latin-1, as
    HTTP carries them)."""
    return tuple(
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers
        for value in values
    )
