"""CSV (RFC 4180, UTF-8, header row): flat values as text, nested values as JSON.

Lists (`authors`, `changed_fields`) and structs (`warc`, `diff`, `dates_source`) are JSON
strings (`["A. Writer", "B. Writer"]`): unambiguous where `;`-joining is not (a name may
hold a `;`), and `json.loads` reads them back. Dates are ISO 8601 UTC strings; null is an
empty field.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from archive.export.rows import iso_utc
from archive.export.schema import Column


def csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


class CsvWriter:
    """Writes rows to `path` as CSV with a header row."""

    def __init__(self, path: Path, columns: tuple[Column, ...]) -> None:
        self.names = [c.name for c in columns]
        self._fh = open(path, "w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._fh, lineterminator="\r\n")
        self._writer.writerow(self.names)

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._writer.writerows([csv_value(row[n]) for n in self.names] for row in rows)

    def close(self) -> None:
        self._fh.close()
