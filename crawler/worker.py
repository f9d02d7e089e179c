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
from crawler.frontier import Frontier
from crawler.profiles import SiteProfile
from crawler.runner import CrawlResult, _configure_logging

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
            items = [Frontier.item(u, profile.name, "index", **kw) for u in (start_urls or profile.start_urls)]
            items += [Frontier.item(u, profile.name, "feed", **kw) for u in profile.feeds]
            items += [Frontier.item(u, profile.name, "sitemap", **kw) for u in profile.sitemaps]
            pushed[profile.name] = frontier.push(items)
    finally:
        frontier.close()
    return pushed


def push_urls(config: Config, site: str, urls: list[str], policies: dict[str, str] | None = None) -> int:
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
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from crawler import session_registry
    from crawler.discovery import site_summary
    from crawler.profiles import load_profiles
    from crawler.scrapy_settings import build_settings
    from crawler.spiders.distributed import DistributedSpider

    console = console or Console(stderr=True)
    frontier = Frontier.from_config(config)
    values = build_settings(config)
    values.update(settings_overrides or {})
    values["LOG_LEVEL"] = "INFO" if verbose else "WARNING"
    values["LOG_INSTALL_ROOT_HANDLER"] = False
    profiles = load_profiles(config)
    session = session_registry.open_session(
        config, command="worker", sites=sorted(profiles), user_agent=values["USER_AGENT"],
        robots_policy="obey" if values["ROBOTSTXT_OBEY"] else "ignore",
    )  # fmt: skip
    process = CrawlerProcess(Settings(values))
    _configure_logging(console, verbose)
    crawler = process.create_crawler(DistributedSpider)
    inflight = max_inflight or int((config.distributed or {}).get("max_inflight", values["CONCURRENT_REQUESTS"]))
    process.crawl(crawler, frontier=frontier, profiles=profiles, max_inflight=inflight, idle_exit=idle_exit)
    status = "done"
    try:
        process.start()
    except KeyboardInterrupt:
        status = "interrupted"
    report = dict(getattr(crawler.spider, "report", {}) or {})
    report["requeued_expired_leases"] = frontier.requeued
    report["discovery"] = site_summary(list(report.get("discovery") or []))
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    if reason and reason not in ("finished", "queue-empty", "shutdown"):
        status = str(reason)
    fatal = crawler.stats.get_value("newsarchive/fatal_error") if crawler.stats else None
    summary = session.close(status, extra={"sites": [report], "fatal_error": fatal, "worker": report})
    frontier.close()
    return CrawlResult(summary=summary, reports=[report], status=status, fatal_error=fatal)
