"""What a scheduled job does when it fires: run `newsarchive …` in a child process, record it.

Every job runs the real CLI in its own process: Twisted's reactor cannot be restarted, and a
crash or a leak in one crawl cannot take the scheduler down. The job store pickles a job's
function by name and its arguments, so `run_job` is a module-level function of plain strings.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

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
            env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "500"}
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    start_new_session=True, env=env)  # fmt: skip
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


def _parse_summary(stdout: str) -> dict[str, Any]:
    try:
        value = json.loads(stdout)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def run_job(job_id: str, cli_args: list[str], data_dir: str, config_path: str | None) -> None:
    """Run one job to its end and record it; never raises (a failing job must not stop the
    scheduler: it is logged, and runs again at its next time)."""
    runtime = _runtime
    if runtime is None:
        raise RuntimeError("run_job runs inside `newsarchive schedule` only")
    argv = [sys.executable, "-m", "newsarchive.scheduling.job_process", "--data-dir", data_dir]
    if config_path:
        argv += ["--config", config_path]
    argv += cli_args
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
            stdout, stderr = proc.communicate()
        finally:
            runtime.children.done(proc)
        for line in stderr.splitlines():
            if line.strip():
                logger.info("job %s: %s", job_id, line.rstrip())
        summary = _parse_summary(stdout)
        status = proc.returncode
        error = None
        if status != 0:
            error = _last_line(stderr) or f"exit status {status}"
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
