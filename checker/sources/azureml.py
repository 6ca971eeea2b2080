"""Snapshot source: an Azure ML / Microsoft Foundry workspace, from saved `az ml` output.

No cloud access: the user saves what the Azure CLI prints (``-o json``, the default) into a
directory, and this module maps it to snapshot-v1. Layout of the directory (every file holds
one JSON object or a list of them, exactly as the CLI prints it; other files are ignored):

- ``models.json`` and/or ``models/*.json``: ``az ml model list --name N`` (versions) or
  ``az ml model show``, of a workspace or a registry (``--registry-name``); entries of plain
  ``az ml model list`` (model containers: ``latest_version``, no ``version``) only say which
  models exist. ``models/archived/*.json``: ``az ml model list --name N --archived-only``.
- ``data.json`` and/or ``data/*.json``: ``az ml data list --name N`` / ``az ml data show``
  (containers are skipped: they name no version).
- ``jobs.json`` and/or ``jobs/*.json``: ``az ml job show`` of the jobs models name in
  ``job_name``: command jobs (as a job, or as the SDK's command node with its fields under
  ``component``) and pipeline jobs.
- ``endpoints.json`` and/or ``endpoints/*.json``: ``az ml online-endpoint show`` (or ``list``).
- ``deployments.json`` and/or ``deployments/*.json``: ``az ml online-deployment list
  --endpoint-name E`` (or ``show``).
- ``agents/*.json`` and ``evaluations/*/``: Foundry agents and evaluation results
  (checker/sources/foundry.py).

Nothing is invented: what Azure does not store (artifact digests, approvals, rollout history,
drift monitoring, content safety) is left absent so that the policies report it. The mapping
table is in README.md ("Importing from Azure ML / Foundry").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from .. import documents
from ..documents import DocumentError, Limits
from ..errors import SnapshotError
from ..endpoints import ENVIRONMENTS
from ..ids import dataset_id, deployment_id, model_version_id
from ..times import check_time, time_ns
from .convention import TAG, unknown_key, unknown_message
from .importing import EVALUATION_INPUT, MODEL_TAGS, code_ref, natural, registry_block
from .interface import LoadedSnapshot, SnapshotSource, validate

SOURCE = "azureml"

STAGES = {"development": "development", "staging": "staging", "production": "production",
          "archived": "archived"}
INPUT_ROLES = ("training", "evaluation", "ignore")
EXPORT_KINDS = ("models", "data", "jobs", "endpoints", "deployments", "agents",
                "evaluations")

# Job properties/tags that pin the training code (first found wins).
COMMIT_KEYS = ("azureml.git.commit", "mlflow.source.git.commit")
REPO_KEYS = ("azureml.git.repository_uri", "mlflow.source.git.repoURL")
# A pipeline job's tag naming its training step (else: the step that makes its model output).
TRAINING_STEP_TAG = "almguard.training_step"
INPUT_TAG = "almguard.input."  # + <input> or <step>.<input>: that input's role
SEMVER_TAG = "almguard.semver"
# The almguard.* tags read on each kind of export (any other is a typo: an input error).
VERSION_TAGS = (*(tag for _, tag, _ in MODEL_TAGS), SEMVER_TAG)
DATA_TAGS = ("almguard.digest", "almguard.personal_data")
JOB_TAGS = (TRAINING_STEP_TAG,)
ENDPOINT_TAGS = ("almguard.environment",)
DEPLOYMENT_TAGS: tuple[str, ...] = ()
SEE = "README, 'Importing from Azure ML / Foundry'"

_ID = re.compile(r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
                 r"Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)", re.IGNORECASE)
_REGISTRY_ID = re.compile(r"^azureml://registries/(?P<registry>[^/]+)/")
_SHORT_REF = re.compile(r"^azureml:(?P<name>[^:/@]+):(?P<version>[^:/@]+)$")
_STEP_BINDING = re.compile(r"\$\{\{\s*parent\.jobs\.(?P<step>[^.}\s]+)\.outputs\.")
_OUTPUT_BINDING = re.compile(r"^\$\{\{\s*parent\.outputs\.(?P<output>[^.}\s]+)\s*\}\}$")


def _asset_ref(value: str, kind: str) -> tuple[str, str] | None:
    """(name, version) of an asset reference: ``azureml:n:v``, a workspace asset id
    (``/subscriptions/…/<kind>/n/versions/v``, with or without ``azureml:``) or a registry
    asset id (``azureml://registries/r/<kind>/n/versions/v``)."""
    match = _SHORT_REF.match(value)
    if match:
        return match["name"], match["version"]
    match = re.search(rf"/{kind}/(?P<name>[^/]+)/versions/(?P<version>[^/]+)/?$", value)
    if match and (value.startswith(("azureml:", "/subscriptions/"))):
        return match["name"], match["version"]
    return None


def text_after_bom(path: Path) -> bool:
    """False for a file that holds a UTF-8 byte-order mark and nothing else."""
    try:
        return path.read_bytes() != b"\xef\xbb\xbf"
    except OSError:
        return True


def path_text(loc: Sequence[str | int]) -> str:
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
class Item:
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
                             path=path_text(loc) if loc else None)

    def _get(self, key: str, parent: tuple[str, ...]) -> Any:
        obj: Any = self.value
        for step in parent:
            obj = obj.get(step) if isinstance(obj, dict) else None
        return obj.get(key) if isinstance(obj, dict) else None

    def string(self, key: str, *, required: bool = False,
               parent: tuple[str, ...] = ()) -> str | None:
        value = self._get(key, parent)
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
        try:
            return check_time(value)
        except ValueError as exc:
            raise self.fail(str(exc), *parent, key) from None

    def mapping(self, key: str, parent: tuple[str, ...] = ()) -> dict[str, Any]:
        value = self._get(key, parent)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"expected an object, got {type(value).__name__}", *parent, key)
        return value

    def tags(self, key: str = "tags", parent: tuple[str, ...] = ()) -> dict[str, str]:
        tags = self.mapping(key, parent)
        for name, value in tags.items():
            if not isinstance(value, str):
                raise self.fail(f"tag values are strings, got {type(value).__name__}",
                                *parent, key, name)
        return dict(tags)

    def known_tags(self, tags: dict[str, str], known: Sequence[str],
                   at: tuple[str, ...] = ("tags",), prefixes: Sequence[str] = ()) -> None:
        """Refuse an almguard.* tag that is none of ``known`` (a typo would be ignored)."""
        typo = unknown_key(tags, TAG, known, prefixes)
        if typo is not None:
            raise self.fail(unknown_message(known, SEE, prefixes=prefixes), *at, typo)

    def choice(self, tags: dict[str, str], tag: str, allowed: Sequence[str],
               at: tuple[str, ...] = ("tags",)) -> str | None:
        """A tag whose value must be one of ``allowed`` (``at``: where the tags are)."""
        value = tags.get(tag)
        if value is None:
            return None
        if value not in allowed:
            raise self.fail(f"{value!r} is not one of {', '.join(allowed)}", *at, tag)
        return value


