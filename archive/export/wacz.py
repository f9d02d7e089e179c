"""WACZ 1.1.1 packages: the selected WARC files, a CDXJ index, `pages/pages.jsonl` (one entry
per archived article capture, with its title) and `datapackage.json` with SHA-256 hashes.

Built here rather than by `wacz create`, which keeps every page in memory and writes its
own page list; `wacz validate -f` accepts the result and ReplayWeb.page opens it.

Every revisit record in a packaged WARC must find its original in the package (pywb:
"Original for revisit record could not be loaded"; ReplayWeb.page: "Original Archived Page
Missing"). When a filter leaves an original's WARC out, its record is copied, byte for byte
(its own gzip member: same record id, URI, date and digests), into one extra WARC,
`archive/newsarchive-revisit-originals-<UTC timestamp>.warc.gz`, indexed with the others.

A selected WARC whose local copy is gone (deleted after a verified upload) is fetched from
S3 through the caller's ranged reader, in chunks, into a temporary folder beside the
output; it is checked against the SHA-256 recorded at upload, packaged, then deleted, so at
most one downloaded WARC is on disk at a time and none is ever held in memory. A WARC that
is neither local nor fetchable stops the export (`WarcUnavailable`): a package never
silently lacks one.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select

from archive import catalog_schema as t
from archive.catalog import Catalog
from archive.clock import iso_utc, utc
from archive.export.rows import ExportFilter
from archive.warc_reader import FetchRange, RecordUnavailable, read_member

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Archived article captures"}
CLOSED_STATES = ("closed", "repaired")
_CHUNK = 1024 * 1024
# The CDXJ sorter spills to temporary files past this many bytes of index lines.
_SORT_BUFFER = 16 * 1024 * 1024
# A WARC missing locally is fetched from S3 in ranged reads of this size (the memory bound).
DOWNLOAD_CHUNK = 8 * 1024 * 1024


class WarcUnavailable(RuntimeError):
    """A selected WARC file is neither in the data directory nor fetchable from S3 (or what
    S3 returned is not what was uploaded). The message is one line."""


@dataclass
class WaczContents:
    """What went into a package."""

    warc_files: int = 0
    warc_bytes: int = 0
    pages: int = 0
    index_lines: int = 0
    downloaded_files: int = 0  # fetched from S3 (no local copy)
    downloaded_bytes: int = 0
    originals: int = 0  # revisit originals copied from WARCs left out by the filter


@dataclass
class WarcSource:
    """Where one selected WARC's bytes come from: its local file, or S3 (`remote`), with the
    size and SHA-256 recorded at upload to check the download against."""

    filename: str
    relpath: str
    path: Path  # the local file (absent when `remote`)
    remote: bool = False
    size: int = 0
    sha256: str | None = None

    def download_units(self, chunk: int | None = None) -> int:
        """Progress steps of its download (one per ranged read); 0 for a local file."""
        return -(-self.size // (chunk or DOWNLOAD_CHUNK)) if self.remote else 0


def closed_warc_files(catalog: Catalog, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Closed WARC files (never `.open` ones), oldest first; only `names` when given."""
    wanted = set(names) if names is not None else None
    return [
        f for f in catalog.warc_files()
        if f["status"] in CLOSED_STATES and (wanted is None or f["filename"] in wanted)
    ]  # fmt: skip


def iter_pages(catalog: Catalog, filenames: list[str], flt: ExportFilter,
               batch_size: int = 1000) -> Iterator[dict[str, Any]]:  # fmt: skip
    """One page entry per article capture stored in `filenames` (revisits included): the
    URL and WARC date ReplayWeb.page looks up, and the title of the version it showed."""
    c, v = t.captures.c, t.versions.c
    base = (
        select(c.id, c.url, c.warc_date, c.fetched_at, c.article_id, c.version, v.record)
        .select_from(t.captures.join(t.versions, and_(v.article_id == c.article_id, v.version == c.version)))
        .where(c.kind == "article", c.record_type.in_(("response", "revisit")),
               c.warc_filename.in_(filenames), c.warc_date.is_not(None))
    )  # fmt: skip
    if flt.sites:
        base = base.where(c.site.in_(flt.sites))
    if flt.since is not None:
        base = base.where(c.fetched_at >= utc(flt.since))
    if flt.until is not None:
        base = base.where(c.fetched_at <= utc(flt.until))
    last = 0
    with catalog.engine.connect() as conn:
        while True:
            rows = conn.execute(base.where(c.id > last).order_by(c.id).limit(batch_size)).all()
            for row in rows:
                record = row.record or {}
                yield {"id": f"capture-{row.id}", "url": row.url, "ts": row.warc_date,
                       "title": record.get("title") or row.url,
                       "article_id": row.article_id, "version": row.version}  # fmt: skip
            if len(rows) < batch_size:
                return
            last = rows[-1].id


