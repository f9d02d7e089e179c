"""Run one crawl (one or more sites, or on-demand URLs) in this process, with a progress display.

Twisted's reactor cannot be restarted: call `run_crawl` once per process. Long-lived
processes (scheduler, HTTP service) run each crawl in a child process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from archive.config import Config
from crawler.profiles import SiteProfile


@dataclass
class CrawlTarget:
    """One spider of the run: a profile, optional mirror start URLs or on-demand URLs."""

    profile: SiteProfile
    start_urls: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    max_articles: int | None = None
    refetch: bool = False
    # On-demand URL → the address policy it must be fetched under when narrower than the
    # config's (a recheck: the policy its article was first archived under).
    address_policies: dict[str, str] = field(default_factory=dict)


@dataclass
class CrawlResult:
    summary: dict[str, Any]
    reports: list[dict[str, Any]]
    status: str
    fatal_error: str | None = None
    signal: int | None = None  # the signal that interrupted the run (status "interrupted")

    @property
    def failed_sites(self) -> list[dict[str, Any]]:
        return [r for r in self.reports if not r.get("urls") and r.get("index_ok", 0) == 0]

    @property
    def whole_run_failed(self) -> bool:
        discovery = [r for r in self.reports if not r.get("urls")]
        return bool(discovery) and len(self.failed_sites) == len(discovery)


def _configure_logging(console: Console, verbose: bool) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = RichHandler(console=console, show_path=False, markup=False, rich_tracebacks=False)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    # On the handler, not the logger: Scrapy sets the root logger's level itself.
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    root.addHandler(handler)
    # Scrapy's per-request noise (retries, robots) is summarised at the end instead.
    if not verbose:
        for name in ("scrapy.downloadermiddlewares", "scrapy.core.scraper", "scrapy.core.engine",
                     "scrapy.spidermiddlewares", "scrapy.core.downloader", "crawler.spiders.site"):  # fmt: skip
            logging.getLogger(name).setLevel(logging.CRITICAL)


def run_crawl(
    config: Config,
    targets: list[CrawlTarget],
    *,
    command: str = "crawl",
    console: Console | None = None,
    progress: bool = True,
    verbose: bool = False,
    settings_overrides: dict[str, Any] | None = None,
) -> CrawlResult:
    """Crawl the targets into the archive of `config`; returns the summary and per-site reports."""
    from scrapy.settings import Settings

    from crawler import session_registry
    from crawler.interrupt import InterruptibleCrawlerProcess
    from crawler.scrapy_settings import build_settings
    from crawler.spiderloader import spider_class_for

    console = console or Console(stderr=True)
    values = build_settings(config)
    values.update(settings_overrides or {})
    values["LOG_LEVEL"] = "INFO" if verbose else "WARNING"
    values["LOG_INSTALL_ROOT_HANDLER"] = False
    settings = Settings(values)
    session = session_registry.open_session(
        config, command=command, sites=[t.profile.name for t in targets],
        user_agent=values["USER_AGENT"],
        robots_policy="obey" if values["ROBOTSTXT_OBEY"] else "ignore",
    )  # fmt: skip
    process = InterruptibleCrawlerProcess(settings, console=console, data_dir=str(config.data_dir))
    _configure_logging(console, verbose)  # after Scrapy's dictConfig, which resets logger levels
    crawlers = []
    for target in targets:
        crawler = process.create_crawler(spider_class_for(target.profile))
        process.crawl(
            crawler, start_url=target.start_urls or None, max_articles=target.max_articles,
            refetch=target.refetch, urls=target.urls or None, address_policies=target.address_policies or None,
        )  # fmt: skip
        crawlers.append(crawler)

    display = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
        console=console, transient=False, disable=not progress,
    )  # fmt: skip
    task = display.add_task("archiving", total=None, detail="starting")

    def refresh() -> None:
        queued = done = captures = revisits = warc = 0
        for crawler in crawlers:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            queued += stats.get("newsarchive/articles_queued", 0)
            done += stats.get("item_scraped_count", 0) + stats.get("item_dropped_count", 0)
            captures += stats.get("newsarchive/captures", 0)
            revisits += stats.get("newsarchive/revisits", 0)
            warc += stats.get("newsarchive/warc_bytes", 0)
            spider: Any = crawler.spider
            if spider is not None:
                queued += len(getattr(spider, "article_urls", ()))
                done += spider.report.get("article_failures", 0)
        display.update(task, total=max(queued, 1) if queued else None, completed=min(done, queued),
                       detail=f"{captures} fetched · {revisits} revisits · {warc / 1e6:.1f} MB WARC")  # fmt: skip

    from twisted.internet import reactor
    from twisted.internet import task as tx_task

    loop = tx_task.LoopingCall(refresh)
    status = "done"
    with display:
        reactor.callWhenRunning(loop.start, 0.2)  # type: ignore[attr-defined]
        try:
            process.start()
        except KeyboardInterrupt:
            status = "interrupted"
        finally:
            if loop.running:
                loop.stop()
        refresh()
    reports = [getattr(c.spider, "report", {}) for c in crawlers]
    fatal = [c.stats.get_value("newsarchive/fatal_error") for c in crawlers if c.stats]
    fatal = [f for f in fatal if f]
    reasons = {c.stats.get_value("finish_reason") for c in crawlers if c.stats}
    if process.interrupts:
        status = "interrupted"
    elif status == "done" and reasons - {"finished"}:
        status = ",".join(sorted(str(r) for r in reasons - {"finished"}))
    # Per-URL results are for `archive`; a crawl's summary keeps the per-site figures.
    site_reports = [_site_report(r) for r in reports]
    warnings = _discovery_warnings(session, site_reports)
    for warning in warnings:
        console.print(Text("warning: " + warning, style="yellow"), soft_wrap=True)
    summary = session.close(status, extra={"sites": site_reports, "fatal_error": fatal[0] if fatal else None,
                                           "warnings": warnings, "status": status})  # fmt: skip
    return CrawlResult(summary=summary, reports=reports, status=status, fatal_error=fatal[0] if fatal else None,
                       signal=process.signal)  # fmt: skip


def _site_report(report: dict[str, Any]) -> dict[str, Any]:
    """A spider's report for the summary: per-site discovery totals and (some of) its pages."""
    from crawler.discovery import site_summary

    site = {k: v for k, v in report.items() if k not in ("results", "discovery")}
    pages = list(report.get("discovery") or [])
    if pages or not report.get("urls"):
        site["discovery"] = site_summary(pages)
    return site


def _discovery_warnings(session: Any, site_reports: list[dict[str, Any]]) -> list[str]:
    """Sites whose rules drop a larger share of the matched links than in their previous run."""
    from crawler.discovery import drop_warnings, previous_totals

    warnings: list[str] = []
    for report in site_reports:
        totals = report.get("discovery")
        if not totals or not totals.get("matched") or report.get("site") == "distributed":
            continue
        try:
            before = previous_totals(session.catalog, report["site"], session.run_id)
        except Exception as exc:  # a catalog hiccup must not lose the run's summary
            logging.getLogger(__name__).warning("could not read the previous run of %s: %s", report["site"], exc)
            continue
        warnings += drop_warnings(report["site"], totals, before)
    return warnings
