"""CSV (RFC 4180, UTF-8, header row): flat values as text, nested values as JSON.

Lists (`authors`, `changed_fields`) and structs (`warc`, `diff`, `dates_source`) are JSON
strings (`["A. Writer", "B. Writer"]`): unambiguous where `;`-joining is not (a name may
hold a `;`), and `json.loads` reads them back. Dates are ISO 8601 UTC strings; null is an
empty field.

Formula injection (CSV injection): a site controls titles and text, and a spreadsheet runs a
cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before one) as a
formula. By default every text cell starting with one of those characters is written with
a `'` in front, as OWASP recommends (spreadsheets show the text, and hide the quote);
`raw=True` (`export --csv-raw`) writes values as they are, for programs that read CSV as data.
"""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from archive.export.rows import export_iso
from archive.export.schema import Column

# OWASP "CSV Injection": the characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(text: str) -> str:
    """`text` with a leading `'` when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def csv_value(value: Any, *, raw: bool = False) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return export_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and not raw:
        return neutralize(value)
    return value


class CsvWriter:
    """Writes rows to `path` as CSV with a header row; text cells neutralised unless `raw`."""

    def __init__(self, path: Path, columns: tuple[Column, ...], *, raw: bool = False) -> None:
        self.names = [c.name for c in columns]
        self.raw = raw
        self._fh = open(path, "w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._fh, lineterminator="\r\n")
        self._writer.writerow(self.names)

    def write(self, rows: list[dict[str, Any]]) -> None:
        raw = self.raw
        self._writer.writerows([csv_value(row[n], raw=raw) for n in self.names] for row in rows)

    def close(self) -> None:
        self._fh.close()
