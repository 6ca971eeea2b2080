"""`python bench/bench.py --mlflow-import [N]`: time the MLflow importer against a real
MLflow server (tests/mlflow_server.py starts it) holding N model versions.

Populating does not train: each version gets its own run (training and evaluation dataset
inputs; a parent pipeline run per model with a git commit and a preprocessing step run), a
LoggedModel with a metric on the evaluation dataset, and every other version the almguard
approval and deployment tags — written through the client's REST calls, several at a time.
Then `MLflowSource(...).load()` is timed twice (the first includes importing mlflow).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def populate(url: str, versions: int, per_model: int = 10, threads: int = 8) -> None:
    from mlflow import MlflowClient
    from mlflow.entities import Dataset, DatasetInput, InputTag

    client = MlflowClient(url)
    experiment = client.create_experiment("bench")

    def dataset(name: str, digest: str, context: str) -> DatasetInput:
        source = json.dumps({"uri": f"s3://bench-data/{name}/{digest}.parquet"})
        return DatasetInput(Dataset(name, digest, "s3", source),
                            [InputTag("mlflow.data.context", context)])

    def model(index: int) -> None:
        name = f"bench-model-{index:04d}"
        client.create_registered_model(name, tags={"almguard.owner": "ml-team",
                                                   "almguard.risk_tier": "limited"})
        pipeline = client.create_run(experiment, run_name=f"{name}-pipeline",
                                     tags={"mlflow.source.git.commit": f"{index:040x}"})
        parent = {"mlflow.parentRunId": pipeline.info.run_id}
        client.create_run(experiment, run_name="prepare",
                          tags={**parent, "almguard.step": "preprocessing"})
        for number in range(min(per_model, versions - index * per_model)):
            run = client.create_run(experiment, run_name=f"train-{number}", tags=parent)
            digest = f"{index:04x}{number:04x}"
            evaluation = dataset(f"{name}-eval", digest, "evaluation")
            client.log_inputs(run.info.run_id,
                              [dataset(f"{name}-train", digest, "training"), evaluation])
            logged = client.create_logged_model(experiment, name="model",
                                                source_run_id=run.info.run_id)
            client.log_metric(run.info.run_id, "accuracy", 0.9 + number / 1000,
                              dataset_name=evaluation.dataset.name,
                              dataset_digest=evaluation.dataset.digest,
                              model_id=logged.model_id)
            tags = {}
            if number % 2:
                tags = {"almguard.approvals": json.dumps([
                    {"stage": "production", "approved_by": "carol",
                     "approved_at": "2026-11-01T09:00:00Z"}]),
                    "almguard.deployments": json.dumps([
                        {"endpoint": f"{name}-{number}", "environment": "production",
                         "traffic_percent": 100, "deployed_at": "2026-11-02T09:00:00Z"}])}
            client.create_model_version(name, f"models:/{logged.model_id}",
                                        run_id=run.info.run_id, model_id=logged.model_id,
                                        tags=tags, await_creation_for=0)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(model, range((versions + per_model - 1) // per_model)))


def mlflow_import_bench(versions: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from mlflow_server import start_server

    from checker.sources.mlflow import MLflowSource, quiet_mlflow

    with quiet_mlflow(), tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        with start_server(Path(tmp)) as server:
            print(f"mlflow server at {server.url} in {time.perf_counter() - started:.1f} s",
                  flush=True)
            started = time.perf_counter()
            populate(server.url, versions)
            print(f"populated {versions:,} versions in {time.perf_counter() - started:.1f} s",
                  flush=True)
            print(f"{'load':>6} {'seconds':>8} {'versions':>9} {'datasets':>9} "
                  f"{'deployments':>12}  client calls")
            for label in ("first", "second"):
                source = MLflowSource(server.url, captured_at="2026-11-20T08:00:00Z")
                started = time.perf_counter()
                document = source.load().document
                seconds = time.perf_counter() - started
                loaded = sum(len(m["versions"]) for m in document["models"])
                calls = ", ".join(f"{k} {v}" for k, v in sorted(source.calls.items()))
                print(f"{label:>6} {seconds:>8.2f} {loaded:>9,} "
                      f"{len(document['datasets']):>9,} {len(document['deployments']):>12,}"
                      f"  {sum(source.calls.values())} ({calls})", flush=True)
