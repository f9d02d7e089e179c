"""JSON Lines: one JSON object per row, keys in column order, dates as ISO 8601 UTC strings."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from archive.export.rows import export_iso
from archive.export.schema import Column


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return export_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


class JsonlWriter:
    """Writes rows to `path` as UTF-8 JSON Lines."""

    def __init__(self, path: Path, columns: tuple[Column, ...]) -> None:
        self.names = [c.name for c in columns]
        self._fh = open(path, "w", encoding="utf-8", newline="\n")

    def write(self, rows: list[dict[str, Any]]) -> None:
        lines = [json.dumps({n: row[n] for n in self.names}, ensure_ascii=False, default=_default)
                 for row in rows]  # fmt: skip
        self._fh.write("\n".join(lines) + "\n")

    def close(self) -> None:
        self._fh.close()
