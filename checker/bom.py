"""The AI-BOM: a CycloneDX 1.6 ML-BOM of what serves each endpoint (or one).

Which versions serve an endpoint, and the lineage facts of each, are those of `almguard
lineage` (checker.lineage.endpoint_lineage: deployments with traffic > 0). For each one:

* a `machine-learning-model` component (artifact digest as its hash, the artifact URI as a
  distribution reference, the base model as its pedigree) with a model card: the evaluation
  metrics as performance metrics, and the evaluations, safety evaluations, bias assessments
  and approvals as `almguard:` properties (compact JSON records);
* its training and evaluation dataset versions as `data` components with their digests as
  hashes and their URI, personal-data flag and deletion as component data and properties;
* its preprocessing steps and training job as a formulation workflow (datasets in, model out);
* dependencies: registry -> endpoints (services) -> model versions -> datasets.

The document is built as plain JSON data in the shape of the CycloneDX 1.6 schema, and the
tests hold every BOM to cyclonedx-python-lib's strict validator of that schema. The
library's object model is not used to build it: 11.12 models neither `modelCard`, component
`data` nor `formulation`, and its dependency registration is quadratic (a 10,000-version
registry took minutes). Deterministic: the serial number and bom-refs are version-5 UUIDs of
the snapshot digest and of resource ids, the timestamp is the snapshot's captured_at.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel

from . import __version__
from .ids import dataset_id, dataset_refs, model_version_id
from .lineage import DatasetTrace, EndpointLineage, VersionTrace, endpoint_lineage
from .snapshot import Dataset, DatasetRef, Deployment, Model, ModelVersion, Snapshot

if TYPE_CHECKING:
    from .sources.interface import LoadedSnapshot

BOM_ATTACHMENT = "almguard-serving-aibom.cdx.json"   # sorts after almguard-result.json
MEDIA_TYPE = "application/vnd.cyclonedx+json"
SCHEMA = "http://cyclonedx.org/schema/bom-1.6.schema.json"
NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://almguard.dev/ns/cyclonedx")

_HASHES = {"md5": ("MD5", 32), "sha1": ("SHA-1", 40), "sha256": ("SHA-256", 64),
           "sha384": ("SHA-384", 96), "sha512": ("SHA-512", 128)}
# An absolute URI (or IRI) that JSON Schema's iri-reference accepts: a scheme, no blanks,
# brackets or quotes, percent signs only as escapes, one '#' at most.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:(?:[^\s\"<>\\^`{|}\[\]%#]|%[0-9A-Fa-f]{2})*"
                  r"(?:#(?:[^\s\"<>\\^`{|}\[\]%#]|%[0-9A-Fa-f]{2})*)?")


@dataclass(frozen=True)
class AiBom:
    text: str
    endpoints: list[str]
    model_versions: int
    datasets: int


def _json(record: Any) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _uri(text: str | None) -> str | None:
    return text if text and _URI.fullmatch(text) else None


def _digest(text: str | None) -> tuple[str, str] | None:
    """(CycloneDX algorithm, hex) of a digest written `alg:hex`; None for any other."""
    if not text or ":" not in text:
        return None
    name, _, value = text.partition(":")
    known = _HASHES.get(name.lower().replace("-", ""))
    if known is None or len(value) != known[1] or not re.fullmatch(r"[0-9a-fA-F]+", value):
        return None
    return known[0], value.lower()


def _props(*pairs: tuple[str, Any]) -> list[dict[str, str]]:
    """`almguard:` properties of the values given (None and blanks left out), sorted."""
    out = []
    for name, value in pairs:
        if value is None or value == "":
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        out.append({"name": f"almguard:{name}", "value": text})
    return sorted(out, key=lambda p: (p["name"], p["value"]))


def _hashes(digest: str | None) -> dict[str, Any]:
    found = _digest(digest)
    return {"hashes": [{"alg": found[0], "content": found[1]}]} if found else {}


def _without_empty(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if v not in (None, "", [], {})}


class _Builder:
    """One BOM's components, dependencies and formulation, keyed by bom-ref."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.space = uuid.uuid5(NS, f"registry|{snapshot.registry.name}")
        self.models = {m.name: m for m in snapshot.models}
        self.datasets = {dataset_id(d.name, d.version): d for d in snapshot.datasets}
        self.components: dict[str, dict[str, Any]] = {}
        self.depends: dict[str, list[str]] = {}
        self.formulation: list[dict[str, Any]] = []

    def ref(self, kind: str, ident: str) -> str:
        return str(uuid.uuid5(self.space, f"{kind}|{ident}"))

    def dataset(self, ref: DatasetRef, trace: DatasetTrace) -> str:
        bom_ref = self.ref("dataset", trace.id)
        if bom_ref in self.components:
            return bom_ref
        found: Dataset | None = self.datasets.get(trace.id)
        cert = found.deletion_certificate if found else None
        data: dict[str, Any] = {"type": "dataset", "name": trace.id}
        if _uri(trace.uri):
            data["contents"] = {"url": trace.uri}
        if trace.personal_data:
            data["sensitiveData"] = ["personal data"]
        if not trace.recorded:
            data["description"] = ("Named by the model version's lineage; the registry "
                                   "snapshot does not record this dataset version.")
        self.components[bom_ref] = _without_empty({
            "type": "data", "bom-ref": bom_ref, "name": ref.dataset, "version": ref.version,
            **_hashes(trace.digest), "data": [data],
            "properties": _props(
                ("dataset", trace.id), ("recorded", None if trace.recorded else False),
                ("personal_data", trace.personal_data if trace.recorded else None),
                ("digest", trace.digest if not _digest(trace.digest) else None),
                ("uri", trace.uri if not _uri(trace.uri) else None),
                ("created_at", found.created_at if found else None),
                ("created_by", found.created_by if found else None),
                ("retention_until", found.retention_until if found else None),
                ("deleted_at", trace.deleted_at),
                ("deletion_certificate", _json(cert.model_dump(exclude_none=True))
                 if cert else None))})
        self.depends[bom_ref] = []
        return bom_ref

    def model_version(self, trace: VersionTrace) -> str:
        ident = model_version_id(trace.model, trace.version)
        bom_ref = self.ref("model_version", ident)
        if bom_ref in self.components:
            return bom_ref
        model: Model | None = self.models.get(trace.model)
        version: ModelVersion | None = None
        if model is not None:
            version = next((v for v in model.versions if v.version == trace.version), None)
        self.depends[bom_ref] = []
        if model is None or version is None:
            self.components[bom_ref] = {
                "type": "machine-learning-model", "bom-ref": bom_ref, "name": trace.model,
                "version": trace.version,
                "properties": _props(("model_version", ident), ("recorded", False))}
            return bom_ref
        lineage = version.lineage
        training = list(zip(lineage.training_data, trace.training_data)) if lineage else []
        evaluation = (list(zip(lineage.evaluation_data, trace.evaluation_data))
                      if lineage else [])
        data_refs = [self.dataset(r, t) for r, t in training + evaluation]
        self.depends[bom_ref] = list(dict.fromkeys(data_refs))
        pedigree = None
        base = lineage.base_model if lineage else None
        if base is not None:
            base_id = base.name + (f"@{base.version}" if base.version else "")
            pedigree = {"ancestors": [_without_empty({
                "type": "machine-learning-model", "name": base.name, "version": base.version,
                "bom-ref": self.ref("base_model", f"{ident}|{base_id}")})]}
        artifact_uri = version.artifact.uri if version.artifact else None
        self.components[bom_ref] = _without_empty({
            "type": "machine-learning-model", "bom-ref": bom_ref, "name": trace.model,
            "version": trace.version, "description": model.description,
            **_hashes(trace.artifact_digest),
            "externalReferences": [{"type": "distribution", "url": artifact_uri,
                                    "comment": "model artifact"}]
            if _uri(artifact_uri) else [],
            "pedigree": pedigree,
            "modelCard": _model_card(version, data_refs),
            "properties": _props(
                ("model_version", ident), ("stage", version.stage), ("owner", model.owner),
                ("risk_tier", model.risk_tier), ("model_type", model.type),
                ("created_at", version.created_at), ("created_by", version.created_by),
                ("artifact_digest", trace.artifact_digest
                 if not _digest(trace.artifact_digest) else None),
                ("artifact_uri", artifact_uri if not _uri(artifact_uri) else None),
                *(("training_data", t.id) for _, t in training),
                *(("evaluation_data", t.id) for _, t in evaluation),
                *(("config_artifact", _json(c.model_dump(exclude_none=True)))
                  for c in version.config_artifacts))})
        self.formula(ident, bom_ref, trace, data_refs[:len(training)])
        return bom_ref

    def formula(self, ident: str, model_ref: str, trace: VersionTrace,
                training_refs: list[str]) -> None:
        """Preprocessing steps, then the training job: datasets in, the model out."""
        job = trace.training_job or {}
        if not (trace.preprocessing or job or training_refs):
            return
        tasks: list[dict[str, Any]] = []
        for n, step in enumerate(trace.preprocessing, 1):
            tasks.append(_without_empty({
                "bom-ref": self.ref("preprocessing", f"{ident}#{n}"),
                "uid": f"{ident}:preprocessing:{n}", "name": step.name, "taskTypes": ["other"],
                "properties": _props(("code_ref", step.code_ref), ("digest", step.digest))}))
        tasks.append(_without_empty({
            "bom-ref": self.ref("training_job", ident),
            "uid": job.get("id") or f"{ident}:training-job",
            "name": f"training job {job['id']}" if job.get("id") else "training job",
            "taskTypes": ["build"],
            "properties": _props(*((k, job.get(k)) for k in ("id", "code_ref",
                                                              "environment")))}))
        self.formulation.append({"bom-ref": self.ref("formula", ident), "workflows": [
            _without_empty({
                "bom-ref": self.ref("workflow", ident), "uid": f"{ident}:training",
                "name": f"training of {ident}", "taskTypes": ["build"], "tasks": tasks,
                "inputs": [{"resource": {"ref": r}} for r in training_refs],
                "outputs": [{"type": "artifact", "resource": {"ref": model_ref}}],
                "taskDependencies": [{"ref": later["bom-ref"], "dependsOn": [earlier["bom-ref"]]}
                                     for earlier, later in zip(tasks, tasks[1:])]})]})


