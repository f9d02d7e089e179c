"""Re-extraction, the catalog's side: which versions are read again, what a new reading
means, and how it is recorded (docs/reextract.md).

A re-extraction reads the capture of an article's latest version again with today's
extractor. When today's reading has other content (normalised title, authors or text),
it becomes a new version with `change: "reextract"`: appended to the chain like any
version (nothing is rewritten; the older reading stays as it was), pointing at the same
WARC response, its record naming the version and capture it re-reads and both
extractors. Equal content is `unchanged`: nothing is written. A re-extraction is never
an edit: no edit types, no added or removed sentences in the search index, left out of
recent changes, and `last_changed_at` (the recheck ladder) does not move.

Runs are recorded in `runs` (command `reextract`); the run's `summary` holds its
parameters and a cursor (the last article id done), updated in the transaction that
writes each batch, so that a rerun after an interruption continues where it stopped and
never records a version twice.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select, update

from archive import catalog_schema as t
from archive import clock
from archive.catalog import Catalog
from archive.clock import utc
from archive.content import content_hash
from archive.outcomes import REEXTRACT
from archive.records import JsonRecord
from archive.search_index import index_version
from archive.versions import _changed, diff_from, extracted_fields, extractor_columns

COMMAND = "reextract"
DEFAULT_BATCH_SIZE = 200
SAMPLE_SIZE = 10
WORD_DIFF_CHARS = 240


@dataclass(frozen=True)
class ReextractFilter:
    """Which articles: sites (empty: all) and a window on their latest version's capture
    time (both bounds inclusive)."""

    sites: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    parser: str | None = None  # recorded with the run; the caller turned it into `sites`

    def params(self) -> dict[str, Any]:
        """The run's parameters as stored in `runs.summary` (a rerun must match them)."""
        return {
            "sites": sorted(self.sites),
            "since": clock.iso_utc(self.since),
            "until": clock.iso_utc(self.until),
            "parser": self.parser,
        }


_LATEST = t.versions.join(
    t.articles,
    and_(t.articles.c.id == t.versions.c.article_id,
         t.articles.c.latest_version == t.versions.c.version),
)  # fmt: skip


def _where(query: Any, flt: ReextractFilter, after: str | None) -> Any:
    v = t.versions.c
    if flt.sites:
        query = query.where(t.articles.c.site.in_(flt.sites))
    if flt.since is not None:
        query = query.where(v.captured_at >= flt.since.astimezone(UTC))
    if flt.until is not None:
        query = query.where(v.captured_at <= flt.until.astimezone(UTC))
    if after is not None:
        query = query.where(t.articles.c.id > after)
    return query


def count_targets(catalog: Catalog, flt: ReextractFilter, after: str | None = None) -> int:
    """How many articles the filter selects (after the cursor)."""
    query = _where(select(func.count()).select_from(_LATEST), flt, after)
    with catalog.reading() as conn:
        return int(conn.execute(query).scalar_one())


