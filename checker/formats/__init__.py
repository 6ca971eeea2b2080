"""Output formats for result documents: one file per format, one small interface."""

from __future__ import annotations

from .interface import Formatter
from .json import JsonFormat
from .table import TableFormat

FORMATS: dict[str, type[Formatter]] = {"table": TableFormat, "json": JsonFormat}

__all__ = ["FORMATS", "Formatter"]
