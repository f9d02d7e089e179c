"""versions keep their edit types

`versions.edit_types` holds the types of the edit that made the version
(archive/edit_types.py; the version's JSON record has the same list, from this revision
on): `[]` for a first version. Existing rows take them from the search index, which
computed them (migration 0005); on an archive whose index is still `pending` the rows
of later versions stay NULL until `newsarchive search --rebuild` fills them with the index.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from archive import search_schema

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    inspector = sa.inspect(conn)
    # A database made by `metadata.create_all` of newer code and then stamped may have it.
    if "edit_types" not in {c["name"] for c in inspector.get_columns("versions")}:
        with op.batch_alter_table("versions", schema=None) as batch_op:
            batch_op.add_column(sa.Column("edit_types", sa.JSON(), nullable=True))
    if search_schema.exists(conn):
        conn.execute(sa.text(
            "UPDATE versions SET edit_types = (SELECT d.edit_types FROM search_docs d "
            "WHERE d.article_id = versions.article_id AND d.version = versions.version) "
            "WHERE edit_types IS NULL"))  # fmt: skip
    empty = "'[]'" if conn.dialect.name == "sqlite" else "CAST('[]' AS json)"
    conn.execute(sa.text(f"UPDATE versions SET edit_types = {empty} WHERE version = 1"))


def downgrade() -> None:
    # Not a batch copy on SQLite: the search index's view reads `versions` (0005), and a
    # copied table cannot be renamed into its place while the view names it.
    op.drop_column("versions", "edit_types")
