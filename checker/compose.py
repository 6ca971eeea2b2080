"""Composition: one snapshot-v1 from several sources, merged by resource identity.

Each source gives a *fragment*: snapshot-shaped entities (datasets, models with versions,
deployments) holding the facts it knows. Entities are merged by their ids (checker.ids);
within an entity, mappings are merged key by key and everything else (a scalar, a list)
is one value. Two sources giving one field different values is an input error naming both,
unless a `prefer:` rule of the config says which wins. Every field of the result records
which sources said it (the provenance document). Facts only: nothing here judges
compliance (docs/compose.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from . import documents
from .canonical import canonical_json
from .documents import DocumentError, Limits
from .errors import SnapshotError
from .ids import Key, dataset_of, deployment_of, model_version_id
from .sources.importing import natural
from .times import check_time
from .validation import LineOf, Loc, format_loc, shown, to_error

Time = Annotated[str, AfterValidator(check_time)]
Environment = Literal["development", "staging", "production"]

# The kinds of resources a fragment can hold, and the prefixes `prefer:` fields start with.
KINDS = ("registry", "dataset", "model", "model_version", "deployment")
CONFIG_SOURCE = "config"  # the provenance of what the config itself says (the registry)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class RegistrySpec(_Strict):
    name: str
    captured_at: Time | None = None
    organization: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class _Source(_Strict):
    name: str = Field(min_length=1)


class FileSpec(_Source):
    kind: Literal["file"]
    path: str


class MLflowSpec(_Source):
    kind: Literal["mlflow"]
    tracking_uri: str
    models: list[str] | None = None


class AzureMLSpec(_Source):
    kind: Literal["azureml"]
    path: str
    allow_unexported_models: bool = False


class KServeSpec(_Source):
    kind: Literal["kserve"]
    paths: list[str] = Field(min_length=1)
    environment: Environment | None = None


class LedgerSpec(_Source):
    kind: Literal["ledger"]
    paths: list[str] = Field(min_length=1)


class OpenLineageSpec(_Source):
    kind: Literal["openlineage"]
    paths: list[str] = Field(min_length=1)


SourceSpec = FileSpec | MLflowSpec | AzureMLSpec | KServeSpec | LedgerSpec | OpenLineageSpec
SPECS: dict[str, type[_Source]] = {"file": FileSpec, "mlflow": MLflowSpec,
                                   "azureml": AzureMLSpec, "kserve": KServeSpec,
                                   "ledger": LedgerSpec, "openlineage": OpenLineageSpec}


class PreferRule(_Strict):
    source: str
    fields: list[str] = Field(default_factory=list)


class _Header(_Strict):
    compose_version: Literal[1]
    registry: RegistrySpec
    sources: list[dict[str, Any]] = Field(min_length=1)
    prefer: list[PreferRule] = Field(default_factory=list)


@dataclass(frozen=True)
class ComposeConfig:
    """A validated compose config; relative paths are resolved against `base`."""

    path: Path
    registry: RegistrySpec
    sources: tuple[SourceSpec, ...]
    prefer: tuple[PreferRule, ...]
    base: Path
    line_of: LineOf = field(repr=False, compare=False)

    def resolve(self, path: str) -> Path:
        return Path(os.path.normpath(self.base / path))


def typo_first(exc: ValidationError) -> list[Any]:
    """The errors with unknown keys first: a misspelt key explains the field missing."""
    errors = exc.errors(include_url=False)
    return sorted(errors, key=lambda e: e.get("type") != "extra_forbidden")


def read_document(path: Path, limits: Limits | None = None) -> tuple[Any, LineOf]:
    """A YAML/JSON file parsed safely (checker.documents), and a locator of its paths."""
    limits = limits or Limits()
    try:
        text = documents.read_text(path, limits)
        value = documents.parse(text, json_syntax=documents.looks_like_json(text, path.suffix),
                                limits=limits)
    except DocumentError as exc:
        raise SnapshotError(exc.message, file=str(path), line=exc.line) from None
    return value, lambda loc: documents.line_of(text, loc, limits)


def load_config(path: str | Path) -> ComposeConfig:
    """Read and validate a compose config: unknown keys and bad values name path and line."""
    path = Path(path)
    origin = str(path)
    document, line_of = read_document(path)
    if not isinstance(document, dict):
        raise SnapshotError("a compose config is a mapping with compose_version, registry "
                            "and sources", file=origin)
    try:
        header = _Header.model_validate(document)
    except ValidationError as exc:
        raise to_error(typo_first(exc), SnapshotError, file=origin,
                       line_of=line_of) from None
    sources: list[SourceSpec] = []
    names: set[str] = set()
    for i, item in enumerate(header.sources):
        loc: Loc = ("sources", i)
        kind = item.get("kind")
        spec_type = SPECS.get(kind) if isinstance(kind, str) else None
        if spec_type is None:
            where = loc + ("kind",) if "kind" in item else loc
            raise SnapshotError(f"kind must be one of {', '.join(SPECS)} (got {shown(kind)})"
                                if "kind" in item else "kind: required field missing",
                                file=origin, line=line_of(where), path=format_loc(where))
        try:
            spec = spec_type.model_validate(item)
        except ValidationError as exc:
            raise to_error(typo_first(exc), SnapshotError, file=origin, line_of=line_of,
                           prefix=loc) from None
        if spec.name in names or spec.name == CONFIG_SOURCE:
            problem = (f"source name {spec.name!r} is taken" if spec.name in names else
                       f"source name {CONFIG_SOURCE!r} is reserved for the config itself")
            raise SnapshotError(problem, file=origin, line=line_of(loc + ("name",)),
                                path=format_loc(loc + ("name",)))
        names.add(spec.name)
        sources.append(spec)  # type: ignore[arg-type]
    for i, rule in enumerate(header.prefer):
        if rule.source not in names:
            loc = ("prefer", i, "source")
            raise SnapshotError(f"names no source of this config: {rule.source!r}",
                                file=origin, line=line_of(loc), path=format_loc(loc))
        for j, name in enumerate(rule.fields):
            if name.split(".", 1)[0] not in KINDS:
                loc = ("prefer", i, "fields", j)
                raise SnapshotError(f"{name!r} is not a field: write KIND or KIND.FIELD, KIND "
                                    "one of "
                                    f"{', '.join(KINDS)} (e.g. deployment.traffic_percent)",
                                    file=origin, line=line_of(loc), path=format_loc(loc))
    return ComposeConfig(path=path, registry=header.registry, sources=tuple(sources),
                         prefer=tuple(header.prefer), base=path.parent, line_of=line_of)


# --- fragments and the merge ----------------------------------------------------------

Where = tuple[str, int | None]
"""Where a fact was written: file and line (None when unknown)."""


@dataclass
class Fragment:
    """What one source says: snapshot-shaped entities, and where each was written.

    `creates` are the kinds of entity the source may introduce; facts of another kind must
    attach to an entity some other source has (a ledger approval for a version no registry
    knows is a typo, not a new version)."""

    source: str
    kind: str
    origin: str
    datasets: list[dict[str, Any]] = field(default_factory=list)
    models: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)
    creates: frozenset[str] = frozenset({"dataset", "model", "model_version", "deployment"})
    where: dict[Key, Where] = field(default_factory=dict)
    captured_at: str | None = None
    notes: list[str] = field(default_factory=list)
    # (kind, id, field path) -> where that one field was written, when the source knows
    fields: dict[tuple[str, str, str], Where] = field(default_factory=dict)


@dataclass
class _Entity:
    kind: str
    ident: str
    value: dict[str, Any] = field(default_factory=dict)
    said: dict[str, list[str]] = field(default_factory=dict)
    created: bool = False
    first: tuple[Fragment, Where | None] | None = None


@dataclass(frozen=True)
class Composition:
    """The merged snapshot document and its provenance (before snapshot-v1 validation)."""

    document: dict[str, Any]
    provenance: dict[str, Any]
    notes: tuple[str, ...]


def _text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        text = canonical_json(value).decode("utf-8")
        return text if len(text) <= 60 else text[:57] + "..."
    return shown(value)


class _Merger:
    def __init__(self, config: ComposeConfig) -> None:
        self.config = config
        self.entities: dict[Key, _Entity] = {}
        self.overridden: list[dict[str, Any]] = []
        # (kind, id, field) -> the fragment whose value the field holds, and where
        self.held: dict[tuple[str, str, str], tuple[Fragment, Where | None]] = {}
        self.model_of: dict[str, str] = {}  # model version id -> model name

    def entity(self, kind: str, ident: str) -> _Entity:
        key = (kind, ident)
        if key not in self.entities:
            self.entities[key] = _Entity(kind, ident)
        return self.entities[key]

    def add(self, fragment: Fragment, kind: str, ident: str, value: Mapping[str, Any],
            skip: Iterable[str] = ()) -> None:
        entity = self.entity(kind, ident)
        where = fragment.where.get((kind, ident))
        if kind in fragment.creates:
            entity.created = True
        if entity.first is None:
            entity.first = (fragment, where)
        for name, item in value.items():
            if name not in skip:
                self.merge(entity, (name,), entity.value, name, item, fragment, where)

    def merge(self, entity: _Entity, path: tuple[str, ...], into: dict[str, Any], name: str,
              value: Any, fragment: Fragment, where: Where | None) -> None:
        old = into.get(name)
        if isinstance(value, dict) and (old is None or isinstance(old, dict)):
            target = into.setdefault(name, {})
            for key, item in value.items():
                self.merge(entity, path + (key,), target, key, item, fragment, where)
            if not value:
                entity.said.setdefault(".".join(path), [fragment.source])
            return
        field_path = ".".join(path)
        where = fragment.fields.get((entity.kind, entity.ident, field_path), where)
        if name not in into:
            into[name] = value
            entity.said[field_path] = [fragment.source]
            self.held[(entity.kind, entity.ident, field_path)] = (fragment, where)
            return
        if canonical_json(old) == canonical_json(value):
            entity.said[field_path].append(fragment.source)
            return
        earlier = entity.said[field_path]
        winner = self.preferred(entity.kind, field_path, earlier, fragment.source)
        if winner is None:
            raise self.conflict(entity, field_path, old, value, fragment, where)
        rule, chosen = winner
        loser = ", ".join(earlier) if chosen == fragment.source else fragment.source
        if chosen == fragment.source:
            into[name] = value
            entity.said[field_path] = [fragment.source]
            self.held[(entity.kind, entity.ident, field_path)] = (fragment, where)
        self.overridden.append({"resource": f"{entity.kind}:{entity.ident}",
                                "field": field_path, "chosen": chosen, "over": loser,
                                "rule": f"prefer[{rule}]"})

    def preferred(self, kind: str, field_path: str, held: list[str], other: str
                  ) -> tuple[int, str] | None:
        """The first prefer rule for this field naming the new source or one of the
        sources that said the value held so far."""
        full = f"{kind}.{field_path}"
        for i, rule in enumerate(self.config.prefer):
            if rule.source not in (*held, other):
                continue
            if not rule.fields or any(full == f or full.startswith(f + ".")
                                      for f in rule.fields):
                return i, rule.source
        return None

    def conflict(self, entity: _Entity, field_path: str, old: Any, new: Any,
                 fragment: Fragment, where: Where | None) -> SnapshotError:
        first, first_where = self.held[(entity.kind, entity.ident, field_path)]
        return SnapshotError(
            f"sources {first.source!r} ({_place(first, first_where)}) and {fragment.source!r} "
            f"({_place(fragment, where)}) disagree: {_text(old)} vs {_text(new)}; add a "
            "prefer: rule saying which wins", file=str(self.config.path),
            path=f"{entity.kind} {entity.ident}: {field_path}")


# Keys that name an entity come first in the written snapshot; the rest follow sorted.
LEADING_KEYS = ("schema_version", "name", "endpoint", "model", "version")


def canonical_order(value: Any) -> Any:
    """The value with every mapping's keys in one order (LEADING_KEYS, then sorted), so
    that the written snapshot's bytes do not depend on the order of the sources."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (LEADING_KEYS.index(k) if k in LEADING_KEYS
                                            else len(LEADING_KEYS), k))
        if "schema_version" in value:  # the document: its sections in the usual order
            keys = [k for k in ("schema_version", "registry", "datasets", "models",
                                "deployments") if k in value] + [
                k for k in keys if k not in ("schema_version", "registry", "datasets",
                                             "models", "deployments")]
        return {k: canonical_order(value[k]) for k in keys}
    if isinstance(value, list):
        return [canonical_order(item) for item in value]
    return value


