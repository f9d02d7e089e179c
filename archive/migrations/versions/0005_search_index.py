"""search index: full-text search over every version, its added and removed sentences

SQLite gets an FTS5 table (external content: the version text is read from
`versions.record`, not stored twice), PostgreSQL tsvector columns with GIN indexes; both
described in archive/search_schema.py, which also creates them on a new catalog. An
archive of at most search_index.BUILD_IN_MIGRATION versions is indexed here, in the migration's
transaction (seconds); a larger one is marked `pending` so that start-up is not held for
minutes: `newsarchive search --rebuild` (archive.search_index.rebuild) builds it in
batches, and searching says so until then.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from archive import search_index, search_schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    search_schema.create_schema(conn)
    versions = conn.execute(sa.text("SELECT count(*) FROM versions")).scalar_one()
    if versions > search_index.BUILD_IN_MIGRATION:
        search_schema.set_state(conn, "pending")
    elif versions:
        search_index.build_in_transaction(conn)


def downgrade() -> None:
    search_schema.drop_schema(op.get_bind())