def warc_sources(catalog: Catalog, data_dir: Path, warc_files: list[dict[str, Any]], *,
                 can_fetch: bool) -> list[WarcSource]:  # fmt: skip
    """Where each of `warc_files` (catalog rows) will be read from; raises `WarcUnavailable`
    before anything is written when one is missing locally and was never (verifiably)
    uploaded, or when there is no way to fetch it (`can_fetch` false)."""
    relpaths = [f["relpath"] for f in warc_files]
    uploads: dict[str, Any] = {}
    with catalog.engine.connect() as conn:
        for start in range(0, len(relpaths), 500):
            batch = relpaths[start : start + 500]
            for row in conn.execute(select(t.uploads).where(t.uploads.c.relpath.in_(batch))):
                uploads[row.relpath] = row
    sources: list[WarcSource] = []
    problems: list[str] = []
    for f in warc_files:
        path = data_dir / f["relpath"]
        if path.is_file():
            sources.append(WarcSource(f["filename"], f["relpath"], path))
            continue
        up = uploads.get(f["relpath"])
        sha = (up.sha256 if up is not None else None) or f.get("sha256")
        size = (up.size if up is not None else None) or f.get("size")
        if up is None or up.state != "uploaded":
            state = ("never registered for upload" if up is None else
                     {"pending": "its upload is still pending", "failed": "its upload failed"}.get(
                         up.state, f"upload state {up.state}"))  # fmt: skip
            problems.append(f"{f['filename']} ({state})")
        elif not can_fetch:
            problems.append(f"{f['filename']} (in S3, but no S3 reader was given)")
        elif not sha or size is None:
            problems.append(f"{f['filename']} (no SHA-256 or size recorded to check a download)")
        else:
            sources.append(
                WarcSource(
                    f["filename"], f["relpath"], path, remote=True, size=int(size), sha256=sha
                )
            )
    if problems:
        shown = "; ".join(problems[:3]) + (
            f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
        )
        raise WarcUnavailable(f"{len(problems)} selected WARC file(s) are not in {data_dir} and cannot be "
                              f"fetched from S3: {shown}")  # fmt: skip
    return sources


def download_warc(source: WarcSource, dest: Path, fetch: FetchRange, *, chunk: int | None = None,
                  progress: Callable[[int], None] | None = None) -> int:  # fmt: skip
    """Fetch a WARC that is not local into `dest` by ranged reads of `chunk` bytes (memory
    stays at one chunk), checking it against the size and SHA-256 recorded at upload;
    raises `WarcUnavailable` (one line) on any failure. Returns the bytes written."""
    chunk = chunk or DOWNLOAD_CHUNK
    digest = hashlib.sha256()
    done = 0
    with open(dest, "wb") as fh:
        while done < source.size:
            want = min(chunk, source.size - done)
            try:
                data = fetch(source.filename, done, want)
            except Exception as exc:  # noqa: BLE001 - any failure is a missing WARC: one line
                from archive.uploads import one_line
                from archive.warc_reader import RecordUnavailable

                detail = (" ".join(str(exc).split()) if isinstance(exc, RecordUnavailable)
                          else f"reading it from S3 failed: {one_line(exc)}")  # fmt: skip
                raise WarcUnavailable(f"cannot package {source.filename}: {detail}") from exc
            if len(data) != want:
                raise WarcUnavailable(f"{source.filename}: S3 returned {len(data)} bytes at offset {done}, "
                                      f"expected {want} (the object is not the uploaded file)")  # fmt: skip
            digest.update(data)
            fh.write(data)
            done += want
            if progress:
                progress(1)
    if digest.hexdigest() != source.sha256:
        raise WarcUnavailable(f"{source.filename} fetched from S3 does not match the SHA-256 recorded at "
                              f"upload ({(source.sha256 or '')[:12]}…, got {digest.hexdigest()[:12]}…): "
                              "not packaged")  # fmt: skip
    return done