def target_batches(
    catalog: Catalog, flt: ReextractFilter, after: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Iterator[list[dict[str, Any]]]:  # fmt: skip
    """Each selected article's latest version row (with `site`), in article id order,
    `batch_size` at a time (keyset pagination: the cost of a batch does not grow)."""
    columns = (*t.versions.c, t.articles.c.site)
    while True:
        query = _where(select(*columns).select_from(_LATEST), flt, after)
        query = query.order_by(t.articles.c.id).limit(batch_size)
        with catalog.reading() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        if not rows:
            return
        yield rows
        after = rows[-1]["article_id"]
        if len(rows) < batch_size:
            return


# -- what a new reading means ------------------------------------------------------------------
def word_diff(old: str | None, new: str | None, limit: int = WORD_DIFF_CHARS) -> str:
    """A short word diff: `[-removed words-]{+added words+}` with a few words of context."""
    a, b = (old or "").split(), (new or "").split()
    parts: list[str] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            if i2 - i1 > 6:
                head = " ".join(a[i1 : i1 + 3]) if parts else ""
                tail = " ".join(a[i2 - 3 : i2])
                parts.append((head + " … " + tail).strip())
            else:
                parts.append(" ".join(a[i1:i2]))
            continue
        if i2 > i1:
            parts.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            parts.append("{+" + " ".join(b[j1:j2]) + "+}")
        if sum(len(p) + 1 for p in parts) > limit:
            break
    text = " ".join(p for p in parts if p)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class Reading:
    """Today's extraction of one article's latest capture, and what it means."""

    article_id: str
    site: str
    latest: dict[str, Any]  # the latest version's row
    fields: dict[str, Any] | None = None  # today's extraction; None when it failed
    problem: str | None = None
    outcome: str = "pending"  # reextract, unchanged, failed, unreadable
    record: dict[str, Any] | None = None

    @property
    def version(self) -> int:
        return int(self.latest["version"])


EXTRACTED_FIELDS = ("title", "authors", "text", "language", "section", "published_at", "modified_at",
           "dates_source", "canonical_url", "extractor")  # fmt: skip


def judge(reading: Reading, run_id: str | None) -> Reading:
    """Set `outcome` (and for a change, the new version's `record`) from `fields`."""
    if reading.fields is None:
        reading.outcome = "failed" if reading.outcome == "pending" else reading.outcome
        return reading
    f = reading.fields
    latest = reading.latest
    old = latest["record"] or {}
    digest = content_hash(f.get("title"), f.get("authors"), f.get("text"))
    if digest == latest["content_sha256"]:
        reading.outcome = "unchanged"
        return reading
    changed = _changed(old, f)
    version = reading.version
    previous_extractor = old.get("extractor")
    record: dict[str, Any] = {
        "article_id": reading.article_id,
        "site": reading.site,
        "url": old.get("url"),
        "canonical_url": f.get("canonical_url"),
        "version": version + 1,
        "change": REEXTRACT,
        "changed_fields": [c for c in changed if c in ("title", "authors", "text")],
        **extracted_fields(f),
        "captured_at": old.get("captured_at") or clock.iso_utc(utc(latest["captured_at"])),
        "content_sha256": digest,
        "warc": old.get("warc"),
        "run_id": run_id,
        "extractor": dict(f["extractor"]) if f.get("extractor") else None,
        "changed_dates": [c for c in changed if c in ("published_at", "modified_at")],
        # What was read again: the version, its capture, and the extractor that made it
        # (None: before provenance was recorded).
        "reextract_of": {
            "version": version,
            "capture_id": latest.get("capture_id"),
            "warc_record_id": latest.get("warc_record_id"),
            "extractor": dict(previous_extractor) if previous_extractor else None,
        },
        "diff": diff_from(version, old.get("text"), f.get("text")),
    }
    reading.outcome = "reextract"
    reading.record = JsonRecord(record)
    return reading


def sample_of(reading: Reading) -> dict[str, Any]:
    """One entry of a report's sample of differences."""
    assert reading.record is not None
    old = reading.latest["record"] or {}
    new = reading.record
    entry: dict[str, Any] = {
        "article_id": reading.article_id,
        "url": new.get("url"),
        "version": reading.version,
        "changed_fields": new.get("changed_fields"),
        "from_extractor": (old.get("extractor") or {}).get("parser"),
        "to_extractor": (new.get("extractor") or {}).get("parser"),
    }
    if "title" in new["changed_fields"]:
        entry["title"] = word_diff(old.get("title"), new.get("title"))
    if "authors" in new["changed_fields"]:
        entry["authors"] = word_diff(", ".join(old.get("authors") or []),
                                     ", ".join(new.get("authors") or []))  # fmt: skip
    if "text" in new["changed_fields"]:
        entry["text"] = word_diff(old.get("text"), new.get("text"))
    return entry


# -- recording ----------------------------------------------------------------------------------
class CatalogMoved(Exception):
    """Another process wrote to the catalog in a way that stops this run (the message says how)."""


def commit_batch(catalog: Catalog, run_id: str, readings: Sequence[Reading], cursor: str,
                 summary: dict[str, Any]) -> list[Reading]:  # fmt: skip
    """Record a batch's new versions and the run's cursor in one transaction; returns the
    readings recorded. An article whose latest version moved since it was read (a crawl
    recorded one) is left out: today's extractor made that one already."""
    written: list[Reading] = []
    with catalog.begin() as conn:
        # The run's row first: on SQLite this takes the write lock before anything is read,
        # so the check below and the inserts see the same catalog.
        conn.execute(update(t.runs).where(t.runs.c.id == run_id)
                     .values(summary={**summary, "cursor": cursor}))  # fmt: skip
        for reading in readings:
            if reading.outcome != "reextract" or reading.record is None:
                continue
            current = conn.execute(select(t.articles.c.latest_version)
                                   .where(t.articles.c.id == reading.article_id)).scalar()  # fmt: skip
            if current != reading.version:
                reading.outcome = "moved"
                continue
            record = reading.record
            latest = reading.latest
            conn.execute(t.versions.insert().values(
                article_id=reading.article_id, version=reading.version + 1,
                content_sha256=record["content_sha256"], change=REEXTRACT,
                captured_at=utc(latest["captured_at"]), capture_id=latest.get("capture_id"),
                run_id=run_id, warc_filename=latest.get("warc_filename"),
                warc_offset=latest.get("warc_offset"), warc_length=latest.get("warc_length"),
                warc_record_id=latest.get("warc_record_id"), record=record,
                edit_types=[],  # never an edit (archive/outcomes.py is_newsroom_change)
                **extractor_columns(record.get("extractor")),
            ))  # fmt: skip
            # The article's current state follows its newest version; `last_changed_at`
            # (what the recheck ladder reads) does not: the newsroom changed nothing.
            conn.execute(update(t.articles).where(t.articles.c.id == reading.article_id).values(
                latest_version=reading.version + 1, title=record.get("title"),
                published_at=record.get("published_at"), modified_at=record.get("modified_at"),
            ))  # fmt: skip
            index_version(conn, reading.article_id, reading.version + 1, record,
                          latest["record"], captured_at=utc(latest["captured_at"]))  # fmt: skip
            written.append(reading)
    return written


# -- runs ----------------------------------------------------------------------------------------
@dataclass
class RunState:
    """A reextract run: new, or one an interruption left to continue."""

    run_id: str
    started_at: datetime
    cursor: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    resumed: bool = False


def resumable_run(catalog: Catalog, flt: ReextractFilter) -> RunState | None:
    """The newest unfinished reextract run with the same parameters (crashed, interrupted),
    or None. Crashed runs must have been marked first (archive/repair.py)."""
    query = (select(t.runs).where(t.runs.c.command == COMMAND)
             .order_by(t.runs.c.started_at.desc()))  # fmt: skip
    params = flt.params()
    with catalog.reading() as conn:
        for row in conn.execute(query):
            summary = row.summary or {}
            if summary.get("params") != params:
                continue
            if row.status not in ("crashed", "interrupted"):
                return None  # the newest run of these parameters finished: start afresh
            return RunState(row.id, utc(row.started_at) or datetime.now(UTC),
                            summary.get("cursor"), dict(summary.get("counts") or {}), True)  # fmt: skip
    return None


def start_run(catalog: Catalog, flt: ReextractFilter, data_dir: Path, run_id: str) -> RunState:
    catalog.start_run(run_id, COMMAND, list(flt.sites), os.getpid(), data_dir=data_dir)
    with catalog.begin() as conn:
        conn.execute(update(t.runs).where(t.runs.c.id == run_id)
                     .values(summary={"params": flt.params(), "cursor": None, "counts": {}}))  # fmt: skip
        started = conn.execute(select(t.runs.c.started_at).where(t.runs.c.id == run_id)).scalar()
    return RunState(run_id, utc(started) or datetime.now(UTC))


def continue_run(catalog: Catalog, state: RunState, data_dir: Path) -> None:
    """Mark an interrupted run running again, by this process."""
    import socket

    with catalog.begin() as conn:
        conn.execute(update(t.runs).where(t.runs.c.id == state.run_id).values(
            status="running", ended_at=None, pid=os.getpid(), host=socket.gethostname(),
            data_dir=str(Path(data_dir).resolve()),
        ))  # fmt: skip


def running_writers(
    catalog: Catalog, data_dir: Path, own: str | None = None
) -> list[dict[str, Any]]:
    """Runs that write to this catalog now (a crawl, a recheck, another reextract): alive on
    this host, or running on another host or data directory (not ours to judge)."""
    from archive.repair import live_runs

    alive = live_runs(catalog, data_dir) - ({own} if own else set())
    if not alive:
        return []
    with catalog.reading() as conn:
        rows = conn.execute(select(t.runs.c.id, t.runs.c.command, t.runs.c.pid, t.runs.c.host)
                            .where(t.runs.c.id.in_(alive)))  # fmt: skip
        return [dict(r._mapping) for r in rows]
