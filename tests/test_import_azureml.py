"""`almguard import azureml`: saved `az ml` JSON output → a snapshot-v1 document."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

from checker.errors import SnapshotError
from checker.sources.azureml import AzureMLExportSource
from checker.sources.file import FileSource

FIXTURE = ROOT / "tests" / "fixtures" / "azureml"
CAPTURED = "2026-11-20T08:00:00Z"


@pytest.fixture(scope="module")
def document() -> dict:
    return AzureMLExportSource(FIXTURE, captured_at=CAPTURED).load().document


def version_of(document: dict, model: str, version: str) -> dict:
    entry = next(m for m in document["models"] if m["name"] == model)
    return next(v for v in entry["versions"] if v["version"] == version)


def deployments_of(document: dict, endpoint: str) -> dict[str, dict]:
    return {d["tags"]["azureml.deployment"]: d for d in document["deployments"]
            if d["endpoint"] == endpoint}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A writable copy of the fixture workspace, to break."""
    target = tmp_path / "export"
    shutil.copytree(FIXTURE, target)
    return target


# --- the mapping ---------------------------------------------------------------------------

def test_registry_comes_from_the_workspace_in_the_ids(document):
    registry = document["registry"]
    assert registry["name"] == "contoso-ml-prod"
    assert registry["source"] == "azureml"
    assert registry["captured_at"] == CAPTURED
    assert registry["tags"]["azureml.resource_group"] == "rg-contoso-ml-weu"


def test_models_and_versions_are_mapped(document):
    names = [m["name"] for m in document["models"]]
    assert names == ["credit-risk-scorer", "fraud-detector", "support-ticket-router"]
    credit = document["models"][0]
    # model-level fields from the newest version's almguard.* tags (2.2.0)
    assert (credit["owner"], credit["risk_tier"], credit["type"]) == (
        "risk-ml@contoso.com", "high", "custom")
    assert credit["description"].startswith("Retrained by the pipeline")
    assert "tags" not in credit  # `az ml model list` prints no container tags
    assert [v["version"] for v in credit["versions"]] == ["1.0.0", "2.0.0", "2.1.0", "2.2.0"]
    v210 = version_of(document, "credit-risk-scorer", "2.1.0")
    assert v210["stage"] == "production"
    assert v210["created_at"] == "2026-09-28T10:31:09.554012+00:00"
    assert v210["created_by"] == "Alice Meyer"
    assert v210["artifact"]["uri"].endswith("dcid.credit-risk-train-2609a/model")
    assert "digest" not in v210["artifact"]  # Azure stores none: never invented
    assert v210["tags"]["ticket"] == "ML-1423"
    assert version_of(document, "credit-risk-scorer", "2.0.0")["stage"] == "archived"
    fraud = document["models"][1]
    assert (fraud["owner"], fraud["risk_tier"]) == ("fraud-analytics@contoso.com", "high")
    assert "type" not in fraud


def test_container_tags_are_never_read(workspace):
    """The SDK's model container keeps no tags; a hand-made list entry's almguard.* tags are
    ignored with a warning, and a model's fields come from its versions only."""
    path = workspace / "models.json"
    containers = json.loads(path.read_text())
    containers[1]["tags"] = {"almguard.risk_tier": "minimal", "almguard.owner": "x@contoso.com"}
    path.write_text(json.dumps(containers))
    source = AzureMLExportSource(workspace, captured_at=CAPTURED)
    fraud = next(m for m in source.load().document["models"] if m["name"] == "fraud-detector")
    assert (fraud["owner"], fraud["risk_tier"]) == ("fraud-analytics@contoso.com", "high")
    assert any("'fraud-detector': tags almguard.owner, almguard.risk_tier of the model list "
               "entry are not read" in w for w in source.warnings), source.warnings


