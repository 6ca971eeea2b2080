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


def test_policies_readme_catalog_is_in_sync_with_the_metadata():
    from checker.views import rules_markdown
    from conftest import ROOT
    text = (ROOT / "policies" / "README.md").read_text()
    table = text.split("<!-- catalog:start -->\n")[1].split("<!-- catalog:end -->")[0]
    assert table == rules_markdown(load_policies().rules.values()), (
        "regenerate the table: almguard rules --format markdown")


def test_every_alm_rules_bullet_is_encoded_by_a_rule():
    import re
    from conftest import ROOT
    spec = ROOT.parent / "shared" / "spec" / "alm-rules.md"
    if not spec.exists():
        import pytest
        pytest.skip("shared/spec/alm-rules.md is not beside the checkout")
    text = spec.read_text().split("## The questions")[0]
    bullets = [re.sub(r"\s+", " ", b).strip() for b in re.findall(r"^- (.+?)(?=^- |^#|\Z)",
                                                                 text, re.M | re.S)]
    bullets = [b for b in bullets if not b.startswith("Source")]
    encoded = {re.sub(r"\s+", " ", r.alm_rule).strip() for r in load_policies().rules.values()}
    missing = [b for b in bullets if b not in encoded]
    assert not missing, missing
    assert len(bullets) >= 25
