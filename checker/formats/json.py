"""The JSON result document (results-v1), byte-for-byte deterministic."""

from __future__ import annotations

from ..results import ResultDocument
from .interface import Formatter


class JsonFormat(Formatter):
    name = "json"

    def render(self, result: ResultDocument, *, color: bool = False, width: int = 120) -> str:
        return result.to_json()
