"""One HTTP exchange as the archive sees it, independent of the crawler that made it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class HttpExchange:
    """A request and (when one came back) its response, exactly as sent and received.

    Header values are `str` decoded as Latin-1 so that every byte round-trips.
    `body` is the payload as received: content-coding (gzip) kept, transfer-coding removed.
    """

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    requested_at: datetime  # when the request was sent (UTC, microseconds)
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    protocol: str = "HTTP/1.1"
    ip_address: str | None = None
    truncated: str | None = None  # WARC-Truncated reason: "length", "disconnect", "time"
    request_body: bytes = b""
    # The status line as received, e.g. "HTTP/1.0 302 Moved Temporarily" (None: not known,
    # written as `HTTP/1.1 <status> <standard phrase>`).
    status_line: str | None = None
    # The request line as sent, e.g. "GET /a?b HTTP/1.1"; with it `request_headers` are the
    # header lines exactly as sent, Host included (None: rebuilt from method, URL, headers).
    request_line: str | None = None

    def response_header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.response_headers:
            if key.lower() == lname:
                return value
        return None


@dataclass(frozen=True)
class RecordLocation:
    """Where a WARC record lives: the closed file name, the gzip member's offset and length."""

    filename: str
    offset: int
    length: int
    record_id: str

    def to_dict(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "offset": self.offset,
            "length": self.length,
            "record_id": self.record_id,
        }


@dataclass(frozen=True)
class CaptureRecords:
    """The records written for one exchange."""

    response: RecordLocation | None
    request: RecordLocation
    warc_date: str
    payload_digest: str | None
    revisit_of: str | None = None  # record id of the original when a revisit was written
