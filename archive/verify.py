"""`newsarchive verify`: the WARC files and the catalog, checked against each other.

- every closed WARC: gzip framing (each record a complete member), block and payload
  digests, HTTP Content-Length equal to the stored body;
- every catalog pointer (version → response record, capture → record) resolves to a
  record of the right type, URI and payload digest;
- every response and revisit in the WARCs is known to the catalog;
- no `.open` file is left by a dead writer; records files end with a whole line and hold
  a line for every version.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, inspect, select
from warcio.archiveiterator import ArchiveIterator

from archive import catalog_schema as t
from archive.catalog import Catalog
from archive.gzip_members import scan_members
from archive.repair import RepairReport, missing_record_lines, repair_leftovers, writer_alive
from archive.urls import strip_fragment
from archive.warc_files import OPEN_SUFFIX


@dataclass
class RecordInfo:
    filename: str
    offset: int
    type: str
    uri: str
    payload_digest: str | None
    date: str
    length: int = 0


@dataclass
class VerifyReport:
    warc_files: int = 0
    records: int = 0
    pointers: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    repaired: RepairReport | None = None
    recovered_captures: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "warc_files": self.warc_files, "records": self.records,
            "pointers": self.pointers, "problems": self.problems, "notes": self.notes,
            "recovered_captures": self.recovered_captures,
            "repaired": self.repaired.__dict__ if self.repaired else None,
        }  # fmt: skip


def check_warc_file(path: Path, index: dict[str, RecordInfo], report: VerifyReport) -> None:
    scan = scan_members(path)
    if scan.problem:
        report.problems.append(f"{path.name}: {scan.problem}")
    # warcio prints decompression errors to stderr: they belong in the report.
    with open(path, "rb") as stream, contextlib.redirect_stderr(io.StringIO()) as warcio_errors:
        iterator = ArchiveIterator(stream, check_digests=True)
        try:
            for record in iterator:
                body = record.raw_stream.read()
                rid = record.rec_headers.get_header("WARC-Record-ID")
                rtype = record.rec_type
                report.records += 1
                if record.digest_checker.passed is False:
                    report.problems.append(f"{path.name}@{iterator.get_record_offset()}: "
                                           f"{'; '.join(map(str, record.digest_checker.problems))}")  # fmt: skip
                if rtype == "response" and record.http_headers is not None:
                    length = record.http_headers.get_header("Content-Length")
                    if length is not None and length.strip().isdigit() and int(length) != len(body):
                        report.problems.append(f"{path.name}@{iterator.get_record_offset()}: HTTP Content-Length "
                                               f"{length} but {len(body)} bytes stored")  # fmt: skip
                index[rid] = RecordInfo(
                    path.name, iterator.get_record_offset(), rtype,
                    record.rec_headers.get_header("WARC-Target-URI") or "",
                    record.rec_headers.get_header("WARC-Payload-Digest"),
                    record.rec_headers.get_header("WARC-Date") or "",
                    iterator.get_record_length(),
                )  # fmt: skip
        except Exception as exc:  # warcio raises several kinds on a damaged file
            report.problems.append(f"{path.name}: cannot be read: {type(exc).__name__}: {exc}")
    for line in sorted(set(warcio_errors.getvalue().splitlines())):
        report.problems.append(f"{path.name}: {line}")


def _uploaded_only(catalog: Catalog) -> set[str]:
    """WARC files deleted locally after a verified upload (when S3 publishing exists)."""
    if "uploads" not in inspect(catalog.engine).get_table_names():
        return set()
    with catalog.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT relpath FROM uploads WHERE state = 'uploaded'").all()
    return {Path(r[0]).name for r in rows}


def _check_remote_version(config: Any, catalog: Catalog, v: Any, report: VerifyReport) -> None:
    """A version whose WARC is only in S3: read its record by byte range and check it."""
    from archive.warc_reader import RecordUnavailable, first_record, read_record_bytes

    where = f"version {v.version} of {v.article_id}"
    try:
        member = read_record_bytes(config, catalog, v.warc_filename, v.warc_offset, v.warc_length)
    except RecordUnavailable as exc:
        report.problems.append(f"{where}: {exc}")
        return
    try:
        record = first_record(member, check_digests=True)
        record.raw_stream.read()
    except Exception as exc:  # a damaged or misaddressed member
        report.problems.append(
            f"{where}: the S3 bytes at {v.warc_filename}@{v.warc_offset} are not a record: {exc}"
        )
        return
    if (
        record.rec_headers.get_header("WARC-Record-ID") != v.warc_record_id
        or record.rec_type != "response"
    ):
        report.problems.append(
            f"{where}: S3 holds another record at {v.warc_filename}@{v.warc_offset}"
        )
    elif record.rec_headers.get_header("WARC-Target-URI") != strip_fragment(
        v.record.get("url", "")
    ):
        report.problems.append(f"{where}: the S3 record is not the response of its URL")
    elif record.digest_checker.passed is False:
        report.problems.append(f"{where}: digest mismatch in S3: {record.digest_checker.problems}")


def verify_archive(data_dir: Path, catalog: Catalog, *, repair: bool = False,
                   progress: Callable[[str], None] | None = None,
                   config: Any = None) -> VerifyReport:  # fmt: skip
    """Check (and with `repair`, first repair) a data directory against its catalog."""
    data_dir = Path(data_dir)
    report = VerifyReport()
    if repair:
        report.repaired = repair_leftovers(data_dir, catalog)
    for open_path in sorted((data_dir / "warc").rglob("*" + OPEN_SUFFIX)):
        if writer_alive(open_path):
            report.notes.append(f"{open_path.name}: being written by a live crawl")
        else:
            report.problems.append(
                f"{open_path.name}: left open by a crashed crawl (run `verify --repair`)"
            )
    index: dict[str, RecordInfo] = {}
    local = {p.name: p for p in (data_dir / "warc").rglob("*.warc.gz")}
    for name, path in sorted(local.items()):
        if progress:
            progress(name)
        report.warc_files += 1
        check_warc_file(path, index, report)

    remote = _uploaded_only(catalog)
    with catalog.engine.connect() as conn:
        files = conn.execute(select(t.warc_files.c.filename, t.warc_files.c.status)).all()
        captures = conn.execute(select(
            t.captures.c.id, t.captures.c.url, t.captures.c.warc_filename, t.captures.c.warc_offset,
            t.captures.c.warc_record_id, t.captures.c.record_type, t.captures.c.payload_digest,
        ).where(t.captures.c.warc_record_id.is_not(None))).all()  # fmt: skip
        versions = conn.execute(select(
            t.versions.c.article_id, t.versions.c.version, t.versions.c.capture_id,
            t.versions.c.warc_filename, t.versions.c.warc_offset, t.versions.c.warc_length,
            t.versions.c.warc_record_id, t.versions.c.record,
        )).all()  # fmt: skip
    for name, status in files:
        if status in ("closed", "repaired") and name not in local and name not in remote:
            report.problems.append(f"{name}: in the catalog but missing on disk")
        if (
            status == "open"
            and name not in local
            and not any(p.name == name + OPEN_SUFFIX for p in local.values())
        ):
            report.notes.append(
                f"{name}: catalog says open (a crawl in progress or a crash before repair)"
            )
    checkable = set(local)
    by_capture = {c.id: c for c in captures}
    known_ids = set()
    for c in captures:
        known_ids.add(c.warc_record_id)
        if c.warc_filename not in checkable:
            continue
        report.pointers += 1
        info = index.get(c.warc_record_id)
        if info is None or info.filename != c.warc_filename or info.offset != c.warc_offset:
            report.problems.append(f"capture {c.id}: no {c.record_type} record {c.warc_record_id} "
                                   f"at {c.warc_filename}@{c.warc_offset}")  # fmt: skip
            continue
        if info.type != c.record_type or strip_fragment(c.url) != info.uri:
            report.problems.append(
                f"capture {c.id}: record {c.warc_record_id} is a {info.type} of {info.uri}"
            )
        if c.payload_digest and info.type == "response" and info.payload_digest != c.payload_digest:
            report.problems.append(
                f"capture {c.id}: payload digest {info.payload_digest} != {c.payload_digest}"
            )
    for v in versions:
        if v.warc_filename not in checkable:
            if v.warc_filename in remote and config is not None:
                report.pointers += 1
                _check_remote_version(config, catalog, v, report)
            continue
        report.pointers += 1
        info = index.get(v.warc_record_id)
        where = f"version {v.version} of {v.article_id}"
        if info is None or info.filename != v.warc_filename or info.offset != v.warc_offset:
            report.problems.append(
                f"{where}: no record {v.warc_record_id} at {v.warc_filename}@{v.warc_offset}"
            )
            continue
        if info.type != "response" or info.uri != strip_fragment(v.record.get("url", "")):
            report.problems.append(
                f"{where}: points at a {info.type} of {info.uri}, not the response of its URL"
            )
        capture = by_capture.get(v.capture_id)
        if (
            capture is not None
            and capture.payload_digest
            and info.payload_digest != capture.payload_digest
        ):
            report.problems.append(f"{where}: payload digest differs from its capture's")

    unknown = [(rid, info) for rid, info in index.items()
               if info.type in ("response", "revisit") and rid not in known_ids]  # fmt: skip
    if unknown and repair:
        report.recovered_captures = _recover_captures(catalog, unknown)
    elif unknown:
        for _rid, info in unknown[:20]:
            report.problems.append(
                f"{info.filename}@{info.offset}: {info.type} of {info.uri} unknown to the catalog"
            )
        if len(unknown) > 20:
            report.problems.append(f"… and {len(unknown) - 20} more records unknown to the catalog")

    for path in sorted((data_dir / "records").rglob("*.jsonl")):
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            report.problems.append(f"{path.name}: the last line is cut short")
    for path, record in missing_record_lines(data_dir, catalog):
        report.problems.append(
            f"{path.name}: no line for version {record.get('version')} of {record.get('article_id')}"
        )
    return report


def recover_orphans(catalog: Catalog, paths: list[Path]) -> int:
    """Register the responses of these WARC files that the catalog does not know (written
    just before a crash took the catalog rows with it); returns how many."""
    index: dict[str, RecordInfo] = {}
    scratch = VerifyReport()
    for path in paths:
        check_warc_file(path, index, scratch)
    names = [p.name for p in paths]
    with catalog.engine.connect() as conn:
        known = set(conn.execute(select(t.captures.c.warc_record_id)
                                 .where(t.captures.c.warc_filename.in_(names))).scalars())  # fmt: skip
    unknown = [(rid, info) for rid, info in index.items()
               if info.type in ("response", "revisit") and rid not in known]  # fmt: skip
    return _recover_captures(catalog, unknown) if unknown else 0


def _recover_captures(catalog: Catalog, unknown: list[tuple[str, RecordInfo]]) -> int:
    """Responses written before a crash but never committed: the catalog learns of them."""
    with catalog.begin() as conn:
        for rid, info in unknown:
            fetched = datetime.strptime(info.date[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
            conn.execute(insert(t.captures).values(
                url=info.uri, kind="page", fetched_at=fetched, outcome="recovered",
                error="written to the WARC before a crash; not tracked", record_type=info.type,
                warc_filename=info.filename, warc_offset=info.offset, warc_length=info.length,
                warc_record_id=rid,
                warc_date=info.date, payload_digest=info.payload_digest,
            ))  # fmt: skip
    return len(unknown)
