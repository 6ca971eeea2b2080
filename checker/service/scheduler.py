"""Cron schedules inside the service.

- Each schedule runs at its cron slots (UTC). A schedule never runs twice at once: a slot
  that comes while the previous run is still going is skipped (and logged).
- Every run is recorded: running, then succeeded with its scans or failed with the error.
- After a restart, a schedule whose last recorded run is older than its latest slot runs
  once, now, for that slot: missed slots are caught up once, not once each. A schedule that
  has never run waits for its first slot.
- Runs left "running" by a killed process are marked failed at start, and their schedule
  runs once again then (the interrupted slot counts as missed).

Replicas (any number of processes on one PostgreSQL database) run each slot exactly once:
every replica plans the same slots, and the database decides who runs one — a row per
(schedule, slot) in schedule_slots, inserted with ON CONFLICT DO NOTHING (store.claim_slot).
The winner renews the claim's lease while the run goes (every third of `lease`). A replica
killed mid-run stops renewing; once its lease has expired, the first replica to see it
takes the claim over (a conditional UPDATE), marks the dead run failed and runs the slot
again. An expired claim of an older slot than the schedule's newest is closed instead
(missed slots are caught up once). On SQLite (one process) claims left at start are the
previous process's and expire at once.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from contextlib import contextmanager
from typing import Callable, Iterator

from croniter import croniter

from ..errors import AlmguardError
from ..errors import RunInProgress as RunInProgress  # re-exported
from .config import ScheduleConfig
from .sources import snapshot_sources
from .store import Store, utcnow

LEASE = timedelta(seconds=30)

log = logging.getLogger("almguard.scheduler")

ScanFn = Callable[..., int]


def _cron(expression: str, start: datetime) -> croniter:
    return croniter(expression, start.replace(tzinfo=timezone.utc))


def previous_slot(expression: str, now: datetime) -> datetime:
    """The latest slot at or before `now` (naive UTC)."""
    start = now.replace(microsecond=0) + timedelta(seconds=1)   # get_prev is strict
    return _cron(expression, start).get_prev(datetime).replace(tzinfo=None)


def _is_slot(expression: str, moment: datetime) -> bool:
    """Whether a moment is one of the cron expression's slots (a scheduled run's slot; a
    run by hand has the time it was asked for)."""
    return previous_slot(expression, moment) == moment


def next_slot(expression: str, after: datetime) -> datetime:
    return _cron(expression, after).get_next(datetime).replace(tzinfo=None)


class Scheduler:
    """Runs the configured schedules on a background thread.

    `scan(snapshot, source=..., requested_by=...)` evaluates and stores one snapshot and
    returns the scan id (the service's own scan path); `on_run(name, run_id, scan_ids)` is
    called once a run is recorded (notifications). `clock` returns naive UTC now, the
    time slots are planned by; `speed` is how many of its seconds pass per real second (a
    test clock running fast; leases are always real time). `replica` names this process
    in claims and runs.
    """

    def __init__(self, store: Store, schedules: list[ScheduleConfig], scan: ScanFn, *,
                 clock: Callable[[], datetime] = utcnow, speed: float = 1.0,
                 lease: timedelta = LEASE, replica: str | None = None,
                 on_run: Callable[[str, int, list[int]], object] | None = None) -> None:
        self.store = store
        self.schedules = {s.name: s for s in schedules}
        self._scan = scan
        self._clock = clock
        self._speed = speed
        self.lease = lease
        self.replica = replica or replica_name()
        self._on_run = on_run
        self._running: set[str] = set()
        self._queued: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        # a worker per schedule: a slow schedule never holds back another one's slots
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(self.schedules)),
                                        thread_name_prefix="almguard-schedule")
        self._thread: threading.Thread | None = None
        self._next: dict[str, datetime] = {}

    # --- planning --------------------------------------------------------------------

    def recover(self) -> list[str]:
        """At start: close interrupted runs (and say so to their notification targets),
        and return the schedules that missed a slot or whose scheduled run was interrupted.
        A run by hand that was interrupted is not run again: it was not a slot."""
        if self.store.engine.dialect.name == "sqlite":
            self.store.expire_claims()
        interrupted = self.store.interrupt_running()
        if interrupted:
            log.warning("marked interrupted run(s) of %s as failed",
                        ", ".join(sorted({name for name, _, _ in interrupted})))
        again = set()
        for name, slot, run_id in interrupted:
            self._notify(name, run_id, [])
            schedule = self.schedules.get(name)
            if schedule is not None and _is_slot(schedule.cron, slot):
                again.add(name)
        now = self._clock()
        missed = []
        for name, schedule in self.schedules.items():
            last = self.store.last_run(name)
            slot = previous_slot(schedule.cron, now)
            if name in again or (last is not None and last.slot < slot):
                missed.append(name)
            self._next[name] = next_slot(schedule.cron, now)
        return missed

    def _notify(self, name: str, run_id: int, scans: list[int]) -> None:
        if self._on_run is None:
            return
        try:
            self._on_run(name, run_id, scans)
        except Exception:  # noqa: BLE001 - the run is recorded; never fail it now
            log.exception("schedule %s: run %d: cannot queue its notifications", name, run_id)

    def due(self, now: datetime) -> list[tuple[str, datetime]]:
        """Schedules whose next slot has come, with that slot; advances their next slot."""
        out = []
        for name, schedule in self.schedules.items():
            at = self._next.setdefault(name, next_slot(schedule.cron, now))
            if at <= now:
                out.append((name, previous_slot(schedule.cron, now)))
                self._next[name] = next_slot(schedule.cron, now)
        return out

    # --- running ---------------------------------------------------------------------

    def run(self, name: str, slot: datetime | None = None) -> int:
        """Run one schedule now (on this thread) for `slot` (None: by hand, now); returns
        the run id.

        Raises RunInProgress if it is already running here or on another replica, or if
        another replica has run or runs that slot; KeyError if it is unknown.
        """
        schedule = self.schedules[name]
        with self._lock:
            if name in self._running:
                raise RunInProgress(f"schedule {name!r} is already running")
            self._running.add(name)
        try:
            slot = slot or self._clock()
            claim = self.store.claim_slot(name, slot, self.replica, self.lease)
            if not claim.claimed:
                raise RunInProgress(
                    f"schedule {name!r} is already running on replica {claim.owner}"
                    if claim.outcome in ("busy", "held") else
                    f"schedule {name!r}: slot {slot} has already run (replica {claim.owner})")
            if claim.taken_from is not None:
                log.warning("schedule %s: replica %s stopped during slot %s: running it "
                            "again", name, claim.taken_from, slot)
                if claim.taken_run is not None:
                    self._notify(name, claim.taken_run, [])
            run_id = self.store.start_run(name, slot, replica=self.replica)
            scans: list[int] = []
            errors: list[str] = []
            with self._renewing():
                try:
                    for source in snapshot_sources(schedule.source):
                        try:
                            snapshot = source.load()
                            scans.append(self._scan(snapshot, source=f"schedule:{name}",
                                                    requested_by="scheduler"))
                        except AlmguardError as exc:
                            errors.append(str(exc))
                except AlmguardError as exc:
                    errors.append(str(exc))
                except Exception as exc:  # noqa: BLE001 - recorded on the run, never lost
                    errors.append(f"internal error: {type(exc).__name__}: {exc}")
            status = "failed" if errors else "succeeded"
            self.store.finish_run(run_id, status=status, error="; ".join(errors) or None,
                                  scan_ids=scans)
            log.info("schedule %s: %s (%d scans)%s", name, status, len(scans),
                     f": {errors[0]}" if errors else "")
            self._notify(name, run_id, scans)
            return run_id
        finally:
            with self._lock:
                self._running.discard(name)

    def submit(self, name: str, slot: datetime | None = None) -> None:
        """Run in the background unless it is already running (then the slot is skipped)."""
        with self._lock:
            busy = name in self._running or name in self._queued
            if not busy:
                self._queued.add(name)
        if busy:
            log.warning("schedule %s: still running, slot %s skipped", name, slot)
            return

        def job() -> None:
            with self._lock:
                self._queued.discard(name)
            try:
                self.run(name, slot)
            except RunInProgress as exc:
                log.info("%s: slot %s not run here", exc, slot)
            except Exception:  # noqa: BLE001 - a failing store must not kill the thread
                log.exception("schedule %s: run could not be recorded", name)

        self._pool.submit(job)

    def now(self) -> datetime:
        """The time slots are planned by (naive UTC)."""
        return self._clock()

    def running(self) -> set[str]:
        with self._lock:
            return set(self._running)

    # --- the thread ------------------------------------------------------------------

    def start(self) -> None:
        for name in self.recover():
            log.info("schedule %s missed a slot while the service was down: running once",
                     name)
            self.submit(name, previous_slot(self.schedules[name].cron, self._clock()))
        self._thread = threading.Thread(target=self._loop, name="almguard-scheduler",
                                        daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        beat = min(self.lease.total_seconds() / 3, 60.0)
        last_beat = 0.0
        while not self._stop.is_set():
            now = self._clock()
            for name, slot in self.due(now):
                self.submit(name, slot)
            if time.monotonic() - last_beat >= beat:
                last_beat = time.monotonic()
                try:
                    self.heartbeat()
                except AlmguardError as exc:
                    log.warning("scheduler: %s", exc)
                except Exception:  # noqa: BLE001 - a database outage must not end the loop
                    log.exception("scheduler: cannot read the claims of other replicas")
            upcoming = min(self._next.values(), default=None)
            wait = 60.0 if upcoming is None else (
                (upcoming - self._clock()).total_seconds() / self._speed)
            self._wake.wait(timeout=min(max(wait, 0.05), beat))
            self._wake.clear()

    def heartbeat(self) -> None:
        """Renew this replica's leases, and take over the slots of replicas that died: the
        newest expired slot of a schedule runs again, older ones are closed."""
        expired = self.store.expired_claims()
        if not expired:
            return
        latest = self.store.latest_claims()
        for name, slot, owner in expired:
            if name not in self.schedules:
                continue
            if latest.get(name, slot) > slot:
                if self.store.close_claim(name, slot, owner):
                    log.info("schedule %s: slot %s of replica %s, which stopped, is "
                             "superseded by slot %s", name, slot, owner, latest[name])
            else:
                self.submit(name, slot)

    @contextmanager
    def _renewing(self) -> Iterator[None]:
        """Renew this replica's leases every third of the lease while the block runs."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self.lease.total_seconds() / 3):
                try:
                    if self.store.renew_claims(self.replica, self.lease) == 0:
                        log.warning("replica %s holds no claim any more (lease lost)",
                                    self.replica)
                except Exception:  # noqa: BLE001 - logged; the lease lapses, another runs
                    log.exception("replica %s: cannot renew its leases", self.replica)

        thread = threading.Thread(target=renew, name="almguard-lease", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(timeout=5)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)


def replica_name() -> str:
    """This process in claims and runs: host, process id and a random tag (a restarted
    process with a reused pid is another replica)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
