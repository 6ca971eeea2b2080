"""Canonical resource ids and the resources of a snapshot: the one place Python builds them.

The policies build the same ids (policies/almguard/lib/snapshot.rego: versions_by_id,
datasets_by_id, deployment_id, dataset_ref_id), and findings name their resource by them:

    model          name                      credit-risk-scorer
    model_version  model@version             credit-risk-scorer@2.1.0
    dataset        name@version              loan-applications@7
    deployment     endpoint/model@version    credit-risk-prod/credit-risk-scorer@2.1.0
    endpoint       name                      credit-risk-prod

A listing, not a judgement: the JUnit output and the report's check counts use `resources`
to show every resource a rule looked at, not only those it failed. Whether anything passes
is the decision's (checker.pipeline, data.almguard.decision).
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

Key = tuple[str, str]
"""A resource as findings name it: (kind, canonical id)."""


def model_version_id(model: str, version: str) -> str:
    return f"{model}@{version}"


def dataset_id(name: str, version: str) -> str:
    return f"{name}@{version}"


def deployment_id(endpoint: str, model: str, version: str) -> str:
    return f"{endpoint}/{model}@{version}"


# The same ids of the entities of a snapshot document (plain mappings, as written).

def dataset_of(dataset: Mapping[str, Any]) -> str:
    """The id of a dataset entry ({name, version})."""
    return dataset_id(dataset["name"], dataset["version"])


def ref_of(ref: Mapping[str, Any]) -> str:
    """The id of the dataset a reference ({dataset, version}) names."""
    return dataset_id(ref["dataset"], ref["version"])


def deployment_of(deployment: Mapping[str, Any]) -> str:
    """The id of a deployment entry ({endpoint, model, version})."""
    return deployment_id(deployment["endpoint"], deployment["model"], deployment["version"])


def dataset_refs(version: Mapping[str, Any]) -> Iterator[str]:
    """Ids of every dataset a model version references: its training and evaluation data,
    the datasets of its evaluations and of its data deletion certificates (the references of
    snapshot.rego's version_dataset_refs)."""
    lineage = version.get("lineage") or {}
    for key in ("training_data", "evaluation_data"):
        for ref in lineage.get(key) or ():
            yield ref_of(ref)
    for evaluation in version.get("evaluations") or ():
        ref = evaluation.get("dataset")
        if ref:
            yield ref_of(ref)
    for cert in (version.get("retirement") or {}).get("data_deletion_certificates") or ():
        for ref in cert.get("datasets") or ():
            yield ref_of(ref)


def resources(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every resource of a snapshot document by kind, with the canonical ids of findings."""
    models = document.get("models") or []
    deployments = document.get("deployments") or []
    return {
        "model": [m["name"] for m in models],
        "model_version": [model_version_id(m["name"], v["version"]) for m in models
                          for v in m.get("versions") or ()],
        "dataset": [dataset_of(d) for d in document.get("datasets") or ()],
        "deployment": [deployment_of(d) for d in deployments],
        "endpoint": sorted({d["endpoint"] for d in deployments}),
    }
