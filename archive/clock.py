"""The archive's notion of "now": UTC, overridable with `NEWSARCHIVE_NOW` (ISO 8601).

Catalog bookkeeping (first/last seen, last changed, next check) follows this clock, so
tests and replays can move time; WARC dates always record the real moment of capture.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone


def iso_z(moment: datetime | None) -> str | None:
    """`YYYY-MM-DDTHH:MM:SSZ` in UTC (naive datetimes, as SQLite returns them, are UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def now() -> datetime:
    fixed = os.environ.get("NEWSARCHIVE_NOW")
    if fixed:
        moment = datetime.fromisoformat(fixed.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return datetime.now(timezone.utc)
