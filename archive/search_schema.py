"""The search index's tables: dialect-specific DDL kept beside the catalog's metadata.

SQLite (the embedded catalog):
- `search_docs`: one row per indexed version — its key, site, capture time, title, authors,
  the sentences the edit added and removed, its edit types. `id` is the full-text row id:
  the capture time in milliseconds since the epoch (the next free one when two share a
  millisecond), so a date range is a row-id range and "newest first" is row-id order.
- `search_content`: a view giving the full-text table its columns: the version's text is
  read from `versions.record` (never stored twice), the site as one word (`site_token`).
- `search_fts`: FTS5, external content (`search_content`), columns title, authors, text,
  added, removed, site; `unicode61 remove_diacritics 2`; a prefix index for 3 letters
  (the shortest prefix a query may have: answered from the index, not by merging the
  thousands of words it starts).
- `search_vocab`: every word indexed, so that a longer prefix becomes an OR of the words
  it starts (FTS5 would merge all their postings before returning the first match).

PostgreSQL (the shared catalog): `search_docs` with the same facts plus three tsvector
columns (`tsv`: title A, authors B, text D; `tsv_added`; `tsv_removed`), each with a GIN
index, and B-tree indexes for the site and date filters. Vectors are built from the words
`search_query.tokens` finds, so both backends split and fold text alike.

`search_meta` holds the index's state: `ready`, or `pending` (the migration found an
archive too large to index while it ran: `search --rebuild` builds it).

None of these tables are in `catalog_schema.metadata`: `is_search_object` lets schema
comparisons (alembic autogenerate, tests) leave them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from archive.search_query import MAX_INDEXED_CHARS

SEARCH_TABLES = ("search_docs", "search_fts", "search_vocab", "search_meta")
FTS_COLUMNS = ("title", "authors", "text", "added", "removed", "site")

_SQLITE = (
    """CREATE TABLE IF NOT EXISTS search_docs (
        id INTEGER PRIMARY KEY,
        article_id VARCHAR(32) NOT NULL,
        version INTEGER NOT NULL,
        site VARCHAR(64) NOT NULL,
        captured_at VARCHAR(40) NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        authors TEXT NOT NULL DEFAULT '',
        added TEXT NOT NULL DEFAULT '',
        removed TEXT NOT NULL DEFAULT '',
        edit_types TEXT NOT NULL DEFAULT '[]',
        UNIQUE (article_id, version)
    )""",
    f"""CREATE VIEW IF NOT EXISTS search_content AS
        SELECT d.id AS id, d.title AS title, d.authors AS authors,
               substr(json_extract(v.record, '$.text'), 1, {MAX_INDEXED_CHARS}) AS text,
               d.added AS added, d.removed AS removed, 'x' || lower(hex(d.site)) AS site
        FROM search_docs d JOIN versions v ON v.article_id = d.article_id AND v.version = d.version""",
    """CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        title, authors, text, added, removed, site,
        content='search_content', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2', prefix='3'
    )""",
    "CREATE TABLE IF NOT EXISTS search_vocab (term TEXT PRIMARY KEY) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS search_meta (key VARCHAR(32) PRIMARY KEY, value TEXT)",
)

_POSTGRES = (
    """CREATE TABLE IF NOT EXISTS search_docs (
        article_id VARCHAR(32) NOT NULL,
        version INTEGER NOT NULL,
        site VARCHAR(64) NOT NULL,
        captured_at TIMESTAMP WITH TIME ZONE NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        authors TEXT NOT NULL DEFAULT '',
        added TEXT NOT NULL DEFAULT '',
        removed TEXT NOT NULL DEFAULT '',
        edit_types JSON NOT NULL DEFAULT '[]',
        tsv TSVECTOR NOT NULL,
        tsv_added TSVECTOR NOT NULL,
        tsv_removed TSVECTOR NOT NULL,
        PRIMARY KEY (article_id, version)
    )""",
    "CREATE INDEX IF NOT EXISTS search_docs_tsv ON search_docs USING GIN (tsv)",
    "CREATE INDEX IF NOT EXISTS search_docs_tsv_added ON search_docs USING GIN (tsv_added)",
    "CREATE INDEX IF NOT EXISTS search_docs_tsv_removed ON search_docs USING GIN (tsv_removed)",
    "CREATE INDEX IF NOT EXISTS search_docs_captured ON search_docs (captured_at)",
    "CREATE INDEX IF NOT EXISTS search_docs_site ON search_docs (site, captured_at)",
    "CREATE TABLE IF NOT EXISTS search_meta (key VARCHAR(32) PRIMARY KEY, value TEXT)",
)


def is_search_object(name: str | None) -> bool:
    """Whether a table (or its index, or FTS5 shadow table) belongs to the search index."""
    return bool(name) and (
        name in SEARCH_TABLES or str(name).startswith(("search_fts_", "search_docs_"))
    )


def include_name(name: str | None, type_: str, parent_names: Mapping[Any, str | None]) -> bool:
    """Alembic's `include_name` hook: leave the search index out of schema comparisons."""
    if type_ == "table":
        return not is_search_object(name)
    return not is_search_object(parent_names.get("table_name")) and not is_search_object(name)


def create_schema(conn: Connection) -> None:
    """Create the search tables (idempotent); state `ready` for a new index."""
    for statement in _POSTGRES if conn.dialect.name == "postgresql" else _SQLITE:
        conn.exec_driver_sql(statement)
    if get_state(conn) is None:
        set_state(conn, "ready")


def drop_schema(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TABLE IF EXISTS search_fts")
        conn.exec_driver_sql("DROP VIEW IF EXISTS search_content")
        conn.exec_driver_sql("DROP TABLE IF EXISTS search_vocab")
    conn.exec_driver_sql("DROP TABLE IF EXISTS search_docs")
    conn.exec_driver_sql("DROP TABLE IF EXISTS search_meta")


def exists(conn: Connection) -> bool:
    return bool(inspect(conn).has_table("search_meta"))


def state_if_exists(conn: Connection) -> str | None:
    """The index's state; None when its tables do not exist (one cheap query)."""
    if conn.dialect.name == "postgresql":
        found = conn.exec_driver_sql("SELECT to_regclass('search_meta') IS NOT NULL").scalar()
    else:
        found = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'search_meta'"
        ).first()
    return get_state(conn) if found else None


def get_state(conn: Connection) -> str | None:
    row = conn.execute(text("SELECT value FROM search_meta WHERE key = 'state'")).first()
    return row[0] if row else None


def set_state(conn: Connection, state: str) -> None:
    conn.execute(text("DELETE FROM search_meta WHERE key = 'state'"))
    conn.execute(text("INSERT INTO search_meta (key, value) VALUES ('state', :v)"), {"v": state})
