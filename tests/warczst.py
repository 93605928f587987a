"""``.warc.zst`` files as ArchiveTeam's wget-at writes them, after the IIPC's proposal
"Zstandard Compression for WARC Files 1.0": the dictionary first, in a skippable frame of magic
0x184D2A5D (zstd-compressed or not), then one zstd frame a record, each made with it."""

from __future__ import annotations

import gzip
import io
import struct
from pathlib import Path

import zstandard

from blogarchive.warcread import ReadReport, records_of

DICTIONARY_MAGIC = 0x184D2A5D


def records_of_gz(path: Path) -> list[bytes]:
    """The records of a ``.warc.gz``, each as its bytes."""
    data = path.read_bytes()
    return [
        gzip.decompress(data[c.offset : c.offset + c.length])
        for c in records_of(str(path), io.BytesIO(data), ReadReport())
    ]


def train(records: list[bytes], size: int = 16384) -> bytes:
    """A dictionary trained on ``records`` (repeated: zstd's trainer wants many samples)."""
    return zstandard.train_dictionary(size, records * max(1, 200 // len(records))).as_bytes()


def warc_zst(
    records: list[bytes], dictionary: bytes | None = None, *, compress_dictionary: bool = False
) -> bytes:
    """The bytes of a ``.warc.zst`` of ``records``, with ``dictionary`` if given."""
    out = io.BytesIO()
    if dictionary is not None:
        stored = (
            zstandard.ZstdCompressor().compress(dictionary) if compress_dictionary else dictionary
        )
        out.write(struct.pack("<II", DICTIONARY_MAGIC, len(stored)) + stored)
        compressor = zstandard.ZstdCompressor(
            level=3, dict_data=zstandard.ZstdCompressionDict(dictionary), write_checksum=True
        )
    else:
        compressor = zstandard.ZstdCompressor(level=3, write_checksum=True)
    for record in records:
        out.write(compressor.compress(record))
    return out.getvalue()


def dictionary_of(data: bytes) -> bytes:
    """The dictionary a ``.warc.zst`` carries, as the ``zstd`` tool's ``-D`` takes it."""
    magic, size = struct.unpack("<II", data[:8])
    assert magic == DICTIONARY_MAGIC
    stored = data[8 : 8 + size]
    if stored.startswith(b"\x28\xb5\x2f\xfd"):
        return zstandard.ZstdDecompressor().decompress(stored)
    return stored
