"""Parquet: the documented Arrow schema, written a row group at a time (flat memory)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from archive.export.schema import Column, arrow_schema

ROW_GROUP_SIZE = 5000
# Long, unique strings gain nothing from dictionary encoding and cost a dictionary buffer.
_NO_DICTIONARY = {
    "text",
    "title",
    "url",
    "canonical_url",
    "diff",
    "content_sha256",
    "warc",
    "warc_record_id",
}


class ParquetWriter:
    """Writes rows to `path` in row groups of `row_group_size` (zstd-compressed).

    Each incoming batch becomes an Arrow record batch at once (Python objects are dropped);
    a row group is written as soon as enough rows are pending.
    """

    def __init__(self, path: Path, columns: tuple[Column, ...], *, row_group_size: int = ROW_GROUP_SIZE,
                 metadata: dict[str, str] | None = None) -> None:  # fmt: skip
        self.names = [c.name for c in columns]
        self.schema = arrow_schema(columns).with_metadata(metadata or {})
        self.row_group_size = row_group_size
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        dictionary = [n for n in self.names if n not in _NO_DICTIONARY]
        self._writer = pq.ParquetWriter(
            str(path), self.schema, compression="zstd", use_dictionary=dictionary
        )

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        batch = pa.RecordBatch.from_pylist(
            [{n: row[n] for n in self.names} for row in rows], schema=self.schema
        )
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        if self._pending_rows >= self.row_group_size:
            table = pa.Table.from_batches(self._pending, schema=self.schema)
            full = (table.num_rows // self.row_group_size) * self.row_group_size
            self._writer.write_table(table.slice(0, full), row_group_size=self.row_group_size)
            rest = table.slice(full)
            self._pending = rest.combine_chunks().to_batches() if rest.num_rows else []
            self._pending_rows = rest.num_rows

    def close(self) -> None:
        if self._pending_rows:
            self._writer.write_table(pa.Table.from_batches(self._pending, schema=self.schema),
                                     row_group_size=self.row_group_size)  # fmt: skip
            self._pending = []
            self._pending_rows = 0
        self._writer.close()
