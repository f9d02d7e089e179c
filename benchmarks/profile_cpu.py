"""Run the `newsarchive` command under cProfile with a CPU clock: `time.thread_time`.

`python -m cProfile` times with the wall clock: on a shared machine a system call where the
process is descheduled (a pipe write, a commit) is charged its whole wait. The crawl
process's work happens on its main thread (the reactor's), so its thread CPU time is what
the per-stage split (stage_profile.py) should divide.

    .venv/bin/python benchmarks/profile_cpu.py OUT.prof [newsarchive arguments…]
"""

from __future__ import annotations

import cProfile
import sys
import time


def main() -> int:
    out = sys.argv[1]
    sys.argv = ["newsarchive", *sys.argv[2:]]
    from newsarchive.cli import main as newsarchive_main

    profile = cProfile.Profile(time.thread_time)
    status: object = 0
    try:
        profile.runcall(newsarchive_main)
    except SystemExit as exc:
        status = exc.code
    finally:
        profile.dump_stats(out)
    return status if isinstance(status, int) else (0 if status is None else 1)


if __name__ == "__main__":
    sys.exit(main())
