"""Archive jobs of the HTTP service: stored in the catalog (`api_jobs`), run by a worker.

A job is a list of URLs from one POST /api/archive. It is `queued` until a worker slot
takes it, `running` while its `newsarchive archive` child process works (Twisted's
reactor runs once per process, so each job gets a fresh one), then `done` (at least one
URL archived) or `failed` (none; or the process crashed or timed out). Every URL has its
own result: article id, version, outcome, error. Jobs left `running` by a server that
stopped are queued again when the next one starts.
"""

from __future__ import annotations

import logging
import subprocess
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from archive import catalog_schema as t
from archive.clock import iso_utc
from archive.config import Config
from crawler.url_form import url_key
from newsarchive.cli_process import cli_argv, start_cli, wait_cli
from newsarchive.serve.settings import TOKEN_ENV, ServeSettings

logger = logging.getLogger(__name__)

STATUSES = ("queued", "running", "done", "failed")
_REPO = Path(__file__).resolve().parents[2]


class QueueFull(Exception):
    """The job queue holds its maximum of URLs; the message says how many."""


class JobStore:
    """The `api_jobs` table: create (without queueing a URL twice), claim, finish, read.

    The URLs waiting or being archived are indexed in memory (one key per URL, however it
    is spelled: crawler/url_form.py `url_key`), built from the table at first use: a new
    job's dedup costs a lookup per URL, not a read of every queued job. One server process
    owns a catalog's queue (its lock makes dedup + insert atomic).
    """

    def __init__(self, engine: Engine, max_queued_urls: int | None = None) -> None:
        self.engine = engine
        self.max_queued_urls = max_queued_urls
        self._lock = threading.Lock()
        self._pending: dict[str, str] | None = None  # url_key → id of the job that has it
        self._keys_of: dict[str, list[str]] = {}  # job id → its url_keys in `_pending`

    def _index(self) -> dict[str, str]:
        """The pending-URL index (call with the lock held)."""
        if self._pending is None:
            pending: dict[str, str] = {}
            with self.engine.connect() as conn:
                rows = conn.execute(select(t.api_jobs.c.id, t.api_jobs.c.urls)
                                    .where(t.api_jobs.c.status.in_(("queued", "running")))
                                    .order_by(t.api_jobs.c.created_at))  # fmt: skip
                for job_id, job_urls in rows:
                    for u in job_urls:
                        key = url_key(u)
                        if key not in pending:
                            pending[key] = job_id
                            self._keys_of.setdefault(job_id, []).append(key)
            self._pending = pending
        return self._pending

    def pending_urls(self) -> int:
        with self._lock:
            return len(self._index())

    def create(
        self, urls: list[str], site: str | None, token_hash: str | None
    ) -> tuple[str | None, dict[str, str]]:
        """Queue the URLs not already waiting or being archived.

        Returns (new job id or None when every URL was already queued, {url: job id that
        already has it}). QueueFull when the new URLs would take the queue past
        `max_queued_urls`.
        """
        with self._lock:
            pending = self._index()
            already = {u: pending[url_key(u)] for u in urls if url_key(u) in pending}
            fresh_by_key: dict[str, str] = {}
            for u in urls:  # one URL spelled several ways in one request: queued once
                if u not in already:
                    fresh_by_key.setdefault(url_key(u), u)
            fresh = list(fresh_by_key.values())
            if not fresh:
                return None, already
            if (
                self.max_queued_urls is not None
                and len(pending) + len(fresh) > self.max_queued_urls
            ):
                raise QueueFull(f"the archive queue is full ({len(pending)} URLs waiting or being archived, "
                                f"at most {self.max_queued_urls}): try again later")  # fmt: skip
            job_id = uuid.uuid4().hex
            with self.engine.begin() as conn:
                conn.execute(insert(t.api_jobs).values(
                    id=job_id, status="queued", urls=fresh, site=site, token_hash=token_hash,
                    created_at=datetime.now(UTC), attempts=0,
                ))  # fmt: skip
            for key in fresh_by_key:
                pending[key] = job_id
            self._keys_of[job_id] = list(fresh_by_key)
            return job_id, already

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.api_jobs).where(t.api_jobs.c.id == job_id)).first()
        return dict(row._mapping) if row else None

    def counts(self) -> dict[str, int]:
        query = select(t.api_jobs.c.status, func.count()).group_by(t.api_jobs.c.status)
        with self.engine.connect() as conn:
            found: dict[str, int] = {str(k): int(n) for k, n in conn.execute(query).all()}
        return {s: int(found.get(s, 0)) for s in STATUSES}

    def claim_next(self) -> dict[str, Any] | None:
        """Mark the oldest queued job running and return it (None when nothing waits)."""
        with self._lock, self.engine.begin() as conn:
            row = conn.execute(select(t.api_jobs).where(t.api_jobs.c.status == "queued")
                               .order_by(t.api_jobs.c.created_at, t.api_jobs.c.id).limit(1)).first()  # fmt: skip
            if row is None:
                return None
            job = dict(row._mapping)
            conn.execute(update(t.api_jobs).where(t.api_jobs.c.id == job["id"]).values(
                status="running", started_at=datetime.now(UTC), attempts=job["attempts"] + 1))  # fmt: skip
            return job

    def finish(
        self, job_id: str, status: str, results: list[dict[str, Any]], error: str | None
    ) -> None:
        with self._lock:
            with self.engine.begin() as conn:
                conn.execute(update(t.api_jobs).where(t.api_jobs.c.id == job_id).values(
                    status=status, results=results, error=error, finished_at=datetime.now(UTC)))  # fmt: skip
            if self._pending is not None:
                for key in self._keys_of.pop(job_id, []):
                    if self._pending.get(key) == job_id:
                        del self._pending[key]

    def requeue_interrupted(self) -> int:
        """Jobs a stopped server left `running` go back to the queue (run again from the start)."""
        with self._lock, self.engine.begin() as conn:
            result = conn.execute(update(t.api_jobs).where(t.api_jobs.c.status == "running")
                                  .values(status="queued", started_at=None))  # fmt: skip
            return int(result.rowcount or 0)


