"""Repairing what a crash leaves behind, without losing or silently deleting anything.

- An `.open` WARC whose writer is gone is truncated to its last complete gzip member and
  closed under its final name, or set aside as `.invalid` when nothing in it is whole.
- A records file whose last line was cut short is truncated to its last full line.
- A version whose record line was lost (the crash came between the catalog commit and the
  line) is written again from the catalog.
- The catalog learns the final state of every repaired file.

Runs are judged by host, data directory and pid (`runs.host`, `runs.data_dir`, `runs.pid`):
a run of this host and data directory whose process is gone crashed; a run of another host
(a catalog shared by several machines) or of another data directory (several workers on one
machine) is never repaired from here — its files are elsewhere — only reported.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select, update

from archive import catalog_schema as t
from archive.catalog import Catalog
from archive.clock import utc
from archive.gzip_members import scan_members
from archive.records import dump_record
from archive.urls import article_id_for
from archive.warc_files import OPEN_SUFFIX, hostname_for_filenames

logger = logging.getLogger(__name__)
_NAME = re.compile(
    r"^(?P<prefix>.+)-(?P<ts>\d{17})-(?P<serial>\d{5})-(?P<host>.+)-(?P<pid>\d+)\.warc\.gz$"
)


@dataclass
class RepairReport:
    warcs_closed: list[str] = field(default_factory=list)
    warcs_invalid: list[str] = field(default_factory=list)
    warcs_in_use: list[str] = field(default_factory=list)
    bytes_dropped: int = 0
    records_files_trimmed: list[str] = field(default_factory=list)
    record_lines_rewritten: int = 0
    # Runs `running` on other hosts or in other data directories (run id → "host" or
    # "host:directory"), left alone: their files are elsewhere. One that crashed is repaired
    # by the next crawl in its own data directory.
    runs_of_other_hosts: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.warcs_closed or self.warcs_invalid or self.records_files_trimmed
                    or self.record_lines_rewritten)  # fmt: skip


def writer_alive(open_path: Path) -> bool:
    """Is the process that writes this `.open` file still running (on this host)?

    Names carry host and pid. Another host's file cannot be checked from here: it is
    treated as alive unless its run is finished, so a shared data directory is never
    cut from under a live writer.
    """
    match = _NAME.match(open_path.name[: -len(OPEN_SUFFIX)])
    if not match:
        return False
    if match["host"] != hostname_for_filenames():
        return True
    pid = int(match["pid"])
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A live pid may be a reused one: trust it only if it still holds the file open.
    try:
        return any(
            os.path.realpath(os.path.join(f"/proc/{pid}/fd", fd)) == str(open_path.resolve())
            for fd in os.listdir(f"/proc/{pid}/fd")
        )
    except OSError:
        return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def repair_open_warc(open_path: Path, data_dir: Path, catalog: Catalog | None) -> tuple[str, int]:
    """Close or set aside one abandoned `.open` file; returns (final path, bytes dropped)."""
    scan = scan_members(open_path)
    final = open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)])
    dropped = scan.size - scan.good_bytes
    if not scan.members:
        target = open_path.with_name(open_path.name[: -len(OPEN_SUFFIX)] + ".invalid")
        os.replace(open_path, target)
        _note_file(catalog, final, data_dir, "invalid", None, 0)
        return str(target), dropped
    with open(open_path, "r+b") as f:
        f.truncate(scan.good_bytes)
        f.flush()
        os.fsync(f.fileno())
    os.replace(open_path, final)
    _note_file(catalog, final, data_dir, "repaired", _sha256(final), len(scan.members))
    return str(final), dropped


def _note_file(catalog: Catalog | None, final: Path, data_dir: Path, status: str,
               sha256: str | None, records: int) -> None:  # fmt: skip
    if catalog is None:
        return
    name = final.name
    size = final.stat().st_size if final.exists() else 0
    now = datetime.now(UTC)
    with catalog.begin() as conn:
        row = conn.execute(
            select(t.warc_files.c.filename).where(t.warc_files.c.filename == name)
        ).first()
        values = {
            "status": status,
            "closed_at": now,
            "size": size,
            "sha256": sha256,
            "records": records,
        }
        if row:
            conn.execute(
                update(t.warc_files).where(t.warc_files.c.filename == name).values(**values)
            )
        else:
            match = _NAME.match(name)
            opened = (datetime.strptime(match["ts"][:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
                      if match else now)  # fmt: skip
            conn.execute(
                insert(t.warc_files).values(
                    filename=name,
                    relpath=str(final.relative_to(data_dir)),
                    opened_at=opened,
                    **values,
                )
            )


def repair_records_file(path: Path) -> bool:
    """Cut a partial last line (a crash mid-write); True if the file changed."""
    size = path.stat().st_size
    if size == 0:
        return False
    with open(path, "rb+") as f:
        f.seek(max(0, size - 1))
        if f.read(1) == b"\n":
            return False
        f.seek(0)
        data = f.read()
        keep = data.rfind(b"\n") + 1
        f.truncate(keep)
        f.flush()
        os.fsync(f.fileno())
    return True


def records_path(data_dir: Path, run_id: str, started_at: datetime) -> Path:
    return Path(data_dir) / "records" / started_at.strftime("%Y/%m/%d") / f"{run_id}.jsonl"


def pid_alive(pid: int | None) -> bool:
    """Is a process with this pid running on this host?"""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def this_host() -> str:
    """The host name runs are recorded with (`runs.host`, `Catalog.start_run`)."""
    return socket.gethostname()


def is_this_host(host: str | None) -> bool:
    """Was a run recorded on this host? Rows from before migration 0002 have no host: they
    count as this host's (a catalog shared by several machines is newer than that column)."""
    return host is None or host == this_host()


