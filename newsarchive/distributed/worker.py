"""Scale-out (docs/scaling.md): push work into the Redis frontier; run a worker that takes it.

`newsarchive crawl SITE --distributed` and `newsarchive recheck --distributed` (and the
scheduler's jobs built from them) only push; `newsarchive worker` crawls. Each worker has
its own data directory (WARC files, records) and shares the catalog (`catalog_url`,
PostgreSQL) and the S3 bucket with the others.
"""

from __future__ import annotations

import logging
from typing import Any

from rich.console import Console

from archive.config import Config
from crawler.profiles import SiteProfile
from newsarchive.crawl import CrawlResult
from newsarchive.distributed.frontier import Frontier

logger = logging.getLogger(__name__)


def push_discovery(config: Config, profiles: list[SiteProfile], *, start_urls: list[str] | None = None,
                   refetch: bool = False, max_articles: int | None = None) -> dict[str, int]:  # fmt: skip
    """Queue each site's listing pages (index pages, feeds, sitemaps); returns counts per site.

    `max_articles`: the workers that parse these listings queue at most that many new
    articles per site between them (a budget counted in Redis, see `Frontier.new_budget`).
    """
    frontier = Frontier.from_config(config)
    pushed: dict[str, int] = {}
    try:
        for profile in profiles:
            budget = frontier.new_budget(max_articles) if max_articles is not None else None
            kw: dict[str, Any] = {"refetch": refetch, "budget": budget}
            items = [
                Frontier.item(u, profile.name, "index", **kw)
                for u in (start_urls or profile.start_urls)
            ]
            items += [Frontier.item(u, profile.name, "feed", **kw) for u in profile.feeds]
            items += [Frontier.item(u, profile.name, "sitemap", **kw) for u in profile.sitemaps]
            pushed[profile.name] = frontier.push(items)
    finally:
        frontier.close()
    return pushed


def push_urls(
    config: Config, site: str, urls: list[str], policies: dict[str, str] | None = None
) -> int:
    """Queue due articles (rechecks): fetched whatever the dupefilter says, but not queued
    again while an earlier recheck of them waits in the queue (`Frontier.push_rechecks`);
    each under the address policy its article was first archived under (`policies`)."""
    frontier = Frontier.from_config(config)
    try:
        return len(frontier.push_rechecks(site, urls, policies))
    finally:
        frontier.close()


def run_worker(config: Config, *, console: Console | None = None, verbose: bool = False,
               idle_exit: float | None = None, max_inflight: int | None = None,
               settings_overrides: dict[str, Any] | None = None) -> CrawlResult:  # fmt: skip
    """Crawl what the frontier holds until stopped (SIGINT/SIGTERM), or until it has been
    empty for `idle_exit` seconds."""
    from crawler.discovery import site_summary
    from crawler.process import CrawlProcess
    from crawler.profiles import load_profiles
    from crawler.spiders.distributed import DistributedSpider

    frontier = Frontier.from_config(config)
    profiles = load_profiles(config)
    run = CrawlProcess(config, command="worker", sites=sorted(profiles), console=console, verbose=verbose,
                       settings_overrides=settings_overrides)  # fmt: skip
    inflight = (
        max_inflight or config.distributed.max_inflight or int(run.values["CONCURRENT_REQUESTS"])
    )
    crawler = run.add(DistributedSpider, frontier=frontier, profiles=profiles, max_inflight=inflight,
                      idle_exit=idle_exit)  # fmt: skip
    status = run.run()
    if status == "interrupted":  # SIGINT/SIGTERM is how a worker is told to stop
        status = "stopped"
    report = dict(run.reports()[0])
    report["requeued_expired_leases"] = frontier.requeued
    report["discovery"] = site_summary(list(report.get("discovery") or []))
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    if status == "done" and reason and reason not in ("finished", "queue-empty", "shutdown"):
        status = str(reason)
    fatal = run.fatal_error()
    summary = run.close(status, extra={"sites": [report], "fatal_error": fatal, "worker": report})
    frontier.close()
    return CrawlResult(summary=summary, reports=[report], status=status, fatal_error=fatal)
