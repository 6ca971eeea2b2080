"""Snapshot source: an MLflow tracking server and model registry (MLflow 3), read live.

The MLflow client (the optional extra ``almguard[mlflow]``) is imported only when a snapshot
is loaded, so this module imports without it. Everything is read in batches, never one call
per version:

1. ``search_experiments`` (all, paged): the experiment ids that scope the run searches;
2. ``search_registered_models`` (paged; ``name IN (...)`` for the models asked for);
3. ``search_model_versions`` (paged; ``name IN (...)`` in chunks when models are named);
4. ``search_runs`` with ``attributes.run_id IN (...)`` in chunks, deleted runs included: the
   versions' source runs, then their parent runs level by level;
5. ``search_runs`` with ``tags.`almguard.step` = 'preprocessing'`` (paged) in the source
   runs' experiments: the preprocessing step runs of a pipeline;
6. ``search_logged_models`` with ``model_id IN (...)`` in chunks: the MLflow 3 LoggedModels
   named by the versions' ``source`` (``models:/m-…``), whose metrics carry the dataset
   they were computed on.

Nothing is invented: what MLflow does not store (approvals, deployments, rollout history,
safety evaluations, retirement) comes only from the almguard tag convention and is absent
otherwise, so that the policies report it. The mapping and the convention are documented in
README.md ("Importing from MLflow"); the mapping functions below take MLflow entities (or
anything with the same attributes) and do no I/O.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import warnings
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

from pydantic import TypeAdapter, ValidationError

from ..errors import MLflowError, SnapshotError
from ..snapshot import (Approval, BaseModelRef, BiasAssessment, ConfigArtifact, Deployment,
                        Evaluation, PreprocessingStep, Retirement, SafetyEvaluation, Stage)
from ..times import format_time, from_epoch_ms
from ..validation import first_problem
from .importing import (EVALUATION_INPUT, MODEL_TAGS, code_ref, natural, now,
                        registry_block)
from .interface import LoadedSnapshot, SnapshotSource, validate
from .convention import TAG, unknown_key, unknown_message

SOURCE = "mlflow"
INSTALL_HINT = "pip install 'almguard[mlflow]'"

# Page and chunk sizes: registered models allow at most 1,000 a page; run and LoggedModel
# ids go into `IN (...)` filters a chunk at a time to keep each request small.
MODEL_PAGE = 1000
VERSION_PAGE = 10_000
RUN_PAGE = 1000
ID_CHUNK = 200
MAX_PARENT_DEPTH = 16

# MLflow's own client retries an unreachable server for minutes (7 retries, backoff factor
# 2) with a 120 s timeout per request; an import should fail within seconds. And an audit
# tool reading a registry sends no usage telemetry to MLflow's collector. These apply unless
# the variables are already set in the environment (set before mlflow is imported: its
# telemetry client starts at import).
CLIENT_ENVIRONMENT = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
    "MLFLOW_DISABLE_TELEMETRY": "true",
}

UNKNOWN_USER = "unknown"  # what MLflow records when it does not know the user
STAGES = {"staging": "staging", "production": "production", "archived": "archived"}
NO_STAGE = ("", "none")

COMMIT_TAG = "mlflow.source.git.commit"
REPO_TAG = "mlflow.source.git.repoURL"
PARENT_TAG = "mlflow.parentRunId"
CONTEXT_TAG = "mlflow.data.context"
STEP_TAG = "almguard.step"
TRAINING_CONTEXT = re.compile(r"train", re.IGNORECASE)
LOGGED_MODEL_URI = re.compile(r"^models:/(?P<id>m-[0-9a-f]+)$")

# The almguard tag convention on model versions: tag → (where it goes, its type). The value
# of a JSON tag is the snapshot-v1 field itself, as JSON.
VERSION_JSON_TAGS: dict[str, tuple[str, Any]] = {
    "almguard.approvals": ("approvals", list[Approval]),
    "almguard.evaluations": ("evaluations", list[Evaluation]),
    "almguard.safety_evaluations": ("safety_evaluations", list[SafetyEvaluation]),
    "almguard.bias_assessments": ("bias_assessments", list[BiasAssessment]),
    "almguard.config_artifacts": ("config_artifacts", list[ConfigArtifact]),
    "almguard.retirement": ("retirement", Retirement),
    "almguard.preprocessing": ("lineage.preprocessing", list[PreprocessingStep]),
    "almguard.base_model": ("lineage.base_model", BaseModelRef),
    "almguard.deployments": ("deployments", None),  # checked by _deployments
}
# The semantic version of a version MLflow numbers 1, 2, 3: kept on the version's tags as it
# is (the version string stays the identity deployments use), for ALM-REG-001 to judge.
SEMVER_TAG = "almguard.semver"
VERSION_TEXT_TAGS = ("almguard.stage", "almguard.artifact_digest", SEMVER_TAG)
INPUT_TAGS = ("almguard.digest", "almguard.personal_data")
_ADAPTERS = {tag: TypeAdapter(kind) for tag, (_, kind) in VERSION_JSON_TAGS.items() if kind}
_STAGE_ADAPTER: TypeAdapter[str] = TypeAdapter(Stage)


# --- reading ----------------------------------------------------------------------------

def _import_mlflow() -> Any:
    for name, value in CLIENT_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    try:
        import mlflow  # noqa: F401
        from mlflow import MlflowClient  # noqa: F401
    except ImportError:
        raise MLflowError(f"importing from MLflow needs the mlflow package: {INSTALL_HINT}"
                          ) from None
    return mlflow


@contextmanager
def quiet_mlflow() -> Iterator[None]:
    """No MLflow warnings or log lines on our stderr during the import."""
    logger = logging.getLogger("mlflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def safe_uri(uri: str) -> str:
    """The tracking URI without credentials (user:password@ or a token in the query)."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https") and (parts.username or parts.password):
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    if parts.query:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return uri


