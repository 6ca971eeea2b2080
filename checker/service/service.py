"""The service layer: store, evaluator, tokens and scheduler wired together.

Everything the two faces (the API's routers in routes/, the dashboard) and the scheduler
do goes through here, and neither face touches the store or the scheduler: a scheduled
scan and a posted scan are the same code (load, already done by the caller; evaluate with
the checker; store scan and snapshot in one transaction), and a page and an API answer read
the same evidence the same way.

An engine that cannot evaluate is given the policies again once, and the evaluation
retried: an OPA server that restarted has lost the policies pushed to it, and the service
recovers without a restart of its own. If the engine still cannot evaluate, the request
fails closed (EngineError: 503, no decision). /readyz probes the same way.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping, TypeVar

from ..engines import Engine
from ..errors import AlmguardError, ConfigError, EngineError, SnapshotError
from ..errors import NotFound as NotFound  # re-exported: the faces import it from here
from ..gate import load_settings_document, make_proposal
from ..lineage import EndpointLineage, endpoint_lineage
from ..policyset import PolicySet
from ..results import ResultDocument
from ..sources.interface import LoadedSnapshot
from ..times import from_epoch_s, parse_time, utc_now
from .auth import TokenTable
from .config import (ServiceConfig, check_notify_env, prepare_default_database,
                     token_hashes)
from .diff import diff_json, diff_results
from .evaluator import Evaluator
from .notify import Notifier
from .retention import (Deletion, Hold, apply_retention, holds, place_hold, release_hold,
                        retention_log)
from .scheduler import Scheduler, next_slot
from .store import (NotificationInfo, RunInfo, ScanInfo, Store, redact, rfc3339, stored_form,
                    to_utc, utcnow)

log = logging.getLogger("almguard.service")
MAX_CLOCK_SKEW = timedelta(minutes=5)
T = TypeVar("T")


@dataclass(frozen=True)
class RegistrySummary:
    """A registry with stored scans: how many, and the newest."""

    name: str
    scans: int
    latest: ScanInfo


@dataclass(frozen=True)
class ScheduleStatus:
    """A configured schedule: whether it runs now, its next slot and its last run."""

    name: str
    cron: str
    source: str
    target: str               # the file or directory, or the tracking server (no password)
    running: bool
    next_run: datetime
    last_run: RunInfo | None


class SnapshotCache:
    """The few most recently used stored snapshots, parsed (gates hit the same one)."""

    def __init__(self, size: int = 4) -> None:
        self._items: OrderedDict[str, LoadedSnapshot] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, digest: str) -> LoadedSnapshot | None:
        with self._lock:
            item = self._items.get(digest)
            if item is not None:
                self._items.move_to_end(digest)
            return item

    def put(self, snapshot: LoadedSnapshot) -> None:
        with self._lock:
            self._items[snapshot.digest] = snapshot
            self._items.move_to_end(snapshot.digest)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class Service:
    def __init__(self, config: ServiceConfig, *, environ: dict[str, str] | None = None,
                 start_scheduler: bool | None = None) -> None:
        self.config = config
        clock, speed = scheduler_clock(os.environ if environ is None else environ)
        check_notify_env(config, os.environ if environ is None else environ)
        prepare_default_database(config.database)
        self.store = Store(config.database)
        try:
            self.tokens = TokenTable(token_hashes(config, environ), config.anonymous_read,
                                     sessions=self.store)
            self.store.migrate()
            self.evaluator = Evaluator(config.evaluation)
        except BaseException:
            self.store.close()
            raise
        self.cache = SnapshotCache()
        self._engine_lock = threading.Lock()
        self._evaluating = 0                       # evaluations running now
        self._engine_fault: str | None = None      # why the engine last failed, if it did
        self.notifier = Notifier(self.store, {s.name: list(s.notify) for s in config.schedules},
                                 os.environ if environ is None else environ)
        self.scheduler = Scheduler(self.store, list(config.schedules), self.scan_and_store,
                                   clock=clock, speed=speed,
                                   lease=timedelta(seconds=config.scheduler_lease_seconds),
                                   on_run=self.notify_run)
        self._start_scheduler = config.scheduler if start_scheduler is None else start_scheduler
        self._stop_retention = threading.Event()
        self._retention_thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        if self.config.retention is not None and self._start_scheduler:
            self._retention_thread = threading.Thread(
                target=self._retention_loop, args=(self.config.retention.every_hours,),
                name="almguard-retention", daemon=True)
            self._retention_thread.start()
        if any(s.notify for s in self.config.schedules):
            self.notifier.start()
        if self._start_scheduler and self.config.schedules:
            self.scheduler.start()

    def close(self) -> None:
        self._stop_retention.set()
        if self._retention_thread is not None:
            self._retention_thread.join(timeout=30)
        self.scheduler.stop()
        self.notifier.stop()
        self.evaluator.close()
        self.store.close()

    @property
    def policies(self) -> PolicySet:
        return self.evaluator.policies

    def readiness(self) -> dict[str, Any]:
        """What /readyz reports when the database answers and the engine evaluates with the
        policies; StoreError or EngineError (one line) when either cannot."""
        self.store.ping()
        trouble = self.engine_trouble()
        if trouble is not None:
            raise EngineError(f"the policy engine cannot evaluate: {trouble}")
        return {"engine": self.evaluator.engine_name(),
                "policies": {"revision": self.policies.revision,
                             "digest": self.policies.digest,
                             "rules": len(self.policies.rules)}}

    # --- the engine ------------------------------------------------------------------

    def engine_trouble(self) -> str | None:
        """Readiness of the policy engine: None if it evaluates with our policies, else why
        not, in one line. While an evaluation is running and the last one succeeded, that
        is the answer (a probe would wait its turn behind a long scan); otherwise the
        engine is probed (see _probe_engine)."""
        with self._engine_lock:
            if self._evaluating and self._engine_fault is None:
                return None
        return self._probe_engine()

    def _probe_engine(self) -> str | None:
        """Evaluate the probe snapshot; an engine that cannot is given the policies again
        once (an OPA server restarted empty has none) and probed again."""
        def probe(engine: Engine, policies: PolicySet) -> str | None:
            try:
                engine.probe()
                return None
            except EngineError as exc:
                failed = str(exc)
            try:
                engine.load(policies)
                engine.probe()
            except AlmguardError as exc:
                again = str(exc)
                return failed if again == failed else \
                    f"{failed}; loading the policies again failed: {again}"
            log.warning("the policy engine could not evaluate (%s): loaded policies %s "
                        "again, it evaluates", failed, policies.digest)
            return None

        try:
            trouble = self.evaluator.with_engine(probe)
        except AlmguardError as exc:
            trouble = str(exc)
        with self._engine_lock:
            self._engine_fault = trouble
        return trouble

    def _evaluate(self, work: Callable[[], T]) -> T:
        """work(); on EngineError the engine is probed and given its policies again
        (_probe_engine), and work() runs once more. Still failing: EngineError (fail
        closed)."""
        with self._engine_lock:
            self._evaluating += 1
        try:
            try:
                result = work()
            except EngineError as exc:
                trouble = self._probe_engine()
                if trouble is not None:
                    raise EngineError(trouble) from exc
                result = work()
        except EngineError as exc:
            with self._engine_lock:
                self._engine_fault = str(exc)
            raise
        else:
            with self._engine_lock:
                self._engine_fault = None
            return result
        finally:
            with self._engine_lock:
                self._evaluating -= 1

    # --- scans -----------------------------------------------------------------------

    def scan(self, snapshot: LoadedSnapshot, *, source: str, requested_by: str) -> ScanInfo:
        """Evaluate and store. A snapshot captured in the future is refused: stored, it
        would stay "the newest capture" and answer every later gate and lineage question."""
        self._check_clock(snapshot)
        try:
            to_utc(snapshot.document["registry"]["captured_at"])
        except (ValueError, OverflowError):
            raise SnapshotError("captured_at falls before year 1 in UTC: the service cannot "
                                "store such a capture", file=snapshot.origin,
                                path="registry.captured_at") from None
        stored = stored_form(snapshot)
        result = self._evaluate(lambda: self.evaluator.scan(stored))
        rate = self.evaluator.compliance_rate(result, stored)
        info = self.store.save_scan(stored, result, source=source,
                                    requested_by=requested_by, compliance_rate=rate)
        self.cache.put(stored)
        return info

    @staticmethod
    def _check_clock(snapshot: LoadedSnapshot) -> None:
        """A snapshot captured after this server's clock (plus a small skew) is refused: its
        evidence would count time that has not passed (a canary "a day old" in 2030)."""
        captured = snapshot.document["registry"]["captured_at"]
        # compared as aware times, not converted to UTC (which fails past year 9999)
        if parse_time(captured) > utcnow().replace(tzinfo=timezone.utc) + MAX_CLOCK_SKEW:
            raise SnapshotError(f"captured_at {captured} is in the future (this server's "
                                f"clock: {rfc3339(utcnow().replace(microsecond=0))}): a "
                                "snapshot records a registry as it was",
                                file=snapshot.origin, path="registry.captured_at")

    def scan_and_store(self, snapshot: LoadedSnapshot, *, source: str,
                       requested_by: str) -> int:
        return self.scan(snapshot, source=source, requested_by=requested_by).id

    def scan_info(self, scan_id: int) -> ScanInfo:
        info = self.store.get_scan(scan_id)
        if info is None:
            raise NotFound(f"no scan {scan_id}")
        return info

    def result(self, scan_id: int) -> ResultDocument:
        result = self.store.result(scan_id)
        if result is None:
            raise NotFound(f"no scan {scan_id}")
        return result

    def result_json(self, scan_id: int) -> bytes:
        """The stored result document, byte for byte as the scan wrote it."""
        raw = self.store.result_json(scan_id)
        if raw is None:
            raise NotFound(f"no scan {scan_id}")
        return raw

    def list_scans(self, *, registry: str | None = None, since: datetime | None = None,
                   until: datetime | None = None, verdict: str | None = None,
                   before: int | None = None, limit: int = 50) -> list[ScanInfo]:
        """Stored scans, newest first; `before` is the id to page from."""
        return self.store.list_scans(registry=registry, since=since, until=until,
                                     verdict=verdict, before=before, limit=limit)

    def previous_scan(self, info: ScanInfo) -> ScanInfo | None:
        """The scan of the same registry stored just before this one."""
        return self.store.previous_scan(info)

    def registries(self) -> list[RegistrySummary]:
        """Every registry with a stored scan, by name."""
        return [RegistrySummary(name, count, latest)
                for name, count, latest in self.store.registries()]

    def diff(self, scan_id: int, against: int | None) -> dict[str, Any]:
        """The diff document of a scan against another (None: the previous scan of its
        registry): findings new, resolved and unchanged."""
        after = self.scan_info(scan_id)
        if against is None:
            before = self.previous_scan(after)
            if before is None:
                raise NotFound(f"scan {scan_id} is the first scan of registry "
                               f"{after.registry!r}: nothing to compare with")
        else:
            before = self.scan_info(against)
        result = diff_results(self.result(before.id), self.result(after.id))
        return diff_json(result, _brief(before), _brief(after))

    def snapshot(self, digest: str) -> LoadedSnapshot:
        cached = self.cache.get(digest)
        if cached is not None:
            return cached
        loaded = self.store.snapshot(digest)
        if loaded is None:
            raise NotFound(f"no stored snapshot {digest}")
        self.cache.put(loaded)
        return loaded

    # --- gates -----------------------------------------------------------------------

    def latest_snapshot(self, registry: str) -> LoadedSnapshot:
        """The registry's newest stored capture (not the last scanned: an older capture
        may be scanned late)."""
        digest = self.store.snapshot_digest_at(registry)
        if digest is None:
            raise NotFound(f"no scan of registry {registry!r} is stored: post a scan of it "
                           "first, or send the snapshot with the gate request")
        return self.snapshot(digest)

    def gate(self, snapshot: LoadedSnapshot, *, model: str, version: str, endpoint: str,
             environment: str | None, traffic: float, at: str | None,
             deployment: dict[str, Any] | None, stored: bool = True) -> ResultDocument:
        """The gate command's decision. The rules judge the registry as captured; waivers
        are judged now, so a waiver that has expired since the capture no longer lets a
        deployment through, however old the snapshot the request names."""
        self._check_clock(snapshot)
        proposal = make_proposal(model, version, endpoint, environment=environment,
                                 traffic=traffic, at=at, document=snapshot.document,
                                 endpoints=snapshot.endpoints)
        settings = (load_settings_document(deployment, origin="request body: deployment")
                    if deployment is not None else None)
        now = utcnow()
        later = now.replace(tzinfo=timezone.utc) > parse_time(proposal.at)
        return self._evaluate(lambda: self.evaluator.gate(
            snapshot, proposal, settings, stored=stored,
            waivers_at=rfc3339(now) if later else None))

    # --- lineage ---------------------------------------------------------------------

    def snapshot_at(self, registry: str, at: datetime | None) -> LoadedSnapshot:
        """The newest stored snapshot of the registry captured at or before `at` (None:
        the newest capture)."""
        digest = self.store.snapshot_digest_at(registry, at)
        if digest is None:
            raise NotFound(f"no snapshot of registry {registry!r} is stored" if at is None
                           else f"no snapshot of registry {registry!r} was captured at or "
                           "before that time")
        return self.snapshot(digest)

    def endpoints(self, registry: str, at: datetime | None = None) -> list[str]:
        """The endpoints of the registry's snapshot in force at `at` (None: the newest),
        sorted: what a lineage question can name."""
        document = self.snapshot_at(registry, at).document
        return sorted({d["endpoint"] for d in document.get("deployments", [])})

    def lineage(self, registry: str, endpoint: str,
                at: datetime | None) -> tuple[EndpointLineage, LoadedSnapshot]:
        snapshot = self.snapshot_at(registry, at)
        if not any(d["endpoint"] == endpoint for d in snapshot.document["deployments"]):
            raise NotFound(f"no endpoint {endpoint!r} in the snapshot of {registry!r} "
                           f"captured at {snapshot.document['registry']['captured_at']}")
        result = self._evaluate(lambda: self.evaluator.scan(snapshot))
        return (endpoint_lineage(snapshot.model, endpoint, result.findings,
                                 self.policies.rules.values()), snapshot)

    def served_at(self, registry: str, at: datetime | None
                  ) -> tuple[list[EndpointLineage], LoadedSnapshot]:
        """What served each endpoint of the registry at `at` (None: the newest snapshot)
        and which data trained it: the lineage of every endpoint of the stored snapshot in
        force then, from one evaluation of it."""
        snapshot = self.snapshot_at(registry, at)
        result = self._evaluate(lambda: self.evaluator.scan(snapshot))
        endpoints = sorted({d["endpoint"] for d in snapshot.document.get("deployments", [])})
        rules = list(self.policies.rules.values())
        return ([endpoint_lineage(snapshot.model, e, result.findings, rules)
                 for e in endpoints], snapshot)

    # --- schedules -------------------------------------------------------------------

    def schedules(self) -> list[ScheduleStatus]:
        """The configured schedules, in config order."""
        return [self.schedule_status(name) for name in self.scheduler.schedules]

    def schedule_status(self, name: str) -> ScheduleStatus:
        """One schedule: running here or on another replica (its last run is running)."""
        self._schedule(name)
        schedule = self.scheduler.schedules[name]
        last = self.store.last_run(name)
        source = schedule.source
        target = str(source.path) if source.path is not None else redact(
            source.tracking_uri or "")
        return ScheduleStatus(name=name, cron=schedule.cron, source=source.kind,
                              target=target,
                              running=name in self.scheduler.running() or (
                                  last is not None and last.status == "running"),
                              next_run=next_slot(schedule.cron, self.scheduler.now()),
                              last_run=last)

    def schedule_runs(self, name: str, limit: int = 50) -> list[RunInfo]:
        """The schedule's runs, newest first."""
        self._schedule(name)
        return self.store.runs(name, limit)

    def schedule_notifications(self, name: str, limit: int = 50) -> list[NotificationInfo]:
        """The schedule's notifications, newest first, with their attempts."""
        self._schedule(name)
        return self.store.notifications(name, limit)

    def run_schedule(self, name: str) -> RunInfo:
        """Run a schedule now and wait for it (RunInProgress if it is running already)."""
        self._schedule(name)
        run = self.store.run(self.scheduler.run(name))
        assert run is not None
        return run

    def notify_run(self, name: str, run_id: int, scan_ids: list[int]) -> list[int]:
        """Queue the notifications of a recorded run: its verdict changed against the
        registry's previous scan, new unwaived critical or high findings appeared, or the
        run failed (docs/webhooks.md). Returns the notifications' ids."""
        run = self.store.run(run_id)
        if run is None or not self.notifier.targets.get(name):
            return []
        events: set[str] = {"run_failed"} if run.status == "failed" else set()
        scans = []
        for scan_id in scan_ids:
            info = self.scan_info(scan_id)
            before = self.previous_scan(info)
            new: list[dict[str, Any]] = []
            if before is not None:
                if before.verdict != info.verdict:
                    events.add("verdict_changed")
                changes = diff_results(self.result(before.id), self.result(info.id))
                new = [{"rule_id": f.rule_id, "severity": f.severity, "title": f.title,
                        "resource": {"kind": f.resource.kind, "id": f.resource.id}}
                       for f in changes.new
                       if f.severity in ("critical", "high") and not f.waived]
                if new:
                    events.add("new_findings")
            scans.append({"id": info.id, "registry": info.registry,
                          "captured_at": info.captured_at, "verdict": info.verdict,
                          "findings": info.findings, "by_severity": info.by_severity,
                          "previous": None if before is None else
                          {"id": before.id, "verdict": before.verdict},
                          "new_findings": new})
        if not events:
            return []
        document = {"type": "almguard.schedule.run", "schedule": name, "scans": scans,
                    "run": {"id": run.id, "slot": rfc3339(run.slot),
                            "started_at": rfc3339(run.started_at),
                            "finished_at": None if run.finished_at is None
                            else rfc3339(run.finished_at),
                            "status": run.status, "error": run.error,
                            "replica": run.replica}}
        return self.notifier.enqueue(name, run.id, sorted(events), document)

    # --- retention -------------------------------------------------------------------

    def run_retention(self) -> list[Deletion]:
        """Apply the configured retention now (ConfigError if there is none)."""
        if self.config.retention is None:
            raise ConfigError("no retention is configured (retention: {keep_scans, "
                              "keep_days})")
        return apply_retention(self.store, self.config.retention)

    def _retention_loop(self, every_hours: float) -> None:
        while not self._stop_retention.is_set():
            try:
                self.run_retention()
            except Exception:  # noqa: BLE001 - logged; the next pass tries again
                log.exception("retention could not be applied")
            self._stop_retention.wait(every_hours * 3600)

    def retention_log(self, limit: int = 100) -> list[Deletion]:
        return retention_log(self.store, limit)

    def place_hold(self, scan_id: int, reason: str, placed_by: str) -> Hold:
        self.scan_info(scan_id)
        return place_hold(self.store, scan_id, reason, placed_by)

    def release_hold(self, scan_id: int) -> None:
        if not release_hold(self.store, scan_id):
            raise NotFound(f"scan {scan_id} is not under legal hold")

    def holds(self) -> list[Hold]:
        return holds(self.store)

    def _schedule(self, name: str) -> None:
        if name not in self.scheduler.schedules:
            raise NotFound(f"no schedule {name!r}")


