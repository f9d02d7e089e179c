"""The archive's notion of "now": UTC, overridable with `NEWSARCHIVE_NOW` (ISO 8601).

Catalog bookkeeping (first/last seen, last changed, next check) follows this clock, so
tests and replays can move time; WARC dates always record the real moment of capture.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime


def iso_z(moment: datetime | None) -> str | None:
    """`YYYY-MM-DDTHH:MM:SSZ` in UTC (naive datetimes, as SQLite returns them, are UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def now() -> datetime:
    fixed = os.environ.get("NEWSARCHIVE_NOW")
    if fixed:
        moment = datetime.fromisoformat(fixed.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def parse_when(value: str | datetime | None, *, end_of_day: bool = False) -> datetime | None:
    """An ISO 8601 date or date-time (or a datetime) as an aware UTC datetime; raises
    ValueError. A bare date is the start of that day, or with `end_of_day` its last
    microsecond, so that `since`/`until` bounds both include the day they name. A time
    without an offset is UTC."""
    from datetime import timedelta

    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if end_of_day and "T" not in text.upper() and " " not in text:
            moment += timedelta(days=1, microseconds=-1)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
