"""Running `newsarchive … --json` in a child process: the one way the HTTP service's archive
jobs (newsarchive/serve/jobs.py) and the scheduler's jobs (newsarchive/scheduling/jobs.py)
run the CLI.

Why a child process at all: Twisted's reactor cannot be restarted, and a crash or a leak in
one crawl must not take the long-running service down. The child is the real CLI with the
same data directory and config file as its parent (so it fetches under the same address
policy), plain output (`NO_COLOR`, wide `COLUMNS`), and the JSON summary on stdout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def cli_argv(args: Sequence[str], *, data_dir: str | Path, config: str | Path | None,
             entry: str = "newsarchive.cli") -> list[str]:  # fmt: skip
    """`python -m ENTRY --data-dir … [--config …] ARGS…` with this interpreter. `entry` is a
    module running the CLI's `main` (the scheduler's holds signals back first)."""
    argv = [sys.executable, "-m", entry, "--data-dir", str(Path(data_dir).absolute())]
    if config is not None:
        argv += ["--config", str(Path(config).absolute())]
    return [*argv, *args]


def child_env(*, without: Iterable[str] = ()) -> dict[str, str]:
    """This process's environment for the child: plain, unbuffered output; no
    NEWSARCHIVE_CONFIG (the command line names the config); none of the `without` names (a
    secret the child must not get)."""
    drop = {"NEWSARCHIVE_CONFIG", *without}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"NO_COLOR": "1", "COLUMNS": "500", "PYTHONUNBUFFERED": "1"})
    return env


def start_cli(argv: Sequence[str], *, without_env: Iterable[str] = (), cwd: Path | None = None,
              own_session: bool = False) -> subprocess.Popen[str]:  # fmt: skip
    """Start the child, its stdout and stderr piped, in `cwd` (default: this process's).
    `own_session`: in a process group of its own, so that a terminal's Ctrl-C reaches the
    parent only, which decides what the child gets."""
    return subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=child_env(without=without_env), cwd=cwd,
                            start_new_session=own_session)  # fmt: skip


@dataclass(frozen=True)
class CliOutcome:
    """How a child CLI run ended."""

    status: int
    stdout: str
    stderr: str

    @property
    def summary(self) -> dict[str, Any] | None:
        """The `--json` document (an object), or None when stdout is not one."""
        try:
            value = json.loads(self.stdout)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    @property
    def last_error_line(self) -> str:
        """The last non-blank line on stderr (the CLI's one-line error), or ""."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""

    @property
    def error(self) -> str | None:
        """None when the run succeeded; else its error line, or its exit status."""
        if self.status == 0:
            return None
        return self.last_error_line or f"exit status {self.status}"


def wait_cli(proc: subprocess.Popen[str], timeout: float | None = None) -> CliOutcome:
    """Wait for the child to end and collect its output. After `timeout` seconds the child
    is killed and subprocess.TimeoutExpired raised."""
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    return CliOutcome(proc.returncode, stdout, stderr)
