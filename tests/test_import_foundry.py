"""`almguard import azureml` on Foundry exports: agents (azure-ai-projects) and evaluation
results (azure-ai-evaluation's evaluate()), and the fixtures as the real SDKs make them."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

import foundry_fixtures
from checker.canonical import canonical_json
from checker.sources.azureml import AzureMLExportSource
from tool_support import missing

FIXTURE = ROOT / "tests" / "fixtures" / "foundry"
AZUREML = ROOT / "tests" / "fixtures" / "azureml"
CAPTURED = "2026-11-20T08:00:00Z"
QUALITY = FIXTURE / "evaluations" / "loan-assistant-2-quality"
SAFETY = FIXTURE / "evaluations" / "loan-assistant-2-safety"


def load(directory: Path) -> tuple[dict, AzureMLExportSource]:
    source = AzureMLExportSource(directory, captured_at=CAPTURED,
                                 registry_name="contoso-foundry")
    return source.load().document, source


@pytest.fixture(scope="module")
def document() -> dict:
    return load(FIXTURE)[0]


@pytest.fixture
def export(tmp_path: Path) -> Path:
    target = tmp_path / "export"
    shutil.copytree(FIXTURE, target)
    return target


def version_of(document: dict, model: str, version: str) -> dict:
    entry = next(m for m in document["models"] if m["name"] == model)
    return next(v for v in entry["versions"] if v["version"] == version)


def saved_versions(name: str) -> list[dict]:
    return json.loads((FIXTURE / "agents" / f"{name}.json").read_text())


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


# --- agents -------------------------------------------------------------------------------

def test_each_agent_is_a_model_and_each_agent_version_a_version(document):
    agent = next(m for m in document["models"] if m["name"] == "loan-assistant")
    assert agent["type"] == "agent"
    assert (agent["owner"], agent["risk_tier"]) == ("lending-ai@contoso.com", "limited")
    assert agent["description"] == "Loan FAQ assistant with product sheets"  # the newest
    assert [v["version"] for v in agent["versions"]] == ["1", "2"]
    v1, v2 = agent["versions"]
    assert (v1["stage"], v2["stage"]) == ("archived", "production")  # almguard.stage
    assert v2["created_at"] == "2026-11-02T10:00:00Z"  # the SDK's Unix seconds, as UTC
    assert v2["lineage"]["base_model"] == {"name": "gpt-4o"}  # the model deployment
    assert v2["tags"]["foundry.vector_store_ids"] == "vs_lending_policy_2026"
    assert v2["tags"]["foundry.search_indexes"] == "product-sheets"
    assert v2["tags"]["foundry.rai_policy"] == "contoso-strict"


def test_instructions_and_knowledge_are_digested_config_artifacts(document):
    for saved in saved_versions("loan-assistant"):
        definition = saved["definition"]
        version = version_of(document, "loan-assistant", saved["version"])
        artifacts = {a["kind"]: a["digest"] for a in version["config_artifacts"]}
        # the exact instruction text, byte for byte
        assert artifacts["prompt_template"] == digest(definition["instructions"].encode())
        knowledge = [t for t in definition["tools"]
                     if t["type"] in ("file_search", "azure_ai_search")]
        assert artifacts["rag_config"] == digest(canonical_json(knowledge))
        assert version["artifact"] == {"digest": digest(canonical_json(definition))}
    v1 = version_of(document, "loan-assistant", "1")["config_artifacts"]
    v2 = version_of(document, "loan-assistant", "2")["config_artifacts"]
    assert v1[0]["digest"] != v2[0]["digest"]  # a new prompt is a new digest


def test_changing_one_character_of_the_instructions_changes_the_digest(export):
    path = export / "agents" / "loan-assistant.json"
    versions = json.loads(path.read_text())
    before = load(export)[0]
    versions[1]["definition"]["instructions"] = versions[1]["definition"]["instructions"][:-1]
    path.write_text(json.dumps(versions))
    after = load(export)[0]
    kinds = ("prompt_template", "rag_config")
    old, new = ({a["kind"]: a["digest"] for a in version_of(d, "loan-assistant", "2")
                 ["config_artifacts"]} for d in (before, after))
    assert old[kinds[0]] != new[kinds[0]] and old[kinds[1]] == new[kinds[1]]


def test_an_agent_without_knowledge_tools_records_no_rag_config(document):
    triage = version_of(document, "ticket-triage", "1")
    assert [a["kind"] for a in triage["config_artifacts"]] == ["prompt_template"]
    assert triage["tags"]["foundry.tools"] == "function"
    assert "stage" not in triage  # no almguard.stage: development


def test_agents_get_answer_is_its_latest_version(export):
    versions = saved_versions("loan-assistant")
    (export / "agents" / "loan-assistant.json").write_text(json.dumps(
        {"object": "agent", "id": "loan-assistant", "name": "loan-assistant",
         "versions": {"latest": versions[1]}}))
    document = load(export)[0]
    agent = next(m for m in document["models"] if m["name"] == "loan-assistant")
    assert [v["version"] for v in agent["versions"]] == ["2"]


def test_conflicting_agent_metadata_is_a_warning_naming_both_versions(export):
    path = export / "agents" / "loan-assistant.json"
    versions = json.loads(path.read_text())
    versions[0]["metadata"]["almguard.risk_tier"] = "high"
    path.write_text(json.dumps(versions))
    document, source = load(export)
    assert next(m for m in document["models"] if m["name"] == "loan-assistant")[
        "risk_tier"] == "limited"
    assert source.warnings == [
        "model 'loan-assistant': almguard.risk_tier is 'limited' on version 2 (used: the "
        "newest) but 'high' on version 1"]


# --- evaluations --------------------------------------------------------------------------

def test_evaluate_metrics_become_evaluations_as_recorded(document):
    metrics = json.loads((QUALITY / "evaluation_results.json").read_text())["metrics"]
    version = version_of(document, "loan-assistant", "2")
    imported = {e["metric"]: e for e in version["evaluations"]
                if e["dataset"]["dataset"] == "loan-qa-eval"}
    assert {m: e["value"] for m, e in imported.items()} == metrics
    assert {e["evaluated_at"] for e in imported.values()} == {"2026-11-02T11:30:00Z"}
    assert all("threshold" not in e for e in imported.values())  # the policies' bar decides


def test_the_evaluation_dataset_is_named_with_the_digest_of_its_file(document):
    datasets = {f"{d['name']}@{d['version']}": d for d in document["datasets"]}
    assert datasets["loan-qa-eval@3"]["digest"] == digest((QUALITY / "data.jsonl").read_bytes())
    lineage = version_of(document, "loan-assistant", "2")["lineage"]
    assert {"dataset": "loan-qa-eval", "version": "3"} in lineage["evaluation_data"]


def test_safety_evaluations_take_pass_or_fail_from_the_recorded_results(document):
    rows = json.loads((SAFETY / "evaluation_results.json").read_text())["rows"]
    version = version_of(document, "loan-assistant", "2")
    passed = {s["suite"]: s["passed"] for s in version["safety_evaluations"]}
    expected = {f"content_safety.{m}": all(r[f"outputs.{m}.{m}_result"] == "pass" for r in rows)
                for m in ("violence", "sexual", "self_harm", "hate_unfairness")}
    assert passed == expected
    assert passed["content_safety.hate_unfairness"] is False  # one row recorded fail
    rates = {e["metric"]: e for e in version["evaluations"]
             if e["metric"].endswith("_defect_rate")}
    metrics = json.loads((SAFETY / "evaluation_results.json").read_text())["metrics"]
    assert {m: e["value"] for m, e in rates.items()} == {
        m: v for m, v in metrics.items() if m.endswith("_defect_rate")}
    assert {e["higher_is_better"] for e in rates.values()} == {False}


def test_no_recorded_result_means_no_safety_evaluation(export):
    path = export / "evaluations" / "loan-assistant-2-safety" / "evaluation_results.json"
    result = json.loads(path.read_text())
    for row in result["rows"]:
        row.pop("outputs.violence.violence_result")
    path.write_text(json.dumps(result))
    document, source = load(export)
    suites = {s["suite"] for s in version_of(document, "loan-assistant", "2")
              ["safety_evaluations"]}
    assert "content_safety.violence" not in suites and len(suites) == 3
    assert any("outputs.violence.violence_result records no pass or fail" in n
               for n in source.notes)


def test_a_folder_without_a_manifest_is_left_out_with_a_note(export):
    (export / "evaluations" / "loan-assistant-2-safety" / "almguard.json").unlink()
    document, source = load(export)
    assert "safety_evaluations" not in version_of(document, "loan-assistant", "2")
    assert any("no almguard.json" in n for n in source.notes)


# --- the whole export ---------------------------------------------------------------------

def test_scan_reports_only_what_the_exports_lack(cli, tmp_path):
    export = tmp_path / "export"
    shutil.copytree(AZUREML, export)
    shutil.copytree(FIXTURE / "agents", export / "agents")
    shutil.copytree(FIXTURE / "evaluations", export / "evaluations")
    out = tmp_path / "snapshot.json"
    run = cli("import", "azureml", "--from", str(export), "-o", str(out),
              "--captured-at", CAPTURED)
    assert run.code == 0, run.stderr
    assert "5 models (10 versions), 7 datasets, 4 deployments" in run.stderr
    scan = cli("scan", str(out), "--format", "json")
    assert scan.code == 1, scan.stderr
    agent_rules: dict[str, set[str]] = {}
    for finding in json.loads(scan.stdout)["findings"]:
        if finding["resource"]["id"].startswith("loan-assistant"):
            agent_rules.setdefault(finding["rule_id"], set()).add(finding["resource"]["id"])
    # digests, prompt and RAG artifacts, owner and tier all came through; what remains is
    # what Foundry does not have: semantic version numbers and training data of an agent
    assert agent_rules == {"ALM-REG-001": {"loan-assistant@1", "loan-assistant@2"},
                           "ALM-LIN-002": {"loan-assistant@2"}}


def test_an_agent_named_like_a_model_is_an_error(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(AZUREML, export)
    (export / "agents").mkdir()
    versions = saved_versions("ticket-triage")
    for entry in versions:
        entry["name"] = "fraud-detector"
    (export / "agents" / "fraud-detector.json").write_text(json.dumps(versions, indent=2))
    with pytest.raises(Exception) as info:
        load(export)
    assert "agent 'fraud-detector' has the name of an Azure ML model" in str(info.value)
    assert str(info.value).startswith(str(export / "agents" / "fraud-detector.json"))


def _edit(path: Path, change) -> None:
    value = json.loads(path.read_text())
    changed = change(value)
    path.write_text(changed if isinstance(changed, str) else json.dumps(changed, indent=2))


MALFORMED = [
    ("agents/loan-assistant.json", lambda v: [dict(v[0], created_at="2026-10-02")] + v[1:],
     "[0].created_at: expected the Unix time in seconds"),
    ("agents/loan-assistant.json", lambda v: [{k: x for k, x in v[0].items()
                                               if k != "definition"}] + v[1:],
     "[0].definition: required field missing"),
    ("agents/loan-assistant.json",
     lambda v: v[:1] + [dict(v[1], metadata={"almguard.stage": "live"})],
     '[1].metadata["almguard.stage"]: \'live\' is not one of development'),
    ("agents/loan-assistant.json",  # a misspelt key would leave a production agent in dev
     lambda v: [dict(v[0], metadata={"almguard.stge": "production"})] + v[1:],
     '[0].metadata["almguard.stge"]: not an almguard tag (known: almguard.owner, '
     "almguard.risk_tier, almguard.semver, almguard.stage, almguard.type"),
    ("agents/loan-assistant.json", lambda v: v + [v[1]],
     "[2].version: agent version loan-assistant@2 is exported twice"),
    ("evaluations/loan-assistant-2-quality/almguard.json",
     lambda v: dict(v, evaluated="2026-11-02T11:30:00Z"), "evaluated: unknown field"),
    ("evaluations/loan-assistant-2-quality/almguard.json", lambda v: dict(v, version="9"),
     "version: model version loan-assistant@9 is in no export"),
    ("evaluations/loan-assistant-2-quality/almguard.json",
     lambda v: dict(v, evaluated_at="2026-11-02 11:30"), "evaluated_at: not an RFC 3339 time"),
    ("evaluations/loan-assistant-2-quality/almguard.json", lambda v: dict(v, data="../x"),
     "data: "),
    ("evaluations/loan-assistant-2-quality/almguard.json",
     lambda v: {k: x for k, x in v.items() if k != "dataset"},
     "dataset: name the dataset the data file is"),
    ("evaluations/loan-assistant-2-quality/evaluation_results.json",
     lambda v: {"rows": v["rows"]}, "metrics: expected evaluate()'s output"),
    ("evaluations/loan-assistant-2-safety/evaluation_results.json",
     lambda v: json.dumps(v)[:-5], "invalid JSON"),
]


@pytest.mark.parametrize("relative,change,message", MALFORMED,
                         ids=[m[2][:40] for m in MALFORMED])
def test_malformed_foundry_export_is_one_line_and_writes_nothing(cli, export, tmp_path,
                                                                 relative, change, message):
    path = export / relative
    _edit(path, change)
    out = tmp_path / "snapshot.yaml"
    run = cli("import", "azureml", "--from", str(export), "-o", str(out),
              "--registry-name", "contoso-foundry", "--captured-at", CAPTURED)
    assert run.code == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert lines[0].startswith(f"almguard: error: {path}"), lines[0]
    assert message in lines[0], lines[0]
    assert not out.exists()


# --- the real SDKs ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sdks() -> None:
    problem = foundry_fixtures.sdk_missing()
    if problem:
        missing("the Foundry SDKs to rebuild the fixtures", problem)


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*"))
            if p.is_file()}


SDK_NOISE = pytest.mark.filterwarnings("ignore::Warning")  # the SDKs' own deprecations


@SDK_NOISE
def test_azureml_fixtures_are_what_the_sdk_prints(sdks, tmp_path):
    foundry_fixtures.build_azureml(tmp_path / "azureml")
    assert _tree(tmp_path / "azureml") == _tree(AZUREML)


@SDK_NOISE
def test_agent_fixtures_are_what_the_sdk_returns(sdks, tmp_path):
    foundry_fixtures.build_agents(tmp_path)
    assert _tree(tmp_path / "agents") == _tree(FIXTURE / "agents")


@pytest.mark.slow
@SDK_NOISE
def test_a_real_local_evaluate_run_imports(sdks, tmp_path):
    """F1, BLEU, ROUGE-L and GLEU computed now by azure-ai-evaluation on a small JSONL give
    the committed results, and import as the version's evaluations."""
    export = tmp_path / "export"
    shutil.copytree(FIXTURE / "agents", export / "agents")
    run = export / "evaluations" / "fresh"
    run.mkdir(parents=True)
    results = foundry_fixtures.run_quality_evaluation(run)
    written = json.loads(results.read_text())
    assert written == json.loads((QUALITY / "evaluation_results.json").read_text())
    assert set(written["metrics"]) >= {"f1.f1_score", "bleu.bleu_score", "rouge.rouge_score",
                                       "gleu.gleu_score"}
    (run / "almguard.json").write_text(json.dumps(
        {"model": "loan-assistant", "version": "2", "evaluated_at": "2026-11-20T07:00:00Z",
         "dataset": {"name": "loan-qa-eval", "version": "4"}, "data": "data.jsonl"}))
    document = load(export)[0]
    evaluations = version_of(document, "loan-assistant", "2")["evaluations"]
    assert {e["metric"]: e["value"] for e in evaluations} == written["metrics"]
    assert yaml.safe_dump(document)  # a plain document


@pytest.mark.slow
@SDK_NOISE
def test_the_safety_run_is_what_evaluate_computes(sdks, tmp_path):
    results = foundry_fixtures.run_safety_evaluation(tmp_path / "safety")
    assert json.loads(results.read_text()) == json.loads(
        (SAFETY / "evaluation_results.json").read_text())
