"""The engine interface: load policies and data once, evaluate many inputs.

Nothing above this interface knows which engine ran. An engine answers, for each input
document (a snapshot or a partition of one, as JSON text), the value of
``data.almguard.rules``: an object tree whose leaves are ``deny`` sets of findings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from collections import deque
from concurrent.futures import Executor, Future
from typing import Any, Callable, Iterable, Iterator

from ..policyset import PolicySet

QUERY = "data.almguard.rules"


class Engine(ABC):
    """A Rego engine. Engines fail closed: any problem raises EngineError or PolicyError."""

    name: str

    @abstractmethod
    def version(self) -> str:
        """The engine's own version string, recorded in every result."""

    @abstractmethod
    def load(self, policies: PolicySet) -> None:
        """Load modules and data, and check that every rule evaluates (raise PolicyError)."""

    @abstractmethod
    def evaluate(self, inputs: Iterable[str]) -> list[Any]:
        """Evaluate each JSON input (consumed lazily); return the value of
        data.almguard.rules for each, in order."""

    def close(self) -> None:
        """Release processes or connections."""

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def probe_input(captured_at: str = "2026-01-01T00:00:00Z") -> str:
    """A minimal valid snapshot: evaluating it once makes every rule body run its builtins."""
    return ('{"schema_version":1,"registry":{"name":"probe","captured_at":"%s"},'
            '"datasets":[],"models":[],"deployments":[]}' % captured_at)


def bounded_map(executor: Executor, fn: Callable[[str], Any], items: Iterable[str],
                window: int) -> Iterator[Any]:
    """Like executor.map, but with at most `window` items in flight, so that a large scan
    never holds every partition's input text at once."""
    pending: deque[Future[Any]] = deque()
    for item in items:
        pending.append(executor.submit(fn, item))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
