"""The records of web archive files as they are, damaged or not: ``.warc``, ``.warc.gz``,
``.warc.zst`` (with the dictionary it carries) and WACZ packages' members.

A compressed WARC is a run of independent members (gzip members, or zstd frames), a record
each, as every WARC writer makes them: a damaged member is reported at its offset and reading
goes on at the next. Zstandard WARCs follow the IIPC's proposal ("Zstandard Compression for WARC
Files 1.0"): an optional dictionary in a skippable frame (magic 0x184D2A5D) first, itself
zstd-compressed or not, then a frame or more a record; other skippable frames are skipped.
Reading them needs the ``zstandard`` package (``pip install 'blogarchive[zst]'``).
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord

#: Where a record may begin: a gzip member (a ``.warc.gz``), a zstd frame (a ``.warc.zst``), or
#: a WARC header line.
GZIP_MEMBER = b"\x1f\x8b\x08"
ZSTD_FRAME = b"\x28\xb5\x2f\xfd"
WARC_HEADER = b"WARC/1."
#: Skippable zstd frames: magic 0x184D2A50 to 0x184D2A5F; 0x184D2A5D holds a WARC's dictionary.
SKIPPABLE = b"\x2a\x4d\x18"
DICTIONARY_FRAME = b"\x5d\x2a\x4d\x18"
#: Bytes read at a time while looking for the next record after a damaged one.
SCAN_CHUNK = 1 << 20
#: Bytes read at a time of a member: most records are a few KB, and what is read past a
#: member's end is read again for the next one.
MEMBER_CHUNK = 1 << 16
#: The largest zstd dictionary read: ArchiveTeam's are a few hundred kilobytes.
MAX_DICTIONARY = 64 << 20


@dataclass
class ReadReport:
    """Records read, and each failure with where (file, offset) and why."""

    records: int = 0
    failures: list[tuple[str, int | None, str]] = field(default_factory=list)

    def fail(self, where: str, offset: int | None, why: str) -> None:
        self.failures.append((where, offset, why))


@dataclass(frozen=True, slots=True)
class Captured:
    """A record as read: the record and where it is."""

    record: ArcWarcRecord
    file: str
    offset: int
    length: int
    #: its HTTP payload, de-chunked and decoded (gzip, deflate, br)
    payload: bytes = b""


class Unreadable(Exception):
    """A file whose records this installation cannot read (a ``.warc.zst`` without zstandard)."""


@contextmanager
def opened(path: Path) -> Iterator[list[tuple[str, IO[bytes]]]]:
    """The WARC streams of a file: itself, or a WACZ's ``archive/`` members."""
    if path.suffix.lower() == ".wacz":
        with zipfile.ZipFile(path) as package:
            names = [n for n in package.namelist() if n.startswith("archive/") and ".warc" in n]
            streams = [(f"{path}#{name}", package.open(name)) for name in sorted(names)]
            try:
                yield streams
            finally:
                for _, stream in streams:
                    stream.close()
        return
    with path.open("rb") as stream:
        yield [(str(path), stream)]


def records_of(name: str, stream: IO[bytes], report: ReadReport) -> Iterator[Captured]:
    """The records of one WARC stream with where each is. A record that cannot be read (a
    damaged member, a wrong length, bytes that are no WARC) is a failure reported at its
    offset, and reading goes on at the next record found after it."""
    try:
        framing = framing_of(name, stream)
    except Unreadable as error:
        report.fail(name, 0, str(error))
        return
    start = _next_record(stream, 0, framing)
    if start is None:
        report.fail(name, 0, "not a WARC file (nor ARC)")
        return
    if start > framing.first:
        report.fail(name, framing.first, f"no record could be read before offset {start}")
    if framing.magic is None:
        yield from _plain_records(name, stream, start, framing, report)
    else:
        yield from _framed_records(name, stream, start, framing, report)


