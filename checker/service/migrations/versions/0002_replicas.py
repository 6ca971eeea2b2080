"""Replicas: claimed schedule slots (with leases), the replica of each run, and dashboard
sessions in the database.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("schedule_runs") as batch:
        batch.add_column(sa.Column("replica", sa.String(200), nullable=True))
    op.create_table(
        "schedule_slots",
        sa.Column("schedule", sa.String(100), primary_key=True),
        sa.Column("slot", sa.DateTime(), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("schedule_runs.id"), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_schedule_slots_open", "schedule_slots", ["done", "lease_until"])
    op.create_table(
        "dashboard_sessions",
        sa.Column("id_sha256", sa.String(64), primary_key=True),
        sa.Column("principal", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_dashboard_sessions_expires", "dashboard_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("dashboard_sessions")
    op.drop_table("schedule_slots")
    with op.batch_alter_table("schedule_runs") as batch:
        batch.drop_column("replica")
