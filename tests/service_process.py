"""The reporting service as a real process, for tests that talk to it over HTTP.

    service = start_service(tmp_path, "database: sqlite:///almguard.db\\n",
                            {"ALMGUARD_TOKEN_ADMIN": "admin:secret"})
    try:
        urllib.request.urlopen(service.url + "/readyz")
    finally:
        service.stop()

`almguard serve` (python -m checker serve) on 127.0.0.1 and a free port, with the config
written to TMP/config.yaml (relative paths in it, e.g. the SQLite file, resolve under TMP)
and its output in TMP/service.log. start_service returns once /readyz answers 200, and
raises with the log's tail if the process exits or is not ready in time. ALMGUARD_TOKEN_*
variables of the calling environment are not passed on: the tokens are exactly `env`'s.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    """A running `almguard serve`: its base URL, its log, and how to end it."""

    def __init__(self, proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.proc = proc
        self.url = url
        self.log_path = log

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM (uvicorn's graceful shutdown), SIGKILL if it does not exit in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.wait()

    def kill(self) -> int:
        if self.proc.poll() is None:
            self.proc.kill()
        return self.proc.wait()

    def __enter__(self) -> "ServiceProcess":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_service(tmp_path: Path, config_text: str, env: dict[str, str] | None = None, *,
                  timeout: float = 60) -> ServiceProcess:
    """Start the service with this config and these extra environment variables, and wait
    until it is ready."""
    config = tmp_path / "config.yaml"
    config.write_text(config_text, encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    base = {k: v for k, v in os.environ.items() if not k.startswith("ALMGUARD_TOKEN_")}
    log = tmp_path / "service.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "checker", "serve", "--config", str(config),
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT, env={**base, **(env or {})}, stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT)
    service = ServiceProcess(proc, url, log)
    try:
        wait_until_ready(proc, f"{url}/readyz", log, timeout=timeout, name="almguard serve")
    except RuntimeError:
        service.kill()
        raise
    return service


def wait_until_ready(proc: subprocess.Popen[bytes], health_url: str, log: Path, *,
                     timeout: float, name: str) -> None:
    """Poll health_url until it answers 200; RuntimeError with the log's tail if the
    process exits first or the time runs out (the caller ends the process)."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(health_url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} was not ready within {timeout:g} s:\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)