def revisit_originals(catalog: Catalog, filenames: list[str]) -> list[dict[str, Any]]:
    """The response records that revisits stored in `filenames` refer to and that lie in other
    WARC files: record id, file (name, relpath, status), offset and length, oldest first.

    A revisit's original is the newest earlier response of its URL with its payload digest
    (archive/session.py writes it so, with that record as WARC-Refers-To)."""
    r, o, o2 = t.captures.alias("r"), t.captures.alias("o"), t.captures.alias("o2")
    original_id = (
        select(func.max(o2.c.id))
        .where(o2.c.url == r.c.url, o2.c.record_type == "response",
               o2.c.payload_digest == r.c.payload_digest, o2.c.id < r.c.id)
        .scalar_subquery()
    )  # fmt: skip
    wanted = set(filenames)
    found: dict[str, dict[str, Any]] = {}
    with catalog.engine.connect() as conn:
        for start in range(0, len(filenames), 500):
            query = (
                select(o.c.id, o.c.warc_record_id, o.c.warc_filename, o.c.warc_offset, o.c.warc_length,
                       r.c.warc_record_id.label("revisit"), t.warc_files.c.relpath, t.warc_files.c.status)
                .select_from(r.join(o, o.c.id == original_id)
                             .outerjoin(t.warc_files, t.warc_files.c.filename == o.c.warc_filename))
                .where(r.c.record_type == "revisit", r.c.warc_filename.in_(filenames[start:start + 500]))
            )  # fmt: skip
            for row in conn.execute(query):
                if row.warc_filename not in wanted and row.warc_record_id not in found:
                    found[row.warc_record_id] = dict(row._mapping)
    return sorted(found.values(), key=lambda row: row["id"])


def _copy_originals(catalog: Catalog, data_dir: Path, originals: list[dict[str, Any]], dest: Path,
                    fetch: FetchRange | None) -> None:  # fmt: skip
    """Write the originals' records (their gzip members, unchanged) into `dest`; raises
    `WarcUnavailable` when one can be neither read locally nor fetched."""
    with open(dest, "wb") as out:
        for row in originals:
            where = f"the original {row['warc_record_id']} of a packaged revisit ({row['warc_filename']})"
            if (
                row["status"] not in CLOSED_STATES
                or row["warc_offset"] is None
                or not row["warc_length"]
            ):
                raise WarcUnavailable(f"{where} is not in a closed WARC file")
            try:
                member = read_member(data_dir, row["relpath"], row["warc_filename"],
                                     row["warc_offset"], row["warc_length"], fetch)  # fmt: skip
            except RecordUnavailable as exc:
                raise WarcUnavailable(f"{where}: {exc}") from exc
            except Exception as exc:  # noqa: BLE001 - one line, whatever the reader raised
                raise WarcUnavailable(
                    f"{where} cannot be read: {' '.join(str(exc).split())}"
                ) from exc
            out.write(member)


def _index_into(path: Path, out: Any) -> None:
    from cdxj_indexer.main import CDXJIndexer

    # `filename` in each line is the WARC's base name: its name under archive/ in the package.
    CDXJIndexer(out, [str(path)], sort=False).process_all()


