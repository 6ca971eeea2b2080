"""The service's parts wired together: store, evaluator, tokens and scheduler.

Everything the HTTP layer and the scheduler do goes through here, so a scheduled scan and
a posted scan are the same code: load (already done by the caller), evaluate with the
checker, store scan and snapshot in one transaction.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any

from ..gate import load_settings_document, make_proposal
from ..lineage import EndpointLineage, endpoint_lineage, provenance_exempt
from ..errors import SnapshotError
from ..policyset import PolicySet
from ..results import ResultDocument
from ..sources.interface import LoadedSnapshot
from .auth import TokenTable
from .config import ServiceConfig, token_hashes
from .evaluator import Evaluator
from .scheduler import Scheduler
from .store import ScanInfo, Store, rfc3339, stored_form, to_utc, utcnow

log = logging.getLogger("almguard.service")
MAX_CLOCK_SKEW = timedelta(minutes=5)


class NotFound(LookupError):
    """A scan, registry, snapshot or endpoint the request names does not exist."""


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
        self.tokens = TokenTable(token_hashes(config, environ), config.anonymous_read)
        self.store = Store(config.database)
        try:
            self.store.migrate()
            self.evaluator = Evaluator(config.evaluation)
        except BaseException:
            self.store.close()
            raise
        self.cache = SnapshotCache()
        self.scheduler = Scheduler(self.store, list(config.schedules), self.scan_and_store)
        self._start_scheduler = config.scheduler if start_scheduler is None else start_scheduler

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        if self._start_scheduler and self.config.schedules:
            self.scheduler.start()

    def close(self) -> None:
        self.scheduler.stop()
        self.evaluator.close()
        self.store.close()

    @property
    def policies(self) -> PolicySet:
        return self.evaluator.policies

    # --- scans -----------------------------------------------------------------------

    def scan(self, snapshot: LoadedSnapshot, *, source: str, requested_by: str) -> ScanInfo:
        """Evaluate and store. A snapshot captured in the future is refused: stored, it
        would stay "the newest capture" and answer every later gate and lineage question."""
        captured = snapshot.document["registry"]["captured_at"]
        if to_utc(captured) > utcnow() + MAX_CLOCK_SKEW:
            raise SnapshotError(f"captured_at {captured} is in the future (this server's "
                                f"clock: {rfc3339(utcnow().replace(microsecond=0))}): a "
                                "snapshot records a registry as it was",
                                file=snapshot.origin, path="registry.captured_at")
        stored = stored_form(snapshot)
        result = self.evaluator.scan(stored)
        rate = self.evaluator.compliance_rate(result, stored)
        info = self.store.save_scan(stored, result, source=source,
                                    requested_by=requested_by, compliance_rate=rate)
        self.cache.put(stored)
        return info

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
        proposal = make_proposal(model, version, endpoint, environment=environment,
                                 traffic=traffic, at=at, document=snapshot.document)
        settings = (load_settings_document(deployment, origin="request body: deployment")
                    if deployment is not None else None)
        now = utcnow()
        later = now > to_utc(proposal.at)
        return self.evaluator.gate(snapshot, proposal, settings, stored=stored,
                                   waivers_at=rfc3339(now) if later else None)

    # --- lineage ---------------------------------------------------------------------

    def lineage(self, registry: str, endpoint: str,
                at: datetime | None) -> tuple[EndpointLineage, LoadedSnapshot]:
        digest = self.store.snapshot_digest_at(registry, at)
        if digest is None:
            raise NotFound(f"no snapshot of registry {registry!r} is stored" if at is None
                           else f"no snapshot of registry {registry!r} was captured at or "
                           "before that time")
        snapshot = self.snapshot(digest)
        if not any(d["endpoint"] == endpoint for d in snapshot.document["deployments"]):
            raise NotFound(f"no endpoint {endpoint!r} in the snapshot of {registry!r} "
                           f"captured at {snapshot.document['registry']['captured_at']}")
        exempt = provenance_exempt(self.policies)
        return endpoint_lineage(snapshot.model, endpoint, exempt), snapshot
