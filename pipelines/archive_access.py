"""How the item pipelines reach the run's archive session: through the Scrapy extension
that owns it, found with `crawler.get_extension(...)`.

The extension itself is Scrapy's side of the archive (`crawler.extensions.warc_capture.
WarcCaptureExtension`); it derives from `SessionOwner`, so this package names no class of
`crawler/` (dependencies point one way: crawler → pipelines → archive).
"""

from __future__ import annotations

from typing import Any

from archive.session import ArchiveSession


class SessionOwner:
    """Base of the extension that owns the run's `ArchiveSession`."""

    session: ArchiveSession


def session_owner(crawler: Any) -> SessionOwner | None:
    """The extension that owns the archive session of `crawler`'s run, if it is enabled."""
    try:
        return crawler.get_extension(SessionOwner)  # type: ignore[no-any-return]
    except RuntimeError:  # the extension manager does not exist yet
        return None
