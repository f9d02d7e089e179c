"""Building WARC 1.1 records (warcio) from HTTP exchanges, as docs/warc.md describes."""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import datetime
from http import HTTPStatus
from urllib.parse import urlsplit

from warcio.recordbuilder import RecordBuilder
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

from archive.clock import iso_utc
from archive.exchange import HttpExchange
from archive.urls import strip_fragment

WARC_VERSION = "WARC/1.1"
REVISIT_PROFILE = RecordBuilder.REVISIT_PROFILE_1_1
# Extracted articles: `urn:newsarchive:article:<16 hex digits>` (a valid RFC 8141 URN; the
# page URL is in the JSON). Archives written before used `resource` records under
# `urn:newsarchive:article:<page URL>`; no reader depends on either.
ARTICLE_URI_PREFIX = "urn:newsarchive:article:"


_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
# Every 10-bit group's two base32 characters: a SHA-1 digest (160 bits) is 16 lookups.
_B32_PAIRS = [a + b for a in _B32 for b in _B32]
_B32_SHIFTS = tuple(range(150, -1, -10))


def b32_digest(digest: bytes) -> str:
    """`base64.b32encode(digest)` as text, without the standard library's pure-Python loop
    for the 20 bytes of a SHA-1 digest (no padding needed: 160 bits are 32 characters)."""
    if len(digest) != 20:
        return base64.b32encode(digest).decode("ascii")
    n = int.from_bytes(digest, "big")
    return "".join([_B32_PAIRS[(n >> shift) & 1023] for shift in _B32_SHIFTS])


def sha1_digest(data: bytes) -> str:
    """`sha1:<base32>`, as warcio writes WARC-Payload-Digest and WARC-Block-Digest."""
    return "sha1:" + b32_digest(hashlib.sha1(data).digest())


class FastDigester:
    """warcio's `Digester('sha1')` (same text), with the base32 encoding above."""

    __slots__ = ("digester",)
    type_ = "sha1"

    def __init__(self) -> None:
        self.digester = hashlib.sha1()

    def update(self, buff: bytes) -> None:
        self.digester.update(buff)

    def __str__(self) -> str:
        return "sha1:" + b32_digest(self.digester.digest())


class _RecordBuilder(RecordBuilder):
    """warcio's builder with the faster digester (its digests are the same text)."""

    @staticmethod
    def _create_digester() -> FastDigester:  # type: ignore[override]
        return FastDigester()


class RawStatusAndHeaders(StatusAndHeaders):
    """Headers serialised as Latin-1, so that every received byte is written back unchanged.

    warcio percent-encodes non-ASCII header values; a faithful archive keeps the bytes.
    """

    def compute_headers_buffer(self, header_filter=None):  # type: ignore[no-untyped-def]
        self.headers_buff = self.to_str(header_filter).encode("latin-1", "replace") + b"\r\n"


def warc_date(moment: datetime) -> str:
    """WARC-Date with microseconds (WARC 1.1), always UTC.

    Always six digits: warcio's `datetime_to_iso_date` drops the fraction on a whole
    second, which would make one capture in a million lose its microsecond precision.
    """
    return iso_utc(moment, timespec="microseconds")


