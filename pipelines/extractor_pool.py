"""A pool of worker processes for extraction: off the reactor thread, on every core.

Extraction is CPU-bound (lxml + trafilatura, 1–5 ms a page): in the reactor's thread it
delays downloads and archiving, and threads would share one core under the GIL. So pages go
to worker processes, each on its own pipe, and the reactor's event loop watches the pipes
(`add_reader`): no feeder or result threads, no locks. A hand-over costs the reactor a
pickle of the page and one of the result (~0.05 ms), a twentieth of extracting it.

- A page that hangs a worker is cut off after `timeout` seconds: that worker is killed and
  replaced, and the page gets an `extract-timeout` outcome. Other pages are not touched.
- A worker that dies mid-page (a crash in lxml, the OOM killer) is replaced and the page
  tried again, at most three times.
- Workers are recycled after `max_tasks_per_child` pages (lxml and trafilatura grow memory
  on long runs): the worker exits after its last page, a fresh one is started.
- Workers start on first use (a crawl that finds nothing new never pays for them);
  `ready` says whether one has finished importing, so a caller can do cheap work itself
  meanwhile.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import os
import pickle
import signal
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

logger = logging.getLogger(__name__)

_READY = b"R"  # a worker's first message: imports done, send pages
_STOP = b""  # parent → worker: exit now
_MAX_ATTEMPTS = 3


def _warm_up() -> None:
    import trafilatura  # noqa: F401  (import cost paid once per worker, not per page)

    import archive.content  # noqa: F401
    import pipelines.extract  # noqa: F401

    # trafilatura logs "discarding data" warnings per page; outcomes carry what matters.
    for name in ("trafilatura", "htmldate", "charset_normalizer"):
        logging.getLogger(name).setLevel(logging.ERROR)


def extract_in_worker(
    body: bytes, url: str, content_type: str | None, parser: str
) -> dict[str, Any]:
    from archive.content import tracking_digests
    from pipelines.extract import extract_article

    result = extract_article(body, url=url, content_type=content_type, parser=parser).to_dict()
    if not result.get("problem"):
        # The content hash and search words of a new version, here rather than on the
        # crawl's thread (~0.4 ms a page there; archive/versions.py uses them).
        result.update(tracking_digests(result))
    return result


# One crawl process feeds its workers from one reactor thread (~300 pages/s at most, a few
# ms of extraction each): past four workers more cores only cost memory (~70 MB each).
DEFAULT_MAX_WORKERS = 4


def default_workers() -> int:
    """One worker per core, at most `DEFAULT_MAX_WORKERS` (an explicit count is not capped)."""
    return max(1, min(os.cpu_count() or 1, DEFAULT_MAX_WORKERS))


def _failure(problem: str, detail: str) -> dict[str, Any]:
    return {"problem": problem, "problem_detail": detail}


def _load(target: str) -> Callable[..., dict[str, Any]]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _serve(conn: Connection, target: str, max_tasks: int) -> None:
    """A worker's life: warm up, say so, then extract pages until told to stop or recycled."""
    # Ctrl-C reaches the whole process group; the crawl stops gracefully and stops its
    # workers itself (a stop message, or the end of the pipe).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _warm_up()
    extract = _load(target)
    conn.send_bytes(_READY)
    for _ in range(max_tasks):
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):  # the crawl went away
            return
        if message == _STOP:
            return
        body, url, content_type, parser = pickle.loads(message)
        try:
            result = extract(body, url, content_type, parser)
        except Exception as exc:  # a bug in an extractor must not stop the crawl
            logger.exception("extraction of %s failed", url)
            result = _failure("extract-error", f"{type(exc).__name__}: {exc}")
        conn.send_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


@dataclass
class _Task:
    payload: bytes
    url: str
    future: asyncio.Future[dict[str, Any]]
    attempts: int = 0


@dataclass
class _Worker:
    process: Any
    conn: Connection
    ready: bool = False
    dead: bool = False  # a send failed: its end of pipe is on the way
    task: _Task | None = None
    done: int = 0
    timer: asyncio.TimerHandle | None = field(default=None, repr=False)


