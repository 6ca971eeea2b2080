"""Retention of the service's own evidence: legal holds and the log of deletions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("scan_id", sa.Integer(), sa.ForeignKey("scans.id"), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(100), nullable=False),
        sa.Column("placed_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "retention_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("registry", sa.String(512), nullable=False),
        sa.Column("scan_created_at", sa.DateTime(), nullable=False),
        sa.Column("snapshot_digest", sa.String(80), nullable=False),
        sa.Column("snapshot_deleted", sa.Boolean(), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("retention_log")
    op.drop_table("legal_holds")
