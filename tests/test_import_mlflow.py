"""`almguard import mlflow`: a real MLflow server (tests/mlflow_server.py) → snapshot-v1.

The server tests start `mlflow server` on loopback, train and register real scikit-learn
models with the MLflow client, and import through the command line. Without mlflow they
skip, unless ALMGUARD_REQUIRE_TOOLS=1 (CI), where a missing mlflow fails them. The mapping
tests at the end use plain objects and need neither mlflow nor a server.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import yaml

from conftest import ROOT, run_cli
from mlflow_server import (ARTIFACT_DIGEST, COMMIT, REPOSITORY, TRAINING_DIGEST,
                           mlflow_available, populate_registry, start_server)
from service_process import free_port

from checker.errors import SnapshotError
from checker.times import time_ns
from checker.sources.file import FileSource
from checker.sources.mlflow import (Mapper, MLflowSource, Registry, default_registry_name,
                                    logged_model_id, safe_uri, time_of)
from tool_support import missing

MODELS = ["credit-risk-scorer", "diabetes-regressor", "iris-classifier"]


def require_mlflow() -> None:
    if not mlflow_available():
        missing("mlflow", "pip install -e '.[dev,mlflow]'")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real MLflow server with the registry of `populate_registry`: (url, facts)."""
    require_mlflow()
    started = start_server(tmp_path_factory.mktemp("mlflow-server"))
    try:
        facts = populate_registry(started.url)
        yield started.url, facts
    finally:
        started.stop()


@pytest.fixture(scope="module")
def imported(server, tmp_path_factory):
    """`almguard import mlflow` of the whole server: (snapshot path, document, run)."""
    url, facts = server
    out = tmp_path_factory.mktemp("import") / "snapshot.yaml"
    run = run_cli("import", "mlflow", "--tracking-uri", url, "--captured-at",
                  facts["captured_at"], "--organization", "Contoso Bank", "-o", str(out))
    assert run.code == 0, run.stderr
    return out, yaml.safe_load(out.read_text()), run


def model_of(document: dict, name: str) -> dict:
    return next(m for m in document["models"] if m["name"] == name)


def version_of(document: dict, name: str, version: str) -> dict:
    return next(v for v in model_of(document, name)["versions"] if v["version"] == version)


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


# --- a real server --------------------------------------------------------------------------

@pytest.mark.slow
def test_import_writes_a_snapshot_that_validates(imported, server):
    out, document, run = imported
    url, facts = server
    assert run.stdout == ""
    assert all(line.startswith("almguard: ") for line in run.stderr.splitlines()), run.stderr
    assert "imported 3 models (4 versions), 5 datasets, 2 deployments" in run.stderr
    loaded = FileSource(out).load().document
    assert loaded == document
    registry = document["registry"]
    assert registry == {"name": url.removeprefix("http://"), "captured_at": facts["captured_at"],
                        "source": "mlflow", "organization": "Contoso Bank",
                        "tags": {"mlflow.tracking_uri": url}}
    assert [m["name"] for m in document["models"]] == MODELS


@pytest.mark.slow
def test_models_versions_stages_and_aliases(imported):
    _, document, _ = imported
    credit = model_of(document, "credit-risk-scorer")
    assert (credit["owner"], credit["risk_tier"], credit["type"]) == (
        "risk-ml@contoso.com", "high", "custom")
    assert credit["description"] == "Probability of default for consumer loans."
    assert credit["tags"] == {"team": "credit-risk"}  # almguard.* tags are consumed
    assert [v["version"] for v in credit["versions"]] == ["1", "2"]
    v1 = version_of(document, "credit-risk-scorer", "1")
    v2 = version_of(document, "credit-risk-scorer", "2")
    assert v1["stage"] == "archived"  # MLflow stage Archived
    assert v2["stage"] == "production"
    assert v2["created_by"] == "alice@contoso.com"  # the source run's user
    # created when its LoggedModel was logged (and evaluated); registered a moment later
    registered_at = v2["tags"].pop("mlflow.registered_at")
    assert v2["created_at"].endswith("Z") and registered_at.endswith("Z")
    assert time_ns(v2["created_at"]) < time_ns(registered_at)
    assert v2["artifact"] == {"uri": v2["artifact"]["uri"], "digest": ARTIFACT_DIGEST}
    assert v2["artifact"]["uri"].startswith("models:/m-")
    assert v2["tags"] == {"mlflow.aliases": "champion", "ticket": "ML-1423",
                          "almguard.semver": "1.1.0",  # kept: ALM-REG-001 reads it
                          "mlflow.description": "Logistic regression, 30 features."}
    assert v1["tags"]["almguard.semver"] == "1.0.0"
    diabetes = version_of(document, "diabetes-regressor", "1")
    assert diabetes["stage"] == "staging"
    assert set(diabetes["tags"]) == {"mlflow.aliases", "mlflow.registered_at"}
    assert diabetes["tags"]["mlflow.aliases"] == "candidate"
    assert "owner" not in model_of(document, "diabetes-regressor")


