"""Snapshots, scans and schedule runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "snapshots",
        sa.Column("digest", sa.String(80), primary_key=True),
        sa.Column("registry", sa.String(512), nullable=False),
        sa.Column("captured_at", sa.String(64), nullable=False),
        sa.Column("captured_at_utc", sa.DateTime(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_snapshots_registry_captured", "snapshots",
                    ["registry", "captured_at_utc"])
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("registry", sa.String(512), nullable=False),
        sa.Column("snapshot_digest", sa.String(80), sa.ForeignKey("snapshots.digest"),
                  nullable=False),
        sa.Column("captured_at", sa.String(64), nullable=False),
        sa.Column("captured_at_utc", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("requested_by", sa.String(100), nullable=False),
        sa.Column("verdict", sa.String(8), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("waived", sa.Integer(), nullable=False),
        sa.Column("critical", sa.Integer(), nullable=False),
        sa.Column("high", sa.Integer(), nullable=False),
        sa.Column("medium", sa.Integer(), nullable=False),
        sa.Column("low", sa.Integer(), nullable=False),
        sa.Column("compliance_rate", sa.Float(), nullable=False),
        sa.Column("policy_revision", sa.String(200), nullable=False),
        sa.Column("policy_digest", sa.String(80), nullable=False),
        sa.Column("engine", sa.String(100), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_scans_registry_id", "scans", ["registry", "id"])
    op.create_index("ix_scans_created", "scans", ["created_at"])
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("schedule", sa.String(100), nullable=False),
        sa.Column("slot", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("scan_id", sa.Integer(), sa.ForeignKey("scans.id"), nullable=True),
        sa.Column("scans", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index("ix_schedule_runs_schedule_id", "schedule_runs", ["schedule", "id"])


def downgrade() -> None:
    op.drop_table("schedule_runs")
    op.drop_table("scans")
    op.drop_table("snapshots")
