"""`newsarchive schedule`: APScheduler 3 in the foreground, jobs from the config file.

The job store (`<data dir>/scheduler.sqlite`, SQLAlchemy) keeps each job's next run time
across restarts; the config is the source of truth for which jobs exist and when they run:
at start, jobs missing from the config are removed, changed ones replaced, unchanged ones
kept (with their next run time, so a run missed while the scheduler was down still happens
if it is within the job's misfire grace time).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from archive.clock import iso_utc
from archive.config import Config
from newsarchive.scheduling.config import ScheduleConfig, ScheduledJob, schedule_config_of
from newsarchive.scheduling.jobs import ChildProcesses, JobRuntime, install_runtime, run_job
from newsarchive.scheduling.lock import SchedulerLock
from newsarchive.scheduling.runs import JobRunLog

logger = logging.getLogger("newsarchive.schedule")
JOB_STORE_NAME = "scheduler.sqlite"


def configure_logging() -> None:
    """Timestamped lines on stderr: what a service manager's journal wants."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("newsarchive.schedule", "apscheduler"):
        log = logging.getLogger(name)
        log.handlers[:] = [handler]
        log.propagate = False
    logging.getLogger("newsarchive.schedule").setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # missed runs, skipped instances


def _trigger_key(trigger: BaseTrigger) -> tuple[Any, ...]:
    """What makes two triggers fire at the same times (an IntervalTrigger's repr carries
    its start date, so reprs cannot be compared)."""
    if isinstance(trigger, IntervalTrigger):
        return ("interval", trigger.interval.total_seconds(), str(trigger.timezone))
    if isinstance(trigger, CronTrigger):
        return ("cron", str(trigger), str(trigger.timezone))
    return ("other", repr(trigger))


