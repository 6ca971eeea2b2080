"""Waiver files: read here, judged by the decision.

A waiver names a rule id and a resource (an exact id, or a pattern where ``*`` is any run
of characters and ``?`` one character), and carries a justification, an approver, the
approval time and an expiry. The decision (policies/almguard/lib/waivers.rego) checks every
field, applies waivers in force by the snapshot's clock and reports expired, pending and
unmatched ones; this module only reads the file and keeps it for error lines, so there is
one judge of what a waiver is and does.

File format (YAML or JSON)::

    waivers:
      - rule_id: ALM-ROLL-001
        resource: fraud-scoring-prod/fraud-detector@3.1.0
        justification: Emergency fix for a false-positive spike; canary skipped (INC-4711).
        approved_by: cro@contoso.com
        approved_at: "2026-11-10T09:00:00Z"
        expires_at: "2026-12-10T09:00:00Z"
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import documents
from .documents import DocumentError, Limits
from .errors import WaiverError

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class WaiverSet:
    """The waivers of one file (or request) as written, and where they came from."""

    entries: list[Any]
    origin: str = "<waivers>"
    text: str | None = field(default=None, repr=False)
    limits: Limits = field(default_factory=Limits, repr=False)

    def line_of_path(self, path: str) -> int | None:
        """The line of a decision error's path ("waivers[2].expires_at") in the file."""
        if self.text is None:
            return None
        loc = tuple(int(index) if index else name for name, index in _STEP.findall(path))
        return documents.line_of(self.text, loc, self.limits)


def parse_waivers(raw: Any, *, origin: str, text: str | None = None,
                  limits: Limits | None = None) -> WaiverSet:
    """The waiver set of a parsed document: a mapping whose only key is a `waivers` list."""
    limits = limits or Limits()

    def fail(message: str, path: str | None = None, loc: tuple[Any, ...] = ()) -> WaiverError:
        line = documents.line_of(text, loc, limits) if text is not None and loc else None
        return WaiverError(message, file=origin, line=line, path=path)

    if not isinstance(raw, dict):
        raise fail("a waiver file is a mapping with a 'waivers' list")
    for key in raw:
        if key != "waivers":
            raise fail("unknown field (a waiver file holds only 'waivers')", str(key), (key,))
    entries = raw.get("waivers", [])
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise fail("must be a list of waivers", "waivers", ("waivers",))
    return WaiverSet(entries=list(documents.without_nulls(entries)), origin=origin, text=text,
                     limits=limits)


def load_waivers(path: Path, limits: Limits | None = None) -> WaiverSet:
    limits = limits or Limits()
    try:
        text, raw = documents.load_with_text(path, limits)
    except DocumentError as exc:
        raise WaiverError(exc.message, file=str(path), line=exc.line) from None
    return parse_waivers(raw, origin=str(path), text=text, limits=limits)
