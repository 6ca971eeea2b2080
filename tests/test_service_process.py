"""The service as a real process (`python -m checker serve`), on SQLite and PostgreSQL.

- A schedule whose last run is long past runs exactly once when the service starts (the
  missed slots collapse to one run), its scan is stored, and a second start runs nothing.
- The OPA engine's server killed and started again empty (its pushed policies lost): the
  service is not ready while it is down (503 with the reason, gates fail closed), and
  afterwards loads its policies into the new server by itself, from /readyz or from the
  next gate or scan, without being restarted.
- kill -9 in the middle of a scan of a large snapshot (20 000 model versions): while the
  body is parsed, while the policies are evaluated, and inside the transaction that stores
  snapshot and scan. Every time the database is whole (SQLite's integrity check, no scan
  without its snapshot, no snapshot without a scan), the next start is ready, and the
  scans are the ones before or those plus one complete, readable scan.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import SAMPLES, run_cli
from service_process import ServiceProcess, free_port, start_service
from service_support import auth, config_text, secret, wait_until

httpx = pytest.importorskip("httpx")
sqlalchemy = pytest.importorskip("sqlalchemy")

from checker.service.store import Store  # noqa: E402

pytestmark = pytest.mark.slow

BIG_VERSIONS = 20_000
COMPLIANT = SAMPLES / "compliant.yaml"


def client(service: ServiceProcess, token: str = "admin") -> Any:
    return httpx.Client(base_url=service.url, headers=auth(token), timeout=120)


# --- a missed schedule --------------------------------------------------------------------

def test_a_schedule_missed_while_down_runs_once_at_start(database_url: str, tmp_path: Path):
    store = Store(database_url)
    store.migrate()
    seeded = store.start_run("new-year", datetime(2000, 1, 1))    # decades of missed slots
    store.finish_run(seeded, status="succeeded")
    store.close()
    schedule = {"name": "new-year", "cron": "0 0 1 1 *",
                "source": {"kind": "file", "path": str(COMPLIANT)}}
    text = config_text(database_url, schedules=[schedule])
    year = datetime.now(timezone.utc).year

    def finished_runs(http: Any) -> list[dict[str, Any]] | None:
        runs = http.get("/v1/schedules/new-year/runs").json()["runs"]
        return runs if len(runs) >= 2 and runs[0]["status"] != "running" else None

    with start_service(tmp_path, text) as service, client(service, "reader") as http:
        runs = wait_until(lambda: finished_runs(http))
        assert runs[0]["status"] == "succeeded", runs[0]["error"]
        assert runs[0]["slot"] == f"{year}-01-01T00:00:00Z"
        scans = http.get("/v1/scans").json()["scans"]
        assert [s["id"] for s in scans] == [runs[0]["scan_id"]]
        assert scans[0]["source"] == "schedule:new-year"
        assert scans[0]["registry"] == "contoso-foundry"
        listed = http.get("/v1/schedules").json()["schedules"]
        assert [s["name"] for s in listed] == ["new-year"]
        assert listed[0]["last_run"]["id"] == runs[0]["id"]
        assert listed[0]["next_run"] == f"{year + 1}-01-01T00:00:00Z"
        time.sleep(0.5)
        assert len(http.get("/v1/schedules/new-year/runs").json()["runs"]) == 2
    with start_service(tmp_path, text) as service, client(service, "reader") as http:
        time.sleep(0.5)                                   # caught up: nothing runs again
        assert len(http.get("/v1/schedules/new-year/runs").json()["runs"]) == 2
        assert len(http.get("/v1/scans").json()["scans"]) == 1


def test_a_declared_body_over_the_limit_is_refused_before_it_is_sent(tmp_path: Path):
    text = config_text(f"sqlite:///{tmp_path / 'almguard.db'}", max_body_bytes=4096)
    with start_service(tmp_path, text) as service:
        port = int(service.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(f"POST /v1/scans HTTP/1.1\r\nHost: x\r\n"
                         f"Authorization: Bearer {secret('scanner')}\r\n"
                         "Content-Type: application/json\r\n"
                         "Content-Length: 1000000000\r\n\r\n".encode())  # and no body
            answer = b""
            while chunk := sock.recv(4096):                # the server closes when done
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"4096" in answer


# --- the OPA server restarts empty ----------------------------------------------------------

GATE = {"registry": "contoso-foundry", "model": "support-summarizer", "version": "2.1.0",
        "endpoint": "support-summarizer-prod"}     # allow, on compliant.yaml


def start_opa(opa: str, port: int, timeout: float = 30) -> subprocess.Popen[bytes]:
    """A fresh, empty `opa run --server` on 127.0.0.1:port, once it answers /health."""
    proc = subprocess.Popen([opa, "run", "--server", "--addr", f"127.0.0.1:{port}",
                             "--log-level", "error", "--disable-telemetry"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)

    def healthy() -> bool:
        assert proc.poll() is None, f"opa exited with {proc.returncode}"
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, timeout=timeout, step=0.05)
    except BaseException:
        stop_opa(proc)
        raise
    return proc


def stop_opa(proc: subprocess.Popen[bytes]) -> None:
    """kill -9, as a crash would (nothing is saved: OPA keeps policies in memory)."""
    if proc.poll() is None:
        proc.kill()
    proc.wait(30)


def test_the_service_reloads_its_policies_into_an_opa_server_restarted_empty(
        opa: str, tmp_path: Path):
    port = free_port()
    opa_url = f"http://127.0.0.1:{port}"
    server = start_opa(opa, port)
    text = config_text(f"sqlite:///{tmp_path / 'almguard.db'}", scheduler=False,
                       evaluation={"engine": "opa", "opa_url": opa_url})
    service: ServiceProcess | None = None
    stack = ExitStack()
    try:
        service = start_service(tmp_path, text)             # waits for /readyz 200
        http = stack.enter_context(client(service))
        ready = http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["engine"].startswith("opa ")
        assert http.post("/v1/scans", content=COMPLIANT.read_bytes(),
                         headers={"Content-Type": "application/yaml"}).status_code == 201
        assert http.post("/v1/gate", json=GATE).headers["almguard-decision"] == "allow"

        stop_opa(server)                                    # down: not ready, fail closed
        down = http.get("/readyz")
        assert down.status_code == 503 and down.json()["status"] == "unavailable"
        assert "policy engine cannot evaluate" in down.json()["detail"]
        assert f"OPA server at {opa_url} is unreachable" in down.json()["detail"]
        assert "\n" not in down.json()["detail"]
        gate = http.post("/v1/gate", json=GATE)
        assert gate.status_code == 503 and "almguard-decision" not in gate.headers
        assert "fail closed" in gate.json()["detail"]

        server = start_opa(opa, port)                       # back, but empty
        assert httpx.get(f"{opa_url}/v1/policies", timeout=10).json()["result"] == []
        ready = http.get("/readyz")                         # reloads the policies itself
        assert ready.status_code == 200, ready.text
        policies = httpx.get(f"{opa_url}/v1/policies", timeout=10).json()["result"]
        assert policies and all(p["id"].startswith("almguard/") for p in policies)
        assert http.post("/v1/gate", json=GATE).headers["almguard-decision"] == "allow"

        stop_opa(server)                                    # again, and no /readyz this time:
        server = start_opa(opa, port)                       # the next request recovers
        gate = http.post("/v1/gate", json=GATE)
        assert gate.status_code == 200, gate.text
        assert gate.headers["almguard-decision"] == "allow"
        scan = http.post("/v1/scans", content=(SAMPLES / "messy.yaml").read_bytes(),
                         headers={"Content-Type": "application/yaml"})
        assert scan.status_code == 201, scan.text
        assert scan.json()["engine"].startswith("opa ")
        assert scan.json()["verdict"] == "fail"
        expected = run_cli("scan", str(SAMPLES / "messy.yaml"), "--format", "json")
        report = http.get(f"/v1/scans/{scan.json()['id']}/report.json").json()
        assert report["findings"] == json.loads(expected.stdout)["findings"]
        assert service.proc.poll() is None                  # the same process all along
        assert service.log.count("loaded policies") == 2, service.log
    finally:
        stack.close()
        if service is not None:
            service.stop()
        stop_opa(server)


# --- kill -9 mid-scan ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_snapshot(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("big") / "big.json"
    run = run_cli("generate", "--versions", str(BIG_VERSIONS), "-o", str(path), timeout=300)
    assert run.code == 0, run.stderr
    body = path.read_bytes()
    assert body.count(b'"name":"synthetic-registry"') == 1
    return body


def renamed(body: bytes, registry: str) -> bytes:
    """The big snapshot as another registry: a new digest, so its snapshot is stored anew."""
    return body.replace(b'"name":"synthetic-registry"', f'"name":"{registry}"'.encode(), 1)


class Poster(threading.Thread):
    """POST /v1/scans in the background; the response, or the error of a killed server."""

    def __init__(self, service: ServiceProcess, body: bytes) -> None:
        super().__init__(daemon=True)
        self.url = service.url + "/v1/scans"
        self.body = body
        self.response: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.response = httpx.post(self.url, content=self.body, timeout=300,
                                       headers={**auth("scanner"),
                                                "Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            self.error = exc


def descendants(pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        kids = [child for child, parent in parents.items() if parent == frontier[-1]]
        frontier.pop()
        found += kids
        frontier += kids
    return found


def kill_9(service: ServiceProcess) -> None:
    """kill -9 the server, as a crash would; then its engine's worker processes (by id),
    which would otherwise be left behind as orphans."""
    workers = descendants(service.proc.pid)
    os.kill(service.proc.pid, signal.SIGKILL)
    service.proc.wait(30)
    for pid in workers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Database:
    """The test's own view of the service's database, with the service stopped or killed."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
        self.sqlite = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") \
            else None

    def scalar(self, sql: str) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(sqlalchemy.text(sql)).scalar()

    def check_whole(self) -> int:
        """Integrity, no half-written scan; the number of scans."""
        if self.sqlite is not None:
            with sqlite3.connect(self.sqlite) as connection:
                assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert self.scalar("SELECT count(*) FROM scans s LEFT JOIN snapshots p "
                           "ON p.digest = s.snapshot_digest WHERE p.digest IS NULL") == 0
        assert self.scalar("SELECT count(*) FROM snapshots p WHERE NOT EXISTS "
                           "(SELECT 1 FROM scans s WHERE s.snapshot_digest = p.digest)") == 0
        return int(self.scalar("SELECT count(*) FROM scans"))

    def wal_state(self) -> tuple[int, int]:
        assert self.sqlite is not None
        try:
            stat = Path(f"{self.sqlite}-wal").stat()
        except FileNotFoundError:
            return (0, 0)
        return (stat.st_size, stat.st_mtime_ns)

    def close(self) -> None:
        self.engine.dispose()