def test_newest_version_wins_and_a_conflict_names_both_versions(workspace):
    path = workspace / "models" / "credit-risk-scorer.json"
    versions = json.loads(path.read_text())
    older = next(v for v in versions if v["version"] == "2.1.0")
    older["tags"]["almguard.risk_tier"] = "limited"
    path.write_text(json.dumps(versions))
    source = AzureMLExportSource(workspace, captured_at=CAPTURED)
    credit = source.load().document["models"][0]
    assert credit["risk_tier"] == "high"  # 2.2.0, created last
    assert source.warnings == [
        "model 'credit-risk-scorer': almguard.risk_tier is 'high' on version 2.2.0 (used: "
        "the newest) but 'limited' on version 2.1.0"]


def test_newest_is_by_creation_time_not_version_string(workspace):
    path = workspace / "models" / "fraud-detector.json"
    versions = json.loads(path.read_text())
    for entry in versions:  # version 1 registered after version 2
        if entry["version"] == "1":
            entry["creation_context"]["created_at"] = "2026-11-01T00:00:00+00:00"
            entry["tags"] = {"almguard.owner": "newest@contoso.com"}
    path.write_text(json.dumps(versions))
    source = AzureMLExportSource(workspace, captured_at=CAPTURED)
    fraud = next(m for m in source.load().document["models"] if m["name"] == "fraud-detector")
    assert fraud["owner"] == "newest@contoso.com"
    assert "'fraud-analytics@contoso.com' on version 2" in source.warnings[0]


def test_a_listed_model_without_exported_versions_is_an_error_or_left_out(cli, workspace,
                                                                          tmp_path):
    path = workspace / "models.json"
    containers = json.loads(path.read_text())
    extra = dict(containers[1], name="legacy-churn-model",
                 id=containers[1]["id"].replace("fraud-detector", "legacy-churn-model"))
    path.write_text(json.dumps(containers + [extra], indent=2))
    out = tmp_path / "snapshot.yaml"
    run = cli("import", "azureml", "--from", str(workspace), "-o", str(out),
              "--captured-at", CAPTURED)
    assert run.code == 2 and not out.exists(), run.stderr
    assert run.stderr.startswith(f"almguard: error: {path}:"), run.stderr
    assert "[2].name: `az ml model list` names 1 model(s) whose versions were not exported: " \
           "legacy-churn-model" in run.stderr
    run = cli("import", "azureml", "--from", str(workspace), "-o", str(out),
              "--captured-at", CAPTURED, "--allow-unexported-models")
    assert run.code == 0, run.stderr
    assert "almguard: warning: left out 1 model(s) that `az ml model list` names but whose " \
           "versions were not exported: legacy-churn-model" in run.stderr
    document = yaml.safe_load(out.read_text())
    assert "legacy-churn-model" not in [m["name"] for m in document["models"]]
    scan = cli("scan", str(out), "--format", "json")
    ids = {f["resource"]["id"] for f in json.loads(scan.stdout)["findings"]}
    assert not any("legacy-churn-model" in i for i in ids)


def test_archived_versions_come_from_the_archived_only_list(document):
    archived = version_of(document, "credit-risk-scorer", "1.0.0")
    assert archived["stage"] == "archived"
    assert archived["tags"]["azureml.archived"] == "true"
    assert archived["tags"]["azureml.stage"] == "Production"  # its stage when archived


def test_registry_scoped_models_and_deployments(document):
    router = version_of(document, "support-ticket-router", "1")
    assert router["tags"]["azureml.registry"] == "contoso-shared"
    served = deployments_of(document, "ticket-router-prod")["default"]
    assert (served["model"], served["version"]) == ("support-ticket-router", "1")
    assert served["tags"]["azureml.registry"] == "contoso-shared"
    assert document["registry"]["name"] == "contoso-ml-prod"  # registry ids name no workspace


