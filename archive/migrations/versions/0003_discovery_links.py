"""captures carry a listing page's discovery tally (links matched, followed, dropped by rule)

Every index page, feed and sitemap accounts for each link it offered (crawler/discovery.py):
the tally is stored with the listing's capture. Captures written before this revision, and
captures that are not listings, have none (NULL).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    # A database made by `metadata.create_all` of newer code and then stamped may have it.
    if "links" in {c["name"] for c in inspector.get_columns("captures")}:
        return
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("links", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("captures", schema=None) as batch_op:
        batch_op.drop_column("links")