@dataclass
class _Version:
    item: Item
    archived: bool = False


@dataclass
class _Model:
    name: str
    container: Item | None = None
    versions: dict[str, _Version] = field(default_factory=dict)


def newest_first(entries: Sequence[tuple[str, str | None, Any]]) -> list[Any]:
    """(version, created_at or None, value) entries, newest first: by creation time, then
    by version number (a version without a time counts as the oldest)."""
    def key(entry: tuple[str, str | None, Any]) -> tuple[int, int, Any]:
        version, created, _ = entry
        return (created is not None, time_ns(created) if created else 0, natural(version))
    return [value for *_, value in sorted(entries, key=key, reverse=True)]


def model_fields(model: str, versions: Sequence[tuple[str, Item]], key: str,
                 warnings: list[str]) -> dict[str, str]:
    """owner, risk_tier and type of a model from the almguard.* tags of its versions
    (``versions`` newest first; ``key`` is where the tags are): the newest version carrying
    a tag wins, and an older version's different value is a warning naming both."""
    out: dict[str, str] = {}
    for field_name, tag, allowed in MODEL_TAGS:
        chosen: tuple[str, str] | None = None
        for version, item in versions:
            tags = item.tags(key)
            if tag not in tags:
                continue
            value = item.choice(tags, tag, allowed, (key,)) if allowed else tags[tag]
            assert value is not None
            if chosen is None:
                chosen = (version, value)
                out[field_name] = value
            elif value != chosen[1]:
                warnings.append(f"model {model!r}: {tag} is {chosen[1]!r} on version "
                                f"{chosen[0]} (used: the newest) but {value!r} on version "
                                f"{version}")
    return out


