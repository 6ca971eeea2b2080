"""Gate load on the reporting service: requests per second and p50/p99 latency.

Starts `almguard serve` as its own process (SQLite in a temporary directory), stores one
scan of a generated registry, then sends gate requests for deployments of that registry
from client threads over keep-alive connections, and prints the figures.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(conn: http.client.HTTPConnection, method: str, path: str, body: bytes,
             token: str, content_type: str = "application/json") -> tuple[int, bytes]:
    conn.request(method, path, body=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": content_type})
    response = conn.getresponse()
    return response.status, response.read()


def gate_load(snapshot: Path, *, requests: int = 400,
              clients: tuple[int, ...] = (1, 4)) -> list[dict[str, float]]:
    token = "bench-" + os.urandom(8).hex()
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "service.yaml"
        config.write_text(f"database: sqlite:///{tmp}/bench.db\nscheduler: false\n")
        env = {**os.environ, "ALMGUARD_TOKEN_BENCH": f"admin:{token}"}
        server = subprocess.Popen(
            [sys.executable, "-m", "checker", "serve", "--config", str(config), "--port",
             str(port), "--log-level", "warning"], env=env)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            for _ in range(600):
                try:
                    conn.request("GET", "/readyz")
                    if conn.getresponse().read() and True:
                        break
                except OSError:
                    conn.close()
                    time.sleep(0.1)
            started = time.perf_counter()
            status, body = _request(conn, "POST", "/v1/scans", snapshot.read_bytes(), token)
            scan_seconds = time.perf_counter() - started
            if status != 201:
                raise SystemExit(f"scan failed: {status} {body[:200]!r}")
            document = json.loads(snapshot.read_text())
            registry = document["registry"]["name"]
            bodies = [json.dumps({
                "registry": registry, "model": d["model"], "version": d["version"],
                "endpoint": d["endpoint"], "traffic_percent": 10}).encode()
                for d in document["deployments"]]
            # one warm-up gate builds the service's baseline of the stored snapshot
            _request(conn, "POST", "/v1/gate", bodies[0], token)
            figures = [_load(port, token, bodies, requests, n) for n in clients]
            for figure in figures:
                figure.update(versions=sum(len(m["versions"]) for m in document["models"]),
                              scan_s=scan_seconds)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return figures


def _load(port: int, token: str, bodies: list[bytes], requests: int,
          clients: int) -> dict[str, float]:
    """`requests` gates from `clients` threads, each on its own keep-alive connection."""
    latencies: list[float] = []
    decisions: dict[str, int] = {}
    lock = threading.Lock()
    per_client = requests // clients

    def client(offset: int) -> None:
        local = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        for i in range(per_client):
            body = bodies[(offset * per_client + i) % len(bodies)]
            t0 = time.perf_counter()
            code, answer = _request(local, "POST", "/v1/gate", body, token)
            elapsed = time.perf_counter() - t0
            if code != 200:
                raise SystemExit(f"gate failed: {code} {answer[:200]!r}")
            decision = json.loads(answer)["gate"]["decision"]
            with lock:
                latencies.append(elapsed)
                decisions[decision] = decisions.get(decision, 0) + 1
        local.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {"requests": len(latencies), "clients": clients, "rps": len(latencies) / wall,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
            "allow": decisions.get("allow", 0), "deny": decisions.get("deny", 0)}


TARGET_P99_MS = {1: 20.0, 4: 60.0}   # issue #15: one client, four concurrent clients


def print_gate_load(snapshot: Path, requests: int) -> None:
    figures = gate_load(snapshot, requests=requests)
    for m in figures:
        target = TARGET_P99_MS.get(int(m["clients"]))
        aim = f" (target p99 <= {target:.0f} ms)" if target else ""
        print(f"service gate load: {m['versions']:,} versions (stored scan "
              f"{m['scan_s']:.1f} s), {m['requests']} gates from {m['clients']} client(s): "
              f"{m['rps']:.1f} req/s, p50 {m['p50_ms']:.0f} ms, p99 {m['p99_ms']:.0f} ms"
              f"{aim} ({m['allow']} allow, {m['deny']} deny)", flush=True)
    if len(figures) > 1:
        print(f"throughput with {figures[-1]['clients']} clients: "
              f"{figures[-1]['rps'] / figures[0]['rps']:.2f}x one client's (grows with the "
              "second core: the gates run in a pool of engine processes)", flush=True)