@dataclass(frozen=True)
class _Run:
    id: str
    pid: int | None
    host: str | None
    data_dir: str | None


def _running(catalog: Catalog) -> list[_Run]:
    with catalog.engine.connect() as conn:
        query = select(t.runs.c.id, t.runs.c.pid, t.runs.c.host, t.runs.c.data_dir).where(
            t.runs.c.status == "running"
        )
        return [_Run(r.id, r.pid, r.host, r.data_dir) for r in conn.execute(query)]


def _local_alive(pid: int | None) -> bool:
    return pid == os.getpid() or pid_alive(pid)


def is_ours(host: str | None, run_dir: str | None, data_dir: Path | None) -> bool:
    """Were a run's files written here: this host and (when both are known) this data
    directory? Rows from before migration 0002 have neither: they count as ours."""
    if not is_this_host(host):
        return False
    return data_dir is None or run_dir is None or run_dir == str(Path(data_dir).resolve())


def other_host_runs(catalog: Catalog, data_dir: Path | None = None) -> dict[str, str]:
    """Runs `running` elsewhere (run id → "host", or "host:directory" for another data
    directory of this host). Their files are not here, so they are never repaired from
    here: a shared catalog (PostgreSQL) has several hosts and workers."""
    return {
        r.id: str(r.host) if not is_this_host(r.host) else f"{r.host}:{r.data_dir}"
        for r in _running(catalog) if not is_ours(r.host, r.data_dir, data_dir)
    }  # fmt: skip


def live_runs(catalog: Catalog, data_dir: Path | None = None) -> set[str]:
    """Runs whose files must not be touched: ours still written by a live process, and every
    running run of another host or data directory (not ours to judge)."""
    return {
        r.id
        for r in _running(catalog)
        if not is_ours(r.host, r.data_dir, data_dir) or _local_alive(r.pid)
    }


def mark_crashed_runs(catalog: Catalog, data_dir: Path | None = None) -> int:
    """Runs of ours left `running` by a process that is gone are marked `crashed`."""
    dead = sorted(crashed_runs(catalog, data_dir))
    if dead:
        with catalog.begin() as conn:
            conn.execute(update(t.runs).where(t.runs.c.id.in_(dead), t.runs.c.status == "running")
                         .values(status="crashed"))  # fmt: skip
    return len(dead)


def uploaded_relpaths(catalog: Catalog) -> set[str]:
    """Files uploaded to S3 (their local copy may have been deleted after verification)."""
    with catalog.engine.connect() as conn:
        if not conn.dialect.has_table(conn, "uploads"):
            return set()
        return set(
            conn.exec_driver_sql("SELECT relpath FROM uploads WHERE state = 'uploaded'").scalars()
        )


def _line_keys(path: Path) -> set[tuple[str, int]]:
    """(article id, version) of every record line. A line counts under the id it was
    written with and under the id its URL has now: migration 0006 re-identified articles
    whose URL's percent-encoding had another spelling (archive/urls.py), and record files
    are never rewritten."""
    keys: set[tuple[str, int]] = set()
    if path.exists():
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    doc = json.loads(line)
                    version = int(doc["version"])
                    keys.add((doc["article_id"], version))
                    if isinstance(doc.get("url"), str):
                        keys.add((article_id_for(doc["url"]), version))
                except (ValueError, KeyError, TypeError):
                    continue
    return keys


