"""notifications outbox: events, their deliveries to each target, every delivery attempt

`notify_events` is written in the transaction that records a version (archive/versions.py)
or at the end of a run (site health); `newsarchive notify run` fans each event out into one
`notify_deliveries` row per matching webhook or channel and records every HTTP attempt in
`notify_attempts` (archive/outbox.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made by `metadata.create_all` of newer code and then stamped may have them.
    tables = set(sa.inspect(op.get_bind()).get_table_names())
    if "notify_events" not in tables:
        op.create_table(
            "notify_events",
            sa.Column("id", sa.String(length=40), nullable=False),
            sa.Column("type", sa.String(length=32), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("site", sa.String(length=64), nullable=True),
            sa.Column("article_id", sa.String(length=32), nullable=True),
            sa.Column("version", sa.Integer(), nullable=True),
            sa.Column("payload", sa.JSON(), nullable=False),
            sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_notify_events_pending", "notify_events", ["dispatched_at", "id"])
        op.create_index("ix_notify_events_site", "notify_events", ["site", "type", "created_at"])
    if "notify_deliveries" not in tables:
        op.create_table(
            "notify_deliveries",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("event_id", sa.String(length=40), nullable=False),
            sa.Column("target", sa.String(length=128), nullable=False),
            sa.Column("state", sa.String(length=16), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("last_error", sa.Text(), nullable=True),
            sa.ForeignKeyConstraint(["event_id"], ["notify_events.id"]),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("event_id", "target"),
        )
        op.create_index(
            "ix_notify_deliveries_due", "notify_deliveries", ["state", "next_attempt_at"]
        )
    if "notify_attempts" not in tables:
        op.create_table(
            "notify_attempts",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("delivery_id", sa.Integer(), nullable=False),
            sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("status", sa.Integer(), nullable=True),
            sa.Column("error", sa.Text(), nullable=True),
            sa.Column("duration_ms", sa.Integer(), nullable=True),
            sa.Column("digest_size", sa.Integer(), nullable=True),
            sa.ForeignKeyConstraint(["delivery_id"], ["notify_deliveries.id"]),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_notify_attempts_delivery", "notify_attempts", ["delivery_id"])
        op.create_index("ix_notify_attempts_at", "notify_attempts", ["attempted_at"])


def downgrade() -> None:
    op.drop_table("notify_attempts")
    op.drop_table("notify_deliveries")
    op.drop_table("notify_events")