def test_both_job_forms_give_the_same_lineage(workspace):
    """`az ml job show` prints a command job as the SDK's node (name, tags and
    creation_context under `component`) or as a job; both map alike."""
    node = json.loads((workspace / "jobs" / "credit-risk-train-2609a.json").read_text())
    assert "name" not in node and node["component"]["name"] == "credit-risk-train-2609a"
    before = AzureMLExportSource(workspace, captured_at=CAPTURED).load().document
    job = {k: v for k, v in node.items() if k != "component"}
    for key in ("name", "tags", "creation_context", "display_name"):
        if key in node["component"]:
            job[key] = node["component"][key]
    (workspace / "jobs" / "credit-risk-train-2609a.json").write_text(json.dumps(job))
    after = AzureMLExportSource(workspace, captured_at=CAPTURED).load().document
    assert version_of(after, "credit-risk-scorer", "2.1.0") == version_of(
        before, "credit-risk-scorer", "2.1.0")


def test_node_form_input_role_tag_is_read_under_component(workspace):
    path = workspace / "jobs" / "credit-risk-train-2609a.json"
    node = json.loads(path.read_text())
    node["component"]["tags"] = {"almguard.input.eval_data": "training"}
    path.write_text(json.dumps(node))
    document = AzureMLExportSource(workspace, captured_at=CAPTURED).load().document
    lineage = version_of(document, "credit-risk-scorer", "2.1.0")["lineage"]
    assert {r["dataset"] for r in lineage["training_data"]} == {
        "loan-applications", "loan-applications-holdout"}


def test_pipeline_steps_become_preprocessing_and_the_training_step_the_job(document):
    lineage = version_of(document, "credit-risk-scorer", "2.2.0")["lineage"]
    commit = ("https://github.com/contoso/credit-risk-models.git@"
              "2b8d4f6a0c1e3a5b7d9f1e3c5a7b9d0f2e4a6c8b")
    # the steps upstream of the one that makes the model output, dependencies first; the
    # evaluation step downstream of training is not preprocessing
    assert lineage["preprocessing"] == [{"name": "imputed", "code_ref": commit},
                                        {"name": "scaled", "code_ref": commit}]
    assert lineage["training_job"] == {"id": "credit-risk-pipeline-2611/trained",
                                       "code_ref": commit}
    assert lineage["training_data"] == [{"dataset": "loan-applications", "version": "7"}]
    # test_data: the pipeline job's tag almguard.input.test_data says evaluation
    assert lineage["evaluation_data"] == [
        {"dataset": "loan-applications-holdout", "version": "6"}]


def test_pipeline_without_git_uses_the_components_and_a_tag_picks_the_step(workspace):
    path = workspace / "jobs" / "credit-risk-pipeline-2611.json"
    job = json.loads(path.read_text())
    job["properties"] = {}
    job["tags"] = {"almguard.training_step": "scaled"}
    path.write_text(json.dumps(job))
    document = AzureMLExportSource(workspace, captured_at=CAPTURED).load().document
    lineage = version_of(document, "credit-risk-scorer", "2.2.0")["lineage"]
    assert lineage["preprocessing"] == [{"name": "imputed",
                                         "code_ref": "azureml:impute-loans:3"}]
    assert lineage["training_job"] == {"id": "credit-risk-pipeline-2611/scaled",
                                       "code_ref": "azureml:scale-features:2"}


def test_unknown_azure_stage_keeps_the_default_and_the_raw_value(document):
    router = version_of(document, "support-ticket-router", "1")
    assert "stage" not in router  # development by default
    assert router["tags"]["azureml.stage"] == "Preview"


def test_lineage_follows_job_name_to_the_job_inputs(document):
    lineage = version_of(document, "credit-risk-scorer", "2.1.0")["lineage"]
    assert lineage["training_data"] == [{"dataset": "loan-applications", "version": "6"}]
    # inputs named *eval*/*test*/*valid* are evaluation data
    assert lineage["evaluation_data"] == [
        {"dataset": "loan-applications-holdout", "version": "6"}]
    assert lineage["training_job"] == {
        "id": "credit-risk-train-2609a",
        "code_ref": "https://github.com/contoso/credit-risk-models.git@"
                    "9f1e3c7a2b4d6e8f0a1c3e5b7d9f2a4c6e8b0d1f",
        "environment": "azureml:credit-risk-train-env:12"}