def _server_error(uri: str, exc: BaseException) -> MLflowError:
    text = str(exc)
    if re.search(r"Connection refused|Failed to establish a new connection|"
                 r"Name or service not known|nodename nor servname|No route to host|"
                 r"Max retries exceeded|timed out", text):
        reason = ("connection refused" if "refused" in text else
                  "timed out" if "timed out" in text else
                  "unknown host" if re.search(r"not known|servname", text) else
                  "no connection")
        return MLflowError(f"cannot reach the MLflow tracking server ({reason})", file=uri)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if len(first) > 300:
        first = first[:300] + "…"
    return MLflowError(f"the MLflow server answered with an error: {first}", file=uri)


def _chunks(items: Sequence[str], size: int = ID_CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def _in_list(values: Iterable[str]) -> str:
    return "(" + ", ".join("'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
                           for v in values) + ")"


class _Reader:
    """The batched MLflow client calls, counted (the benchmark prints the count)."""

    def __init__(self, client: Any, uri: str, view_all: Any, active_only: Any) -> None:
        self.client = client
        self.uri = uri
        self.view_all = view_all
        self.active_only = active_only
        self.calls: Counter[str] = Counter()

    def _call(self, method: str, **kwargs: Any) -> Any:
        self.calls[method] += 1
        try:
            return getattr(self.client, method)(**kwargs)
        except (KeyboardInterrupt, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - MlflowException, requests, sqlalchemy...
            raise _server_error(self.uri, exc) from None

    def _paged(self, method: str, **kwargs: Any) -> Iterator[Any]:
        token = None
        while True:
            page = self._call(method, page_token=token, **kwargs)
            yield from page
            token = getattr(page, "token", None)
            if not token:
                return

    def experiment_ids(self) -> list[str]:
        return sorted({e.experiment_id for e in self._paged(
            "search_experiments", view_type=self.view_all, max_results=1000)}, key=natural)

    def _by_name(self, method: str, page: int, names: Sequence[str] | None) -> list[Any]:
        """Everything (one paged search), or the named models' (`name IN` chunks)."""
        if names is None:
            return list(self._paged(method, max_results=page))
        found: list[Any] = []
        for chunk in _chunks(sorted(set(names))):
            found.extend(self._paged(method, max_results=page,
                                     filter_string=f"name IN {_in_list(chunk)}"))
        return found

    def registered_models(self, names: Sequence[str] | None) -> list[Any]:
        found = self._by_name("search_registered_models", MODEL_PAGE, names)
        missing = sorted(set(names or ()) - {m.name for m in found})
        if missing:
            raise MLflowError(f"no registered model named {', '.join(map(repr, missing))}",
                              file=self.uri)
        return found

    def model_versions(self, names: Sequence[str] | None) -> list[Any]:
        return self._by_name("search_model_versions", VERSION_PAGE, names)

    def _by_ids(self, method: str, field_name: str, ids: Iterable[str],
                ident: Any, **kwargs: Any) -> dict[str, Any]:
        """Entities by id: `<field> IN (...)` a chunk of ids at a time, paged."""
        out: dict[str, Any] = {}
        if not kwargs.get("experiment_ids"):
            return out
        for chunk in _chunks(sorted(set(ids))):
            for entity in self._paged(method, filter_string=f"{field_name} IN "
                                      f"{_in_list(chunk)}", **kwargs):
                out[ident(entity)] = entity
        return out

    def runs(self, experiments: list[str], run_ids: Iterable[str]) -> dict[str, Any]:
        """Runs by id, deleted ones included (their lifecycle_stage says so)."""
        return self._by_ids("search_runs", "attributes.run_id", run_ids,
                            lambda run: run.info.run_id, experiment_ids=experiments,
                            run_view_type=self.view_all, max_results=RUN_PAGE)

    def step_runs(self, experiments: list[str]) -> list[Any]:
        """Active runs tagged almguard.step = preprocessing."""
        if not experiments:
            return []
        return list(self._paged("search_runs", experiment_ids=experiments,
                                filter_string=f"tags.`{STEP_TAG}` = 'preprocessing'",
                                run_view_type=self.active_only, max_results=RUN_PAGE))

    def logged_models(self, experiments: list[str], model_ids: Iterable[str]) -> dict[str, Any]:
        return self._by_ids("search_logged_models", "model_id", model_ids,
                            lambda model: model.model_id, experiment_ids=experiments,
                            max_results=ID_CHUNK)


@dataclass
class Registry:
    """What one import read from MLflow (entities as the client returns them)."""

    models: list[Any]
    versions: list[Any]
    runs: dict[str, Any] = field(default_factory=dict)
    step_runs: list[Any] = field(default_factory=list)
    logged_models: dict[str, Any] = field(default_factory=dict)


def logged_model_id(version: Any) -> str | None:
    """The LoggedModel of a version: `model_id` when the server fills it, else its source."""
    model_id = getattr(version, "model_id", None)
    if model_id:
        return model_id
    match = LOGGED_MODEL_URI.match(getattr(version, "source", None) or "")
    return match["id"] if match else None


def read_registry(reader: _Reader, names: Sequence[str] | None) -> Registry:
    """Every batched read one import needs (see the module docstring for the calls)."""
    experiments = reader.experiment_ids()
    models = reader.registered_models(names)
    wanted = {m.name for m in models}
    versions = [v for v in reader.model_versions(sorted(wanted) if names else None)
                if v.name in wanted]
    registry = Registry(models, versions)
    registry.runs = reader.runs(experiments, {v.run_id for v in versions if v.run_id})
    pending = {_parent(r) for r in registry.runs.values()} - {None} - set(registry.runs)
    for _ in range(MAX_PARENT_DEPTH):
        if not pending:
            break
        parents = reader.runs(experiments, pending)  # type: ignore[arg-type]
        registry.runs.update(parents)
        pending = {_parent(r) for r in parents.values()} - {None} - set(registry.runs)
    sources = [registry.runs[v.run_id] for v in versions if v.run_id in registry.runs]
    if any(_parent(r) for r in sources):
        step_experiments = sorted({r.info.experiment_id for r in sources}, key=natural)
        registry.step_runs = reader.step_runs(step_experiments)
    model_ids = {i for i in map(logged_model_id, versions) if i}
    if model_ids:
        registry.logged_models = reader.logged_models(experiments, model_ids)
    return registry


# --- mapping (pure) ---------------------------------------------------------------------

def _tags(entity: Any) -> dict[str, str]:
    """Tags of a registered model, version (dict) or run (`data.tags`)."""
    tags = getattr(entity, "tags", None)
    if tags is None and getattr(entity, "data", None) is not None:
        tags = entity.data.tags
    return dict(tags or {})


def _parent(run: Any) -> str | None:
    return _tags(run).get(PARENT_TAG) or None


def _run_user(run: Any) -> str | None:
    """Who ran it: the run's mlflow.user tag, else its user id unless MLflow's placeholder."""
    if run is None:
        return None
    user = _tags(run).get("mlflow.user") or getattr(run.info, "user_id", None)
    return user if user and user != UNKNOWN_USER else None


def time_of(millis: int | None) -> str | None:
    """Epoch milliseconds → RFC 3339 UTC (milliseconds shown when not zero)."""
    return None if millis is None else format_time(from_epoch_ms(millis), "ms")


def _source_uri(dataset: Any) -> str | None:
    """The `uri`/`url`/`path` of a dataset's source (a JSON string), if it names one."""
    try:
        source = json.loads(getattr(dataset, "source", None) or "null")
    except ValueError:
        return None
    if isinstance(source, dict):
        for key in ("uri", "url", "path"):
            if isinstance(source.get(key), str) and source[key]:
                return source[key]
    return None


class Mapper:
    """Registry entities → a snapshot-v1 document (not yet validated)."""

    def __init__(self, registry: Registry, *, origin: str) -> None:
        self.registry = registry
        self.origin = origin
        self.notes: list[str] = []
        self.datasets: dict[tuple[str, str], dict[str, Any]] = {}
        self._dataset_source: dict[tuple[str, str], str] = {}
        self.deployments: list[dict[str, Any]] = []
        self.steps: dict[str, list[Any]] = {}
        for run in registry.step_runs:
            parent = _parent(run)
            if parent:
                self.steps.setdefault(parent, []).append(run)

    # errors name the entity and the tag
    def _fail(self, where: str, tag: str, message: str) -> SnapshotError:
        return SnapshotError(f"{where}: tag {tag!r}: {message}", file=self.origin)

    def document(self, registry: dict[str, Any]) -> dict[str, Any]:
        by_model: dict[str, list[Any]] = {}
        for version in self.registry.versions:
            by_model.setdefault(version.name, []).append(version)
        models = [self._model(m, by_model.get(m.name, []))
                  for m in sorted(self.registry.models, key=lambda m: m.name)]
        datasets = [self.datasets[k] for k in sorted(self.datasets,
                                                       key=lambda k: (k[0], natural(k[1])))]
        deployments = sorted(self.deployments, key=lambda d: (d["endpoint"], d["model"],
                                                              natural(d["version"])))
        return {"schema_version": 1, "registry": registry, "datasets": datasets,
                "models": models, "deployments": deployments}

    def _model(self, model: Any, versions: list[Any]) -> dict[str, Any]:
        tags = _tags(model)
        where = f"model {model.name!r}"
        out: dict[str, Any] = {"name": model.name}
        known = {tag for _, tag, _ in MODEL_TAGS}
        for key, tag, allowed in MODEL_TAGS:
            value = tags.pop(tag, None)
            if value is None:
                continue
            if allowed and value not in allowed:
                raise self._fail(where, tag, f"{value!r} is not one of {', '.join(allowed)}")
            out[key] = value
        self._unknown(where, tags, known)
        if getattr(model, "description", None):
            out["description"] = model.description
        if tags:
            out["tags"] = dict(sorted(tags.items()))
        aliases: dict[str, list[str]] = {}
        for alias, number in (getattr(model, "aliases", None) or {}).items():
            aliases.setdefault(str(number), []).append(alias)
        out["versions"] = [self._version(model.name, v, sorted(aliases.get(v.version, [])))
                           for v in sorted(versions, key=lambda v: natural(v.version))]
        return out

    def _unknown(self, where: str, tags: dict[str, str], known: Iterable[str]) -> None:
        known = list(known)
        tag = unknown_key(tags, TAG, known)
        if tag is not None:
            raise self._fail(where, tag, unknown_message(known, "README, 'Importing from "
                                                         "MLflow'"))

    def _version(self, name: str, version: Any, aliases: list[str]) -> dict[str, Any]:
        number = str(version.version)
        where = f"model {name!r} version {number}"
        tags = _tags(version)
        convention = {k: tags.pop(k) for k in sorted(tags) if k.startswith("almguard.")}
        self._unknown(where, {k: v for k, v in convention.items()
                              if k not in VERSION_JSON_TAGS and k not in VERSION_TEXT_TAGS},
                      [*VERSION_JSON_TAGS, *VERSION_TEXT_TAGS])
        fields = {tag: self._json_tag(where, tag, text) for tag, text in convention.items()
                  if tag in VERSION_JSON_TAGS}
        out: dict[str, Any] = {"version": number}
        stage = self._stage(where, version, convention, tags)
        if stage:
            out["stage"] = stage
        registered: int | None = getattr(version, "creation_timestamp", None)
        born = self._logged_model_time(version)
        created_at = time_of(min((t for t in (registered, born) if t is not None),
                                 default=None))
        if created_at:
            out["created_at"] = created_at
        run = self.registry.runs.get(version.run_id) if version.run_id else None
        created_by = getattr(version, "user_id", None) or _run_user(run)
        if created_by:
            out["created_by"] = created_by
        artifact: dict[str, str] = {}
        if getattr(version, "source", None):
            artifact["uri"] = version.source
        digest = convention.get("almguard.artifact_digest")
        if digest is not None:
            if not digest.strip():
                raise self._fail(where, "almguard.artifact_digest", "empty")
            artifact["digest"] = digest
        if artifact:
            out["artifact"] = artifact
        if "almguard.config_artifacts" in fields:
            out["config_artifacts"] = fields["almguard.config_artifacts"]
        lineage = self._lineage(where, version, run, tags)
        for tag, key in (("almguard.preprocessing", "preprocessing"),
                         ("almguard.base_model", "base_model")):
            if tag in fields:
                lineage[key] = fields[tag]
        if lineage:
            out["lineage"] = lineage
        evaluations = self._evaluations(where, version, tags)
        evaluations.extend(fields.get("almguard.evaluations", []))
        if evaluations:
            out["evaluations"] = evaluations
        for tag in ("almguard.safety_evaluations", "almguard.bias_assessments",
                    "almguard.approvals", "almguard.retirement"):
            if tag in fields:
                out[VERSION_JSON_TAGS[tag][0]] = fields[tag]
        if "almguard.deployments" in fields:
            self.deployments.extend(self._deployments(where, name, number,
                                                      fields["almguard.deployments"]))
        if SEMVER_TAG in convention:
            tags[SEMVER_TAG] = convention[SEMVER_TAG]
        registered_at = time_of(registered)
        if registered_at and registered is not None and born is not None and born < registered:
            tags["mlflow.registered_at"] = registered_at
        if aliases:
            tags["mlflow.aliases"] = ",".join(aliases)
        if getattr(version, "description", None):
            tags["mlflow.description"] = version.description
        status = getattr(version, "status", None)
        if status and str(status) != "READY":
            tags["mlflow.status"] = str(status)
        if tags:
            out["tags"] = dict(sorted(tags.items()))
        return out

    def _logged_model_time(self, version: Any) -> int | None:
        """When the version's LoggedModel was logged (epoch ms), if the import read it.

        MLflow 3 registers a LoggedModel that its run logged, and usually evaluated, first:
        the model exists from then on, so that is the version's created_at (the registration
        time is kept as tag mlflow.registered_at) and its metrics are not dated before it.
        """
        model_id = logged_model_id(version)
        model = self.registry.logged_models.get(model_id) if model_id else None
        stamp = getattr(model, "creation_timestamp", None) if model is not None else None
        return stamp if isinstance(stamp, int) else None

    def _json_tag(self, where: str, tag: str, text: str) -> Any:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise self._fail(where, tag, f"not valid JSON ({exc.msg} at character "
                             f"{exc.pos})") from None
        except RecursionError:
            raise self._fail(where, tag, "JSON nested too deeply") from None
        adapter = _ADAPTERS.get(tag)
        if adapter is not None:
            try:
                adapter.validate_python(value)
            except ValidationError as exc:
                raise self._fail(where, tag, first_problem(exc).text) from None
        return value

    def _stage(self, where: str, version: Any, convention: dict[str, str],
               tags: dict[str, str]) -> str | None:
        if "almguard.stage" in convention:
            value = convention["almguard.stage"]
            try:
                return _STAGE_ADAPTER.validate_python(value)
            except ValidationError:
                raise self._fail(where, "almguard.stage", f"{value!r} is not a snapshot-v1 "
                                 "stage (development, evaluation, staging, production, "
                                 "archived, retired)") from None
        raw = str(getattr(version, "current_stage", None) or "")
        if raw.lower() in NO_STAGE:
            return None  # development, the default
        if raw.lower() in STAGES:
            return STAGES[raw.lower()]
        tags.setdefault("mlflow.stage", raw)
        return None

    def _deployments(self, where: str, name: str, number: str,
                     value: Any) -> list[dict[str, Any]]:
        tag = "almguard.deployments"
        if not isinstance(value, list):
            raise self._fail(where, tag, "expected a JSON list of deployments")
        out: list[dict[str, Any]] = []
        endpoints: set[str] = set()
        for index, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise self._fail(where, tag, f"[{index}]: expected an object")
            for key in ("model", "version"):
                if key in entry:
                    raise self._fail(where, tag, f"[{index}].{key}: the deployment serves "
                                     "this model version; leave the key out")
            deployment = {**{k: entry[k] for k in ("endpoint",) if k in entry},
                          "model": name, "version": number, **entry}
            try:
                Deployment.model_validate(deployment)
            except ValidationError as exc:
                raise self._fail(where, tag,
                                 first_problem(exc, prefix=(index,)).text) from None
            if entry["endpoint"] in endpoints:
                raise self._fail(where, tag, f"[{index}].endpoint: endpoint "
                                 f"{entry['endpoint']!r} is listed twice")
            endpoints.add(entry["endpoint"])
            out.append(deployment)
        return out

    # --- lineage ---------------------------------------------------------------------

    def _code_ref(self, run: Any) -> str | None:
        """The run's git commit (with repository), else the nearest parent run's."""
        seen: set[str] = set()
        while run is not None and run.info.run_id not in seen:
            seen.add(run.info.run_id)
            tags = _tags(run)
            ref = code_ref(tags.get(COMMIT_TAG), tags.get(REPO_TAG))
            if ref:
                return ref
            parent = _parent(run)
            run = self.registry.runs.get(parent) if parent else None
        return None

    def _lineage(self, where: str, version: Any, run: Any,
                 tags: dict[str, str]) -> dict[str, Any]:
        run_id = version.run_id
        if not run_id:
            return {}
        if run is None:
            tags["mlflow.run_missing"] = run_id
            self.notes.append(f"{where}: source run {run_id} not found (purged?): no lineage")
            return {}
        if run.info.lifecycle_stage == "deleted":
            tags["mlflow.run_deleted"] = run_id
            self.notes.append(f"{where}: source run {run_id} is deleted: lineage not "
                              "imported")
            return {}
        training: set[tuple[str, str]] = set()
        evaluation: set[tuple[str, str]] = set()
        for entry in getattr(run.inputs, "dataset_inputs", None) or ():
            key = self._dataset(run, entry)
            input_tags = {t.key: t.value for t in entry.tags or ()}
            context = input_tags.get(CONTEXT_TAG, "")
            if TRAINING_CONTEXT.search(context):
                training.add(key)
            elif EVALUATION_INPUT.search(context):
                evaluation.add(key)
            else:  # no lineage role: keep it visible
                tags[f"mlflow.input.{key[0]}@{key[1]}"] = context or "(no context)"
        lineage: dict[str, Any] = {}
        for field_name, refs in (("training_data", training), ("evaluation_data", evaluation)):
            if refs:
                lineage[field_name] = [{"dataset": n, "version": v} for n, v in
                                       sorted(refs, key=lambda r: (r[0], natural(r[1])))]
        steps = sorted((r for r in self.steps.get(_parent(run) or "", ())
                        if r.info.run_id != run_id),
                       key=lambda r: (r.info.start_time or 0, r.info.run_name or "",
                                      r.info.run_id))
        if steps:
            lineage["preprocessing"] = [self._step(r) for r in steps]
        job: dict[str, str] = {"id": run_id}
        ref = self._code_ref(run)
        if ref:
            job["code_ref"] = ref
        lineage["training_job"] = job
        return lineage

    def _step(self, run: Any) -> dict[str, str]:
        step = {"name": run.info.run_name or run.info.run_id}
        ref = self._code_ref(run)
        if ref:
            step["code_ref"] = ref
        return step

    def _dataset(self, run: Any, entry: Any) -> tuple[str, str]:
        """Record a run's dataset input as a dataset version; its (name, version)."""
        dataset = entry.dataset
        key = (dataset.name, dataset.digest)
        where = f"run {run.info.run_id} dataset {dataset.name}@{dataset.digest}"
        input_tags = {t.key: t.value for t in entry.tags or ()}
        self._unknown(where, {k: v for k, v in input_tags.items() if k not in INPUT_TAGS},
                      INPUT_TAGS)
        record: dict[str, Any] = {"name": dataset.name, "version": dataset.digest}
        uri = _source_uri(dataset)
        if uri:
            record["uri"] = uri
        if "almguard.digest" in input_tags:
            if not input_tags["almguard.digest"].strip():
                raise self._fail(where, "almguard.digest", "empty")
            record["digest"] = input_tags["almguard.digest"]
        if "almguard.personal_data" in input_tags:
            value = input_tags["almguard.personal_data"]
            if value not in ("true", "false"):
                raise self._fail(where, "almguard.personal_data",
                                 f"{value!r} is not one of true, false")
            record["personal_data"] = value == "true"
        record["tags"] = {"mlflow.digest": dataset.digest,
                          "mlflow.source_type": dataset.source_type or ""}
        self._merge_dataset(key, record, where)
        return key

    def _merge_dataset(self, key: tuple[str, str], record: dict[str, Any],
                       where: str) -> None:
        known = self.datasets.get(key)
        if known is None:
            self.datasets[key] = record
            self._dataset_source[key] = where
            return
        for field_name in ("digest", "personal_data"):
            if field_name in record and field_name in known and (
                    record[field_name] != known[field_name]):
                tag = f"almguard.{field_name}"
                raise self._fail(where, tag, f"{record[field_name]!r} contradicts "
                                 f"{known[field_name]!r} on {self._dataset_source[key]}")
            if field_name in record:
                known.setdefault(field_name, record[field_name])
        if "uri" in record and record["uri"] < known.get("uri", "\uffff"):
            known["uri"] = record["uri"]  # the same content from several places: pick one

    # --- evaluations -----------------------------------------------------------------

    def _evaluations(self, where: str, version: Any,
                     tags: dict[str, str]) -> list[dict[str, Any]]:
        model_id = logged_model_id(version)
        if not model_id:
            return []
        model = self.registry.logged_models.get(model_id)
        if model is None:
            tags["mlflow.logged_model_missing"] = model_id
            return []
        latest: dict[tuple[str, str, str], Any] = {}
        for metric in getattr(model, "metrics", None) or ():
            key = (metric.key, metric.dataset_name or "", metric.dataset_digest or "")
            best = latest.get(key)
            if best is None or (metric.step or 0, metric.timestamp or 0) >= (
                    best.step or 0, best.timestamp or 0):
                latest[key] = metric
        out = []
        for key in sorted(latest, key=lambda k: (k[0], k[1], natural(k[2]))):
            metric = latest[key]
            if not math.isfinite(metric.value):
                self.notes.append(f"{where}: metric {metric.key} = {metric.value} is not a "
                                  "finite number: not imported")
                continue
            evaluation: dict[str, Any] = {"metric": metric.key, "value": metric.value}
            if key[1] and key[2]:
                evaluation["dataset"] = {"dataset": key[1], "version": key[2]}
                if (key[1], key[2]) not in self.datasets:
                    self.datasets[(key[1], key[2])] = {
                        "name": key[1], "version": key[2], "tags": {"mlflow.digest": key[2]}}
                    self._dataset_source[(key[1], key[2])] = f"logged model {model_id}"
            evaluated_at = time_of(metric.timestamp)
            if evaluated_at:
                evaluation["evaluated_at"] = evaluated_at
            out.append(evaluation)
        return out


# --- the source -------------------------------------------------------------------------

def default_registry_name(uri: str) -> str:
    """host:port of an HTTP tracking server, else the (credential-free) URI itself."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https") and parts.hostname:
        return f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname
    return safe_uri(uri)


class MLflowSource(SnapshotSource):
    """An MLflow tracking server / model registry (MLflow 3), read with the MLflow client.

    `models` limits the import to those registered models (all when None). After `load()`,
    `notes` holds what the import left out and why (deleted source runs, …) and `calls` the
    number of client calls by method.
    """

    def __init__(self, tracking_uri: str, models: Sequence[str] | None = None,
                 registry_name: str | None = None, captured_at: str | None = None,
                 organization: str | None = None) -> None:
        if not tracking_uri:
            raise MLflowError("no MLflow tracking URI given (and MLFLOW_TRACKING_URI is not "
                              "set)", path="tracking_uri")
        self.tracking_uri = tracking_uri
        self.models = list(models) if models else None
        self.registry_name = registry_name
        self.captured_at = captured_at
        self.organization = organization
        self.origin = safe_uri(tracking_uri)
        self.notes: list[str] = []
        self.calls: Counter[str] = Counter()

    def load(self) -> LoadedSnapshot:
        return validate(self.build(), origin=self.origin, text=None)

    def build(self) -> dict[str, Any]:
        """The snapshot-v1 document (not yet validated)."""
        _import_mlflow()
        captured_at = self.captured_at or now()  # before reading: the state is as of then
        with quiet_mlflow():
            from mlflow import MlflowClient
            from mlflow.entities import ViewType
            try:
                client = MlflowClient(tracking_uri=self.tracking_uri)
            except Exception as exc:  # noqa: BLE001 - a URI the client cannot use
                raise _server_error(self.origin, exc) from None
            reader = _Reader(client, self.origin, ViewType.ALL, ViewType.ACTIVE_ONLY)
            try:
                registry = read_registry(reader, self.models)
            finally:
                self.calls = reader.calls
        mapper = Mapper(registry, origin=self.origin)
        tags = {"mlflow.tracking_uri": self.origin}
        document = mapper.document(registry_block(
            self.registry_name or default_registry_name(self.tracking_uri), source=SOURCE,
            captured_at=captured_at, organization=self.organization, tags=tags))
        self.notes = mapper.notes
        return document
