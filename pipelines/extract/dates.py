"""Date parsing for article pages; every date leaves here at the precision the page gives it.

A date with a time of day leaves as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC); a date without one as
``YYYY-MM-DD``, the calendar day as printed, never with an invented midnight (midnight UTC
is the wrong day for every US story posted after 7 or 8 PM Eastern).

US sites print wall-clock time in US Eastern with an "EST"/"EDT" label. We convert with the
``America/New_York`` zone, never a fixed offset: a hard-coded -05:00 is wrong for the
half of the year that is EDT.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from archive.clock import iso_utc

US_EASTERN = ZoneInfo("America/New_York")

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_PATTERN = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE = re.compile(
    rf"\b(?P<month>{_MONTH_PATTERN})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+"
    r"(?P<year>\d{4})\b",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"\b(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<ampm>[ap])\.?\s?m\.?"
    r"(?:\s*(?P<zone>E[SD]T|ET)\b)?",
    re.IGNORECASE,
)
_TIMESTAMP_KIND = re.compile(r"^\s*(?P<kind>updated|published)\b", re.IGNORECASE)


def format_day(day: date) -> str:
    """Format a calendar day as ``YYYY-MM-DD`` (a date without a time of day)."""
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"


def eastern_to_utc(local: datetime, zone_label: str | None = None) -> str:
    """Convert a naive US Eastern wall-clock time to a UTC string.

    The label printed next to the time ("EST"/"EDT") only chooses between the two
    readings of a wall-clock time that occurs twice (the repeated hour when DST ends, e.g.
    1:30 AM on 2 November 2025) or never (the skipped hour when DST starts): "1:30 AM EST"
    on that November night is the second 1:30, 06:30Z. Without a label, or when the label
    contradicts the zone on an ordinary day (a template bug), the zone wins and the
    ambiguous hour reads as the first occurrence (``fold=0``, i.e. still EDT).
    """
    moment = local.replace(tzinfo=US_EASTERN, fold=0)
    label = (zone_label or "").upper()
    if label in ("EST", "EDT") and moment.tzname() != label:
        other = local.replace(tzinfo=US_EASTERN, fold=1)
        if other.tzname() == label:
            moment = other
    return iso_utc(moment)


def parse_eastern_datetime(text: str) -> str | None:
    """Parse "8:12 PM EST, Fri February 2, 2024"-like text (any order) to a UTC string.

    A date without a time of day is returned as that day, ``YYYY-MM-DD``. Returns None
    when no valid date is found.
    """
    collapsed = " ".join(text.split())
    date_match = _DATE.search(collapsed)
    if date_match is None:
        return None
    try:
        day = date(
            int(date_match["year"]), _MONTHS[date_match["month"].lower()], int(date_match["day"])
        )
    except ValueError:
        return None
    time_match = _TIME.search(collapsed)
    if time_match is None:
        return format_day(day)
    hour12, minute = int(time_match["hour"]), int(time_match["minute"])
    if not 1 <= hour12 <= 12 or minute > 59:
        return None
    hour = hour12 % 12 + (12 if time_match["ampm"].lower() == "p" else 0)
    local = datetime(day.year, day.month, day.day, hour, minute)
    return eastern_to_utc(local, time_match["zone"])


def parse_page_timestamp(text: str) -> tuple[str, str] | None:
    """Parse a CNN-style "Updated: …" / "Published: …" line.

    Returns ``(field, utc)`` where field is ``"modified_at"`` for "Updated" and
    ``"published_at"`` for "Published", or None if the line does not parse.
    """
    collapsed = " ".join(text.split())
    kind = _TIMESTAMP_KIND.match(collapsed)
    if kind is None:
        return None
    moment = parse_eastern_datetime(collapsed)
    if moment is None:
        return None
    field = "modified_at" if kind["kind"].lower() == "updated" else "published_at"
    return field, moment


def parse_machine_datetime(value: str) -> str | None:
    """Parse an ISO 8601 (JSON-LD, ``<meta>``, ``<time datetime>``) or RFC 2822 date.

    A date without a time (``2021-04-08``) stays a day, ``YYYY-MM-DD``. A time without an
    offset is taken as UTC: it is what such values mean far more often than local time, and
    we cannot know the local zone. Returns None when unparseable.
    """
    value = value.strip()
    if not value:
        return None
    if len(value) <= 10:
        try:
            return format_day(date.fromisoformat(value))
        except ValueError:
            pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return iso_utc(moment)
    except (OverflowError, ValueError):
        return None
