"""Waivers: time-boxed, attributed acceptance of a finding."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import SAMPLES

AUDIT = SAMPLES / "audit-scenario.yaml"
FINDING = ("ALM-LIN-001", "card-credit-limit-prod/card-credit-limit-model@1.2.0")


def waiver_file(tmp_path: Path, **overrides) -> Path:
    entry = {"rule_id": FINDING[0], "resource": FINDING[1],
             "justification": "Lineage being reconstructed from job logs (RISK-1234).",
             "approved_by": "cro@contoso.com", "approved_at": "2026-11-01T00:00:00Z",
             "expires_at": "2026-12-01T00:00:00Z"}
    entry.update(overrides)
    entry = {k: v for k, v in entry.items() if v is not None}
    path = tmp_path / "waivers.yaml"
    path.write_text(json.dumps({"waivers": [entry]}))
    return path


def scan(cli, *args):
    run = cli("scan", str(AUDIT), "--format", "json", *args)
    return run, json.loads(run.stdout) if run.stdout else None


def test_waiver_suppresses_exactly_its_finding_until_expiry(cli, tmp_path: Path):
    run, result = scan(cli, "--waivers", str(waiver_file(tmp_path)))
    assert run.code == 0
    (finding,) = result["findings"]
    assert finding["waived"] is True and finding["waiver"]["approved_by"] == "cro@contoso.com"
    assert result["summary"]["findings"] == 0 and result["summary"]["waived"] == 1
    assert result["waivers"]["applied"] == 1


def test_expired_waiver_no_longer_suppresses_and_is_reported(cli, tmp_path: Path):
    # the snapshot's clock is 2026-11-20T08:00:00Z: expiring one second before it
    path = waiver_file(tmp_path, approved_at="2026-11-01T00:00:00Z",
                       expires_at="2026-11-20T07:59:59Z")
    run, result = scan(cli, "--waivers", str(path))
    assert run.code == 1
    assert result["findings"][0]["waived"] is False
    assert [w["rule_id"] for w in result["waivers"]["expired"]] == [FINDING[0]]


def test_waiver_expiring_one_second_after_now_still_applies(cli, tmp_path: Path):
    path = waiver_file(tmp_path, expires_at="2026-11-20T08:00:01Z")
    run, _ = scan(cli, "--waivers", str(path))
    assert run.code == 0


def test_pattern_waiver_and_unmatched_waiver_report(cli, tmp_path: Path):
    path = waiver_file(tmp_path, resource="card-credit-limit-prod/*")
    run, result = scan(cli, "--waivers", str(path))
    assert run.code == 0 and result["findings"][0]["waived"]
    other = waiver_file(tmp_path, rule_id="ALM-ROLL-001")
    run, result = scan(cli, "--waivers", str(other))
    assert run.code == 1
    assert [w["rule_id"] for w in result["waivers"]["unmatched"]] == ["ALM-ROLL-001"]
    table = cli("scan", str(AUDIT), "--waivers", str(other))
    assert "Unused waiver: ALM-ROLL-001" in table.stdout


def test_waiver_without_justification_is_an_input_error(cli, tmp_path: Path):
    run, _ = scan(cli, "--waivers", str(waiver_file(tmp_path, justification=None)))
    assert run.code == 2 and "waivers[0].justification: required field missing" in run.stderr


def test_blank_approver_is_an_input_error(cli, tmp_path: Path):
    run, _ = scan(cli, "--waivers", str(waiver_file(tmp_path, approved_by="  ")))
    assert run.code == 2 and "approved_by" in run.stderr


def test_waiver_longer_than_the_maximum_is_refused(cli, tmp_path: Path):
    run, _ = scan(cli, "--waivers", str(waiver_file(tmp_path, expires_at="2027-11-01T00:00:00Z")))
    assert run.code == 2 and "longer than the allowed 180 days" in run.stderr
    data = tmp_path / "data.yaml"
    data.write_text("almguard: {config: {waivers: {max_duration_days: 400}}}\n")
    run, _ = scan(cli, "--waivers", str(waiver_file(tmp_path, expires_at="2027-11-01T00:00:00Z")),
                  "--data", str(data))
    assert run.code == 0


def test_waived_gate_check_allows(cli, tmp_path: Path):
    run = cli("gate", str(AUDIT), "--model", "card-credit-limit-model", "--version", "1.2.0",
              "--endpoint", "card-credit-limit-prod", "--waivers", str(waiver_file(tmp_path)),
              "--format", "json")
    result = json.loads(run.stdout)
    check = [c for c in result["gate"]["checklist"] if c["rule_id"] == FINDING[0]][0]
    assert check["waived"] and check["passed"]
    assert run.code == 0
