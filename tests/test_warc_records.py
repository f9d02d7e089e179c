"""WARC records built from HTTP exchanges (archive/warc_records.py), checked byte by byte.

Golden-bytes tests in the manner of warcio's: record ids and dates are fixed, so the
serialised record is known exactly. The records are then written with `WarcFileWriter`,
read back with warcio's `ArchiveIterator`, and the file is checked with `gzip -t` and
`warcio check -v` (docs/warc.md: gzip -t, warcio check, reading back).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.utils import Digester

from archive.exchange import HttpExchange, RecordLocation
from archive.warc_files import WarcFileWriter, _MemberSerializer
from archive.warc_records import (
    ARTICLE_URI_PREFIX,
    REVISIT_PROFILE,
    RecordFactory,
    b32_digest,
    sha1_digest,
    status_line,
    warc_date,
)
from tests.warc_assertions import check_closed_warc

BIN = Path(sys.executable).parent
WARCINFO_ID = "<urn:uuid:00000000-0000-4000-8000-000000000000>"
RESPONSE_ID = "<urn:uuid:00000000-0000-4000-8000-000000000001>"
REQUEST_ID = "<urn:uuid:00000000-0000-4000-8000-000000000002>"
RESOURCE_ID = "<urn:uuid:00000000-0000-4000-8000-000000000003>"
REVISIT_ID = "<urn:uuid:00000000-0000-4000-8000-000000000004>"
SENT_AT = datetime(2024, 3, 1, 12, 30, 45, 123456, tzinfo=UTC)
SENT_AT_WARC = "2024-03-01T12:30:45.123456Z"
REVISIT_PROFILE_1_1 = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def exchange(**overrides) -> HttpExchange:
    values = {
        "url": "http://example.com/news/story?id=7#top",
        "method": "GET",
        "request_headers": [("User-Agent", "newsarchive-test/1.0"), ("Accept", "text/html")],
        "requested_at": SENT_AT,
        "status": 200,
        "response_headers": [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", "12"),
        ],
        "body": b"<p>hello</p>",
        "ip_address": "192.0.2.7",
    }
    values.update(overrides)
    return HttpExchange(**values)


def serialise(record: ArcWarcRecord) -> bytes:
    """The record exactly as `WarcFileWriter` stores it, gzip member undone."""
    return gzip.decompress(_MemberSerializer().member(record))


def http_block(raw: bytes) -> bytes:
    """The record block (HTTP headers and body) of a serialised record."""
    head, _, rest = raw.partition(b"\r\n\r\n")
    length = int(
        next(line for line in head.split(b"\r\n") if line.startswith(b"Content-Length: "))[16:]
    )
    assert rest[length:] == b"\r\n\r\n"
    return rest[:length]


def http_header_lines(raw: bytes) -> list[bytes]:
    head = http_block(raw).split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\n")


def response_and_request(ex: HttpExchange, factory: RecordFactory, warcinfo_id: str | None):
    return [
        factory.response(ex, record_id=RESPONSE_ID, warcinfo_id=warcinfo_id),
        factory.request(
            ex, record_id=REQUEST_ID, warcinfo_id=warcinfo_id, concurrent_to=RESPONSE_ID
        ),
    ]


def write_file(
    tmp_path: Path, build: Callable[[RecordFactory, str], Sequence[ArcWarcRecord]]
) -> tuple[Path, list[RecordLocation]]:
    """Write the records `build` makes into one closed WARC file; check it like every file."""
    writer = WarcFileWriter(tmp_path / "data")
    warcinfo_id = writer.ensure_open()
    locations = writer.write(build(writer.records, warcinfo_id))
    info = writer.close()
    assert info is not None
    path = tmp_path / "data" / info.relpath
    subprocess.run(["gzip", "-t", str(path)], check=True)
    check = subprocess.run(
        [str(BIN / "warcio"), "check", "-v", str(path)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    check_closed_warc(path)
    return path, locations


def read_back(path: Path) -> list[dict]:
    out = []
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            out.append(
                {
                    "type": record.rec_type,
                    "warc": record.rec_headers,
                    "http": record.http_headers,
                    "payload": record.content_stream().read(),
                }
            )
    return out


# -- golden bytes ------------------------------------------------------------------------


def test_response_record_golden_bytes():
    ex = exchange(
        status=404,
        response_headers=[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            ("Content-Length", "9"),
        ],
        body=b"not found",
    )
    record = RecordFactory().response(ex, record_id=RESPONSE_ID, warcinfo_id=WARCINFO_ID)
    block = (
        b"HTTP/1.1 404 Not Found\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n"
        b"Set-Cookie: a=1\r\n"
        b"Set-Cookie: b=2\r\n"
        b"Content-Length: 9\r\n"
        b"\r\n"
        b"not found"
    )
    expected = (
        b"WARC/1.1\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n"
        b"WARC-Date: 2024-03-01T12:30:45.123456Z\r\n"
        b"WARC-Warcinfo-ID: <urn:uuid:00000000-0000-4000-8000-000000000000>\r\n"
        b"WARC-IP-Address: 192.0.2.7\r\n"
        b"WARC-Type: response\r\n"
        b"WARC-Target-URI: http://example.com/news/story?id=7\r\n"
        b"WARC-Payload-Digest: sha1:BFFXMO2M7TALAXS5AQCYDTKRHQ6KBADH\r\n"
        b"WARC-Block-Digest: sha1:CON2UL5RUIUVTJ5Q6VXNF7G244BJBLSD\r\n"
        b"Content-Type: application/http; msgtype=response\r\n"
        b"Content-Length: 128\r\n"
        b"\r\n" + block + b"\r\n\r\n"
    )
    assert serialise(record) == expected
    # The payload digest handed over by the session (computed once): the same bytes.
    given = RecordFactory().response(
        ex, record_id=RESPONSE_ID, warcinfo_id=WARCINFO_ID, payload_digest=sha1_digest(ex.body)
    )
    assert serialise(given) == expected
    # The fixed digests are what the standard says they are.
    assert sha1_b32(b"not found") == "sha1:BFFXMO2M7TALAXS5AQCYDTKRHQ6KBADH"
    assert sha1_b32(block) == "sha1:CON2UL5RUIUVTJ5Q6VXNF7G244BJBLSD"
    assert len(block) == 128


def test_fast_sha1_digest_text_is_warcio_digester_text():
    for size in (0, 1, 9, 19, 20, 21, 1000, 70_000):
        data = bytes(range(256)) * (size // 256) + bytes(size % 256)
        digester = Digester("sha1")
        digester.update(data)
        assert sha1_digest(data) == str(digester) == sha1_b32(data)
    for raw in (b"", b"\x00" * 20, b"\xff" * 20, bytes(range(20)), b"\x01" * 32):
        assert b32_digest(raw) == base64.b32encode(raw).decode("ascii")


def test_request_record_golden_bytes():
    ex = exchange()
    record = RecordFactory().request(
        ex, record_id=REQUEST_ID, warcinfo_id=WARCINFO_ID, concurrent_to=RESPONSE_ID
    )
    block = (
        b"GET /news/story?id=7 HTTP/1.1\r\n"
        b"Host: example.com\r\n"
        b"User-Agent: newsarchive-test/1.0\r\n"
        b"Accept: text/html\r\n"
        b"\r\n"
    )
    expected = (
        b"WARC/1.1\r\n"
        b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000002>\r\n"
        b"WARC-Date: 2024-03-01T12:30:45.123456Z\r\n"
        b"WARC-Warcinfo-ID: <urn:uuid:00000000-0000-4000-8000-000000000000>\r\n"
        b"WARC-Concurrent-To: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\n"
        b"WARC-Type: request\r\n"
        b"WARC-Target-URI: http://example.com/news/story?id=7\r\n"
        b"WARC-Payload-Digest: " + sha1_b32(b"").encode() + b"\r\n"
        b"WARC-Block-Digest: " + sha1_b32(block).encode() + b"\r\n"
        b"Content-Type: application/http; msgtype=request\r\n"
        b"Content-Length: " + str(len(block)).encode() + b"\r\n"
        b"\r\n" + block + b"\r\n\r\n"
    )
    assert serialise(record) == expected


# -- the response block ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "line"),
    [
        (200, "200 OK"),
        (301, "301 Moved Permanently"),
        (404, "404 Not Found"),
        (410, "410 Gone"),
        (503, "503 Service Unavailable"),
    ],
)
def test_status_line_has_the_standard_reason_phrase(status, line):
    assert status_line(status) == line
    raw = serialise(
        RecordFactory().response(exchange(status=status), record_id=RESPONSE_ID, warcinfo_id=None)
    )
    assert http_header_lines(raw)[0] == f"HTTP/1.1 {line}".encode()


def test_status_without_a_standard_phrase_still_makes_a_valid_status_line():
    raw = serialise(
        RecordFactory().response(exchange(status=599), record_id=RESPONSE_ID, warcinfo_id=None)
    )
    assert http_header_lines(raw)[0].startswith(b"HTTP/1.1 599 ")


def test_repeated_set_cookie_headers_are_all_kept_in_order(tmp_path):
    headers = [
        ("Set-Cookie", "session=abc; Path=/"),
        ("Content-Type", "text/html"),
        ("Set-Cookie", "consent=no; Path=/"),
        ("Set-Cookie", "ab=B; Max-Age=60"),
    ]
    ex = exchange(response_headers=headers)
    raw = serialise(RecordFactory().response(ex, record_id=RESPONSE_ID, warcinfo_id=None))
    assert http_header_lines(raw)[1:] == [f"{k}: {v}".encode() for k, v in headers]

    path, _ = write_file(tmp_path, lambda f, wid: response_and_request(ex, f, wid))
    response = next(r for r in read_back(path) if r["type"] == "response")
    assert response["http"].headers == headers


def test_latin1_header_bytes_round_trip_byte_exactly(tmp_path):
    # Bytes that are not UTF-8 (a lone 0xE9, 0xFF) as a server sent them; the crawler
    # decodes header bytes as Latin-1, so every byte maps to one character.
    sent = [
        (b"Content-Disposition", b'inline; filename="caf\xe9.html"'),
        (b"X-Odd", b"\xff\xfe\x80 ok"),
    ]
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in sent]
    ex = exchange(response_headers=[("Content-Type", "text/html"), *headers])
    raw = serialise(RecordFactory().response(ex, record_id=RESPONSE_ID, warcinfo_id=None))
    lines = http_header_lines(raw)
    assert b'Content-Disposition: inline; filename="caf\xe9.html"' in lines
    assert b"X-Odd: \xff\xfe\x80 ok" in lines
    assert b"%" not in b"".join(lines), "header bytes were percent-encoded instead of kept"

    path, locations = write_file(tmp_path, lambda f, wid: response_and_request(ex, f, wid))
    with open(path, "rb") as fh:
        fh.seek(locations[0].offset)
        member = gzip.decompress(fh.read(locations[0].length))
    assert b'filename="caf\xe9.html"\r\n' in member
    assert b"X-Odd: \xff\xfe\x80 ok\r\n" in member
    # warcio decodes a non-UTF-8 header line as Latin-1: the same characters come back.
    response = next(r for r in read_back(path) if r["type"] == "response")
    assert response["http"].get_header("X-Odd") == "\xff\xfe\x80 ok"
    assert response["http"].get_header("Content-Disposition") == headers[0][1]


def test_transfer_encoding_chunked_is_renamed_and_the_true_length_written(tmp_path):
    body = b"<html>" + b"x" * 500 + b"</html>"
    ex = exchange(
        response_headers=[("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
        body=body,
    )
    raw = serialise(RecordFactory().response(ex, record_id=RESPONSE_ID, warcinfo_id=None))
    lines = http_header_lines(raw)
    assert b"X-Archive-Orig-Transfer-Encoding: chunked" in lines
    assert not any(line.lower().startswith(b"transfer-encoding:") for line in lines)
    assert f"Content-Length: {len(body)}".encode() in lines
    assert http_block(raw).endswith(b"\r\n\r\n" + body)  # de-chunked body, as received

    path, _ = write_file(tmp_path, lambda f, wid: response_and_request(ex, f, wid))
    response = next(r for r in read_back(path) if r["type"] == "response")
    assert response["http"].get_header("Transfer-Encoding") is None
    assert response["http"].get_header("Content-Length") == str(len(body))
    assert response["payload"] == body


def test_wrong_content_length_is_renamed_and_the_true_length_written():
    ex = exchange(response_headers=[("Content-Length", "999"), ("Content-Type", "text/html")])
    lines = http_header_lines(
        serialise(RecordFactory().response(ex, record_id=RESPONSE_ID, warcinfo_id=None))
    )
    assert b"X-Archive-Orig-Content-Length: 999" in lines
    assert b"Content-Length: 12" in lines
    assert sum(line.lower().startswith(b"content-length:") for line in lines) == 1


def test_correct_content_length_and_content_encoding_are_kept_as_received():
    body = gzip.compress(b"<p>compressed page</p>", mtime=0)
    ex = exchange(
        response_headers=[("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))],
        body=body,
    )
    record = RecordFactory().response(ex, record_id=RESPONSE_ID, warcinfo_id=None)
    raw = serialise(record)
    assert http_header_lines(raw)[1:] == [
        b"Content-Encoding: gzip",
        f"Content-Length: {len(body)}".encode(),
    ]
    assert http_block(raw).endswith(b"\r\n\r\n" + body)
    # The payload digest is of the body as received (still gzipped).
    assert record.rec_headers.get_header("WARC-Payload-Digest") == sha1_b32(body)


def test_truncated_body_gets_warc_truncated_and_the_true_length(tmp_path):
    body = b"a" * 1000  # the first 1000 of 300000 bytes
    ex = exchange(
        response_headers=[("Content-Type", "text/html"), ("Content-Length", "300000")],
        body=body,
        truncated="length",
    )
    raw = serialise(RecordFactory().response(ex, record_id=RESPONSE_ID, warcinfo_id=None))
    assert b"\r\nWARC-Truncated: length\r\n" in raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"
    lines = http_header_lines(raw)
    assert b"X-Archive-Orig-Content-Length: 300000" in lines
    assert b"Content-Length: 1000" in lines

    path, _ = write_file(tmp_path, lambda f, wid: response_and_request(ex, f, wid))
    response = next(r for r in read_back(path) if r["type"] == "response")
    assert response["warc"].get_header("WARC-Truncated") == "length"
    assert response["http"].get_header("Content-Length") == "1000"
    assert response["payload"] == body


def test_response_without_truncation_has_no_warc_truncated():
    record = RecordFactory().response(exchange(), record_id=RESPONSE_ID, warcinfo_id=None)
    assert record.rec_headers.get_header("WARC-Truncated") is None


def test_http2_is_written_as_http11_with_warc_protocol():
    record = RecordFactory().response(
        exchange(protocol="h2"), record_id=RESPONSE_ID, warcinfo_id=None
    )
    assert record.rec_headers.get_header("WARC-Protocol") == "h2"
    assert http_header_lines(serialise(record))[0] == b"HTTP/1.1 200 OK"
    plain = RecordFactory().response(exchange(), record_id=RESPONSE_ID, warcinfo_id=None)
    assert plain.rec_headers.get_header("WARC-Protocol") is None


# -- WARC-Date -------------------------------------------------------------------------


def test_warc_date_is_utc_with_microseconds():
    assert warc_date(SENT_AT) == SENT_AT_WARC
    plus_two = timezone(timedelta(hours=2))
    assert (
        warc_date(datetime(2024, 3, 1, 14, 30, 45, 5, tzinfo=plus_two))
        == "2024-03-01T12:30:45.000005Z"
    )


def test_warc_date_keeps_microsecond_precision_on_a_whole_second():
    # docs/warc.md: the moment the request was sent, microsecond precision -- a request sent
    # on a whole second must not lose the fraction (tests/warc_assertions requires it).
    assert warc_date(datetime(2024, 3, 1, 12, 30, 45, tzinfo=UTC)) == "2024-03-01T12:30:45.000000Z"


# -- the request record ----------------------------------------------------------------


def test_request_record_line_host_and_headers():
    ex = exchange(
        url="http://Example.com:8080/path?q=1#frag",
        request_headers=[("Accept", "*/*"), ("Cookie", "a=1"), ("Cookie", "b=2")],
    )
    record = RecordFactory().request(
        ex, record_id=REQUEST_ID, warcinfo_id=None, concurrent_to=RESPONSE_ID
    )
    lines = http_header_lines(serialise(record))
    assert lines == [
        b"GET /path?q=1 HTTP/1.1",
        b"Host: Example.com:8080",
        b"Accept: */*",
        b"Cookie: a=1",
        b"Cookie: b=2",
    ]
    assert record.rec_headers.get_header("WARC-Target-URI") == "http://Example.com:8080/path?q=1"
    assert record.rec_headers.get_header("WARC-Concurrent-To") == RESPONSE_ID
    assert record.rec_headers.get_header("Content-Type") == "application/http; msgtype=request"


def test_request_record_keeps_the_crawlers_own_host_header_once():
    ex = exchange(
        url="http://example.com/", request_headers=[("Host", "example.com"), ("Accept", "*/*")]
    )
    lines = http_header_lines(
        serialise(
            RecordFactory().request(ex, record_id=REQUEST_ID, warcinfo_id=None, concurrent_to=None)
        )
    )
    assert lines == [b"GET / HTTP/1.1", b"Host: example.com", b"Accept: */*"]


def test_request_record_for_a_root_url_without_path():
    ex = exchange(url="https://example.com", request_headers=[])
    record = RecordFactory().request(ex, record_id=REQUEST_ID, warcinfo_id=None, concurrent_to=None)
    assert http_header_lines(serialise(record)) == [b"GET / HTTP/1.1", b"Host: example.com"]
    assert record.rec_headers.get_header("WARC-Concurrent-To") is None


def test_request_record_host_header_never_carries_userinfo():
    ex = exchange(url="http://user:secret@example.com:8080/a", request_headers=[])
    record = RecordFactory().request(ex, record_id=REQUEST_ID, warcinfo_id=None, concurrent_to=None)
    assert http_header_lines(serialise(record)) == [b"GET /a HTTP/1.1", b"Host: example.com:8080"]


def test_request_record_host_header_for_an_ipv6_address():
    ex = exchange(url="http://[::1]:8000/a", request_headers=[])
    record = RecordFactory().request(ex, record_id=REQUEST_ID, warcinfo_id=None, concurrent_to=None)
    assert http_header_lines(serialise(record))[1] == b"Host: [::1]:8000"


def test_request_record_with_a_body():
    ex = exchange(
        method="POST",
        request_headers=[("Content-Type", "application/x-www-form-urlencoded")],
        request_body=b"q=news",
    )
    raw = serialise(
        RecordFactory().request(ex, record_id=REQUEST_ID, warcinfo_id=None, concurrent_to=None)
    )
    assert http_header_lines(raw)[0] == b"POST /news/story?id=7 HTTP/1.1"
    assert http_block(raw).endswith(b"\r\n\r\nq=news")


def test_response_and_request_share_uri_and_date_without_fragment(tmp_path):
    ex = exchange(url="http://example.com/news/story?id=7#comments")
    path, locations = write_file(tmp_path, lambda f, wid: response_and_request(ex, f, wid))
    records = read_back(path)
    assert [r["type"] for r in records] == ["warcinfo", "response", "request"]
    response, request = records[1], records[2]
    for r in (response, request):
        assert r["warc"].get_header("WARC-Target-URI") == "http://example.com/news/story?id=7"
        assert r["warc"].get_header("WARC-Date") == SENT_AT_WARC
        assert r["warc"].get_header("WARC-Warcinfo-ID") == records[0]["warc"].get_header(
            "WARC-Record-ID"
        )
        assert r["warc"].protocol == "WARC/1.1"
    assert response["warc"].get_header("WARC-Record-ID") == RESPONSE_ID
    assert response["warc"].get_header("WARC-IP-Address") == "192.0.2.7"
    assert request["warc"].get_header("WARC-Concurrent-To") == RESPONSE_ID
    assert request["http"].protocol == "GET"
    assert request["http"].statusline == "/news/story?id=7 HTTP/1.1"
    assert request["http"].get_header("Host") == "example.com"
    assert response["payload"] == ex.body
    assert [loc.record_id for loc in locations] == [RESPONSE_ID, REQUEST_ID]


# -- revisit ---------------------------------------------------------------------------


def test_revisit_record(tmp_path):
    original_digest = sha1_b32(b"<p>hello</p>")
    ex = exchange(
        requested_at=SENT_AT + timedelta(hours=1),
        response_headers=[
            ("Content-Type", "text/html"),
            ("Date", "Fri, 01 Mar 2024 13:30:45 GMT"),
            ("Content-Length", "12"),
        ],
    )

    def build(factory: RecordFactory, wid: str):
        revisit = factory.revisit(
            ex,
            record_id=REVISIT_ID,
            warcinfo_id=wid,
            payload_digest=original_digest,
            refers_to=RESPONSE_ID,
            refers_to_uri="http://example.com/news/story?id=7",
            refers_to_date=SENT_AT_WARC,
        )
        request = factory.request(
            ex, record_id=REQUEST_ID, warcinfo_id=wid, concurrent_to=REVISIT_ID
        )
        return [revisit, request]

    assert REVISIT_PROFILE == REVISIT_PROFILE_1_1
    path, locations = write_file(tmp_path, build)
    with open(path, "rb") as fh:
        fh.seek(locations[0].offset)
        raw = gzip.decompress(fh.read(locations[0].length))
    block = http_block(raw)
    assert block.endswith(b"\r\n\r\n"), "a revisit stores the HTTP headers and no body"
    assert b"<p>hello</p>" not in raw

    revisit = read_back(path)[1]
    h = revisit["warc"]
    assert revisit["type"] == "revisit"
    assert h.get_header("WARC-Profile") == REVISIT_PROFILE_1_1
    assert h.get_header("WARC-Refers-To") == RESPONSE_ID
    assert h.get_header("WARC-Refers-To-Target-URI") == "http://example.com/news/story?id=7"
    assert h.get_header("WARC-Refers-To-Date") == SENT_AT_WARC
    assert h.get_header("WARC-Payload-Digest") == original_digest
    assert h.get_header("WARC-Target-URI") == "http://example.com/news/story?id=7"
    assert h.get_header("WARC-Date") == "2024-03-01T13:30:45.123456Z"
    assert h.get_header("WARC-Block-Digest") == sha1_b32(block)
    assert int(h.get_header("Content-Length")) == len(block)
    assert revisit["http"].statusline == "200 OK"
    assert revisit["http"].get_header("Date") == "Fri, 01 Mar 2024 13:30:45 GMT"  # fresh headers
    assert revisit["payload"] == b""


# -- resource and warcinfo ---------------------------------------------------------------


def test_article_conversion_record(tmp_path):
    """The extracted article: a `conversion` record referring to its response, under a valid
    URN (no page URL with its `?` and `#` inside), never indexed for replay."""
    payload = json.dumps({"title": "Café owners rally", "version": 1}, ensure_ascii=False).encode(
        "utf-8"
    )
    ex = exchange(url="http://example.com/2024/03/01/story?page=2#top")

    def build(factory: RecordFactory, wid: str):
        return [
            *response_and_request(ex, factory, wid),
            factory.article_conversion(
                "0123456789abcdef",
                payload,
                record_id=RESOURCE_ID,
                date=SENT_AT_WARC,
                warcinfo_id=wid,
                refers_to=RESPONSE_ID,
            ),
        ]

    path, _ = write_file(tmp_path, build)
    resource = read_back(path)[3]
    h = resource["warc"]
    assert resource["type"] == "conversion"
    assert h.get_header("WARC-Target-URI") == ARTICLE_URI_PREFIX + "0123456789abcdef"
    assert h.get_header("Content-Type") == "application/json"
    assert h.get_header("WARC-Refers-To") == RESPONSE_ID
    assert h.get_header("WARC-Concurrent-To") is None
    assert h.get_header("WARC-Record-ID") == RESOURCE_ID
    assert h.get_header("WARC-Date") == SENT_AT_WARC
    assert h.get_header("WARC-Block-Digest") == sha1_b32(payload)
    assert resource["http"] is None
    assert json.loads(resource["payload"]) == {"title": "Café owners rally", "version": 1}
    # cdxj-indexer (what pywb and the WACZ index use) leaves it out: it never replays.
    index = subprocess.run([str(Path(sys.executable).parent / "cdxj-indexer"), str(path)],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert "urn:newsarchive" not in index and index.count("\n") == 1


def test_warcinfo_record_is_warc_11_with_filename_and_fields():
    record = RecordFactory().warcinfo(
        "x-1.warc.gz", {"software": "newsarchive/0.1", "operator": "Desk"}
    )
    raw = serialise(record)
    assert raw.startswith(b"WARC/1.1\r\n")
    assert record.rec_headers.get_header("WARC-Filename") == "x-1.warc.gz"
    assert record.rec_headers.get_header("Content-Type") == "application/warc-fields"
    assert http_block(raw) == b"software: newsarchive/0.1\r\noperator: Desk\r\n"


def test_every_record_type_reads_back_through_archive_iterator(tmp_path):
    ex = exchange()

    def build(factory: RecordFactory, wid: str):
        return [
            *response_and_request(ex, factory, wid),
            factory.article_conversion(
                "0123456789abcdef",
                b"{}",
                record_id=RESOURCE_ID,
                date=SENT_AT_WARC,
                warcinfo_id=wid,
                refers_to=RESPONSE_ID,
            ),
        ]

    path, locations = write_file(tmp_path, build)
    # Each location, read alone by offset, is the record it names.
    for location in locations:
        with open(path, "rb") as fh:
            fh.seek(location.offset)
            record = next(iter(ArchiveIterator(io.BytesIO(fh.read(location.length)))))
            assert record.rec_headers.get_header("WARC-Record-ID") == location.record_id
