"""Site health: at the end of a run, is each site it crawled still working?

A site is unhealthy when, in this run (its captures in the catalog, compared with the same
command's previous runs of that site):
- `links`: it fetched listing pages (index, feed, sitemap) and none yielded article links;
- `suspect`: more than `[notify.health] suspect_share` of its extracted articles were
  suspect (the text collapsed: the extraction no longer fits the pages);
- `errors`: at least `error_share` of its captures were errors, or `error_rise` more than
  in its previous runs;
- `robots`: robots.txt disallowed pages that its previous runs could fetch.
The state changes by events: `site.unhealthy` when a site becomes unhealthy (or a new kind
of problem appears), `site.healthy` when an unhealthy one works again. They are written to
the outbox (archive/outbox.py) whether or not `[notify]` names targets (`newsarchive runs`
shows them); without targets they are marked dispatched, so that no later target is sent an
old one. A problem persists while it lasts: robots.txt still disallowing, errors still above
`error_rise`.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select, update

from archive import catalog_schema as t
from archive import clock
from archive.catalog import Catalog
from archive.config import Config
from archive.outbox import SITE_HEALTHY, SITE_UNHEALTHY, Outbox, events_wanted, write_event
from archive.outcomes import is_error
from newsarchive.notify.config import Health

log = logging.getLogger(__name__)
LISTING_KINDS = ("index", "feed", "sitemap")
EXTRACTED = ("new", "edit", "revert", "unchanged", "timestamp-only", "suspect")
_OWN_RULES = ("suspect", "robots-disallowed", "index-no-links")  # not counted as `errors`


@dataclass
class SiteFigures:
    """One site's captures in one run, as the health rules count them."""

    captures: int = 0
    listings: int = 0
    listings_with_links: int = 0
    extracted: int = 0
    suspect: int = 0
    errors: int = 0
    robots_disallowed: int = 0

    def add(self, kind: str, outcome: str, n: int) -> None:
        self.captures += n
        if kind in LISTING_KINDS:
            self.listings += n
            if outcome in LISTING_KINDS:
                self.listings_with_links += n
        if outcome in EXTRACTED:
            self.extracted += n
        if outcome == "suspect":
            self.suspect += n
        elif outcome == "robots-disallowed":
            self.robots_disallowed += n
        elif is_error(outcome) and outcome not in _OWN_RULES:
            self.errors += n

    @property
    def error_share(self) -> float:
        return self.errors / self.captures if self.captures else 0.0


def figures(catalog: Catalog, site: str, run_ids: list[str]) -> dict[str, SiteFigures]:
    """Each run's figures for `site` (one grouped query)."""
    c = t.captures.c
    result = {run_id: SiteFigures() for run_id in run_ids}
    if not run_ids:
        return result
    query = (
        select(c.run_id, c.kind, c.outcome, func.count())
        .where(c.run_id.in_(run_ids), c.site == site)
        .group_by(c.run_id, c.kind, c.outcome)
    )
    with catalog.reading() as conn:
        for run_id, kind, outcome, n in conn.execute(query):
            result[run_id].add(kind, outcome, int(n))
    return result


def previous_runs(catalog: Catalog, site: str, run_id: str, command: str, limit: int) -> list[str]:
    """The same command's earlier finished runs that crawled `site`, newest first."""
    r = t.runs.c
    query = (
        select(r.id, r.sites)
        .where(r.command == command, r.id != run_id, r.ended_at.is_not(None))
        .order_by(r.started_at.desc())
        .limit(limit * 10)
    )
    with catalog.reading() as conn:
        rows = conn.execute(query).all()
    return [row.id for row in rows if site in (row.sites or [])][:limit]