def _model_card(version: ModelVersion, data_refs: list[str]) -> dict[str, Any]:
    card: dict[str, Any] = {}
    if data_refs:
        card["modelParameters"] = {"datasets": [{"ref": r} for r in dict.fromkeys(data_refs)]}
    metrics = []
    for e in version.evaluations:
        metric: dict[str, Any] = {"type": e.metric, "value": json.dumps(e.value)}
        if e.dataset is not None:
            metric["slice"] = dataset_id(e.dataset.dataset, e.dataset.version)
        metrics.append(metric)
    if metrics:
        card["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    records: list[tuple[str, BaseModel]] = [("evaluation", e) for e in version.evaluations]
    records += [("safety_evaluation", s) for s in version.safety_evaluations]
    records += [("bias_assessment", b) for b in version.bias_assessments]
    records += [("approval", a) for a in version.approvals]
    if records:   # in the snapshot's order: not sorted
        card["properties"] = [{"name": f"almguard:{name}",
                               "value": _json(r.model_dump(mode="json", exclude_none=True))}
                              for name, r in records]
    return card


def _answers(snapshot: LoadedSnapshot, endpoints: list[str]) -> list[EndpointLineage]:
    """endpoint_lineage of each endpoint (which versions serve it, and their lineage), each
    asked about its part of the registry only: its deployments, their models and the
    datasets those reference. The answers are the same as for the whole snapshot, and
    answering every endpoint of a large registry stays linear. An unknown endpoint is
    asked about the whole snapshot: its UsageError names the endpoints there are."""
    model = snapshot.model
    on: dict[str, list[Deployment]] = {}
    for d in model.deployments:
        on.setdefault(d.endpoint, []).append(d)
    models = {m.name: m for m in model.models}
    versions = {m["name"]: m.get("versions") or [] for m in snapshot.document.get("models")
                or ()}
    datasets = {dataset_id(d.name, d.version): d for d in model.datasets}
    answers = []
    for name in endpoints:
        group = on.get(name)
        if not group:
            answers.append(endpoint_lineage(model, name, (), ()))
            continue
        names = [n for n in dict.fromkeys(d.model for d in group) if n in models]
        refs = dict.fromkeys(r for n in names for v in versions[n] for r in dataset_refs(v))
        part = Snapshot.model_construct(
            schema_version=1, registry=model.registry, models=[models[n] for n in names],
            datasets=[datasets[r] for r in refs if r in datasets], deployments=group)
        answers.append(endpoint_lineage(part, name, (), ()))
    return answers


def build_bom(snapshot: LoadedSnapshot, endpoint: str | None = None) -> AiBom:
    """The ML-BOM of the versions serving `endpoint`, or every endpoint; UsageError for an
    endpoint the snapshot does not have."""
    model = snapshot.model
    registry = model.registry
    endpoints = ([endpoint] if endpoint is not None
                 else sorted({d.endpoint for d in model.deployments}))
    b = _Builder(model)
    services: list[dict[str, Any]] = []
    for answer in _answers(snapshot, endpoints):
        name = answer.endpoint
        bom_ref = b.ref("endpoint", name)
        b.depends[bom_ref] = list(dict.fromkeys(b.model_version(t) for t in answer.serving))
        services.append({"bom-ref": bom_ref, "name": name, "properties": _props(
            ("endpoint", name),
            *(("deployment", _json(t.model_dump(include={
                "model", "version", "environment", "traffic_percent", "deployed_at"},
                exclude_none=True))) for t in answer.serving))})
    registry_ref = b.ref("registry", registry.name)
    b.depends[registry_ref] = [s["bom-ref"] for s in services]
    subject = _without_empty({
        "type": "platform", "bom-ref": registry_ref, "name": registry.name,
        "description": f"Model registry {registry.name} as captured at "
                       f"{registry.captured_at}",
        "supplier": {"name": registry.organization} if registry.organization else None,
        "properties": _props(("registry", registry.name), ("source", registry.source),
                             ("captured_at", registry.captured_at),
                             ("snapshot_digest", snapshot.digest))})
    scope = endpoint if endpoint is not None else "*"
    components = sorted(b.components.values(),
                        key=lambda c: (c["type"], c["name"], c.get("version", ""),
                                       c["bom-ref"]))
    document = _without_empty({
        "$schema": SCHEMA, "bomFormat": "CycloneDX", "specVersion": "1.6",
        "serialNumber": "urn:uuid:" + str(uuid.uuid5(
            NS, f"bom|{snapshot.digest}|{scope}|{__version__}")),
        "version": 1,
        "metadata": {
            "timestamp": registry.captured_at,
            "tools": {"components": [{"type": "application", "name": "almguard",
                                      "version": __version__,
                                      "bom-ref": str(uuid.uuid5(NS, "tool|almguard"))}]},
            "component": subject,
            "properties": _props(("snapshot_digest", snapshot.digest), ("endpoint", endpoint))},
        "components": components,
        "services": sorted(services, key=lambda s: s["name"]),
        "dependencies": [_without_empty({"ref": ref, "dependsOn": sorted(set(deps))})
                         for ref, deps in sorted(b.depends.items())],
        "formulation": sorted(b.formulation, key=lambda f: f["bom-ref"])})
    # orjson writes what json.dumps(indent=2, sort_keys=True, ensure_ascii=False) does (no
    # float is outside a string here), about ten times faster
    text = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
                        ).decode("utf-8") + "\n"
    return AiBom(text, endpoints,
                 sum(1 for c in components if c["type"] == "machine-learning-model"),
                 sum(1 for c in components if c["type"] == "data"))