class AzureMLExportSource(SnapshotSource):
    """A directory of saved `az ml ... show/list` JSON output (layout: module docstring).

    ``warnings`` holds what the import could not reconcile (conflicting model tags, models
    left out), ``notes`` what it left out and why; the CLI prints both."""

    def __init__(self, directory: str | Path, *, registry_name: str | None = None,
                 captured_at: str | None = None, organization: str | None = None,
                 allow_unexported_models: bool = False,
                 limits: Limits | None = None) -> None:
        self.directory = Path(directory)
        self.registry_name = registry_name
        self.captured_at = captured_at
        self.organization = organization
        self.allow_unexported_models = allow_unexported_models
        self.limits = limits or Limits()
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self._workspaces: dict[str, tuple[str, str, str]] = {}
        self._registries: set[str] = set()

    # --- reading ------------------------------------------------------------------------

    def files(self, kind: str, folder: str | None = None) -> list[Path]:
        files = []
        single = self.directory / f"{kind}.json"
        if single.is_file() and folder is None:
            files.append(single)
        where = self.directory / (folder or kind)
        if where.is_dir():
            files.extend(sorted(p for p in where.glob("*.json") if p.is_file()))
        return files

    def read(self, path: Path) -> tuple[str, Any]:
        """The text and parsed JSON of one export file."""
        name = str(path)
        try:
            text = documents.read_text(path, self.limits)
            return text, documents.parse(text, json_syntax=True, limits=self.limits)
        except DocumentError as exc:
            message = exc.message
            if not text_after_bom(path):
                message = "is empty (only a UTF-8 byte-order mark)"
            raise SnapshotError(message, file=name, line=exc.line) from None

    def items(self, kind: str, what: str, folder: str | None = None) -> Iterator[Item]:
        for path in self.files(kind, folder):
            name = str(path)
            text, value = self.read(path)
            if isinstance(value, dict):
                entries: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
            elif isinstance(value, list):
                entries = [((i,), v) for i, v in enumerate(value)]
            else:
                raise SnapshotError(f"expected the JSON object or list that `{what}` prints, "
                                    f"got {type(value).__name__}", file=name, line=1)
            for loc, entry in entries:
                if not isinstance(entry, dict):
                    line = documents.line_of(text, loc, self.limits) if loc else None
                    raise SnapshotError(f"expected an object as `{what}` prints it, got "
                                        f"{type(entry).__name__}", file=name, line=line,
                                        path=path_text(loc) or None)
                item = Item(entry, name, text, loc, self.limits)
                self._note_scope(item)
                yield item

    def _note_scope(self, item: Item) -> None:
        ident = item.value.get("id")
        if isinstance(ident, str):
            match = _ID.search(ident)
            if match:
                self._workspaces.setdefault(match["ws"], (match["sub"], match["rg"], item.file))
            match = _REGISTRY_ID.match(ident)
            if match:
                self._registries.add(match["registry"])

    # --- mapping ------------------------------------------------------------------------

    def load(self) -> LoadedSnapshot:
        return validate(self.build(), origin=str(self.directory), text=None)

    def build(self) -> dict[str, Any]:
        """The snapshot-v1 document (not yet validated)."""
        from . import foundry  # it reads with this module's Item
        if not self.directory.is_dir():
            raise SnapshotError("not a directory of Azure ML exports", file=str(self.directory))
        if not any(self.files(k) for k in EXPORT_KINDS if k != "evaluations") and not (
                self.directory / "evaluations").is_dir():
            raise SnapshotError("no Azure ML export found: expected models.json, data.json, "
                                "jobs/*.json, endpoints/*.json, deployments/*.json, "
                                "agents/*.json or evaluations/ (see README, 'Importing from "
                                "Azure ML / Foundry')", file=str(self.directory))
        models = self._read_models()
        datasets = self._read_datasets()
        jobs = self._read_jobs()
        deployments = self._read_deployments()
        out_models = [self._model(m, jobs) for _, m in sorted(models.items())]
        out_models = foundry.add_agents(self, out_models)
        foundry.add_evaluations(self, out_models, datasets)
        return {
            "schema_version": 1,
            "registry": self._registry(),
            "datasets": sorted(datasets, key=lambda d: (d["name"], natural(d["version"]))),
            "models": sorted(out_models, key=lambda m: m["name"]),
            "deployments": deployments,
        }

    def _registry(self) -> dict[str, Any]:
        name = self.registry_name
        tags: dict[str, str] = {}
        if len(self._workspaces) == 1:
            (ws, (sub, rg, _)), = self._workspaces.items()
            name = name or ws
            tags = {"azureml.subscription": sub, "azureml.resource_group": rg,
                    "azureml.workspace": ws}
        elif not self._workspaces and len(self._registries) == 1:
            registry, = self._registries
            name = name or registry
            tags = {"azureml.registry": registry}
        elif not name:
            if not self._workspaces:
                raise SnapshotError("cannot tell the workspace name: no export carries an "
                                    "Azure resource id; name the registry",
                                    file=str(self.directory), path="registry_name")
            names = ", ".join(sorted(self._workspaces))
            raise SnapshotError(f"the exports come from several workspaces ({names}); name "
                                "the registry", file=str(self.directory), path="registry_name")
        assert name is not None
        return registry_block(name, source=SOURCE, captured_at=self.captured_at,
                              organization=self.organization, tags=tags)

    def _read_models(self) -> dict[str, _Model]:
        models: dict[str, _Model] = {}
        sources = [(item, False) for item in self.items("models", "az ml model show")]
        sources += [(item, True) for item in self.items(
            "models", "az ml model list --archived-only", folder="models/archived")]
        for item, archived in sources:
            name = item.string("name", required=True)
            assert name is not None
            model = models.setdefault(name, _Model(name))
            if "version" not in item.value and "latest_version" in item.value:
                model.container = item  # `az ml model list`: the model, not a version
                continue
            version = item.string("version", required=True)
            assert version is not None
            if version in model.versions:
                raise item.fail(f"model version {model_version_id(name, version)} is exported "
                                f"twice (also in {model.versions[version].item.file})",
                                "version")
            model.versions[version] = _Version(item, archived)
        unexported = sorted(name for name, model in models.items() if not model.versions)
        if unexported:
            listed = models[unexported[0]].container
            assert listed is not None
            names = ", ".join(unexported)
            if not self.allow_unexported_models:
                raise listed.fail(f"`az ml model list` names {len(unexported)} model(s) whose "
                                  f"versions were not exported: {names} (save `az ml model "
                                  "list --name N` to models/, or pass "
                                  "--allow-unexported-models to leave them out)", "name")
            self.warnings.append(f"left out {len(unexported)} model(s) that `az ml model "
                                 f"list` names but whose versions were not exported: {names}")
            for name in unexported:
                del models[name]
        return models

    def _model(self, model: _Model, jobs: dict[str, Item]) -> dict[str, Any]:
        out: dict[str, Any] = {"name": model.name}
        entries = [(v, entry.item.time("created_at"), (v, entry.item))
                   for v, entry in model.versions.items()]
        newest = newest_first(entries)
        # model-level fields: from the versions' tags, newest first. `az ml model list`
        # prints no container tags or description (the SDK keeps neither), so they are
        # never read there.
        out.update(model_fields(model.name, newest, "tags", self.warnings))
        if model.container is not None:
            self._check_container(model)
        for _, item in newest:
            description = item.string("description")
            if description:
                out["description"] = description
                break
        ordered = sorted(model.versions.items(), key=lambda kv: natural(kv[0]))
        out["versions"] = [self._version(entry, jobs) for _, entry in ordered]
        return out

    def _check_container(self, model: _Model) -> None:
        container = model.container
        assert container is not None
        container.known_tags(container.tags(), VERSION_TAGS)
        ignored = sorted(t for t in container.tags() if t.startswith("almguard."))
        if ignored:
            self.warnings.append(f"model {model.name!r}: tags {', '.join(ignored)} of the "
                                 "model list entry are not read (the Azure CLI does not "
                                 "print them); tag the versions")
        latest = container.string("latest_version")
        if latest and latest not in model.versions:
            self.warnings.append(f"model {model.name!r}: `az ml model list` says its latest "
                                 f"version is {latest}, which was not exported")

    def _version(self, entry: _Version, jobs: dict[str, Item]) -> dict[str, Any]:
        # The version's tags are kept as exported, almguard.semver included: Azure numbers
        # versions 1, 2, 3 and deployments name that number, so the semantic version stays
        # a tag (ALM-REG-001 reads it) and the version string is not renamed.
        item = entry.item
        tags = item.tags()
        item.known_tags(tags, VERSION_TAGS)
        out: dict[str, Any] = {"version": item.string("version", required=True)}
        stage = item.string("stage")
        if entry.archived:
            # `az ml model archive`: hidden from the model's list, whatever its stage says
            out["stage"] = "archived"
            tags.setdefault("azureml.archived", "true")
            if stage is not None and stage.lower() != "archived":
                tags.setdefault("azureml.stage", stage)
        elif stage is not None:
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
        ident = item.string("id")
        registry = _REGISTRY_ID.match(ident) if ident else None
        if registry:
            tags.setdefault("azureml.registry", registry["registry"])
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

    def _by_name(self, folder: str, command: str, what: str) -> dict[str, Item]:
        """The exports of one kind by their unique name (a name exported twice is an
        error naming both files)."""
        found: dict[str, Item] = {}
        for item in self.items(folder, command):
            name = item.string("name", required=True)
            assert name is not None
            if name in found:
                raise item.fail(f"{what} {name!r} is exported twice (also in "
                                f"{found[name].file})", "name")
            found[name] = item
        return found

    def _read_jobs(self) -> dict[str, Item]:
        found: dict[str, Item] = {}
        for item in self.items("jobs", "az ml job show"):
            name = _job_string(item, "name", required=True)
            assert name is not None
            if name in found:
                raise item.fail(f"job {name!r} is exported twice (also in "
                                f"{found[name].file})", *_job_field(item, "name"))
            item.known_tags(_job_tags(item), JOB_TAGS, _tags_key(item), (INPUT_TAG,))
            found[name] = item
        return found

    # --- lineage ------------------------------------------------------------------------

    def _lineage(self, job: Item, version_tags: dict[str, str]) -> dict[str, Any]:
        if job.string("type") == "pipeline":
            return self._pipeline_lineage(job, version_tags)
        job_tags = _job_tags(job)
        lineage = self._data_lineage(job, job.mapping("inputs"), ("inputs",), job_tags,
                                     version_tags)
        training_job: dict[str, str] = {"id": _job_string(job, "name", required=True) or ""}
        pinned = _code_ref(job, job_tags)
        if pinned:
            training_job["code_ref"] = pinned
        environment = job.value.get("environment")
        if isinstance(environment, str):
            training_job["environment"] = environment
        elif isinstance(environment, dict) and isinstance(environment.get("image"), str):
            training_job["environment"] = environment["image"]
        lineage["training_job"] = training_job
        return lineage

    def _data_lineage(self, job: Item, inputs: dict[str, Any], at: tuple[str | int, ...],
                      job_tags: dict[str, str], version_tags: dict[str, str],
                      prefix: str = "") -> dict[str, Any]:
        """training_data, evaluation_data and base_model from a job's (or step's) inputs."""
        training: list[dict[str, str]] = []
        evaluation: list[dict[str, str]] = []
        base_models: list[dict[str, str]] = []
        for name, spec in inputs.items():
            if not isinstance(spec, dict):
                continue  # a literal input (learning_rate: 0.01): not data
            path = spec.get("path")
            if not isinstance(path, str) or path.startswith("${{"):
                continue  # no path, or a binding to the pipeline or another step
            kind = spec.get("type", "uri_folder")
            if not isinstance(kind, str):
                raise job.fail("expected a string", *at, name, "type")
            if kind.endswith("_model"):
                ref = _asset_ref(path, "models")
                if ref:
                    base_models.append({"name": ref[0], "version": ref[1]})
                continue
            role = job.choice(job_tags, f"{INPUT_TAG}{prefix}{name}", INPUT_ROLES,
                              _tags_key(job))
            if role is None:
                role = "evaluation" if EVALUATION_INPUT.search(name) else "training"
            if role == "ignore":
                continue
            ref = _asset_ref(path, "data")
            if ref is None:
                # a datastore URI or `@latest`: no dataset version to link; keep it visible
                version_tags.setdefault(f"azureml.input.{prefix}{name}", path)
                continue
            (evaluation if role == "evaluation" else training).append(
                {"dataset": ref[0], "version": ref[1]})
        lineage: dict[str, Any] = {}
        if training:
            lineage["training_data"] = training
        if evaluation:
            lineage["evaluation_data"] = evaluation
        if len(base_models) == 1:
            lineage["base_model"] = base_models[0]
        return lineage

    def _pipeline_lineage(self, job: Item, version_tags: dict[str, str]) -> dict[str, Any]:
        """A pipeline job: its data inputs are the model's data, the steps upstream of the
        training step its preprocessing, the training step its training job."""
        name = _job_string(job, "name", required=True)
        assert name is not None
        job_tags = _job_tags(job)
        steps = job.mapping("jobs")
        for step, node in steps.items():
            if not isinstance(node, dict):
                raise job.fail(f"expected an object, got {type(node).__name__}", "jobs", step)
        lineage = self._data_lineage(job, job.mapping("inputs"), ("inputs",), job_tags,
                                     version_tags)
        for step in sorted(steps):  # data named by the steps themselves
            step_lineage = self._data_lineage(
                job, job.mapping("inputs", ("jobs", step)), ("jobs", step, "inputs"),
                job_tags, version_tags, prefix=f"{step}.")
            for key in ("training_data", "evaluation_data"):
                for ref in step_lineage.get(key, ()):
                    if ref not in lineage.setdefault(key, []):
                        lineage[key].append(ref)
        pinned = _code_ref(job, job_tags)
        training = self._training_step(job, steps, job_tags)
        if training is None:
            self.notes.append(f"pipeline job {name!r}: no training step found (tag the job "
                              f"{TRAINING_STEP_TAG}=<step>): the pipeline is the training "
                              "job and no preprocessing is imported")
            training_job = {"id": name}
            if pinned:
                training_job["code_ref"] = pinned
            lineage["training_job"] = training_job
            return lineage
        upstream = _upstream(steps, training)
        preprocessing = []
        for step in upstream:
            entry = {"name": step}
            ref = pinned or _component_ref(steps[step])
            if ref:
                entry["code_ref"] = ref
            preprocessing.append(entry)
        if preprocessing:
            lineage["preprocessing"] = preprocessing
        training_job = {"id": f"{name}/{training}"}
        ref = pinned or _component_ref(steps[training])
        if ref:
            training_job["code_ref"] = ref
        environment = steps[training].get("environment")
        if isinstance(environment, str):
            training_job["environment"] = environment
        lineage["training_job"] = training_job
        return lineage

    def _training_step(self, job: Item, steps: dict[str, dict[str, Any]],
                       job_tags: dict[str, str]) -> str | None:
        tagged = job_tags.get(TRAINING_STEP_TAG)
        if tagged is not None:
            if tagged not in steps:
                raise job.fail(f"names step {tagged!r}, which the pipeline does not have "
                               f"(steps: {', '.join(sorted(steps))})", *_tags_key(job),
                               TRAINING_STEP_TAG)
            return tagged
        outputs = job.mapping("outputs")
        model_outputs = {o for o, spec in outputs.items() if isinstance(spec, dict)
                         and str(spec.get("type", "")).endswith("_model")}
        makers = []
        for step, node in sorted(steps.items()):
            bound = node.get("outputs")
            for value in (bound.values() if isinstance(bound, dict) else ()):
                text = value.get("path") if isinstance(value, dict) else value
                match = _OUTPUT_BINDING.match(text) if isinstance(text, str) else None
                if match and match["output"] in model_outputs:
                    makers.append(step)
                    break
        return makers[0] if len(makers) == 1 else None

    # --- data and deployments -----------------------------------------------------------

    def _read_datasets(self) -> list[dict[str, Any]]:
        seen: dict[tuple[str, str], str] = {}
        out = []
        for item in self.items("data", "az ml data show"):
            if "version" not in item.value and "latest_version" in item.value:
                continue  # a data container names no version
            name = item.string("name", required=True)
            version = item.string("version", required=True)
            assert name is not None and version is not None
            if (name, version) in seen:
                raise item.fail(f"data asset {dataset_id(name, version)} is exported twice "
                                f"(also in {seen[(name, version)]})", "version")
            seen[(name, version)] = item.file
            tags = item.tags()
            item.known_tags(tags, DATA_TAGS)
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
        return out

    def _read_deployments(self) -> list[dict[str, Any]]:
        endpoints = self._by_name("endpoints", "az ml online-endpoint show", "endpoint")
        for item in endpoints.values():
            item.known_tags(item.tags(), ENDPOINT_TAGS)
            for split, share in item.mapping("traffic").items():
                if (not isinstance(share, (int, float)) or isinstance(share, bool)
                        or not 0 <= share <= 100):
                    raise item.fail("traffic share must be a number from 0 to 100",
                                    "traffic", split)
        out: list[dict[str, Any]] = []
        placed: dict[tuple[str, str], Item] = {}
        served: dict[str, Item] = {}
        for item in self.items("deployments", "az ml online-deployment list"):
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
            ident = deployment_id(endpoint_name, *ref)
            if ident in served:
                raise item.fail(f"two deployments of endpoint {endpoint_name!r} serve "
                                f"{model_version_id(*ref)} (also {served[ident].file}); "
                                "snapshot-v1 has one entry per endpoint and model version",
                                "model")
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
            item.known_tags(tags, DEPLOYMENT_TAGS)
            tags.setdefault("azureml.deployment", name)
            registry = _REGISTRY_ID.match(model_ref)
            if registry:
                tags.setdefault("azureml.registry", registry["registry"])
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