@pytest.mark.slow
def test_lineage_comes_from_the_source_run_and_its_pipeline(imported, server):
    _, document, _ = imported
    _, facts = server
    lineage = version_of(document, "credit-risk-scorer", "2")["lineage"]
    assert lineage["training_data"] == [
        {"dataset": "credit-applications", "version": facts["training_digest"]}]
    # validation and evaluation contexts are evaluation data
    assert lineage["evaluation_data"] == [
        {"dataset": "credit-applications-holdout", "version": facts["validation_digest"]},
        {"dataset": "credit-applications-oot", "version": facts["evaluation_digest"]}]
    # the commit and repository are on the parent (pipeline) run
    pinned = f"{REPOSITORY}@{COMMIT}"
    assert lineage["preprocessing"] == [{"name": "prepare-features", "code_ref": pinned}]
    assert lineage["training_job"] == {"id": facts["train_run"], "code_ref": pinned}
    baseline = version_of(document, "credit-risk-scorer", "1")["lineage"]
    assert baseline["training_job"]["id"] == facts["baseline_run"]
    assert "preprocessing" not in baseline  # a run without a parent has no pipeline


@pytest.mark.slow
def test_mlflow_datasets_become_dataset_versions(imported, server):
    _, document, _ = imported
    _, facts = server
    datasets = {f"{d['name']}@{d['version']}": d for d in document["datasets"]}
    training = datasets[f"credit-applications@{facts['training_digest']}"]
    assert training["uri"] == "s3://contoso-data/credit/applications/v6.parquet"
    assert training["digest"] == TRAINING_DIGEST  # input tag almguard.digest
    assert training["personal_data"] is True
    assert training["tags"] == {"mlflow.digest": facts["training_digest"],
                                "mlflow.source_type": "s3"}
    holdout = datasets[f"credit-applications-holdout@{facts['validation_digest']}"]
    assert "digest" not in holdout and "uri" not in holdout  # MLflow's 8 hex: not a digest
    assert f"diabetes@{facts['diabetes_digest']}" in datasets
    names = [d["name"] for d in document["datasets"]]
    assert names == sorted(names)


@pytest.mark.slow
def test_logged_model_metrics_become_evaluations_on_datasets(imported, server):
    _, document, _ = imported
    _, facts = server
    evaluations = version_of(document, "credit-risk-scorer", "2")["evaluations"]
    assert [(e["metric"], e["dataset"]) for e in evaluations] == [
        ("accuracy", {"dataset": "credit-applications-oot",
                      "version": facts["evaluation_digest"]}),
        ("roc_auc", {"dataset": "credit-applications-holdout",
                     "version": facts["validation_digest"]})]
    assert evaluations[0]["value"] == pytest.approx(facts["accuracy"])
    assert evaluations[0]["evaluated_at"].endswith("Z")


@pytest.mark.slow
def test_convention_tags_carry_approvals_and_deployments(imported, server):
    _, document, _ = imported
    _, facts = server
    v2 = version_of(document, "credit-risk-scorer", "2")
    assert [(a["stage"], a["approved_by"]) for a in v2["approvals"]] == [
        ("staging", "carol@contoso.com"), ("production", "dave@contoso.com")]
    assert v2["bias_assessments"][0]["passed"] is True
    credit = next(d for d in document["deployments"] if d["endpoint"] == "credit-risk-prod")
    assert (credit["model"], credit["version"], credit["traffic_percent"]) == (
        "credit-risk-scorer", "2", 100)
    assert [s["traffic_percent"] for s in credit["rollout"]] == [10, 100]
    assert credit["deployed_at"] == facts["deployed_at"]
    assert credit["monitoring"]["drift_detection"] is True
    # nothing invented where no tag says so
    diabetes = version_of(document, "diabetes-regressor", "1")
    for absent in ("approvals", "safety_evaluations", "retirement", "evaluations"):
        assert absent not in diabetes


