"""The embedded engine: regorus (PyPI celine-regorus), in-process, no setup.

A regorus Engine holds the GIL and may only be used on its creating thread, so large scans
fan out over worker processes, each with its own engine loaded once.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import PackageNotFoundError, version as dist_version
from multiprocessing import get_context
from itertools import chain, islice
from typing import Any, Iterable, Sequence

from ..errors import EngineError, PolicyError
from ..policyset import Module, PolicySet
from .interface import FINDINGS, Engine, bounded_map

os.environ.setdefault("RUST_BACKTRACE", "0")

try:
    import regorus
except ImportError:  # pragma: no cover - a broken install
    regorus = None  # type: ignore[assignment]

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
    try:
        engine.set_input_json(text)
        raw = engine.eval_query_as_json(query)
    except RuntimeError as exc:
        message, file, line = explain(exc)
        raise PolicyError(f"evaluation failed: {message}", file=file, line=line) from None
    except BaseException as exc:  # a Rust panic (pyo3 PanicException), e.g. out of memory
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise EngineError(f"the embedded engine failed: {first}") from None
    result = json.loads(raw).get("result") or []
    if not result:
        raise EngineError(f"{query} is undefined: the almguard policies are not loaded")
    return result[0]["expressions"][0]["value"]


# Worker-process state: one engine per process, built once by the pool initializer.
_worker_engine: Any = None


def _init_worker(modules: tuple[Module, ...], data: dict[str, Any]) -> None:
    global _worker_engine  # noqa: PLW0603 - per-process engine, never shared
    _worker_engine = new_engine(modules, data)


def _work(job: tuple[str, str]) -> Any:
    query, text = job
    return evaluate_one(_worker_engine, text, query)


class EmbeddedEngine(Engine):
    """regorus in this process (and, for big scans, in worker processes)."""

    name = "regorus"

    def __init__(self, workers: int | None = None, parallel_threshold: int = 8) -> None:
        self._workers = workers if workers is not None else min(2, os.cpu_count() or 1)
        self._threshold = parallel_threshold
        self._engine: Any = None
        self._policies: PolicySet | None = None
        self._pool: ProcessPoolExecutor | None = None

    def version(self) -> str:
        for dist in ("celine-regorus", "regorus"):
            try:
                return dist_version(dist)
            except PackageNotFoundError:
                continue
        return "unknown"

    def load(self, policies: PolicySet) -> None:
        self._policies = policies
        self._engine = new_engine(policies.modules, policies.data)
        self.probe()  # surfaces unsafe vars, unknown functions, conflicts

    def evaluate(self, inputs: Iterable[str], query: str = FINDINGS) -> list[Any]:
        if self._engine is None or self._policies is None:
            raise EngineError("engine used before policies were loaded")
        stream = iter(inputs)
        head = list(islice(stream, self._threshold))
        if self._workers < 2 or len(head) < self._threshold:
            return [evaluate_one(self._engine, text, query) for text in chain(head, stream)]
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self._workers, mp_context=get_context("spawn"),
                initializer=_init_worker,
                initargs=(self._policies.modules, self._policies.data))
        try:
            return list(bounded_map(self._pool, _work,
                                    ((query, text) for text in chain(head, stream)),
                                    window=2 * self._workers))
        except (PolicyError, EngineError):
            raise
        except Exception as exc:  # a worker died: fail closed, and start afresh next time
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            raise EngineError(f"embedded engine worker failed: {exc}") from None

    def close(self) -> None:
        """Stop the workers and drop the engine (on the calling thread: regorus engines
        must be freed on the thread that made them)."""
        self._engine = None
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
