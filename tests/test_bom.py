"""The AI-BOM (`almguard bom`): a CycloneDX 1.6 ML-BOM of what serves each endpoint.

Every BOM is checked with cyclonedx-python-lib's strict JSON validator for CycloneDX 1.6
(the official schema, formats such as date-time and iri-reference included), and what it
says is held to `almguard lineage`
(which versions serve an endpoint, their datasets and digests) and to the snapshot (model
cards). The PDF report carries the same BOM beside its JSON result.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker.bom import BOM_ATTACHMENT
from checker.sources.file import FileSource
from conftest import ROOT, SAMPLES, SAMPLE_SNAPSHOTS, run_cli
from tool_support import missing

COMPLIANT = SAMPLES / "compliant.yaml"


@pytest.fixture(scope="module")
def validator() -> Any:
    try:
        from cyclonedx.schema import SchemaVersion
        from cyclonedx.validation.json import JsonStrictValidator
        validator = JsonStrictValidator(SchemaVersion.V1_6)
        validator.validate_str("{}")      # the json-validation extra (jsonschema) is there
    except ImportError:
        missing("cyclonedx-python-lib[json-validation]", "pip install -e '.[dev]'")
    return validator


def bom(*args: str) -> tuple[dict[str, Any], str]:
    run = run_cli("bom", *args)
    assert run.code == 0, run.stderr
    return json.loads(run.stdout), run.stdout


def valid(validator: Any, text: str) -> None:
    error = validator.validate_str(text)
    assert error is None, str(error)[:2000]


def lineage(snapshot: Path, endpoint: str) -> dict[str, Any]:
    run = run_cli("lineage", str(snapshot), "--endpoint", endpoint, "--format", "json")
    assert run.code in (0, 1), run.stderr
    return json.loads(run.stdout)


def props(entry: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in entry.get("properties", ()) if p["name"] == f"almguard:{name}"]


def by_ref(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["bom-ref"]: c for c in doc.get("components", ())} | \
        {s["bom-ref"]: s for s in doc.get("services", ())}


@pytest.fixture(scope="module")
def compliant() -> tuple[dict[str, Any], str]:
    return bom(str(COMPLIANT))


@pytest.mark.parametrize("snapshot", SAMPLE_SNAPSHOTS, ids=lambda p: p.name)
def test_every_sample_gives_a_valid_cyclonedx_1_6_bom(snapshot: Path, validator):
    doc, text = bom(str(snapshot))
    valid(validator, text)
    assert doc["specVersion"] == "1.6" and doc["bomFormat"] == "CycloneDX"


def test_the_validator_refuses_a_broken_bom(compliant, validator):
    """The check can fail: an unknown model-card key and an unknown task type."""
    doc = json.loads(compliant[1])
    card = next(c for c in doc["components"] if "modelCard" in c)
    card["modelCard"]["verdict"] = "pass"
    assert validator.validate_str(json.dumps(doc)) is not None
    doc = json.loads(compliant[1])
    doc["formulation"][0]["workflows"][0]["taskTypes"] = ["train"]
    assert validator.validate_str(json.dumps(doc)) is not None


def test_the_serving_versions_and_their_datasets_are_lineages(compliant):
    doc, _ = compliant
    refs = by_ref(doc)
    depends = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    snapshot = yaml.safe_load(COMPLIANT.read_text(encoding="utf-8"))
    endpoints = sorted({d["endpoint"] for d in snapshot["deployments"]})
    assert sorted(s["name"] for s in doc["services"]) == endpoints
    for service in doc["services"]:
        answer = lineage(COMPLIANT, service["name"])
        models = [refs[r] for r in depends[service["bom-ref"]]]
        assert sorted((m["name"], m["version"]) for m in models) == \
            sorted((v["model"], v["version"]) for v in answer["serving"])
        for v in answer["serving"]:
            (model,) = [m for m in models if (m["name"], m["version"]) ==
                        (v["model"], v["version"])]
            assert model["type"] == "machine-learning-model"
            assert model["hashes"] == [{"alg": "SHA-256",
                                        "content": v["artifact_digest"].split(":")[1]}]
            data = [refs[r] for r in depends[model["bom-ref"]]]
            traced = v["training_data"] + v["evaluation_data"]
            assert sorted(props(d, "dataset")[0] for d in data) == sorted(t["id"] for t in traced)
            for d in data:
                (t,) = [t for t in traced if t["id"] == props(d, "dataset")[0]]
                assert d["type"] == "data"
                assert d["hashes"] == [{"alg": "SHA-256", "content": t["digest"].split(":")[1]}]
                assert d["data"][0]["contents"]["url"] == t["uri"]
                assert ("sensitiveData" in d["data"][0]) == t["personal_data"]
            assert props(model, "training_data") == sorted(t["id"] for t in v["training_data"])


def test_the_model_card_holds_evaluations_safety_and_approvals(compliant):
    doc, _ = compliant
    snapshot = yaml.safe_load(COMPLIANT.read_text(encoding="utf-8"))
    model = next(m for m in snapshot["models"] if m["name"] == "support-summarizer")
    version = next(v for v in model["versions"] if v["version"] == "2.0.0")
    (component,) = [c for c in doc["components"] if (c["name"], c.get("version")) ==
                    ("support-summarizer", "2.0.0")]
    card = component["modelCard"]
    metrics = card["quantitativeAnalysis"]["performanceMetrics"]
    assert [(m["type"], float(m["value"])) for m in metrics] == \
        [(e["metric"], e["value"]) for e in version["evaluations"]]
    assert [json.loads(p) for p in props(card, "approval")] == version["approvals"]
    assert [json.loads(p)["suite"] for p in props(card, "safety_evaluation")] == \
        [s["suite"] for s in version["safety_evaluations"]]
    thresholds = [json.loads(p)["threshold"] for p in props(card, "evaluation")]
    assert thresholds == [e["threshold"] for e in version["evaluations"]]
    base = version["lineage"]["base_model"]
    (ancestor,) = component["pedigree"]["ancestors"]
    assert (ancestor["name"], ancestor["version"]) == (base["name"], base["version"])


def test_preprocessing_and_training_job_are_the_formulation(compliant):
    doc, _ = compliant
    snapshot = yaml.safe_load(COMPLIANT.read_text(encoding="utf-8"))
    model = next(m for m in snapshot["models"] if m["name"] == "support-summarizer")
    version = next(v for v in model["versions"] if v["version"] == "2.0.0")
    (component,) = [c for c in doc["components"] if (c["name"], c.get("version")) ==
                    ("support-summarizer", "2.0.0")]
    (workflow,) = [w for f in doc["formulation"] for w in f["workflows"]
                   if w["outputs"][0]["resource"]["ref"] == component["bom-ref"]]
    steps = version["lineage"]["preprocessing"]
    assert [t["name"] for t in workflow["tasks"][:-1]] == [s["name"] for s in steps]
    job = workflow["tasks"][-1]
    assert job["uid"] == version["lineage"]["training_job"]["id"]
    assert props(job, "code_ref") == [version["lineage"]["training_job"]["code_ref"]]
    refs = by_ref(doc)
    inputs = [props(refs[i["resource"]["ref"]], "dataset")[0] for i in workflow["inputs"]]
    assert inputs == [f"{r['dataset']}@{r['version']}"
                      for r in version["lineage"]["training_data"]]
    order = [(d["ref"], d["dependsOn"]) for d in workflow["taskDependencies"]]
    tasks = [t["bom-ref"] for t in workflow["tasks"]]
    assert order == [(b, [a]) for a, b in zip(tasks, tasks[1:])]


@pytest.mark.parametrize("violations", [0.0, 0.5])
def test_every_endpoint_is_answered_as_lineage_answers_it(violations: float, tmp_path: Path):
    """The BOM asks endpoint_lineage about each endpoint's part of the registry (to stay
    linear); on generated registries, faulty ones too, the answers are the whole
    snapshot's."""
    from checker.bom import _answers
    from checker.generate import generate
    from checker.lineage import endpoint_lineage
    path = tmp_path / "generated.json"
    path.write_text(json.dumps(generate(300, violations=violations, seed=7)), encoding="utf-8")
    snapshot = FileSource(path).load()
    endpoints = sorted({d.endpoint for d in snapshot.model.deployments})
    assert len(endpoints) > 20
    parts = [a.model_dump() for a in _answers(snapshot, endpoints)]
    assert parts == [endpoint_lineage(snapshot.model, e, (), ()).model_dump()
                     for e in endpoints]


