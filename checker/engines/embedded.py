"""The embedded engine: regorus (PyPI celine-regorus), in-process, no setup.

A regorus Engine holds the GIL and may only be used on its creating thread, so large scans
fan out over worker processes, each with its own engine loaded once. Pooled (the service),
every evaluation goes to those processes: any thread may call it, and gates arriving
together run on both cores.
"""

from __future__ import annotations

import functools
import json
import os
import re
import threading
from importlib.metadata import PackageNotFoundError, version as dist_version
from itertools import chain
from typing import Any, Iterable, Iterator, Sequence

import orjson

from ..errors import EngineError, PolicyError
from ..policyset import Module, PolicySet
from .interface import FINDINGS, Engine
from .workers import WorkerPool

os.environ.setdefault("RUST_BACKTRACE", "0")

try:
    import regorus
except ImportError:  # pragma: no cover - a broken install
    regorus = None  # type: ignore[assignment]

# Inputs this large (in characters) are evaluated in the worker processes even when they
# are few: a 10,000-version registry is a dozen partitions of about 1.5 MB each.
PARALLEL_CHARS = 3_000_000

_LOCATION = re.compile(r"-->\s*(?P<file>.+?):(?P<line>\d+):(?P<col>\d+)")
_MESSAGE = re.compile(r"^error:\s*(?P<msg>.+)$", re.M)


def explain(exc: BaseException) -> tuple[str, str | None, int | None]:
    """Turn a regorus error into (message, file, line)."""
    text = str(exc)
    text = text.split("Stack backtrace:")[0]
    loc = _LOCATION.search(text)
    msg = _MESSAGE.search(text)
    message = msg.group("msg").strip() if msg else (text.strip().splitlines() or ["error"])[-1]
    if loc:
        return f"{message} (column {loc.group('col')})", loc.group("file"), int(loc.group("line"))
    return message, None, None


def new_engine(modules: Sequence[Module], data: dict[str, Any]) -> Any:
    """A regorus engine with modules and data added; syntax errors as PolicyError."""
    if regorus is None:
        raise EngineError("the embedded engine is not installed (pip install celine-regorus)")
    engine = regorus.Engine()
    for module in modules:
        try:
            engine.add_policy(module.file, module.text)
        except RuntimeError as exc:
            message, file, line = explain(exc)
            raise PolicyError(message, file=file or module.file, line=line) from None
    engine.add_data_json(json.dumps(data))
    return engine


def evaluate_one(engine: Any, text: str, query: str = FINDINGS) -> Any:
    return answer_of(evaluate_raw(engine, text, query), query)


def evaluate_raw(engine: Any, text: str, query: str = FINDINGS) -> str:
    """The engine's JSON answer to `query` on input `text`, as text (a worker sends it as
    is: one string crosses the process boundary faster than the tree it encodes)."""
    try:
        engine.set_input_json(text)
        return str(engine.eval_query_as_json(query))
    except RuntimeError as exc:
        message, file, line = explain(exc)
        raise PolicyError(f"evaluation failed: {message}", file=file, line=line) from None
    except BaseException as exc:  # a Rust panic (pyo3 PanicException), e.g. out of memory
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise EngineError(f"the embedded engine failed: {first}") from None


def answer_of(raw: str, query: str) -> Any:
    """The value of the query's one expression in an eval_query_as_json answer."""
    result = _parsed(raw).get("result") or []
    if not result:
        raise EngineError(f"{query} is undefined: the almguard policies are not loaded")
    return result[0]["expressions"][0]["value"]


def _parsed(raw: str) -> Any:
    """The engine's JSON answer (orjson; json for integers beyond 64 bits)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


@functools.cache
def _installed_version() -> str:
    """The installed regorus distribution's version (read once: every result names it)."""
    for dist in ("celine-regorus", "regorus"):
        try:
            return dist_version(dist)
        except PackageNotFoundError:
            continue
    return "unknown"


class EmbeddedEngine(Engine):
    """regorus in this process (and, for big scans, in worker processes); pooled, only in
    the worker processes."""

    name = "regorus"

    def __init__(self, workers: int | None = None, parallel_threshold: int = 8,
                 pooled: bool = False) -> None:
        self._workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self._threshold = parallel_threshold
        self._pooled = pooled
        self.concurrent = pooled
        self._engine: Any = None
        self._policies: PolicySet | None = None
        self._pool: WorkerPool | None = None
        self._pool_lock = threading.Lock()

    def version(self) -> str:
        return _installed_version()

    def load(self, policies: PolicySet) -> None:
        self._policies = policies
        engine = new_engine(policies.modules, policies.data)  # syntax errors, on this thread
        if self._pooled:
            del engine          # a regorus engine must be freed on the thread that made it
        else:
            self._engine = engine
        self.probe()  # surfaces unsafe vars, unknown functions, conflicts

    def evaluate(self, inputs: Iterable[str], query: str = FINDINGS) -> list[Any]:
        if self._policies is None or (self._engine is None and not self._pooled):
            raise EngineError("engine used before policies were loaded")
        stream = iter(inputs)
        head = self._head(stream)
        if not self._pooled and (self._workers < 2 or len(head) == 1
                                 or len(head) < self._threshold
                                 and sum(map(len, head)) < PARALLEL_CHARS):
            return [evaluate_one(self._engine, text, query) for text in chain(head, stream)]
        pool = self._worker_pool()
        try:
            if len(head) == 1:   # the only input: no thread hop
                return [answer_of(pool.call(query, head[0]), query)]
            return [answer_of(raw, query) for raw in pool.map(query, chain(head, stream))]
        except (PolicyError, EngineError) as exc:
            if isinstance(exc, EngineError) and pool.broken:   # a worker died: fail
                self._drop_pool(pool)                          # closed, start afresh
            raise
        except Exception as exc:  # the pool was closed under this call: fail closed
            self._drop_pool(pool)
            raise EngineError(f"embedded engine worker failed: {exc or type(exc).__name__}"
                              ) from None

    def _head(self, stream: Iterator[str]) -> list[str]:
        """The first inputs: up to the threshold's count, or fewer once they are large
        enough to be worth the workers, which then start while the rest is produced. Two
        at least, so that one input means the only one (it gains nothing from a worker,
        and is evaluated here unless pooled)."""
        head: list[str] = []
        size = 0
        for text in stream:
            head.append(text)
            size += len(text)
            if len(head) >= 2 and (len(head) >= self._threshold
                                   or self._workers >= 2 and size >= PARALLEL_CHARS):
                break
        return head

    def _worker_pool(self) -> WorkerPool:
        assert self._policies is not None
        with self._pool_lock:
            if self._pool is None:
                self._pool = WorkerPool(self._workers, self._policies.modules,
                                        self._policies.data)
            return self._pool

    def _drop_pool(self, pool: WorkerPool) -> None:
        with self._pool_lock:
            if self._pool is pool:   # not one a concurrent caller has started since
                self._pool = None
        pool.close()

    def close(self) -> None:
        """Stop the workers and drop the engine (on the calling thread: regorus engines
        must be freed on the thread that made them)."""
        self._engine = None
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
