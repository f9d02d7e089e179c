"""runs and job runs carry the host that ran them; runs their data directory

A shared catalog (PostgreSQL, several machines) must not judge another machine's run by a
pid of this one: crash repair only looks at runs of its own host and data directory
(archive/repair.py; several workers of one host each have their own), and a starting
scheduler only closes job runs it can check (newsarchive/scheduling/runs.py). Rows written before
this revision have no host or data directory (NULL): they count as this host's and this
directory's, as before.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


_NEW_COLUMNS = (
    ("runs", "host", sa.String(length=255)),
    ("runs", "data_dir", sa.Text()),
    ("job_runs", "host", sa.String(length=255)),
)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    for table, name, type_ in _NEW_COLUMNS:
        # A database made by `metadata.create_all` of newer code and then stamped (see
        # archive/migrations/__init__.py) may have the column already.
        if name in {c["name"] for c in inspector.get_columns(table)}:
            continue
        # SQLite: ADD COLUMN in place (batch mode copies a table only when it must).
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for table, name, _type in reversed(_NEW_COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(name)
