"""Cron schedules inside the service.

- Each schedule runs at its cron slots (UTC). A schedule never runs twice at once: a slot
  that comes while the previous run is still going is skipped (and logged).
- Every run is recorded: running, then succeeded with its scans or failed with the error.
- After a restart, a schedule whose last recorded run is older than its latest slot runs
  once, now, for that slot: missed slots are caught up once, not once each. A schedule that
  has never run waits for its first slot.
- Runs left "running" by a killed process are marked failed at start, and their schedule
  runs once again then (the interrupted slot counts as missed).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Callable

from croniter import croniter

from ..errors import AlmguardError
from .config import ScheduleConfig
from .sources import snapshot_sources
from .store import Store, utcnow

log = logging.getLogger("almguard.scheduler")

ScanFn = Callable[..., int]


def _cron(expression: str, start: datetime) -> croniter:
    return croniter(expression, start.replace(tzinfo=timezone.utc))


def previous_slot(expression: str, now: datetime) -> datetime:
    """The latest slot at or before `now` (naive UTC)."""
    start = now.replace(microsecond=0) + timedelta(seconds=1)   # get_prev is strict
    return _cron(expression, start).get_prev(datetime).replace(tzinfo=None)


def next_slot(expression: str, after: datetime) -> datetime:
    return _cron(expression, after).get_next(datetime).replace(tzinfo=None)


class RunInProgress(AlmguardError):
    """The schedule is already running."""


class Scheduler:
    """Runs the configured schedules on a background thread.

    `scan(snapshot, source=..., requested_by=...)` evaluates and stores one snapshot and
    returns the scan id (the service's own scan path). `clock` returns naive UTC now.
    """

    def __init__(self, store: Store, schedules: list[ScheduleConfig], scan: ScanFn, *,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.schedules = {s.name: s for s in schedules}
        self._scan = scan
        self._clock = clock
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
        """At start: close interrupted runs, and return the schedules that missed a slot or
        were interrupted."""
        interrupted = self.store.interrupt_running()
        if interrupted:
            log.warning("marked interrupted run(s) of %s as failed", ", ".join(interrupted))
        now = self._clock()
        missed = []
        for name, schedule in self.schedules.items():
            last = self.store.last_run(name)
            slot = previous_slot(schedule.cron, now)
            if name in interrupted or (last is not None and last.slot < slot):
                missed.append(name)
            self._next[name] = next_slot(schedule.cron, now)
        return missed

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
        """Run one schedule now (on this thread); returns the run id.

        Raises RunInProgress if it is already running, KeyError if it is unknown.
        """
        schedule = self.schedules[name]
        with self._lock:
            if name in self._running:
                raise RunInProgress(f"schedule {name!r} is already running")
            self._running.add(name)
        try:
            run_id = self.store.start_run(name, slot or self._clock())
            scans: list[int] = []
            errors: list[str] = []
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
            except RunInProgress:
                log.warning("schedule %s: still running, slot %s skipped", name, slot)
            except Exception:  # noqa: BLE001 - a failing store must not kill the thread
                log.exception("schedule %s: run could not be recorded", name)

        self._pool.submit(job)

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
        while not self._stop.is_set():
            now = self._clock()
            for name, slot in self.due(now):
                self.submit(name, slot)
            upcoming = min(self._next.values(), default=None)
            wait = 60.0 if upcoming is None else (upcoming - self._clock()).total_seconds()
            self._wake.wait(timeout=min(max(wait, 0.05), 60.0))
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._pool.shutdown(wait=True, cancel_futures=True)
