"""WARC/1.1 records as ``blogarchive.warc`` writes them, read back with warcio: the bytes the
server sent, digests that check, revisits that refer to what they repeat, a capture found at
its offset, files rotated at their size. Exchanges are drawn at random too (hypothesis)."""

from __future__ import annotations

import gzip
import io
import random
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from warcio.archiveiterator import ArchiveIterator

from blogarchive.items import Capture
from blogarchive.warc import (
    IDENTICAL_PAYLOAD,
    SERVER_NOT_MODIFIED,
    Exchange,
    WarcFiles,
    payload_digest,
)

URL = "http://127.0.0.2:8780/2010/03/a-post.html?m=1"


def exchange(body: bytes = b"<html><p>A post.</p></html>", **fields: object) -> Exchange:
    values: dict[str, object] = {
        "url": URL,
        "status": 200,
        "request_headers": (("User-Agent", "blogarchive"), ("Accept-Encoding", "gzip, deflate")),
        "response_headers": (("Content-Type", "text/html; charset=UTF-8"),),
        "body": body,
        "ip_address": "127.0.0.2",
    }
    return Exchange(**{**values, **fields})  # type: ignore[arg-type]


def records(folder: Path) -> list[tuple[str, dict[str, str], bytes, object]]:
    """Every record of every file in ``folder``: its type, WARC headers, raw payload (as
    stored, not decoded) and HTTP headers; warcio checks each digest as it reads."""
    found = []
    for path in sorted(folder.glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                headers = dict(record.rec_headers.headers)
                payload = record.raw_stream.read()
                found.append((record.rec_type, headers, payload, record.http_headers))
    return found


def at(folder: Path, capture: Capture) -> tuple[str, dict[str, str], bytes]:
    """The record a capture names, read at its offset alone (as a replay tool reads it)."""
    with (folder / capture.warc_file).open("rb") as stream:
        stream.seek(capture.offset)
        member = stream.read(capture.length)
    record = next(iter(ArchiveIterator(io.BytesIO(member), check_digests="raise")))
    return record.rec_type, dict(record.rec_headers.headers), record.raw_stream.read()


def test_a_response_and_its_request_as_the_server_sent_them(tmp_path: Path) -> None:
    body = gzip.compress(b"<html><p>A post.</p></html>")
    files = WarcFiles(tmp_path, info={"software": "test"})
    capture = files.write(
        exchange(
            body,
            response_headers=(
                ("Content-Type", "text/html"),
                ("Content-Encoding", "gzip"),
                ("Transfer-Encoding", "chunked"),
            ),
            protocol="HTTP/1.1",
        )
    )
    files.close()
    [info, response, request] = records(tmp_path)
    assert info[0] == "warcinfo" and info[1]["WARC-Type"] == "warcinfo"
    kind, headers, payload, http = response
    assert kind == "response" and headers["WARC-Target-URI"] == URL
    assert payload == body  # as sent: still gzip
    assert http.get_header("Content-Encoding") == "gzip"  # type: ignore[attr-defined]
    assert http.get_header("Transfer-Encoding") is None  # type: ignore[attr-defined]
    assert http.protocol == "HTTP/1.1" and http.get_statuscode() == "200"  # type: ignore[attr-defined]
    assert headers["WARC-IP-Address"] == "127.0.0.2"
    assert headers["WARC-Payload-Digest"] == payload_digest(body) == capture.payload_digest
    assert "WARC-Block-Digest" in headers
    assert len(headers["WARC-Date"]) == len("2026-12-04T20:55:37.123456Z")  # microseconds
    kind, req_headers, _, req_http = request
    assert kind == "request" and req_headers["WARC-Concurrent-To"] == headers["WARC-Record-ID"]
    assert req_headers["WARC-Date"] == headers["WARC-Date"]
    request_line = f"{req_http.protocol} {req_http.statusline}"  # type: ignore[attr-defined]
    assert request_line == "GET /2010/03/a-post.html?m=1 HTTP/1.1"
    assert req_http.get_header("Host") == "127.0.0.2:8780"  # type: ignore[attr-defined]
    assert req_http.get_header("Accept-Encoding") == "gzip, deflate"  # type: ignore[attr-defined]
    # the capture says where the record is: read there alone, it is the response
    kind, alone, payload = at(tmp_path, capture)
    assert (kind, alone["WARC-Record-ID"], payload) == ("response", capture.record_id, body)


def test_a_304_and_a_repeated_payload_are_revisits_of_the_last_capture(tmp_path: Path) -> None:
    files = WarcFiles(tmp_path)
    first = files.write(exchange())
    not_modified = files.write(exchange(b"", status=304), previous=first)
    same = files.write(exchange(), previous=first)
    other = files.write(exchange(b"<html><p>Edited.</p></html>"), previous=first)
    unknown = files.write(exchange(b"", status=304))  # archived before captures were kept
    files.close()
    assert [c.record_type for c in (first, not_modified, same, other, unknown)] == [
        "response", "revisit", "revisit", "response", "revisit",
    ]  # fmt: skip
    by_id = {
        headers["WARC-Record-ID"]: (kind, headers) for kind, headers, _, _ in records(tmp_path)
    }
    _, headers = by_id[not_modified.record_id]
    assert headers["WARC-Profile"] == SERVER_NOT_MODIFIED
    assert headers["WARC-Refers-To"] == first.record_id == not_modified.refers_to
    assert headers["WARC-Refers-To-Target-URI"] == URL
    assert headers["WARC-Refers-To-Date"] == first.timestamp
    _, headers = by_id[same.record_id]
    assert headers["WARC-Profile"] == IDENTICAL_PAYLOAD
    assert headers["WARC-Payload-Digest"] == first.payload_digest
    assert headers["WARC-Refers-To"] == first.record_id
    assert "WARC-Refers-To" not in by_id[unknown.record_id][1]
    assert by_id[unknown.record_id][1]["WARC-Profile"] == SERVER_NOT_MODIFIED


def test_files_are_rotated_at_their_size_and_each_begins_with_warcinfo(tmp_path: Path) -> None:
    files = WarcFiles(tmp_path, max_size=2_000)
    captures = [files.write(exchange(random.randbytes(3_000))) for _ in range(3)]
    files.close()
    names = sorted(path.name for path in tmp_path.glob("*.warc.gz"))
    assert len(names) == 3 and names == sorted(files.names)
    assert [c.warc_file for c in captures] == files.names
    for name in names:
        with (tmp_path / name).open("rb") as stream:
            assert next(iter(ArchiveIterator(stream))).rec_type == "warcinfo"


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    status=st.sampled_from([200, 201, 204, 301, 302, 304, 404, 410, 429, 500, 503, 599]),
    body=st.binary(max_size=3000),
    headers=st.lists(
        st.tuples(
            st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True),
            st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60).map(str.strip),
        ),
        max_size=8,
    ),
    path=st.text(
        st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="#"), max_size=40
    ),
    truncated=st.booleans(),
)
# a value whose non-ASCII is not inside a parameter's value, which warcio cannot encode
@example(status=200, body=b"", headers=[("A", ";\x80=0")], path="", truncated=False)
def test_any_exchange_round_trips_with_digests_that_check(
    tmp_path_factory: object,
    status: int,
    body: bytes,
    headers: list[tuple[str, str]],
    path: str,
    truncated: bool,
) -> None:
    folder = tmp_path_factory.mktemp("warc")  # type: ignore[attr-defined]
    files = WarcFiles(folder)
    sent = exchange(
        body if status != 304 else b"",
        status=status,
        url=f"http://127.0.0.2:8780/{path}",
        response_headers=tuple(headers),
        truncated=truncated,
    )
    capture = files.write(sent)
    files.close()
    kinds = [kind for kind, _, _, _ in records(folder)]  # digests checked as read
    assert kinds == ["warcinfo", capture.record_type, "request"]
    kind, headers_read, payload = at(folder, capture)
    assert kind == capture.record_type and headers_read["WARC-Record-ID"] == capture.record_id
    if kind == "response":
        assert payload == sent.body
    assert ("WARC-Truncated" in headers_read) == truncated
