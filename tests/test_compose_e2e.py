"""End to end: a real MLflow server (tests/mlflow_server.py) + KServe manifests + a ledger +
OpenLineage events (written by the real client) -> one composed snapshot, whose scan keeps
only the gaps no source fills."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from conftest import run_cli
from mlflow_server import mlflow_available, populate_registry, start_server
from tool_support import missing as missing_tool

pytestmark = pytest.mark.slow

COMMIT = "5d41402abc4b2a76b9719d911017c592ae7e3a1f"
IRIS_DIGEST = "sha256:" + "1e" * 32
DIABETES_DIGEST = "sha256:" + "d1" * 32
PRODUCER = "https://github.com/contoso/pipelines"


def _require() -> None:
    missing = [name for name, ok in (("mlflow", mlflow_available()),
                                      ("openlineage-python", _openlineage())) if not ok]
    if missing:
        missing_tool(" and ".join(missing), "pip install -e '.[dev,mlflow]' "
                     "openlineage-python==1.54.0")


def _openlineage() -> bool:
    try:
        import openlineage.client  # noqa: F401
    except ImportError:
        return False
    return True


def _at(text: str, **delta: float) -> str:
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return (moment + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """The populated server, and `almguard import mlflow` of it: (url, facts, document)."""
    _require()
    server = start_server(tmp_path_factory.mktemp("mlflow-server"))
    try:
        facts = populate_registry(server.url)
        out = tmp_path_factory.mktemp("import") / "mlflow.yaml"
        run = run_cli("import", "mlflow", "--tracking-uri", server.url, "--captured-at",
                      facts["captured_at"], "-o", str(out))
        assert run.code == 0, run.stderr
        yield server.url, facts, out
    finally:
        server.stop()


def _events(path: Path, facts: dict) -> None:
    """The pipelines' OpenLineage events: iris-classifier@1 trained from a cleaned dataset
    (its MLflow run was deleted, so MLflow has no lineage); the diabetes run by its MLflow
    run id, with the digest MLflow does not record."""
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent
    from openlineage.client.event_v2 import RunState
    from openlineage.client.facet_v2 import (
        dataset_version_dataset,
        source_code_location_job,
        tags_dataset,
        tags_run,
    )
    from openlineage.client.transport.file import FileConfig, FileTransport

    client = OpenLineageClient(transport=FileTransport(FileConfig(str(path), append=True)))

    def dataset(cls, namespace: str, name: str, version: str, digest: str | None = None):  # noqa: ANN001, ANN202
        facets = {"version": dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=version, producer=PRODUCER)}
        if digest:
            facets["tags"] = tags_dataset.TagsDatasetFacet(tags=[
                tags_dataset.TagsDatasetFacetFields(key="almguard.digest", value=digest)])
        return cls(namespace=namespace, name=name, facets=facets)

    def job(name: str) -> Job:
        return Job(namespace="ml-pipelines", name=name, facets={
            "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet(
                type="git", url="https://github.com/contoso/iris", version=COMMIT)})

    def complete(run_id: str, name: str, at: str, inputs, outputs=(), tags=None) -> None:  # noqa: ANN001
        facets = {"tags": tags_run.TagsRunFacet(tags=[tags_run.TagsRunFacetFields(
            key=k, value=v) for k, v in tags.items()])} if tags else {}
        client.emit(RunEvent(eventType=RunState.COMPLETE, eventTime=at, producer=PRODUCER,
                             run=Run(runId=run_id, facets=facets), job=job(name),
                             inputs=list(inputs), outputs=list(outputs)))

    created = facts["captured_at"]
    clean = "s3://contoso-data"
    complete("0193aaaa-0000-7000-8000-000000000001", "clean-iris", _at(created, days=-10),
             [dataset(InputDataset, clean, "raw/iris", "2026-11")],
             [dataset(OutputDataset, clean, "iris", "3")])
    complete("0193aaaa-0000-7000-8000-000000000002", "train-iris", _at(created, days=-10),
             [dataset(InputDataset, clean, "iris", "3", IRIS_DIGEST)],
             tags={"almguard.model_version": "iris-classifier@1"})
    complete(facts["diabetes_run"], "ridge", _at(created, days=-10),
             [dataset(InputDataset, "mlflow", "diabetes", facts["diabetes_digest"],
                      DIABETES_DIGEST)])


def _inputs(folder: Path, url: str, facts: dict) -> Path:
    deployed = facts["deployed_at"]
    (folder / "kserve").mkdir()
    (folder / "kserve" / "iris-prod.yaml").write_text(yaml.safe_dump({
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "iris-prod", "namespace": "ml", "generation": 3,
                     "creationTimestamp": deployed,
                     "annotations": {
                         "almguard.dev/environment": "production",
                         "almguard.dev/deployed-at": deployed,
                         "almguard.dev/rollout": json.dumps([
                             {"traffic_percent": 10, "at": deployed},
                             {"traffic_percent": 100, "at": _at(deployed, days=3)}])}},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "mlflow"},
                                         "storageUri": facts["iris_model_uri"]}}},
        "status": {"components": {"predictor": {
            "latestReadyRevision": "iris-prod-predictor-00003",
            "traffic": [{"latestRevision": True, "percent": 100,
                         "revisionName": "iris-prod-predictor-00003"}]}}}}))
    (folder / "ledger.yaml").write_text(yaml.safe_dump({"ledger_version": 1, "approvals": [
        {"model": "iris-classifier", "version": "1", "stage": "staging",
         "approved_by": "carol@contoso.com", "approved_at": _at(deployed, minutes=-90)},
        {"model": "iris-classifier", "version": "1", "stage": "production",
         "approved_by": "dave@contoso.com", "approved_at": _at(deployed, minutes=-60)}]}))
    _events(folder / "events.ndjson", facts)
    config = folder / "compose.yaml"
    config.write_text(yaml.safe_dump({
        "compose_version": 1,
        "registry": {"name": "contoso-ml", "captured_at": facts["captured_at"]},
        "sources": [
            {"name": "mlflow", "kind": "mlflow", "tracking_uri": url},
            {"name": "cluster", "kind": "kserve", "paths": ["kserve"]},
            {"name": "ledger", "kind": "ledger", "paths": ["ledger.yaml"]},
            {"name": "lineage", "kind": "openlineage", "paths": ["events.ndjson"]}]}))
    return config


def _findings(*args: str) -> set[tuple[str, str]]:
    run = run_cli("scan", *args, "--format", "json")
    assert run.code in (0, 1), run.stderr
    return {(f["rule_id"], f["resource"]["id"]) for f in json.loads(run.stdout)["findings"]}


def test_composition_fills_what_mlflow_cannot_store(registry, tmp_path: Path) -> None:
    url, facts, imported = registry
    config = _inputs(tmp_path, url, facts)
    out = tmp_path / "composed.json"
    run = run_cli("compose", str(config), "-o", str(out))
    assert run.code == 0, run.stderr
    again = run_cli("compose", str(config), "-o", str(tmp_path / "again.json"))
    assert again.code == 0, again.stderr
    # same inputs, same snapshot: the digest printed twice is one
    digest = json.loads((tmp_path / "composed.provenance.json").read_text())["snapshot"]
    assert digest in run.stderr and digest in again.stderr
    assert out.read_bytes() == (tmp_path / "again.json").read_bytes()

    alone = _findings(str(imported))
    composed = _findings("--sources", str(config))
    assert composed < alone  # composition only adds facts: no new finding
    filled = alone - composed
    assert filled == {
        ("ALM-APPR-001", "iris-classifier@1"),           # the ledger's production approval
        ("ALM-APPR-004", "iris-classifier@1"),           # ... and staging approval
        ("ALM-LIN-001", "iris-prod/iris-classifier@1"),  # OpenLineage: its training data
        ("ALM-ROLL-001", "iris-prod/iris-classifier@1"),  # KServe: the canary history
        ("ALM-LIN-003", "diabetes@" + facts["diabetes_digest"]),  # OpenLineage: the digest
    }
    # what remains is what none of these sources records: owners, risk tiers, semantic
    # versions, artifact digests, evaluations, bias assessments, monitoring
    assert {rule for rule, _ in composed} <= {
        "ALM-REG-001", "ALM-REG-003", "ALM-REG-004", "ALM-REG-005", "ALM-EVAL-001",
        "ALM-EVAL-004", "ALM-MON-001"}

    provenance = json.loads((tmp_path / "composed.provenance.json").read_text())
    iris = provenance["resources"]["model_version:iris-classifier@1"]
    assert iris["approvals"] == ["ledger"] and iris["lineage.training_data"] == ["lineage"]
    deployment = provenance["resources"]["deployment:iris-prod/iris-classifier@1"]
    assert deployment["deployed_at"] == ["mlflow", "cluster"]  # both said it, equally
    assert deployment["rollout"] == ["cluster"]
