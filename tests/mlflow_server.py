"""A real MLflow tracking server on loopback, for the import tests and the benchmark.

`start_server(directory)` runs `mlflow server` (SQLite backend store and artifact store in
`directory`, one worker, a free port on 127.0.0.1) in its own process group, waits until
`/health` answers, and returns a handle whose `stop()` ends that process group. Nothing here
mocks MLflow: the tests talk to the server through the real client.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from service_process import free_port, wait_until_ready

START_TIMEOUT = 120.0  # /health answers after 13-24 s on the project's machine

# No usage telemetry from the tests' MLflow client or the server (it starts at `import
# mlflow`, so this is set before any import of it), and no job runner in the server: a
# registry needs none, and it would start a dozen worker processes.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
SERVER_ENVIRONMENT = {"MLFLOW_TRACKING_URI": "", "MLFLOW_DISABLE_TELEMETRY": "true",
                      "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


def mlflow_available() -> bool:
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass
class MLflowServer:
    url: str
    process: subprocess.Popen
    directory: Path
    log: Path

    def stop(self) -> None:
        """End the server's process group (the server and its workers); wait for it."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=15)

    def __enter__(self) -> "MLflowServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_server(directory: Path, *, timeout: float = START_TIMEOUT) -> MLflowServer:
    """Start `mlflow server` with its stores in `directory` and wait for /health."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = directory / "server.log"
    command = [sys.executable, "-m", "mlflow", "server",
               "--backend-store-uri", f"sqlite:///{directory / 'mlflow.db'}",
               "--artifacts-destination", str(directory / "artifacts"),
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    env = {**os.environ, **SERVER_ENVIRONMENT}
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=directory, env=env,
                                   start_new_session=True)
    server = MLflowServer(f"http://127.0.0.1:{port}", process, directory, log)
    try:
        wait_until_ready(process, f"{server.url}/health", log, timeout=timeout,
                         name="mlflow server")
    except RuntimeError:
        server.stop()
        raise
    return server


# --- a small registry for the import tests -------------------------------------------------

COMMIT = "9f1e3c7a2b4d6e8f0a1c3e5b7d9f2a4c6e8b0d1f"
BASELINE_COMMIT = "1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e"
REPOSITORY = "https://github.com/contoso/credit-risk-models.git"
TRAINING_DIGEST = "sha256:" + "5f1c" * 16
ARTIFACT_DIGEST = "sha256:" + "a1b2" * 16


def _iso(moment: float) -> str:
    from datetime import datetime, timezone
    return datetime.fromtimestamp(moment, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def populate_registry(url: str) -> dict:
    """`_populate` with MLflow's deprecation warnings and progress lines silenced."""
    from checker.sources.mlflow import quiet_mlflow
    with quiet_mlflow():
        return _populate(url)