def status_line(status: int) -> str:
    """`<code> <standard reason phrase>`, for an exchange whose status line is not known."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _response_status(exchange: HttpExchange) -> RawStatusAndHeaders:
    """The status line as received when known (version and reason phrase kept), else
    `HTTP/1.1 <code> <standard phrase>` (HTTP/2: WARC-Protocol says so)."""
    assert exchange.status is not None
    headers = _response_headers(exchange)
    if exchange.status_line:
        protocol, _, rest = exchange.status_line.partition(" ")
        return RawStatusAndHeaders(rest, headers, protocol=protocol)
    return RawStatusAndHeaders(status_line(exchange.status), headers, protocol="HTTP/1.1")


def _response_headers(exchange: HttpExchange) -> list[tuple[str, str]]:
    """The response headers to store, made consistent with the stored body.

    Twisted hands over de-chunked bodies, so the `Transfer-Encoding: chunked` the server sent
    would lie; a body cut short would make `Content-Length` lie and pywb replay a truncated
    page. Such headers are kept under `X-Archive-Orig-` names and the true length is written.
    """
    headers: list[tuple[str, str]] = []
    needs_length = False
    for name, value in exchange.response_headers:
        lname = name.lower()
        if lname == "transfer-encoding":
            headers.append(("X-Archive-Orig-" + name, value))
            needs_length = True
        elif lname == "content-length":
            if value.strip() != str(len(exchange.body)):
                headers.append(("X-Archive-Orig-" + name, value))
                needs_length = True
            else:
                headers.append((name, value))
        else:
            headers.append((name, value))
    if needs_length and not any(n.lower() == "content-length" for n, _ in headers):
        headers.append(("Content-Length", str(len(exchange.body))))
    return headers


def _common_headers(
    exchange: HttpExchange, record_id: str, date: str, warcinfo_id: str | None
) -> dict[str, str]:
    headers = {"WARC-Record-ID": record_id, "WARC-Date": date}
    if warcinfo_id:
        headers["WARC-Warcinfo-ID"] = warcinfo_id
    if exchange.ip_address:
        headers["WARC-IP-Address"] = exchange.ip_address
    if exchange.protocol.lower() in ("h2", "http/2", "http/2.0"):
        headers["WARC-Protocol"] = "h2"
    return headers


def new_record_id() -> str:
    return RecordBuilder._make_warc_id()


class RecordFactory:
    """Makes the records of a capture; one instance per WARC writer."""

    def __init__(self) -> None:
        self.builder = _RecordBuilder(warc_version=WARC_VERSION)

    def warcinfo(self, filename: str, info: dict[str, str]) -> ArcWarcRecord:
        return self.builder.create_warcinfo_record(filename, info)

    def response(
        self,
        exchange: HttpExchange,
        *,
        record_id: str,
        warcinfo_id: str | None,
        payload_digest: str | None = None,
    ) -> ArcWarcRecord:
        """`payload_digest`: the body's `sha1_digest` when the caller has it already (it is
        not computed a second time; the header lands where warcio would add it)."""
        assert exchange.status is not None
        uri = strip_fragment(exchange.url)
        http_headers = _response_status(exchange)
        warc_headers = _common_headers(
            exchange, record_id, warc_date(exchange.requested_at), warcinfo_id
        )
        if exchange.truncated:
            warc_headers["WARC-Truncated"] = exchange.truncated
        headers = self.builder._init_warc_headers(uri, "response", warc_headers)
        if payload_digest is not None:
            headers.add_header("WARC-Payload-Digest", payload_digest)
        return self.builder.create_warc_record(
            uri,
            "response",
            payload=io.BytesIO(exchange.body),
            length=len(exchange.body),
            http_headers=http_headers,
            warc_headers=headers,
        )

    def revisit(
        self,
        exchange: HttpExchange,
        *,
        record_id: str,
        warcinfo_id: str | None,
        payload_digest: str,
        refers_to: str,
        refers_to_uri: str,
        refers_to_date: str,
    ) -> ArcWarcRecord:
        assert exchange.status is not None
        uri = strip_fragment(exchange.url)
        http_headers = _response_status(exchange)
        warc_headers = _common_headers(
            exchange, record_id, warc_date(exchange.requested_at), warcinfo_id
        )
        warc_headers["WARC-Refers-To"] = refers_to
        record = self.builder.create_revisit_record(
            uri,
            payload_digest,
            refers_to_uri,
            refers_to_date,
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        return record

    def request(
        self,
        exchange: HttpExchange,
        *,
        record_id: str,
        warcinfo_id: str | None,
        concurrent_to: str | None,
    ) -> ArcWarcRecord:
        uri = strip_fragment(exchange.url)
        if exchange.request_line:  # the bytes as sent
            http_headers = RawStatusAndHeaders(
                exchange.request_line, list(exchange.request_headers), is_http_request=True
            )
        else:
            parts = urlsplit(uri)
            target = parts.path or "/"
            if parts.query:
                target += "?" + parts.query
            headers = list(exchange.request_headers)
            if not any(n.lower() == "host" for n, _ in headers):
                # Host is host[:port] (RFC 9110): never the userinfo of a `user:pass@` URL.
                headers.insert(0, ("Host", parts.netloc.rpartition("@")[2]))
            http_headers = RawStatusAndHeaders(
                f"{exchange.method} {target} HTTP/1.1", headers, is_http_request=True
            )
        warc_headers = _common_headers(
            exchange, record_id, warc_date(exchange.requested_at), warcinfo_id
        )
        warc_headers.pop("WARC-IP-Address", None)
        if concurrent_to:
            warc_headers["WARC-Concurrent-To"] = concurrent_to
        return self.builder.create_warc_record(
            uri,
            "request",
            payload=io.BytesIO(exchange.request_body),
            length=len(exchange.request_body),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )

    def article_conversion(
        self,
        article_id: str,
        payload: bytes,
        *,
        record_id: str,
        date: str,
        warcinfo_id: str | None,
        refers_to: str,
    ) -> ArcWarcRecord:
        """The extracted article as JSON: a WARC 1.1 `conversion` record (an alternative
        version of the response's content made by an archival process, as Common Crawl's WET
        text is) pointing at the response by `WARC-Refers-To`, under
        `urn:newsarchive:article:<article id>`. Never under the page's own URI: pywb's own
        indexer would index it there and could serve the JSON as the page (cdxj-indexer
        leaves `conversion` records out of the index altogether). docs/warc.md."""
        headers = {"WARC-Record-ID": record_id, "WARC-Date": date, "WARC-Refers-To": refers_to}
        if warcinfo_id:
            headers["WARC-Warcinfo-ID"] = warcinfo_id
        return self.builder.create_warc_record(
            ARTICLE_URI_PREFIX + article_id,
            "conversion",
            payload=io.BytesIO(payload),
            length=len(payload),
            warc_content_type="application/json",
            warc_headers_dict=headers,
        )
