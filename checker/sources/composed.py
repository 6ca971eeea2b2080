"""Snapshot source: a compose config — several sources merged into one snapshot-v1.

The registry sources (file, mlflow, azureml) are loaded first, as their own commands load
them; the others (kserve, ledger, openlineage) then read their files, matching what they
say to the model versions the registry sources listed (artifact URIs, training run ids).
checker.compose merges the fragments; the result is validated as any snapshot is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..compose import (
    ComposeConfig,
    Composition,
    Fragment,
    SourceSpec,
    compose,
    load_config,
)
from ..errors import AlmguardError, SnapshotError
from ..ids import Key, model_version_id
from .interface import LoadedSnapshot, SnapshotSource, validate

REGISTRY_KINDS = ("file", "mlflow", "azureml")


class ComposedSource(SnapshotSource):
    """The snapshot a compose config describes; `provenance` and `notes` after load()."""

    def __init__(self, config: str | Path) -> None:
        self.config_path = Path(config)
        self.provenance: dict[str, Any] | None = None
        self.notes: list[str] = []

    def load(self) -> LoadedSnapshot:
        config = load_config(self.config_path)
        composition = self.compose(config)
        snapshot = validate(composition.document, origin=str(config.path), text=None)
        self.provenance = dict(composition.provenance, snapshot=snapshot.digest)
        self.notes = list(composition.notes)
        return snapshot

    def compose(self, config: ComposeConfig) -> Composition:
        fragments: dict[str, Fragment] = {}
        registry = [s for s in config.sources if s.kind in REGISTRY_KINDS]
        for spec in registry:
            fragments[spec.name] = _named(spec, lambda s=spec: _registry_fragment(config, s))
        known = list(fragments.values())
        for spec in config.sources:
            if spec.name not in fragments:
                fragments[spec.name] = _named(
                    spec, lambda s=spec: _other_fragment(config, s, known))
        return compose(config, [fragments[s.name] for s in config.sources])


def _named(spec: SourceSpec, build: Any) -> Fragment:
    """Build a fragment; an error in a source's input says which source it was."""
    try:
        fragment: Fragment = build()
    except SnapshotError as exc:
        raise SnapshotError(f"{exc.message} (source {spec.name!r})", file=exc.file,
                            line=exc.line, path=exc.path) from None
    except AlmguardError as exc:
        raise type(exc)(f"{exc.message} (source {spec.name!r})", file=exc.file,
                        line=exc.line, path=exc.path) from None
    return fragment


def _registry_fragment(config: ComposeConfig, spec: SourceSpec) -> Fragment:
    from ..locate import resource_lines
    source: SnapshotSource
    captured_at = config.registry.captured_at
    if spec.kind == "file":
        from .file import FileSource
        source = FileSource(config.resolve(spec.path))
        origin = str(config.resolve(spec.path))
    elif spec.kind == "mlflow":
        from .mlflow import MLflowSource
        source = MLflowSource(spec.tracking_uri, models=spec.models, captured_at=captured_at)
        origin = source.origin
    else:
        assert spec.kind == "azureml"
        from .azureml import AzureMLExportSource
        source = AzureMLExportSource(config.resolve(spec.path), captured_at=captured_at,
                                     registry_name=config.registry.name,
                                     allow_unexported_models=spec.allow_unexported_models)
        origin = str(config.resolve(spec.path))
    snapshot = source.load()
    lines = resource_lines(snapshot)
    where: dict[Key, tuple[str, int | None]] = {key: (snapshot.origin, line)
                                                for key, line in lines.items()}
    doc = snapshot.document
    notes = [f"{spec.name}: {n}" for n in getattr(source, "notes", ())]
    notes += [f"{spec.name}: warning: {w}" for w in getattr(source, "warnings", ())]
    return Fragment(source=spec.name, kind=spec.kind, origin=origin,
                    datasets=list(doc.get("datasets") or ()),
                    models=list(doc.get("models") or ()),
                    deployments=list(doc.get("deployments") or ()), where=where,
                    captured_at=doc["registry"]["captured_at"], notes=notes)


def artifact_index(fragments: list[Fragment]) -> dict[str, tuple[str, str]]:
    """artifact URI -> (model, version) over the registry sources' model versions."""
    index: dict[str, tuple[str, str]] = {}
    for fragment in fragments:
        for model in fragment.models:
            for version in model.get("versions") or ():
                uri = (version.get("artifact") or {}).get("uri")
                if uri:
                    index.setdefault(uri, (model["name"], version["version"]))
    return index


def run_index(fragments: list[Fragment]) -> dict[str, tuple[str, str]]:
    """training job id (e.g. an MLflow run id) -> (model, version)."""
    index: dict[str, tuple[str, str]] = {}
    for fragment in fragments:
        for model in fragment.models:
            for version in model.get("versions") or ():
                job = ((version.get("lineage") or {}).get("training_job") or {}).get("id")
                if job:
                    index.setdefault(job, (model["name"], version["version"]))
    return index


def known_versions(fragments: list[Fragment]) -> set[str]:
    return {model_version_id(m["name"], v["version"]) for f in fragments for m in f.models
            for v in m.get("versions") or ()}


def _other_fragment(config: ComposeConfig, spec: SourceSpec, known: list[Fragment]
                    ) -> Fragment:
    paths = [config.resolve(p) for p in getattr(spec, "paths")]
    if spec.kind == "kserve":
        from .kserve import kserve_fragment
        return kserve_fragment(spec.name, paths, environment=spec.environment,
                               artifacts=artifact_index(known))
    if spec.kind == "ledger":
        from .ledger import ledger_fragment
        return ledger_fragment(spec.name, paths)
    assert spec.kind == "openlineage"
    from .openlineage import openlineage_fragment
    return openlineage_fragment(spec.name, paths, runs=run_index(known))