def _place(fragment: Fragment, where: Where | None) -> str:
    if where is None:
        return fragment.origin
    file, line = where
    return f"{file}:{line}" if line else file


def compose(config: ComposeConfig, fragments: list[Fragment]) -> Composition:
    """Merge the fragments (in config order) into one snapshot document with provenance."""
    merger = _Merger(config)
    for fragment in fragments:
        for dataset in fragment.datasets:
            merger.add(fragment, "dataset", dataset_of(dataset), dataset)
        for model in fragment.models:
            merger.add(fragment, "model", model["name"], model, skip=("versions",))
            for version in model.get("versions") or ():
                ident = model_version_id(model["name"], version["version"])
                merger.add(fragment, "model_version", ident, version)
                merger.model_of[ident] = model["name"]
        for deployment in fragment.deployments:
            merger.add(fragment, "deployment", deployment_of(deployment), deployment)
    for entity in merger.entities.values():
        if not entity.created and entity.first is not None:
            fragment, where = entity.first
            file, line = where if where else (fragment.origin, None)
            raise SnapshotError(f"{entity.kind.replace('_', ' ')} {entity.ident!r} is in no "
                                f"source that lists {entity.kind.replace('_', ' ')}s (source "
                                f"{fragment.source!r} can only add to it)", file=file,
                                line=line)
    document = canonical_order(_document(config, fragments, merger))
    provenance = {
        "provenance_version": 1,
        "config": str(config.path),
        "sources": [{"name": f.source, "kind": f.kind, "origin": f.origin} for f in fragments],
        "resources": _provenance(config, fragments, merger),
        "overridden": sorted(merger.overridden,
                             key=lambda o: (o["resource"], o["field"], o["over"])),
    }
    notes = tuple(note for f in fragments for note in f.notes)
    return Composition(document=document, provenance=provenance, notes=notes)


