"""Notifications of schedule runs: one row per run and target, with every attempt.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("schedule", sa.String(100), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("schedule_runs.id"), nullable=True),
        sa.Column("target_index", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("events", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("log", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_notifications_due", "notifications", ["status", "next_attempt_at"])
    op.create_index("ix_notifications_schedule_id", "notifications", ["schedule", "id"])


def downgrade() -> None:
    op.drop_table("notifications")
