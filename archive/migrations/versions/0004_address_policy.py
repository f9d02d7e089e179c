"""articles keep the address policy they were first archived under

`articles.address_policy` holds crawler/address_policy.py's `AddressPolicy.spec` of the
fetch that made the article ("public", "public+127.0.0.1/32", "any"). A recheck fetches the
article under that policy narrowed by the current one, so a later, wider config (a local
mirror allowed) never widens what an article archived under the strict policy may reach.
Rows written before this revision have NULL: the current policy applies to them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    # A database made by `metadata.create_all` of newer code and then stamped may have it.
    if "address_policy" in {c["name"] for c in inspector.get_columns("articles")}:
        return
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address_policy", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("address_policy")