def check_scans(service: ServiceProcess, database_url: str) -> list[dict[str, Any]]:
    """Every stored scan is complete: its result parses and names its snapshot, and the
    stored snapshot matches its digest."""
    store = Store(database_url)
    try:
        with client(service, "reader") as http:
            scans = http.get("/v1/scans?limit=500").json()["scans"]
            for scan in scans:
                report = http.get(f"/v1/scans/{scan['id']}/report.json")
                assert report.status_code == 200
                result = report.json()
                assert result["snapshot"]["digest"] == scan["snapshot_digest"]
                assert result["summary"]["findings"] == scan["findings"]
                snapshot = store.snapshot(scan["snapshot_digest"])   # checks the digest
                assert snapshot is not None
                assert snapshot.document["registry"]["name"] == scan["registry"]
    finally:
        store.close()
    return scans


def kill_while_parsing(service: ServiceProcess, poster: Poster, db: Database) -> str:
    time.sleep(1.0)        # the 34 MB body is in; reading and validating it takes seconds
    return "parsing"


def kill_while_evaluating(service: ServiceProcess, poster: Poster, db: Database) -> str:
    # the embedded engine fans a large snapshot out to worker processes
    wait_until(lambda: descendants(service.proc.pid) or poster.response, step=0.02)
    time.sleep(0.5)
    return "evaluating"