class ArchiveScheduler:
    """The config's jobs on an APScheduler `BackgroundScheduler`, run until SIGINT/SIGTERM.

    Reads `[schedule]` (see `newsarchive.scheduling.config`), `[s3]`, `[distributed]` and the data
    directory. With `[distributed] redis_url` (unless `[schedule] distributed = false`) the
    crawl and recheck jobs are `crawl … --distributed` / `recheck --distributed`: each still
    runs in a child process, pushes into Redis and is recorded with its pushed counts.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.settings: ScheduleConfig = schedule_config_of(config)
        self.data_dir = config.data_dir.expanduser().resolve()
        self.config_path = str(config.source.expanduser().resolve()) if config.source else None
        self.store_path = self.data_dir / JOB_STORE_NAME
        self.lock = SchedulerLock(self.data_dir)

    # -- jobs ------------------------------------------------------------------------------
    def trigger(self, job: ScheduledJob) -> BaseTrigger:
        if job.cron is not None:
            return CronTrigger.from_crontab(job.cron, timezone=self.settings.timezone)
        assert job.interval_seconds is not None
        return IntervalTrigger(seconds=job.interval_seconds, timezone=self.settings.timezone)

    def job_args(self, job: ScheduledJob) -> list[Any]:
        return [job.id, list(job.cli_args), str(self.data_dir), self.config_path]

    def _unchanged(self, stored: Job, job: ScheduledJob) -> bool:
        return (
            _trigger_key(stored.trigger) == _trigger_key(self.trigger(job))
            and list(stored.args) == self.job_args(job)
            and stored.misfire_grace_time == job.misfire_grace_seconds
            and stored.func_ref == f"{run_job.__module__}:{run_job.__name__}"
        )

    def apply_config(self, scheduler: BackgroundScheduler) -> dict[str, str]:
        """Make the job store match the config; returns job id → added/updated/kept/removed."""
        wanted = {job.id: job for job in self.settings.jobs}
        changes: dict[str, str] = {}
        for stored in scheduler.get_jobs():
            if stored.id not in wanted:
                scheduler.remove_job(stored.id)
                changes[stored.id] = "removed"
        stored_jobs = {j.id: j for j in scheduler.get_jobs()}
        for job in self.settings.jobs:
            stored = stored_jobs.get(job.id)
            if stored is not None and self._unchanged(stored, job):
                changes[job.id] = "kept"
                continue
            scheduler.add_job(
                run_job, self.trigger(job), args=self.job_args(job), id=job.id, name=job.id,
                misfire_grace_time=job.misfire_grace_seconds, coalesce=True, max_instances=1,
                replace_existing=True,
            )  # fmt: skip
            changes[job.id] = "updated" if stored is not None else "added"
        return changes

    def _scheduler(self, workers: int) -> BackgroundScheduler:
        return BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{self.store_path}")},
            executors={"default": ThreadPoolExecutor(max_workers=workers)},
            timezone=self.settings.timezone,
        )

    # -- running ---------------------------------------------------------------------------
    def run(self, on_started: Callable[[dict[str, str]], None] | None = None) -> int:
        """Run until SIGINT or SIGTERM; returns the exit status (0). Raises `SchedulerLocked`
        when another scheduler holds the data directory."""
        stop = threading.Event()

        def request_stop(signum: int, _frame: Any) -> None:
            if not stop.is_set():
                logger.info("%s: taking no new jobs and stopping", signal.Signals(signum).name)
            stop.set()

        previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.lock.acquire()
            try:
                return self._run_locked(stop, on_started)
            finally:
                self.lock.release()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def _run_locked(
        self, stop: threading.Event, on_started: Callable[[dict[str, str]], None] | None
    ) -> int:
        log = JobRunLog(self.config.resolved_catalog_url)
        abandoned = log.close_abandoned()
        if abandoned:
            logger.warning(
                "%d job run(s) left unfinished by a previous scheduler marked as ended", abandoned
            )
        children = ChildProcesses()
        install_runtime(JobRuntime(log, children))
        scheduler = self._scheduler(workers=max(2, len(self.settings.jobs)))
        scheduler.start(paused=True)
        try:
            changes = self.apply_config(scheduler)
            for job_id, change in changes.items():
                logger.info("job %s: %s", job_id, change)
            if self.settings.distributed:
                logger.info(
                    "distributed: crawl and recheck jobs queue their work in Redis for `newsarchive worker`s"
                )
            scheduler.resume()
            if on_started:
                on_started(changes)
            while not stop.wait(0.5):
                pass
            scheduler.pause()
            killed = children.stop(self.settings.stop_timeout_seconds)
            if killed:
                logger.warning("%d job(s) killed after %g s; the next crawl repairs what they left",
                               killed, self.settings.stop_timeout_seconds)  # fmt: skip
        finally:
            scheduler.shutdown(wait=True)
            install_runtime(None)
            log.close()
        logger.info("scheduler stopped")
        return 0

    # -- listing ---------------------------------------------------------------------------
    def listing(self) -> dict[str, Any]:
        """Every job of the config and of the job store, with its next run time; reads only."""
        stored: dict[str, Job] = {}
        if self.store_path.exists():
            store = SQLAlchemyJobStore(url=f"sqlite:///{self.store_path}")
            store.start(self._scheduler(workers=1), "default")
            try:
                stored = {job.id: job for job in store.get_all_jobs()}
            finally:
                store.shutdown()
        now = datetime.now(UTC)
        rows = []
        for job in self.settings.jobs:
            existing = stored.get(job.id)
            if existing is not None and self._unchanged(existing, job):
                next_run, state = (
                    existing.next_run_time,
                    "scheduled" if existing.next_run_time else "paused",
                )
            else:
                next_run = self.trigger(job).get_next_fire_time(None, now)
                state = (
                    "changed: applied at next start"
                    if existing is not None
                    else "new: added at next start"
                )
            rows.append({"id": job.id, "when": job.when, "command": " ".join(job.cli_args),
                         "next_run_time": iso_utc(next_run), "state": state})  # fmt: skip
        for job_id, existing in stored.items():
            if all(job.id != job_id for job in self.settings.jobs):
                rows.append({"id": job_id, "when": str(existing.trigger), "command": " ".join(existing.args[1]),
                             "next_run_time": None, "state": "not in the config: removed at next start"})  # fmt: skip
        return {"scheduler": self.lock.running_holder(), "jobs": rows}
