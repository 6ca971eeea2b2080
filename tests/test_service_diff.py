"""The diff between two scans: what is new, resolved or unchanged."""

from __future__ import annotations

from checker.results import Finding, Resource
from checker.service.diff import diff_results
from checker.results import ResultDocument


def finding(message: str, rule: str = "ALM-REG-009", resource: str = "m@1.0.0") -> Finding:
    return Finding(rule_id=rule, title="t", category="registry", severity="high",
                   resource=Resource(kind="model_version", id=resource), message=message,
                   remediation="r", controls=[])


def result(*findings: Finding) -> ResultDocument:
    base = {"tool": {"name": "almguard", "version": "0"}, "engine": {"name": "e", "version": "0"},
            "snapshot": {"registry": "r", "captured_at": "2026-11-20T08:00:00Z",
                         "digest": "sha256:" + "0" * 64},
            "policies": {"revision": "x", "digest": "sha256:" + "0" * 64},
            "summary": {"verdict": "fail", "fail_on": "low", "findings": len(findings),
                        "waived": 0, "by_severity": {}, "by_category": {},
                        "rules_evaluated": 1, "resources_checked": 1},
            "findings": [f.model_dump() for f in findings]}
    return ResultDocument.model_validate(base)


def messages(items: list[Finding]) -> list[str]:
    return [f.message for f in items]


def test_another_quoted_dataset_is_a_new_and_a_resolved_finding():
    before = result(finding("Version 'm@1.0.0' references dataset 'ghost-a@1', not registered"))
    after = result(finding("Version 'm@1.0.0' references dataset 'ghost-b@1', not registered"))
    diff = diff_results(before, after)
    ghost = "Version 'm@1.0.0' references dataset 'ghost-{}@1', not registered"
    assert messages(diff.new) == [ghost.format("b")]
    assert messages(diff.resolved) == [ghost.format("a")]
    assert diff.unchanged == [] and diff.reworded == []


def test_a_quoted_version_number_is_a_name_not_a_figure():
    before = result(finding("trained on 'loans@3'"))
    after = result(finding("trained on 'loans@4'"))
    diff = diff_results(before, after)
    assert len(diff.new) == 1 and len(diff.resolved) == 1


def test_a_moved_figure_is_the_same_finding_reworded():
    before = result(finding("approval is 40 days old, more than 30"))
    after = result(finding("approval is 47 days old, more than 30"))
    diff = diff_results(before, after)
    assert diff.new == [] and diff.resolved == []
    assert [(c.finding.message, c.before) for c in diff.reworded] == [
        ("approval is 47 days old, more than 30", "approval is 40 days old, more than 30")]


def test_identical_findings_count_as_a_multiset():
    same = finding("x")
    diff = diff_results(result(same, finding("y")), result(same, finding("z", resource="n@1")))
    assert messages(diff.unchanged) == ["x"]
    assert messages(diff.new) == ["z"] and messages(diff.resolved) == ["y"]