def test_one_endpoint_only_its_serving_versions(validator):
    doc, text = bom(str(COMPLIANT), "--endpoint", "credit-risk-prod")
    valid(validator, text)
    assert [s["name"] for s in doc["services"]] == ["credit-risk-prod"]
    answer = lineage(COMPLIANT, "credit-risk-prod")
    models = [c for c in doc["components"] if c["type"] == "machine-learning-model"]
    assert [(m["name"], m["version"]) for m in models] == \
        [(v["model"], v["version"]) for v in answer["serving"]]
    assert props(doc["metadata"], "endpoint") == ["credit-risk-prod"]


def test_an_unknown_endpoint_is_one_line_and_exit_2(tmp_path: Path):
    out = tmp_path / "bom.json"
    run = run_cli("bom", str(COMPLIANT), "--endpoint", "credit-risk-prd", "-o", str(out))
    assert run.code == 2
    assert run.stderr.startswith("almguard: error: no endpoint 'credit-risk-prd'")
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert not out.exists()


def test_same_snapshot_same_bytes_times_from_the_capture(compliant, tmp_path: Path):
    doc, text = compliant
    out = tmp_path / "bom.json"
    run = run_cli("bom", str(COMPLIANT), "-o", str(out))
    assert run.code == 0 and out.read_text(encoding="utf-8") == text
    assert doc["metadata"]["timestamp"] == "2026-11-20T08:00:00Z"
    serial = uuid.UUID(doc["serialNumber"].removeprefix("urn:uuid:"))
    assert serial.version == 5
    refs = [c["bom-ref"] for c in doc["components"]] + [s["bom-ref"] for s in doc["services"]]
    assert len(refs) == len(set(refs)) and all(uuid.UUID(r).version == 5 for r in refs)
    other, _ = bom(str(COMPLIANT), "--endpoint", "credit-risk-prod")
    assert other["serialNumber"] != doc["serialNumber"]