def record_at(file: str, offset: int, length: int, report: ReadReport) -> Captured | None:
    """The record at ``offset`` of ``file`` (a WACZ member: ``PACKAGE#archive/NAME``)."""
    package, _, member = file.partition("#")
    try:
        if member:
            with zipfile.ZipFile(package) as archive, archive.open(member) as stream:
                framing = framing_of(file, stream)
                stream.seek(offset)
                data = stream.read(length)
        else:
            framing = _framing_of_path(file)
            with open(file, "rb") as stream:
                stream.seek(offset)
                data = stream.read(length)
    except (OSError, zipfile.BadZipFile, KeyError, Unreadable) as error:
        report.fail(file, offset, f"cannot read the record again: {error}")
        return None
    if framing.magic is not None:
        member_data = framing.member(io.BytesIO(data), 0)
        if isinstance(member_data, str):
            report.fail(file, offset, f"cannot read the record again: {member_data}")
            return None
        data = member_data[0]
    try:
        found = next(_parsed(data), None)
    except Exception as error:  # warcio on damaged bytes raises more than its own errors
        report.fail(file, offset, f"cannot read the record again: {type(error).__name__}")
        return None
    if found is None:
        report.fail(file, offset, "cannot read the record again")
        return None
    return Captured(found[0], file, offset, length, found[1])


# -- how a file is framed ------------------------------------------------------------------


class Framing:
    """How a file's records are laid out: plain (one after the other)."""

    #: what a member begins with (None: the records are not in members)
    magic: bytes | None = None
    #: where the first record may begin (after a zstd dictionary)
    first = 0

    def member(self, stream: IO[bytes], start: int) -> tuple[bytes, int] | str:
        """The member at ``start``: its data and its length in the file, or why it cannot be
        read."""
        raise NotImplementedError

    def starts_member(self, head: bytes) -> bool:
        return self.magic is not None and head.startswith(self.magic)

    def peek(self, head: bytes) -> bytes:
        """The first bytes of what a member that begins with ``head`` holds."""
        return head


class _Gzip(Framing):
    magic = GZIP_MEMBER

    def member(self, stream: IO[bytes], start: int) -> tuple[bytes, int] | str:
        stream.seek(start)
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return _inflated(stream, inflater, zlib.error, "gzip member")

    def peek(self, head: bytes) -> bytes:
        try:
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 64)
        except zlib.error:
            return b""


class _Zstd(Framing):
    magic = ZSTD_FRAME

    def __init__(self, dictionary: bytes | None, first: int) -> None:
        import zstandard

        self.zstandard = zstandard
        self.first = first
        if dictionary is None:
            self.decompressor = zstandard.ZstdDecompressor()
            return
        try:
            self.decompressor = zstandard.ZstdDecompressor(
                dict_data=zstandard.ZstdCompressionDict(dictionary)
            )
            self.decompressor.decompressobj()  # (a damaged dictionary fails here, not later)
        except zstandard.ZstdError as error:
            raise Unreadable(f"a .warc.zst whose dictionary is damaged ({error})") from None

    def starts_member(self, head: bytes) -> bool:
        return head.startswith(ZSTD_FRAME) or _skippable(head)

    def member(self, stream: IO[bytes], start: int) -> tuple[bytes, int] | str:
        stream.seek(start)
        head = stream.read(8)
        if _skippable(head):  # (an extension frame: no record, skipped whole)
            if len(head) < 8:
                return "a skippable zstd frame cut short"
            return b"", 8 + struct.unpack("<I", head[4:8])[0]
        stream.seek(start)
        frame = self.decompressor.decompressobj()
        return _inflated(stream, frame, self.zstandard.ZstdError, "zstd frame")

    def peek(self, head: bytes) -> bytes:
        try:
            return self.decompressor.decompressobj().decompress(head)[:64]
        except self.zstandard.ZstdError:
            return b""


