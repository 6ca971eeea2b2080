"""OSCAL assessment-results (`scan --format oscal`): valid for NIST's models, true to the scan.

Every document (OSCAL 1.1.3) is parsed with compliance-trestle's OSCAL models: NIST's
assessment-results model as trestle 5.2 ships it (OSCAL 1.2.1, the backward-compatible
minor after 1.1.x; unknown keys and values outside the allowed ones are refused). Trestle
ships no NIST JSON schema file, so there is no second, schema-file check. What the document says is
checked against the JSON result of the same scan: one observation and one risk per finding,
control findings not-satisfied exactly where a citing rule has a finding, waivers as
accepted deviations, the verdict the decision's, and the same bytes for the same inputs.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker.formats.oscal import NS, control_token
from conftest import SAMPLES, run_cli
from tool_support import missing

MESSY = SAMPLES / "messy.yaml"
COMPLIANT = SAMPLES / "compliant.yaml"
WAIVED = ("ALM-ROLL-001", "fraud-scoring-prod/Fraud_Detector_XGB@3.1.0")
WAIVER = {"rule_id": WAIVED[0], "resource": WAIVED[1],
          "justification": "Emergency fix for a false-positive spike (INC-4711).",
          "approved_by": "cro@contoso.com", "approved_at": "2026-11-10T10:00:00+01:00",
          "expires_at": "2026-12-10T09:00:00Z"}


@pytest.fixture(scope="module")
def trestle_model() -> Any:
    try:
        from trestle.oscal.assessment_results import AssessmentResults
    except ImportError:
        missing("compliance-trestle", "pip install -e '.[dev]'")
    return AssessmentResults


def scan(*args: str) -> tuple[int, dict[str, Any], str]:
    run = run_cli("scan", *args)
    assert run.code in (0, 1), run.stderr
    return run.code, json.loads(run.stdout), run.stdout


@pytest.fixture(scope="module")
def waivers_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("oscal") / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": [WAIVER]}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def messy(waivers_file: Path) -> dict[str, Any]:
    code, oscal, text = scan(str(MESSY), "--format", "oscal", "--waivers", str(waivers_file))
    json_code, result, _ = scan(str(MESSY), "--format", "json", "--waivers", str(waivers_file))
    assert code == json_code == 1
    return {"oscal": oscal, "text": text, "result": result}


@pytest.fixture(scope="module")
def rules() -> list[dict[str, Any]]:
    run = run_cli("rules", "--format", "json")
    assert run.code == 0, run.stderr
    return json.loads(run.stdout)


def props(entry: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in entry.get("props", ()):
        assert p["ns"] == NS
        out.setdefault(p["name"], []).append(p["value"])
    return out


def only(entry: dict[str, Any], name: str) -> str:
    (value,) = props(entry)[name]
    return value


def test_the_document_parses_as_nist_assessment_results(messy, trestle_model):
    model = trestle_model.model_validate(messy["oscal"]["assessment-results"])
    assert messy["oscal"]["assessment-results"]["metadata"]["oscal-version"] == "1.1.3"
    assert len(model.results) == 1


def test_a_document_that_breaks_the_model_is_refused(messy, trestle_model):
    """The check above can fail: trestle refuses an unknown key and a bad state."""
    from pydantic import ValidationError
    broken = json.loads(messy["text"])["assessment-results"]
    broken["results"][0]["findings"][0]["target"]["status"]["state"] = "waived"
    with pytest.raises(ValidationError):
        trestle_model.model_validate(broken)
    broken = json.loads(messy["text"])["assessment-results"]
    broken["results"][0]["observations"][0]["verdict"] = "fail"
    with pytest.raises(ValidationError):
        trestle_model.model_validate(broken)


def test_every_finding_is_an_observation_about_its_resource(messy):
    result = messy["oscal"]["assessment-results"]["results"][0]
    items = {i["uuid"]: (only(i, "resource-kind"), only(i, "resource-id"))
             for i in result["local-definitions"]["inventory-items"]}
    seen = []
    for o in result["observations"]:
        if "finding" not in o.get("types", ()):
            continue
        (subject,) = o["subjects"]
        assert subject["type"] == "inventory-item"
        kind, ident = items[subject["subject-uuid"]]
        seen.append((only(o, "rule-id"), kind, ident, o["description"],
                     only(o, "waived") == "true"))
    expected = [(f["rule_id"], f["resource"]["kind"], f["resource"]["id"], f["message"],
                 f["waived"]) for f in messy["result"]["findings"]]
    assert seen == expected


def test_rules_without_a_finding_are_satisfied_observations(messy, rules):
    result = messy["oscal"]["assessment-results"]["results"][0]
    with_findings = {f["rule_id"] for f in messy["result"]["findings"]}
    quiet = [only(o, "rule-id") for o in result["observations"]
             if "finding" not in o.get("types", ())]
    assert quiet == sorted(r["id"] for r in rules if r["id"] not in with_findings)
    assert quiet, "messy.yaml has rules without findings"


def test_the_registry_resources_are_the_inventory(messy):
    result = messy["oscal"]["assessment-results"]["results"][0]
    snapshot = yaml.safe_load(MESSY.read_text(encoding="utf-8"))
    ids = {(only(i, "resource-kind"), only(i, "resource-id"))
           for i in result["local-definitions"]["inventory-items"]}
    for model in snapshot["models"]:
        assert ("model", model["name"]) in ids
        for v in model.get("versions", ()):
            assert ("model_version", f"{model['name']}@{v['version']}") in ids
    for d in snapshot.get("datasets", ()):
        assert ("dataset", f"{d['name']}@{d['version']}") in ids
    for d in snapshot.get("deployments", ()):
        assert ("endpoint", d["endpoint"]) in ids


def test_control_findings_follow_the_rules_that_cite_them(messy, rules):
    result = messy["oscal"]["assessment-results"]["results"][0]
    findings = messy["result"]["findings"]
    controls = sorted({c for r in rules for c in r["controls"]})
    selected = [c["control-id"] for s in result["reviewed-controls"]["control-selections"]
                for c in s.get("include-controls", ())]
    assert selected == [control_token(c) for c in controls]
    by_target = {f["target"]["target-id"]: f for f in result["findings"]}
    observation_ids = {o["uuid"] for o in result["observations"]}
    risk_ids = {r["uuid"] for r in result["risks"]}
    for control in controls:
        citing = {r["id"] for r in rules if control in r["controls"]}
        about = [f for f in findings if f["rule_id"] in citing]
        entry = by_target[control_token(control)]
        assert entry["target"]["title"] == f"Control {control}"
        assert sorted(props(entry)["rule-id"]) == sorted(citing)
        state = entry["target"]["status"]["state"]
        assert state == ("not-satisfied" if about else "satisfied"), control
        if any(not f["waived"] for f in about):
            assert only(entry, "status") == "fail"
            assert entry["target"]["status"]["reason"] == "fail"
        elif about:
            assert only(entry, "status") == "waived"
        related = {r["observation-uuid"] for r in entry["related-observations"]}
        assert related <= observation_ids and len(related) >= len(citing)
        assert {r["risk-uuid"] for r in entry.get("related-risks", ())} <= risk_ids
        assert len(entry.get("related-risks", ())) == len(about)


def test_a_waived_finding_is_an_approved_deviation_until_its_expiry(messy):
    result = messy["oscal"]["assessment-results"]["results"][0]
    (waived,) = [r for r in result["risks"] if r["status"] != "open"]
    assert waived["status"] == "deviation-approved"
    assert WAIVED[1] in waived["title"] and only(waived, "rule-id") == WAIVED[0]
    assert waived["deadline"] == WAIVER["expires_at"]
    (entry,) = waived["risk-log"]["entries"]
    assert entry["status-change"] == "deviation-approved"
    assert entry["start"] == "2026-11-10T09:00:00Z"        # +01:00 written in UTC
    assert entry["end"] == WAIVER["expires_at"]
    assert WAIVER["justification"] in entry["description"]
    assert only(entry, "approved-by") == WAIVER["approved_by"]
    unwaived = [r for r in result["risks"] if r["status"] == "open"]
    assert len(unwaived) == sum(1 for f in messy["result"]["findings"] if not f["waived"])
    assert all(r["remediations"][0]["lifecycle"] == "recommendation" for r in unwaived)


def test_the_verdict_and_counts_are_the_decisions(messy):
    doc = messy["oscal"]["assessment-results"]
    result, summary = doc["results"][0], messy["result"]["summary"]
    assert only(result, "verdict") == summary["verdict"] == "fail"
    assert only(result, "fail-on") == summary["fail_on"]
    assert only(result, "findings") == str(summary["findings"])
    assert only(result, "waived") == str(summary["waived"]) == "1"
    assert only(result, "snapshot-digest") == messy["result"]["snapshot"]["digest"]
    assert only(result, "policies-digest") == messy["result"]["policies"]["digest"]


def test_times_are_the_captures_never_the_clock(messy):
    doc = messy["oscal"]["assessment-results"]
    captured = messy["result"]["snapshot"]["captured_at"]
    result = doc["results"][0]
    assert doc["metadata"]["last-modified"] == result["start"] == result["end"] == captured
    assert {o["collected"] for o in result["observations"]} == {captured}


def test_uuids_are_unique_version_5_and_references_resolve(messy):
    text = messy["text"]
    doc = messy["oscal"]["assessment-results"]
    own: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("uuid"), str):
                own.append(node["uuid"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(doc)
    assert len(own) == len(set(own))
    assert all(uuid.UUID(u).version == 5 for u in own)
    resources = {r["uuid"] for r in doc["back-matter"]["resources"]}
    assert doc["import-ap"]["href"].lstrip("#") in resources
    for ref in ("subject-uuid", "observation-uuid", "risk-uuid", "actor-uuid"):
        for value in {line.split('"')[3] for line in text.splitlines()
                      if f'"{ref}"' in line}:
            assert value in own, (ref, value)


def test_same_inputs_same_bytes_and_a_waiver_changes_the_assessment(messy, waivers_file):
    _, _, again = scan(str(MESSY), "--format", "oscal", "--waivers", str(waivers_file))
    assert again == messy["text"]
    _, plain, _ = scan(str(MESSY), "--format", "oscal")
    doc, other = messy["oscal"]["assessment-results"], plain["assessment-results"]
    assert doc["uuid"] != other["uuid"]
    # the registry's resources keep their uuids from one assessment to the next
    items = {i["uuid"] for i in doc["results"][0]["local-definitions"]["inventory-items"]}
    assert items == {i["uuid"] for i in
                     other["results"][0]["local-definitions"]["inventory-items"]}


def test_a_compliant_registry_satisfies_every_control(trestle_model):
    code, oscal, _ = scan(str(COMPLIANT), "--format", "oscal")
    assert code == 0
    trestle_model.model_validate(oscal["assessment-results"])
    result = oscal["assessment-results"]["results"][0]
    assert only(result, "verdict") == "pass"
    assert "risks" not in result
    assert {f["target"]["status"]["state"] for f in result["findings"]} == {"satisfied"}
    assert all("finding" not in o.get("types", ()) for o in result["observations"])


def test_a_gate_says_its_decision(trestle_model, tmp_path: Path):
    out = tmp_path / "gate.oscal.json"
    run = run_cli("gate", str(SAMPLES / "audit-scenario.yaml"), "--model",
                  "card-credit-limit-model", "--version", "1.5.0", "--endpoint",
                  "card-credit-limit-prod", "--format", "oscal", "-o", str(out))
    assert run.code == 1, run.stderr
    oscal = json.loads(out.read_text(encoding="utf-8"))
    trestle_model.model_validate(oscal["assessment-results"])
    result = oscal["assessment-results"]["results"][0]
    assert only(result, "gate-decision") == "deny"
    assert only(result, "gate-endpoint") == "card-credit-limit-prod"
    assert "deny" in result["title"]


def test_an_offset_capture_time_is_written_in_utc(trestle_model, tmp_path: Path):
    snapshot = tmp_path / "offset.yaml"
    snapshot.write_text(COMPLIANT.read_text(encoding="utf-8").replace(
        'captured_at: "2026-11-20T08:00:00Z"',
        'captured_at: "2026-11-20T09:30:00.123456789+01:30"'), encoding="utf-8")
    code, oscal, _ = scan(str(snapshot), "--format", "oscal")
    trestle_model.model_validate(oscal["assessment-results"])
    assert oscal["assessment-results"]["results"][0]["start"] == "2026-11-20T08:00:00.123456789Z"


@pytest.mark.parametrize("citation, token", [
    ("EU AI Act Art. 10", "eu-ai-act-art-10"),
    ("ISO/IEC 42001 A.6.2.3", "iso-iec-42001-a.6.2.3"),
    ("NIST AI RMF MEASURE 2.11", "nist-ai-rmf-measure-2.11"),
    ("SR 11-7 §IV", "sr-11-7-iv"),
    ("PRA SS1/23 Principle 1", "pra-ss1-23-principle-1"),
    ("42001", "_42001"),
])
def test_control_citations_become_oscal_tokens(citation: str, token: str):
    assert control_token(citation) == token