def _populate(url: str) -> dict:
    """Train real scikit-learn models and register them on the server at `url`.

    - credit-risk-scorer (owner, risk tier, type tags): v1 from a baseline run, archived;
      v2 from the `train` child run of a pipeline run (git commit and repository on the
      parent; a `prepare-features` sibling tagged almguard.step=preprocessing), training /
      validation / evaluation datasets, metrics on datasets through its LoggedModel, stage
      Production, alias champion, and the almguard convention tags (approvals, deployment
      with canary rollout and monitoring, bias assessment, artifact digest); both versions
      carry their semantic version in tag almguard.semver (1.0.0, 1.1.0).
    - diabetes-regressor: v1 at Staging, alias candidate, no convention tags at all.
    - iris-classifier: v1 whose source run was deleted afterwards, deployed to production by
      the convention but never approved.

    Runs are created with the client (no context providers, so no git tags of the checkout
    the tests run in) and resumed with `mlflow.start_run(run_id=...)` to log the models.
    Returns the facts the tests check (run ids, times, the captured_at to use).
    """
    import json

    import mlflow
    import numpy as np
    from mlflow import MlflowClient
    from mlflow.entities import DatasetInput, InputTag
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import accuracy_score, roc_auc_score

    mlflow.set_tracking_uri(url)
    client = MlflowClient(url)
    now = time.time()
    facts: dict = {"captured_at": _iso(now + 10 * 86400)}

    def dataset_input(frame, name: str, context: str, source: str | None = None,
                      tags: dict[str, str] | None = None) -> DatasetInput:
        dataset = mlflow.data.from_pandas(frame, name=name, targets="target",
                                          source=source)
        tags = {"mlflow.data.context": context, **(tags or {})}
        return DatasetInput(dataset._to_mlflow_entity(),
                            [InputTag(k, v) for k, v in tags.items()])

    def train(run_id: str, model, frame):
        features = frame.drop(columns="target")
        model.fit(features, frame["target"])
        with mlflow.start_run(run_id=run_id):
            info = mlflow.sklearn.log_model(model, name="model")
        return model, info

    # credit-risk-scorer --------------------------------------------------------------
    experiment = client.create_experiment("credit-risk")
    cancer = load_breast_cancer(as_frame=True).frame
    rows = np.arange(len(cancer))
    train_frame = cancer[rows % 5 < 3]
    holdout_frame = cancer[rows % 5 == 3]
    oot_frame = cancer[rows % 5 == 4]

    baseline = client.create_run(experiment, run_name="train-baseline",
                                 tags={"mlflow.source.git.commit": BASELINE_COMMIT})
    client.log_inputs(baseline.info.run_id, [
        dataset_input(cancer[rows % 5 < 2], "credit-applications", "training")])
    _, baseline_info = train(baseline.info.run_id, LogisticRegression(max_iter=5000),
                             train_frame)
    client.set_terminated(baseline.info.run_id)

    pipeline = client.create_run(experiment, run_name="credit-risk-pipeline",
                                 tags={"mlflow.source.git.commit": COMMIT,
                                       "mlflow.source.git.repoURL": REPOSITORY})
    parent = {"mlflow.parentRunId": pipeline.info.run_id}
    step = client.create_run(experiment, run_name="prepare-features",
                             tags={**parent, "almguard.step": "preprocessing"})
    client.set_terminated(step.info.run_id)
    run = client.create_run(experiment, run_name="train",
                            tags={**parent, "mlflow.user": "alice@contoso.com"})
    training = dataset_input(train_frame, "credit-applications", "training",
                             source="s3://contoso-data/credit/applications/v6.parquet",
                             tags={"almguard.digest": TRAINING_DIGEST,
                                   "almguard.personal_data": "true"})
    validation = dataset_input(holdout_frame, "credit-applications-holdout", "validation")
    evaluation = dataset_input(oot_frame, "credit-applications-oot", "evaluation")
    client.log_inputs(run.info.run_id, [training, validation, evaluation])
    model, info = train(run.info.run_id, LogisticRegression(max_iter=5000), train_frame)
    oot_x, oot_y = oot_frame.drop(columns="target"), oot_frame["target"]
    val_x, val_y = holdout_frame.drop(columns="target"), holdout_frame["target"]
    accuracy = float(accuracy_score(oot_y, model.predict(oot_x)))
    auc = float(roc_auc_score(val_y, model.predict_proba(val_x)[:, 1]))
    client.log_metric(run.info.run_id, "accuracy", accuracy,
                      dataset_name=evaluation.dataset.name,
                      dataset_digest=evaluation.dataset.digest, model_id=info.model_id)
    client.log_metric(run.info.run_id, "roc_auc", auc,
                      dataset_name=validation.dataset.name,
                      dataset_digest=validation.dataset.digest, model_id=info.model_id)
    for finished in (run, pipeline):
        client.set_terminated(finished.info.run_id)

    client.create_registered_model(
        "credit-risk-scorer", description="Probability of default for consumer loans.",
        tags={"almguard.owner": "risk-ml@contoso.com", "almguard.risk_tier": "high",
              "almguard.type": "custom", "team": "credit-risk"})
    v1 = client.create_model_version("credit-risk-scorer", baseline_info.model_uri,
                                     run_id=baseline.info.run_id,
                                     model_id=baseline_info.model_id,
                                     tags={"almguard.semver": "1.0.0"})
    client.transition_model_version_stage("credit-risk-scorer", v1.version, "Archived")
    approved = now + 3600
    deployed = now + 2 * 3600
    convention = {
        "almguard.approvals": json.dumps([
            {"stage": "staging", "approved_by": "carol@contoso.com",
             "approved_at": _iso(approved)},
            {"stage": "production", "approved_by": "dave@contoso.com",
             "approved_at": _iso(approved + 60)}]),
        "almguard.deployments": json.dumps([
            {"endpoint": "credit-risk-prod", "environment": "production",
             "traffic_percent": 100, "deployed_at": _iso(deployed),
             "deployed_by": "release-bot@contoso.com",
             "rollout": [{"traffic_percent": 10, "at": _iso(deployed)},
                         {"traffic_percent": 100, "at": _iso(deployed + 3 * 86400)}],
             "monitoring": {"baseline_metrics": {"accuracy": round(accuracy, 4)},
                            "alert_thresholds": {"accuracy": 0.9},
                            "drift_detection": True}}]),
        "almguard.bias_assessments": json.dumps([
            {"method": "demographic-parity", "passed": True,
             "evaluated_at": _iso(approved - 600)}]),
        "almguard.artifact_digest": ARTIFACT_DIGEST,
        "almguard.semver": "1.1.0",
        "ticket": "ML-1423",
    }
    v2 = client.create_model_version("credit-risk-scorer", info.model_uri,
                                     run_id=run.info.run_id, model_id=info.model_id,
                                     tags=convention,
                                     description="Logistic regression, 30 features.")
    client.transition_model_version_stage("credit-risk-scorer", v2.version, "Production")
    client.set_registered_model_alias("credit-risk-scorer", "champion", v2.version)
    facts.update(pipeline_run=pipeline.info.run_id, step_run=step.info.run_id,
                 train_run=run.info.run_id, baseline_run=baseline.info.run_id,
                 model_id=info.model_id, accuracy=accuracy, roc_auc=auc,
                 training_digest=training.dataset.digest,
                 validation_digest=validation.dataset.digest,
                 evaluation_digest=evaluation.dataset.digest, deployed_at=_iso(deployed))

    # diabetes-regressor --------------------------------------------------------------
    experiment = client.create_experiment("diabetes")
    diabetes = load_diabetes(as_frame=True).frame
    run = client.create_run(experiment, run_name="ridge")
    training = dataset_input(diabetes, "diabetes", "training")
    client.log_inputs(run.info.run_id, [training])
    train(run.info.run_id, Ridge(alpha=1.0), diabetes)
    client.set_terminated(run.info.run_id)
    client.create_registered_model("diabetes-regressor")
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", "diabetes-regressor")
    client.transition_model_version_stage("diabetes-regressor", version.version, "Staging")
    client.set_registered_model_alias("diabetes-regressor", "candidate", version.version)
    facts.update(diabetes_run=run.info.run_id, diabetes_digest=training.dataset.digest)

    # iris-classifier: deployed without approval, its source run deleted ----------------
    experiment = client.create_experiment("iris")
    iris = load_iris(as_frame=True).frame
    run = client.create_run(experiment, run_name="iris-logreg")
    client.log_inputs(run.info.run_id, [dataset_input(iris, "iris", "training")])
    _, iris_info = train(run.info.run_id, LogisticRegression(max_iter=1000), iris)
    client.set_terminated(run.info.run_id)
    client.create_registered_model("iris-classifier")
    client.create_model_version(
        "iris-classifier", iris_info.model_uri, run_id=run.info.run_id,
        model_id=iris_info.model_id,
        tags={"almguard.deployments": json.dumps([
            {"endpoint": "iris-prod", "environment": "production", "traffic_percent": 100,
             "deployed_at": _iso(deployed)}])})
    client.transition_model_version_stage("iris-classifier", "1", "Production")
    client.delete_run(run.info.run_id)
    facts.update(iris_run=run.info.run_id, iris_model_uri=iris_info.model_uri)
    return facts
