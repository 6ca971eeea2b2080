"""The Rego unit tests, run on the embedded engine (OPA runs them in test_opa_toolchain)."""

from __future__ import annotations

from checker.metadata import CATEGORIES
from checker.policyset import load_policies
from checker.regotest import run_tests


def test_every_rego_test_passes_on_the_embedded_engine(record_figure):
    report = run_tests(load_policies())
    assert not report.failed, "\n".join(f"{name}: {why}" for name, why in report.failed)
    assert len(report.passed) >= 100
    record_figure(f"Rego tests on regorus: {len(report.passed)} passed; line coverage "
                  f"{report.coverage:.1f}% of {report.coverable_lines} policy lines")
    assert report.coverage >= 95.0


def test_every_rule_has_a_test_file_with_several_tests():
    policies = load_policies()
    tests_by_package = {}
    for module in policies.tests:
        for line in module.text.splitlines():
            if line.startswith("package "):
                tests_by_package[line.split()[1]] = module.text.count("\ntest_")
    for package, rule in policies.rules.items():
        count = tests_by_package.get(package + "_test", 0)
        assert count >= 2, f"{rule.id} ({rule.file}) has {count} tests"


def test_every_category_has_rules():
    categories = {rule.category for rule in load_policies().rules.values()}
    assert categories == set(CATEGORIES)


def test_rule_ids_follow_the_category_prefix():
    prefixes = {"registry": "ALM-REG-", "lineage": "ALM-LIN-", "evaluation": "ALM-EVAL-",
                "safety": "ALM-SAFE-", "approval": "ALM-APPR-", "rollout": "ALM-ROLL-",
                "monitoring": "ALM-MON-", "retirement": "ALM-RETIRE-",
                "retention": "ALM-RETAIN-"}
    for rule in load_policies().rules.values():
        assert rule.id.startswith(prefixes[rule.category]), rule.id
        assert rule.alm_rule, f"{rule.id} does not name the alm-rules.md bullet it encodes"
