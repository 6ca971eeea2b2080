"""The service's one evaluation path: the checker's own scan and gate, on one engine.

Policies and waivers are loaded once at start (a bad policy stops the service from
starting, it never serves half a catalog). The embedded engine runs pooled: every
evaluation goes to a pool of engine processes (one per core by default), so gates that
arrive together are evaluated side by side and a slow scan does not hold them up; a worker
that dies fails the requests it held (an EngineError: the gate does not pass) and the pool
starts afresh. An engine that is not safe for concurrent calls is used from one dedicated
thread, in turn.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, TypeVar

from ..compliance import compliance_rate
from ..engines import Engine, make_engine
from ..errors import EngineError
from ..cache import PartCache, cache_secret
from ..pipeline import Baseline, Pipeline, Request
from ..policyset import PolicySet, load_policies
from ..results import Proposal, ResultDocument
from ..sources.interface import LoadedSnapshot
from ..waivers import WaiverSet, load_waivers
from .config import Evaluation

T = TypeVar("T")
BASELINES = 8   # snapshots whose findings are kept for gates


class Evaluator:
    """Scans and gates: side by side on a pooled engine, else in turn on one thread."""

    def __init__(self, settings: Evaluation) -> None:
        self.settings = settings
        self.policies: PolicySet = load_policies(list(settings.policies), list(settings.data))
        self.waivers: WaiverSet | None = (load_waivers(settings.waivers)
                                          if settings.waivers else None)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="almguard-engine")
        self._engine: Engine | None = None
        self._baselines: OrderedDict[str, Future[Baseline]] = OrderedDict()
        self._baselines_lock = threading.Lock()
        self._cache = (PartCache(settings.cache, cache_secret(os.environ))
                       if settings.cache is not None else None)
        try:
            self._engine = self._call(self._start)
        except BaseException:
            self._thread.shutdown()
            raise

    def _start(self) -> Engine:
        engine = make_engine(self.settings.engine, workers=self.settings.workers,
                             opa_url=self.settings.opa_url, pooled=True)
        try:
            engine.load(self.policies)
        except BaseException:
            engine.close()
            raise
        return engine

    def _call(self, fn: Callable[[], T]) -> T:
        """fn on the engine's thread (waiting its turn)."""
        return self._thread.submit(fn).result()

    def _run(self, fn: Callable[[], T]) -> T:
        """fn on this thread when the engine takes concurrent calls, else in turn."""
        if self._engine is not None and self._engine.concurrent:
            return fn()
        return self._call(fn)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise EngineError("the policy engine is shut down (the service is stopping)")
        return self._engine

    def engine_name(self) -> str:
        return f"{self.engine.name} {self.engine.version()}"

    @property
    def pipeline(self) -> Pipeline:
        return Pipeline(self.policies, self.engine, self._cache)

    def _request(self, waivers_at: str | None = None) -> Request:
        return Request(fail_on=self.settings.fail_on, waivers=self.waivers,
                       waivers_at=waivers_at)

    def scan(self, snapshot: LoadedSnapshot) -> ResultDocument:
        """The checker's scan; the snapshot's parts are kept for later gates on it."""
        return self._run(lambda: self.pipeline.scan(snapshot, self._request(),
                                                    self._baseline(snapshot)))

    def gate(self, snapshot: LoadedSnapshot, proposal: Proposal,
             settings: dict[str, Any] | None = None, *, stored: bool = True,
             waivers_at: str | None = None) -> ResultDocument:
        """The checker's gate. For a stored snapshot its parts are kept between gates
        (see pipeline.Baseline), so a gate on a large stored registry evaluates only the
        part the proposal can change; a snapshot sent with the request is evaluated whole
        and not kept. Waivers expire against `waivers_at` when given."""
        return self._run(lambda: self.pipeline.gate(
            snapshot, proposal, settings, self._request(waivers_at),
            self._baseline(snapshot) if stored else None))

    def _baseline(self, snapshot: LoadedSnapshot) -> Baseline:
        """The snapshot's evaluated parts, computed once however many requests ask for them
        at the same time; the most recently used few are kept."""
        with self._baselines_lock:
            entry = self._baselines.get(snapshot.digest)
            mine = entry is None
            if entry is None:
                entry = self._baselines[snapshot.digest] = Future()
                while len(self._baselines) > BASELINES:
                    self._baselines.popitem(last=False)
            else:
                self._baselines.move_to_end(snapshot.digest)
        if mine:
            try:
                entry.set_result(self.pipeline.baseline(snapshot))
            except BaseException as exc:
                with self._baselines_lock:   # not kept: the next request tries again
                    if self._baselines.get(snapshot.digest) is entry:
                        del self._baselines[snapshot.digest]
                entry.set_exception(exc)
                raise
        return entry.result()

    def compliance_rate(self, result: ResultDocument, snapshot: LoadedSnapshot) -> float | None:
        return compliance_rate(result, snapshot.document, self.policies.rules.values())

    def close(self) -> None:
        if self._engine is None:
            return

        def release() -> None:
            assert self._engine is not None
            self._engine.close()
            self._engine = None

        try:
            self._call(release)
        finally:
            self._thread.shutdown()

    def with_engine(self, fn: Callable[[Engine, PolicySet], T]) -> T:
        """fn(engine, policies) as scans and gates run (in turn, on an engine that needs it): the
        service's readiness probe and its reloading of policies into an engine that lost
        them (an OPA server restarted empty). EngineError once the engine is shut down."""
        engine = self.engine
        return self._run(lambda: fn(engine, self.policies))
