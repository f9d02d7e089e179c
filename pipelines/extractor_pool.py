"""A pool of worker processes for extraction: off the reactor thread, on every core.

Extraction is CPU-bound (lxml + trafilatura, ~5 ms a page): in the reactor's thread it
would stall downloads, and threads would share one core under the GIL. A page that hangs
a worker is cut off after `timeout` seconds (the pool is rebuilt); workers are replaced
after `max_tasks_per_child` pages because lxml and trafilatura grow memory on long runs.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

logger = logging.getLogger(__name__)


def _warm_up() -> None:
    import logging

    import pipelines.extract  # noqa: F401  (import cost paid once per worker, not per page)

    # trafilatura logs "discarding data" warnings per page; outcomes carry what matters.
    for name in ("trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(name).setLevel(logging.ERROR)


def extract_in_worker(body: bytes, url: str, content_type: str | None, parser: str) -> dict[str, Any]:
    from pipelines.extract import extract_article

    return extract_article(body, url=url, content_type=content_type, parser=parser).to_dict()


def _ready(pause: float) -> int:
    """A warm-up task: holding its worker briefly makes the pool start all of them."""
    import time

    time.sleep(pause)
    return os.getpid()


def _failure(problem: str, detail: str) -> dict[str, Any]:
    return {"problem": problem, "problem_detail": detail}


class ExtractorPool:
    """`await pool.extract(...)` returns `ExtractionResult.to_dict()`; never raises for a page."""

    def __init__(self, workers: int = 0, timeout: float = 30.0, max_tasks_per_child: int = 500) -> None:
        self.workers = workers if workers > 0 else (os.cpu_count() or 1)
        self.timeout = timeout
        self.max_tasks_per_child = max_tasks_per_child
        self._executor: ProcessPoolExecutor | None = None
        self._started: asyncio.Future[Any] | None = None
        self._slots: asyncio.Semaphore | None = None
        self.restarts = 0

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_warm_up,
                max_tasks_per_child=self.max_tasks_per_child,
            )
            # Start (and import in) every worker before the first page is timed, so that a
            # page's timeout measures its extraction, not the pool's start-up.
            warm = [self._executor.submit(_ready, 0.05) for _ in range(self.workers)]
            self._started = asyncio.ensure_future(
                asyncio.gather(*(asyncio.wrap_future(f) for f in warm), return_exceptions=True)
            )
        return self._executor

    def _kill(self) -> None:
        """Stop every worker now: a hung lxml call cannot be interrupted any other way."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        self.restarts += 1
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            try:
                process.kill()
            except Exception:  # already gone
                pass
        executor.shutdown(wait=False, cancel_futures=True)

    async def extract(self, body: bytes, *, url: str, content_type: str | None, parser: str) -> dict[str, Any]:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        # At most one page per worker in flight: a submitted page starts at once, so its
        # timeout measures its own extraction, never the wait behind other pages.
        async with self._slots:
            for _attempt in range(3):
                executor = self._pool()
                if self._started is not None and not self._started.done():
                    await asyncio.shield(self._started)
                try:
                    future: Future[dict[str, Any]] = executor.submit(
                        extract_in_worker, body, url, content_type, parser
                    )
                except (BrokenProcessPool, RuntimeError):
                    self._drop(executor)
                    continue
                try:
                    return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), self.timeout)
                except (asyncio.TimeoutError, TimeoutError):
                    logger.warning("extraction of %s took longer than %g s: worker pool restarted", url, self.timeout)
                    self._drop(executor)
                    return _failure("extract-timeout", f"extraction took longer than {self.timeout:g} s")
                except (BrokenProcessPool, asyncio.CancelledError):
                    if not (future.cancelled() or isinstance(future.exception(), BrokenProcessPool)):
                        raise  # our own task was cancelled: the crawl is stopping
                    # Another page's timeout (or a crashed worker) took this one down with it.
                    self._drop(executor)
                    continue
                except Exception as exc:  # a bug in an extractor must not stop the crawl
                    logger.exception("extraction of %s failed", url)
                    return _failure("extract-error", f"{type(exc).__name__}: {exc}")
            return _failure("extract-error", "the extraction worker died (three times)")

    def _drop(self, executor: ProcessPoolExecutor) -> None:
        """Kill a broken or hung pool, unless another page already replaced it."""
        if self._executor is executor:
            self._kill()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
