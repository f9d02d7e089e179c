"""The JSON records files: `records/YYYY/MM/DD/<run id>.jsonl`, one line per new version."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any


def dump_record(record: dict[str, Any]) -> str:
    if isinstance(record, JsonRecord):
        return record.json()
    return json.dumps(record, ensure_ascii=False, sort_keys=False, separators=(",", ":"))


class JsonRecord(dict):  # type: ignore[type-arg]
    """A finished version record that serialises itself once: the same JSON text goes into
    the catalog's `versions.record` column and the records file (a large text, twice a page
    otherwise). Not to be changed once serialised."""

    __slots__ = ("_json",)

    def json(self) -> str:
        try:
            return self._json  # type: ignore[no-any-return]
        except AttributeError:
            self._json: str = json.dumps(
                self, ensure_ascii=False, sort_keys=False, separators=(",", ":")
            )
            return self._json


def json_for_catalog(value: Any) -> str:
    """The catalog engine's JSON serialiser: a `JsonRecord`'s own text, else `json.dumps`."""
    if isinstance(value, JsonRecord):
        return value.json()
    return json.dumps(value)


class RecordFileWriter:
    """Appends records of one run to its JSONL file, opened on the first record.

    Each line is flushed as soon as it is written; the file is fsynced when closed.
    """

    def __init__(self, data_dir: Path, run_id: str, *, started_at: datetime | None = None) -> None:
        started = started_at or datetime.now(UTC)
        self.path = Path(data_dir) / "records" / started.strftime("%Y/%m/%d") / f"{run_id}.jsonl"
        self._file: IO[str] | None = None
        self.lines = 0

    def write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115
        self._file.write(dump_record(record) + "\n")
        self._file.flush()
        self.lines += 1

    def close(self) -> Path | None:
        if self._file is None:
            return None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        return self.path