@pytest.mark.slow
def test_deleted_source_run_leaves_lineage_absent_with_a_note(imported, server):
    _, document, run = imported
    _, facts = server
    iris = version_of(document, "iris-classifier", "1")
    assert "lineage" not in iris
    assert {k: v for k, v in iris["tags"].items() if k != "mlflow.registered_at"} == {
        "mlflow.run_deleted": facts["iris_run"]}
    assert (f"almguard: note: model 'iris-classifier' version 1: source run "
            f"{facts['iris_run']} is deleted") in run.stderr
    assert not any(d["name"] == "iris" for d in document["datasets"])


@pytest.mark.slow
def test_scan_reports_what_mlflow_does_not_record(imported):
    out, _, _ = imported
    scan = run_cli("scan", str(out), "--format", "json")
    assert scan.code == 1, scan.stderr
    by_rule: dict[str, set[str]] = {}
    for finding in json.loads(scan.stdout)["findings"]:
        by_rule.setdefault(finding["rule_id"], set()).add(finding["resource"]["id"])
    # deployed by the convention, never approved: the policies say so
    assert "iris-classifier@1" in by_rule["ALM-APPR-001"]
    assert "iris-classifier@1" in by_rule["ALM-APPR-004"]
    assert "iris-prod/iris-classifier@1" in by_rule["ALM-ROLL-001"]  # no rollout history
    assert "iris-prod/iris-classifier@1" in by_rule["ALM-MON-001"]
    assert "iris-prod/iris-classifier@1" in by_rule["ALM-LIN-001"]  # run deleted
    # no owner / risk tier tags, no artifact digest, MLflow's dataset digest is no sha256
    assert {"diabetes-regressor", "iris-classifier"} <= by_rule["ALM-REG-003"]
    assert {"diabetes-regressor@1", "iris-classifier@1"} <= by_rule["ALM-REG-005"]
    assert any(r.startswith("diabetes@") for r in by_rule["ALM-LIN-003"])
    # MLflow numbers versions 1, 2, ...: only those without a semantic-version tag
    # (almguard.semver) are reported
    assert by_rule["ALM-REG-001"] == {"diabetes-regressor@1", "iris-classifier@1"}
    # the version that carries the whole convention fails nothing: its evaluations are not
    # dated before it (created_at is when its LoggedModel was logged, not registered)
    about_credit = {rule for rule, ids in by_rule.items()
                    if any("credit-risk-scorer@2" in i or i == "credit-risk-scorer"
                           for i in ids)}
    assert about_credit == set(), by_rule


@pytest.mark.slow
def test_mlflow_import_is_not_dominated_by_one_rule(imported, tmp_path):
    """MLflow numbers versions 1, 2, 3: ALM-REG-001 once reported every imported version.
    With the default policy it reports only versions without an almguard.semver tag, and a
    registry that keeps MLflow's numbering says so in policy data."""
    out, document, _ = imported
    versions = sum(len(m["versions"]) for m in document["models"])
    data = tmp_path / "numbered.yaml"
    data.write_text("almguard: {config: {registry: {version_schemes: [semver, integer]}}}\n")
    for extra, reg_001 in (((), 2), (("--data", str(data)), 0)):
        scan = run_cli("scan", str(out), "--format", "json", *extra)
        assert scan.code == 1, scan.stderr
        findings = json.loads(scan.stdout)["findings"]
        counts: dict[str, int] = {}
        for finding in findings:
            counts[finding["rule_id"]] = counts.get(finding["rule_id"], 0) + 1
        assert counts.get("ALM-REG-001", 0) == reg_001 < versions
        # no rule holds a quarter of the findings
        assert max(counts.values()) * 4 < len(findings), counts


