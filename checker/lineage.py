"""The audit question: which data trained what an endpoint serves?

Answered from the snapshot alone: for each version an endpoint serves (traffic > 0), its
training and evaluation dataset versions with digests and URIs, its preprocessing steps,
training job and base model, and a plain list of what the registry does not record.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .errors import UsageError
from .policyset import PolicySet
from .snapshot import Dataset, DatasetRef, Deployment, Model, ModelVersion, Snapshot


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class DatasetTrace(_Out):
    id: str
    recorded: bool
    uri: str | None = None
    digest: str | None = None
    personal_data: bool = False
    deleted_at: str | None = None


class StepTrace(_Out):
    name: str
    code_ref: str | None = None
    digest: str | None = None


class VersionTrace(_Out):
    deployment: str
    model: str
    version: str
    environment: str
    traffic_percent: float
    deployed_at: str | None = None
    stage: str | None = None
    artifact_digest: str | None = None
    training_data: list[DatasetTrace] = []
    evaluation_data: list[DatasetTrace] = []
    preprocessing: list[StepTrace] = []
    training_job: dict[str, str | None] | None = None
    base_model: str | None = None
    missing: list[str] = []

    @property
    def complete(self) -> bool:
        return not self.missing


class EndpointLineage(_Out):
    endpoint: str
    registry: str
    captured_at: str
    serving: list[VersionTrace]
    missing: list[str] = []

    @property
    def complete(self) -> bool:
        return not self.missing and all(v.complete for v in self.serving)


def _dataset(ref: DatasetRef, datasets: dict[str, Dataset], missing: list[str],
             role: str) -> DatasetTrace:
    ident = f"{ref.dataset}@{ref.version}"
    found = datasets.get(ident)
    if found is None:
        missing.append(f"{role} dataset {ident} is not in the registry")
        return DatasetTrace(id=ident, recorded=False)
    if not found.digest:
        missing.append(f"{role} dataset {ident} has no content digest")
    if found.deleted_at:
        missing.append(f"{role} dataset {ident} was deleted at {found.deleted_at}")
    return DatasetTrace(id=ident, recorded=True, uri=found.uri, digest=found.digest,
                        personal_data=found.personal_data, deleted_at=found.deleted_at)


def trace_version(deployment: Deployment, models: dict[str, Model],
                  datasets: dict[str, Dataset],
                  provenance_exempt: frozenset[str] = frozenset()) -> VersionTrace:
    """Trace one deployment's version. Models whose type is in provenance_exempt (policy
    data lineage.provenance_exempt_types: agents, foundation models) are not asked for
    preprocessing steps or a training job, as in the lineage rules."""
    base = dict(deployment=f"{deployment.endpoint}/{deployment.model}@{deployment.version}",
                model=deployment.model, version=deployment.version,
                environment=deployment.environment,
                traffic_percent=float(deployment.traffic_percent),
                deployed_at=deployment.deployed_at)
    model = models.get(deployment.model)
    version: ModelVersion | None = None
    if model is not None:
        version = next((v for v in model.versions if v.version == deployment.version), None)
    if model is None or version is None:
        return VersionTrace(**base, missing=[
            f"the registry has no model version {deployment.model}@{deployment.version}"])
    missing: list[str] = []
    lineage = version.lineage
    if lineage is None or not lineage.training_data:
        missing.append("no training-data lineage recorded")
    training = [_dataset(r, datasets, missing, "training") for r in
                (lineage.training_data if lineage else [])]
    evaluation = [_dataset(r, datasets, missing, "evaluation") for r in
                  (lineage.evaluation_data if lineage else [])]
    steps = [StepTrace(name=s.name, code_ref=s.code_ref, digest=s.digest)
             for s in (lineage.preprocessing if lineage else [])]
    job = lineage.training_job if lineage else None
    if lineage is not None and (model.type or "") not in provenance_exempt:
        if not steps:
            missing.append("no preprocessing steps recorded")
        missing.extend(f"preprocessing step '{s.name}' has no code reference"
                       for s in steps if not s.code_ref)
        if job is None:
            missing.append("no training job recorded")
        elif not job.code_ref:
            missing.append("training job has no code reference")
    base_model = None
    if lineage and lineage.base_model:
        base_model = lineage.base_model.name + (
            f"@{lineage.base_model.version}" if lineage.base_model.version else "")
    return VersionTrace(
        **base, stage=version.stage,
        artifact_digest=version.artifact.digest if version.artifact else None,
        training_data=training, evaluation_data=evaluation, preprocessing=steps,
        training_job=job.model_dump() if job else None, base_model=base_model,
        missing=missing)


def endpoint_lineage(snapshot: Snapshot, endpoint: str,
                     provenance_exempt: frozenset[str] = frozenset()) -> EndpointLineage:
    on_endpoint = [d for d in snapshot.deployments if d.endpoint == endpoint]
    if not on_endpoint:
        known = sorted({d.endpoint for d in snapshot.deployments})
        hint = f" (endpoints: {', '.join(known)})" if known else " (it has no deployments)"
        raise UsageError(f"no endpoint '{endpoint}' in the snapshot{hint}")
    models = {m.name: m for m in snapshot.models}
    datasets = {f"{d.name}@{d.version}": d for d in snapshot.datasets}
    serving = [trace_version(d, models, datasets, provenance_exempt)
               for d in on_endpoint if d.traffic_percent > 0]
    missing = [] if serving else ["the endpoint serves no traffic"]
    return EndpointLineage(endpoint=endpoint, registry=snapshot.registry.name,
                           captured_at=snapshot.registry.captured_at, serving=serving,
                           missing=missing)


def provenance_exempt(policies: PolicySet) -> frozenset[str]:
    """Model types the lineage rules do not ask for preprocessing or a training job."""
    config = policies.data.get("almguard", {}).get("config", {})
    return frozenset(config.get("lineage", {}).get("provenance_exempt_types", ()))
