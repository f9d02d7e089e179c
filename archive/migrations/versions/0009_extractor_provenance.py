"""versions record which extractor made them

Four columns on `versions` (pipelines/extract/provenance.py): `extractor_parser` (the
parser: cnn-lite, npr-text, generic), `extractor_rules` (a short hash of that parser's rule
definition), `extractor_version` (newsarchive's version) and `trafilatura_version`. The same
values are in the version's JSON record (`extractor`). Rows written before this revision
have NULL: "unknown, made before provenance was recorded".

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = (
    ("extractor_parser", 32),
    ("extractor_rules", 16),
    ("extractor_version", 32),
    ("trafilatura_version", 32),
)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    # A database made by `metadata.create_all` of newer code and then stamped may have them.
    present = {c["name"] for c in inspector.get_columns("versions")}
    for name, length in COLUMNS:
        if name not in present:
            # A plain ALTER TABLE … ADD COLUMN (no batch copy of the versions table).
            op.add_column("versions", sa.Column(name, sa.String(length), nullable=True))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35, PostgreSQL): a batch copy of `versions`
    # would break the search index's view over it.
    for name, _length in reversed(COLUMNS):
        op.execute(sa.text(f"ALTER TABLE versions DROP COLUMN {name}"))