# --- jobs in either form -------------------------------------------------------------------
# `az ml job show` prints a command job either as a job (name, tags, creation_context at the
# top) or as the SDK's command node, whose name, tags, display_name and creation_context are
# under `component` (inputs, properties, environment stay at the top).

def _node_form(job: Item) -> bool:
    return "name" not in job.value and isinstance(job.value.get("component"), dict)


def _job_field(job: Item, key: str) -> tuple[str, ...]:
    return ("component", key) if _node_form(job) else (key,)


def _job_string(job: Item, key: str, *, required: bool = False) -> str | None:
    *parent, name = _job_field(job, key)
    return job.string(name, required=required, parent=tuple(parent))


def _tags_key(job: Item) -> tuple[str, ...]:
    return ("component", "tags") if _node_form(job) else ("tags",)


def _job_tags(job: Item) -> dict[str, str]:
    if _node_form(job):
        return job.tags("tags", ("component",))
    return job.tags()


def _code_ref(job: Item, job_tags: dict[str, str]) -> str | None:
    props = job.mapping("properties")
    job_meta = {**job_tags, **{k: v for k, v in props.items() if isinstance(v, str)}}
    commit = next((job_meta[k] for k in COMMIT_KEYS if job_meta.get(k)), None)
    repo = next((job_meta[k] for k in REPO_KEYS if job_meta.get(k)), None)
    return code_ref(commit, repo)


