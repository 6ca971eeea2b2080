"""The formatter interface: a result document (plus what it was computed from) in, text out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from ..metadata import RuleMeta
from ..results import ResultDocument
from ..sources.interface import LoadedSnapshot


@dataclass(frozen=True)
class RenderContext:
    """What a format may need beyond the result: the terminal, the snapshot (for line
    numbers and the resources checked) and the full rule catalog (for SARIF rules)."""

    color: bool = False
    width: int = 120
    snapshot: LoadedSnapshot | None = None
    rules: tuple[RuleMeta, ...] = field(default=())


class Formatter(ABC):
    name: str

    @abstractmethod
    def render(self, result: ResultDocument, ctx: RenderContext) -> str:
        """Return the rendering of the result."""
