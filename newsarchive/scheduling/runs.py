"""The scheduler's record of job runs (`job_runs` table of the catalog): `newsarchive runs`."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from archive import catalog_schema as t
from archive.catalog import Catalog
from archive.clock import utc

# Summary keys kept in the table: the counts, not the per-URL detail of the crawl's JSON.
_BULKY_KEYS = ("sites", "results")


def compact_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """A child's JSON summary without its per-site / per-URL detail."""
    return {k: v for k, v in summary.items() if k not in _BULKY_KEYS}


class JobRunLog:
    """Start, finish and list job runs; one instance per process, shared by the job threads
    (each call is its own transaction on the engine, never a shared connection)."""

    def __init__(self, catalog_url: str, *, read_only: bool = False) -> None:
        self.catalog = Catalog(catalog_url, read_only=read_only)

    def close(self) -> None:
        self.catalog.close()

    def started(self, job_id: str, command: str, pid: int | None = None) -> int:
        with self.catalog.engine.begin() as conn:
            result = conn.execute(insert(t.job_runs).values(
                job_id=job_id, command=command, started_at=datetime.now(UTC), pid=pid,
                host=socket.gethostname(),
            ))  # fmt: skip
            key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def set_pid(self, row_id: int, pid: int) -> None:
        with self.catalog.engine.begin() as conn:
            conn.execute(update(t.job_runs).where(t.job_runs.c.id == row_id).values(pid=pid))

    def finished(self, row_id: int, exit_status: int | None, *, run_id: str | None = None,
                 summary: dict[str, Any] | None = None, error: str | None = None) -> None:  # fmt: skip
        with self.catalog.engine.begin() as conn:
            conn.execute(
                update(t.job_runs)
                .where(t.job_runs.c.id == row_id)
                .values(ended_at=datetime.now(UTC), exit_status=exit_status, run_id=run_id,
                        summary=summary, error=error[:2000] if error else None)
            )  # fmt: skip

    def close_abandoned(self) -> int:
        """Runs a previous scheduler of this host left unfinished (it was killed) and whose
        process is gone: mark them ended. On a shared catalog, the runs of a scheduler on
        another host (or of another data directory's scheduler here) are left alone."""
        from archive.repair import is_this_host, pid_alive

        with self.catalog.engine.begin() as conn:
            rows = conn.execute(select(t.job_runs.c.id, t.job_runs.c.pid, t.job_runs.c.host)
                                .where(t.job_runs.c.ended_at.is_(None))).all()  # fmt: skip
            ids = [r.id for r in rows if is_this_host(r.host) and not pid_alive(r.pid)]
            if not ids:
                return 0
            result = conn.execute(
                update(t.job_runs)
                .where(t.job_runs.c.id.in_(ids), t.job_runs.c.ended_at.is_(None))
                .values(ended_at=datetime.now(UTC),
                        error="the scheduler stopped before this run ended")
            )  # fmt: skip
            return int(result.rowcount)

    def recent(self, limit: int = 20, job_id: str | None = None) -> list[dict[str, Any]]:
        """The newest runs first."""
        query = (
            select(t.job_runs)
            .order_by(t.job_runs.c.started_at.desc(), t.job_runs.c.id.desc())
            .limit(limit)
        )
        if job_id is not None:
            query = query.where(t.job_runs.c.job_id == job_id)
        with self.catalog.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            row["started_at"], row["ended_at"] = utc(row["started_at"]), utc(row["ended_at"])
        return rows