class _Package:
    """A zip being written, remembering each member's SHA-256 and size for datapackage.json."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path, "w", allowZip64=True)
        self.resources: list[dict[str, Any]] = []
        self.created = iso_utc(datetime.now(UTC))

    def add_stream(self, name: str, source: io.BufferedIOBase, *, compress: bool,
                   size_hint: int | None = None) -> int:  # fmt: skip
        info = zipfile.ZipInfo(name, date_time=datetime.now(UTC).timetuple()[:6])
        # WARCs and their gzip members must stay seekable by offset: stored, not deflated.
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        digest = hashlib.sha256()
        size = 0
        with self.zip.open(info, "w", force_zip64=(size_hint or 0) > 2**31) as dest:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                dest.write(chunk)
                size += len(chunk)
        self.resources.append({"name": Path(name).name.lower(), "path": name,
                               "hash": "sha256:" + digest.hexdigest(), "bytes": size})  # fmt: skip
        return size

    def add_bytes(self, name: str, data: bytes) -> None:
        self.add_stream(name, io.BytesIO(data), compress=True)

    def finish(self, title: str, software: str, main_page: dict[str, Any] | None) -> None:
        package: dict[str, Any] = {
            "profile": "data-package",
            "resources": self.resources,
            "title": title,
            "created": self.created,
            "wacz_version": WACZ_VERSION,
            "software": software,
        }
        if main_page:
            package["mainPageURL"] = main_page["url"]
            package["mainPageDate"] = main_page["ts"]
        data = json.dumps(package, indent=2).encode("utf-8")
        info = zipfile.ZipInfo("datapackage.json", date_time=datetime.now(UTC).timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, data)
        digest = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(data).hexdigest()}
        info = zipfile.ZipInfo("datapackage-digest.json", date_time=info.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, json.dumps(digest, indent=2))
        self.zip.close()

    def abort(self) -> None:
        self.zip.close()


def write_wacz(catalog: Catalog, data_dir: Path, out: Path, warc_files: list[dict[str, Any]],
               flt: ExportFilter, *, title: str, software: str,
               progress: Callable[[int], None] | None = None,
               fetch: FetchRange | None = None, sources: list[WarcSource] | None = None,
               download_chunk: int | None = None) -> WaczContents:  # fmt: skip
    """Write a WACZ of `warc_files` (catalog rows of closed files) to `out`.

    A file missing locally is fetched with `fetch` (see `warc_sources`, whose result may be
    passed as `sources`). `progress(1)` after each packaged file and each downloaded chunk.
    Raises `WarcUnavailable` when a file can be neither read nor fetched; `out` is then
    incomplete (the caller writes it under a temporary name)."""
    from cdxj_indexer.main import SortingWriter

    if sources is None:
        sources = warc_sources(catalog, data_dir, warc_files, can_fetch=fetch is not None)
    contents = WaczContents()
    package = _Package(out)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="newsarchive-wacz-") as tmp,
            contextlib.ExitStack() as stack,
        ):
            pages_path = Path(tmp) / "pages.jsonl"
            main_page = None
            with open(pages_path, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(PAGES_HEADER) + "\n")
                for page in iter_pages(catalog, [f["filename"] for f in warc_files], flt):
                    main_page = main_page or page
                    fh.write(json.dumps(page, ensure_ascii=False) + "\n")
                    contents.pages += 1
            downloads: list[Path] = []

            def download_dir() -> Path:
                # Beside the output (the disk the package is written to), one WARC at a time,
                # under the WARC's own name (the name its index lines carry); removed at the end.
                if not downloads:
                    downloads.append(Path(stack.enter_context(tempfile.TemporaryDirectory(
                        prefix=f".{out.name}.warcs-", dir=out.parent))))  # fmt: skip
                return downloads[0]

            index_path = Path(tmp) / "index.cdx"
            with open(index_path, "w", encoding="utf-8") as index_fh:
                sorter = SortingWriter(index_fh, _SORT_BUFFER)
                rows = {f["filename"]: f for f in warc_files}
                for source in sources:
                    if not source.remote and not source.path.is_file():
                        # Deleted since the plan (a sync with delete_local_after_upload ran).
                        source = warc_sources(catalog, data_dir, [rows[source.filename]],
                                              can_fetch=fetch is not None)[0]  # fmt: skip
                    path = source.path
                    if source.remote:
                        assert fetch is not None
                        path = download_dir() / source.filename
                        contents.downloaded_bytes += download_warc(source, path, fetch, chunk=download_chunk,
                                                                   progress=progress)  # fmt: skip
                        contents.downloaded_files += 1
                    try:
                        _index_into(path, sorter)
                        with open(path, "rb") as src:
                            size = path.stat().st_size
                            contents.warc_bytes += package.add_stream(f"archive/{path.name}", src,
                                                                      compress=False, size_hint=size)  # fmt: skip
                    finally:
                        if source.remote:
                            path.unlink(missing_ok=True)
                    contents.warc_files += 1
                    if progress:
                        progress(1)
                originals = revisit_originals(catalog, [f["filename"] for f in warc_files])
                if originals:
                    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
                    extra = Path(tmp) / f"newsarchive-revisit-originals-{stamp}.warc.gz"
                    _copy_originals(catalog, data_dir, originals, extra, fetch)
                    _index_into(extra, sorter)
                    with open(extra, "rb") as src:
                        contents.warc_bytes += package.add_stream(
                            f"archive/{extra.name}", src, compress=False
                        )
                    contents.warc_files += 1
                    contents.originals = len(originals)
                sorter.flush()
            with open(index_path, "rb") as index_bytes:
                contents.index_lines = sum(1 for _ in index_bytes)
            with open(index_path, "rb") as src:
                package.add_stream("indexes/index.cdx", src, compress=True)
            with open(pages_path, "rb") as src:
                package.add_stream("pages/pages.jsonl", src, compress=True)
        package.finish(title, software, main_page)
    except BaseException:
        package.abort()
        raise
    return contents
