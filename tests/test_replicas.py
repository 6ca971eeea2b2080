"""Three `almguard serve` replicas on one PostgreSQL: every scheduled slot runs exactly
once, and a replica killed -9 in the middle of a run has its slot run by another.

The replicas share a test clock (ALMGUARD_TEST_SCHEDULER_CLOCK) that runs 10 times faster
than real time, so a schedule firing every minute has a slot every 6 real seconds, and
leases of 2 s. The schedule's snapshot is a named pipe the test writes: a run lasts from
the moment a replica opens the pipe until the test writes the snapshot into it, so the
test kills the replica that is reading (the one whose run is recorded as running) while
its run is certainly going.

Dashboard sessions are in the database: a login on one replica is good on the others.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
import pytest

from conftest import SAMPLES
from service_process import ServiceProcess, start_service
from service_support import config_text, postgres_database, secret, wait_until

httpx = pytest.importorskip("httpx")
pytest.importorskip("sqlalchemy")

from checker.service.store import RunInfo, Store  # noqa: E402

pytestmark = pytest.mark.slow

REPLICAS = 3
SLOTS = 20
SPEED = 10            # test-clock seconds per real second: a minute slot every 6 s
LEASE_SECONDS = 2


class Feeder:
    """Writes the snapshot into the named pipe for every reader; on request holds one
    reader (a run) until the test says it has been killed."""

    def __init__(self, fifo: Path, content: bytes, store: Store) -> None:
        self.fifo = fifo
        self.content = content
        self.store = store
        self.hold_next = threading.Event()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._feed, daemon=True)
        self.thread.start()

    def _feed(self) -> None:
        while not self.stopping.is_set():
            try:
                with open(self.fifo, "wb", buffering=0) as pipe:   # until a replica reads
                    if self.stopping.is_set():
                        return
                    if self.hold_next.is_set():
                        self.hold_next.clear()
                        self.holding.set()
                        self.release.wait(60)
                    else:
                        time.sleep(0.2)              # every run lasts a moment
                    reading = self._running()
                    pipe.write(self.content)
            except BrokenPipeError:                  # the reader was killed
                continue
            # the reader sees the end of the file only while no writer has the pipe open:
            # the next open waits until the run that read is recorded
            deadline = time.monotonic() + 60
            while reading & self._running() and time.monotonic() < deadline \
                    and not self.stopping.is_set():
                time.sleep(0.02)

    def _running(self) -> set[int]:
        return {r.id for r in self.store.runs(limit=5) if r.status == "running"}

    def stop(self) -> None:
        self.stopping.set()
        self.release.set()
        reader = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK)   # unblocks its open()
        try:
            self.thread.join(10)
        finally:
            os.close(reader)


def succeeded_slots(runs: list[RunInfo]) -> int:
    return len({r.slot for r in runs if r.status == "succeeded"})


def replica_pid(run: RunInfo) -> int:
    assert run.replica is not None
    return int(run.replica.split(":")[1])        # host:pid:tag


def test_three_replicas_run_each_slot_exactly_once_through_a_kill(tmp_path: Path):
    fifo = tmp_path / "registry.yaml"
    os.mkfifo(fifo)
    with postgres_database() as url:
        schedule = {"name": "every-minute", "cron": "* * * * *",
                    "source": {"kind": "file", "path": str(fifo)}}
        text = config_text(url, schedules=[schedule], scheduler_lease_seconds=LEASE_SECONDS)
        env = {"ALMGUARD_TEST_SCHEDULER_CLOCK": f"{time.time():.3f},{SPEED}"}
        store = Store(url)
        store.migrate()
        feeder = Feeder(fifo, (SAMPLES / "messy.yaml").read_bytes(), store)
        replicas: list[ServiceProcess] = []
        try:
            for index in range(REPLICAS):
                home = tmp_path / f"replica-{index}"
                home.mkdir()
                replicas.append(start_service(home, text, env))
            by_pid = {r.proc.pid: r for r in replicas}

            # a login on one replica is a session on every replica
            login = httpx.post(replicas[0].url + "/login", data={"token": secret("reader")},
                               follow_redirects=False)
            assert login.status_code == 303, login.text
            cookie = {"almguard_session": login.cookies["almguard_session"]}
            for replica in replicas[1:]:
                page = httpx.get(replica.url + "/", cookies=cookie, follow_redirects=False)
                assert page.status_code == 200, page.headers.get("location")

            wait_until(lambda: succeeded_slots(store.runs(limit=500)) >= 3, timeout=120)
            feeder.hold_next.set()                   # the next run is held, then killed
            assert feeder.holding.wait(60)
            running = wait_until(lambda: [r for r in store.runs(limit=500)
                                          if r.status == "running"], timeout=30)
            assert len(running) == 1, running
            killed_run = running[0]
            victim = by_pid[replica_pid(killed_run)]
            victim.kill()                            # SIGKILL during the run
            feeder.release.set()

            deadline = time.monotonic() + SLOTS * 60 / SPEED * 1.5
            while succeeded_slots(store.runs(limit=500)) < SLOTS:
                assert time.monotonic() < deadline, (
                    [(r.slot, r.status, r.replica) for r in store.runs(limit=500)],
                    "\n".join(r.log[-2000:] for r in replicas))
                time.sleep(0.2)
        finally:
            for replica in replicas:
                replica.stop()
            feeder.stop()
        logs = "\n".join(r.log for r in replicas)
        runs = sorted(store.runs(limit=500), key=lambda r: r.id)
        scans = store.list_scans(limit=500)
        slots = store.latest_claims()
        store.close()

    slots_run = sorted({r.slot for r in runs})
    assert len(slots_run) >= SLOTS
    # every minute from the first slot to the last ran: none skipped, none twice
    assert slots_run == [slots_run[0] + timedelta(minutes=i) for i in range(len(slots_run))]
    done = Counter(r.slot for r in runs if r.status == "succeeded")
    assert all(done[slot] == 1 for slot in slots_run), (done, logs[-3000:])
    assert slots == {"every-minute": slots_run[-1]}
    # the killed run: failed as interrupted, and its slot run once more by another replica
    failed = [r for r in runs if r.status != "succeeded"]
    assert [(r.id, r.slot) for r in failed] == [(killed_run.id, killed_run.slot)], failed
    assert "interrupted" in (failed[0].error or "") and failed[0].replica in failed[0].error
    again = [r for r in runs if r.slot == killed_run.slot and r.status == "succeeded"]
    assert len(again) == 1 and again[0].replica != killed_run.replica
    assert again[0].started_at - killed_run.started_at >= timedelta(seconds=LEASE_SECONDS)
    # one scan per successful run: no slot's scan stored twice
    assert sorted(s.id for s in scans) == sorted(r.scan_id for r in runs
                                                 if r.status == "succeeded")
    assert {s.source for s in scans} == {"schedule:every-minute"}
    assert "Traceback" not in logs
