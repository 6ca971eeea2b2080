"""The engine interface: load policies and data once, evaluate many inputs.

Nothing above this interface knows which engine ran. An engine answers, for each input
document (a snapshot or a partition of one, as JSON text), the value of
``data.almguard.rules``: an object tree whose leaves are ``deny`` sets of findings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Any, Sequence

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
    def evaluate(self, inputs: Sequence[str]) -> list[Any]:
        """Evaluate each JSON input; return the value of data.almguard.rules for each."""

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