def kill_while_storing(service: ServiceProcess, poster: Poster, db: Database) -> str:
    if db.sqlite is not None:
        # nothing else writes: the write-ahead log changing is the store's transaction
        # writing the snapshot's pages (3.6 MB, more than SQLite's page cache holds)
        before = db.wal_state()
        wait_until(lambda: db.wal_state() != before or poster.response, timeout=120,
                   step=0.0005)
        return "storing"
    # PostgreSQL: the test holds the scans table (scans_locked), so the transaction stops at
    # the scan's insert after it inserted the snapshot row (its lock on snapshots shows it)
    waiting = ("SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
               "WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' "
               "AND a.query LIKE 'INSERT INTO scans%' AND l.granted "
               "AND l.relation = 'snapshots'::regclass AND l.mode = 'RowExclusiveLock'")
    wait_until(lambda: db.scalar(waiting) or poster.response, timeout=120)
    return "storing, snapshot row inserted"


TRIALS = {"parsing": kill_while_parsing, "evaluating": kill_while_evaluating,
          "storing": kill_while_storing}


@contextmanager
def scans_locked(db: Database | None) -> Iterator[None]:
    """PostgreSQL: hold the scans table against inserts (reads go on) until the exit."""
    if db is None or db.sqlite is not None:
        yield
        return
    with db.engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(sqlalchemy.text("LOCK TABLE scans IN SHARE MODE"))
        try:
            yield
        finally:
            transaction.rollback()


