"""The one Scrapy process set-up of newsarchive: every crawl (`crawl`, `archive`, `recheck`,
the demo) and every distributed worker runs through `CrawlProcess`.

It builds the Scrapy settings from the config, opens the run's archive session (one per
process and data directory, shared by the run's crawlers), installs the logging and the
Ctrl-C handling, runs the reactor, and closes the session with the run's status.

Twisted's reactor cannot be restarted: one `CrawlProcess.run` per process. Long-lived
processes (the scheduler, the HTTP service) run each crawl in a child process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.logging import RichHandler

from archive.config import Config
from archive.session import ArchiveSession

# Scrapy's per-request noise (retries, robots) is summarised at the end instead.
_QUIET_LOGGERS = ("scrapy.downloadermiddlewares", "scrapy.core.scraper", "scrapy.core.engine",
                  "scrapy.spidermiddlewares", "scrapy.core.downloader", "crawler.spiders.site")  # fmt: skip


def configure_logging(console: Console, verbose: bool) -> None:
    """One handler on the root logger, writing through `console` (so log lines and the
    progress display do not overwrite each other); markup off: messages carry site text."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = RichHandler(console=console, show_path=False, markup=False, rich_tracebacks=False)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    # On the handler, not the logger: Scrapy sets the root logger's level itself.
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    root.addHandler(handler)
    if not verbose:
        for name in _QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)


class CrawlProcess:
    """A Scrapy process writing into the archive of `config`.

    `add(spidercls, **kwargs)` once per spider, then `run()`, then `close(status, extra)`
    for the run's summary (which closes the WARC and records files)."""

    def __init__(self, config: Config, *, command: str, sites: list[str], console: Console | None = None,
                 verbose: bool = False, settings_overrides: dict[str, Any] | None = None) -> None:  # fmt: skip
        from scrapy.settings import Settings

        from crawler import session_registry
        from crawler.interrupt import InterruptibleCrawlerProcess
        from crawler.scrapy_settings import build_settings

        self.config = config
        self.console = console or Console(stderr=True)
        values = build_settings(config)
        values.update(settings_overrides or {})
        values["LOG_LEVEL"] = "INFO" if verbose else "WARNING"
        values["LOG_INSTALL_ROOT_HANDLER"] = False
        self.values = values
        self.session: ArchiveSession = session_registry.open_session(
            config, command=command, sites=sites, user_agent=values["USER_AGENT"],
            robots_policy="obey" if values["ROBOTSTXT_OBEY"] else "ignore",
        )  # fmt: skip
        self.process = InterruptibleCrawlerProcess(Settings(values), console=self.console,
                                                   data_dir=str(config.data_dir))  # fmt: skip
        configure_logging(
            self.console, verbose
        )  # after Scrapy's dictConfig, which resets logger levels
        self.crawlers: list[Any] = []

    def add(self, spidercls: type, **kwargs: Any) -> Any:
        """Schedule a spider of this run; returns its Scrapy `Crawler`."""
        crawler = self.process.create_crawler(spidercls)
        self.process.crawl(crawler, **kwargs)
        self.crawlers.append(crawler)
        return crawler

    def run(self, tick: Callable[[], None] | None = None, interval: float = 0.2) -> str:
        """Run the reactor until every spider is done; `tick` is called every `interval`
        seconds on the reactor thread meanwhile (a progress display). Returns the status:
        `done`, `interrupted` (Ctrl-C or SIGTERM), or the spiders' unusual finish reasons."""
        from twisted.internet import reactor
        from twisted.internet import task as tx_task

        loop = tx_task.LoopingCall(tick) if tick is not None else None
        status = "done"
        if loop is not None:
            reactor.callWhenRunning(loop.start, interval)  # type: ignore[attr-defined]
        try:
            self.process.start()
        except KeyboardInterrupt:
            status = "interrupted"
        finally:
            if loop is not None and loop.running:
                loop.stop()
        if self.process.interrupts:
            return "interrupted"
        return status

    @property
    def signal(self) -> int | None:
        """The signal that interrupted the run, if one did."""
        return self.process.signal  # type: ignore[no-any-return]

    def finish_reasons(self) -> set[str]:
        return {str(c.stats.get_value("finish_reason")) for c in self.crawlers if c.stats}

    def fatal_error(self) -> str | None:
        """Why the run had to stop writing (a full disk), if it did."""
        found = [c.stats.get_value("newsarchive/fatal_error") for c in self.crawlers if c.stats]
        return next((f for f in found if f), None)

    def reports(self) -> list[dict[str, Any]]:
        """Each spider's report (discovery figures, per-URL results)."""
        return [getattr(c.spider, "report", {}) or {} for c in self.crawlers]

    def close(self, status: str, extra: dict[str, Any]) -> dict[str, Any]:
        """Close the run's archive session; returns the run's summary."""
        return self.session.close(status, extra=extra)
