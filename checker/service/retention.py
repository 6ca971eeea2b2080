"""Retention of the service's own evidence: stored scans (and snapshots no scan needs any
more) past the configured policy are deleted, and every deletion is logged.

Per registry, a scan is deleted once it is neither among the newest `keep_scans` nor
younger than `keep_days` (config.RetentionConfig). Never deleted: a registry's newest scan,
and a scan under legal hold (with its snapshot). A snapshot is deleted with the last scan of
it. Schedule runs keep their record, without the link to a deleted scan. One pass is one
transaction; on PostgreSQL replicas take turns under an advisory lock, so a deletion is
logged once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..errors import StoreError
from .config import RetentionConfig
from .store import Store, first_line, utcnow
from .tables import (LegalHoldRow, RetentionLogRow, ScanRow, ScheduleRunRow, SnapshotRow)

log = logging.getLogger("almguard.retention")
RETENTION_LOCK = 0x616C6D72   # "almr"


@dataclass(frozen=True)
class Deletion:
    scan_id: int
    registry: str
    scan_created_at: datetime
    snapshot_digest: str
    snapshot_deleted: bool
    rule: str
    deleted_at: datetime


@dataclass(frozen=True)
class Hold:
    scan_id: int
    reason: str
    placed_by: str
    placed_at: datetime


def _rule(policy: RetentionConfig) -> str:
    parts = ([f"beyond the newest {policy.keep_scans}"] if policy.keep_scans else []) + (
        [f"older than {policy.keep_days} days"] if policy.keep_days else [])
    return " and ".join(parts)


def apply_retention(store: Store, policy: RetentionConfig,
                    now: datetime | None = None) -> list[Deletion]:
    """One pass of the policy; returns what it deleted (also in the retention log)."""
    now = now or utcnow()
    cutoff = None if policy.keep_days is None else now - timedelta(days=policy.keep_days)
    rule = _rule(policy)
    try:
        with Session(store.engine) as session, session.begin():
            if store.engine.dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                {"key": RETENTION_LOCK})
            held = set(session.scalars(select(LegalHoldRow.scan_id)))
            rows = session.execute(select(ScanRow.id, ScanRow.registry_name,
                                          ScanRow.created_at, ScanRow.snapshot_digest)
                                   .order_by(ScanRow.registry_name, ScanRow.id.desc())).all()
            doomed = []
            place: dict[str, int] = {}
            for scan_id, registry, created, digest in rows:
                rank = place[registry] = place.get(registry, -1) + 1   # 0: the newest
                if rank == 0 or scan_id in held:
                    continue
                if policy.keep_scans is not None and rank < policy.keep_scans:
                    continue
                if cutoff is not None and created >= cutoff:
                    continue
                doomed.append((scan_id, registry, created, digest))
            if not doomed:
                return []
            ids = [d[0] for d in doomed]
            session.execute(update(ScheduleRunRow).where(ScheduleRunRow.scan_id.in_(ids))
                            .values(scan_id=None))
            session.execute(delete(ScanRow).where(ScanRow.id.in_(ids)))
            digests = {d[3] for d in doomed}
            still = set(session.scalars(select(ScanRow.snapshot_digest).where(
                ScanRow.snapshot_digest.in_(digests))))
            gone = digests - still
            if gone:
                session.execute(delete(SnapshotRow).where(SnapshotRow.digest.in_(gone)))
            deletions = [Deletion(scan_id, registry, created, digest, digest in gone, rule, now)
                         for scan_id, registry, created, digest in doomed]
            for item in deletions:
                session.add(RetentionLogRow(
                    deleted_at=now, scan_id=item.scan_id, registry_name=item.registry,
                    scan_created_at=item.scan_created_at,
                    snapshot_digest=item.snapshot_digest,
                    snapshot_deleted=item.snapshot_deleted, rule=rule))
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot apply retention: {first_line(exc)}") from None
    for item in deletions:
        log.info("retention: deleted scan %d of %s (%s)%s", item.scan_id, item.registry, rule,
                 f" and snapshot {item.snapshot_digest}" if item.snapshot_deleted else "")
    return deletions


def retention_log(store: Store, limit: int = 100) -> list[Deletion]:
    query = select(RetentionLogRow).order_by(RetentionLogRow.id.desc()).limit(limit)
    with Session(store.engine) as session:
        return [Deletion(r.scan_id, r.registry_name, r.scan_created_at, r.snapshot_digest,
                         r.snapshot_deleted, r.rule, r.deleted_at)
                for r in session.scalars(query)]


def place_hold(store: Store, scan_id: int, reason: str, placed_by: str) -> Hold:
    """Put a stored scan under legal hold (again: the reason is replaced)."""
    now = utcnow()
    with Session(store.engine) as session, session.begin():
        row = session.get(LegalHoldRow, scan_id)
        if row is None:
            row = LegalHoldRow(scan_id=scan_id, reason=reason, placed_by=placed_by,
                               placed_at=now)
            session.add(row)
        else:
            row.reason, row.placed_by, row.placed_at = reason, placed_by, now
        return Hold(scan_id, reason, placed_by, now)


def release_hold(store: Store, scan_id: int) -> bool:
    with Session(store.engine) as session, session.begin():
        return session.execute(delete(LegalHoldRow).where(
            LegalHoldRow.scan_id == scan_id)).rowcount == 1  # type: ignore[attr-defined]


def holds(store: Store) -> list[Hold]:
    with Session(store.engine) as session:
        return [Hold(r.scan_id, r.reason, r.placed_by, r.placed_at) for r in
                session.scalars(select(LegalHoldRow).order_by(LegalHoldRow.scan_id))]
