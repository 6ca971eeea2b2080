"""Waivers: a sanctioned, time-boxed acceptance of a known finding.

A waiver names a rule id and a resource id (exact, or a shell-style pattern such as
``fraud-scoring-prod/*``), and carries a justification, an approver, the approval time and
an expiry. A waived finding stays in the result (``waived: true``, the waiver attached) and
does not fail the run until the waiver expires by the snapshot's clock. Expired waivers and
waivers that match nothing are reported. The longest allowed waiver is policy data
(``almguard.config.waivers.max_duration_days``).

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

from datetime import timedelta
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import documents
from .documents import DocumentError, Limits
from .errors import AlmguardError
from .results import Finding, Waiver, WaiverReport
from .snapshot import Time, parse_time
from .sources.interface import format_loc


class WaiverError(AlmguardError):
    """The waiver file is invalid."""


class WaiverEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    rule_id: str = Field(min_length=1)
    resource: str = Field(min_length=1)
    justification: str = Field(min_length=1)
    approved_by: str = Field(min_length=1)
    approved_at: Time
    expires_at: Time

    @field_validator("justification", "approved_by", "rule_id", "resource")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    def matches(self, finding: Finding) -> bool:
        return self.rule_id == finding.rule_id and fnmatchcase(finding.resource.id,
                                                                self.resource)

    def as_waiver(self) -> Waiver:
        return Waiver(**self.model_dump())


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    waivers: list[WaiverEntry] = []


def load_waivers(path: Path, *, max_days: int, limits: Limits | None = None) -> list[WaiverEntry]:
    limits = limits or Limits()
    try:
        text, raw = documents.load_with_text(path, limits)
    except DocumentError as exc:
        raise WaiverError(exc.message, file=str(path), line=exc.line) from None
    if not isinstance(raw, dict):
        raise WaiverError("a waiver file is a mapping with a 'waivers' list", file=str(path))
    try:
        parsed = WaiverFile.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        kind = err["type"]
        what = {"missing": "required field missing", "extra_forbidden": "unknown field"}.get(
            kind, str(err["msg"]).removeprefix("Value error, "))
        raise WaiverError(what, file=str(path), line=documents.line_of(text, loc, limits),
                          path=format_loc(loc)) from None
    for index, entry in enumerate(parsed.waivers):
        approved, expires = parse_time(entry.approved_at), parse_time(entry.expires_at)
        loc = ("waivers", index, "expires_at")
        if expires <= approved:
            raise WaiverError("expires_at must be after approved_at", file=str(path),
                              line=documents.line_of(text, loc, limits), path=format_loc(loc))
        if expires - approved > timedelta(days=max_days):
            raise WaiverError(f"waiver lasts longer than the allowed {max_days} days "
                              "(policy data almguard.config.waivers.max_duration_days)",
                              file=str(path), line=documents.line_of(text, loc, limits),
                              path=format_loc(loc))
    return list(parsed.waivers)


def apply_waivers(findings: list[Finding], waivers: list[WaiverEntry],
                  now: str) -> tuple[list[Finding], WaiverReport]:
    """Mark findings covered by an unexpired waiver; report expired and unmatched waivers."""
    moment = parse_time(now)
    used: set[int] = set()
    expired_used: set[int] = set()
    out: list[Finding] = []
    for finding in findings:
        waiver = None
        for index, entry in enumerate(waivers):
            if not entry.matches(finding):
                continue
            if parse_time(entry.expires_at) > moment:
                used.add(index)
                waiver = entry
                break
            expired_used.add(index)
        out.append(finding.model_copy(update={"waived": True, "waiver": waiver.as_waiver()})
                   if waiver else finding)
    expired = [w.as_waiver() for i, w in enumerate(waivers)
               if parse_time(w.expires_at) <= moment]
    unmatched = [w.as_waiver() for i, w in enumerate(waivers)
                 if i not in used and i not in expired_used and parse_time(w.expires_at) > moment]
    return out, WaiverReport(applied=sum(1 for f in out if f.waived), expired=expired,
                             unmatched=unmatched)


def max_waiver_days(data: dict[str, Any]) -> int:
    config = data.get("almguard", {}).get("config", {})
    return int(config.get("waivers", {}).get("max_duration_days", 180))
