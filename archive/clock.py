"""Time in one place: the archive's notion of "now", and the one way to convert, format
and parse the instants the archive stores and shows.

- `now()`: UTC, overridable with `NEWSARCHIVE_NOW` (ISO 8601). Catalog bookkeeping (first/
  last seen, last changed, next check) follows this clock, so tests and replays can move
  time; WARC dates always record the real moment of capture.
- `utc(moment)`: an aware UTC datetime. Naive datetimes (SQLite returns them) are UTC.
- `iso_utc(moment)`: ISO 8601 in UTC with a `Z`, to the second by default: what the
  records, the CLI's `--json`, and the HTTP API show for every instant, in lists and in
  details alike. `timespec` asks for more where the exact instant matters (a paging cursor,
  an index key) or, with "auto", for microseconds only when there are some (the exports).
- `parse_when(text)`: what `--since`/`--until` and the API's `since`/`until` accept.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Literal, overload

_ZERO = timedelta(0)
TimeSpec = Literal["seconds", "milliseconds", "microseconds", "auto"]


@overload
def utc(moment: datetime) -> datetime: ...
@overload
def utc(moment: None) -> None: ...
def utc(moment: datetime | None) -> datetime | None:
    """`moment` as an aware UTC datetime (naive datetimes, as SQLite returns them, are UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment if moment.utcoffset() == _ZERO else moment.astimezone(UTC)


@overload
def iso_utc(moment: datetime, *, timespec: TimeSpec = "seconds") -> str: ...
@overload
def iso_utc(moment: None, *, timespec: TimeSpec = "seconds") -> None: ...
def iso_utc(moment: datetime | None, *, timespec: TimeSpec = "seconds") -> str | None:
    """`YYYY-MM-DDTHH:MM:SSZ` in UTC (None for None); `timespec` as `datetime.isoformat`'s."""
    if moment is None:
        return None
    return utc(moment).replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


def now() -> datetime:
    fixed = os.environ.get("NEWSARCHIVE_NOW")
    if fixed:
        moment = datetime.fromisoformat(fixed.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


WHEN_HINT = "an ISO date or date-time like 2026-05-06 or 2026-05-06T12:00Z (years 1–9999)"


@overload
def parse_when(value: str | datetime, *, end_of_day: bool = False) -> datetime: ...
@overload
def parse_when(value: None, *, end_of_day: bool = False) -> None: ...
def parse_when(value: str | datetime | None, *, end_of_day: bool = False) -> datetime | None:
    """An ISO 8601 date or date-time (or a datetime) as an aware UTC datetime; raises
    ValueError (`WHEN_HINT` says what is accepted). A bare date is the start of that day, or
    with `end_of_day` its last microsecond, so that `since`/`until` bounds both include the
    day they name. A time without an offset is UTC. The one parser of the CLI's
    `--since`/`--until`, the API's `since`/`until` and `newsarchive.api`."""
    if value is None:
        return None
    try:
        if isinstance(value, datetime):
            moment = value
        else:
            text = str(value).strip()
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            if end_of_day and "T" not in text.upper() and " " not in text:
                moment += timedelta(days=1, microseconds=-1)
        return utc(moment)
    except OverflowError:  # out of datetime's range once in UTC (9999-12-31T23:00-01:00)
        raise ValueError(f"{value!s:.100} is out of range in UTC") from None