class ExtractorPool:
    """`await pool.extract(...)` returns `ExtractionResult.to_dict()`; never raises for a page.

    Runs on the asyncio event loop of the caller (Scrapy's asyncio reactor). `target` names
    the function a worker calls (`module:function`); tests replace it.
    """

    def __init__(self, workers: int = 0, timeout: float = 30.0, max_tasks_per_child: int = 500,
                 target: str = "pipelines.extractor_pool:extract_in_worker") -> None:  # fmt: skip
        self.workers = workers if workers > 0 else default_workers()
        self.timeout = timeout
        self.max_tasks_per_child = max(1, max_tasks_per_child)
        self.target = target
        self.restarts = 0  # workers killed or lost (a timeout, a crash); recycling not counted
        self.started = 0  # worker processes started, replacements included
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: list[_Worker] = []
        self._queue: deque[_Task] = deque()
        self._closed = False
        self._failed_starts = 0  # workers in a row that died before they were ready

    # -- state ---------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """Whether a worker has started and can take a page now or soon."""
        return any(w.ready for w in self._pool)

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._pool]

    # -- the caller's side ---------------------------------------------------------------
    def start(self) -> None:
        """Start the workers (done on first use anyway)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        while len(self._pool) < self.workers and not self._closed:
            try:
                self._spawn()
            except Exception as exc:  # noqa: BLE001  (no fds left, fork refused…)
                if not self._pool:
                    self._fail_all(
                        f"no extraction worker could be started: {type(exc).__name__}: {exc}"
                    )
                return

    async def extract(
        self, body: bytes, *, url: str, content_type: str | None, parser: str
    ) -> dict[str, Any]:
        if self._closed:
            return _failure("extract-error", "the extraction pool is closed")
        self.start()
        assert self._loop is not None
        payload = pickle.dumps((body, url, content_type, parser), protocol=pickle.HIGHEST_PROTOCOL)
        task = _Task(payload, url, self._loop.create_future())
        self._queue.append(task)
        self._dispatch()
        try:
            return await task.future
        except asyncio.CancelledError:
            # The crawl is stopping: a queued page is dropped; a running one finishes unread.
            if task in self._queue:
                self._queue.remove(task)
            raise

    def close(self) -> None:
        """Stop every worker (a graceful stop, then a kill after a second)."""
        self._closed = True
        for worker in list(self._pool):
            try:
                worker.conn.send_bytes(_STOP)
            except OSError:
                pass
        for worker in list(self._pool):
            self._answer(worker, "the crawl stopped before extraction")
            self._forget(worker)
            if not worker.ready:  # still importing: it would read the stop only afterwards
                worker.process.kill()
            worker.process.join(1.0)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(1.0)
        self._answer_queued("the crawl stopped before extraction")

    # -- workers -------------------------------------------------------------------------
    def _spawn(self) -> None:
        assert self._loop is not None
        parent, child = multiprocessing.Pipe(duplex=True)
        process = multiprocessing.get_context("forkserver").Process(
            target=_serve, args=(child, self.target, self.max_tasks_per_child), daemon=True,
            name="newsarchive-extract",
        )  # fmt: skip
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._pool.append(worker)
        self.started += 1
        self._loop.add_reader(parent.fileno(), self._readable, worker)

    def _forget(self, worker: _Worker) -> None:
        if worker in self._pool:
            self._pool.remove(worker)
        if worker.timer is not None:
            worker.timer.cancel()
            worker.timer = None
        if self._loop is not None and not worker.conn.closed:
            self._loop.remove_reader(worker.conn.fileno())
        worker.conn.close()

    def _replace(self, worker: _Worker) -> None:
        self._forget(worker)
        if not self._closed:
            try:
                self._spawn()
            except Exception as exc:  # noqa: BLE001  (no fds left, fork refused…)
                if not self._pool:
                    self._fail_all(
                        f"no extraction worker could be started: {type(exc).__name__}: {exc}"
                    )

    @staticmethod
    def _answer(worker: _Worker, detail: str) -> None:
        """Give the page a worker holds its answer (the worker is going away)."""
        task, worker.task = worker.task, None
        if task is not None and not task.future.done():
            task.future.set_result(_failure("extract-error", detail))

    def _answer_queued(self, detail: str) -> None:
        for task in self._queue:
            if not task.future.done():
                task.future.set_result(_failure("extract-error", detail))
        self._queue.clear()

    def _dispatch(self) -> None:
        for worker in self._pool:
            if not self._queue:
                return
            if (not worker.ready or worker.dead or worker.task is not None
                    or worker.done >= self.max_tasks_per_child):  # fmt: skip
                continue
            task = self._queue.popleft()
            try:
                worker.conn.send_bytes(task.payload)
            except OSError:  # it died since its last message: its EOF is on the way
                self._queue.appendleft(task)
                worker.dead = True
                continue
            worker.task = task
            assert self._loop is not None
            worker.timer = self._loop.call_later(self.timeout, self._timed_out, worker)

    def _readable(self, worker: _Worker) -> None:
        try:
            message = worker.conn.recv_bytes()
        except (EOFError, OSError):
            self._lost(worker)
            return
        if message == _READY:
            worker.ready = True
            self._failed_starts = 0
        else:
            task, worker.task = worker.task, None
            if worker.timer is not None:
                worker.timer.cancel()
                worker.timer = None
            worker.done += 1
            if task is not None and not task.future.done():
                try:
                    task.future.set_result(pickle.loads(message))
                except Exception as exc:  # noqa: BLE001  (an unpicklable result)
                    task.future.set_result(
                        _failure("extract-error", f"{type(exc).__name__}: {exc}")
                    )
            if worker.done >= self.max_tasks_per_child:
                # Recycled: the worker exits by itself after its last page (the forkserver,
                # its parent, reaps it: no join on the reactor's thread).
                self._replace(worker)
        self._dispatch()

    def _lost(self, worker: _Worker) -> None:
        """A worker died (crashed, killed): retry its page on another one."""
        task = worker.task
        worker.task = None
        self.restarts += 1
        worker.process.join(0.2)  # it is gone (end of pipe): reaped at once, for its exit code
        exitcode = worker.process.exitcode
        if not worker.ready:
            self._failed_starts += 1
            if self._failed_starts >= _MAX_ATTEMPTS:
                # Workers die while importing (a broken install): say so, do not loop.
                self._forget(worker)
                self._fail_all(f"extraction workers die at start-up (exit code {exitcode})")
                return
        if task is not None and not task.future.done():
            task.attempts += 1
            if task.attempts >= _MAX_ATTEMPTS:
                task.future.set_result(_failure(
                    "extract-error", f"the extraction worker died ({_MAX_ATTEMPTS} times; exit code {exitcode})"
                ))  # fmt: skip
            else:
                logger.warning(
                    "extraction worker died on %s (exit code %s): trying again", task.url, exitcode
                )
                self._queue.appendleft(task)
        self._replace(worker)
        self._dispatch()

    def _fail_all(self, detail: str) -> None:
        self._closed = True
        logger.error("%s: pages that need trafilatura cannot be extracted", detail)
        for worker in list(self._pool):
            self._answer(worker, detail)
            worker.process.kill()
            self._forget(worker)
        self._answer_queued(detail)

    def _timed_out(self, worker: _Worker) -> None:
        task, worker.task, worker.timer = worker.task, None, None
        if task is None:
            return
        logger.warning(
            "extraction of %s took longer than %g s: worker replaced", task.url, self.timeout
        )
        self.restarts += 1
        if not task.future.done():
            task.future.set_result(
                _failure("extract-timeout", f"extraction took longer than {self.timeout:g} s")
            )
        worker.process.kill()  # reaped by the forkserver, its parent
        self._replace(worker)
        self._dispatch()
