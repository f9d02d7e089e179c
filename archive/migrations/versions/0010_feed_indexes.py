"""feed indexes: the change feeds read versions and suspect captures in capture order

`ix_versions_feed` (captured_at, article_id, version, change) covers the feeds' sequence
(newsarchive/feeds/query.py): counting the settled entries and finding a page read the
index only, never the versions' records. `ix_captures_outcome` (outcome, fetched_at) finds
the suspect captures.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    # A database made by `metadata.create_all` of newer code and then stamped may have them.
    if "ix_versions_feed" not in {i["name"] for i in inspector.get_indexes("versions")}:
        op.create_index(
            "ix_versions_feed", "versions", ["captured_at", "article_id", "version", "change"]
        )
    if "ix_captures_outcome" not in {i["name"] for i in inspector.get_indexes("captures")}:
        op.create_index("ix_captures_outcome", "captures", ["outcome", "fetched_at"])


def downgrade() -> None:
    op.drop_index("ix_captures_outcome", table_name="captures")
    op.drop_index("ix_versions_feed", table_name="versions")
