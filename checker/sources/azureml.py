"""Snapshot source: an Azure ML / Microsoft Foundry workspace, from saved `az ml` output.

No cloud access: the user saves what the Azure CLI prints (``-o json``, the default) into a
directory, and this module maps it to snapshot-v1. Layout of the directory (every file holds
one JSON object or a list of them, exactly as the CLI prints it; other files are ignored):

- ``models.json`` and/or ``models/*.json``: ``az ml model list --name N`` (versions) or
  ``az ml model show``; entries of plain ``az ml model list`` (model containers, with
  ``latest_version`` and no ``version``) give model-level description and tags only.
- ``data.json`` and/or ``data/*.json``: ``az ml data list --name N`` / ``az ml data show``
  (containers are skipped: they name no version).
- ``jobs.json`` and/or ``jobs/*.json``: ``az ml job show`` of the jobs models name in
  ``job_name``.
- ``endpoints.json`` and/or ``endpoints/*.json``: ``az ml online-endpoint show`` (or ``list``).
- ``deployments.json`` and/or ``deployments/*.json``: ``az ml online-deployment list
  --endpoint-name E`` (or ``show``).

Nothing is invented: what Azure does not store (artifact digests, approvals, rollout history,
drift monitoring, content safety) is left absent so that the policies report it. The mapping
table is in README.md ("Importing from Azure ML / Foundry").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Sequence

from .. import documents
from ..documents import DocumentError, Limits
from ..errors import SnapshotError
from ..snapshot import _RFC3339
from .importing import (ENVIRONMENTS, EVALUATION_INPUT, MODEL_TAGS, code_ref, natural,
                        registry_block)
from .interface import LoadedSnapshot, SnapshotSource, validate

SOURCE = "azureml"

STAGES = {"development": "development", "staging": "staging", "production": "production",
          "archived": "archived"}
INPUT_ROLES = ("training", "evaluation", "ignore")
DATA_INPUT_TYPES = ("uri_file", "uri_folder", "mltable")

# Job properties/tags that pin the training code (first found wins).
COMMIT_KEYS = ("azureml.git.commit", "mlflow.source.git.commit")
REPO_KEYS = ("azureml.git.repository_uri", "mlflow.source.git.repoURL")

_ID = re.compile(r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
                 r"Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)", re.IGNORECASE)
_SHORT_REF = re.compile(r"^azureml:(?P<name>[^:/@]+):(?P<version>[^:/@]+)$")


def _asset_ref(value: str, kind: str) -> tuple[str, str] | None:
    """(name, version) of an asset reference: ``azureml:n:v`` or a full/registry id."""
    match = _SHORT_REF.match(value)
    if match:
        return match["name"], match["version"]
    match = re.search(rf"/{kind}/(?P<name>[^/]+)/versions/(?P<version>[^/]+)/?$", value)
    if match and (value.startswith(("azureml:", "/subscriptions/"))):
        return match["name"], match["version"]
    return None


def _path_text(loc: Sequence[str | int]) -> str:
    out = ""
    for step in loc:
        if isinstance(step, int):
            out += f"[{step}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", step):
            out += f".{step}" if out else step
        else:
            out += f"[{json.dumps(step)}]"
    return out


@dataclass
class _Item:
    """One JSON object of an export file, with where it came from (for error messages)."""

    value: dict[str, Any]
    file: str
    text: str
    loc: tuple[str | int, ...]
    limits: Limits

    def fail(self, message: str, *steps: str | int) -> SnapshotError:
        loc = self.loc + steps
        line = documents.line_of(self.text, loc, self.limits) if loc else None
        return SnapshotError(message, file=self.file, line=line,
                             path=_path_text(loc) if loc else None)

    def string(self, key: str, *, required: bool = False,
               parent: tuple[str, ...] = ()) -> str | None:
        obj: Any = self.value
        for step in parent:
            obj = obj.get(step) if isinstance(obj, dict) else None
        value = obj.get(key) if isinstance(obj, dict) else None
        if value is None:
            if required:
                raise self.fail("required field missing", *parent, key)
            return None
        if isinstance(value, int) and not isinstance(value, bool) and key == "version":
            return str(value)
        if not isinstance(value, str):
            raise self.fail(f"expected a string, got {type(value).__name__}", *parent, key)
        return value

    def time(self, key: str, parent: tuple[str, ...] = ("creation_context",)) -> str | None:
        value = self.string(key, parent=parent)
        if value is None:
            return None
        if not _RFC3339.match(value):
            raise self.fail("not an RFC 3339 time with a zone (e.g. "
                            "2026-11-20T08:00:00.123456+00:00)", *parent, key)
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(f"not a valid time: {value!r}", *parent, key) from None
        return value

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.value.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"expected an object, got {type(value).__name__}", key)
        return value

    def tags(self, key: str = "tags") -> dict[str, str]:
        tags = self.mapping(key)
        for name, value in tags.items():
            if not isinstance(value, str):
                raise self.fail(f"tag values are strings, got {type(value).__name__}", key, name)
        return dict(tags)

    def choice(self, tags: dict[str, str], tag: str, allowed: Sequence[str]) -> str | None:
        value = tags.get(tag)
        if value is None:
            return None
        if value not in allowed:
            raise self.fail(f"{value!r} is not one of {', '.join(allowed)}", "tags", tag)
        return value


@dataclass
class _Model:
    name: str
    container: _Item | None = None
    versions: dict[str, _Item] = field(default_factory=dict)


class AzureMLExportSource(SnapshotSource):
    """A directory of saved `az ml ... show/list` JSON output (layout: module docstring)."""

    def __init__(self, directory: str | Path, *, registry_name: str | None = None,
                 captured_at: str | None = None, organization: str | None = None,
                 limits: Limits | None = None) -> None:
        self.directory = Path(directory)
        self.registry_name = registry_name
        self.captured_at = captured_at
        self.organization = organization
        self.limits = limits or Limits()
        self._workspaces: dict[str, tuple[str, str, str]] = {}

    # --- reading ------------------------------------------------------------------------

    def _files(self, kind: str) -> list[Path]:
        files = []
        single = self.directory / f"{kind}.json"
        if single.is_file():
            files.append(single)
        folder = self.directory / kind
        if folder.is_dir():
            files.extend(sorted(p for p in folder.glob("*.json") if p.is_file()))
        return files

    def _items(self, kind: str, what: str) -> Iterator[_Item]:
        for path in self._files(kind):
            name = str(path)
            try:
                text = documents.read_text(path, self.limits)
                value = documents.parse(text, json_syntax=True, limits=self.limits)
            except DocumentError as exc:
                raise SnapshotError(exc.message, file=name, line=exc.line) from None
            if isinstance(value, dict):
                entries: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
            elif isinstance(value, list):
                entries = [((i,), v) for i, v in enumerate(value)]
            else:
                raise SnapshotError(f"expected the JSON object or list that `{what}` prints",
                                    file=name)
            for loc, entry in entries:
                if not isinstance(entry, dict):
                    line = documents.line_of(text, loc, self.limits) if loc else None
                    raise SnapshotError(f"expected an object as `{what}` prints it, got "
                                        f"{type(entry).__name__}", file=name, line=line,
                                        path=_path_text(loc) or None)
                item = _Item(entry, name, text, loc, self.limits)
                self._note_workspace(item)
                yield item

    def _note_workspace(self, item: _Item) -> None:
        ident = item.value.get("id")
        if isinstance(ident, str):
            match = _ID.search(ident)
            if match:
                self._workspaces.setdefault(match["ws"], (match["sub"], match["rg"], item.file))

    # --- mapping ------------------------------------------------------------------------

    def load(self) -> LoadedSnapshot:
        return validate(self.build(), origin=str(self.directory), text=None)

    def build(self) -> dict[str, Any]:
        """The snapshot-v1 document (not yet validated)."""
        if not self.directory.is_dir():
            raise SnapshotError("not a directory of Azure ML exports", file=str(self.directory))
        if not any(self._files(k) for k in ("models", "data", "jobs", "endpoints",
                                             "deployments")):
            raise SnapshotError("no Azure ML export found: expected models.json, data.json, "
                                "jobs/*.json, endpoints/*.json or deployments/*.json (see "
                                "README, 'Importing from Azure ML / Foundry')",
                                file=str(self.directory))
        models = self._read_models()
        datasets = self._read_datasets()
        jobs = self._read_jobs()
        deployments = self._read_deployments()
        document: dict[str, Any] = {
            "schema_version": 1,
            "registry": self._registry(),
            "datasets": datasets,
            "models": [self._model(m, jobs) for _, m in sorted(models.items())],
            "deployments": deployments,
        }
        return document

    def _registry(self) -> dict[str, Any]:
        name = self.registry_name
        tags: dict[str, str] = {}
        if len(self._workspaces) == 1:
            (ws, (sub, rg, _)), = self._workspaces.items()
            name = name or ws
            tags = {"azureml.subscription": sub, "azureml.resource_group": rg,
                    "azureml.workspace": ws}
        elif not name:
            if not self._workspaces:
                raise SnapshotError("cannot tell the workspace name: no export carries an "
                                    "Azure resource id; pass --registry-name",
                                    file=str(self.directory))
            names = ", ".join(sorted(self._workspaces))
            raise SnapshotError(f"the exports come from several workspaces ({names}); pass "
                                "--registry-name", file=str(self.directory))
        return registry_block(name, source=SOURCE, captured_at=self.captured_at,
                              organization=self.organization, tags=tags)

    def _read_models(self) -> dict[str, _Model]:
        models: dict[str, _Model] = {}
        for item in self._items("models", "az ml model show"):
            name = item.string("name", required=True)
            assert name is not None
            model = models.setdefault(name, _Model(name))
            if "version" not in item.value and "latest_version" in item.value:
                model.container = item  # `az ml model list`: the model, not a version
                continue
            version = item.string("version", required=True)
            assert version is not None
            if version in model.versions:
                raise item.fail(f"model version {name}@{version} is exported twice (also in "
                                f"{model.versions[version].file})", "version")
            model.versions[version] = item
        return models

    def _model(self, model: _Model, jobs: dict[str, _Item]) -> dict[str, Any]:
        out: dict[str, Any] = {"name": model.name}
        ordered = sorted(model.versions.items(), key=lambda kv: natural(kv[0]))
        # model-level fields: the container's tags, else the newest version that has them
        sources = ([model.container] if model.container else []) + [i for _, i in
                                                                       reversed(ordered)]
        for key, tag, allowed in MODEL_TAGS:
            for item in sources:
                tags = item.tags()
                if tag in tags:
                    out[key] = item.choice(tags, tag, allowed) if allowed else tags[tag]
                    break
        for item in sources:
            description = item.string("description")
            if description:
                out["description"] = description
                break
        if model.container is not None:
            tags = model.container.tags()
            if tags:
                out["tags"] = tags
        out["versions"] = [self._version(item, jobs) for _, item in ordered]
        return out

    def _version(self, item: _Item, jobs: dict[str, _Item]) -> dict[str, Any]:
        # The version's tags are kept as exported, almguard.semver included: Azure numbers
        # versions 1, 2, 3 and deployments name that number, so the semantic version stays
        # a tag (ALM-REG-001 reads it) and the version string is not renamed.
        tags = item.tags()
        out: dict[str, Any] = {"version": item.string("version", required=True)}
        stage = item.string("stage")
        if stage is not None:
            if stage.lower() in STAGES:
                out["stage"] = STAGES[stage.lower()]
            else:
                tags.setdefault("azureml.stage", stage)
        created_at = item.time("created_at")
        created_by = item.string("created_by", parent=("creation_context",))
        if created_at:
            out["created_at"] = created_at
        if created_by:
            out["created_by"] = created_by
        path = item.string("path")
        if path:
            out["artifact"] = {"uri": path}  # Azure stores no digest: left absent
        azure_type = item.string("type")
        if azure_type:
            tags.setdefault("azureml.type", azure_type)
        job_name = item.string("job_name")
        if job_name:
            job = jobs.get(job_name)
            out["lineage"] = (self._lineage(job, tags) if job is not None
                              else {"training_job": {"id": job_name}})
        description = item.string("description")
        if description:  # snapshot-v1 versions have no description: keep Azure's as a tag
            tags.setdefault("azureml.description", description)
        if tags:
            out["tags"] = tags
        return out

    def _by_name(self, folder: str, command: str, what: str) -> dict[str, _Item]:
        """The exports of one kind by their unique name (a name exported twice is an
        error naming both files)."""
        found: dict[str, _Item] = {}
        for item in self._items(folder, command):
            name = item.string("name", required=True)
            assert name is not None
            if name in found:
                raise item.fail(f"{what} {name!r} is exported twice (also in "
                                f"{found[name].file})", "name")
            found[name] = item
        return found

    def _read_jobs(self) -> dict[str, _Item]:
        return self._by_name("jobs", "az ml job show", "job")

    def _lineage(self, job: _Item, version_tags: dict[str, str]) -> dict[str, Any]:
        job_tags = job.tags()
        inputs = job.mapping("inputs")
        training: list[dict[str, str]] = []
        evaluation: list[dict[str, str]] = []
        base_models: list[dict[str, str]] = []
        for name, spec in inputs.items():
            if not isinstance(spec, dict):
                continue  # a literal input (learning_rate: 0.01): not data
            path = spec.get("path")
            if not isinstance(path, str):
                continue
            kind = spec.get("type", "uri_folder")
            if not isinstance(kind, str):
                raise job.fail("expected a string", "inputs", name, "type")
            if kind.endswith("_model"):
                ref = _asset_ref(path, "models")
                if ref:
                    base_models.append({"name": ref[0], "version": ref[1]})
                continue
            role = job.choice(job_tags, f"almguard.input.{name}", INPUT_ROLES)
            if role is None:
                role = "evaluation" if EVALUATION_INPUT.search(name) else "training"
            if role == "ignore":
                continue
            ref = _asset_ref(path, "data")
            if ref is None:
                # a datastore URI or `@latest`: no dataset version to link; keep it visible
                version_tags.setdefault(f"azureml.input.{name}", path)
                continue
            (evaluation if role == "evaluation" else training).append(
                {"dataset": ref[0], "version": ref[1]})
        lineage: dict[str, Any] = {}
        if training:
            lineage["training_data"] = training
        if evaluation:
            lineage["evaluation_data"] = evaluation
        props = job.mapping("properties")
        job_meta = {**job_tags, **{k: v for k, v in props.items() if isinstance(v, str)}}
        commit = next((job_meta[k] for k in COMMIT_KEYS if job_meta.get(k)), None)
        repo = next((job_meta[k] for k in REPO_KEYS if job_meta.get(k)), None)
        training_job: dict[str, str] = {"id": job.string("name", required=True) or ""}
        pinned = code_ref(commit, repo)
        if pinned:
            training_job["code_ref"] = pinned
        environment = job.value.get("environment")
        if isinstance(environment, str):
            training_job["environment"] = environment
        elif isinstance(environment, dict) and isinstance(environment.get("image"), str):
            training_job["environment"] = environment["image"]
        lineage["training_job"] = training_job
        if len(base_models) == 1:
            lineage["base_model"] = base_models[0]
        return lineage

    def _read_datasets(self) -> list[dict[str, Any]]:
        seen: dict[tuple[str, str], str] = {}
        out = []
        for item in self._items("data", "az ml data show"):
            if "version" not in item.value and "latest_version" in item.value:
                continue  # a data container names no version
            name = item.string("name", required=True)
            version = item.string("version", required=True)
            assert name is not None and version is not None
            if (name, version) in seen:
                raise item.fail(f"data asset {name}@{version} is exported twice (also in "
                                f"{seen[(name, version)]})", "version")
            seen[(name, version)] = item.file
            tags = item.tags()
            dataset: dict[str, Any] = {"name": name, "version": version}
            for key, value in (("uri", item.string("path")),
                               ("digest", tags.get("almguard.digest")),
                               ("created_at", item.time("created_at")),
                               ("created_by", item.string("created_by",
                                                       parent=("creation_context",)))):
                if value:
                    dataset[key] = value
            personal = item.choice(tags, "almguard.personal_data", ("true", "false"))
            if personal is not None:
                dataset["personal_data"] = personal == "true"
            azure_type = item.string("type")
            if azure_type:
                tags.setdefault("azureml.type", azure_type)
            if tags:
                dataset["tags"] = tags
            out.append(dataset)
        out.sort(key=lambda d: (d["name"], natural(d["version"])))
        return out

    def _read_deployments(self) -> list[dict[str, Any]]:
        endpoints = self._by_name("endpoints", "az ml online-endpoint show", "endpoint")
        for item in endpoints.values():
            for split, share in item.mapping("traffic").items():
                if (not isinstance(share, (int, float)) or isinstance(share, bool)
                        or not 0 <= share <= 100):
                    raise item.fail("traffic share must be a number from 0 to 100",
                                    "traffic", split)
        out: list[dict[str, Any]] = []
        placed: dict[tuple[str, str], _Item] = {}
        served: dict[str, _Item] = {}
        for item in self._items("deployments", "az ml online-deployment list"):
            name = item.string("name", required=True)
            endpoint_name = item.string("endpoint_name", required=True)
            assert name is not None and endpoint_name is not None
            if (endpoint_name, name) in placed:
                raise item.fail(f"deployment {endpoint_name}/{name} is exported twice (also "
                                f"in {placed[(endpoint_name, name)].file})", "name")
            placed[(endpoint_name, name)] = item
            endpoint = endpoints.get(endpoint_name)
            if endpoint is None:
                raise item.fail(f"endpoint {endpoint_name!r} has no export (save `az ml "
                                "online-endpoint show` to endpoints/): its traffic split "
                                "is unknown", "endpoint_name")
            model_ref = item.string("model", required=True)
            assert model_ref is not None
            ref = _asset_ref(model_ref, "models")
            if ref is None:
                raise item.fail(f"cannot tell the model version from {model_ref!r} (expected "
                                "azureml:<name>:<version> or a model version id)", "model")
            ident = f"{endpoint_name}/{ref[0]}@{ref[1]}"
            if ident in served:
                raise item.fail(f"two deployments of endpoint {endpoint_name!r} serve "
                                f"{ref[0]}@{ref[1]} (also {served[ident].file}); snapshot-v1 "
                                "has one entry per endpoint and model version", "model")
            served[ident] = item
            endpoint_tags = endpoint.tags()
            environment = endpoint.choice(endpoint_tags, "almguard.environment",
                                          ENVIRONMENTS) or "production"
            deployment: dict[str, Any] = {
                "endpoint": endpoint_name, "model": ref[0], "version": ref[1],
                "environment": environment,
                "traffic_percent": endpoint.mapping("traffic").get(name, 0),
            }
            created_at = item.time("created_at")
            created_by = item.string("created_by", parent=("creation_context",))
            if created_at:
                deployment["deployed_at"] = created_at
            if created_by:
                deployment["deployed_by"] = created_by
            tags = item.tags()
            tags.setdefault("azureml.deployment", name)
            deployment["tags"] = tags
            out.append(deployment)
        for name, endpoint in endpoints.items():
            for listed in endpoint.mapping("traffic"):
                if (name, listed) not in placed:
                    raise endpoint.fail(f"traffic names deployment {listed!r}, but no "
                                        "deployments/*.json export lists it (save `az ml "
                                        f"online-deployment list --endpoint-name {name}`)",
                                        "traffic", listed)
        out.sort(key=lambda d: (d["endpoint"], d["model"], natural(d["version"])))
        return out

