"""Notifications of scheduled runs: webhooks signed with HMAC-SHA256, and apprise targets.

A run's notifications are written to the database when the run is recorded (one row per
target, with the body as it will be sent) and sent by a background worker, so a slow or
failing receiver never delays or fails a scan. Each attempt is recorded on the row; a
failed attempt is retried with exponential backoff (BACKOFF, doubled each time) up to
MAX_ATTEMPTS. Attempts are taken by a conditional UPDATE, so with replicas each attempt is
made by one of them. docs/webhooks.md documents the body and the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any, Mapping

from .. import __version__
from .config import NotifyConfig
from .store import NotificationInfo, Store, utcnow

log = logging.getLogger("almguard.notify")

MAX_ATTEMPTS = 5
BACKOFF = timedelta(seconds=1)        # then 2, 4, 8 s
TIMEOUT = 10.0                        # seconds per attempt
HOLD = timedelta(seconds=60)          # an attempt taken and not recorded is due again after
SIGNATURE = "X-Almguard-Signature"


def signature(secret: str, body: bytes) -> str:
    """The signature header's value: sha256=<hex HMAC-SHA256 of the body with the secret>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def body_bytes(document: dict[str, Any]) -> bytes:
    """The body as sent: compact JSON with sorted keys (the same bytes every attempt)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def target_label(target: NotifyConfig) -> str:
    """The target as stored and logged, without credentials: the webhook's scheme and
    host, or the variable holding the apprise URL."""
    if target.webhook is not None:
        scheme, _, rest = target.webhook.partition("://")
        host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
        return f"webhook {scheme}://{host}"
    return f"apprise ${target.apprise_env}"


class Notifier:
    """The background worker that sends the notifications stored in the database."""

    def __init__(self, store: Store, targets: Mapping[str, list[NotifyConfig]],
                 environ: Mapping[str, str], *, backoff: timedelta = BACKOFF) -> None:
        self.store = store
        self.targets = targets
        self.environ = environ
        self.backoff = backoff
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def enqueue(self, schedule: str, run_id: int | None, events: list[str],
                document: dict[str, Any]) -> list[int]:
        """Store a notification for each of the schedule's targets that wants one of the
        events; the worker sends them."""
        ids = []
        for index, target in enumerate(self.targets.get(schedule, [])):
            wanted: list[str] = [e for e in events if e in target.on]
            if wanted:
                ids.append(self.store.add_notification(
                    schedule=schedule, run_id=run_id, target_index=index,
                    target=target_label(target), events=wanted,
                    body=body_bytes({**document, "events": wanted}).decode("utf-8")))
        if ids:
            self._wake.set()
        return ids

    # --- sending ---------------------------------------------------------------------

    def deliver_due(self) -> int:
        """Make one attempt at each due notification; returns how many were attempted."""
        due = self.store.take_due_notifications(HOLD)
        for notification in due:
            error = self._attempt(notification)
            attempts = notification.attempts + 1
            retry = None
            if error is not None and attempts < MAX_ATTEMPTS:
                retry = utcnow() + self.backoff * (2 ** (attempts - 1))
            self.store.record_attempt(notification.id, error=error, retry_at=retry)
            if error is not None:
                log.warning("notification %d (%s) attempt %d: %s%s", notification.id,
                            notification.target, attempts, error,
                            "" if retry else ": given up")
        return len(due)

    def _attempt(self, notification: NotificationInfo) -> str | None:
        """One attempt; None if delivered, else why not (one line)."""
        targets = self.targets.get(notification.schedule, [])
        if notification.target_index >= len(targets):
            return "the schedule no longer has this target in its config"
        target = targets[notification.target_index]
        body = notification.body.encode("utf-8")
        if target.webhook is not None:
            secret = self.environ.get(target.secret_env or "")
            if not secret:
                return f"the variable {target.secret_env} holding the secret is not set"
            return post_webhook(target.webhook, body, secret, notification)
        url = self.environ.get(target.apprise_env or "")
        if not url:
            return f"the variable {target.apprise_env} holding the apprise URL is not set"
        return send_apprise(url, json.loads(body))

    # --- the thread ------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="almguard-notify",
                                        daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_due()
            except Exception:  # noqa: BLE001 - a database outage must not end the worker
                log.exception("notifications: cannot read or record deliveries")
            self._wake.wait(timeout=0.5)
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT + 5)


def post_webhook(url: str, body: bytes, secret: str,
                 notification: NotificationInfo) -> str | None:
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": f"almguard/{__version__}",
        SIGNATURE: signature(secret, body),
        "X-Almguard-Delivery": str(notification.id),
        "X-Almguard-Events": ",".join(notification.events)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
            answer.read(65536)
            return None
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"cannot reach the receiver: {reason}"


def send_apprise(url: str, document: dict[str, Any]) -> str | None:
    try:
        import apprise
    except ImportError:
        return "apprise is not installed (pip install apprise)"
    title = f"almguard: schedule {document['schedule']}: {', '.join(document['events'])}"
    lines = [f"run {document['run']['id']}: {document['run']['status']}"
             + (f" ({document['run']['error']})" if document["run"]["error"] else "")]
    for scan in document["scans"]:
        before = scan["previous"]["verdict"] if scan["previous"] else "none"
        lines.append(f"{scan['registry']}: {before} -> {scan['verdict']}, "
                     f"{len(scan['new_findings'])} new critical/high findings")
    sender = apprise.Apprise()
    if not sender.add(url):
        return "apprise does not accept the URL"
    return None if sender.notify(title=title, body="\n".join(lines)) else \
        "apprise could not deliver (see its log)"
