"""The engine interface: load policies and data once, evaluate many inputs.

Nothing above this interface knows which engine ran. An engine answers a Rego query for
each input document (JSON text): ``FINDINGS`` for each partition of a snapshot (its
findings, input errors and resources), ``RELEVANCE`` for what a gate's proposal is about
(``PART`` for both at once, on a gate's neighbourhood), then ``DECISION`` once over the
merged parts (the verdict, waivers applied, a gate's answer). All are our policies' own
documents; an engine only evaluates.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from collections import deque
from concurrent.futures import Executor, Future
from typing import Any, Callable, Iterable, Iterator, TypeVar

from ..errors import EngineError
from ..policyset import PolicySet

T = TypeVar("T")

FINDINGS = "data.almguard.lib.findings.result"     # input: a snapshot (or a partition)
RELEVANCE = "data.almguard.lib.decision.relevance"  # input: {"snapshot", "proposal"}
PART = "data.almguard.lib.decision.part"            # input: {"snapshot", "proposal"}
DECISION = "data.almguard.decision"


class Engine(ABC):
    """A Rego engine. Engines fail closed: any problem raises EngineError or PolicyError."""

    name: str
    # True when evaluate() may be called from several threads at once (after load), so a
    # service can run gates side by side; otherwise every call must come from one thread.
    concurrent: bool = False

    @abstractmethod
    def version(self) -> str:
        """The engine's own version string, recorded in every result."""

    @abstractmethod
    def load(self, policies: PolicySet) -> None:
        """Load modules and data, and check that every rule evaluates (raise PolicyError)."""

    @abstractmethod
    def evaluate(self, inputs: Iterable[str], query: str = FINDINGS) -> list[Any]:
        """Evaluate the query for each JSON input (consumed lazily, possibly in parallel);
        return its value for each, in order. An undefined query is an EngineError (the
        policies are not loaded)."""

    def decide(self, text: str) -> Any:
        """The decision document for one JSON input."""
        return self.evaluate([text], DECISION)[0]

    def probe(self) -> None:
        """Evaluate the decision of a minimal snapshot: EngineError or PolicyError if the
        engine cannot (not reachable, policies missing or broken)."""
        decision = self.decide(probe_input())
        if not isinstance(decision, dict) or decision.get("errors") != [] or \
                decision.get("summary", {}).get("verdict") not in ("pass", "fail"):
            raise EngineError(f"the policies give no valid decision for an empty snapshot "
                              f"(got {str(decision)[:200]})")

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


def bounded_map(executor: Executor, fn: Callable[[T], Any], items: Iterable[T],
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
