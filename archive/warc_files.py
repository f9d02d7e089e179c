"""WARC files on disk: naming, `.open` while written, one gzip member per record, rotation.

Rules from WARC.md: a file is `<prefix>-<UTC timestamp>-<serial>-<host>-<pid>.warc.gz`,
written as `<name>.open`, flushed after every record group, fsynced and renamed when
closed; it rolls over by size and at the end of every run; one writer per file.
"""

from __future__ import annotations

import errno
import hashlib
import io
import itertools
import os
import re
import socket
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from warcio.recordloader import ArcWarcRecord
from warcio.warcwriter import BaseWARCWriter

from archive.exchange import RecordLocation
from archive.warc_records import WARC_VERSION, RecordFactory

OPEN_SUFFIX = ".open"
_HOST_UNSAFE = re.compile(r"[^A-Za-z0-9.]+")

# One serial sequence per process, not per writer: two writers of one process (same host,
# same pid) opening in the same millisecond would otherwise pick the same name, and the
# second one's rename would replace the first one's closed file.
_serials = itertools.count()
_serials_lock = threading.Lock()


def _next_serial() -> int:
    with _serials_lock:
        return next(_serials)


class WarcWriteError(OSError):
    """Records could not be written (e.g. the disk is full); the file still ends cleanly."""


@dataclass
class WarcFileInfo:
    """A WARC file this writer opened: its final name, path relative to the data dir, state."""

    filename: str
    relpath: str
    opened_at: datetime
    size: int = 0
    records: int = 0
    sha256: str = ""
    closed_at: datetime | None = None


class _MemberSerializer(BaseWARCWriter):
    """warcio's record serialisation, gzip applied by us: one member per record, level 6.

    warcio's own gzip wrapper uses level 9, which costs several times the CPU for ~2 % size.
    """

    def __init__(self) -> None:
        super().__init__(gzip=False, warc_version=WARC_VERSION)

    def member(self, record: ArcWarcRecord) -> bytes:
        raw = io.BytesIO()
        self._write_warc_record(raw, record)
        compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        return compressor.compress(raw.getvalue()) + compressor.flush()


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def hostname_for_filenames() -> str:
    return _HOST_UNSAFE.sub("_", socket.gethostname()) or "localhost"


