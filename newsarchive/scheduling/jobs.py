"""What a scheduled job does when it fires: run `newsarchive …` in a child process, record it.

Every job runs the real CLI in its own process (newsarchive/cli_process.py: Twisted's reactor
cannot be restarted, and a crash or a leak in one crawl cannot take the scheduler down),
through `newsarchive.scheduling.job_process`, which holds signals back until Scrapy
listens. The job store pickles a job's
function by name and its arguments, so `run_job` is a module-level function of plain strings.
"""

from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import threading
import time
from dataclasses import dataclass

from newsarchive.cli_process import cli_argv, start_cli, wait_cli
from newsarchive.scheduling.runs import JobRunLog, compact_summary

logger = logging.getLogger("newsarchive.schedule")
_STARTUP_SECONDS = 0.5


class ChildProcesses:
    """The job processes running now. `stop` starts no new ones and stops the running ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[subprocess.Popen[str], tuple[float, threading.Event]] = {}
        self.stopping = False

    def spawn(self, argv: list[str]) -> subprocess.Popen[str] | None:
        """Start a child in its own process group (a terminal's Ctrl-C reaches the scheduler
        only, which decides what the child gets); None once stopping."""
        with self._lock:
            if self.stopping:
                return None
            proc = start_cli(argv, own_session=True)
            self._running[proc] = (time.monotonic(), threading.Event())
            return proc

    def done(self, proc: subprocess.Popen[str]) -> None:
        with self._lock:
            entry = self._running.pop(proc, None)
        if entry is not None:
            entry[1].set()

    def stop(self, timeout: float) -> int:
        """SIGINT to every running child (Scrapy's first SIGINT shuts down gracefully and the
        WARC file is closed); SIGKILL to the process group of any still running after
        `timeout` seconds (the next crawl repairs what it leaves). Returns how many were killed."""
        with self._lock:
            self.stopping = True
            running = list(self._running.items())
        for proc, (started, _) in running:
            # `newsarchive.scheduling.job_process` holds SIGINT back from its first instructions on; a
            # signal sent before those ran would still interrupt the interpreter's start-up.
            time.sleep(max(0.0, started + _STARTUP_SECONDS - time.monotonic()))
            logger.info("asking pid %d to finish (SIGINT); waiting up to %g s", proc.pid, timeout)
            try:
                os.kill(proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        killed = 0
        for proc, (_, finished) in running:
            if not finished.wait(max(0.0, deadline - time.monotonic())):
                logger.warning("pid %d did not finish within %g s: killing it", proc.pid, timeout)
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                killed += 1
        return killed


@dataclass
class JobRuntime:
    """What `run_job` needs from the scheduler process that runs it."""

    log: JobRunLog
    children: ChildProcesses


_runtime: JobRuntime | None = None


def install_runtime(runtime: JobRuntime | None) -> None:
    global _runtime
    _runtime = runtime


def run_job(job_id: str, cli_args: list[str], data_dir: str, config_path: str | None) -> None:
    """Run one job to its end and record it; never raises (a failing job must not stop the
    scheduler: it is logged, and runs again at its next time)."""
    runtime = _runtime
    if runtime is None:
        raise RuntimeError("run_job runs inside `newsarchive schedule` only")
    argv = cli_argv(cli_args, data_dir=data_dir, config=config_path,
                    entry="newsarchive.scheduling.job_process")  # fmt: skip
    command = shlex.join(cli_args)
    row = runtime.log.started(job_id, command)
    try:
        proc = runtime.children.spawn(argv)
        if proc is None:
            runtime.log.finished(row, None, error="not started: the scheduler is stopping")
            return
        runtime.log.set_pid(row, proc.pid)
        logger.info("job %s: started `newsarchive %s` (pid %d)", job_id, command, proc.pid)
        try:
            outcome = wait_cli(proc)
        finally:
            runtime.children.done(proc)
        for line in outcome.stderr.splitlines():
            if line.strip():
                logger.info("job %s: %s", job_id, line.rstrip())
        summary = outcome.summary or {}
        status = outcome.status
        error = outcome.error
        if runtime.children.stopping:
            error = f"stopped by the scheduler; {error}" if error else "stopped by the scheduler"
        run_id = summary.get("run_id")
        runtime.log.finished(row, status, run_id=str(run_id) if run_id else None,
                             summary=compact_summary(summary) or None, error=error)  # fmt: skip
        if status == 0:
            logger.info("job %s: done (run %s)", job_id, run_id or "-")
        else:
            logger.warning("job %s: failed with exit status %s: %s", job_id, status, error)
    except Exception as exc:  # recorded, logged, and the scheduler goes on
        logger.exception("job %s: could not run", job_id)
        try:
            runtime.log.finished(row, None, error=f"{type(exc).__name__}: {exc}")
        except Exception:
            logger.exception("job %s: could not record the failure", job_id)