def test_kill_9_mid_scan_leaves_no_half_written_scan(database_url: str, tmp_path: Path,
                                                     big_snapshot: bytes,
                                                     record_figure: Any):
    db = Database(database_url)
    text = config_text(database_url)
    service = start_service(tmp_path, text)
    outcomes = []
    try:
        with client(service, "scanner") as http:       # a scan from before, to survive
            assert http.post("/v1/scans", content=COMPLIANT.read_bytes(),
                             headers={"Content-Type": "application/yaml"}).status_code == 201
        for phase, wait in TRIALS.items():
            before = db.check_whole()
            registry = f"big-{phase}"
            with scans_locked(db if phase == "storing" else None):
                poster = Poster(service, renamed(big_snapshot, registry))
                poster.start()
                where = wait(service, poster, db)
                assert poster.response is None, f"the scan was done before the kill ({phase})"
                kill_9(service)
            poster.join(60)
            assert poster.response is None and poster.error is not None
            after = db.check_whole()
            if phase != "storing" or db.sqlite is None:
                assert after == before, phase        # killed before the commit: nothing
            assert after in (before, before + 1)
            service = start_service(tmp_path, text)  # ready again (it waits for /readyz)
            scans = check_scans(service, database_url)
            assert len(scans) == after
            assert scans[-1]["registry"] == "contoso-foundry"
            if after == before + 1:
                assert scans[0]["registry"] == registry
            outcomes.append(f"{where}: {'+1 complete scan' if after > before else 'nothing'}")
    finally:
        service.stop()
        db.close()
    backend = "SQLite" if db.sqlite is not None else "PostgreSQL"
    record_figure(f"kill -9 mid-scan on {backend}: " + "; ".join(outcomes))
