"""The result document of results-v1: pydantic models, ordering and deterministic JSON."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .metadata import SEVERITIES, Category, Severity

ResourceKind = Literal["model", "model_version", "dataset", "deployment", "endpoint"]
RESOURCE_KINDS: tuple[str, ...] = ("model", "model_version", "dataset", "deployment", "endpoint")


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tool(_Doc):
    name: str
    version: str


class EngineInfo(_Doc):
    name: str
    version: str


class SnapshotInfo(_Doc):
    registry: str
    captured_at: str
    digest: str


class PoliciesInfo(_Doc):
    revision: str
    digest: str


class Resource(_Doc):
    kind: ResourceKind
    id: str


class Waiver(_Doc):
    rule_id: str
    resource: str
    justification: str
    approved_by: str
    approved_at: str
    expires_at: str


class WaiverReport(_Doc):
    applied: int
    expired: list[Waiver]
    unmatched: list[Waiver]


class GateCheck(_Doc):
    """One line of a gate's checklist: a rule that applies to the proposal."""

    gate: str
    rule_id: str
    title: str
    passed: bool
    waived: bool = False
    messages: list[str] = []
    remediation: str


class Proposal(_Doc):
    model: str
    version: str
    endpoint: str
    environment: str
    traffic_percent: float
    at: str


class Gate(_Doc):
    decision: Literal["allow", "deny"]
    proposal: Proposal
    checklist: list[GateCheck]
    unrelated_findings: int


class Finding(_Doc):
    rule_id: str
    title: str
    category: Category
    severity: Severity
    resource: Resource
    message: str
    remediation: str
    controls: list[str]
    waived: bool = False
    waiver: Waiver | None = None

    def sort_key(self) -> tuple[int, str, str, str, str]:
        return (SEVERITIES.index(self.severity), self.rule_id, self.resource.kind,
                self.resource.id, self.message)


class Summary(_Doc):
    verdict: Literal["pass", "fail"]
    fail_on: Severity
    findings: int
    waived: int
    by_severity: dict[str, int]
    by_category: dict[str, int]
    rules_evaluated: int
    resources_checked: int


class ResultDocument(_Doc):
    schema_version: Literal[1] = 1
    tool: Tool
    engine: EngineInfo
    snapshot: SnapshotInfo
    policies: PoliciesInfo
    summary: Summary
    findings: list[Finding]
    waivers: WaiverReport | None = None
    gate: Gate | None = None

    def to_json(self) -> str:
        """Deterministic JSON: fixed key order, two-space indent, UTF-8, trailing newline."""
        return json.dumps(self.model_dump(mode="json", exclude_none=True), indent=2,
                          ensure_ascii=False) + "\n"

    @property
    def exit_code(self) -> int:
        if self.gate is not None:
            return 1 if self.gate.decision == "deny" else 0
        return 1 if self.summary.verdict == "fail" else 0


def summarize(findings: list[Finding], *, fail_on: Severity, rules: int,
              resources: int, categories: tuple[str, ...]) -> Summary:
    threshold = SEVERITIES.index(fail_on)
    active = [f for f in findings if not f.waived]
    failing = any(SEVERITIES.index(f.severity) <= threshold for f in active)
    by_severity = {s: sum(1 for f in active if f.severity == s) for s in SEVERITIES}
    by_category = {c: sum(1 for f in active if f.category == c) for c in categories}
    return Summary(verdict="fail" if failing else "pass", fail_on=fail_on,
                   findings=len(active), waived=len(findings) - len(active),
                   by_severity=by_severity, by_category=by_category, rules_evaluated=rules,
                   resources_checked=resources)


def parse_result(text: str) -> ResultDocument:
    data: Any = json.loads(text)
    return ResultDocument.model_validate(data)
