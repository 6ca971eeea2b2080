"""The formatter interface: a result document in, text out."""

from __future__ import annotations

from abc import ABC, abstractmethod

from ..results import ResultDocument


class Formatter(ABC):
    name: str

    @abstractmethod
    def render(self, result: ResultDocument, *, color: bool = False, width: int = 120) -> str:
        """Return the rendering of the result (color only where the format has it)."""
