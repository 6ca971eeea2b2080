"""Evidence storage: snapshots (once per digest), scans with their results, schedule runs.

One SQLAlchemy engine for SQLite (a file, zero setup) or PostgreSQL. A scan and its
snapshot are written in one transaction, so a process killed mid-scan leaves either the
whole scan or nothing. Stored snapshots are canonical JSON; reading one back checks its
digest, so a report rendered from storage is provably about the snapshot that was scanned.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, func, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from ..canonical import canonical_json, sha256
from ..errors import AlmguardError
from ..results import ResultDocument
from ..times import check_time, parse_time
from ..sources.interface import LoadedSnapshot
from .tables import ScanRow, ScheduleRunRow, SnapshotRow

MIGRATIONS = Path(__file__).with_name("migrations")
MAX_ID = 2**31 - 1   # ids are 32-bit integers on PostgreSQL: larger ones name nothing


class StoreError(AlmguardError):
    """The database could not be reached, migrated or read."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_utc(value: str) -> datetime:
    """RFC 3339 text -> naive UTC datetime (the stored convention); ValueError if the text
    is not RFC 3339 with a zone, or out of range once in UTC."""
    try:
        return parse_time(check_time(value)).astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:
        raise ValueError(f"{value} is out of range in UTC") from None


def rfc3339(value: datetime) -> str:
    """Naive UTC -> RFC 3339 with Z (seconds, or microseconds when present)."""
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text + "Z"


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
                   scan_id=row.scan_id, scans=row.scans)


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

    def start_run(self, schedule: str, slot: datetime) -> int:
        with self._session() as session, session.begin():
            row = ScheduleRunRow(schedule=schedule, slot=slot, started_at=utcnow(),
                                 status="running", scans=0)
            session.add(row)
            session.flush()
            return row.id

    def finish_run(self, run_id: int, *, status: str, error: str | None = None,
                   scan_ids: list[int] | None = None) -> None:
        """Close a run; scan_id links its (last) scan, scans counts them."""
        scan_ids = scan_ids or []
        with self._session() as session, session.begin():
            session.execute(update(ScheduleRunRow).where(ScheduleRunRow.id == run_id).values(
                status=status, error=error, scan_id=scan_ids[-1] if scan_ids else None,
                scans=len(scan_ids), finished_at=utcnow()))

    def interrupt_running(self) -> list[str]:
        """Mark runs left 'running' by a stopped process as failed; returns their
        schedules."""
        with self._session() as session, session.begin():
            names = sorted(set(session.scalars(select(ScheduleRunRow.schedule).where(
                ScheduleRunRow.status == "running"))))
            session.execute(
                update(ScheduleRunRow).where(ScheduleRunRow.status == "running").values(
                    status="failed", error="interrupted: the service stopped during the run",
                    finished_at=utcnow()))
            return names

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

