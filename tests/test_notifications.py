"""Notifications of scheduled runs, delivered to a local HTTP receiver.

- A scheduled scan whose verdict changes produces one webhook delivery, signed with
  HMAC-SHA256 of the exact body, retried once after the receiver answers 500, and both
  attempts are recorded on the delivery's row.
- The receiver is slow (it holds its first answer): the run is recorded before the
  delivery is answered, so a receiver never delays a scan.
- A failed run is notified; an unchanged verdict without new findings is not.
- apprise targets (Slack, Teams, e-mail, ...) go through apprise: tested with its json://
  URL to the same receiver.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import socket
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import SAMPLES
from service_support import auth, service_config, wait_until

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from checker.service.api import create_app  # noqa: E402
from checker.errors import ConfigError  # noqa: E402
from checker.service.service import Service  # noqa: E402
from tool_support import missing

SECRET = "webhook-s3cret"
COMPLIANT = SAMPLES / "compliant.yaml"
MESSY = SAMPLES / "messy.yaml"


class Receiver:
    """A local HTTP server recording every request; answers `statuses` in turn (then
    200), each answer held until `release` is set when `hold` is."""

    def __init__(self, statuses: list[int]) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses = list(statuses)
        self.hold = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()},
                                          body))
                if receiver.hold.is_set():
                    receiver.release.wait(30)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver([500])
    yield server
    server.close()


def failing_version() -> str:
    """The registry of compliant.yaml turned into the messy one: it fails."""
    text = MESSY.read_text(encoding="utf-8")
    assert "  name: contoso-foundry-legacy\n" in text
    return text.replace("  name: contoso-foundry-legacy\n", "  name: contoso-foundry\n", 1)


def make_service(database_url: str, source: Path, notify: list[dict[str, Any]],
                 environ: dict[str, str]) -> Service:
    schedule = {"name": "watch", "cron": "0 3 * * *",
                "source": {"kind": "file", "path": str(source)}, "notify": notify}
    service = Service(service_config(database_url, schedules=[schedule], scheduler=False),
                      environ=environ)
    service.notifier.backoff = timedelta(milliseconds=200)
    service.start()
    return service


def test_a_verdict_change_is_one_signed_delivery_retried_after_a_500(
        database_url: str, tmp_path: Path, receiver: Receiver):
    target = tmp_path / "registry.yaml"
    shutil.copy(COMPLIANT, target)
    service = make_service(database_url, target,
                           [{"webhook": receiver.url, "secret_env": "HOOK_SECRET"}],
                           {"HOOK_SECRET": SECRET})
    try:
        first = service.run_schedule("watch")                 # the first scan: nothing to say
        assert first.status == "succeeded"
        target.write_text(failing_version(), encoding="utf-8")
        receiver.hold.set()                                   # a slow receiver ...
        second = service.run_schedule("watch")
        assert second.status == "succeeded"                   # ... never delays the scan
        wait_until(lambda: len(receiver.requests) == 1)
        receiver.hold.clear()
        receiver.release.set()
        wait_until(lambda: len(receiver.requests) == 2, timeout=30)
        wait_until(lambda: service.store.notifications("watch")[0].status == "delivered")
        unchanged = service.run_schedule("watch")             # still failing, nothing new
        assert unchanged.status == "succeeded"
        notifications = service.store.notifications("watch")
        listed = TestClient(create_app(service)).get(          # no lifespan: the test owns it
            "/v1/schedules/watch/notifications", headers=auth("reader")).json()
    finally:
        service.close()

    assert len(receiver.requests) == 2                        # one delivery, two attempts
    (headers, body), (headers_again, body_again) = receiver.requests
    assert body == body_again and headers["x-almguard-delivery"] == \
        headers_again["x-almguard-delivery"]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-almguard-signature"] == headers_again["x-almguard-signature"] == expected
    assert headers["content-type"] == "application/json"
    document = json.loads(body)
    assert document["type"] == "almguard.schedule.run" and document["schedule"] == "watch"
    assert "verdict_changed" in document["events"]
    assert headers["x-almguard-events"] == ",".join(document["events"])
    assert document["run"]["id"] == second.id and document["run"]["status"] == "succeeded"
    [scan] = document["scans"]
    assert scan["id"] == second.scan_id and scan["registry"] == "contoso-foundry"
    assert (scan["previous"]["id"], scan["previous"]["verdict"], scan["verdict"]) == \
        (first.scan_id, "pass", "fail")
    [row] = notifications                                     # recorded, both attempts
    assert (row.status, row.attempts, row.run_id) == ("delivered", 2, second.id)
    assert row.target == f"webhook http://127.0.0.1:{receiver.server.server_address[1]}"
    assert len(row.log) == 2 and "HTTP 500" in row.log[0] and "delivered" in row.log[1]
    assert row.body.encode() == body and SECRET not in row.body
    [shown] = listed["notifications"]
    assert (shown["id"], shown["status"], shown["attempts"]) == (row.id, "delivered", 2)
    assert "HTTP 500" in shown["log"][0] and "body" not in shown


def _closed_port() -> int:
    with socket.socket() as sock:      # bound, then closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_failed_run_is_notified_and_an_unreachable_receiver_is_recorded(
        database_url: str, tmp_path: Path, receiver: Receiver):
    receiver.statuses.clear()
    dead = f"http://127.0.0.1:{_closed_port()}/hook"
    service = make_service(database_url, tmp_path / "gone.yaml", [
        {"webhook": receiver.url, "secret_env": "HOOK_SECRET", "on": ["run_failed"]},
        {"webhook": dead, "secret_env": "HOOK_SECRET", "events": ["run_failed"]},
        {"webhook": receiver.url, "secret_env": "HOOK_SECRET", "on": ["verdict_changed"]}],
        {"HOOK_SECRET": SECRET})
    try:
        run = service.run_schedule("watch")
        assert run.status == "failed"
        wait_until(lambda: len(receiver.requests) == 1, timeout=30)
        wait_until(lambda: {n.status for n in service.store.notifications("watch")}
                   == {"delivered", "failed"}, timeout=30)
        notifications = sorted(service.store.notifications("watch"),
                               key=lambda n: n.target_index)
    finally:
        service.close()
    document = json.loads(receiver.requests[0][1])
    assert document["events"] == ["run_failed"] and document["scans"] == []
    assert "no such file" in document["run"]["error"]
    assert [(n.target_index, n.status) for n in notifications] == [(0, "delivered"),
                                                                    (1, "failed")]
    assert notifications[1].attempts == 5 and notifications[1].last_error


def test_a_target_whose_variable_is_unset_stops_the_service_from_starting(
        database_url: str, tmp_path: Path):
    """As for tokens: an unset secret would only show at delivery, long after an operator
    believed alerting works."""
    schedule = {"name": "watch", "cron": "0 3 * * *",
                "source": {"kind": "file", "path": str(tmp_path / "s.yaml")},
                "notify": [{"webhook": "http://127.0.0.1:9/x", "secret_env": "UNSET_SECRET"}]}
    config = service_config(database_url, schedules=[schedule], scheduler=False)
    with pytest.raises(ConfigError, match=r"notify\[0\]\.secret_env: environment variable "
                       "UNSET_SECRET is not set"):
        Service(config, environ={})


def test_apprise_targets_are_sent_through_apprise(database_url: str, tmp_path: Path,
                                                  receiver: Receiver):
    try:
        import apprise  # noqa: F401
    except ImportError:
        missing("apprise", "pip install apprise==2.2.0")
    receiver.statuses.clear()
    apprise_url = receiver.url.replace("http://", "json://")
    service = make_service(database_url, tmp_path / "gone.yaml",
                           [{"apprise_env": "APPRISE_URL"}], {"APPRISE_URL": apprise_url})
    try:
        assert service.run_schedule("watch").status == "failed"
        wait_until(lambda: len(receiver.requests) == 1, timeout=30)
        wait_until(lambda: service.store.notifications("watch")[0].status == "delivered")
        [row] = service.store.notifications("watch")
    finally:
        service.close()
    sent = json.loads(receiver.requests[0][1])
    assert "schedule watch: run_failed" in sent["title"]
    assert "no such file" in sent["message"]
    assert row.target == "apprise $APPRISE_URL" and apprise_url not in row.body


def test_a_run_interrupted_by_a_dead_process_is_notified_as_failed(
        database_url: str, tmp_path: Path, receiver: Receiver):
    """A run the service did not live to finish (killed mid-scan) fails at the restart,
    and its run_failed notification goes out like any other failed run's."""
    receiver.statuses.clear()
    schedule = {"name": "watch", "cron": "0 3 * * *",
                "source": {"kind": "file", "path": str(tmp_path / "s.yaml")},
                "notify": [{"webhook": receiver.url, "secret_env": "HOOK_SECRET",
                            "on": ["run_failed"]}]}
    config = service_config(database_url, schedules=[schedule], scheduler=False)
    first = Service(config, environ={"HOOK_SECRET": SECRET})
    killed = first.store.start_run("watch", datetime(2026, 11, 27, 3, 0))  # never finished
    first.close()
    service = Service(config, environ={"HOOK_SECRET": SECRET})
    service.notifier.backoff = timedelta(milliseconds=200)
    try:
        service.scheduler.recover()
        service.notifier.start()
        wait_until(lambda: len(receiver.requests) == 1, timeout=30)
    finally:
        service.close()
    document = json.loads(receiver.requests[0][1])
    assert document["events"] == ["run_failed"] and document["run"]["id"] == killed
    assert "interrupted" in document["run"]["error"]
