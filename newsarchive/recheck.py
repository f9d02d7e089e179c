"""Rechecks: which known articles are due by the ladder, as crawl targets grouped by site."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.catalog import Catalog
from archive.clock import utc
from crawler.profiles import GENERIC, SiteProfile
from newsarchive.crawl import CrawlTarget

logger = logging.getLogger(__name__)


@dataclass
class DueArticles:
    site: str
    profile: SiteProfile
    articles: list[dict[str, Any]]
    upcoming: int


def due_by_site(catalog: Catalog, profiles: dict[str, SiteProfile], *, at: datetime,
                sites: list[str] | None, everything: bool, per_site: int | None) -> list[DueArticles]:  # fmt: skip
    """Due (or, with `everything`, all) tracked articles per site, most overdue first."""
    result = []
    for site in sites or catalog.tracked_sites():
        profile = profiles.get(site)
        if profile is None:
            logger.warning(
                "site %r is no longer configured: its articles are rechecked with the generic parser",
                site,
            )
            profile = GENERIC
        articles = catalog.due_articles(
            None if everything else at, site=site, limit=None if everything else per_site
        )
        result.append(DueArticles(site, profile, articles, catalog.upcoming_count(at, site)))
    return result


def recheck_url(article: dict[str, Any]) -> str:
    return str(article["fetch_url"] or article["url"])


def recheck_targets(groups: list[DueArticles]) -> list[CrawlTarget]:
    """One target per site; each URL fetched under the address policy its article was first
    archived under (narrowed by the crawl's own, never wider: crawler/address_policy.py)."""
    return [CrawlTarget(g.profile, urls=[recheck_url(a) for a in g.articles],
                        address_policies={recheck_url(a): a["address_policy"] for a in g.articles
                                          if a.get("address_policy")})
            for g in groups if g.articles]  # fmt: skip


def overdue(article: dict[str, Any], at: datetime) -> str:
    due = utc(article["next_check_at"])
    if due is None:
        return "never"
    seconds = int((at - due).total_seconds())
    sign = "" if seconds >= 0 else "in "
    seconds = abs(seconds)
    text = f"{seconds // 86400}d{seconds % 86400 // 3600}h" if seconds >= 86400 else (
        f"{seconds // 3600}h{seconds % 3600 // 60}m" if seconds >= 3600 else f"{seconds // 60}m")  # fmt: skip
    return f"{sign}{text}" if sign else f"{text} ago"