def test_tag_overrides_the_input_role_and_datastore_inputs_stay_visible(document):
    fraud = version_of(document, "fraud-detector", "2")
    lineage = fraud["lineage"]
    assert lineage["training_data"] == [{"dataset": "card-transactions", "version": "14"}]
    # `out_of_time` does not match the heuristic; the job tag almguard.input.out_of_time says
    assert lineage["evaluation_data"] == [{"dataset": "card-transactions-oot", "version": "14"}]
    assert lineage["training_job"]["code_ref"] == "c41d0b9e7a2f58d3e6b1a0c9f8e7d6c5b4a39281"
    # a datastore URI is no dataset version: kept as a tag, not turned into a fake reference
    assert fraud["tags"]["azureml.input.merchant_lookup"].startswith("azureml://datastores/")


def test_a_job_without_its_export_leaves_only_the_job_id(document):
    lineage = version_of(document, "fraud-detector", "1")["lineage"]
    assert lineage == {"training_job": {"id": "fraud-train-20260610"}}


def test_data_assets_become_datasets(document):
    datasets = {f"{d['name']}@{d['version']}": d for d in document["datasets"]}
    assert set(datasets) == {"card-transactions@14", "card-transactions-oot@14",
                             "loan-applications@6", "loan-applications@7",
                             "loan-applications-holdout@6"}
    loans = datasets["loan-applications@6"]
    assert loans["uri"].endswith("/datastores/curated_lending/paths/loan-applications/v6/")
    assert loans["created_by"] == "svc-lending-etl" and loans["personal_data"] is True
    assert "digest" not in loans
    assert datasets["loan-applications@7"]["digest"].startswith("sha256:3b7e")  # tag


def test_endpoint_traffic_split_becomes_deployments(document):
    credit = deployments_of(document, "credit-risk-prod")
    assert {name: (d["model"], d["version"], d["traffic_percent"])
            for name, d in credit.items()} == {
        "blue": ("credit-risk-scorer", "2.1.0", 90),   # model given as a full id
        "green": ("credit-risk-scorer", "2.2.0", 10),  # model given as azureml:n:v
    }
    blue = credit["blue"]
    assert blue["environment"] == "production"
    assert blue["deployed_at"] == "2026-10-01T08:15:30.402811+00:00"
    assert blue["deployed_by"] == "Alice Meyer"
    for absent in ("rollout", "monitoring", "content_safety"):
        assert absent not in blue  # Azure keeps none of these: left for the policies
    fraud = deployments_of(document, "fraud-detector-prod")
    assert {n: (d["model"], d["version"], d["traffic_percent"]) for n, d in fraud.items()} == {
        "default": ("fraud-detector", "2", 100)}


def test_environment_tag_on_the_endpoint(workspace):
    path = workspace / "endpoints" / "credit-risk-prod.json"
    endpoint = json.loads(path.read_text())
    endpoint["tags"]["almguard.environment"] = "staging"
    del endpoint["traffic"]["green"]
    path.write_text(json.dumps(endpoint))
    document = AzureMLExportSource(workspace, captured_at=CAPTURED).load().document
    credit = deployments_of(document, "credit-risk-prod")
    assert {d["environment"] for d in credit.values()} == {"staging"}
    assert credit["green"]["traffic_percent"] == 0  # absent from the split


