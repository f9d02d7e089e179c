"""`python -m newsarchive.scheduling.job_process ARGS…`: the `newsarchive` CLI as a scheduled job's process.

The scheduler stops a job with SIGINT, which Scrapy turns into a graceful shutdown (the WARC
file is closed) — but only once its reactor runs. Before that, Python would raise
KeyboardInterrupt wherever start-up happens to be (importing, repairing a crashed run's
leftovers, opening the session). So SIGINT and SIGTERM are held back here until Scrapy has
installed its own handlers, then delivered again. A command that never starts Scrapy
(nothing due, S3 sync) runs to its end, or until the scheduler's stop timeout kills it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

_requested: list[int] = []


def _hold(signum: int, _frame: Any) -> None:
    _requested.append(signum)


def _deliver_when_scrapy_listens() -> None:
    while True:
        time.sleep(0.05)
        if _requested and signal.getsignal(signal.SIGINT) is not _hold:
            os.kill(os.getpid(), signal.SIGINT)
            return


def main() -> None:
    signal.signal(signal.SIGINT, _hold)
    signal.signal(signal.SIGTERM, _hold)
    threading.Thread(target=_deliver_when_scrapy_listens, name="deferred-stop", daemon=True).start()
    from newsarchive.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
