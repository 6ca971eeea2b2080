"""The audit question: which data trained what an endpoint serves?

The facts come from the snapshot: for each version an endpoint serves (traffic > 0), its
training and evaluation dataset versions with digests and URIs, its preprocessing steps,
training job and base model. What is *missing* comes from the decision: the findings of
the lineage rules (category lineage, and the rules whose METADATA says they are lineage
evidence: a deployment naming an unregistered version, a lineage link to an unregistered
dataset) about the serving deployment, its version and the datasets it names. So the
answer can never disagree with a scan, whatever policy data is in force.

For a composed snapshot, each version also names which source said each fact it shows
(the composition's provenance, checker.compose.Provenance). That is display only: nothing
here or in the decision reads it; without it the answer is exactly as before.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from .compose import Provenance
from .errors import UsageError
from .ids import Key, dataset_id, deployment_id, model_version_id
from .metadata import RuleMeta
from .results import Finding
from .snapshot import Dataset, DatasetRef, Deployment, Model, ModelVersion, Snapshot


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)

    @model_serializer(mode="wrap")
    def _without_absent_provenance(self, handler: SerializerFunctionWrapHandler
                                   ) -> dict[str, Any]:
        """No `provenance` key at all when there is none: a plain snapshot's answer is the
        same document as before provenance existed."""
        data: dict[str, Any] = handler(self)
        if data.get("provenance", 0) is None:
            del data["provenance"]
        return data


Said = dict[str, dict[str, list[str]]]
"""Provenance of shown facts: resource (`KIND:ID`) -> field (dotted) -> the sources."""

# The fields of each resource that the answer shows, and so whose sources it names.
SHOWN: dict[str, tuple[str, ...]] = {
    "deployment": ("traffic_percent", "environment", "deployed_at"),
    "model_version": ("stage", "artifact.digest", "lineage.training_data",
                      "lineage.evaluation_data", "lineage.preprocessing",
                      "lineage.training_job", "lineage.base_model"),
    "dataset": ("uri", "digest", "personal_data", "deleted_at"),
}


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
    provenance: Said | None = None

    @property
    def complete(self) -> bool:
        return not self.missing

    def said(self, kind: str, *fields: str, ident: str | None = None) -> str | None:
        """Who said these fields (or what lies under them) of this version's deployment
        (kind `deployment`), model version (`model_version`) or a dataset (`dataset`,
        `ident` its id): "registry, lineage", or None without provenance."""
        if self.provenance is None:
            return None
        resource = {"deployment": f"deployment:{self.deployment}",
                    "model_version": f"model_version:{self.model}@{self.version}"
                    }.get(kind, f"{kind}:{ident}")
        found: dict[str, None] = {}
        for name, sources in (self.provenance.get(resource) or {}).items():
            if any(name == f or name.startswith(f + ".") for f in fields):
                found.update(dict.fromkeys(sources))
        return ", ".join(found) or None

    def sources_line(self, facts: Sequence[tuple[str, str, str]]) -> str | None:
        """Who said these facts, (label, kind, field) each, as one phrase grouped by
        source: "traffic, environment from cluster; stage from registry"."""
        by: dict[str, list[str]] = {}
        for label, kind, name in facts:
            said = self.said(kind, name)
            if said:
                by.setdefault(said, []).append(label)
        return "; ".join(f"{', '.join(labels)} from {said}"
                         for said, labels in by.items()) or None


# The facts of a serving version's head line (traffic, environment, time, stage).
HEAD_FACTS = (("traffic", "deployment", "traffic_percent"),
              ("environment", "deployment", "environment"),
              ("deployed", "deployment", "deployed_at"),
              ("stage", "model_version", "stage"))


class SourceSummary(_Out):
    """The composition an answer's facts come from: the snapshot digest it records and
    the sources, in the config's order."""

    snapshot: str
    config: str
    sources: list[dict[str, str]]


class EndpointLineage(_Out):
    endpoint: str
    registry: str
    captured_at: str
    serving: list[VersionTrace]
    missing: list[str] = []
    provenance: SourceSummary | None = None

    @property
    def complete(self) -> bool:
        return not self.missing and all(v.complete for v in self.serving)


class LineageFindings:
    """The findings that answer the audit question, by resource."""

    def __init__(self, findings: Iterable[Finding], rules: Iterable[RuleMeta]) -> None:
        evidence = {r.id for r in rules if r.category == "lineage" or r.lineage_evidence}
        self._on: dict[Key, list[Finding]] = {}
        for f in findings:
            if f.rule_id in evidence:
                self._on.setdefault((f.resource.kind, f.resource.id), []).append(f)

    def missing(self, keys: Sequence[Key]) -> list[str]:
        seen: dict[str, None] = {}
        for key in keys:
            for f in self._on.get(key, ()):
                note = " (waived)" if f.waived else ""
                seen.setdefault(f"{f.rule_id}: {f.message}{note}", None)
        return list(seen)


