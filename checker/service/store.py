"""Evidence storage: snapshots (once per digest), scans with their results, schedule runs.

One SQLAlchemy engine for SQLite (a file, zero setup) or PostgreSQL. A scan and its
snapshot are written in one transaction, so a process killed mid-scan leaves either the
whole scan or nothing. Stored snapshots are canonical JSON; reading one back checks its
digest, so a report rendered from storage is provably about the snapshot that was scanned.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, delete, event, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..canonical import canonical_json, sha256
from ..errors import StoreError as StoreError  # re-exported: callers import it from here
from ..results import ResultDocument
from ..times import check_time, format_time, parse_time, utc_now
from ..sources.interface import LoadedSnapshot
from .tables import (DashboardSessionRow, NotificationRow, ScanRow, ScheduleRunRow,
                     SlotClaimRow, SnapshotRow)

MIGRATIONS = Path(__file__).with_name("migrations")
MAX_ID = 2**31 - 1   # ids are 32-bit integers on PostgreSQL: larger ones name nothing
MIGRATION_LOCK = 0x616C6D67   # "almg": the advisory lock replicas migrate under (PostgreSQL)
EXPIRED = datetime(1970, 1, 1)


def utcnow() -> datetime:
    """Now as a naive UTC datetime (the stored convention)."""
    return utc_now().replace(tzinfo=None)


def to_utc(value: str) -> datetime:
    """RFC 3339 text -> naive UTC datetime (the stored convention); ValueError if the text
    is not RFC 3339 with a zone, or out of range once in UTC."""
    try:
        return parse_time(check_time(value)).astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:
        raise ValueError(f"{value} is out of range in UTC") from None


def rfc3339(value: datetime) -> str:
    """Naive UTC -> RFC 3339 with Z (seconds, or microseconds when present)."""
    return format_time(value, "us")


@dataclass(frozen=True)
class ScanInfo:
    """A stored scan without its result document."""

    id: int
    registry: str
    snapshot_digest: str
    captured_at: str
    created_at: str
    source: str
    requested_by: str
    verdict: str
    findings: int
    waived: int
    by_severity: dict[str, int]
    compliance_rate: float
    policy_revision: str
    policy_digest: str
    engine: str


@dataclass(frozen=True)
class RunInfo:
    id: int
    schedule: str
    slot: datetime
    started_at: datetime
    finished_at: datetime | None
    status: str
    error: str | None
    scan_id: int | None
    scans: int
    replica: str | None = None


@dataclass(frozen=True)
class NotificationInfo:
    """A notification of a run to one target, and how its delivery went."""

    id: int
    schedule: str
    run_id: int | None
    target_index: int
    target: str
    events: list[str]
    body: str
    status: str            # pending, sending, delivered, failed
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    last_error: str | None
    log: list[str]


def _notification_info(row: NotificationRow) -> NotificationInfo:
    return NotificationInfo(
        id=row.id, schedule=row.schedule, run_id=row.run_id, target_index=row.target_index,
        target=row.target, events=row.events.split(","), body=row.body, status=row.status,
        attempts=row.attempts, created_at=row.created_at, delivered_at=row.delivered_at,
        last_error=row.last_error, log=[line for line in row.log.splitlines() if line])


@dataclass(frozen=True)
class Claim:
    """The outcome of claiming a schedule's slot: `claimed` (this replica runs it, `taken_from`
    naming the replica whose lease expired, if any), or why not: `done` (it ran), `held`
    (another replica runs it now), `busy` (another slot of the schedule is running)."""

    outcome: str
    owner: str | None = None
    taken_from: str | None = None
    taken_run: int | None = None     # the dead replica's run, now marked failed

    @property
    def claimed(self) -> bool:
        return self.outcome == "claimed"


def _scan_info(row: ScanRow) -> ScanInfo:
    return ScanInfo(
        id=row.id, registry=row.registry_name, snapshot_digest=row.snapshot_digest,
        captured_at=row.captured_at, created_at=rfc3339(row.created_at), source=row.source,
        requested_by=row.requested_by, verdict=row.verdict, findings=row.findings,
        waived=row.waived, by_severity={"critical": row.critical, "high": row.high,
                                        "medium": row.medium, "low": row.low},
        compliance_rate=row.compliance_rate, policy_revision=row.policy_revision,
        policy_digest=row.policy_digest, engine=row.engine)


def _run_info(row: ScheduleRunRow) -> RunInfo:
    return RunInfo(id=row.id, schedule=row.schedule, slot=row.slot, started_at=row.started_at,
                   finished_at=row.finished_at, status=row.status, error=row.error,
                   scan_id=row.scan_id, scans=row.scans, replica=row.replica)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False,
                                                      "timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot use database {redact(url)}: {first_line(exc)}") from None


def redact(url: str) -> str:
    """The database URL without its password, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in creds else url