def test_odd_facts_stay_valid_and_are_kept_as_properties(validator, tmp_path: Path):
    """A URI that is no URI, a digest that is no known hash, a dataset the registry lacks
    and a deployment of a version it lacks: kept as properties, the BOM still valid."""
    snapshot = {
        "schema_version": 1,
        "registry": {"name": "odd", "captured_at": "2026-11-20T09:00:00+01:00"},
        "datasets": [{"name": "d", "version": "1", "uri": "s3 bucket/with space",
                      "digest": "crc32:1234"}],
        "models": [{"name": "m", "versions": [{
            "version": "1.0.0", "artifact": {"uri": "[not]a uri", "digest": "sha256:zz"},
            "lineage": {"training_data": [{"dataset": "d", "version": "1"},
                                          {"dataset": "gone", "version": "9"}]}}]}],
        "deployments": [
            {"endpoint": "e", "environment": "production", "model": "m", "version": "1.0.0",
             "traffic_percent": 60},
            {"endpoint": "e", "environment": "production", "model": "m", "version": "2.0.0",
             "traffic_percent": 40}]}
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(snapshot), encoding="utf-8")
    doc, text = bom(str(path))
    valid(validator, text)
    assert doc["metadata"]["timestamp"] == "2026-11-20T09:00:00+01:00"
    components = {props(c, "dataset")[0] if c["type"] == "data"
                  else props(c, "model_version")[0]: c for c in doc["components"]}
    assert props(components["d@1"], "uri") == ["s3 bucket/with space"]
    assert props(components["d@1"], "digest") == ["crc32:1234"]
    assert "hashes" not in components["d@1"]
    assert props(components["gone@9"], "recorded") == ["false"]
    assert props(components["m@1.0.0"], "artifact_uri") == ["[not]a uri"]
    assert props(components["m@1.0.0"], "artifact_digest") == ["sha256:zz"]
    assert props(components["m@2.0.0"], "recorded") == ["false"]


def test_writing_a_bom_needs_no_cyclonedx_library():
    """The BOM is plain JSON in the schema's shape; the library only validates it (here)."""
    code = ("import sys\n"
            "sys.modules['cyclonedx'] = None   # as if cyclonedx-python-lib were missing\n"
            "from checker.cli import main\n"
            f"sys.exit(main(['bom', {str(COMPLIANT)!r}]))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["specVersion"] == "1.6"


@pytest.mark.slow
def test_the_pdf_report_carries_the_bom_beside_the_result(validator, tmp_path: Path):
    import pypdf
    snapshot = SAMPLES / "retired-past-retention.yaml"
    pdf = tmp_path / "report.pdf"
    run = run_cli("report", str(snapshot), "-o", str(pdf), "--generated-at",
                  "2026-11-21T09:30:00Z")
    assert run.code in (0, 1), run.stderr
    reader = pypdf.PdfReader(pdf)
    assert list(reader.attachments) == ["almguard-result.json", BOM_ATTACHMENT]
    (result,) = reader.attachments["almguard-result.json"]
    scan = run_cli("scan", str(snapshot), "--format", "json")
    assert result == scan.stdout.encode("utf-8")           # the result stays exactly as is
    (attached,) = reader.attachments[BOM_ATTACHMENT]
    _, text = bom(str(snapshot))
    assert attached == text.encode("utf-8")
    valid(validator, attached.decode("utf-8"))
    specs = {s.get_object()["/F"]: s.get_object()["/AFRelationship"]
             for s in reader.trailer["/Root"]["/AF"]}
    assert specs == {"almguard-result.json": "/Source", BOM_ATTACHMENT: "/Supplement"}