@pytest.mark.slow
def test_the_service_scans_an_mlflow_source_on_schedule(server, tmp_path):
    """A schedule of kind mlflow: the importer is the service's snapshot source."""
    from checker.service.config import ScheduleConfig, ServiceConfig, SourceConfig
    from checker.service.service import Service

    url, _ = server
    source = SourceConfig(kind="mlflow", tracking_uri=url, models=["iris-classifier"],
                          registry_name="mlflow-test")
    config = ServiceConfig(database=f"sqlite:///{tmp_path / 'service.db'}",
                           schedules=[ScheduleConfig(name="mlflow", cron="0 * * * *",
                                                     source=source)])
    service = Service(config, environ={}, start_scheduler=False)
    try:
        run_id = service.scheduler.run("mlflow")
        run = service.store.last_run("mlflow")
        assert run is not None and run.id == run_id
        assert (run.status, run.error, run.scans) == ("succeeded", None, 1)
        scan = service.scan_info(run.scan_id)
        assert scan.registry == "mlflow-test" and scan.source == "schedule:mlflow"
        findings = {f.rule_id for f in service.result(scan.id).findings}
        assert "ALM-APPR-001" in findings        # deployed by the convention, never approved
    finally:
        service.close()


@pytest.mark.slow
def test_reads_in_batches_and_is_deterministic(server):
    url, facts = server
    first = MLflowSource(url, captured_at=facts["captured_at"])
    document = first.load()
    second = MLflowSource(url, captured_at=facts["captured_at"]).load()
    assert document.digest == second.digest
    calls = dict(first.calls)
    # one paged search each; runs: the source runs, their parents, the step runs
    assert calls == {"search_experiments": 1, "search_registered_models": 1,
                     "search_model_versions": 1, "search_runs": 3,
                     "search_logged_models": 1}, calls


@pytest.mark.slow
def test_model_filter_and_json_output(server, tmp_path):
    url, facts = server
    out = tmp_path / "diabetes.json"
    run = run_cli("import", "mlflow", "--tracking-uri", url, "--model", "diabetes-regressor",
                  "--captured-at", facts["captured_at"], "--registry-name", "ml-platform",
                  "-o", str(out))
    assert run.code == 0, run.stderr
    document = json.loads(out.read_text())
    assert document["registry"]["name"] == "ml-platform"
    assert [m["name"] for m in document["models"]] == ["diabetes-regressor"]
    assert [d["name"] for d in document["datasets"]] == ["diabetes"]
    assert document["deployments"] == []

    run = run_cli("import", "mlflow", "--tracking-uri", url, "--model", "no-such-model",
                  "-o", str(out))
    assert run.code == 2
    assert "no registered model named 'no-such-model'" in one_line(run.stderr)


def _version_with_tags(url: str, name: str, model_tags: dict, version_tags: dict,
                       model_uri: str) -> None:
    from mlflow import MlflowClient
    client = MlflowClient(url)
    client.create_registered_model(name, tags=model_tags)
    client.create_model_version(name, model_uri, tags=version_tags,
                                model_id=model_uri.removeprefix("models:/"))


@pytest.mark.slow
def test_malformed_convention_tag_is_one_line_and_writes_nothing(server, tmp_path):
    url, facts = server
    _version_with_tags(url, "broken-model", {}, {"almguard.approvals": json.dumps(
        [{"stage": "production", "approved_by": "carol@contoso.com"}])},
        facts["iris_model_uri"])
    out = tmp_path / "snapshot.yaml"
    out.write_text("previous snapshot\n")
    try:
        run = run_cli("import", "mlflow", "--tracking-uri", url, "-o", str(out))
    finally:
        from mlflow import MlflowClient
        MlflowClient(url).delete_registered_model("broken-model")
    assert run.code == 2, run.stderr
    assert one_line(run.stderr) == (
        f"almguard: error: {url}: model 'broken-model' version 1: tag 'almguard.approvals': "
        "[0].approved_at: required field missing")
    assert out.read_text() == "previous snapshot\n"
    assert [p.name for p in tmp_path.iterdir()] == ["snapshot.yaml"]


