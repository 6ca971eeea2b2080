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


@pytest.mark.parametrize(("data", "expected"), [
    # a snapshot given to --data instead of as the snapshot
    ((Path(__file__).parent / "faults" / "self-approval.yaml").read_text(),
     "this is a registry snapshot, not policy data: scan it"),
    ("almguard:\n  config: {}\nrollout:\n  canary_max_percent: {high: 5}\n",
     ":3: unknown top-level key 'rollout' in policy data (it has: almguard)"),
    ("almguard:\n  confg:\n    rollout: {}\n",
     ":2: unknown policy setting almguard.confg (known: config)"),
    ("almguard:\n  catalog:\n    rules: {}\n",
     (":2: almguard.catalog is the rule catalog, generated from the rules' METADATA: policy "
      "data cannot set it")),
    ("almguard:\n  bundle: {digest: 'sha256:00', revision: fake}\n",
     (":2: almguard.bundle is the bundle marker, written by almguard bundle build: policy "
      "data cannot set it")),
    ("almguard: 5\n", ":1: policy data almguard must be a mapping"),
    ("almguard:\n  config:\n    rollout:\n      canary_max_percnt: {high: 5}\n",
     ":4: unknown policy setting almguard.config.rollout.canary_max_percnt"),
], ids=["snapshot", "top-level", "almguard-level", "catalog", "bundle", "not-a-mapping",
        "config-typo"])
def test_data_override_may_only_override(tmp_path: Path, cli, minimal_text, data, expected):
    snap = write(tmp_path / "snap.yaml", minimal_text)
    path = write(tmp_path / "data.yaml", data)
    run = cli("scan", str(snap), "--data", str(path))
    assert run.code == 2 and run.stdout == ""
    assert run.stderr.startswith(f"almguard: error: {path}") and expected in run.stderr, \
        run.stderr
    assert run.stderr.count("\n") == 1
    with pytest.raises(PolicyError):
        load_policies(data_files=[path])


def test_data_for_a_user_rule_comes_beside_it_and_may_then_be_overridden(tmp_path: Path):
    acme = tmp_path / "acme"
    write(acme / "cost_centre.rego", RULE)
    write(acme / "data.yaml", "acme:\n  cost_centre: {tag: cost-centre}\n")
    override = write(tmp_path / "override.yaml", "acme:\n  cost_centre: {tag: cc}\n")
    policies = load_policies([acme], [override])
    assert policies.data["acme"] == {"cost_centre": {"tag": "cc"}}
