"""CDXJ indexes of closed WARC files: `<data dir>/index/<warc file name>.cdxj`.

Written with cdxj-indexer (the indexer pywb and webrecorder use), sorted, to a temporary
name renamed into place, so a reader never sees half an index. Never for an `.open` file.
"""

from __future__ import annotations

import os
from pathlib import Path

from archive.warc_files import OPEN_SUFFIX

INDEX_DIR = "index"


def index_relpath(warc_filename: str) -> str:
    """Data-directory relative path of a WARC file's index."""
    return f"{INDEX_DIR}/{Path(warc_filename).name}.cdxj"


def write_cdxj_index(data_dir: Path, warc_path: Path) -> Path:
    """Index a closed WARC file; returns the index path. Rewrites an existing index."""
    from cdxj_indexer.main import write_cdx_index

    warc_path = Path(warc_path)
    if warc_path.name.endswith(OPEN_SUFFIX):
        raise ValueError(f"refusing to index an open WARC file: {warc_path}")
    target = Path(data_dir) / index_relpath(warc_path.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        # `filename` is what pywb resolves against its archive paths: the bare file name.
        write_cdx_index(str(temp), [str(warc_path)], {"sort": True, "filename": warc_path.name})
        with open(temp, "rb") as stream:
            os.fsync(stream.fileno())
        os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()
    return target