def _inflated(
    stream: IO[bytes], inflater: Any, error: type[Exception], what: str
) -> tuple[bytes, int] | str:
    """What one compressed member read from ``stream`` holds, and how long it is there (the
    ``inflater`` reads one member: zlib's or zstandard's), or why it cannot be read."""
    parts, read = [], 0
    while not inflater.eof:
        chunk = stream.read(MEMBER_CHUNK)
        if not chunk:
            return f"a {what} cut short (the file ends inside it)"
        read += len(chunk)
        try:
            parts.append(inflater.decompress(chunk))
        except error as damaged:
            return f"a damaged {what} ({damaged})"
    return b"".join(parts), read - len(inflater.unused_data)


def _skippable(head: bytes) -> bool:
    return len(head) >= 4 and 0x50 <= head[0] <= 0x5F and head[1:4] == SKIPPABLE


def framing_of(name: str, stream: IO[bytes]) -> Framing:
    """How the records of ``stream`` are framed, from its first bytes (or, where they are
    damaged, its name); a zstd file's dictionary is read here."""
    stream.seek(0)
    head = stream.read(8)
    if head.startswith(GZIP_MEMBER):
        return _Gzip()
    zstd = head.startswith(ZSTD_FRAME) or _skippable(head)
    if not zstd and not name.lower().rstrip("/").endswith(".zst"):
        # plain, or gzip whose first member is damaged: the first record found tells
        return _Gzip() if _first_marker(stream) == GZIP_MEMBER else Framing()
    try:
        import zstandard  # (the optional extra)
    except ImportError:
        raise Unreadable(
            "a .warc.zst file: reading it needs the zstandard package"
            " (pip install 'blogarchive[zst]')"
        ) from None
    if not head.startswith(DICTIONARY_FRAME) or len(head) < 8:
        return _Zstd(None, 0)
    size = struct.unpack("<I", head[4:8])[0]
    if size > MAX_DICTIONARY:
        raise Unreadable(f"a zstd dictionary of {size} bytes: not a .warc.zst's")
    dictionary = stream.read(size)
    if len(dictionary) < size:
        raise Unreadable("a .warc.zst whose dictionary is cut short")
    if dictionary.startswith(ZSTD_FRAME):  # (the proposal allows it compressed)
        try:
            dictionary = zstandard.ZstdDecompressor().decompress(
                dictionary, max_output_size=MAX_DICTIONARY
            )
        except zstandard.ZstdError as error:
            raise Unreadable(f"a .warc.zst whose dictionary is damaged ({error})") from None
    return _Zstd(dictionary, 8 + size)


@functools.lru_cache(maxsize=64)
def _framing_of_path(file: str) -> Framing:
    """A file's framing, read once (a zstd dictionary is read once for all its revisits)."""
    with open(file, "rb") as stream:
        return framing_of(file, stream)


def _first_marker(stream: IO[bytes]) -> bytes | None:
    start = _next_record(stream, 0, Framing())
    if start is None:
        return None
    stream.seek(start)
    return GZIP_MEMBER if stream.read(3) == GZIP_MEMBER else WARC_HEADER


# -- reading members -----------------------------------------------------------------------


def _framed_records(
    name: str, stream: IO[bytes], start: int | None, framing: Framing, report: ReadReport
) -> Iterator[Captured]:
    """The records of a compressed WARC, a member at a time: a damaged member is reported at
    its offset, and the next read."""
    while start is not None:
        member = framing.member(stream, start)
        if isinstance(member, str):
            report.fail(name, start, member)
            start = _next_record(stream, start + 1, framing)
            continue
        data, length = member
        try:
            for record, payload in _parsed(data):
                report.records += 1
                yield Captured(record, name, start, length, payload)
        except Exception as error:  # warcio on damaged bytes raises more than its own errors
            report.fail(name, start, f"{type(error).__name__}: {error}".strip()[:300])
        start = _following_member(name, stream, start + length, framing, report)


def _following_member(
    name: str, stream: IO[bytes], position: int, framing: Framing, report: ReadReport
) -> int | None:
    """Where the member after one that ends at ``position`` begins: there, as a sound file
    has it; else the next found (the bytes between reported); None at the file's end."""
    stream.seek(position)
    head = stream.read(8)
    if not head or framing.starts_member(head):
        return position if head else None
    following = _next_record(stream, position, framing)
    end = "the file's end" if following is None else f"offset {following}"
    report.fail(name, position, f"bytes that are no record, up to {end}")
    return following