def missing_record_lines(data_dir: Path, catalog: Catalog,
                         run_ids: set[str] | None = None) -> list[tuple[Path, dict]]:  # fmt: skip
    """Versions in the catalog whose record line is in no records file of their run (all
    runs of this host, or only `run_ids`; runs still written by a live process, and runs of
    other hosts or data directories, are left alone).

    Reads keys first and the (large) record JSON only of the versions whose line is missing.
    """
    alive = live_runs(catalog, data_dir)
    query = select(t.runs.c.id, t.runs.c.started_at, t.runs.c.host, t.runs.c.data_dir)
    if run_ids is not None:
        if not run_ids:
            return []
        query = query.where(t.runs.c.id.in_(run_ids))
    with catalog.engine.connect() as conn:
        # Runs of another host or data directory wrote their record lines there, not here.
        runs = {r.id: utc(r.started_at) for r in conn.execute(query)
                if r.id not in alive and is_ours(r.host, r.data_dir, data_dir)}  # fmt: skip
        keys_query = select(t.versions.c.article_id, t.versions.c.version, t.versions.c.run_id)
        if run_ids is not None:
            keys_query = keys_query.where(t.versions.c.run_id.in_(list(runs)))
        rows = conn.execute(keys_query.order_by(t.versions.c.run_id)).all()
    uploaded = uploaded_relpaths(catalog)
    seen: dict[Path, set[tuple[str, int]]] = {}
    lost: list[tuple[Path, str, int]] = []
    for article_id, version, run_id in rows:
        started = runs.get(run_id)
        if started is None:
            continue
        path = records_path(data_dir, run_id, started)
        if not path.exists() and path.relative_to(data_dir).as_posix() in uploaded:
            continue  # kept in S3 only, after a verified upload
        if path not in seen:
            seen[path] = _line_keys(path)
        if (article_id, version) not in seen[path]:
            lost.append((path, article_id, version))
    missing = []
    with catalog.engine.connect() as conn:
        for path, article_id, version in lost:
            record = conn.execute(select(t.versions.c.record).where(
                t.versions.c.article_id == article_id, t.versions.c.version == version)).scalar_one()  # fmt: skip
            missing.append((path, record))
    return missing


def crashed_runs(catalog: Catalog, data_dir: Path | None = None) -> set[str]:
    """Runs of ours (this host; this data directory when given) left `running` by a process
    that is gone (not yet marked `crashed`)."""
    return {
        r.id
        for r in _running(catalog)
        if is_ours(r.host, r.data_dir, data_dir) and not _local_alive(r.pid)
    }


def repair_leftovers(data_dir: Path, catalog: Catalog | None, *, records: bool = True,
                     everything: bool = True) -> RepairReport:  # fmt: skip
    """Repair every abandoned `.open` WARC and cut records file in a data directory.

    `everything=False` (what a crawl does before it starts) checks the record lines of
    crashed runs only, so the start-up cost does not grow with the archive.
    """
    report = RepairReport()
    data_dir = Path(data_dir)
    for open_path in sorted((data_dir / "warc").rglob("*" + OPEN_SUFFIX)):
        if writer_alive(open_path):
            report.warcs_in_use.append(str(open_path))
            continue
        final, dropped = repair_open_warc(open_path, data_dir, catalog)
        report.bytes_dropped += dropped
        (report.warcs_invalid if final.endswith(".invalid") else report.warcs_closed).append(final)
    if records:
        alive = live_runs(catalog, data_dir) if catalog is not None else set()
        for path in sorted((data_dir / "records").rglob("*.jsonl")):
            if path.stem in alive:
                continue
            if repair_records_file(path):
                report.records_files_trimmed.append(str(path))
        if catalog is not None:
            scope = None if everything else crashed_runs(catalog, data_dir)
            for path, record in missing_record_lines(data_dir, catalog, scope):
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "a", encoding="utf-8") as f:
                    f.write(dump_record(record) + "\n")
                    f.flush()
                    os.fsync(f.fileno())
                report.record_lines_rewritten += 1
        if catalog is not None:
            mark_crashed_runs(catalog, data_dir)
    if catalog is not None:
        report.runs_of_other_hosts = other_host_runs(catalog, data_dir)
        if report.runs_of_other_hosts:
            logger.info("left alone: %d run(s) of other hosts or data directories still marked running (%s)",
                        len(report.runs_of_other_hosts),
                        ", ".join(f"{r} on {h}" for r, h in sorted(report.runs_of_other_hosts.items())))  # fmt: skip
    return report
