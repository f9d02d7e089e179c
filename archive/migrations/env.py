"""Alembic environment: the catalog's metadata; a connection handed in by `upgrade()`, or
the URL of `sqlalchemy.url` / env NEWSARCHIVE_CATALOG_URL when run from the alembic CLI."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from archive.catalog_schema import metadata
from archive.search_schema import include_name

config = context.config


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite: ALTER via table copies
        compare_type=True,
        include_name=include_name,  # the search index's dialect-specific tables are not in metadata
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = os.environ.get("NEWSARCHIVE_CATALOG_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set NEWSARCHIVE_CATALOG_URL to the catalog's database URL")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