def _component_ref(node: dict[str, Any]) -> str | None:
    """A pipeline step's component as its code reference: a registered component version
    (``azureml:name:version``) or an inline component's code asset."""
    component = node.get("component")
    if isinstance(component, str):
        return component
    if isinstance(component, dict) and isinstance(component.get("code"), str):
        return str(component["code"])
    return None


def _upstream(steps: dict[str, dict[str, Any]], target: str) -> list[str]:
    """The steps whose outputs reach ``target`` (through its inputs), dependencies first
    (ties by name)."""
    def needs(step: str) -> set[str]:
        inputs = steps[step].get("inputs")
        found: set[str] = set()
        for spec in (inputs.values() if isinstance(inputs, dict) else ()):
            text = spec.get("path") if isinstance(spec, dict) else spec
            if isinstance(text, str):
                found.update(m["step"] for m in _STEP_BINDING.finditer(text))
        return {s for s in found if s in steps}

    wanted: set[str] = set()
    todo = [target]
    while todo:
        for step in needs(todo.pop()):
            if step not in wanted:
                wanted.add(step)
                todo.append(step)
    ordered: list[str] = []
    while len(ordered) < len(wanted):
        ready = sorted(s for s in wanted - set(ordered) if needs(s) <= set(ordered))
        if not ready:  # a cycle: cannot happen in a pipeline the service accepted
            ready = sorted(wanted - set(ordered))
        ordered.append(ready[0])
    return ordered
