"""One scheduler per data directory: an exclusive `flock` on `<data dir>/scheduler.lock`.

The kernel releases the lock when the holder dies, however it dies, so a stale file never
blocks a new scheduler. The file names the holder (pid, host, start time) for the message.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.clock import iso_utc

LOCK_NAME = "scheduler.lock"


class SchedulerLocked(Exception):
    """Another scheduler holds the data directory; the message names it."""


def describe_holder(holder: dict[str, Any]) -> str:
    if not holder:
        return "another process (it has not written its name yet)"
    return f"pid {holder.get('pid')} on {holder.get('host')}, started {holder.get('started_at')}"


class SchedulerLock:
    """The data directory's scheduler lock; `acquire` raises `SchedulerLocked` when taken."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / LOCK_NAME
        self._fd: int | None = None

    def holder(self) -> dict[str, Any]:
        """What the lock file says about its holder (empty if unreadable)."""
        try:
            value = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def running_holder(self) -> dict[str, Any] | None:
        """The holder if it looks alive (its pid runs on this host), without touching the lock:
        probing with flock could make a scheduler that starts at that moment fail."""
        holder = self.holder()
        pid = holder.get("pid")
        if not isinstance(pid, int) or holder.get("host") != socket.gethostname():
            return holder or None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return holder

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # O_CLOEXEC (Python's default): child crawls must not inherit and outlive the lock.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SchedulerLocked(
                f"another scheduler is already running on {self.path.parent}: {describe_holder(self.holder())} "
                f"(lock file {self.path})"
            ) from None
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started_at": iso_utc(datetime.now(UTC))}  # fmt: skip
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None
