"""What happens to closed files: a CDXJ index for each WARC, then (with `[s3]`) an upload.

`ClosedFilePublisher` is the crawl's side: one background worker thread (never the
reactor's) indexes each closed WARC, registers it and its index as pending, and uploads
them; at the end of the run it takes the records file and older files that are due.
`plan_sync` / `sync` are the `newsarchive sync` side: find every closed file not yet
uploaded (registering files a crash left unregistered) and upload them now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from archive import catalog_schema as t
from archive.cdxj import index_relpath, write_cdxj_from_entries, write_cdxj_index
from archive.repair import pid_alive
from archive.s3_config import S3Config
from archive.upload_state import UploadTable
from archive.uploads import Publisher, UploadResult
from archive.warc_files import OPEN_SUFFIX, IndexEntry

logger = logging.getLogger(__name__)


def index_warc(data_dir: Path, relpath: str,
               entries: Sequence[IndexEntry] | None = None) -> str | None:  # fmt: skip
    """Write the CDXJ index of a closed WARC, from its writer's `entries` when given, else
    by reading the file; returns the index relpath (None on failure, logged: a missing
    index is rebuilt by `sync`, it never stops a crawl)."""
    path = data_dir / relpath
    if entries is not None:
        try:
            write_cdxj_from_entries(data_dir, path, entries)
            return index_relpath(path.name)
        except Exception as exc:  # noqa: BLE001
            logger.warning("could not index %s from its entries (%s): reading it", relpath, exc)
    try:
        write_cdxj_index(data_dir, path)
    except Exception as exc:  # noqa: BLE001
        logger.warning("could not index %s: %s", relpath, exc)
        return None
    return index_relpath(path.name)


class ClosedFilePublisher:
    """Indexes and (when `s3` is set) uploads a run's closed files on one worker thread.

    Used by `ArchiveSession`; reads `S3Config.close_timeout_seconds` for how long `finish`
    waits for the uploads.
    """

    def __init__(self, data_dir: Path, engine: Any, s3: S3Config | None) -> None:
        self.data_dir = Path(data_dir)
        self.s3 = s3
        self.table = UploadTable(engine)
        self.publisher = Publisher(s3, self.data_dir, self.table) if s3 else None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsarchive-publish")
        self._futures: list[Future[None]] = []
        self._submitted: set[str] = set()
        self.results: list[UploadResult] = []

    def warc_closed(self, relpath: str, sha256: str, size: int,
                    entries: Sequence[IndexEntry] | None = None) -> None:  # fmt: skip
        """Queue a closed WARC: index it (from the writer's `entries` when given), register
        both, upload both (returns at once)."""
        self._futures.append(self._executor.submit(self._warc_job, relpath, sha256, size, entries))

    def _warc_job(self, relpath: str, sha256: str, size: int,
                  entries: Sequence[IndexEntry] | None) -> None:  # fmt: skip
        index = index_warc(self.data_dir, relpath, entries)
        if self.publisher is None:
            return
        self.table.register(relpath, "warc", sha256=sha256, size=size)
        if index:
            self.table.register(index, "index")
        for rel in (relpath, index):
            if rel:
                self._upload(rel)

    def _upload(self, relpath: str) -> None:
        assert self.publisher is not None
        self._submitted.add(relpath)
        row = self.table.get(relpath)
        if row is None or row["state"] == "uploaded":
            return
        self.results.append(self.publisher.upload(row))

    def _finish_job(self, records_relpath: str | None) -> None:
        if self.publisher is None:
            return
        if records_relpath:
            self.table.register(records_relpath, "records")
            self._upload(records_relpath)
        for row in self.table.waiting(due_at=datetime.now(UTC)):
            if row["relpath"] not in self._submitted:
                self._upload(row["relpath"])

    def finish(self, records_relpath: str | None) -> dict[str, Any] | None:
        """End of run: queue the records file and older files that are due, wait (bounded),
        warn when files stay pending. Returns the upload figures (None without `[s3]`)."""
        self._futures.append(self._executor.submit(self._finish_job, records_relpath))
        timeout = self.s3.close_timeout_seconds if self.s3 else 600.0
        _done, not_done = wait(self._futures, timeout=timeout)
        self._executor.shutdown(wait=False, cancel_futures=True)
        for future in self._futures:
            if future.done() and not future.cancelled() and future.exception():
                logger.warning("publishing failed: %s", future.exception())
        if self.publisher is None:
            return None
        figures: dict[str, Any] = {
            "uploaded": sum(r.state == "uploaded" for r in self.results),
            "uploaded_bytes": sum(r.size for r in self.results if r.state == "uploaded"),
            "failed": sum(r.state == "failed" for r in self.results),
            "deleted_local": sum(r.deleted_local for r in self.results),
        }
        figures["pending"] = sum(self.table.counts()[s] for s in ("pending", "failed"))
        if figures["pending"]:
            errors = [r.error for r in self.results if r.error]
            reason = (
                errors[0] if errors else ("uploads still running" if not_done else "not attempted")
            )
            logger.warning("S3: %d file(s) stay pending: %s; run `newsarchive sync`",
                           figures["pending"], reason)  # fmt: skip
            figures["error"] = reason
        return figures


# -- sync ---------------------------------------------------------------------------------
@dataclass
class SyncPlan:
    """Files to upload now: known pending/failed rows plus closed files not yet registered."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    to_register: list[tuple[str, str, str | None, int | None]] = field(default_factory=list)
    to_index: list[str] = field(default_factory=list)  # WARC relpaths whose index is missing

    @property
    def files(self) -> list[tuple[str, str, int]]:
        """(relpath, kind, size) of everything that would go."""
        out = [(r["relpath"], r["kind"], int(r["size"] or 0)) for r in self.rows]
        out += [(rel, kind, int(size or 0)) for rel, kind, _sha, size in self.to_register]
        return out


def plan_sync(data_dir: Path, engine: Any) -> SyncPlan:
    """What `sync` would upload; writes nothing."""
    data_dir = Path(data_dir)
    table = UploadTable(engine)
    known = table.known()
    plan = SyncPlan(rows=table.waiting())
    with engine.connect() as conn:
        warcs = conn.execute(
            select(t.warc_files).where(t.warc_files.c.status.in_(("closed", "repaired")))
        ).all()
        running = {r.id for r in conn.execute(select(t.runs.c.id, t.runs.c.pid)
                                              .where(t.runs.c.status == "running")) if pid_alive(r.pid)}  # fmt: skip
    for warc in warcs:
        rel = warc.relpath
        if rel.endswith(OPEN_SUFFIX) or not (data_dir / rel).is_file():
            continue
        index = index_relpath(warc.filename)
        if rel not in known:
            plan.to_register.append((rel, "warc", warc.sha256, warc.size))
        if index not in known:
            index_path = data_dir / index
            if not index_path.is_file():
                plan.to_index.append(rel)
            size = index_path.stat().st_size if index_path.is_file() else None
            plan.to_register.append((index, "index", None, size))
    records_dir = data_dir / "records"
    for path in sorted(records_dir.rglob("*.jsonl")) if records_dir.is_dir() else []:
        rel = path.relative_to(data_dir).as_posix()
        # A records file is appended to until its run ends: never upload a running one.
        if rel not in known and path.stem not in running:
            plan.to_register.append((rel, "records", None, path.stat().st_size))
    for row in plan.rows:
        if not row["size"] and (data_dir / row["relpath"]).is_file():
            row["size"] = (data_dir / row["relpath"]).stat().st_size
    return plan


def sync(plan: SyncPlan, publisher: Publisher, *,
         on_file: Callable[[str, int], None] | None = None,
         on_bytes: Callable[[int], None] | None = None) -> list[UploadResult]:  # fmt: skip
    """Index what lacks an index, register, and upload every planned file now (backoff is
    ignored: the user asked). Stops attempting once S3 proves unreachable."""
    data_dir = publisher.data_dir
    for rel in plan.to_index:
        index_warc(data_dir, rel)
    for rel, kind, sha, size in plan.to_register:
        if (data_dir / rel).is_file():
            publisher.table.register(rel, kind, sha256=sha, size=size)
    relpaths = [r["relpath"] for r in plan.rows] + [rel for rel, *_ in plan.to_register]
    results = []
    for rel in relpaths:
        row = publisher.table.get(rel)
        if row is None or row["state"] == "uploaded":
            continue
        if on_file:
            on_file(rel, int(row["size"] or 0))
        results.append(publisher.upload(row, progress=on_bytes))
    return results
