"""Policy loading: user policies and data, and clear errors for bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.errors import PolicyError
from checker.policyset import load_policies

RULE = '''# METADATA
# title: Models carry a cost-centre tag
# custom:
#   id: ACME-001
#   severity: low
#   category: registry
#   remediation: Add a cost-centre tag to the model.
package almguard.rules.acme.cost_centre

import rego.v1

deny contains {"resource": {"kind": "model", "id": model.name}, "message": "No cost centre"} if {
	some model in input.models
	not model.tags["cost-centre"]
}
'''


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_user_policy_directory_adds_a_rule(tmp_path: Path, cli, minimal_text):
    write(tmp_path / "acme" / "cost_centre.rego", RULE)
    snap = write(tmp_path / "snap.yaml", minimal_text)
    run = cli("scan", str(snap), "--policies", str(tmp_path / "acme"), "--format", "json")
    result = json.loads(run.stdout)
    ids = {f["rule_id"] for f in result["findings"]}
    assert "ACME-001" in ids
    assert result["policies"]["revision"].startswith("almguard-") and "+local." in \
        result["policies"]["revision"]


def test_rule_without_severity_is_refused_with_file_and_line(tmp_path: Path, cli, minimal_text):
    write(tmp_path / "p" / "bad.rego", RULE.replace("#   severity: low\n", ""))
    snap = write(tmp_path / "snap.yaml", minimal_text)
    run = cli("scan", str(snap), "--policies", str(tmp_path / "p"))
    assert run.code == 2
    assert "bad.rego:1:" in run.stderr and "lacks severity" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1


def test_rule_without_metadata_is_refused(tmp_path: Path):
    text = RULE.split("package ", 1)[1]
    write(tmp_path / "p" / "bare.rego", "package " + text)
    with pytest.raises(PolicyError) as info:
        load_policies([tmp_path / "p"])
    assert "no METADATA block" in str(info.value) and "bare.rego:1" in str(info.value)


def test_rego_syntax_error_names_file_and_line(tmp_path: Path, cli, minimal_text):
    write(tmp_path / "p" / "broken.rego", RULE.replace("not model.tags", "not model.tags ]"))
    snap = write(tmp_path / "snap.yaml", minimal_text)
    run = cli("scan", str(snap), "--policies", str(tmp_path / "p"))
    assert run.code == 2
    assert "broken.rego:14:" in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_rule_with_unknown_function_fails_at_load_not_silently(tmp_path: Path, cli,
                                                               minimal_text):
    write(tmp_path / "p" / "fn.rego", RULE.replace('not model.tags["cost-centre"]',
                                                   "no_such_function(model)"))
    snap = write(tmp_path / "snap.yaml", minimal_text)
    run = cli("scan", str(snap), "--policies", str(tmp_path / "p"))
    assert run.code == 2 and "fn.rego" in run.stderr and "no_such_function" in run.stderr


def test_duplicate_rule_id_is_refused(tmp_path: Path):
    write(tmp_path / "p" / "a.rego", RULE)
    write(tmp_path / "p" / "b.rego", RULE.replace("cost_centre", "cost_centre_two"))
    with pytest.raises(PolicyError, match="rule id ACME-001 is also used"):
        load_policies([tmp_path / "p"])


def test_data_override_changes_the_verdict_and_the_digest(tmp_path: Path, cli, minimal_text):
    snap = write(tmp_path / "snap.yaml", minimal_text.replace(
        "credit-risk-scorer", "Credit_Risk"))
    strict = json.loads(cli("scan", str(snap), "--format", "json").stdout)
    assert "ALM-REG-002" in {f["rule_id"] for f in strict["findings"]}
    data = write(tmp_path / "naming.yaml",
                 "almguard:\n  config:\n    registry:\n      name_pattern: '^[A-Za-z_]+$'\n")
    relaxed = json.loads(cli("scan", str(snap), "--data", str(data), "--format", "json").stdout)
    assert "ALM-REG-002" not in {f["rule_id"] for f in relaxed["findings"]}
    assert relaxed["policies"]["digest"] != strict["policies"]["digest"]


def test_unknown_setting_in_data_override_is_refused(tmp_path: Path, cli, minimal_text):
    snap = write(tmp_path / "snap.yaml", minimal_text)
    data = write(tmp_path / "typo.yaml",
                 "almguard:\n  config:\n    rollout:\n      canary_max_percnt: {high: 5}\n")
    run = cli("scan", str(snap), "--data", str(data))
    assert run.code == 2
    assert "unknown policy setting almguard.config.rollout.canary_max_percnt" in run.stderr


def test_policy_digest_is_stable_and_covers_data():
    first, second = load_policies(), load_policies()
    assert first.digest == second.digest
    assert first.revision == second.revision
