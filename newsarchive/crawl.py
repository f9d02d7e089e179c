"""Run one crawl (one or more sites, or on-demand URLs) in this process, with a progress display.

The Scrapy side is `crawler.process.CrawlProcess`. Twisted's reactor cannot be restarted:
call `run_crawl` once per process. Long-lived processes (scheduler, HTTP service) run each
crawl in a child process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
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
    from crawler.process import CrawlProcess
    from crawler.spiderloader import spider_class_for

    console = console or Console(stderr=True)
    run = CrawlProcess(config, command=command, sites=[t.profile.name for t in targets], console=console,
                       verbose=verbose, settings_overrides=settings_overrides)  # fmt: skip
    for target in targets:
        run.add(
            spider_class_for(target.profile), start_url=target.start_urls or None,
            max_articles=target.max_articles, refetch=target.refetch, urls=target.urls or None,
            address_policies=target.address_policies or None,
        )  # fmt: skip

    display = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
        console=console, transient=False, disable=not progress,
    )  # fmt: skip
    task = display.add_task("archiving", total=None, detail="starting")

    def refresh() -> None:
        queued = done = captures = revisits = warc = 0
        for crawler in run.crawlers:
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

    with display:
        status = run.run(refresh)
        refresh()
    reports = run.reports()
    fatal = run.fatal_error()
    unusual = run.finish_reasons() - {"finished"}
    if status == "done" and unusual:
        status = ",".join(sorted(unusual))
    # Per-URL results are for `archive`; a crawl's summary keeps the per-site figures.
    site_reports = [_site_report(r) for r in reports]
    warnings = _discovery_warnings(run.session, site_reports)
    for warning in warnings:
        console.print(Text("warning: " + warning, style="yellow"), soft_wrap=True)
    summary = run.close(status, extra={"sites": site_reports, "fatal_error": fatal,
                                       "warnings": warnings, "status": status})  # fmt: skip
    if command in ("crawl", "recheck") and status != "interrupted":
        _site_health(config, summary, [t.profile.name for t in targets], command, console)
    return CrawlResult(
        summary=summary, reports=reports, status=status, fatal_error=fatal, signal=run.signal
    )


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
            logging.getLogger(__name__).warning(
                "could not read the previous run of %s: %s", report["site"], exc
            )
            continue
        warnings += drop_warnings(report["site"], totals, before)
    return warnings


def _site_health(config: Config, summary: dict[str, Any], sites: list[str], command: str,
                 console: Console) -> None:  # fmt: skip
    """Site health after the run (newsarchive/notify/health.py): `site.unhealthy` and
    `site.healthy` events, the report in the summary, a warning per unhealthy site."""
    from newsarchive.notify.config import notify_config_of
    from newsarchive.notify.health import check_run, record_in_summary

    run_id = summary.get("run_id")
    if not run_id:
        return
    try:
        health = check_run(config, notify_config_of(config).health, str(run_id), sites, command)
        if health:
            record_in_summary(config, str(run_id), health)
    except Exception as exc:  # health is a report: it never fails the run
        logging.getLogger(__name__).warning("could not assess site health: %s", exc)
        return
    summary["health"] = health
    for report in health:
        if report["state"] == "unhealthy":
            text = f"warning: {report['site']} looks broken: " + "; ".join(report["reasons"])
            console.print(Text(text, style="yellow"), soft_wrap=True)
