"""The dataset's columns: one documented schema per view, and its Arrow form.

Two views of the archive:
- `latest`: one row per article, its newest version, with the columns of a JSON record
  (docs/reference.md, "JSON record"), nested values (`dates_source`, `warc`, `diff`) kept as structs;
- `versions`: one flat row per version (the NewsEdits shape): diff statistics and the WARC
  pointer as plain columns, no unified diff.

Timestamps are `timestamp[us, tz=UTC]` in Parquet, ISO 8601 strings ending in `Z` in JSONL
and CSV; days (`published_date`, `modified_date`) are `date32` in Parquet, `YYYY-MM-DD` in
JSONL and CSV; lists are `list<string>`. A page's dates keep the precision it gives them
(archive/dates.py): a time of day goes into `published_at` / `modified_at`, a day without
one into `published_date` / `modified_date`, never as an invented midnight. The README's
"Export" section renders this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

VIEWS = ("latest", "versions")

TIMESTAMP = pa.timestamp("us", tz="UTC")
STRINGS = pa.list_(pa.string())
DAY = pa.date32()
DATES_SOURCE = pa.struct([("published_at", pa.string()), ("modified_at", pa.string())])
DATES_PRECISION = DATES_SOURCE
WARC_POINTER = pa.struct(
    [
        ("filename", pa.string()),
        ("offset", pa.int64()),
        ("length", pa.int64()),
        ("record_id", pa.string()),
    ]
)
DIFF = pa.struct(
    [
        ("from_version", pa.int32()),
        ("chars_added", pa.int64()),
        ("chars_removed", pa.int64()),
        ("paragraphs_added", pa.int32()),
        ("paragraphs_removed", pa.int32()),
        ("unified", pa.string()),
    ]
)


@dataclass(frozen=True)
class Column:
    """One dataset column: its name, Arrow type, a short type label and what it holds."""

    name: str
    type: pa.DataType
    label: str
    description: str


def _c(name: str, type_: pa.DataType, label: str, description: str) -> Column:
    return Column(name, type_, label, description)


_ARTICLE_ID = _c(
    "article_id",
    pa.string(),
    "string",
    "stable article id (16 hex digits of SHA-256 of the normalised URL)",
)
_SITE = _c("site", pa.string(), "string", "site profile name")
_URL = _c("url", pa.string(), "string", "final URL fetched (after redirects)")
_CANONICAL = _c("canonical_url", pa.string(), "string", "the page's rel=canonical URL, or null")
_VERSION = _c("version", pa.int32(), "int32", "1, 2, 3 …")
_CAPTURED = _c(
    "captured_at", TIMESTAMP, "timestamp[us, UTC]", "when this version was captured (the WARC date)"
)
_CHANGE = _c(
    "change",
    pa.string(),
    "string",
    "new, edit, revert, or reextract (the same capture read again by a newer extractor: not an edit)",
)
EXTRACTOR = pa.struct(
    [
        ("parser", pa.string()),
        ("rules", pa.string()),
        ("newsarchive", pa.string()),
        ("trafilatura", pa.string()),
    ]
)
_REEXTRACT_OF = _c(
    "reextract_of",
    pa.int32(),
    "int32",
    "for a reextract: the version whose capture was read again, else null",
)
_REVERTED = _c(
    "reverted_to", pa.int32(), "int32", "for a revert: the earlier version it equals, else null"
)
_CHANGED = _c(
    "changed_fields",
    STRINGS,
    "list<string>",
    "which of title, authors, text differ from the previous version",
)
_CHANGED_DATES = _c(
    "changed_dates",
    STRINGS,
    "list<string>",
    "which of published_at, modified_at differ from the previous version",
)
_EDIT_TYPES = _c(
    "edit_types",
    STRINGS,
    "list<string>",
    "the kinds of edit that made this version (headline, byline, append, correction, numbers, "
    "minor, rewrite, stealth …: README); [] for version 1; null when not computed yet",
)
_TITLE = _c("title", pa.string(), "string", "headline")
_AUTHORS = _c("authors", STRINGS, "list<string>", "bylines, one name per item")
_TEXT = _c("text", pa.string(), "string", "article text; paragraphs separated by a blank line")
_LANGUAGE = _c("language", pa.string(), "string", "language code, or null")
_SECTION = _c("section", pa.string(), "string", "site section, or null")
_PUBLISHED = _c(
    "published_at",
    TIMESTAMP,
    "timestamp[us, UTC]",
    "publication time the page declares, to the second; null when it gives only a day (published_date) or none",
)
_PUBLISHED_DAY = _c(
    "published_date",
    DAY,
    "date32",
    "publication day, when the page gives a date without a time of day (as printed, no time zone); else null",
)
_MODIFIED = _c(
    "modified_at",
    TIMESTAMP,
    "timestamp[us, UTC]",
    "last-modified time the page declares, to the second; null when it gives only a day (modified_date) or none",
)
_MODIFIED_DAY = _c(
    "modified_date",
    DAY,
    "date32",
    "last-modified day, when the page gives a date without a time of day; else null",
)
_SHA = _c(
    "content_sha256", pa.string(), "string", "SHA-256 of the normalised title, authors and text"
)

LATEST_COLUMNS: tuple[Column, ...] = (
    _ARTICLE_ID, _SITE, _URL, _CANONICAL, _VERSION, _CHANGE, _REVERTED, _CHANGED, _CHANGED_DATES,
    _EDIT_TYPES, _TITLE, _AUTHORS, _TEXT, _LANGUAGE, _SECTION, _PUBLISHED, _PUBLISHED_DAY, _MODIFIED, _MODIFIED_DAY,
    _c("dates_source", DATES_SOURCE, "struct<published_at: string, modified_at: string>",
       "where each date came from (page:timestamp, page:dateline, json-ld, meta, htmldate)"),
    _c("dates_precision", DATES_PRECISION, "struct<published_at: string, modified_at: string>",
       "how precise each date is: second (a time of day) or day (a date alone)"),
    _CAPTURED, _SHA,
    _c("warc", WARC_POINTER, "struct<filename: string, offset: int64, length: int64, record_id: string>",
       "the WARC response record holding this version"),
    _c("diff", DIFF, "struct<from_version: int32, chars_added: int64, chars_removed: int64, "
       "paragraphs_added: int32, paragraphs_removed: int32, unified: string>",
       "from version 2 on: the change from the previous version, else null"),
    _c("run_id", pa.string(), "string", "the crawl run that captured it"),
    _c("extractor", EXTRACTOR, "struct<parser: string, rules: string, newsarchive: string, trafilatura: string>",
       "the extractor that made this version: parser, hash of its rules, software versions; null: "
       "made before provenance was recorded"),
    _REEXTRACT_OF,
)  # fmt: skip

VERSIONS_COLUMNS: tuple[Column, ...] = (
    _ARTICLE_ID, _SITE, _URL, _VERSION, _CAPTURED, _CHANGE, _REVERTED, _CHANGED, _EDIT_TYPES,
    _c("diff_from_version", pa.int32(), "int32", "the version this one is compared with (null for version 1)"),
    _c("chars_added", pa.int64(), "int64", "characters added since the previous version (null for version 1)"),
    _c("chars_removed", pa.int64(), "int64", "characters removed since the previous version (null for version 1)"),
    _c("paragraphs_added", pa.int32(), "int32", "paragraphs added (null for version 1)"),
    _c("paragraphs_removed", pa.int32(), "int32", "paragraphs removed (null for version 1)"),
    _TITLE, _AUTHORS, _TEXT, _PUBLISHED, _PUBLISHED_DAY, _MODIFIED, _MODIFIED_DAY, _LANGUAGE, _SECTION,
    _CANONICAL, _SHA,
    _c("warc_filename", pa.string(), "string", "WARC file holding the response record"),
    _c("warc_offset", pa.int64(), "int64", "offset of the record's gzip member in that file"),
    _c("warc_length", pa.int64(), "int64", "length of that gzip member"),
    _c("warc_record_id", pa.string(), "string", "WARC-Record-ID of the response record"),
    _c("extractor_parser", pa.string(), "string", "the parser that made this version (null: before provenance was recorded)"),
    _c("extractor_rules", pa.string(), "string", "short hash of that parser's rules"),
    _c("extractor_version", pa.string(), "string", "newsarchive's version when it was extracted"),
    _c("trafilatura_version", pa.string(), "string", "trafilatura's version when it was extracted"),
    _REEXTRACT_OF,
)  # fmt: skip

TIMESTAMP_COLUMNS = frozenset(
    c.name for c in LATEST_COLUMNS + VERSIONS_COLUMNS if c.type == TIMESTAMP
)


class UnknownFields(ValueError):
    """`--fields` named columns the view does not have."""


def view_columns(view: str) -> tuple[Column, ...]:
    if view == "latest":
        return LATEST_COLUMNS
    if view == "versions":
        return VERSIONS_COLUMNS
    raise ValueError(f"unknown view {view!r}: choose one of {', '.join(VIEWS)}")


def select_columns(view: str, fields: list[str] | None = None) -> tuple[Column, ...]:
    """The view's columns, or the ones `fields` names, in the order given."""
    columns = view_columns(view)
    if not fields:
        return columns
    by_name = {c.name: c for c in columns}
    unknown = [f for f in fields if f not in by_name]
    if unknown:
        raise UnknownFields(
            f"unknown field(s) for the {view} view: {', '.join(unknown)}; "
            f"known: {', '.join(by_name)}"
        )
    seen: dict[str, Column] = {}
    for f in fields:
        seen.setdefault(f, by_name[f])
    return tuple(seen.values())


def arrow_schema(columns: tuple[Column, ...]) -> pa.Schema:
    """The Arrow schema of these columns (every column nullable, per-column descriptions kept)."""
    return pa.schema(
        [
            pa.field(c.name, c.type, nullable=True, metadata={"description": c.description})
            for c in columns
        ]
    )
