"""One `ArchiveSession` per process and data directory, shared by the crawlers of a run.

The CLI opens it with the run's command and sites before crawling; `scrapy crawl` gets one
opened on first use. The last crawler to close closes it (WARC rotation at end of run).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from archive.config import Config, load_config
from archive.session import ArchiveSession

logger = logging.getLogger("newsarchive")
_sessions: dict[str, ArchiveSession] = {}
_users: dict[str, int] = {}


def _key(data_dir: Path) -> str:
    return str(Path(data_dir).resolve())


def open_session(
    config: Config, *, command: str, sites: list[str], **kwargs: Any
) -> ArchiveSession:
    """Open the run's session, after repairing what a crashed run left in the data directory."""
    key = _key(config.data_dir)
    if key in _sessions and not _sessions[key].closed:
        raise RuntimeError(f"an archive session is already open for {config.data_dir}")
    repair_before_run(config)
    session = ArchiveSession(config, command=command, sites=sites, **kwargs)
    _sessions[key] = session
    _users[key] = 0
    return session


def repair_before_run(config: Config) -> None:
    """A crawl first repairs the leftovers of a crashed one (docs/warc.md, "Files")."""
    if not (config.data_dir / "warc").exists() and not (config.data_dir / "records").exists():
        return
    from archive.catalog import Catalog
    from archive.repair import repair_leftovers
    from archive.verify import recover_orphans

    catalog = Catalog(config.resolved_catalog_url)
    try:
        report = repair_leftovers(config.data_dir, catalog, everything=False)
        recovered = recover_orphans(catalog, [Path(p) for p in report.warcs_closed])
    finally:
        catalog.close()
    if report.changed:
        logger.warning(
            "repaired what a crashed run left: %d WARC file(s) closed, %d set aside as .invalid, "
            "%d byte(s) of incomplete records dropped, %d records file(s) trimmed, %d record line(s) rewritten, "
            "%d orphan record(s) registered",
            len(report.warcs_closed),
            len(report.warcs_invalid),
            report.bytes_dropped,
            len(report.records_files_trimmed),
            report.record_lines_rewritten,
            recovered,
        )


def acquire(settings: Any, site: str) -> tuple[ArchiveSession, bool]:
    """The session for the crawler's data directory; returns (session, opened_here)."""
    config_path = settings.get("NEWSARCHIVE_CONFIG") or None
    config = load_config(config_path, settings.get("NEWSARCHIVE_DATA_DIR") or None)
    key = _key(config.data_dir)
    opened = False
    if key not in _sessions or _sessions[key].closed:
        open_session(
            config, command="scrapy-crawl", sites=[site],
            user_agent=settings.get("USER_AGENT"),
            robots_policy="obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        )  # fmt: skip
        opened = True
    _users[key] += 1
    return _sessions[key], opened


def release(session: ArchiveSession) -> bool:
    """Drop one user; True when it was the last (the caller then closes the session)."""
    key = _key(session.data_dir)
    _users[key] = max(0, _users.get(key, 0) - 1)
    return _users[key] == 0


def current(data_dir: Path) -> ArchiveSession | None:
    return _sessions.get(_key(data_dir))
