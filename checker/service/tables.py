"""The service's tables (SQLAlchemy 2 declarative). Alembic migrations create them.

Times are naive UTC datetimes: SQLite has no time-zone type, and one convention on both
databases keeps comparisons and ordering identical.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary,
                        String, Text)
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
    replica: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (Index("ix_schedule_runs_schedule_id", "schedule", "id"),)


class SlotClaimRow(Base):
    """A schedule's slot claimed by one replica: the primary key makes the claim unique, the
    lease (renewed while the run goes) lets another replica take over a slot whose replica
    died. `done` once the run is recorded: the slot never runs again."""

    __tablename__ = "schedule_slots"

    schedule: Mapped[str] = mapped_column(String(100), primary_key=True)
    slot: Mapped[datetime] = mapped_column(DateTime(), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    lease_until: Mapped[datetime] = mapped_column(DateTime())
    claimed_at: Mapped[datetime] = mapped_column(DateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("schedule_runs.id"), nullable=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_schedule_slots_open", "done", "lease_until"),)


class DashboardSessionRow(Base):
    """A dashboard login: the SHA-256 of the cookie's random id (never the id itself), whose
    it is, and when it expires. In the database, so it works on every replica and survives
    restarts."""

    __tablename__ = "dashboard_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime())
    expires_at: Mapped[datetime] = mapped_column(DateTime())

    __table_args__ = (Index("ix_dashboard_sessions_expires", "expires_at"),)


class NotificationRow(Base):
    """One notification of a schedule's run to one target: its body as sent, and every
    attempt (`log`, a line each) until delivered or given up."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    schedule: Mapped[str] = mapped_column(String(100))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("schedule_runs.id"), nullable=True)
    target_index: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(300))
    events: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text())
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime())
    created_at: Mapped[datetime] = mapped_column(DateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text(), nullable=True)
    log: Mapped[str] = mapped_column(Text(), default="")

    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),
                      Index("ix_notifications_schedule_id", "schedule", "id"))


class LegalHoldRow(Base):
    """A scan under legal hold: retention never deletes it (nor its snapshot)."""

    __tablename__ = "legal_holds"

    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text())
    placed_by: Mapped[str] = mapped_column(String(100))
    placed_at: Mapped[datetime] = mapped_column(DateTime())


class RetentionLogRow(Base):
    """A scan retention deleted (and whether its snapshot went with it)."""

    __tablename__ = "retention_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deleted_at: Mapped[datetime] = mapped_column(DateTime())
    scan_id: Mapped[int] = mapped_column(Integer)
    registry_name: Mapped[str] = mapped_column("registry", String(512))
    scan_created_at: Mapped[datetime] = mapped_column(DateTime())
    snapshot_digest: Mapped[str] = mapped_column(String(80))
    snapshot_deleted: Mapped[bool] = mapped_column(Boolean)
    rule: Mapped[str] = mapped_column(String(200))