def test_semver_tag_is_kept_and_spares_numbered_versions(cli, workspace, tmp_path):
    """Azure numbers versions 1, 2, 3: a version tagged almguard.semver keeps its number
    (deployments name it) and passes ALM-REG-001; the policy may also accept the numbers."""
    path = workspace / "models" / "fraud-detector.json"
    versions = json.loads(path.read_text())
    for entry in versions:
        entry["tags"] = {**entry.get("tags", {}), "almguard.semver": f"{entry['version']}.0.0"}
    path.write_text(json.dumps(versions))
    out = tmp_path / "snapshot.yaml"
    run = cli("import", "azureml", "--from", str(workspace), "-o", str(out),
              "--captured-at", CAPTURED)
    assert run.code == 0, run.stderr
    document = yaml.safe_load(out.read_text())
    fraud = version_of(document, "fraud-detector", "2")
    assert fraud["tags"]["almguard.semver"] == "2.0.0"
    assert deployments_of(document, "fraud-detector-prod")["default"]["version"] == "2"

    def reg_001(*extra: str) -> set[str]:
        scan = cli("scan", str(out), "--format", "json", *extra)
        assert scan.code == 1, scan.stderr
        return {f["resource"]["id"] for f in json.loads(scan.stdout)["findings"]
                if f["rule_id"] == "ALM-REG-001"}

    assert reg_001() == {"support-ticket-router@1"}  # the one version left untagged
    data = tmp_path / "numbered.yaml"
    data.write_text("almguard: {config: {registry: {version_schemes: [semver, integer]}}}\n")
    assert reg_001("--data", str(data)) == set()


def test_registry_flags(workspace):
    source = AzureMLExportSource(workspace, registry_name="contoso-foundry",
                                 organization="Contoso Bank")
    registry = source.load().document["registry"]
    assert registry["name"] == "contoso-foundry"
    assert registry["organization"] == "Contoso Bank"
    assert registry["captured_at"].endswith("Z") and len(registry["captured_at"]) == 20


# --- the command -------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_import_writes_a_snapshot_that_scans(cli, tmp_path, suffix):
    out = tmp_path / f"snapshot{suffix}"
    run = cli("import", "azureml", "--from", str(FIXTURE), "-o", str(out),
              "--captured-at", CAPTURED)
    assert run.code == 0, run.stderr
    assert run.stdout == ""
    assert "3 models (7 versions), 5 datasets, 4 deployments" in run.stderr
    text = out.read_text()
    loaded = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    assert loaded["registry"]["source"] == "azureml"
    assert FileSource(out).load().document == AzureMLExportSource(
        FIXTURE, captured_at=CAPTURED).load().document

    scan = cli("scan", str(out), "--format", "json")
    assert scan.code in (0, 1), scan.stderr
    findings = json.loads(scan.stdout)["findings"]
    by_rule: dict[str, set[str]] = {}
    for finding in findings:
        by_rule.setdefault(finding["rule_id"], set()).add(finding["resource"]["id"])
    # what Azure does not store is reported, not papered over
    assert "credit-risk-scorer@2.1.0" in by_rule["ALM-REG-005"]  # no artifact digest
    assert "fraud-detector@2" in by_rule["ALM-REG-005"]
    assert "credit-risk-prod/credit-risk-scorer@2.1.0" in by_rule["ALM-ROLL-001"]  # no canary
    assert "fraud-detector-prod/fraud-detector@2" in by_rule["ALM-ROLL-001"]
    assert "credit-risk-prod/credit-risk-scorer@2.2.0" not in by_rule["ALM-ROLL-001"]  # 10 %
    assert "loan-applications@6" in by_rule["ALM-LIN-003"]  # no dataset digest
    assert "loan-applications@7" not in by_rule["ALM-LIN-003"]  # digest tag
    # a registry model registered without a job: no lineage to follow
    assert by_rule["ALM-LIN-001"] == {"ticket-router-prod/support-ticket-router@1"}
    # the 2.1.0 lineage came through the command job, 2.2.0's through the pipeline, whose
    # steps are its preprocessing; 2.1.0's single job records none
    assert by_rule["ALM-LIN-004"] == {"credit-risk-scorer@2.1.0", "fraud-detector@2"}
    # owner and risk tier came from the version tags: no model lacks them
    assert "ALM-REG-004" not in by_rule


