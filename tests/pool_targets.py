"""Extraction stand-ins the worker pool tests run in its worker processes (tests/test_extractor_pool.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any


def behave(body: bytes, url: str, content_type: str | None, parser: str) -> dict[str, Any]:
    """`hang` never returns, `crash` kills the worker, `crash-once:<file>` kills it the first
    time only (the file records it), `boom` raises, `slow…` takes 20 ms; anything else is echoed back."""
    if body == b"hang":
        time.sleep(3600)
    if body == b"crash":
        os._exit(3)
    if body.startswith(b"crash-once:"):
        marker = Path(body.split(b":", 1)[1].decode())
        if not marker.exists():
            marker.write_text("crashed")
            os._exit(4)
    if body.startswith(b"slow"):  # 20 ms of work
        time.sleep(0.02)
    if body == b"boom":
        raise RuntimeError("extractor bug")
    return {
        "url": url,
        "pid": os.getpid(),
        "length": len(body),
        "parser": parser,
        "type": content_type,
    }
