"""The formatter interface: a result document (plus what it was computed from) in, text out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from ..metadata import RuleMeta
from ..policyset import PolicySet
from ..results import ResultDocument
from ..sources.interface import LoadedSnapshot


@dataclass(frozen=True)
class RenderContext:
    """What a format may need beyond the result: the terminal, the snapshot (for line
    numbers and the resources checked) and the policies that ran (the full rule catalog
    for SARIF rules; their data for reports)."""

    color: bool = False
    width: int = 120
    snapshot: LoadedSnapshot | None = None
    policies: PolicySet | None = None

    @property
    def rules(self) -> tuple[RuleMeta, ...]:
        return tuple(self.policies.rules.values()) if self.policies else ()


class Formatter(ABC):
    name: str
    # Whether rendering reads the snapshot's text (to point at lines): when no output does,
    # a scan lets go of the text once it is loaded (183 MB for 100,000 versions).
    reads_text: bool = False

    @abstractmethod
    def render(self, result: ResultDocument, ctx: RenderContext) -> str:
        """Return the rendering of the result."""
