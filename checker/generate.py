"""Synthetic registries for benchmarks and property tests.

Every generated model is compliant by construction (lineage with digests, evaluations before
deployment, staged approvals by someone other than the creator, a canary, monitoring,
retirement records); a controllable share of model versions then receives exactly one fault
from FAULTS, so a test knows which rule should fire and a benchmark has realistic findings.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, timedelta
from typing import Any, Callable

from .times import format_time as _t
from .times import parse_time

CAPTURED_AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TIERS = ("high", "limited", "minimal")


def _digest(*parts: object) -> str:
    return "sha256:" + hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def _sha1(*parts: object) -> str:
    return hashlib.sha1("/".join(map(str, parts)).encode()).hexdigest()  # noqa: S324 - a git id


def _model_type(i: int) -> str:
    if i % 20 == 7:
        return "agent"
    if i % 10 == 3:
        return "fine_tuned"
    return "custom"


def _version(name: str, i: int, j: int, count: int, tier: str, kind: str,
             start: datetime, eval_ds: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A compliant model version and its training dataset."""
    created = start + timedelta(days=30 * j)
    stage = ("production" if j == count - 1 else "staging" if j == count - 2
             else "retired" if j == 0 and count > 2 else "archived")
    dataset = {"name": f"{name}-train", "version": str(j + 1),
               "uri": f"abfss://data@contoso.dfs.core.windows.net/{name}/train/v{j + 1}",
               "digest": _digest(name, "train", j), "created_at": _t(created - timedelta(days=2)),
               "created_by": "data-eng@contoso.com", "personal_data": False}
    version: dict[str, Any] = {
        "version": f"1.{j}.0", "stage": stage, "created_at": _t(created),
        "created_by": "alice@contoso.com",
        "artifact": {"uri": f"azureml://registries/contoso/models/{name}/versions/1.{j}.0",
                     "digest": _digest(name, "weights", j)},
        "lineage": {
            "training_data": [{"dataset": dataset["name"], "version": dataset["version"]}],
            "evaluation_data": [{"dataset": eval_ds, "version": "1"}],
            "preprocessing": [{"name": "clean-and-encode", "code_ref": _sha1(name, "prep", j)}],
            "training_job": {"id": f"job-{name}-{j}", "code_ref": _sha1(name, "train", j),
                             "environment": "azureml:sklearn-1.5:3"},
        },
        "evaluations": [{"metric": "accuracy", "value": 0.95, "threshold": 0.9,
                         "dataset": {"dataset": eval_ds, "version": "1"},
                         "evaluated_at": _t(created + timedelta(days=1))}],
        "bias_assessments": [{"method": "demographic-parity", "passed": True,
                              "evaluated_at": _t(created + timedelta(days=1))}],
        "safety_evaluations": [{"suite": "content-safety-v2", "passed": True,
                                "evaluated_at": _t(created + timedelta(days=1))}],
        "approvals": [
            {"stage": "staging", "approved_by": "bob@contoso.com",
             "approved_at": _t(created + timedelta(days=2))},
            {"stage": "production", "approved_by": "carol@contoso.com",
             "approved_at": _t(created + timedelta(days=3))},
        ],
    }
    if kind == "fine_tuned":
        version["lineage"]["base_model"] = {"name": "gpt-4o-mini", "version": "2024-07-18"}
    if kind == "agent":
        version["config_artifacts"] = [
            {"kind": "prompt_template", "uri": f"git://prompts/{name}/{j}.jinja",
             "digest": _digest(name, "prompt", j)},
            {"kind": "rag_config", "uri": f"git://rag/{name}/{j}.yaml",
             "digest": _digest(name, "rag", j)}]
        del version["lineage"]["preprocessing"]
        del version["lineage"]["training_job"]
    if stage == "retired":
        retired = created + timedelta(days=30)
        version["retirement"] = {
            "retired_at": _t(retired), "reason": "superseded by a newer version",
            "record_uri": f"https://records.contoso.com/retirements/{name}/1.{j}.0",
            "retention_until": _t(retired + timedelta(days=3700))}
    return version, dataset


def _deployment(name: str, version: dict[str, Any], kind: str) -> dict[str, Any]:
    deployed = parse_time(version["created_at"]) + timedelta(days=4)
    return {
        "endpoint": f"{name}-prod", "model": name, "version": version["version"],
        "environment": "production", "traffic_percent": 100, "deployed_at": _t(deployed),
        "deployed_by": "release-bot@contoso.com",
        "content_safety": {"enabled": True, "filters": ["hate", "violence", "self-harm"]}
        if kind != "custom" else {"enabled": False},
        "monitoring": {"baseline_metrics": {"accuracy": 0.95},
                       "alert_thresholds": {"accuracy": 0.9}, "drift_detection": True},
        "rollout": [{"traffic_percent": 10, "at": _t(deployed)},
                    {"traffic_percent": 100, "at": _t(deployed + timedelta(hours=48))}],
    }


