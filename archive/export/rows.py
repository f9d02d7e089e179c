"""The rows of an export, streamed from the catalog in batches.

Never loads the archive: each batch is one keyset-paginated `SELECT … ORDER BY article_id,
version LIMIT n` (no OFFSET, so the cost of a batch does not grow with its position), and
rows come out in a deterministic order whatever the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, tuple_
from sqlalchemy.engine import Connection

from archive import catalog_schema as t
from archive.catalog import Catalog
from archive.clock import iso_utc, utc
from archive.dates import as_day, as_instant, record_precision
from archive.export.schema import view_columns

DEFAULT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class ExportFilter:
    """Which versions an export covers: sites (empty: all) and a `captured_at` window.

    Both bounds are inclusive. In the `latest` view an article's row is its newest version
    inside the window (the archive as it stood at `until`); without a window, its newest.
    """

    sites: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    @property
    def has_window(self) -> bool:
        return self.since is not None or self.until is not None

    def describe(self) -> str:
        parts = []
        if self.sites:
            parts.append("sites " + ", ".join(self.sites))
        if self.since:
            parts.append(f"captured since {export_iso(self.since)}")
        if self.until:
            parts.append(f"captured until {export_iso(self.until)}")
        return "; ".join(parts) or "everything"


def export_iso(moment: datetime) -> str:
    """An instant in the exports: ISO 8601 UTC with a `Z`, microseconds only when there are
    some (a data set keeps the catalog's precision)."""
    return iso_utc(moment, timespec="auto")


def _window(query: Select[Any], flt: ExportFilter) -> Select[Any]:
    v = t.versions.c
    if flt.sites:
        query = query.where(t.articles.c.site.in_(flt.sites))
    if flt.since is not None:
        query = query.where(v.captured_at >= utc(flt.since))
    if flt.until is not None:
        query = query.where(v.captured_at <= utc(flt.until))
    return query


_VERSION_COLUMNS = (
    t.versions.c.article_id, t.versions.c.version, t.versions.c.change, t.versions.c.captured_at,
    t.versions.c.warc_filename, t.versions.c.warc_offset, t.versions.c.warc_length,
    t.versions.c.warc_record_id, t.versions.c.record, t.versions.c.edit_types, t.articles.c.site,
)  # fmt: skip
_JOIN = t.versions.join(t.articles, t.articles.c.id == t.versions.c.article_id)


class RowSource:
    """Rows of one view under one filter, in `article_id, version` order, `batch_size` at a time."""

    def __init__(self, catalog: Catalog, view: str, flt: ExportFilter | None = None,
                 batch_size: int = DEFAULT_BATCH_SIZE) -> None:  # fmt: skip
        view_columns(view)  # validates the name
        self.catalog = catalog
        self.view = view
        self.filter = flt or ExportFilter()
        self.batch_size = batch_size

    # -- counting (for the progress bar) ---------------------------------------------------
    def count(self) -> int:
        if self.view == "versions":
            query = _window(select(func.count()).select_from(_JOIN), self.filter)
        elif not self.filter.has_window:
            query = (
                select(func.count()).select_from(t.articles).where(t.articles.c.latest_version > 0)
            )
            if self.filter.sites:
                query = query.where(t.articles.c.site.in_(self.filter.sites))
        else:
            inner = _window(
                select(t.versions.c.article_id).select_from(_JOIN), self.filter
            ).distinct()
            query = select(func.count()).select_from(inner.subquery())
        with self.catalog.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    # -- streaming -------------------------------------------------------------------------
    def batches(self) -> Iterator[list[dict[str, Any]]]:
        """Lists of at most `batch_size` rows (every column of the view, Python values)."""
        with self.catalog.engine.connect() as conn:
            fetch = self._versions_batch if self.view == "versions" else self._latest_batch
            after: tuple[str, int] | None = None
            while True:
                raw = fetch(conn, after)
                if not raw:
                    return
                after = (raw[-1]["article_id"], raw[-1]["version"])
                shape = versions_row if self.view == "versions" else latest_row
                yield [shape(r) for r in raw]
                if len(raw) < self.batch_size:
                    return

    def rows(self) -> Iterator[dict[str, Any]]:
        for batch in self.batches():
            yield from batch

    def _versions_batch(
        self, conn: Connection, after: tuple[str, int] | None
    ) -> list[dict[str, Any]]:
        v = t.versions.c
        query = _window(select(*_VERSION_COLUMNS).select_from(_JOIN), self.filter)
        if after is not None:
            query = query.where(
                or_(v.article_id > after[0], and_(v.article_id == after[0], v.version > after[1]))
            )
        query = query.order_by(v.article_id, v.version).limit(self.batch_size)
        return [dict(r._mapping) for r in conn.execute(query)]

    def _latest_batch(
        self, conn: Connection, after: tuple[str, int] | None
    ) -> list[dict[str, Any]]:
        v, a = t.versions.c, t.articles.c
        if not self.filter.has_window:
            query = (
                select(*_VERSION_COLUMNS)
                .select_from(t.versions.join(t.articles, and_(a.id == v.article_id, a.latest_version == v.version)))
            )  # fmt: skip
            if self.filter.sites:
                query = query.where(a.site.in_(self.filter.sites))
            if after is not None:
                query = query.where(a.id > after[0])
            query = query.order_by(a.id).limit(self.batch_size)
            return [dict(r._mapping) for r in conn.execute(query)]
        # Newest version inside the window: pick (article, max version) for one batch of
        # articles, then read those versions.
        newest = _window(select(v.article_id, func.max(v.version)).select_from(_JOIN), self.filter)
        if after is not None:
            newest = newest.where(v.article_id > after[0])
        newest = newest.group_by(v.article_id).order_by(v.article_id).limit(self.batch_size)
        keys = [(row[0], row[1]) for row in conn.execute(newest)]
        if not keys:
            return []
        query = (
            select(*_VERSION_COLUMNS).select_from(_JOIN)
            .where(tuple_(v.article_id, v.version).in_(keys))
            .order_by(v.article_id)
        )  # fmt: skip
        return [dict(r._mapping) for r in conn.execute(query)]


def _warc_pointer(raw: dict[str, Any]) -> dict[str, Any] | None:
    record_warc = (raw["record"] or {}).get("warc")
    if record_warc:
        return {k: record_warc.get(k) for k in ("filename", "offset", "length", "record_id")}
    if raw["warc_filename"] is None:
        return None
    return {"filename": raw["warc_filename"], "offset": raw["warc_offset"],
            "length": raw["warc_length"], "record_id": raw["warc_record_id"]}  # fmt: skip


_DIFF_KEYS = (
    "from_version",
    "chars_added",
    "chars_removed",
    "paragraphs_added",
    "paragraphs_removed",
    "unified",
)


def _dates(rec: dict[str, Any]) -> dict[str, Any]:
    """A record's dates as the export's columns: instants and days apart (archive/dates.py)."""
    sources = rec.get("dates_source") or {}
    values: dict[str, Any] = {}
    for name, day in (("published_at", "published_date"), ("modified_at", "modified_date")):
        values[name] = as_instant(rec.get(name), sources.get(name))
        values[day] = as_day(rec.get(name), sources.get(name))
    return values


def _edit_types(raw: dict[str, Any], rec: dict[str, Any]) -> list[str] | None:
    """The version's edit types: its catalog column, else its record (None: not computed)."""
    types = raw.get("edit_types")
    if types is None:
        types = rec.get("edit_types")
    return list(types) if types is not None else None


_EXTRACTOR_KEYS = ("parser", "rules", "newsarchive", "trafilatura")


def _extractor(rec: dict[str, Any]) -> dict[str, Any] | None:
    """A record's extractor provenance (None: made before provenance was recorded)."""
    found = rec.get("extractor")
    if not found:
        return None
    return {k: found.get(k) for k in _EXTRACTOR_KEYS}


def _extractor_columns(extractor: dict[str, Any]) -> dict[str, Any]:
    return {"extractor_parser": extractor.get("parser"), "extractor_rules": extractor.get("rules"),
            "extractor_version": extractor.get("newsarchive"),
            "trafilatura_version": extractor.get("trafilatura")}  # fmt: skip


def _reextract_of(rec: dict[str, Any]) -> int | None:
    of = rec.get("reextract_of") or {}
    return of.get("version") if isinstance(of, dict) else None


def extractor_label(extractor: dict[str, Any] | None) -> str:
    """One line naming an extractor, as the dataset card lists them."""
    if not extractor or not extractor.get("parser"):
        return "unknown: made before provenance was recorded"
    return (f"{extractor.get('parser')} · rules {extractor.get('rules')} · newsarchive "
            f"{extractor.get('newsarchive')} · trafilatura {extractor.get('trafilatura')}")  # fmt: skip


def latest_row(raw: dict[str, Any]) -> dict[str, Any]:
    """A version as a row with the columns of a JSON record (dates as datetimes and dates)."""
    rec = raw["record"] or {}
    dates_source = rec.get("dates_source") or {}
    precision = record_precision(rec)  # records before `dates_precision` included
    dates = _dates(rec)
    diff = rec.get("diff")
    return {
        "article_id": raw["article_id"],
        "site": raw["site"],
        "url": rec.get("url"),
        "canonical_url": rec.get("canonical_url"),
        "version": raw["version"],
        "change": raw["change"],
        "reverted_to": rec.get("reverted_to"),
        "changed_fields": list(rec.get("changed_fields") or []),
        "changed_dates": list(rec.get("changed_dates") or []),
        "edit_types": _edit_types(raw, rec),
        "title": rec.get("title"),
        "authors": list(rec.get("authors") or []),
        "text": rec.get("text"),
        "language": rec.get("language"),
        "section": rec.get("section"),
        **dates,
        "dates_source": {
            "published_at": dates_source.get("published_at"),
            "modified_at": dates_source.get("modified_at"),
        },
        "dates_precision": {
            "published_at": precision.get("published_at"),
            "modified_at": precision.get("modified_at"),
        },
        "captured_at": utc(raw["captured_at"]),
        "content_sha256": rec.get("content_sha256"),
        "warc": _warc_pointer(raw),
        "diff": {k: diff.get(k) for k in _DIFF_KEYS} if diff else None,
        "run_id": rec.get("run_id"),
        "extractor": _extractor(rec),
        "reextract_of": _reextract_of(rec),
    }


def versions_row(raw: dict[str, Any]) -> dict[str, Any]:
    """A version as one flat row: diff statistics and WARC pointer as columns."""
    rec = raw["record"] or {}
    diff = rec.get("diff") or {}
    warc = _warc_pointer(raw) or {}
    return {
        "article_id": raw["article_id"],
        "site": raw["site"],
        "url": rec.get("url"),
        "version": raw["version"],
        "captured_at": utc(raw["captured_at"]),
        "change": raw["change"],
        "reverted_to": rec.get("reverted_to"),
        "changed_fields": list(rec.get("changed_fields") or []),
        "edit_types": _edit_types(raw, rec),
        "diff_from_version": diff.get("from_version"),
        "chars_added": diff.get("chars_added"),
        "chars_removed": diff.get("chars_removed"),
        "paragraphs_added": diff.get("paragraphs_added"),
        "paragraphs_removed": diff.get("paragraphs_removed"),
        "title": rec.get("title"),
        "authors": list(rec.get("authors") or []),
        "text": rec.get("text"),
        **_dates(rec),
        "language": rec.get("language"),
        "section": rec.get("section"),
        "canonical_url": rec.get("canonical_url"),
        "content_sha256": rec.get("content_sha256"),
        "warc_filename": warc.get("filename"),
        "warc_offset": warc.get("offset"),
        "warc_length": warc.get("length"),
        "warc_record_id": warc.get("record_id"),
        **_extractor_columns(_extractor(rec) or {}),
        "reextract_of": _reextract_of(rec),
    }


@dataclass
class ExportStats:
    """What went into an export, counted while streaming (rows arrive sorted by article)."""

    rows: int = 0
    articles: int = 0
    per_site: dict[str, dict[str, int]] = field(default_factory=dict)
    first_captured: datetime | None = None
    last_captured: datetime | None = None
    # ISO 8601, at the precision the pages give (a day sorts before that day's times)
    first_published: str | None = None
    last_published: str | None = None
    # extractor label (extractor_label) → rows made by it; change → rows
    extractors: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    _last_article: str | None = None

    def add(self, row: dict[str, Any]) -> None:
        self.rows += 1
        site = self.per_site.setdefault(row["site"], {"rows": 0, "articles": 0})
        site["rows"] += 1
        if row["article_id"] != self._last_article:
            self._last_article = row["article_id"]
            self.articles += 1
            site["articles"] += 1
        if "extractor" in row:
            extractor = row["extractor"]
        else:
            extractor = {"parser": row.get("extractor_parser"), "rules": row.get("extractor_rules"),
                         "newsarchive": row.get("extractor_version"),
                         "trafilatura": row.get("trafilatura_version")}  # fmt: skip
        label = extractor_label(extractor)
        self.extractors[label] = self.extractors.get(label, 0) + 1
        change = str(row.get("change"))
        self.changes[change] = self.changes.get(change, 0) + 1
        captured = row.get("captured_at")
        moment, day = row.get("published_at"), row.get("published_date")
        published = (
            export_iso(moment)
            if moment is not None
            else day.isoformat()
            if day is not None
            else None
        )
        if captured is not None:
            self.first_captured = min(self.first_captured or captured, captured)
            self.last_captured = max(self.last_captured or captured, captured)
        if published is not None:
            self.first_published = min(self.first_published or published, published)
            self.last_published = max(self.last_published or published, published)
