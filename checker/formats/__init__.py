"""Output formats for result documents: one file per format, one small interface."""

from __future__ import annotations

from .github import GithubFormat
from .interface import Formatter, RenderContext
from .json import JsonFormat
from .junit import JunitFormat
from .oscal import OscalFormat
from .sarif import SarifFormat
from .table import TableFormat

FORMATS: dict[str, type[Formatter]] = {
    "table": TableFormat, "json": JsonFormat, "sarif": SarifFormat, "junit": JunitFormat,
    "github": GithubFormat, "oscal": OscalFormat}

__all__ = ["FORMATS", "Formatter", "RenderContext"]
