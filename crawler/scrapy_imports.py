"""Scrapy's TLS modules, imported without their `inspect.stack()` calls.

`scrapy.core.downloader.tls` and `.contextfactory` define deprecated aliases with
`scrapy.utils.deprecate.create_deprecated_class`, which names the alias's module from
`inspect.stack()[1]`: that builds a `FrameInfo` for every frame on the stack, reading each
frame's source line and scanning `sys.modules` for each `<frozen importlib>` frame. Deep in
a crawl's start-up (~60 frames, ~900 modules) that cost ~0.15 s. While they are imported
here, `inspect.stack` returns the two frames the function reads, so the aliases get the
same `__module__`.

Importing this module does that (once); `crawler.download_handler` imports it before
Scrapy's HTTP/1.1 handler.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any


def _frame_info(frame: Any) -> inspect.FrameInfo:
    return inspect.FrameInfo(frame, frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name,
                             None, None)  # fmt: skip


def _shallow_stack(context: int = 1) -> list[inspect.FrameInfo]:
    """The caller's frame and its caller's, as `inspect.stack()[0:2]` (no source lines)."""
    caller = sys._getframe(1)
    frames = [_frame_info(caller)]
    if caller.f_back is not None:
        frames.append(_frame_info(caller.f_back))
    return frames


def _import_tls_modules() -> None:
    if "scrapy.core.downloader.contextfactory" in sys.modules:
        return
    real = inspect.stack
    inspect.stack = _shallow_stack  # type: ignore[assignment]
    try:
        import scrapy.core.downloader.contextfactory  # noqa: F401
        import scrapy.core.downloader.tls  # noqa: F401
    finally:
        inspect.stack = real


_import_tls_modules()
