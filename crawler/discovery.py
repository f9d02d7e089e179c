"""Discovery accounting: what became of every link an index page, feed or sitemap offered.

Each listing page gets a `LinkTally`: how many links its selector matched (every `<a href>`
when the profile has no selector; every entry of a feed or sitemap), how many were
followed, and how many each rule dropped, so that `matched == followed + sum(dropped)`.
The tallies go into the listing's capture row (`captures.links`), the run summary (per
site and per page) and `--json`. A rule of the site (its markup, its links, the profile's
filters) that drops a larger share of the matches than in the previous run of the site is
reported as a warning: a selector that starts matching trackers, or a path pattern that
stops matching the site's new URLs, cannot go unnoticed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from archive.urls import strip_fragment

# The rules that drop a link, in the order they are applied.
INVALID_URL = "invalid-url"  # the link cannot be resolved to a URL (`http://[object Object]/`)
NOT_HTTP = "not-http"  # mailto:, javascript:, ftp: …
OFF_HOST = "off-host"  # an index page's link to another host
SKIP_PATTERN = "skip-pattern"  # the profile's `skip_pattern`: not articles (trackers, maps)
PATTERN = "pattern"  # the profile's `article_pattern` (an optional extra filter)
DUPLICATE = "duplicate"  # already offered by this page or another listing of the run
KNOWN = "known"  # already in the archive: left to the recheck ladder (`--refetch` follows it)
MAX_ARTICLES = "max-articles"  # over the run's `--max-articles` budget
FRONTIER = (
    "frontier"  # distributed: the shared frontier refused it (queued recently, or budget spent)
)
DROP_RULES = (
    INVALID_URL,
    NOT_HTTP,
    OFF_HOST,
    SKIP_PATTERN,
    PATTERN,
    DUPLICATE,
    KNOWN,
    MAX_ARTICLES,
    FRONTIER,
)

# Rules that depend on the site's markup and links: a share that grows from one run to the
# next means the site changed. Duplicates, known articles and budgets vary by design.
WATCHED_RULES = (INVALID_URL, NOT_HTTP, OFF_HOST, SKIP_PATTERN, PATTERN)
# Warn when a watched rule drops this much more of the matches than in the previous run.
WARN_SHARE_RISE = 0.05
PAGES_IN_SUMMARY = 200  # per site; the catalog keeps every page's tally

# WHATWG URL parsing removes tabs and newlines anywhere in a URL; other control characters
# (and NUL) make it invalid.
_STRIPPED = re.compile(r"[\t\n\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class LinkTally:
    """The links of one listing page: matched, followed, dropped by rule."""

    url: str
    kind: str  # index, feed, sitemap
    follows: str = "articles"  # "sitemaps" for a sitemap index
    matched: int = 0
    followed: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def drop(self, rule: str, n: int = 1) -> None:
        if n:
            self.dropped[rule] += n

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url, "kind": self.kind, "follows": self.follows, "matched": self.matched,
            "followed": self.followed, "dropped": {r: self.dropped[r] for r in DROP_RULES if self.dropped[r]},
        }  # fmt: skip


def resolve_link(base: str, href: str) -> tuple[str | None, str | None]:
    """`href` as an absolute http(s) URL without fragment, or None and the rule that drops it.

    Never raises: one malformed link (an invalid IPv6 literal, a bad port) drops that link only.
    """
    href = _STRIPPED.sub("", href.strip())
    if not href or _CONTROL.search(href):
        return None, INVALID_URL
    try:
        url = strip_fragment(urljoin(base, href))
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises ValueError for a port that is not a number in range
    except ValueError:
        return None, INVALID_URL
    if parts.scheme.lower() not in ("http", "https"):
        return None, NOT_HTTP
    if not parts.hostname:
        return None, INVALID_URL
    return url, None


def site_totals(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """A site's discovery figures over its listing pages (sitemap indexes counted apart)."""
    dropped: Counter[str] = Counter()
    matched = followed = sitemaps = 0
    for page in pages:
        if page.get("follows") == "sitemaps":
            sitemaps += page.get("followed", 0)
            continue
        matched += page.get("matched", 0)
        followed += page.get("followed", 0)
        dropped.update(page.get("dropped") or {})
    totals: dict[str, Any] = {
        "listings": len(pages), "matched": matched, "followed": followed,
        "dropped": {r: dropped[r] for r in DROP_RULES if dropped[r]},
    }  # fmt: skip
    if sitemaps:
        totals["sitemaps_followed"] = sitemaps
    return totals


def site_summary(pages: list[dict[str, Any]]) -> dict[str, Any]:
    """`site_totals` plus the first `PAGES_IN_SUMMARY` pages' own tallies."""
    summary = site_totals(pages)
    summary["pages"] = list(pages[:PAGES_IN_SUMMARY])
    if len(pages) > PAGES_IN_SUMMARY:
        summary["pages_omitted"] = len(pages) - PAGES_IN_SUMMARY
    return summary


def drop_warnings(site: str, now: dict[str, Any], before: dict[str, Any] | None) -> list[str]:
    """Warnings for the watched rules that drop a larger share of the matches than before."""
    if not before or not now.get("matched") or not before.get("matched"):
        return []
    warnings = []
    for rule in WATCHED_RULES:
        n = (now.get("dropped") or {}).get(rule, 0)
        share = n / now["matched"]
        old = (before.get("dropped") or {}).get(rule, 0) / before["matched"]
        if n and share - old >= WARN_SHARE_RISE - 1e-9:
            warnings.append(
                f"{site}: {rule} dropped {n} of {now['matched']} matched links ({share:.0%}; "
                f"previous run {old:.0%}): the site's links or markup may have changed"
            )
    return warnings


def previous_totals(
    catalog: Any, site: str, run_id: str, *, limit: int = 100
) -> dict[str, Any] | None:
    """The discovery totals of `site` in its most recent earlier crawl that has them (the
    summaries are read one run at a time, newest first: usually the first one answers)."""
    from sqlalchemy import select

    from archive import catalog_schema as t

    runs = t.runs.c
    recent = (
        select(runs.id)
        .where(runs.command == "crawl", runs.id != run_id, runs.summary.is_not(None))
        .order_by(runs.started_at.desc())
        .limit(limit)
    )
    with catalog.reading() as conn:
        for earlier in list(conn.execute(recent).scalars()):
            summary = conn.execute(select(runs.summary).where(runs.id == earlier)).scalar()
            for report in (summary or {}).get("sites") or []:
                if isinstance(report, dict) and report.get("site") == site:
                    totals = report.get("discovery")
                    if isinstance(totals, dict) and totals.get("matched"):
                        return totals
    return None
