"""WACZ 1.1.1 packages: the selected WARC files, a CDXJ index, `pages/pages.jsonl` (one entry
per archived article capture, with its title) and `datapackage.json` with SHA-256 hashes.

Built here rather than by `wacz create`, which keeps every page in memory and writes its
own page list; `wacz validate -f` accepts the result and ReplayWeb.page opens it.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select

from archive import catalog_schema as t
from archive.catalog import Catalog
from archive.export.rows import ExportFilter

WACZ_VERSION = "1.1.1"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Archived article captures"}
CLOSED_STATES = ("closed", "repaired")
_CHUNK = 1024 * 1024
# The CDXJ sorter spills to temporary files past this many bytes of index lines.
_SORT_BUFFER = 16 * 1024 * 1024


@dataclass
class WaczContents:
    """What went into a package."""

    warc_files: int = 0
    warc_bytes: int = 0
    pages: int = 0
    index_lines: int = 0


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
        base = base.where(c.fetched_at >= flt.since.astimezone(timezone.utc))
    if flt.until is not None:
        base = base.where(c.fetched_at <= flt.until.astimezone(timezone.utc))
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


def _write_index(paths: list[Path], out: io.TextIOBase) -> None:
    from cdxj_indexer.main import CDXJIndexer

    # `filename` in each line is the WARC's base name: its name under archive/ in the package.
    indexer = CDXJIndexer(out, [str(p) for p in paths], sort=True, max_sort_buff_size=_SORT_BUFFER)
    indexer.process_all()


class _Package:
    """A zip being written, remembering each member's SHA-256 and size for datapackage.json."""

    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path, "w", allowZip64=True)
        self.resources: list[dict[str, Any]] = []
        self.created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def add_stream(self, name: str, source: io.BufferedIOBase, *, compress: bool,
                   size_hint: int | None = None) -> int:  # fmt: skip
        info = zipfile.ZipInfo(name, date_time=datetime.now(timezone.utc).timetuple()[:6])
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
        info = zipfile.ZipInfo("datapackage.json", date_time=datetime.now(timezone.utc).timetuple()[:6])
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
               progress: Callable[[int], None] | None = None) -> WaczContents:  # fmt: skip
    """Write a WACZ of `warc_files` (catalog rows of closed files) to `out`."""
    contents = WaczContents()
    paths = []
    for f in warc_files:
        path = data_dir / f["relpath"]
        if not path.is_file():
            raise FileNotFoundError(f"WARC file {f['filename']} is in the catalog but not at {path}")
        paths.append(path)
    package = _Package(out)
    try:
        with tempfile.TemporaryDirectory(prefix="newsarchive-wacz-") as tmp:
            pages_path = Path(tmp) / "pages.jsonl"
            main_page = None
            with open(pages_path, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(PAGES_HEADER) + "\n")
                for page in iter_pages(catalog, [f["filename"] for f in warc_files], flt):
                    main_page = main_page or page
                    fh.write(json.dumps(page, ensure_ascii=False) + "\n")
                    contents.pages += 1
            index_path = Path(tmp) / "index.cdx"
            with open(index_path, "w", encoding="utf-8") as fh:
                _write_index(paths, fh)
            with open(index_path, "rb") as fh:
                contents.index_lines = sum(1 for _ in fh)
            for path in paths:
                with open(path, "rb") as src:
                    size = path.stat().st_size
                    contents.warc_bytes += package.add_stream(f"archive/{path.name}", src, compress=False,
                                                              size_hint=size)  # fmt: skip
                contents.warc_files += 1
                if progress:
                    progress(1)
            with open(index_path, "rb") as src:
                package.add_stream("indexes/index.cdx", src, compress=True)
            with open(pages_path, "rb") as src:
                package.add_stream("pages/pages.jsonl", src, compress=True)
        package.finish(title, software, main_page)
    except BaseException:
        package.abort()
        raise
    return contents

