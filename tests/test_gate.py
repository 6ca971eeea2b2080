"""Pre-deployment gates: allow/deny with a checklist, what-if only, fail closed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import yaml

from checker.gate import apply_proposal, make_proposal
from conftest import SAMPLES

AUDIT = SAMPLES / "audit-scenario.yaml"
COMPLIANT = SAMPLES / "compliant.yaml"


def gate(cli, snapshot: Path, *args: str):
    run = cli("gate", str(snapshot), *args, "--format", "json")
    return run, (json.loads(run.stdout) if run.stdout else None)


def failed(result) -> dict[str, list[str]]:
    return {c["rule_id"]: c["messages"] for c in result["gate"]["checklist"] if not c["passed"]}


def test_compliant_canary_promoted_to_full_traffic_is_allowed(cli):
    before = hashlib.sha256(COMPLIANT.read_bytes()).hexdigest()
    run, result = gate(cli, COMPLIANT, "--model", "support-summarizer", "--version", "2.1.0",
                       "--endpoint", "support-summarizer-prod")
    assert run.code == 0, run.stdout
    assert result["gate"]["decision"] == "allow" and failed(result) == {}
    assert hashlib.sha256(COMPLIANT.read_bytes()).hexdigest() == before  # what-if only


def test_unlineaged_version_is_denied_with_the_lineage_gate_and_remediation(cli):
    run, result = gate(cli, AUDIT, "--model", "card-credit-limit-model", "--version", "1.2.0",
                       "--endpoint", "card-credit-limit-prod")
    assert run.code == 1
    lineage = [c for c in result["gate"]["checklist"] if c["rule_id"] == "ALM-LIN-001"][0]
    assert not lineage["passed"] and lineage["gate"] == "Lineage"
    assert "training" in lineage["remediation"]


def test_version_three_behind_lists_every_unmet_gate_at_once(cli, tmp_path: Path):
    doc = yaml.safe_load(AUDIT.read_text())
    newest = next(v for m in doc["models"] if m["name"] == "card-credit-limit-model"
                  for v in m["versions"] if v["version"] == "1.5.0")
    newest.pop("evaluations", None)          # never evaluated
    newest["approvals"] = []                 # never approved
    path = tmp_path / "behind.yaml"
    path.write_text(yaml.safe_dump(doc))
    run, result = gate(cli, path, "--model", "card-credit-limit-model", "--version", "1.5.0",
                       "--endpoint", "card-credit-limit-prod")
    assert run.code == 1
    assert {"ALM-EVAL-001", "ALM-APPR-001", "ALM-ROLL-001"} <= set(failed(result))
    gates = {c["gate"] for c in result["gate"]["checklist"] if not c["passed"]}
    assert {"Evaluation gate", "Approvals", "Canary and rollout"} <= gates


def test_unrelated_debt_is_reported_but_does_not_block(cli):
    run, result = gate(cli, SAMPLES / "messy.yaml", "--model", "credit-risk-scorer",
                       "--version", "1.2.0", "--endpoint", "credit-risk-canary",
                       "--traffic", "5")
    assert result["gate"]["unrelated_findings"] > 10
    related = failed(result)
    assert run.code == (1 if related else 0)


def test_approval_one_second_after_the_deployment_time_denies(cli, tmp_path: Path):
    doc = yaml.safe_load(COMPLIANT.read_text())
    version = next(v for m in doc["models"] if m["name"] == "support-summarizer"
                   for v in m["versions"] if v["version"] == "2.1.0")
    approval = next(a for a in version["approvals"] if a["stage"] == "production")
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    args = ("--model", "support-summarizer", "--version", "2.1.0", "--endpoint",
            "support-summarizer-prod")
    dep = next(d for d in doc["deployments"] if d["endpoint"] == "support-summarizer-prod"
               and d["version"] == "2.1.0")
    # the version's deployment started at deployed_at: move the approval across it
    for shift, code in (("+00:00:00", 0), ("+00:00:01", 1)):
        from datetime import datetime, timedelta
        at = datetime.fromisoformat(dep["deployed_at"].replace("Z", "+00:00"))
        seconds = int(shift[-2:])
        approval["approved_at"] = (at + timedelta(seconds=seconds)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        path.write_text(yaml.safe_dump(doc))
        run, result = gate(cli, path, *args)
        assert run.code == code, (shift, failed(result))


def test_proposal_takes_its_share_and_others_keep_the_rest_in_proportion():
    document = {"registry": {"name": "r", "captured_at": "2026-11-20T08:00:00Z"},
                "deployments": [
                    {"endpoint": "e", "model": "m", "version": "1.0.0", "traffic_percent": 60,
                     "environment": "production", "monitoring": {"drift_detection": True}},
                    {"endpoint": "e", "model": "m", "version": "1.1.0", "traffic_percent": 40,
                     "environment": "production"},
                    {"endpoint": "other", "model": "x", "version": "1", "traffic_percent": 100,
                     "environment": "production"}]}
    proposal = make_proposal("m", "2.0.0", "e", environment="production", traffic=10,
                             at="2026-11-21T08:00:00Z", document=document)
    out = apply_proposal(document, proposal)
    traffic = {(d["endpoint"], d["version"]): d["traffic_percent"] for d in out["deployments"]}
    assert traffic == {("e", "1.0.0"): 54.0, ("e", "1.1.0"): 36.0, ("other", "1"): 100,
                       ("e", "2.0.0"): 10}
    new = out["deployments"][-1]
    assert new["monitoring"] == {"drift_detection": True}  # inherited from the largest
    assert new["rollout"] == [{"traffic_percent": 10, "at": "2026-11-21T08:00:00Z"}]
    assert out["registry"] == document["registry"]  # evidence ends at the capture
    assert document["deployments"][0]["traffic_percent"] == 60  # input untouched


def test_broken_snapshot_or_bad_proposal_exits_2(cli, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nregistry: {name: x}\n")
    run = cli("gate", str(bad), "--model", "m", "--version", "1", "--endpoint", "e")
    assert run.code == 2 and "captured_at" in run.stderr
    run = cli("gate", str(COMPLIANT), "--model", "m", "--version", "1", "--endpoint", "e",
              "--traffic", "0")
    assert run.code == 2 and "--traffic" in run.stderr
    run = cli("gate", str(COMPLIANT), "--model", "m", "--version", "1", "--endpoint", "e",
              "--at", "yesterday")
    assert run.code == 2 and "--at" in run.stderr


def test_unreachable_engine_fails_closed(cli):
    run = cli("gate", str(COMPLIANT), "--model", "support-summarizer", "--version", "2.1.0",
              "--endpoint", "support-summarizer-prod", "--engine", "opa", "--opa-url",
              "http://127.0.0.1:9", "--opa-timeout", "2")
    assert run.code == 2 and run.stdout == "" and "unreachable" in run.stderr


def test_a_gate_cannot_call_a_production_endpoint_staging(cli):
    ask = ("gate", str(SAMPLES / "audit-scenario.yaml"), "--model", "card-credit-limit-model",
           "--version", "1.5.0", "--endpoint", "card-credit-limit-prod", "--format", "json")
    default = cli(*ask)
    assert default.code == 1
    assert json.loads(default.stdout)["gate"]["proposal"]["environment"] == "production"
    laxer = cli(*ask, "--environment", "staging")
    assert laxer.code == 2 and laxer.stdout == ""
    assert laxer.stderr.strip() == ("almguard: error: endpoint 'card-credit-limit-prod' serves "
                                    "production: a deployment to it is gated as production, "
                                    "not staging")
    assert cli(*ask, "--environment", "production").stdout == default.stdout
