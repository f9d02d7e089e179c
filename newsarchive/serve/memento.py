"""Memento (RFC 7089) over the archive: each version of an article is a memento of its URL.

- URI-R: the article's URL (the original resource).
- URI-M: `/memento/{YYYYMMDDhhmmss}/{URI-R}`, the archived response of the version captured
  then (a timestamp between captures redirects to the closest one).
- TimeGate: `/timegate/{URI-R}`, `Accept-Datetime` → 302 to the closest memento.
- TimeMap: `/timemap/link/{URI-R}`, `application/link-format` (RFC 6690) listing them.

A capture whose content equals the version before it is not a version: the mementos are
the versions (their WARC pointers name the response that holds the payload).

The archived response is hostile input served on the service's origin: it goes out with
`Content-Security-Policy: sandbox` (no scripts, an opaque origin: no cookies, no storage,
no same-origin requests) and `default-src 'none'` (nothing loaded, nothing sent), with
`nosniff` and none of its own headers but its media type.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from archive.clock import iso_utc

LINK_FORMAT = "application/link-format"
TIMESTAMP = re.compile(r"^\d{14}$")
# Characters kept as they are in a URI inside `<…>`: everything else (spaces, quotes,
# angle brackets, non-ASCII, controls) is percent-encoded, so no archived URL can end the
# link early or add parameters, and every header value stays ASCII.
_URI_SAFE = ":/?#[]@!$&'()*+,;=%~-._"
# The archived response's own headers never go out; only a media type that is a media type.
_MEDIA_TYPE = re.compile(
    r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*charset=[A-Za-z0-9._-]+)?$"
)
MEMENTO_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True, eq=False)  # compared by identity: `first`/`last` are items of one list
class Memento:
    version: int
    at: datetime  # capture time, UTC, to the second
    warc: dict[str, Any] | None  # the WARC pointer of the archived response

    @property
    def stamp(self) -> str:
        return timestamp(self.at)


def uri(value: str) -> str:
    """`value` as ASCII safe inside `<…>` in a Link header or link-format document."""
    return quote(value, safe=_URI_SAFE)


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def parse_timestamp(stamp: str) -> datetime:
    """A 14-digit timestamp as a UTC datetime; ValueError for anything else."""
    if not TIMESTAMP.match(stamp):
        raise ValueError(f"a memento timestamp has 14 digits (YYYYMMDDhhmmss), not {stamp[:40]!r}")
    return datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def http_date(moment: datetime) -> str:
    """RFC 7231 IMF-fixdate, as RFC 7089 wants (`Tue, 20 Jun 2000 18:02:59 GMT`)."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def parse_accept_datetime(value: str) -> datetime:
    """An `Accept-Datetime` value (RFC 1123 date in GMT); ValueError for anything else."""
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None or not value.strip().endswith("GMT"):
        raise ValueError(
            f"Accept-Datetime takes an RFC 1123 date like 'Tue, 04 Mar 2025 10:00:00 GMT', not {value[:80]!r}"
        )
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def mementos(versions: list[dict[str, Any]]) -> list[Memento]:
    """The article's versions (JSON records) as mementos, oldest first."""
    out = []
    for record in versions:
        stamp = record.get("captured_at")
        if not stamp:
            continue
        at = (
            datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            .astimezone(UTC)
            .replace(microsecond=0)
        )
        out.append(Memento(int(record["version"]), at, record.get("warc")))
    return sorted(out, key=lambda m: (m.at, m.version))


def closest(items: list[Memento], moment: datetime) -> Memento:
    """The memento closest in time to `moment` (the earlier one on a tie); `items` sorted."""
    times = [m.at for m in items]
    i = bisect_left(times, moment)
    if i < len(items) and items[i].at == moment:
        return items[i]
    candidates = [items[j] for j in (i - 1, i) if 0 <= j < len(items)]
    return min(candidates, key=lambda m: (abs((m.at - moment).total_seconds()), m.at))


class Links:
    """The service's Memento URIs for one original resource."""

    def __init__(self, base: str, original: str) -> None:
        self.base = base.rstrip("/")
        self.original = original

    def memento(self, m: Memento) -> str:
        return f"{self.base}/memento/{m.stamp}/{self.original}"

    @property
    def timegate(self) -> str:
        return f"{self.base}/timegate/{self.original}"

    @property
    def timemap(self) -> str:
        return f"{self.base}/timemap/link/{self.original}"


def _rel(items: list[Memento], m: Memento) -> str:
    rels = []
    if m is items[0]:
        rels.append("first")
    if m is items[-1]:
        rels.append("last")
    return " ".join([*rels, "memento"])


def timemap(links: Links, items: list[Memento]) -> str:
    """The TimeMap in link-format, laid out as RFC 7089 section 5's example."""
    lines = [
        f'<{uri(links.original)}>;rel="original",',
        f'<{uri(links.timemap)}>\n  ; rel="self";type="{LINK_FORMAT}"\n'
        f'  ; from="{http_date(items[0].at)}"\n  ; until="{http_date(items[-1].at)}",',
        f'<{uri(links.timegate)}>\n  ; rel="timegate",',
    ]
    for m in items:
        lines.append(
            f'<{uri(links.memento(m))}>\n  ; rel="{_rel(items, m)}";datetime="{http_date(m.at)}",'
        )
    lines[-1] = lines[-1].rstrip(",")
    return "\n".join(lines) + "\n"


def link_header(links: Links, items: list[Memento], chosen: Memento | None = None) -> str:
    """The `Link` header of a TimeGate's redirect or a memento: original, timegate, timemap,
    and the first, last and chosen mementos (RFC 7089 sections 4.1 and 4.2)."""
    parts = [
        f'<{uri(links.original)}>; rel="original"',
        f'<{uri(links.timegate)}>; rel="timegate"',
        f'<{uri(links.timemap)}>; rel="timemap"; type="{LINK_FORMAT}"; '
        f'from="{http_date(items[0].at)}"; until="{http_date(items[-1].at)}"',
    ]
    shown = [items[0], items[-1]] + ([chosen] if chosen is not None else [])
    for m in dict.fromkeys(shown):
        parts.append(
            f'<{uri(links.memento(m))}>; rel="{_rel(items, m)}"; datetime="{http_date(m.at)}"'
        )
    return ", ".join(parts)


def media_type(headers: list[tuple[str, str]]) -> str:
    """The archived response's Content-Type when it is a plain media type, else bytes."""
    for name, value in headers:
        if name.lower() == "content-type":
            value = value.strip()
            return value if _MEDIA_TYPE.match(value) else "application/octet-stream"
    return "application/octet-stream"


def describe(m: Memento) -> dict[str, Any]:
    return {"version": m.version, "datetime": iso_utc(m.at), "timestamp": m.stamp}
