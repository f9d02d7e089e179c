"""The upload state of every closed file, kept in the catalog's `uploads` table.

pending → uploaded (key, checksum, time) | failed (error, attempts, next retry). A failed
file is retried with exponential backoff: next attempt = now + min(2^attempts × 30 s, 6 h).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from archive import catalog_schema as t
from archive.clock import utc

BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600
KINDS = ("warc", "index", "records")


def backoff_delay(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed ones."""
    return timedelta(seconds=min(2 ** max(attempts, 0) * BACKOFF_BASE_SECONDS, BACKOFF_MAX_SECONDS))


def _row(row: Any) -> dict[str, Any]:
    values = dict(row._mapping)
    for name in ("next_attempt_at", "registered_at", "uploaded_at", "local_deleted_at"):
        values[name] = utc(values[name])
    return values


class UploadTable:
    """Reads and writes `uploads` rows through the catalog's engine (thread-safe: one
    connection per call, SQLite's busy timeout serialises writers)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def register(self, relpath: str, kind: str, *, sha256: str | None = None,
                 size: int | None = None) -> bool:  # fmt: skip
        """Add a closed file as pending; False when it is already known (state kept)."""
        if kind not in KINDS:
            raise ValueError(f"unknown upload kind {kind!r}")
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(t.uploads).values(
                    relpath=relpath, kind=kind, state="pending", sha256=sha256, size=size,
                    attempts=0, registered_at=datetime.now(UTC),
                ))  # fmt: skip
        except IntegrityError:
            return False
        return True

    def get(self, relpath: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.uploads).where(t.uploads.c.relpath == relpath)).first()
        return _row(row) if row else None

    def known(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(t.uploads.c.relpath)).scalars())

    def waiting(self, due_at: datetime | None = None) -> list[dict[str, Any]]:
        """Pending and failed files, oldest first; with `due_at`, only those whose next
        attempt is due (the crawl's automatic retry; `sync` takes them all)."""
        query = select(t.uploads).where(t.uploads.c.state.in_(("pending", "failed")))
        if due_at is not None:
            query = query.where(or_(t.uploads.c.next_attempt_at.is_(None),
                                    t.uploads.c.next_attempt_at <= due_at))  # fmt: skip
        query = query.order_by(t.uploads.c.registered_at, t.uploads.c.relpath)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query)]

    def mark_uploaded(
        self, relpath: str, *, key: str, checksum: str, sha256: str, size: int
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(t.uploads).where(t.uploads.c.relpath == relpath).values(
                state="uploaded", key=key, checksum=checksum, sha256=sha256, size=size,
                attempts=t.uploads.c.attempts + 1, error=None, next_attempt_at=None,
                uploaded_at=datetime.now(UTC),
            ))  # fmt: skip

    def mark_failed(self, relpath: str, error: str, *, now: datetime | None = None) -> datetime:
        """Count a failed attempt; returns when the next automatic attempt is due."""
        now = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            attempts = conn.execute(
                select(t.uploads.c.attempts).where(t.uploads.c.relpath == relpath)
            ).scalar_one()
            next_at = now + backoff_delay(int(attempts))
            conn.execute(update(t.uploads).where(t.uploads.c.relpath == relpath).values(
                state="failed", attempts=int(attempts) + 1, error=error[:2000], next_attempt_at=next_at,
            ))  # fmt: skip
        return next_at

    def note_skipped(self, relpath: str, error: str) -> None:
        """Not attempted (S3 was already found unreachable): the file stays as it was, with
        the reason, and is due at the next chance."""
        with self.engine.begin() as conn:
            conn.execute(update(t.uploads).where(
                and_(t.uploads.c.relpath == relpath, t.uploads.c.state != "uploaded")
            ).values(error=f"not attempted: {error}"[:2000]))  # fmt: skip

    def mark_local_deleted(self, relpath: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(t.uploads).where(t.uploads.c.relpath == relpath)
                         .values(local_deleted_at=datetime.now(UTC)))  # fmt: skip

    def counts(self) -> dict[str, int]:
        """Files per state: {"pending": n, "uploaded": n, "failed": n}."""
        query = select(t.uploads.c.state, func.count()).group_by(t.uploads.c.state)
        with self.engine.connect() as conn:
            found = {state: int(n) for state, n in conn.execute(query)}
        return {state: found.get(state, 0) for state in ("pending", "uploaded", "failed")}

    def uploaded_key(self, relpath: str) -> str | None:
        row = self.get(relpath)
        return row["key"] if row and row["state"] == "uploaded" else None