def job_view(job: dict[str, Any]) -> dict[str, Any]:
    """The public JSON of a job (GET /api/jobs/{id})."""
    results = job.get("results")
    if results is None:
        results = [{"requested_url": u, "url": None, "article_id": None, "version": None,
                    "outcome": None, "error": None} for u in job["urls"]]  # fmt: skip
    return {
        "id": job["id"],
        "status": job["status"],
        "site": job["site"],
        "urls": job["urls"],
        "created_at": iso_utc(job["created_at"]),
        "started_at": iso_utc(job["started_at"]),
        "finished_at": iso_utc(job["finished_at"]),
        "error": job["error"],
        "results": results,
    }


def archive_command(config: Config, urls: list[str], site: str | None) -> list[str]:
    """The `newsarchive archive` command line a job runs."""
    args = ["archive", "--no-progress", "--json", *(["--site", site] if site else []), "--", *urls]
    return cli_argv(args, data_dir=config.data_dir, config=config.source)


def _result_row(url: str, row: dict[str, Any] | None, error: str | None) -> dict[str, Any]:
    row = row or {}
    return {
        "requested_url": url,
        "url": row.get("url"),
        "article_id": row.get("article_id"),
        "version": row.get("version"),
        "outcome": row.get("outcome") or "not-fetched",
        "error": row.get("error") or (error if row.get("version") is None else None),
    }


class JobWorker:
    """Runs queued jobs, `settings.workers` at a time, each in a child process.

    The child reads the same config, so it fetches under the same address policy as every
    other command (`[crawl]`, checked at every hop and connection); it never gets the API
    token.
    """

    def __init__(self, store: JobStore, config: Config, settings: ServeSettings) -> None:
        self.store = store
        self.config = config
        self.settings = settings
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._children: set[subprocess.Popen[str]] = set()
        self._children_lock = threading.Lock()

    def start(self) -> None:
        requeued = self.store.requeue_interrupted()
        if requeued:
            logger.warning("re-queued %d job(s) interrupted by the last shutdown", requeued)
        for n in range(self.settings.workers):
            thread = threading.Thread(target=self._loop, name=f"archive-worker-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def notify(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking jobs and end running children; their jobs stay `running` and are
        re-queued by the next start."""
        self._stopping.set()
        self.notify()
        with self._children_lock:
            for child in self._children:
                child.terminate()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                job = self.store.claim_next()
            except Exception:  # a locked or briefly unreachable catalog: try again shortly
                logger.exception("cannot read the job queue")
                job = None
            if job is None:
                with self._wake:
                    self._wake.wait(1.0)
                continue
            try:
                self.run(job)
            except Exception as exc:  # never leave a job running because of a bug here
                logger.exception("job %s failed", job["id"])
                self.store.finish(job["id"], "failed", [_result_row(u, None, str(exc)) for u in job["urls"]],
                                  f"{type(exc).__name__}: {exc}")  # fmt: skip

    def run(self, job: dict[str, Any]) -> None:
        urls: list[str] = job["urls"]
        cmd = archive_command(self.config, urls, job["site"])
        # Never the API token; in the repository, so it imports the code the service runs.
        child = start_cli(cmd, without_env=[TOKEN_ENV], cwd=_REPO)
        with self._children_lock:
            self._children.add(child)
        try:
            outcome = wait_cli(child, timeout=self.settings.job_timeout_seconds)
        except subprocess.TimeoutExpired:
            timeout = f"the archive run took longer than {self.settings.job_timeout_seconds:g} s and was stopped"
            self.store.finish(
                job["id"], "failed", [_result_row(u, None, timeout) for u in urls], timeout
            )
            return
        finally:
            with self._children_lock:
                self._children.discard(child)
        if self._stopping.is_set():
            return  # killed by a shutdown: stays `running`, re-queued on the next start
        rows: dict[str, dict[str, Any]] = {}
        error: str | None = None
        try:
            for row in (outcome.summary or {})["results"]:
                rows[row["requested_url"]] = row
        except (KeyError, TypeError):
            error = (
                outcome.last_error_line or f"the archive run exited with status {outcome.status}"
            )
        results = [_result_row(u, rows.get(u), error) for u in urls]
        archived = any(r["version"] is not None for r in results)
        if not archived and error is None:
            error = "no URL could be archived"
        self.store.finish(
            job["id"], "done" if archived else "failed", results, error if not archived else None
        )