def _parsed(data: bytes) -> Iterator[tuple[ArcWarcRecord, bytes]]:
    """The records of one member's data, with their HTTP payloads (de-chunked, decoded)."""
    iterator = ArchiveIterator(io.BytesIO(data), arc2warc=True, check_digests=False)
    for record in iterator:
        payload = record.content_stream().read() if record.http_headers else b""
        iterator.read_to_end(record)
        _check_whole(record)
        yield record, payload


class CutShort(ValueError):
    """A record whose bytes end before the length its header states."""


def _check_whole(record: ArcWarcRecord) -> None:
    """Raise :class:`CutShort` for a record the stream ended inside of (warcio gives such a
    record as it is: a length damaged upwards would swallow the records after it)."""
    if record.rec_headers.get_header("Content-Length") is None:  # (the standard's must)
        raise CutShort("a record whose header states no length (a damaged header?)")
    stream = record.raw_stream
    while stream is not None and not isinstance(stream, LimitReader):
        stream = getattr(stream, "stream", None)
    if isinstance(stream, LimitReader) and stream.limit > 0:
        raise CutShort(f"the record ends {stream.limit} bytes before the length it states")


def _plain_records(
    name: str, stream: IO[bytes], start: int | None, framing: Framing, report: ReadReport
) -> Iterator[Captured]:
    """The records of an uncompressed WARC; after a record that cannot be read, reading goes
    on at the next ``WARC/`` header line found."""
    while start is not None:
        stream.seek(start)
        iterator = ArchiveIterator(stream, arc2warc=True, check_digests=False)
        at = start  # where the record being read begins
        try:
            for record in iterator:
                # (the payload first: asking where a record is reads it to its end)
                payload = record.content_stream().read() if record.http_headers else b""
                iterator.read_to_end(record)
                _check_whole(record)
                offset = iterator.get_record_offset() or 0  # (from the stream's start)
                length = iterator.get_record_length() or 0
                at = offset + length
                report.records += 1
                yield Captured(record, name, offset, length, payload)
            return
        except Exception as error:  # warcio on damaged bytes raises more than its own errors
            report.fail(name, at, f"{type(error).__name__}: {error}".strip()[:300])
        start = _next_record(stream, at + 1, framing)


# -- finding the next record ---------------------------------------------------------------


def _looks_like_record(stream: IO[bytes], position: int, framing: Framing) -> bool:
    """Whether a WARC (or ARC) record begins at ``position``, compressed or not."""
    stream.seek(position)
    head = stream.read(4096)
    if head.startswith(GZIP_MEMBER):
        head = _Gzip().peek(head)
    elif head.startswith(ZSTD_FRAME):
        if not isinstance(framing, _Zstd):
            return False
        head = framing.peek(head)
    return head.startswith((b"WARC/", b"filedesc:"))


def _next_record(stream: IO[bytes], position: int, framing: Framing) -> int | None:
    """Where the next record begins at or after ``position`` (None: nowhere)."""
    base = max(position, framing.first)
    carried = b""
    markers: tuple[bytes, ...] = (GZIP_MEMBER, WARC_HEADER, b"filedesc:")
    if isinstance(framing, _Zstd):
        markers = (ZSTD_FRAME, WARC_HEADER)
    while True:
        stream.seek(base + len(carried))
        chunk = stream.read(SCAN_CHUNK)
        if not chunk:
            return None
        data = carried + chunk
        starts = sorted(index for marker in markers for index in _all(data, marker))
        for found in starts:
            if _looks_like_record(stream, base + found, framing):
                return base + found
        keep = len(WARC_HEADER) + 2
        base += len(data) - keep
        carried = data[-keep:]


def _all(data: bytes, marker: bytes) -> Iterator[int]:
    found = data.find(marker)
    while found >= 0:
        yield found
        found = data.find(marker, found + 1)
