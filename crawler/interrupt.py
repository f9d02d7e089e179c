"""Ctrl-C during a crawl, as a user expects it.

1st Ctrl-C (or SIGTERM): said at once ("stopping: N pages in flight …"); no new request
   starts, the pages in flight finish and are archived, the WARC file is closed.
2nd: stop now: the downloads in flight are cut off (their connections aborted, so each is
   recorded as a failed capture), then the same orderly close: nothing is left corrupt.
3rd: quit at once, as a kill would; the next crawl (or `verify --repair`) repairs what the
   run leaves, as after any crash.

The run's summary then says `interrupted`, and the command exits 130 (128 + SIGINT).
Scrapy installs the process's signal handlers itself once its reactor runs; this subclass
replaces the two it installs (`_signal_shutdown`, then `_signal_kill`)."""

from __future__ import annotations

import os
import signal
from typing import Any

from rich.console import Console
from rich.text import Text
from scrapy.crawler import CrawlerProcess
from scrapy.utils.ossignal import install_shutdown_handlers


class InterruptibleCrawlerProcess(CrawlerProcess):
    def __init__(self, settings: Any, *, console: Console, data_dir: str) -> None:
        super().__init__(settings)
        self.console = console
        self.data_dir = data_dir
        self.interrupts = 0
        self.signal: int | None = None

    # Called in the signal handler: only set state and hand the work to the reactor.
    def _signal_shutdown(self, signum: int, _frame: Any) -> None:
        from twisted.internet import reactor

        self.interrupts, self.signal = 1, signum
        install_shutdown_handlers(self._signal_kill)
        reactor.callFromThread(self._stop_gracefully)  # type: ignore[attr-defined]

    def _signal_kill(self, signum: int, _frame: Any) -> None:
        from twisted.internet import reactor

        self.interrupts += 1
        if self.interrupts >= 3:
            # Not through the console: the interrupted code may be writing to the same stream.
            os.write(2, f"\nstopped at once: run `newsarchive --data-dir {self.data_dir} verify --repair` "
                        "before reading this archive\n".encode())  # fmt: skip
            os._exit(128 + signum)
        reactor.callFromThread(self._stop_now)  # type: ignore[attr-defined]

    def in_flight(self) -> int:
        total = 0
        for crawler in self.crawlers:
            downloader = getattr(getattr(crawler, "engine", None), "downloader", None)
            total += len(getattr(downloader, "active", ()) or ())
        return total

    def _say(self, message: str) -> None:
        self.console.print(Text(message, style="yellow"), soft_wrap=True)

    def _stop_gracefully(self) -> None:
        n = self.in_flight()
        name = (
            "Ctrl-C"
            if self.signal == signal.SIGINT
            else signal.Signals(self.signal or signal.SIGTERM).name
        )
        timeout = self.settings.getint("DOWNLOAD_TIMEOUT")
        self._say(f"{name}: stopping: {n} page(s) in flight finish first (at most {timeout} s each), then "
                  "the WARC file is closed; Ctrl-C again to stop now")  # fmt: skip
        self._graceful_stop_reactor()

    def _stop_now(self) -> None:
        from twisted.internet import task

        cut = self._cut()
        self._say(f"stopping now: {cut} download(s) cut off; closing the WARC file and the catalog "
                  "(Ctrl-C again to quit at once)")  # fmt: skip
        # Until the crawl has closed: a download that still starts (a request the downloader
        # had queued) is cut off too.
        task.LoopingCall(self._cut).start(0.2, now=False)

    def _cut(self) -> int:
        for crawler in self.crawlers:
            downloader = getattr(getattr(crawler, "engine", None), "downloader", None)
            for request in list(getattr(downloader, "active", ()) or ()):
                request.meta["dont_retry"] = True  # fail now, not again
        return abort_downloads()


def abort_downloads() -> int:
    """Abort every outgoing TCP connection of the reactor, connected or connecting: the
    requests in flight fail at once (recorded as failed captures) instead of running to
    their timeout."""
    from twisted.internet import reactor, tcp

    # The reactor module attribute is typed as an interface; mypy reads zope interface
    # methods as functions without `self`.
    selectables = set(reactor.getReaders()) | set(reactor.getWriters())  # type: ignore[attr-defined,misc]
    cut = 0
    for selectable in selectables:
        if not isinstance(selectable, tcp.Client):
            continue
        if selectable.connected:
            selectable.abortConnection()
            cut += 1
        elif hasattr(selectable, "stopConnecting"):
            try:
                selectable.stopConnecting()
                cut += 1
            except Exception:  # noqa: BLE001 - already connected or failed meanwhile
                pass
    return cut