def problems(now: SiteFigures, before: list[SiteFigures], limits: Health,
             ongoing: set[str]) -> dict[str, str]:  # fmt: skip
    """The health rules: kind → what is wrong, in words. `ongoing`: the kinds the site is
    already unhealthy for (a problem persists while it lasts)."""
    found: dict[str, str] = {}
    if now.listings and not now.listings_with_links:
        had = any(b.listings_with_links for b in before)
        found["links"] = (f"its index pages {'no longer yielded' if had else 'yielded no'} article "
                          f"links ({now.listings} listing page(s) fetched)")  # fmt: skip
    if now.extracted >= limits.min_pages and now.suspect / now.extracted > limits.suspect_share:
        found["suspect"] = (f"{now.suspect} of {now.extracted} extracted articles were suspect "
                            f"(text collapsed; over {limits.suspect_share:.0%})")  # fmt: skip
    if now.captures >= limits.min_pages:
        measured = [b for b in before if b.captures >= limits.min_pages]
        baseline = sum(b.error_share for b in measured) / len(measured) if measured else None
        share = now.error_share
        rising = baseline is not None and share >= baseline + limits.error_rise
        if (
            share >= limits.error_share
            or rising
            or ("errors" in ongoing and share >= limits.error_rise)
        ):
            found["errors"] = (
                f"{now.errors} of {now.captures} captures were errors ({share:.0%}"
                + (f", previous runs {baseline:.0%})" if baseline is not None else ")")
            )
    if now.robots_disallowed and (
        "robots" in ongoing or not any(b.robots_disallowed for b in before)
    ):
        found["robots"] = (
            f"robots.txt disallowed {now.robots_disallowed} page(s) that earlier runs could fetch"
            if before
            else (f"robots.txt disallowed {now.robots_disallowed} page(s)")
        )
    return found


def current_state(outbox: Outbox, site: str) -> tuple[str, set[str]]:
    """("healthy" | "unhealthy", the kinds of problems) by the site's latest health event."""
    latest = outbox.events(types=[SITE_UNHEALTHY, SITE_HEALTHY], site=site, limit=1)
    if not latest or latest[0]["type"] == SITE_HEALTHY:
        return "healthy", set()
    return "unhealthy", set((latest[0]["payload"] or {}).get("kinds") or [])


def check_run(
    config: Config, limits: Health, run_id: str, sites: list[str], command: str
) -> list[dict[str, Any]]:
    """Assess each site of a finished run; write the events of state changes. Returns one
    `{"site", "state", "reasons"}` per site (for the run's summary)."""
    catalog = Catalog(config.resolved_catalog_url)
    outbox = Outbox(catalog.engine)
    delivered_later = events_wanted(config.notify)
    report = []
    try:
        for site in dict.fromkeys(sites):
            earlier = previous_runs(catalog, site, run_id, command, limits.previous_runs)
            counted = figures(catalog, site, [run_id, *earlier])
            now = counted[run_id]
            if not now.captures:
                continue
            state, kinds = current_state(outbox, site)
            found = problems(now, [counted[r] for r in earlier], limits, kinds)
            payload = {"site": site, "run_id": run_id, "command": command, "kinds": sorted(found),
                       "reasons": list(found.values()), "figures": asdict(now)}  # fmt: skip
            event = None
            if found and (state == "healthy" or not set(found) <= kinds):
                event = SITE_UNHEALTHY
            elif not found and state == "unhealthy":
                event = SITE_HEALTHY
                payload["was"] = sorted(kinds)
            if event is not None:
                with catalog.engine.begin() as conn:
                    event_id = write_event(conn, event, payload, site=site)
                    if not delivered_later:  # nobody to tell: never sent to a later target
                        conn.execute(update(t.notify_events).where(t.notify_events.c.id == event_id)
                                     .values(dispatched_at=clock.now()))  # fmt: skip
            report.append({"site": site, "state": "unhealthy" if found else "healthy",
                           "reasons": list(found.values()), **({"event": event} if event else {})})  # fmt: skip
    finally:
        catalog.close()
    return report


def latest_states(engine: Any) -> dict[str, dict[str, Any]]:
    """Each site's latest health event (site → event), from the outbox."""
    latest: dict[str, dict[str, Any]] = {}
    for event in Outbox(engine).events(types=[SITE_UNHEALTHY, SITE_HEALTHY], limit=500):
        latest.setdefault(event["site"], event)
    return latest


def unhealthy_sites(engine: Any) -> list[dict[str, Any]]:
    """`{"site", "since", "reasons"}` for each site whose latest health event says it is broken."""
    return [
        {
            "site": e["site"],
            "since": e["created_at"],
            "reasons": list((e["payload"] or {}).get("reasons") or []),
        }
        for e in latest_states(engine).values()
        if e["type"] == SITE_UNHEALTHY
    ]


def record_in_summary(config: Config, run_id: str, health: list[dict[str, Any]]) -> None:
    """Add the health report to the run's stored summary (`runs.summary`)."""
    catalog = Catalog(config.resolved_catalog_url)
    try:
        with catalog.engine.begin() as conn:
            summary = conn.execute(select(t.runs.c.summary).where(t.runs.c.id == run_id)).scalar()
            if isinstance(summary, dict):
                conn.execute(
                    update(t.runs)
                    .where(t.runs.c.id == run_id)
                    .values(summary={**summary, "health": health})
                )
    finally:
        catalog.close()
