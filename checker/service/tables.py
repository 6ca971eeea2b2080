"""The service's tables (SQLAlchemy 2 declarative). Alembic migrations create them.

Times are naive UTC datetimes: SQLite has no time-zone type, and one convention on both
databases keeps comparisons and ordering identical.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class SnapshotRow(Base):
    """A registry snapshot, stored once per digest (canonical JSON, zlib-compressed)."""

    __tablename__ = "snapshots"

    digest: Mapped[str] = mapped_column(String(80), primary_key=True)
    registry_name: Mapped[str] = mapped_column("registry", String(512))
    captured_at: Mapped[str] = mapped_column(String(64))
    captured_at_utc: Mapped[datetime] = mapped_column(DateTime())
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[datetime] = mapped_column(DateTime())

    __table_args__ = (Index("ix_snapshots_registry_captured", "registry", "captured_at_utc"),)


class ScanRow(Base):
    """One evaluation of a snapshot: its verdict, counts and the whole result document."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    registry_name: Mapped[str] = mapped_column("registry", String(512))
    snapshot_digest: Mapped[str] = mapped_column(ForeignKey("snapshots.digest"))
    captured_at: Mapped[str] = mapped_column(String(64))
    captured_at_utc: Mapped[datetime] = mapped_column(DateTime())
    created_at: Mapped[datetime] = mapped_column(DateTime())
    source: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(100))
    verdict: Mapped[str] = mapped_column(String(8))
    findings: Mapped[int] = mapped_column(Integer)
    waived: Mapped[int] = mapped_column(Integer)
    critical: Mapped[int] = mapped_column(Integer)
    high: Mapped[int] = mapped_column(Integer)
    medium: Mapped[int] = mapped_column(Integer)
    low: Mapped[int] = mapped_column(Integer)
    compliance_rate: Mapped[float] = mapped_column(Float)
    policy_revision: Mapped[str] = mapped_column(String(200))
    policy_digest: Mapped[str] = mapped_column(String(80))
    engine: Mapped[str] = mapped_column(String(100))
    result: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (Index("ix_scans_registry_id", "registry", "id"),
                      Index("ix_scans_created", "created_at"))


class ScheduleRunRow(Base):
    """One run of a schedule: running, succeeded (with its scan) or failed (with the error)."""

    __tablename__ = "schedule_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule: Mapped[str] = mapped_column(String(100))
    slot: Mapped[datetime] = mapped_column(DateTime())
    started_at: Mapped[datetime] = mapped_column(DateTime())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text(), nullable=True)
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("scans.id"), nullable=True)
    scans: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index("ix_schedule_runs_schedule_id", "schedule", "id"),)