def _count(result: Any) -> int:
    """The rows an INSERT or UPDATE touched (a CursorResult's rowcount)."""
    return int(result.rowcount)


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Store:
    """The service's database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    # --- lifecycle -------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic), creating it if needed."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as connection:
                if connection.dialect.name == "postgresql":   # replicas starting together
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                       {"key": MIGRATION_LOCK})
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot migrate database {redact(self.url)}: "
                             f"{first_line(exc)}") from None

    def ping(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise StoreError(f"database {redact(self.url)} unreachable: "
                             f"{first_line(exc)}") from None

    def close(self) -> None:
        self.engine.dispose()

    def _session(self) -> Session:
        return self._sessions()

    # --- scans -----------------------------------------------------------------------

    def save_scan(self, snapshot: LoadedSnapshot, result: ResultDocument, *, source: str,
                  requested_by: str, compliance_rate: float | None) -> ScanInfo:
        """Store the snapshot (if new) and the scan, in one transaction."""
        registry = snapshot.document["registry"]
        captured = to_utc(registry["captured_at"])
        now = utcnow()
        summary = result.summary
        scan = ScanRow(
            registry_name=registry["name"], snapshot_digest=snapshot.digest,
            captured_at=registry["captured_at"], captured_at_utc=captured, created_at=now,
            source=source, requested_by=requested_by, verdict=summary.verdict,
            findings=summary.findings, waived=summary.waived,
            critical=summary.by_severity.get("critical", 0),
            high=summary.by_severity.get("high", 0),
            medium=summary.by_severity.get("medium", 0),
            low=summary.by_severity.get("low", 0),
            compliance_rate=100.0 if compliance_rate is None else compliance_rate,
            policy_revision=result.policies.revision, policy_digest=result.policies.digest,
            engine=f"{result.engine.name} {result.engine.version}",
            result=zlib.compress(result.to_json().encode("utf-8"), 6))
        for attempt in (1, 2):
            try:
                with self._session() as session, session.begin():
                    if session.get(SnapshotRow, snapshot.digest) is None:
                        body = canonical_json(snapshot.document)
                        session.add(SnapshotRow(
                            digest=snapshot.digest, registry_name=registry["name"],
                            captured_at=registry["captured_at"], captured_at_utc=captured,
                            size=len(body), content=zlib.compress(body, 6), stored_at=now))
                        session.flush()
                    session.add(scan)
                    session.flush()
                    return _scan_info(scan)
            except IntegrityError as exc:
                if attempt == 2:   # the same snapshot stored concurrently: retry once
                    raise StoreError(f"cannot store the scan: {first_line(exc)}") from None
                # attribute keys, not column names: ScanRow.registry is the declarative
                # registry, so copying by column name lost the registry's name
                scan = ScanRow(**{a.key: getattr(scan, a.key)
                                  for a in ScanRow.__mapper__.column_attrs if a.key != "id"})
            except SQLAlchemyError as exc:
                raise StoreError(f"cannot store the scan: {first_line(exc)}") from None
        raise AssertionError("unreachable")

    def list_scans(self, *, registry: str | None = None, since: datetime | None = None,
                   until: datetime | None = None, verdict: str | None = None,
                   before: int | None = None, limit: int = 50) -> list[ScanInfo]:
        """Newest first; `before` is the id to page from (keyset paging)."""
        query = select(ScanRow).order_by(ScanRow.id.desc()).limit(limit)
        if registry is not None:
            query = query.where(ScanRow.registry_name == registry)
        if since is not None:
            query = query.where(ScanRow.created_at >= since)
        if until is not None:
            query = query.where(ScanRow.created_at < until)
        if verdict is not None:
            query = query.where(ScanRow.verdict == verdict)
        if before is not None:
            query = query.where(ScanRow.id <= min(before - 1, MAX_ID))
        with self._session() as session:
            return [_scan_info(row) for row in session.scalars(query)]

    def get_scan(self, scan_id: int) -> ScanInfo | None:
        if not 0 < scan_id <= MAX_ID:
            return None
        with self._session() as session:
            row = session.get(ScanRow, scan_id)
            return None if row is None else _scan_info(row)

    def previous_scan(self, scan: ScanInfo) -> ScanInfo | None:
        """The scan of the same registry stored just before this one."""
        query = (select(ScanRow).where(ScanRow.registry_name == scan.registry,
                                       ScanRow.id < scan.id)
                 .order_by(ScanRow.id.desc()).limit(1))
        with self._session() as session:
            row = session.scalars(query).first()
            return None if row is None else _scan_info(row)

    def result_json(self, scan_id: int) -> bytes | None:
        if not 0 < scan_id <= MAX_ID:
            return None
        with self._session() as session:
            row = session.get(ScanRow, scan_id)
            return None if row is None else zlib.decompress(row.result)

    def result(self, scan_id: int) -> ResultDocument | None:
        raw = self.result_json(scan_id)
        return None if raw is None else ResultDocument.model_validate_json(raw)

    def registries(self) -> list[tuple[str, int, ScanInfo]]:
        """(registry, number of scans, latest scan) for every registry, by name."""
        counts = (select(ScanRow.registry_name, func.count(ScanRow.id), func.max(ScanRow.id))
                  .group_by(ScanRow.registry_name).order_by(ScanRow.registry_name))
        with self._session() as session:
            rows = session.execute(counts).all()
            latest = {row.id: _scan_info(row) for row in session.scalars(
                select(ScanRow).where(ScanRow.id.in_([r[2] for r in rows])))}
        return [(name, count, latest[last]) for name, count, last in rows]

    # --- snapshots -------------------------------------------------------------------

    def snapshot(self, digest: str) -> LoadedSnapshot | None:
        with self._session() as session:
            row = session.get(SnapshotRow, digest)
            return None if row is None else _loaded(row)

    def snapshot_digest_at(self, registry: str, at: datetime | None = None) -> str | None:
        """The digest of the newest stored snapshot of the registry captured at or before
        `at` (None: the newest capture)."""
        query = (select(SnapshotRow.digest).where(SnapshotRow.registry_name == registry)
                 .order_by(SnapshotRow.captured_at_utc.desc(), SnapshotRow.stored_at.desc())
                 .limit(1))
        if at is not None:
            query = query.where(SnapshotRow.captured_at_utc <= at)
        with self._session() as session:
            return session.scalars(query).first()

    def counts(self) -> tuple[int, int]:
        """(scans, distinct snapshots) stored."""
        with self._session() as session:
            return (session.scalar(select(func.count(ScanRow.id))) or 0,
                    session.scalar(select(func.count(SnapshotRow.digest))) or 0)

    # --- schedule runs ---------------------------------------------------------------

    def start_run(self, schedule: str, slot: datetime, *, replica: str | None = None) -> int:
        """Record a run as running; with `replica`, the claim of (schedule, slot) that
        replica holds links to it."""
        with self._session() as session, session.begin():
            row = ScheduleRunRow(schedule=schedule, slot=slot, started_at=utcnow(),
                                 status="running", scans=0, replica=replica)
            session.add(row)
            session.flush()
            if replica is not None:
                session.execute(update(SlotClaimRow).where(
                    SlotClaimRow.schedule == schedule, SlotClaimRow.slot == slot,
                    SlotClaimRow.owner == replica).values(run_id=row.id))
            return row.id

    def finish_run(self, run_id: int, *, status: str, error: str | None = None,
                   scan_ids: list[int] | None = None) -> None:
        """Close a run (and its slot's claim: the slot never runs again); scan_id links its
        (last) scan, scans counts them."""
        scan_ids = scan_ids or []
        with self._session() as session, session.begin():
            session.execute(update(ScheduleRunRow).where(ScheduleRunRow.id == run_id).values(
                status=status, error=error, scan_id=scan_ids[-1] if scan_ids else None,
                scans=len(scan_ids), finished_at=utcnow()))
            session.execute(update(SlotClaimRow).where(SlotClaimRow.run_id == run_id)
                            .values(done=True))

    def interrupt_running(self) -> list[tuple[str, datetime, int]]:
        """Mark runs left 'running' by a stopped process as failed: those no live claim
        covers (a replica whose lease is current is still running its run). Returns each
        as (schedule, slot, run id)."""
        now = utcnow()
        live = select(SlotClaimRow.run_id).where(
            SlotClaimRow.done.is_(False), SlotClaimRow.lease_until >= now,
            SlotClaimRow.run_id.is_not(None))
        stale = (ScheduleRunRow.status == "running") & ScheduleRunRow.id.not_in(live)
        with self._session() as session, session.begin():
            runs = [(r.schedule, r.slot, r.id) for r in session.execute(
                select(ScheduleRunRow.schedule, ScheduleRunRow.slot, ScheduleRunRow.id)
                .where(stale).order_by(ScheduleRunRow.id))]
            session.execute(update(ScheduleRunRow).where(stale).values(
                status="failed", error="interrupted: the service stopped during the run",
                finished_at=now))
            return runs

    # --- slot claims (replicas) --------------------------------------------------------

    def _insert_claim(self, values: dict[str, Any]) -> Any:
        """INSERT ... ON CONFLICT DO NOTHING on the claim's primary key."""
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(SlotClaimRow).values(**values).on_conflict_do_nothing(
                index_elements=["schedule", "slot"])
        return sqlite.insert(SlotClaimRow).values(**values).on_conflict_do_nothing(
            index_elements=["schedule", "slot"])

    def claim_slot(self, schedule: str, slot: datetime, owner: str,
                   lease: timedelta) -> Claim:
        """Claim (schedule, slot) for `owner`: exactly one replica gets it (the primary key
        decides, INSERT ... ON CONFLICT DO NOTHING), unless its lease expired unfinished,
        when the first replica to ask takes it over (a conditional UPDATE) and the run the
        dead replica left is marked failed. Refused while another slot of the schedule is
        held under a current lease (a schedule never runs twice at once)."""
        now = utcnow()
        try:
            with self._session() as session, session.begin():
                other = session.scalars(select(SlotClaimRow.owner).where(
                    SlotClaimRow.schedule == schedule, SlotClaimRow.slot != slot,
                    SlotClaimRow.done.is_(False), SlotClaimRow.lease_until >= now)
                    .limit(1)).first()
                if other is not None:
                    return Claim("busy", owner=other)
                inserted = session.execute(self._insert_claim(dict(
                    schedule=schedule, slot=slot, owner=owner, lease_until=now + lease,
                    claimed_at=now, attempts=1, run_id=None, done=False)).returning(
                    SlotClaimRow.owner)).first()
                if inserted is not None:
                    return Claim("claimed", owner=owner)
                row = session.get(SlotClaimRow, (schedule, slot))
                if row is None or row.done:
                    return Claim("done", owner=None if row is None else row.owner)
                before, old_run = row.owner, row.run_id
                taken = session.execute(update(SlotClaimRow).where(
                    SlotClaimRow.schedule == schedule, SlotClaimRow.slot == slot,
                    SlotClaimRow.done.is_(False), SlotClaimRow.lease_until < now,
                    SlotClaimRow.owner == before).values(
                    owner=owner, lease_until=now + lease, claimed_at=now, run_id=None,
                    attempts=SlotClaimRow.attempts + 1).execution_options(
                    synchronize_session=False))
                if _count(taken) != 1:
                    return Claim("held", owner=before)
                failed = None
                if old_run is not None:
                    closed = session.execute(update(ScheduleRunRow).where(
                        ScheduleRunRow.id == old_run, ScheduleRunRow.status == "running")
                        .values(status="failed", finished_at=now,
                                error=f"interrupted: replica {before} stopped renewing "
                                      "its lease during the run"))
                    failed = old_run if _count(closed) == 1 else None
                return Claim("claimed", owner=owner, taken_from=before, taken_run=failed)
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot claim slot {rfc3339(slot)} of schedule {schedule!r}: "
                             f"{first_line(exc)}") from None

    def renew_claims(self, owner: str, lease: timedelta) -> int:
        """Extend the leases of the unfinished claims `owner` holds; returns how many."""
        with self._session() as session, session.begin():
            return _count(session.execute(update(SlotClaimRow).where(
                SlotClaimRow.owner == owner, SlotClaimRow.done.is_(False)).values(
                lease_until=utcnow() + lease).execution_options(
                synchronize_session=False)))

    def held_claims(self, owner: str) -> set[tuple[str, datetime]]:
        with self._session() as session:
            return {(r.schedule, r.slot) for r in session.execute(select(
                SlotClaimRow.schedule, SlotClaimRow.slot).where(
                SlotClaimRow.owner == owner, SlotClaimRow.done.is_(False)))}

    def expired_claims(self) -> list[tuple[str, datetime, str]]:
        """(schedule, slot, owner) of the unfinished claims whose lease has expired: runs
        whose replica died. Oldest slot first."""
        query = (select(SlotClaimRow.schedule, SlotClaimRow.slot, SlotClaimRow.owner)
                 .where(SlotClaimRow.done.is_(False), SlotClaimRow.lease_until < utcnow())
                 .order_by(SlotClaimRow.slot))
        with self._session() as session:
            return [(r.schedule, r.slot, r.owner) for r in session.execute(query)]

    def latest_claims(self) -> dict[str, datetime]:
        """Each schedule's newest claimed slot."""
        query = select(SlotClaimRow.schedule, func.max(SlotClaimRow.slot)).group_by(
            SlotClaimRow.schedule)
        with self._session() as session:
            return {name: slot for name, slot in session.execute(query)}

    def close_claim(self, schedule: str, slot: datetime, owner: str) -> bool:
        """Close an expired claim without running its slot again (a newer slot of the
        schedule supersedes it: missed slots are caught up once)."""
        with self._session() as session, session.begin():
            return _count(session.execute(update(SlotClaimRow).where(
                SlotClaimRow.schedule == schedule, SlotClaimRow.slot == slot,
                SlotClaimRow.owner == owner, SlotClaimRow.done.is_(False),
                SlotClaimRow.lease_until < utcnow()).values(done=True).execution_options(
                synchronize_session=False))) == 1

    def expire_claims(self) -> None:
        """Expire every unfinished claim now: for a database only one process uses
        (SQLite), whose claims left at start are a previous process's."""
        with self._session() as session, session.begin():
            session.execute(update(SlotClaimRow).where(SlotClaimRow.done.is_(False))
                            .values(lease_until=EXPIRED))

    # --- dashboard sessions ----------------------------------------------------------

    def add_session(self, id_sha256: str, principal: str, expires_at: datetime) -> None:
        """Store a session (and forget expired ones)."""
        now = utcnow()
        try:
            with self._session() as session, session.begin():
                session.execute(delete(DashboardSessionRow).where(
                    DashboardSessionRow.expires_at < now))
                session.add(DashboardSessionRow(id_sha256=id_sha256, principal=principal,
                                                created_at=now, expires_at=expires_at))
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot store the session: {first_line(exc)}") from None

    def session_principal(self, id_sha256: str) -> str | None:
        """Whose unexpired session this is, or None."""
        query = select(DashboardSessionRow.principal).where(
            DashboardSessionRow.id_sha256 == id_sha256,
            DashboardSessionRow.expires_at >= utcnow())
        try:
            with self._session() as session:
                return session.scalars(query).first()
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read the session: {first_line(exc)}") from None

    def delete_session(self, id_sha256: str) -> None:
        try:
            with self._session() as session, session.begin():
                session.execute(delete(DashboardSessionRow).where(
                    DashboardSessionRow.id_sha256 == id_sha256))
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot end the session: {first_line(exc)}") from None

    # --- schedule runs (reading) -----------------------------------------------------

    def last_run(self, schedule: str) -> RunInfo | None:
        query = (select(ScheduleRunRow).where(ScheduleRunRow.schedule == schedule)
                 .order_by(ScheduleRunRow.id.desc()).limit(1))
        with self._session() as session:
            row = session.scalars(query).first()
            return None if row is None else _run_info(row)

    def run(self, run_id: int) -> RunInfo | None:
        with self._session() as session:
            row = session.get(ScheduleRunRow, run_id)
            return None if row is None else _run_info(row)

    def runs(self, schedule: str | None = None, limit: int = 50) -> list[RunInfo]:
        query = select(ScheduleRunRow).order_by(ScheduleRunRow.id.desc()).limit(limit)
        if schedule is not None:
            query = query.where(ScheduleRunRow.schedule == schedule)
        with self._session() as session:
            return [_run_info(row) for row in session.scalars(query)]


    # --- notifications ---------------------------------------------------------------

    def add_notification(self, *, schedule: str, run_id: int | None, target_index: int,
                         target: str, events: list[str], body: str) -> int:
        now = utcnow()
        with self._session() as session, session.begin():
            row = NotificationRow(schedule=schedule, run_id=run_id, target_index=target_index,
                                  target=target, events=",".join(events), body=body,
                                  status="pending", attempts=0, next_attempt_at=now,
                                  created_at=now, log="")
            session.add(row)
            session.flush()
            return row.id

    def take_due_notifications(self, hold: timedelta, limit: int = 20) -> list[NotificationInfo]:
        """Notifications due for an attempt, each taken by a conditional UPDATE (status
        'sending', due again after `hold`): one replica sends each attempt, and one that
        dies while sending leaves it due again."""
        now = utcnow()
        due = ((NotificationRow.status.in_(("pending", "sending")))
               & (NotificationRow.next_attempt_at <= now))
        taken = []
        with self._session() as session:
            ids = list(session.scalars(select(NotificationRow.id).where(due)
                                       .order_by(NotificationRow.id).limit(limit)))
        for notification_id in ids:
            with self._session() as session, session.begin():
                if _count(session.execute(update(NotificationRow).where(
                        NotificationRow.id == notification_id, due).values(
                        status="sending", next_attempt_at=now + hold).execution_options(
                        synchronize_session=False))) == 1:
                    row = session.get(NotificationRow, notification_id)
                    assert row is not None
                    taken.append(_notification_info(row))
        return taken

    def record_attempt(self, notification_id: int, *, error: str | None,
                       retry_at: datetime | None) -> None:
        """One attempt: delivered (error None), to be retried at retry_at, or given up."""
        now = utcnow()
        with self._session() as session, session.begin():
            row = session.get(NotificationRow, notification_id)
            if row is None:
                return
            row.attempts += 1
            row.log += f"{rfc3339(now)} attempt {row.attempts}: {error or 'delivered'}\n"
            if error is None:
                row.status, row.delivered_at = "delivered", now
            else:
                row.last_error = error
                row.status = "pending" if retry_at is not None else "failed"
                row.next_attempt_at = retry_at or now

    def notifications(self, schedule: str | None = None,
                      limit: int = 50) -> list[NotificationInfo]:
        query = select(NotificationRow).order_by(NotificationRow.id.desc()).limit(limit)
        if schedule is not None:
            query = query.where(NotificationRow.schedule == schedule)
        with self._session() as session:
            return [_notification_info(row) for row in session.scalars(query)]


def stored_form(snapshot: LoadedSnapshot) -> LoadedSnapshot:
    """The snapshot as storage gives it back: no source text, an origin named after the
    registry and capture. Results and reports are made from this form only, so a scan
    renders the same before and after a restart."""
    registry = snapshot.document["registry"]
    return LoadedSnapshot(document=snapshot.document, digest=snapshot.digest,
                          origin=f"{registry['name']} snapshot captured "
                          f"{registry['captured_at']}")


def _loaded(row: SnapshotRow) -> LoadedSnapshot:
    body = zlib.decompress(row.content)
    if sha256(body) != row.digest:
        raise StoreError(f"stored snapshot {row.digest} does not match its digest")
    return stored_form(LoadedSnapshot(document=orjson.loads(body), digest=row.digest))