def _registry(config: ComposeConfig, fragments: list[Fragment]) -> dict[str, Any]:
    spec = config.registry
    captured = spec.captured_at or max((f.captured_at for f in fragments if f.captured_at),
                                       default=None)
    if captured is None:
        raise SnapshotError("required when no source has a capture time (a file, mlflow or "
                            "azureml source)", file=str(config.path), path="registry.captured_at",
                            line=config.line_of(("registry",)))
    registry: dict[str, Any] = {"name": spec.name, "captured_at": captured, "source": "compose"}
    if spec.organization is not None:
        registry["organization"] = spec.organization
    if spec.tags:
        registry["tags"] = dict(sorted(spec.tags.items()))
    return registry


def _document(config: ComposeConfig, fragments: list[Fragment], merger: _Merger
              ) -> dict[str, Any]:
    models: dict[str, dict[str, Any]] = {}
    datasets, deployments = [], []
    for (kind, ident), entity in sorted(merger.entities.items()):
        if kind == "dataset":
            datasets.append(entity.value)
        elif kind == "model":
            models[ident] = dict(entity.value, versions=[])
        elif kind == "deployment":
            deployments.append(entity.value)
    for (kind, ident), entity in merger.entities.items():
        if kind == "model_version":
            models[merger.model_of[ident]]["versions"].append(entity.value)
    for model in models.values():
        model["versions"].sort(key=lambda v: natural(v["version"]))
    return {"schema_version": 1, "registry": _registry(config, fragments),
            "datasets": datasets, "models": [models[name] for name in sorted(models)],
            "deployments": deployments}


