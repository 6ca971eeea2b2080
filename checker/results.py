"""The result document of results-v1: pydantic models, ordering and deterministic JSON."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .canonical import pretty_json
from .metadata import CATEGORIES, SEVERITIES, Category, Severity

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
    pending: list[Waiver] = []
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
    # Whether this finding blocks: in a scan, whether it fails the verdict (unwaived, at or
    # above fail_on); in a gate, whether it blocks the proposal (unrelated registry debt
    # does not). None only in results written before the decision carried it.
    blocking: bool | None = None

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
        return pretty_json(self.model_dump(mode="json", exclude_none=True))

    @property
    def exit_code(self) -> int:
        if self.gate is not None:
            return 1 if self.gate.decision == "deny" else 0
        return 1 if self.summary.verdict == "fail" else 0


def result_from_decision(decision: dict[str, Any], *, tool: Tool, engine: EngineInfo,
                         snapshot: SnapshotInfo, policies: PoliciesInfo) -> ResultDocument:
    """The result document of a decision (data.almguard.decision): its findings, summary,
    waivers and gate as the policies gave them, with where they came from. Counts keep the
    order of severities and categories of results-v1."""
    summary = dict(decision["summary"])
    summary["by_severity"] = {s: summary["by_severity"].get(s, 0) for s in SEVERITIES}
    summary["by_category"] = {c: summary["by_category"].get(c, 0) for c in CATEGORIES}
    return ResultDocument(tool=tool, engine=engine, snapshot=snapshot, policies=policies,
                          summary=Summary.model_validate(summary),
                          findings=[Finding.model_validate(f) for f in decision["findings"]],
                          waivers=(WaiverReport.model_validate(decision["waivers"])
                                   if decision.get("waivers") is not None else None),
                          gate=(Gate.model_validate(decision["gate"])
                                if decision.get("gate") is not None else None))


def parse_result(text: str) -> ResultDocument:
    data: Any = json.loads(text)
    return ResultDocument.model_validate(data)