def test_import_to_stdout_is_yaml(cli):
    run = cli("import", "azureml", "--from", str(FIXTURE), "--captured-at", CAPTURED)
    assert run.code == 0, run.stderr
    assert yaml.safe_load(run.stdout)["registry"]["name"] == "contoso-ml-prod"


def _break(workspace: Path, relative: str, change) -> Path:
    path = workspace / relative
    value = json.loads(path.read_text())
    value = change(value)
    path.write_text(value if isinstance(value, str) else json.dumps(value, indent=2))
    return path


def _drop(key, index=None):
    def change(value):
        (value[index] if index is not None else value).pop(key)
        return value
    return change


def _set(key, new, index=None):
    def change(value):
        (value[index] if index is not None else value)[key] = new
        return value
    return change


MALFORMED = [
    ("data.json", lambda v: json.dumps(v)[:-20], "invalid JSON"),
    ("models/fraud-detector.json", _drop("version", 0), "[0].version: required field missing"),
    ("jobs/fraud-train-20261019.json", _drop("name"), "name: required field missing"),
    ("deployments/credit-risk-prod.json", _set("model", "my-model", 1),
     "[1].model: cannot tell the model version"),
    ("deployments/credit-risk-prod.json", _set("endpoint_name", "elsewhere", 0),
     "[0].endpoint_name: endpoint 'elsewhere' has no export"),
    ("endpoints/credit-risk-prod.json", _set("traffic", {"blue": 90, "red": 10}),
     "traffic.red: traffic names deployment 'red'"),
    ("endpoints/credit-risk-prod.json", _set("traffic", {"blue": "90"}),
     "traffic.blue: traffic share must be a number"),
    ("models/credit-risk-scorer.json",
     lambda v: [dict(v[0], creation_context={"created_at": "2026-11-12 15:02:47"})] + v[1:],
     "[0].creation_context.created_at: not an RFC 3339 time"),
    ("models/credit-risk-scorer.json",
     lambda v: v[:2] + [dict(v[2], tags={"almguard.risk_tier": "extreme"})],
     '[2].tags["almguard.risk_tier"]: \'extreme\' is not one of high, limited, minimal'),
    ("jobs/credit-risk-train-2609a.json",
     lambda v: dict(v, component={k: c for k, c in v["component"].items() if k != "name"}),
     "component.name: required field missing"),
    ("jobs/credit-risk-train-2609a.json",
     lambda v: dict(v, component=dict(v["component"], tags={"almguard.input.eval_data": "x"})),
     'component.tags["almguard.input.eval_data"]: \'x\' is not one of training'),
    ("jobs/credit-risk-pipeline-2611.json", _set("tags", {"almguard.training_step": "fit"}),
     'tags["almguard.training_step"]: names step \'fit\', which the pipeline does not have'),
    ("jobs/credit-risk-pipeline-2611.json",
     lambda v: dict(v, jobs=dict(v["jobs"], scaled="oops")),
     "jobs.scaled: expected an object, got str"),
    ("models/archived/credit-risk-scorer.json", _drop("version", 0),
     "[0].version: required field missing"),
    ("jobs/fraud-train-20261019.json", lambda v: dict(v, tags={"almguard.input.out_of_time":
                                                                "holdout"}),
     "tags[\"almguard.input.out_of_time\"]: 'holdout' is not one of training, evaluation"),
    ("data.json", lambda v: [1, 2], "[0]: expected an object"),
    ("endpoints/fraud-detector-prod.json", lambda v: "42", "expected the JSON object or list"),
    # a misspelt almguard.* tag is refused, never ignored (MLflow's wording)
    ("models/fraud-detector.json", lambda v: [dict(v[0], tags={"almguard.ownr": "x"})] + v[1:],
     '[0].tags["almguard.ownr"]: not an almguard tag (known: almguard.owner, '
     "almguard.risk_tier, almguard.semver, almguard.type"),
    ("endpoints/credit-risk-prod.json", _set("tags", {"almguard.envronment": "staging"}),
     'tags["almguard.envronment"]: not an almguard tag (known: almguard.environment;'),
    ("deployments/credit-risk-prod.json",
     lambda v: [dict(v[0], tags={"almguard.environment": "staging"})] + v[1:],
     '[0].tags["almguard.environment"]: not an almguard tag (none is read here'),
    ("data.json", lambda v: [dict(v[0], tags={"almguard.personal-data": "true"})] + v[1:],
     '[0].tags["almguard.personal-data"]: not an almguard tag (known: almguard.digest, '
     "almguard.personal_data"),
    ("jobs/credit-risk-pipeline-2611.json", _set("tags", {"almguard.trainig_step": "fit"}),
     'tags["almguard.trainig_step"]: not an almguard tag (known: almguard.training_step, '
     "almguard.input.<name>"),
    ("models/fraud-detector.json", lambda v: "\ufeff", "is empty (only a UTF-8 byte-order"),
]


