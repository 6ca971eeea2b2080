"""CI-native outputs: SARIF (validated against the official schema and by Microsoft's
validator), JUnit XML and GitHub Actions annotations."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema

from conftest import SAMPLES

MESSY = SAMPLES / "messy.yaml"


def render(cli, fmt: str, *args: str, snapshot: Path = MESSY):
    run = cli("scan", str(snapshot), "--format", fmt, *args)
    assert run.code in (0, 1), run.stderr
    return run.stdout


def test_sarif_is_valid_against_the_official_schema_and_validator(cli, sarif_multitool,
                                                                 tmp_path: Path):
    tool, schema_path = sarif_multitool
    text = render(cli, "sarif")
    log = json.loads(text)
    schema = json.loads(schema_path.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    path = tmp_path / "messy.sarif"
    path.write_text(text)
    proc = subprocess.run([tool, "validate", str(path)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    problems = [line for line in proc.stdout.splitlines() if ": error " in line or
                ": warning " in line]
    assert problems == []


def test_sarif_has_one_rule_per_policy_rule_and_located_results(cli):
    log = json.loads(render(cli, "sarif"))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    catalog = json.loads(cli("rules", "--format", "json").stdout)
    assert [r["id"] for r in rules] == sorted(r["id"] for r in catalog)
    assert all(r["properties"]["controls"] is not None for r in rules)
    lines = MESSY.read_text().splitlines()
    for result in run["results"]:
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        physical = result["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"].endswith("messy.yaml")
        line = physical["region"]["startLine"]
        resource = result["properties"]["resource"]
        ident = resource["id"]
        token = (ident.rsplit("@", 1)[1] if resource["kind"] == "model_version"
                 else ident.split("/")[0].split("@")[0])
        assert token in "\n".join(lines[line - 1:line + 3]), (resource, line)


def test_sarif_fingerprints_are_stable_and_unique(cli, tmp_path: Path):
    first = json.loads(render(cli, "sarif"))["runs"][0]["results"]
    second = json.loads(render(cli, "sarif"))["runs"][0]["results"]
    prints = [r["partialFingerprints"]["almguardFinding/v1"] for r in first]
    assert prints == [r["partialFingerprints"]["almguardFinding/v1"] for r in second]
    assert len(set(prints)) == len(prints)


def test_sarif_marks_waived_findings_as_suppressed(cli, tmp_path: Path):
    waivers = tmp_path / "w.yaml"
    waivers.write_text(json.dumps({"waivers": [{
        "rule_id": "ALM-REG-002", "resource": "*", "justification": "Legacy names (JIRA-1).",
        "approved_by": "cto@contoso.com", "approved_at": "2026-11-01T00:00:00Z",
        "expires_at": "2027-01-01T00:00:00Z"}]}))
    log = json.loads(render(cli, "sarif", "--waivers", str(waivers)))
    suppressed = [r for r in log["runs"][0]["results"] if r.get("suppressions")]
    assert suppressed and all(r["ruleId"] == "ALM-REG-002" for r in suppressed)
    assert "Legacy names" in suppressed[0]["suppressions"][0]["justification"]


def test_junit_parses_with_one_case_per_rule_and_resource(cli):
    root = ET.fromstring(render(cli, "junit"))
    result = json.loads(render(cli, "json"))
    assert root.tag == "testsuites"
    assert int(root.get("failures")) == len(
        {(f["rule_id"], f["resource"]["kind"], f["resource"]["id"]) for f in result["findings"]})
    cases = root.findall(".//testcase")
    assert int(root.get("tests")) == len(cases) > int(root.get("failures"))
    names = [c.get("name") for c in cases]
    assert len(names) == len(set(names))
    version_rule = [c for c in cases if c.get("classname").endswith("ALM-REG-001")]
    models = sum(len(m["versions"]) for m in
                 __import__("yaml").safe_load(MESSY.read_text())["models"])
    assert len(version_rule) == models  # every version checked, not only failures


def test_github_annotations_point_at_lines(cli):
    out = render(cli, "github").splitlines()
    result = json.loads(render(cli, "json"))
    annotations = [line for line in out if line.startswith(("::error", "::warning", "::notice "))
                   and "title=almguard" not in line]
    assert len(annotations) == len(result["findings"])
    assert all(",line=" in a and "file=samples/messy.yaml" in a for a in annotations)
    assert out[-1].startswith("::notice title=almguard::fail")


def test_gate_outputs_in_ci_formats(cli):
    args = ("gate", str(SAMPLES / "audit-scenario.yaml"), "--model", "card-credit-limit-model",
            "--version", "1.2.0", "--endpoint", "card-credit-limit-prod")
    junit = cli(*args, "--format", "junit")
    assert junit.code == 1 and ET.fromstring(junit.stdout).get("failures") != "0"
    sarif = cli(*args, "--format", "sarif")
    assert sarif.code == 1 and json.loads(sarif.stdout)["runs"][0]["results"]