class WarcFileWriter:
    """Writes records into a sequence of WARC files under `<data dir>/warc/YYYY/MM/DD/`.

    `warcinfo` fields are written at the head of every file. `on_open` / `on_close` are
    called with the `WarcFileInfo` so a catalog can follow the files' state.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        prefix: str = "newsarchive",
        max_file_bytes: int = 1_000_000_000,
        warcinfo: dict[str, str] | None = None,
        on_open: Callable[[WarcFileInfo], None] | None = None,
        on_close: Callable[[WarcFileInfo], None] | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.prefix = prefix
        self.max_file_bytes = max_file_bytes
        self.warcinfo_fields = dict(warcinfo or {})
        self.on_open = on_open
        self.on_close = on_close
        self.clock = clock
        self.records = RecordFactory()
        self._serializer = _MemberSerializer()
        self._host = hostname_for_filenames()
        self._pid = os.getpid()
        self._file: io.FileIO | None = None
        self._path: Path | None = None
        self._hash: hashlib._Hash | None = None
        self.current: WarcFileInfo | None = None
        self.warcinfo_id: str | None = None
        self.bytes_written = 0
        self.closed_files: list[WarcFileInfo] = []

    # -- files -------------------------------------------------------------------------
    def _open(self) -> None:
        now = self.clock()
        stamp = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"
        directory = self.data_dir / "warc" / now.strftime("%Y/%m/%d")
        directory.mkdir(parents=True, exist_ok=True)
        while True:
            name = f"{self.prefix}-{stamp}-{_next_serial():05d}-{self._host}-{self._pid}.warc.gz"
            path = directory / name
            # Never reuse a name, even one an earlier process with this pid left behind
            # (closed, or `.open` after a crash): "x" for the `.open` name, a check for the other.
            if path.exists():
                continue
            try:
                self._file = open(str(path) + OPEN_SUFFIX, "xb", buffering=0)  # noqa: SIM115
            except FileExistsError:
                continue
            break
        self._path = path
        self._hash = hashlib.sha256()
        self.current = WarcFileInfo(
            filename=name, relpath=str(path.relative_to(self.data_dir)), opened_at=now
        )
        info = {"format": "WARC File Format 1.1",
                "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                **self.warcinfo_fields}  # fmt: skip
        record = self.records.warcinfo(name, info)
        self.warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        try:
            self._append([record])
        except WarcWriteError:
            # Not even the warcinfo fit: the file holds nothing, so nothing is lost by
            # removing it, and no half-made file is left for a later repair to puzzle over.
            self._file.close()
            os.unlink(str(path) + OPEN_SUFFIX)
            self._file = self._path = self._hash = self.current = self.warcinfo_id = None
            raise
        if self.on_open:
            self.on_open(self.current)

    def _append(self, records: Sequence[ArcWarcRecord]) -> list[RecordLocation]:
        assert self._file is not None and self.current is not None and self._hash is not None
        members = [self._serializer.member(record) for record in records]
        start = self.current.size
        # Unbuffered: once write() returns the bytes are with the OS, i.e. flushed before
        # anyone (the catalog) is told where the records are.
        self._write_all(b"".join(members), start)
        locations = []
        offset = start
        for record, member in zip(records, members, strict=True):
            self._hash.update(member)
            locations.append(
                RecordLocation(
                    filename=self.current.filename,
                    offset=offset,
                    length=len(member),
                    record_id=record.rec_headers.get_header("WARC-Record-ID"),
                )
            )
            offset += len(member)
            self.current.records += 1
        self.current.size = offset
        self.bytes_written += offset - start
        return locations

    def _write_all(self, data: bytes, start: int) -> None:
        """Write all of `data` or nothing: a failed write (a full disk) is cut back to
        `start`, so the file keeps ending with a complete record."""
        assert self._file is not None
        view = memoryview(data)
        try:
            while view:
                written = self._file.write(view)
                if written is None or written <= 0:
                    raise OSError(errno.EIO, "short write")
                view = view[written:]
        except OSError as exc:
            try:
                os.ftruncate(self._file.fileno(), start)
                self._file.seek(start)
            except OSError:
                pass
            raise WarcWriteError(f"cannot write to {self._path}{OPEN_SUFFIX}: {exc.strerror or exc}") from exc

    def ensure_open(self) -> str:
        """Open a file if none is open; returns the current warcinfo record id."""
        if self._file is None:
            self._open()
        assert self.warcinfo_id is not None
        return self.warcinfo_id

    def write(self, records: Sequence[ArcWarcRecord]) -> list[RecordLocation]:
        """Append records (e.g. a response and its request) to one file, rolling over first if
        the file has reached its size limit. Records must have been built with the current
        `warcinfo_id` (call `ensure_open` first)."""
        if self._file is None:
            raise RuntimeError("WarcFileWriter.write() before ensure_open()")
        return self._append(records)

    def needs_rotation(self) -> bool:
        return self.current is not None and self.current.size >= self.max_file_bytes

    def rotate_if_full(self) -> None:
        if self.needs_rotation():
            self.close()

    def close(self) -> WarcFileInfo | None:
        """fsync, rename `<name>.open` to `<name>`, report it; the next write opens a new file."""
        if self._file is None or self._path is None or self.current is None:
            return None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(str(self._path) + OPEN_SUFFIX, self._path)
        _fsync_dir(self._path.parent)
        info = self.current
        assert self._hash is not None
        info.sha256 = self._hash.hexdigest()
        info.closed_at = self.clock()
        self._file = None
        self._path = None
        self.current = None
        self.warcinfo_id = None
        self.closed_files.append(info)
        if self.on_close:
            self.on_close(info)
        return info


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