@pytest.mark.parametrize("relative,change,message", MALFORMED,
                         ids=[m[2][:40] for m in MALFORMED])
def test_malformed_export_is_one_line_and_writes_nothing(cli, workspace, tmp_path, relative,
                                                         change, message):
    path = _break(workspace, relative, change)
    out = tmp_path / "snapshot.yaml"
    out.write_text("previous snapshot\n")
    run = cli("import", "azureml", "--from", str(workspace), "-o", str(out),
              "--captured-at", CAPTURED)
    assert run.code == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert lines[0].startswith(f"almguard: error: {path}"), lines[0]
    assert message in lines[0], lines[0]
    assert out.read_text() == "previous snapshot\n"  # not overwritten
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".snapshot")] == []


def test_error_names_the_line_of_the_field(workspace):
    path = _break(workspace, "models/fraud-detector.json", _set("version", [1], 1))
    with pytest.raises(SnapshotError) as info:
        AzureMLExportSource(workspace, captured_at=CAPTURED).load()
    assert info.value.file == str(path) and info.value.path == "[1].version"
    assert info.value.line is not None and '"version"' in (
        path.read_text().splitlines()[info.value.line - 1])


def test_missing_or_empty_directory_and_bad_flags(cli, tmp_path):
    out = tmp_path / "s.yaml"
    run = cli("import", "azureml", "--from", str(tmp_path / "nope"), "-o", str(out))
    assert run.code == 2 and "not a directory" in run.stderr and not out.exists()
    (tmp_path / "empty").mkdir()
    run = cli("import", "azureml", "--from", str(tmp_path / "empty"), "-o", str(out))
    assert run.code == 2 and "no Azure ML export found" in run.stderr and not out.exists()
    run = cli("import", "azureml", "--from", str(FIXTURE), "-o", str(out),
              "--captured-at", "2026-11-20 08:00")
    assert run.code == 2 and "--captured-at" in run.stderr and not out.exists()


def test_workspace_name_needed_when_no_id_tells_it(cli, tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    (export / "data.json").write_text(json.dumps([{"name": "d", "version": "1",
                                                   "path": "azureml://datastores/x/paths/d"}]))
    run = cli("import", "azureml", "--from", str(export))
    assert run.code == 2 and "--registry-name" in run.stderr
    run = cli("import", "azureml", "--from", str(export), "--registry-name", "ws",
              "--captured-at", CAPTURED)
    assert run.code == 0, run.stderr
    assert yaml.safe_load(run.stdout)["datasets"] == [
        {"name": "d", "version": "1", "uri": "azureml://datastores/x/paths/d"}]


def test_a_file_with_a_byte_order_mark_reads_as_without(workspace):
    path = workspace / "models" / "fraud-detector.json"
    plain = AzureMLExportSource(workspace, captured_at=CAPTURED).load().document
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert AzureMLExportSource(workspace, captured_at=CAPTURED).load().document == plain
