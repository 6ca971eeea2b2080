"""Checks and the compliance rate: the one definition the reports and the service share.

A check is one rule applied to one resource of a kind the rule inspects (as in the JUnit
output); it fails when the result holds an unwaived finding for it. The compliance rate is
the percentage of checks that do not fail.
"""

from __future__ import annotations

from typing import Any, Iterable, Literal, Mapping, Sequence

from .ids import Key, resources
from .metadata import RuleMeta
from .results import Finding, ResultDocument


# How a rule (or the rules behind a control) stands, shown in the report's marks and the
# OSCAL findings: read from the decision's findings, never judged again.
Status = Literal["pass", "fail", "waived", "n/a"]


def check_status(checks: int, failing: int, waived: int) -> Status:
    """fail (an unwaived finding), waived (findings, all waived), pass (checked, none) or
    n/a (nothing to check) of one rule, from its rule_checks counts."""
    if failing:
        return "fail"
    if waived:
        return "waived"
    return "pass" if checks else "n/a"


def worst(states: Iterable[Status]) -> Status:
    """The status of several rules together: the worst of fail, waived, pass, n/a."""
    present = set(states)
    for state in ("fail", "waived", "pass"):
        if state in present:
            return state  # type: ignore[return-value]
    return "n/a"


def findings_by_rule(findings: Iterable[Finding]) -> dict[str, dict[Key, list[Finding]]]:
    out: dict[str, dict[Key, list[Finding]]] = {}
    for f in findings:
        out.setdefault(f.rule_id, {}).setdefault((f.resource.kind, f.resource.id), []).append(f)
    return out


def rule_checks(rule: RuleMeta, found: Mapping[Key, Sequence[Finding]],
                checked: Mapping[str, Sequence[str]]) -> tuple[int, int, int]:
    """(checks, failing, waived) of one rule."""
    subjects = {(k, i) for k in rule.resource_kinds for i in checked.get(k, ())}
    subjects |= set(found)
    failing = sum(1 for fs in found.values() if any(not f.waived for f in fs))
    waived = sum(1 for fs in found.values() if fs and all(f.waived for f in fs))
    return len(subjects), failing, waived


def compliance_rate(result: ResultDocument, document: dict[str, Any],
                    rules: Iterable[RuleMeta]) -> float | None:
    """Percentage of all checks without an unwaived finding; None when nothing applied."""
    checked = resources(document)
    by_rule = findings_by_rule(result.findings)
    checks = failing = 0
    for rule in rules:
        c, f, _ = rule_checks(rule, by_rule.get(rule.id, {}), checked)
        checks += c
        failing += f
    return None if checks == 0 else 100.0 * (checks - failing) / checks
