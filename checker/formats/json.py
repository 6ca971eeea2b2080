"""The JSON result document (results-v1), byte-for-byte deterministic."""

from __future__ import annotations

from ..results import ResultDocument
from .interface import Formatter, RenderContext


class JsonFormat(Formatter):
    name = "json"

    def render(self, result: ResultDocument, ctx: RenderContext) -> str:
        return result.to_json()
