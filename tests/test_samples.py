"""The shipped samples and the single-fault snapshots give exactly the expected findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from checker.metadata import CATEGORIES
from conftest import ROOT, SAMPLES

FAULTS = ROOT / "tests" / "faults"
EXPECTED = yaml.safe_load((FAULTS / "expected.yaml").read_text())


def scan(cli, path: Path) -> tuple[int, dict]:
    run = cli("scan", str(path), "--format", "json")
    assert run.code in (0, 1), run.stderr
    return run.code, json.loads(run.stdout)


@pytest.mark.parametrize("name", ["compliant.yaml", "foundry-agent.yaml"])
def test_compliant_samples_have_no_findings(cli, name):
    code, result = scan(cli, SAMPLES / name)
    assert result["findings"] == [] and code == 0


def test_audit_scenario_names_the_serving_deployment_without_lineage(cli):
    code, result = scan(cli, SAMPLES / "audit-scenario.yaml")
    assert code == 1
    assert [(f["rule_id"], f["resource"]["kind"], f["resource"]["id"])
            for f in result["findings"]] == [
        ("ALM-LIN-001", "deployment", "card-credit-limit-prod/card-credit-limit-model@1.2.0")]
    assert result["findings"][0]["severity"] == "critical"


def test_audit_scenario_table_says_it_in_words(cli):
    run = cli("scan", str(SAMPLES / "audit-scenario.yaml"))
    assert run.code == 1
    assert "card-credit-limit-prod/card-credit-limit-model@1.2.0" in run.stdout
    assert "CRITICAL (1)" in run.stdout


def test_messy_sample_trips_every_category(cli):
    code, result = scan(cli, SAMPLES / "messy.yaml")
    assert code == 1
    assert {f["category"] for f in result["findings"]} == set(CATEGORIES)
    assert len({f["rule_id"] for f in result["findings"]}) >= 12


def test_retired_sample_trips_only_retention_and_retirement(cli):
    code, result = scan(cli, SAMPLES / "retired-past-retention.yaml")
    assert code == 1
    assert {f["category"] for f in result["findings"]} <= {"retention", "retirement"}
    assert result["findings"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_single_fault_gives_findings_about_that_fault_only(cli, name):
    _, result = scan(cli, FAULTS / name)
    assert sorted({f["rule_id"] for f in result["findings"]}) == sorted(EXPECTED[name])


def test_every_category_has_a_single_fault_snapshot():
    from checker.policyset import load_policies
    by_id = {r.id: r.category for r in load_policies().rules.values()}
    covered = {by_id[rule] for rules in EXPECTED.values() for rule in rules}
    assert covered == set(CATEGORIES)
