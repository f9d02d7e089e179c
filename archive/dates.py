"""The dates a page declares, at the precision it declares them: an instant, or a day.

A record's `published_at` / `modified_at` is `YYYY-MM-DDTHH:MM:SSZ` (UTC) when the page gives
a time of day, and `YYYY-MM-DD` when it gives only a day: a day is never stored as an invented
midnight (midnight UTC is the wrong day for a US story posted in the evening). Records say
which in `dates_precision` (`{"published_at": "second" | "day", …}`); the catalog's
`articles.published_at` / `modified_at` hold the same strings.

Records written before the precision was kept hold a day found by htmldate as
`YYYY-MM-DDT00:00:00Z` with `dates_source` "htmldate": they are read as the day they are.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

DAY = "day"
SECOND = "second"
DATE_FIELDS = ("published_at", "modified_at")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MIDNIGHT = "T00:00:00Z"
# Sources that only ever give a day (what was stored as midnight before `dates_precision`).
DAY_ONLY_SOURCES = frozenset({"htmldate"})


def precision_of(value: Any, source: str | None = None) -> str | None:
    """`day` or `second` for a stored date string (None when there is no date)."""
    if not isinstance(value, str) or not value:
        return None
    if _DAY.match(value):
        return DAY
    if (
        source in DAY_ONLY_SOURCES
        and value.endswith(_MIDNIGHT)
        and _DAY.match(value[: -len(_MIDNIGHT)])
    ):
        return DAY  # an old record: htmldate's day, stored as midnight
    return SECOND


def record_precision(fields: dict[str, Any]) -> dict[str, str]:
    """`dates_precision` of a record (or extraction fields): only the dates it has."""
    sources = fields.get("dates_source") or {}
    found = {}
    for name in DATE_FIELDS:
        precision = precision_of(fields.get(name), sources.get(name))
        if precision:
            found[name] = precision
    return found


def as_day(value: Any, source: str | None = None) -> date | None:
    """The declared day of a day-precision date (None for an instant or no date)."""
    if precision_of(value, source) != DAY:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def as_instant(value: Any, source: str | None = None) -> datetime | None:
    """The UTC instant of a second-precision date (None for a day or no date)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if precision_of(value, source) != SECOND:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def same_date(a: Any, b: Any) -> bool:
    """Whether two stored dates say the same thing. A day equals the same day stored as
    midnight UTC by older code (the page gave no time; we invented it)."""
    if a == b:
        return True
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    day, other = (a, b) if _DAY.match(a) else (b, a)
    return bool(_DAY.match(day)) and other == day + _MIDNIGHT
