"""WARC files on disk: naming, `.open` while written, one gzip member per record, rotation.

Rules (docs/warc.md): a file is `<prefix>-<UTC timestamp>-<serial>-<host>-<pid>.warc.gz`,
written as `<name>.open`, flushed after every record group, fsynced and renamed when
closed; it rolls over by size and at the end of every run; one writer per file.
"""

from __future__ import annotations

import errno
import hashlib
import io
import itertools
import logging
import os
import re
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeadersParser
from warcio.warcwriter import BaseWARCWriter

from archive.exchange import RecordLocation
from archive.warc_records import WARC_VERSION, FastDigester, RecordFactory

try:
    # ISA-L's deflate: level 2 takes a fifth of zlib's level-6 CPU for members 4–7 % larger
    # (benchmarks/README.md). Any gzip reader reads them; zlib where no wheel exists.
    from isal import isal_zlib as _deflate

    MEMBER_LEVEL = 2
except ImportError:  # pragma: no cover - isal has wheels for every platform we test on
    import zlib as _deflate  # type: ignore[no-redef]

    MEMBER_LEVEL = 6
_GZIP_WBITS = 31  # a gzip header and trailer (zlib.MAX_WBITS | 16)

logger = logging.getLogger(__name__)

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


class IndexEntry(NamedTuple):
    """What the CDXJ index (`archive.cdxj`) needs of one record: values as a reader of the
    file sees them, no record and no body."""

    uri: str
    date: str  # WARC-Date
    mime: str | None
    status: str | None
    digest: str | None
    length: int  # of the gzip member
    offset: int


# What cdxj-indexer indexes by default (its DEFAULT_RECORDS): not request, not warcinfo.
_INDEXED_TYPES = ("response", "revisit", "resource", "metadata")
_HTTP_PARSER = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False)
_HTTP_SCHEMES = ("http:", "https:")
_MIME_END = re.compile(r"[;\s]")


class NotIndexable(ValueError):
    """A record's index fields cannot be known without reading the file back."""


def _as_read(value: str | None) -> str | None:
    """A WARC header value as the reader parses it back (a line, stripped)."""
    if value is not None and "\n" in value:
        raise NotIndexable("a WARC header value spans lines")
    return value.strip() if value is not None else None


def _http_fields(buff: bytes) -> tuple[str | None, str]:
    """(Content-Type, status code) of an HTTP head as warcio's parser reads it back
    (`StatusAndHeadersParser(verify=False).parse`, then `get_header("Content-Type")` and
    `get_statuscode()`). An ASCII head is read here line by line with the parser's exact
    rules (lines right-stripped, an empty one ends the head, `name: value` split at the
    first colon, continuation lines appended), stopping at the first Content-Type; any
    other head goes through the parser itself."""
    if not buff.isascii():
        http = _HTTP_PARSER.parse(io.BytesIO(buff))
        return http.get_header("Content-Type"), http.get_statuscode()
    lines = buff.decode("ascii").split("\n")
    first = lines[0].rstrip()
    if not first:
        return None, ""
    protocol_status = first.split(" ", 1)
    statusline = protocol_status[1].strip() if len(protocol_status) > 1 else ""
    status = statusline.split(" ", 1)[0]
    count, i = len(lines), 1
    while i < count:
        line = lines[i].rstrip()
        i += 1
        if not line:
            break
        name, colon, value = line.partition(":")
        value = value.lstrip()
        while i < count:  # continuation lines
            following = lines[i].rstrip()
            if not following or following[0] not in " \t":
                break
            value += following
            i += 1
        if colon and name.rstrip(" \t").lower() == "content-type":
            return value, status
    return None, status