TEST_CLOCK = "ALMGUARD_TEST_SCHEDULER_CLOCK"


def scheduler_clock(environ: Mapping[str, str]) -> tuple[Callable[[], datetime], float]:
    """The scheduler's clock (naive UTC) and its speed. For tests only,
    ALMGUARD_TEST_SCHEDULER_CLOCK="ORIGIN,SPEED" (epoch seconds, factor) runs it SPEED
    times faster than real time from ORIGIN; processes given the same value agree on the
    time (a replica test's 20 minute slots in 20 real seconds). Leases stay real time."""
    value = environ.get(TEST_CLOCK)
    if not value:
        return utcnow, 1.0
    try:
        origin_text, speed_text = value.split(",")
        origin, speed = float(origin_text), float(speed_text)
        if not speed > 0:
            raise ValueError
    except ValueError:
        raise ConfigError(f"{TEST_CLOCK}={value!r}: expected 'ORIGIN,SPEED' (epoch seconds "
                          "and a factor above 0)") from None

    def fast() -> datetime:
        real = utc_now().timestamp()
        return from_epoch_s(0).replace(tzinfo=None) + timedelta(
            seconds=origin + (real - origin) * speed)

    return fast, speed


def _brief(info: ScanInfo) -> dict[str, Any]:
    """A scan as a diff document names it."""
    return {"id": info.id, "registry": info.registry, "captured_at": info.captured_at,
            "created_at": info.created_at, "snapshot_digest": info.snapshot_digest,
            "verdict": info.verdict, "findings": info.findings}
