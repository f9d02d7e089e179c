"""CDXJ indexes of closed WARC files: `<data dir>/index/<warc file name>.cdxj`.

A crawl indexes each file it closes from the entries its writer kept while writing
(`write_cdxj_from_entries`, no reading back); a file without entries (closed by crash
repair, or found by `sync` without an index) is read with cdxj-indexer, the indexer pywb
and webrecorder use (`write_cdxj_index`). Both give the same bytes: lines
`<SURT> <14-digit timestamp> <JSON>`, sorted, written to a temporary name renamed into
place, so a reader never sees half an index. Never for an `.open` file.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from archive.warc_files import OPEN_SUFFIX, IndexEntry

INDEX_DIR = "index"


def index_relpath(warc_filename: str) -> str:
    """Data-directory relative path of a WARC file's index."""
    return f"{INDEX_DIR}/{Path(warc_filename).name}.cdxj"


def write_cdxj_index(data_dir: Path, warc_path: Path) -> Path:
    """Index a closed WARC file by reading it; returns the index path. Rewrites an existing
    index."""
    from cdxj_indexer.main import write_cdx_index

    warc_path = Path(warc_path)

    def write(temp: Path) -> None:
        # `filename` is what pywb resolves against its archive paths: the bare file name.
        write_cdx_index(str(temp), [str(warc_path)], {"sort": True, "filename": warc_path.name})

    return _write_index(data_dir, warc_path, write)


def write_cdxj_from_entries(data_dir: Path, warc_path: Path, entries: Iterable[IndexEntry]) -> Path:
    """Index a closed WARC file from its writer's entries (`WarcFileInfo.index_entries`);
    returns the index path. The same bytes as `write_cdxj_index` for the same file."""
    warc_path = Path(warc_path)

    def write(temp: Path) -> None:
        with open(temp, "w", encoding="utf-8", newline="\n") as stream:
            stream.writelines(cdxj_lines(warc_path.name, entries))

    return _write_index(data_dir, warc_path, write)


def _surt() -> Any:
    """`surt.surt`, imported without importing tldextract (~0.1 s with requests and its
    suffix list).

    surt's `handyurl` imports tldextract at its top but calls it only for public-suffix
    lookups, which `surt()` never makes. Until then `tldextract` is a stand-in module that
    imports the real one on first attribute access (PEP 562 `__getattr__`)."""
    if "surt" not in sys.modules and "tldextract" not in sys.modules:
        sys.modules["tldextract"] = _DeferredModule("tldextract")
    from surt import surt

    return surt


class _DeferredModule(types.ModuleType):
    """A stand-in in `sys.modules` that imports the named module when first used."""

    def __getattr__(self, attribute: str) -> Any:
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        return getattr(real, attribute)


def cdxj_lines(filename: str, entries: Iterable[IndexEntry]) -> list[str]:
    """The index lines, as cdxj-indexer 1.5 writes them with `-s` and no other option:
    SURT key, timestamp, the JSON fields in its order, sorted, repeated lines dropped."""
    from warcio.timeutils import iso_date_to_timestamp

    surt = _surt()

    def url_key(url: str) -> str:
        try:
            return surt(url)
        except Exception:  # noqa: BLE001 - cdxj-indexer keys an unparsable URL by itself
            return url

    lines = []
    for entry in entries:
        fields = {"url": entry.uri}
        if entry.mime is not None:
            fields["mime"] = entry.mime
        if entry.status is not None:
            fields["status"] = entry.status
        if entry.digest is not None:
            fields["digest"] = entry.digest
        fields.update(length=str(entry.length), offset=str(entry.offset), filename=filename)
        ts = iso_date_to_timestamp(entry.date)
        lines.append(f"{url_key(entry.uri)} {ts} {json.dumps(fields)}\n")
    lines.sort()  # cdxj-indexer sorts the text lines, then drops a line equal to the last
    return [line for n, line in enumerate(lines) if not n or line != lines[n - 1]]


def _write_index(data_dir: Path, warc_path: Path, write: Callable[[Path], None]) -> Path:
    """Write `<data dir>/index/<name>.cdxj` through `write(temporary path)`: fsynced, then
    renamed over the index."""
    if warc_path.name.endswith(OPEN_SUFFIX):
        raise ValueError(f"refusing to index an open WARC file: {warc_path}")
    target = Path(data_dir) / index_relpath(warc_path.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        write(temp)
        with open(temp, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()
    return target