def index_entry(record: ArcWarcRecord, offset: int, length: int) -> IndexEntry | None:
    """The index entry of a record just written (None if the index leaves it out), by the
    rules of cdxj-indexer 1.5 with default options on warcio 1.8: `mime` is `warc/revisit`,
    the HTTP Content-Type (response) or the WARC Content-Type (resource, metadata) up to
    the first `;` or space; `status` only for response/revisit with HTTP headers; HTTP
    headers are parsed from the bytes written, exactly as warcio reads them."""
    rec_type = record.rec_type
    if rec_type not in _INDEXED_TYPES:
        return None
    headers = record.rec_headers
    content_type = _as_read(headers.get_header("Content-Type"))
    if rec_type in ("resource", "metadata") and content_type == "application/warc-fields":
        return None
    uri = _as_read(headers.get_header("WARC-Target-URI"))
    date = _as_read(headers.get_header("WARC-Date"))
    if uri is None or date is None:
        raise NotIndexable("no WARC-Target-URI or WARC-Date")
    if uri.startswith("<") and uri.endswith(">"):  # as warcio's loader corrects them
        uri = uri[1:-1]
    uri = uri.replace(" ", "%20")
    digest = _as_read(headers.get_header("WARC-Payload-Digest"))
    if not digest and rec_type != "revisit":
        raise NotIndexable("no WARC-Payload-Digest")  # the indexer would hash the payload
    http = None
    # warcio parses HTTP headers of non-empty response/revisit records of http(s) URIs only.
    if rec_type in ("response", "revisit") and record.length and uri.startswith(_HTTP_SCHEMES):
        buff = record.http_headers.headers_buff if record.http_headers else None
        if not buff:
            raise NotIndexable("HTTP headers not written apart from the payload")
        http = _http_fields(buff)
    mime: str | None
    if rec_type == "revisit":
        mime = "warc/revisit"
    elif rec_type == "response":
        mime = http[0] if http else None
    else:
        mime = content_type
    if mime and rec_type != "revisit":
        mime = _MIME_END.split(mime, 1)[0].strip()
    status = http[1] if http else None
    # Few distinct mime types and statuses: one shared string each.
    return IndexEntry(uri, date, sys.intern(mime) if mime else mime,
                      sys.intern(status) if status else status, digest, length, offset)  # fmt: skip


@dataclass
class WarcFileInfo:
    """A WARC file this writer opened: its final name, path relative to the data dir, state.

    `index_entries`, set by `close`, are the closed file's CDXJ entries in file order, or
    None when the index must be built by reading the file (`archive.cdxj`).
    """

    filename: str
    relpath: str
    opened_at: datetime
    size: int = 0
    records: int = 0
    sha256: str = ""
    closed_at: datetime | None = None
    index_entries: list[IndexEntry] | None = field(default=None, repr=False, compare=False)


class _MemberSerializer(BaseWARCWriter):
    """warcio's record serialisation, gzip applied by us: one member per record.

    warcio's own gzip wrapper uses zlib at level 9: ~5 times the CPU of ISA-L's level 2 for
    4–7 % smaller members, on the crawl process's thread, for every record.
    """

    def __init__(self) -> None:
        super().__init__(gzip=False, warc_version=WARC_VERSION)

    @staticmethod
    def _create_digester() -> FastDigester:  # type: ignore[override]
        return FastDigester()

    def member(self, record: ArcWarcRecord) -> bytes:
        raw = io.BytesIO()
        self._write_warc_record(raw, record)
        return _deflate.compress(raw.getvalue(), MEMBER_LEVEL, _GZIP_WBITS)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def hostname_for_filenames() -> str:
    return _HOST_UNSAFE.sub("_", socket.gethostname()) or "localhost"


class WarcFileWriter:
    """Writes records into a sequence of WARC files under `<data dir>/warc/YYYY/MM/DD/`.

    `warcinfo` fields are written at the head of every file. `on_open` / `on_close` are
    called with the `WarcFileInfo` so a catalog can follow the files' state. For the open
    file it keeps the CDXJ entry of every record the index will hold (`index_entry`), so
    that the closed file is indexed without being read back.
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
        max_index_entries: int = 100_000,
    ) -> None:
        self.data_dir = Path(data_dir)
        # ~0.5 KB each (~1 KB a page): past this many, a file (only a very large one, ~50,000
        # pages) is indexed by reading it back, so memory stays bounded however large it gets.
        self.max_index_entries = max_index_entries
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
        self._index_entries: list[IndexEntry] | None = None
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
        self._index_entries = []
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
            self._index_entries = None
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
        self._add_index_entries(records, locations)
        return locations

    def _add_index_entries(
        self, records: Sequence[ArcWarcRecord], locations: list[RecordLocation]
    ) -> None:
        """Keep the index entries of records just written. Never raises: the records are on
        disk, and a file without entries is indexed by reading it back."""
        if self._index_entries is None:
            return
        try:
            for record, location in zip(records, locations, strict=True):
                entry = index_entry(record, location.offset, location.length)
                if entry is not None:
                    self._index_entries.append(entry)
            if len(self._index_entries) > self.max_index_entries:
                logger.debug("%s will be indexed from the file: over %d index entries",
                             self._path, self.max_index_entries)  # fmt: skip
                self._index_entries = None
        except Exception as exc:  # noqa: BLE001
            logger.debug("%s will be indexed from the file: %s", self._path, exc)
            self._index_entries = None

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
            raise WarcWriteError(
                f"cannot write to {self._path}{OPEN_SUFFIX}: {exc.strerror or exc}"
            ) from exc

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
        """fsync, rename `<name>.open` to `<name>`, report it (with its index entries); the
        next write opens a new file."""
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
        info.index_entries, self._index_entries = self._index_entries, None
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