def _dataset(ref: DatasetRef, datasets: dict[str, Dataset]) -> DatasetTrace:
    ident = dataset_id(ref.dataset, ref.version)
    found = datasets.get(ident)
    if found is None:
        return DatasetTrace(id=ident, recorded=False)
    return DatasetTrace(id=ident, recorded=True, uri=found.uri, digest=found.digest,
                        personal_data=found.personal_data, deleted_at=found.deleted_at)


def shown_provenance(provenance: Provenance, resources: Iterable[Key]) -> Said:
    """The provenance of the fields the answer shows about these resources."""
    out: Said = {}
    for kind, ident in resources:
        resource = f"{kind}:{ident}"
        fields = {name: list(sources)
                  for name, sources in (provenance.resources.get(resource) or {}).items()
                  if any(name == f or name.startswith(f + ".") for f in SHOWN[kind])}
        if fields:
            out[resource] = fields
    return out


def trace_version(deployment: Deployment, models: dict[str, Model],
                  datasets: dict[str, Dataset], findings: LineageFindings,
                  provenance: Provenance | None = None) -> VersionTrace:
    """The facts of one deployment's version, and what the lineage findings say is
    missing about the deployment, the version and the datasets it names; with the
    composition's `provenance`, which source said each fact shown."""
    deployment_key = deployment_id(deployment.endpoint, deployment.model, deployment.version)
    version_key = model_version_id(deployment.model, deployment.version)
    base: dict[str, Any] = dict(
        deployment=deployment_key, model=deployment.model, version=deployment.version,
        environment=deployment.environment, traffic_percent=float(deployment.traffic_percent),
        deployed_at=deployment.deployed_at)
    model = models.get(deployment.model)
    version: ModelVersion | None = None
    if model is not None:
        version = next((v for v in model.versions if v.version == deployment.version), None)
    if model is None or version is None:
        said = (shown_provenance(provenance, [("deployment", deployment_key)])
                if provenance is not None else None)
        return VersionTrace(**base, provenance=said, missing=findings.missing(
            [("deployment", deployment_key), ("model_version", version_key)]))
    lineage = version.lineage
    training = [_dataset(r, datasets) for r in (lineage.training_data if lineage else [])]
    evaluation = [_dataset(r, datasets) for r in (lineage.evaluation_data if lineage else [])]
    steps = [StepTrace(name=s.name, code_ref=s.code_ref, digest=s.digest)
             for s in (lineage.preprocessing if lineage else [])]
    job = lineage.training_job if lineage else None
    base_model = None
    if lineage and lineage.base_model:
        base_model = lineage.base_model.name + (
            f"@{lineage.base_model.version}" if lineage.base_model.version else "")
    keys: list[Key] = [("deployment", deployment_key), ("model_version", version_key),
                       ("model", deployment.model)]
    keys += [("dataset", d.id) for d in training + evaluation]
    said = None
    if provenance is not None:
        said = shown_provenance(provenance, [key for key in keys if key[0] != "model"])
    return VersionTrace(
        **base, stage=version.stage,
        artifact_digest=version.artifact.digest if version.artifact else None,
        training_data=training, evaluation_data=evaluation, preprocessing=steps,
        training_job=job.model_dump() if job else None, base_model=base_model,
        missing=findings.missing(keys), provenance=said)


def summary_of(provenance: Provenance) -> SourceSummary:
    return SourceSummary(snapshot=provenance.snapshot, config=provenance.config,
                         sources=[s.model_dump() for s in provenance.sources])


def endpoint_lineage(snapshot: Snapshot, endpoint: str, findings: Iterable[Finding],
                     rules: Iterable[RuleMeta], provenance: Provenance | None = None
                     ) -> EndpointLineage:
    """The answer for one endpoint; `provenance` (of a composed snapshot, display only)
    names the source of each fact shown."""
    on_endpoint = [d for d in snapshot.deployments if d.endpoint == endpoint]
    if not on_endpoint:
        known = sorted({d.endpoint for d in snapshot.deployments})
        hint = f" (endpoints: {', '.join(known)})" if known else " (it has no deployments)"
        raise UsageError(f"no endpoint '{endpoint}' in the snapshot{hint}")
    models = {m.name: m for m in snapshot.models}
    datasets = {dataset_id(d.name, d.version): d for d in snapshot.datasets}
    index = LineageFindings(findings, rules)
    serving = [trace_version(d, models, datasets, index, provenance)
               for d in on_endpoint if d.traffic_percent > 0]
    missing = index.missing([("endpoint", endpoint)])
    if not serving:
        missing = ["the endpoint serves no traffic"] + missing
    return EndpointLineage(endpoint=endpoint, registry=snapshot.registry.name,
                           captured_at=snapshot.registry.captured_at, serving=serving,
                           missing=missing,
                           provenance=summary_of(provenance) if provenance else None)