MALFORMED = [
    ({}, {"almguard.deployments": "[{\"endpoint\": \"e\","},
     "tag 'almguard.deployments': not valid JSON"),
    ({}, {"almguard.deployments": json.dumps([{"endpoint": "e", "environment": "production",
                                               "traffic_percent": 100, "model": "m"}])},
     "tag 'almguard.deployments': [0].model: the deployment serves this model version"),
    ({}, {"almguard.deployments": json.dumps([{"endpoint": "e", "environment": "prod",
                                               "traffic_percent": 100}])},
     "tag 'almguard.deployments': [0].environment: input should be"),
    ({}, {"almguard.aprovals": "[]"}, "tag 'almguard.aprovals': not an almguard tag"),
    ({}, {"almguard.stage": "canary"}, "tag 'almguard.stage': 'canary' is not a snapshot-v1"),
    ({}, {"almguard.retirement": json.dumps({"reason": "replaced"})},
     "tag 'almguard.retirement': retired_at: required field missing"),
    ({"almguard.risk_tier": "extreme"}, {},
     "tag 'almguard.risk_tier': 'extreme' is not one of high, limited, minimal"),
]


@pytest.mark.slow
@pytest.mark.parametrize("model_tags,version_tags,message", MALFORMED,
                         ids=[m[2][:48] for m in MALFORMED])
def test_malformed_tags_name_model_version_and_tag(server, model_tags, version_tags,
                                                   message):
    url, facts = server
    name = f"broken-{abs(hash(message)) % 10**8}"
    _version_with_tags(url, name, model_tags, version_tags, facts["iris_model_uri"])
    try:
        with pytest.raises(SnapshotError) as info:
            MLflowSource(url, models=[name]).load()
    finally:
        from mlflow import MlflowClient
        MlflowClient(url).delete_registered_model(name)
    where = f"model {name!r} version 1" if version_tags else f"model {name!r}"
    assert str(info.value).startswith(f"{url}: {where}: "), str(info.value)
    assert message in str(info.value), str(info.value)


@pytest.mark.slow
def test_unreachable_server_fails_fast_in_one_line(tmp_path):
    require_mlflow()
    out = tmp_path / "snapshot.yaml"
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    start = time.monotonic()
    run = run_cli("import", "mlflow", "--tracking-uri", url, "-o", str(out), timeout=60)
    elapsed = time.monotonic() - start
    assert run.code == 2
    assert one_line(run.stderr) == (f"almguard: error: {url}: cannot reach the MLflow "
                                    "tracking server (connection refused)")
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert elapsed < 15, elapsed


# --- without mlflow -----------------------------------------------------------------------