def _production(model: dict[str, Any]) -> dict[str, Any]:
    return model["versions"][-1]


Fault = Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], str]


def _no_lineage(model: dict[str, Any], version: dict[str, Any], dep: dict[str, Any]) -> str:
    del _production(model)["lineage"]
    return "lineage"


def _missing_artifact_digest(model: dict[str, Any], version: dict[str, Any],
                             dep: dict[str, Any]) -> str:
    del version["artifact"]["digest"]
    return "registry"


def _approval_after_deployment(model: dict[str, Any], version: dict[str, Any],
                               dep: dict[str, Any]) -> str:
    _production(model)["approvals"][1]["approved_at"] = _t(
        parse_time(dep["deployed_at"]) + timedelta(seconds=1))
    return "approval"


def _no_canary(model: dict[str, Any], version: dict[str, Any], dep: dict[str, Any]) -> str:
    dep["rollout"] = [{"traffic_percent": 100, "at": dep["deployed_at"]}]
    return "rollout"


def _no_monitoring(model: dict[str, Any], version: dict[str, Any], dep: dict[str, Any]) -> str:
    del dep["monitoring"]
    return "monitoring"


def _low_accuracy(model: dict[str, Any], version: dict[str, Any], dep: dict[str, Any]) -> str:
    _production(model)["evaluations"][0]["value"] = 0.5
    return "evaluation"


def _self_approval(model: dict[str, Any], version: dict[str, Any], dep: dict[str, Any]) -> str:
    version["approvals"][0]["approved_by"] = version["created_by"]
    return "approval"


def _retirement_without_record(model: dict[str, Any], version: dict[str, Any],
                               dep: dict[str, Any]) -> str:
    retired = model["versions"][0]
    if "retirement" not in retired:
        return _missing_artifact_digest(model, version, dep)
    del retired["retirement"]["record_uri"]
    return "retirement"


FAULTS: dict[str, Fault] = {
    "no_lineage": _no_lineage,
    "missing_artifact_digest": _missing_artifact_digest,
    "approval_after_deployment": _approval_after_deployment,
    "no_canary": _no_canary,
    "no_monitoring": _no_monitoring,
    "low_accuracy": _low_accuracy,
    "self_approval": _self_approval,
    "retirement_without_record": _retirement_without_record,
}


def generate(versions: int, *, violations: float = 0.0, seed: int = 0,
             versions_per_model: int = 5) -> dict[str, Any]:
    """A snapshot with `versions` model versions; `violations` is the share of faulty models."""
    rng = random.Random(seed)
    models: list[dict[str, Any]] = []
    datasets: list[dict[str, Any]] = []
    deployments: list[dict[str, Any]] = []
    i = 0
    remaining = versions
    while remaining > 0:
        count = min(versions_per_model, remaining)
        remaining -= count
        name = f"model-{i:06d}"
        tier, kind = TIERS[i % 3], _model_type(i)
        eval_ds = f"{name}-eval"
        datasets.append({"name": eval_ds, "version": "1", "uri": f"abfss://eval/{name}/v1",
                         "digest": _digest(name, "eval"), "personal_data": False})
        start = CAPTURED_AT - timedelta(days=30 * count + 60)
        model: dict[str, Any] = {"name": name, "owner": f"team-{i % 17}@contoso.com",
                                 "risk_tier": tier, "type": kind,
                                 "description": f"Synthetic {kind} model {i}", "versions": []}
        for j in range(count):
            version, dataset = _version(name, i, j, count, tier, kind, start, eval_ds)
            model["versions"].append(version)
            datasets.append(dataset)
        dep = _deployment(name, model["versions"][-1], kind)
        deployments.append(dep)
        if rng.random() < violations:
            fault = rng.choice(sorted(FAULTS))
            FAULTS[fault](model, rng.choice(model["versions"]), dep)
            model.setdefault("tags", {})["synthetic_fault"] = fault
        models.append(model)
        i += 1
    return {"schema_version": 1,
            "registry": {"name": "synthetic-registry", "source": "file",
                         "captured_at": _t(CAPTURED_AT), "organization": "Contoso (synthetic)"},
            "datasets": datasets, "models": models, "deployments": deployments}
