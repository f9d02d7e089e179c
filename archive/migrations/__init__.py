"""Alembic migrations of the catalog (SQLite and PostgreSQL), applied by `Catalog()` at start-up.

`upgrade(engine)` brings a database to the newest revision: an empty one gets every table,
one created by older code (tables, no `alembic_version`) is stamped with the initial
revision first. The check is one small query when the database is already current, and it
runs once per process and database URL.

New revision: `alembic -c archive/migrations/alembic.ini revision --autogenerate -m "..."`
(with `NEWSARCHIVE_CATALOG_URL` naming a database at head), then set `HEAD` below.
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Engine, inspect, text

HERE = Path(__file__).resolve().parent
HEAD = "0010"  # the newest revision id: keep equal to the script directory's head (tested)
INITIAL = "0001"
_checked: set[str] = set()
_lock = threading.Lock()


def alembic_config(url: str | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(HERE))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _current(conn) -> str | None:  # type: ignore[no-untyped-def]
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    """Migrate the catalog behind `engine` to HEAD (stamping pre-Alembic databases first)."""
    key = str(engine.url)
    if key in _checked:
        return
    with _lock:
        if key in _checked:
            return
        with engine.connect() as conn:
            current = _current(conn)
        if current != HEAD:
            _run_upgrade(engine)
        # A table added to catalog_schema without its revision yet still gets created
        # (tests/test_scaling.py's schema comparison reports the missing revision).
        from archive.catalog_schema import metadata

        metadata.create_all(engine)
        _checked.add(key)


def _run_upgrade(engine: Engine) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several workers starting at once on an empty database: one migrates, the
            # others wait here and find it done.
            conn.execute(text("SELECT pg_advisory_xact_lock(7245001)"))
        if _current(conn) == HEAD:
            return
        if not inspect(conn).get_table_names():
            # An empty database: the tables as they are at HEAD, without importing Alembic
            # (start-up time). tests/test_postgres_catalog.py checks that the revisions
            # produce exactly this schema.
            from archive import search_schema
            from archive.catalog_schema import metadata

            metadata.create_all(conn)
            search_schema.create_schema(conn)  # dialect-specific DDL, outside the metadata
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                              "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))  # fmt: skip
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": HEAD})
            return
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = conn
        tables = set(inspect(conn).get_table_names())
        if "alembic_version" not in tables and "articles" in tables:
            command.stamp(config, INITIAL)  # created by code older than the migrations
        command.upgrade(config, "head")
