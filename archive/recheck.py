"""The recheck ladder: how often a known article is fetched again, by the time since it last changed.

Defaults: changed < 3 h ago → every 15 min; < 1 day → hourly; < 7 days → every 3 h;
< 30 days → every 3 days; < 360 days → every 30 days; older → never. A story that keeps
changing is watched closely; one that settled is left alone. The catalog keeps each
article's `next_check_at` (indexed), so finding the due ones never scans every article.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from archive.config_tables import RecheckTable

DEFAULT_LADDER: tuple[tuple[str, str], ...] = (
    ("3h", "15m"), ("1d", "1h"), ("7d", "3h"), ("30d", "3d"), ("360d", "30d"),
)  # fmt: skip
DEFAULT_MAX_PER_SITE = 500
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """`"15m"`, `"3h"`, `"1d"`, `"2w"`, `"90s"` → timedelta."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"bad duration {text!r}: use a number and s, m, h, d or w (e.g. '15m')")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


@dataclass(frozen=True)
class RecheckLadder:
    """Steps of (age since last change below which, recheck interval), in increasing age."""

    steps: tuple[tuple[timedelta, timedelta], ...]
    max_per_site: int = DEFAULT_MAX_PER_SITE

    @classmethod
    def from_config(cls, table: RecheckTable | dict[str, Any] | None) -> RecheckLadder:
        """The ladder of a `[recheck]` table (validated when the config loaded; a dict is
        validated here), the defaults where it sets nothing."""
        from archive.config import parse_table

        valid: RecheckTable = (
            table if isinstance(table, RecheckTable) else parse_table("recheck", table or {})
        )
        pairs: Sequence[Any] = DEFAULT_LADDER if valid.ladder is None else valid.ladder
        steps = tuple((parse_duration(age), parse_duration(every)) for age, every in pairs)
        max_per_site = valid.max_per_site or DEFAULT_MAX_PER_SITE
        return cls(steps, max_per_site)

    def interval(self, since_change: timedelta) -> timedelta | None:
        """The recheck interval for an article that last changed `since_change` ago (None: never)."""
        for age, every in self.steps:
            if since_change < age:
                return every
        return None

    def next_check(self, last_changed_at: datetime, at: datetime) -> datetime | None:
        """When to check next, after a check at `at`; None once the article has settled for good."""
        every = self.interval(at - last_changed_at)
        return at + every if every is not None else None


DEFAULT = RecheckLadder.from_config(None)
