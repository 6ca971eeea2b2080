"""CI-native outputs: SARIF (validated against the official schema and by Microsoft's
validator), JUnit XML and GitHub Actions annotations."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
import xmlschema

from conftest import ROOT, SAMPLES

MESSY = SAMPLES / "messy.yaml"
# Jenkins xunit's JUnit schema, from pytest's sources (see tests/fixtures/junit/README.md)
JUNIT_XSD = ROOT / "tests" / "fixtures" / "junit" / "junit-10.xsd"


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
    log = json.loads(render(cli, "sarif", "--waivers", str(_legacy_names_waiver(tmp_path))))
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


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema10:
    return xmlschema.XMLSchema10(str(JUNIT_XSD))


def _legacy_names_waiver(tmp_path: Path) -> Path:
    waivers = tmp_path / "w.yaml"
    waivers.write_text(json.dumps({"waivers": [{
        "rule_id": "ALM-REG-002", "resource": "*", "justification": "Legacy names (JIRA-1).",
        "approved_by": "cto@contoso.com", "approved_at": "2026-11-01T00:00:00Z",
        "expires_at": "2027-01-01T00:00:00Z"}]}))
    return waivers


def test_junit_is_valid_against_the_jenkins_xunit_schema(cli, junit_schema, tmp_path: Path):
    """Failures, waived (skipped) cases, a passing scan and a gate's unrelated debt
    (skipped): every shape the format writes validates against junit-10.xsd."""
    gate = ("gate", str(MESSY), "--model", "credit-risk-scorer", "--version", "1.2.0",
            "--endpoint", "credit-risk-canary", "--traffic", "5", "--format", "junit")
    documents = {
        "failures": render(cli, "junit"),
        "waived": render(cli, "junit", "--waivers", str(_legacy_names_waiver(tmp_path))),
        "pass": render(cli, "junit", snapshot=SAMPLES / "compliant.yaml"),
        "gate": cli(*gate).stdout,
    }
    for label, text in documents.items():
        errors = [str(e) for e in junit_schema.iter_errors(text)]
        assert errors == [], (label, errors[:3])
        root = ET.fromstring(text)
        suites = root.findall("testsuite")
        for key in ("tests", "failures"):
            assert int(root.get(key)) == sum(int(s.get(key)) for s in suites), (label, key)
        for suite in suites:
            cases = suite.findall("testcase")
            assert int(suite.get("tests")) == len(cases)
            assert int(suite.get("skipped")) == sum(1 for c in cases if c.find("skipped")
                                                    is not None), label
    waived = ET.fromstring(documents["waived"])
    assert any("Legacy names" in (c.get("message") or "") for c in waived.iter("skipped"))
    assert sum(int(s.get("skipped")) for s in ET.fromstring(documents["gate"])) > 0


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


# --- the terminal table: evidence is printed as it is --------------------------------------

FAULTS = ROOT / "tests" / "faults"
NAMING = "'^[a-z][a-z0-9]*(-[a-z0-9]+)*$'"


def _cells(text: str) -> set[str]:
    """The lines of every table cell, for looking for whole values."""
    return {cell.strip() for line in text.splitlines() for cell in line.split("│")}


def test_table_prints_markup_in_messages_as_written(cli, tmp_path: Path):
    run = cli("scan", str(MESSY))
    assert run.code == 1 and NAMING in run.stdout  # rich markup would print '^*(-+)*$'
    hostile = tmp_path / "markup.yaml"
    hostile.write_text((FAULTS / "model-name-not-kebab-case.yaml").read_text()
                       .replace("name: ATM_Cash_Forecaster", 'name: "[bold]ATM[/bold]:x:"'))
    run = cli("scan", str(hostile))
    assert run.code == 1, run.stderr
    assert "model [bold]ATM[/bold]:x:" in run.stdout
    assert "Model name '[bold]ATM[/bold]:x:' does not match" in run.stdout


def test_table_keeps_ids_whole_and_honours_columns_in_a_pipe(cli, monkeypatch):
    result = json.loads(render(cli, "json"))
    for columns in (None, "100"):
        if columns is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", columns)
        run = cli("scan", str(MESSY))
        width = int(columns or 120)  # 120 into a pipe without COLUMNS
        assert {len(line) for line in run.stdout.splitlines() if "━" in line} == {width}
        assert max(len(line) for line in run.stdout.splitlines()) <= width
        cells = _cells(run.stdout)
        for finding in result["findings"]:
            resource = finding["resource"]
            assert f"{resource['kind']} {resource['id']}" in cells, (columns, resource)
    monkeypatch.setenv("COLUMNS", "60")
    narrow = cli("scan", str(MESSY)).stdout
    assert max(len(line) for line in narrow.splitlines()) <= 60
    assert "'^[a-z][a-z0-9]*(-[a-" in narrow  # folded past the width, never cut off


def test_table_counts_in_the_singular_and_the_plural(cli, tmp_path: Path):
    one = cli("scan", str(FAULTS / "self-approval.yaml"))
    assert one.code == 1 and one.stdout.splitlines()[-1].startswith("FAIL: 1 finding (1 high);")
    many = cli("scan", str(MESSY)).stdout.splitlines()[-1]
    assert re.match(r"FAIL: \d+ findings \(.*\); \d+ rules over \d+ resources;", many)
    github = cli("scan", str(FAULTS / "self-approval.yaml"), "--format", "github")
    assert github.stdout.splitlines()[-1] == "::notice title=almguard::fail: 1 finding, 0 waived"
    written = cli("scan", str(FAULTS / "self-approval.yaml"), "-o", str(tmp_path / "r.txt"))
    assert written.stderr.startswith("almguard: fail: 1 finding, 0 waived; wrote ")


def test_lineage_and_rules_tables_keep_digests_uris_and_clauses_whole(cli, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    answer = json.loads(cli("lineage", str(MESSY), "--endpoint", "credit-risk-prod",
                            "--format", "json").stdout)
    table = cli("lineage", str(MESSY), "--endpoint", "credit-risk-prod")
    assert table.code == 1
    values = [v["artifact_digest"] for v in answer["serving"] if v["artifact_digest"]]
    for version in answer["serving"]:
        for ref in version["training_data"] + version["evaluation_data"]:
            values += [ref["digest"], ref["uri"]]
        values += [step["code_ref"] for step in version["preprocessing"]]
        if version["training_job"]:
            values += [version["training_job"]["code_ref"]]
    values = [v for v in values if v]
    assert len(values) > 6
    words = {word for line in table.stdout.splitlines() for word in line.split()}
    assert set(values) <= words
    monkeypatch.setenv("COLUMNS", "100")
    rules = cli("rules")
    assert max(len(line) for line in rules.stdout.splitlines()) == 100
    catalog = json.loads(cli("rules", "--format", "json").stdout)
    assert {c for r in catalog for c in r["controls"]} <= _cells(rules.stdout)


def test_json_result_is_two_space_indented_utf8_as_documented(cli, tmp_path: Path):
    """The result document reads as json.dumps(indent=2, ensure_ascii=False) writes it:
    key order kept, non-ASCII text as written, a trailing newline (a gate's proposal
    carries a fractional traffic share)."""
    out = tmp_path / "gate.json"
    cli("gate", str(SAMPLES / "messy.yaml"), "--model", "credit-risk-scorer", "--version",
        "1.2.0", "--endpoint", "credit-risk-prod", "--traffic", "12.5", "--format", "json",
        "-o", str(out))
    text = out.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
    assert json.loads(text)["gate"]["proposal"]["traffic_percent"] == 12.5