def test_missing_mlflow_says_how_to_install(tmp_path):
    code = ("import sys; sys.modules['mlflow'] = None; from checker.cli import main; "
            "sys.exit(main(sys.argv[1:]))")
    out = tmp_path / "s.yaml"
    proc = subprocess.run([sys.executable, "-c", code, "import", "mlflow", "--tracking-uri",
                           "http://127.0.0.1:1", "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2
    assert one_line(proc.stderr) == ("almguard: error: importing from MLflow needs the "
                                     "mlflow package: pip install 'almguard[mlflow]'")
    assert not out.exists()


def test_tracking_uri_is_required(cli, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    run = cli("import", "mlflow")
    assert run.code == 2 and "--tracking-uri" in one_line(run.stderr)


def test_checker_sources_mlflow_imports_without_mlflow():
    code = ("import sys; sys.modules['mlflow'] = None; import checker.sources.mlflow; "
            "import checker.cli; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert proc.stdout.strip() == "ok", proc.stderr


# --- the mapping, on plain objects -------------------------------------------------------

def _version(**fields) -> SimpleNamespace:
    base = dict(name="m", version="1", run_id="", source="", current_stage="None",
                tags={}, description="", status="READY", user_id="",
                creation_timestamp=1795799814781, model_id=None)
    return SimpleNamespace(**{**base, **fields})


def _map(*versions, model_tags=None, runs=None) -> dict:
    model = SimpleNamespace(name="m", tags=model_tags or {}, description="", aliases={})
    registry = Registry([model], list(versions), runs=runs or {})
    mapper = Mapper(registry, origin="http://mlflow:5000")
    return mapper.document({"name": "r", "captured_at": "2026-11-20T08:00:00Z"})


def test_times_uris_and_ids():
    assert time_of(1795799814781) == "2026-11-27T17:16:54.781Z"
    assert time_of(1795799814000) == "2026-11-27T17:16:54Z"
    assert safe_uri("https://bob:secret@mlflow.example.com:8443/x") == (
        "https://mlflow.example.com:8443/x")
    assert safe_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert default_registry_name("http://127.0.0.1:5000/") == "127.0.0.1:5000"
    assert default_registry_name("sqlite:///tmp/mlflow.db") == "sqlite:///tmp/mlflow.db"
    assert logged_model_id(_version(source="models:/m-0a1b")) == "m-0a1b"
    assert logged_model_id(_version(source="runs:/abc/model")) is None
    assert logged_model_id(_version(model_id="m-ff")) == "m-ff"


@pytest.mark.parametrize("raw,stage,tag", [
    ("None", None, None), ("Staging", "staging", None), ("Production", "production", None),
    ("Archived", "archived", None), ("Shadow", None, "Shadow")])
def test_mlflow_stages(raw, stage, tag):
    version = _map(_version(current_stage=raw))["models"][0]["versions"][0]
    assert version.get("stage") == stage
    assert version.get("tags", {}).get("mlflow.stage") == tag


def test_stage_tag_overrides_and_retirement_is_read():
    retirement = {"retired_at": "2026-10-01T00:00:00Z", "reason": "replaced by 2",
                  "record_uri": "https://wiki/ret/1", "retention_until": "2036-10-01T00:00:00Z"}
    version = _map(_version(current_stage="Archived", tags={
        "almguard.stage": "retired", "almguard.retirement": json.dumps(retirement)})
    )["models"][0]["versions"][0]
    assert version["stage"] == "retired" and version["retirement"] == retirement
    assert "tags" not in version


def test_a_missing_run_is_noted_not_invented():
    registry = Registry([SimpleNamespace(name="m", tags={}, description="", aliases={})],
                        [_version(run_id="r1")])
    mapper = Mapper(registry, origin="u")
    document = mapper.document({"name": "r", "captured_at": "2026-11-20T08:00:00Z"})
    version = document["models"][0]["versions"][0]
    assert "lineage" not in version and version["tags"] == {"mlflow.run_missing": "r1"}
    assert mapper.notes == ["model 'm' version 1: source run r1 not found (purged?): no "
                            "lineage"]


def test_duplicate_endpoint_in_the_deployments_tag():
    entry = {"endpoint": "e", "environment": "production", "traffic_percent": 50}
    with pytest.raises(SnapshotError, match=r"\[1\]\.endpoint: endpoint 'e' is listed twice"):
        _map(_version(tags={"almguard.deployments": json.dumps([entry, entry])}))


def _logged(created: int) -> SimpleNamespace:
    return SimpleNamespace(model_id="m-0a1b", creation_timestamp=created, metrics=[])


def _map_logged(version: SimpleNamespace, logged: SimpleNamespace) -> dict:
    model = SimpleNamespace(name="m", tags={}, description="", aliases={})
    registry = Registry([model], [version], logged_models={logged.model_id: logged})
    document = Mapper(registry, origin="u").document(
        {"name": "r", "captured_at": "2026-11-20T08:00:00Z"})
    return document["models"][0]["versions"][0]


def test_semver_tag_is_kept_on_the_version():
    version = _map(_version(tags={"almguard.semver": "2.1.0", "team": "risk"}))
    version = version["models"][0]["versions"][0]
    assert version["version"] == "1"  # the identity deployments use is not renamed
    assert version["tags"] == {"almguard.semver": "2.1.0", "team": "risk"}


def test_version_is_created_when_its_logged_model_was_logged():
    registered = 1795799814781
    version = _map_logged(_version(source="models:/m-0a1b", creation_timestamp=registered),
                          _logged(registered - 60_000))
    assert version["created_at"] == time_of(registered - 60_000)
    assert version["tags"] == {"mlflow.registered_at": time_of(registered)}
    # a LoggedModel stamped after the registration does not move created_at
    version = _map_logged(_version(source="models:/m-0a1b", creation_timestamp=registered),
                          _logged(registered + 60_000))
    assert version["created_at"] == time_of(registered) and "tags" not in version