def _provenance(config: ComposeConfig, fragments: list[Fragment], merger: _Merger
                ) -> dict[str, dict[str, list[str]]]:
    registry = {"name": [CONFIG_SOURCE], "source": [CONFIG_SOURCE]}
    for name in ("captured_at", "organization"):
        if getattr(config.registry, name) is not None:
            registry[name] = [CONFIG_SOURCE]
    if config.registry.captured_at is None:  # the latest capture among the sources
        latest = max(f.captured_at for f in fragments if f.captured_at)
        registry["captured_at"] = [f.source for f in fragments if f.captured_at == latest]
    for tag in config.registry.tags:
        registry[f"tags.{tag}"] = [CONFIG_SOURCE]
    out: dict[str, dict[str, list[str]]] = {"registry": dict(sorted(registry.items()))}
    for (kind, ident), entity in sorted(merger.entities.items()):
        out[f"{kind}:{ident}"] = dict(sorted(entity.said.items()))
    return out


def provenance_path(output: Path) -> Path:
    """Where `compose -o FILE` writes the provenance: FILE's stem + .provenance.json."""
    return output.with_name(output.stem + ".provenance.json")


# --- the provenance document, read back (lineage and the report show it) ---------------

class _Read(BaseModel):
    """A document almguard wrote, read back: the keys read are type-checked, others (a
    newer almguard may write more) are ignored."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)


class SourceRef(_Read):
    name: str
    kind: str
    origin: str


class Provenance(_Read):
    """The provenance document `compose` writes beside the snapshot (docs/compose.md):
    which source said each field. Display only: no verdict reads it."""

    provenance_version: Literal[1]
    config: str
    snapshot: str
    sources: list[SourceRef]
    resources: dict[str, dict[str, list[str]]]
    overridden: list[dict[str, Any]] = Field(default_factory=list)

    def fields_by(self) -> dict[str, int]:
        """How many fields each source gave (said alone or with others), by source."""
        counts = {s.name: 0 for s in self.sources}
        for fields in self.resources.values():
            for sources in fields.values():
                for name in sources:
                    if name in counts:
                        counts[name] += 1
        return counts


def load_provenance(path: Path, snapshot_digest: str, snapshot_origin: str) -> Provenance:
    """A provenance file for the snapshot loaded from `snapshot_origin`: strict, and it must
    record that snapshot's digest (a provenance of another composition is an error)."""
    document, line_of = read_document(path)
    if not isinstance(document, dict):
        raise SnapshotError("a provenance file is the mapping `almguard compose` writes "
                            "(provenance_version, snapshot, sources, resources)",
                            file=str(path))
    try:
        provenance = Provenance.model_validate(document)
    except ValidationError as exc:
        raise to_error(typo_first(exc), SnapshotError, file=str(path),
                       line_of=line_of) from None
    if provenance.snapshot != snapshot_digest:
        raise SnapshotError(f"records snapshot {provenance.snapshot}, but {snapshot_origin} "
                            f"has digest {snapshot_digest}: not the provenance of this "
                            "snapshot",
                            file=str(path), line=line_of(("snapshot",)), path="snapshot")
    return provenance


FragmentBuilder = Callable[[SourceSpec], Fragment]
