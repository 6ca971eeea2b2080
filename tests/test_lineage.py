"""The audit question, answered per endpoint by `almguard lineage`."""

from __future__ import annotations

import json

from conftest import SAMPLES


def test_complete_lineage_lists_datasets_with_digests(cli):
    run = cli("lineage", str(SAMPLES / "compliant.yaml"), "--endpoint", "credit-risk-prod",
              "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    answer = json.loads(run.stdout)
    assert answer["complete"] is True and answer["serving"]
    for version in answer["serving"]:
        assert version["training_data"]
        for dataset in version["training_data"]:
            assert dataset["recorded"] and dataset["digest"].startswith("sha256:")
        assert version["training_job"]["code_ref"]


def test_missing_lineage_is_said_plainly(cli):
    run = cli("lineage", str(SAMPLES / "audit-scenario.yaml"), "--endpoint",
              "card-credit-limit-prod")
    assert run.code == 1
    assert "card-credit-limit-model@1.2.0" in run.stdout
    assert "MISSING: ALM-LIN-001: " in run.stdout and "no training-data lineage" in run.stdout
    assert "Lineage INCOMPLETE" in run.stdout


def test_unknown_endpoint_is_an_input_error_listing_known_ones(cli):
    run = cli("lineage", str(SAMPLES / "compliant.yaml"), "--endpoint", "nope")
    assert run.code == 2
    assert "no endpoint 'nope'" in run.stderr and "credit-risk-prod" in run.stderr


def test_agent_lineage_is_complete_without_training_job_requirements(cli, tmp_path):
    import yaml
    doc = yaml.safe_load((SAMPLES / "foundry-agent.yaml").read_text())
    for model in doc["models"]:
        for version in model["versions"]:
            version.get("lineage", {}).pop("training_job", None)
            version.get("lineage", {}).pop("preprocessing", None)
    path = tmp_path / "agent.yaml"
    path.write_text(yaml.safe_dump(doc))
    endpoint = next(d["endpoint"] for d in doc["deployments"]
                    if d["environment"] == "production")
    scan = cli("scan", str(path), "--format", "json")
    lineage = cli("lineage", str(path), "--endpoint", endpoint)
    assert json.loads(scan.stdout)["findings"] == []
    assert lineage.code == 0, lineage.stdout
