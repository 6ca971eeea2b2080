"""Source: OpenLineage run events (NDJSON, as the openlineage-python file transport writes).

A completed run (an event of type COMPLETE) is the training job of a model version when its
run facet `tags` holds `almguard.model_version` = NAME@VERSION, or when its runId is the
training job id a registry source gives the version. The run's input datasets become its
training data (evaluation data when tagged `almguard.role` = `evaluation`), with the version
of the `version` dataset facet and a digest from the dataset tag `almguard.digest`; the
completed runs upstream of it (that wrote its inputs), oldest first, are its preprocessing.
Mapping in docs/compose.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .. import documents
from ..compose import Fragment
from ..documents import DocumentError, Limits
from ..errors import SnapshotError
from ..ids import dataset_id, model_version_id
from ..times import check_time
from ..validation import shown
from .convention import TAG, not_one_of, unknown_key, unknown_message
from .importing import code_ref

MODEL_TAG = "almguard.model_version"
DIGEST_TAG = "almguard.digest"
ROLE_TAG = "almguard.role"
ROLES = ("training", "evaluation")
RUN_TAGS = (MODEL_TAG,)
DATASET_TAGS = (DIGEST_TAG, ROLE_TAG)
SEE = "docs/compose.md, 'OpenLineage'"


@dataclass
class _Dataset:
    namespace: str
    name: str
    version: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.namespace, self.name

    @property
    def uri(self) -> str | None:
        if "://" not in self.namespace:
            return None
        return self.namespace.rstrip("/") + "/" + self.name.lstrip("/")


@dataclass
class _Run:
    run_id: str
    job: str
    where: tuple[str, int]
    completed_at: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    code: dict[str, Any] = field(default_factory=dict)
    inputs: dict[tuple[str, str], _Dataset] = field(default_factory=dict)
    outputs: dict[tuple[str, str], _Dataset] = field(default_factory=dict)


class _Line:
    def __init__(self, file: str, line: int) -> None:
        self.file, self.line = file, line

    def fail(self, path: str, message: str) -> SnapshotError:
        return SnapshotError(message, file=self.file, line=self.line, path=path or None)

    def get(self, value: Any, path: str, kind: type, required: bool = False) -> Any:
        node = value
        for step in path.split("."):
            node = node.get(step) if isinstance(node, dict) else None
        if node is None:
            if required:
                raise self.fail(path, "required field missing")
            return None
        if not isinstance(node, kind) or isinstance(node, bool):
            raise self.fail(path, f"expected {kind.__name__}, got {shown(node)}")
        return node


def _tags(at: _Line, facets: Any, path: str, known: tuple[str, ...]) -> dict[str, str]:
    """The `tags` facet (run or dataset) as key -> value; `path` is where the facets are.
    An almguard.* key other than `known` is a typo, a role other than ROLES too."""
    listed = at.get(facets, "tags.tags", list)
    out: dict[str, str] = {}
    for i, tag in enumerate(listed or ()):
        where = f"{path}.tags.tags[{i}]"
        if not isinstance(tag, dict):
            raise at.fail(where, "expected {key, value}")
        key = at.get(tag, "key", str, required=True)
        value = at.get(tag, "value", str, required=True)
        if unknown_key([key], TAG, known) is not None:
            raise at.fail(f"{where}.key", f"{key}: {unknown_message(known, SEE)}")
        if key == ROLE_TAG and value not in ROLES:
            raise at.fail(f"{where}.value", f"{ROLE_TAG}: {not_one_of(value, ROLES)}")
        out[key] = value
    return out


def _datasets(at: _Line, event: dict[str, Any], key: str) -> list[_Dataset]:
    listed = event.get(key) or []
    if not isinstance(listed, list):
        raise at.fail(key, f"expected a list, got {shown(listed)}")
    out = []
    for i, item in enumerate(listed):
        path = f"{key}[{i}]"
        if not isinstance(item, dict):
            raise at.fail(path, "expected a dataset (a mapping)")
        facets = item.get("facets") or {}
        dataset = _Dataset(at.get(item, "namespace", str, required=True),
                           at.get(item, "name", str, required=True),
                           at.get(facets, "version.datasetVersion", str),
                           _tags(at, facets, path + ".facets", DATASET_TAGS))
        out.append(dataset)
    return out


def _events(path: Path) -> list[tuple[_Line, dict[str, Any]]]:
    try:
        text = documents.read_text(path, Limits())
    except DocumentError as exc:
        raise SnapshotError(exc.message, file=str(path), line=exc.line) from None
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        at = _Line(str(path), number)
        try:
            event = json.loads(line)
        except ValueError as exc:
            raise at.fail("", f"not a JSON run event: {exc}") from None
        if not isinstance(event, dict):
            raise at.fail("", "not a run event (a JSON object)")
        out.append((at, event))
    return out


def _files(paths: list[Path]) -> list[Path]:
    """NDJSON files, and the files of a directory (the file transport without append
    writes one file per event), in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file()))
        elif path.exists():
            files.append(path)
        else:
            raise SnapshotError("no such file or directory", file=str(path))
    return files


def _runs(paths: list[Path]) -> dict[str, _Run]:
    runs: dict[str, _Run] = {}
    for path in _files(paths):
        for at, event in _events(path):
            run_id = at.get(event, "run.runId", str, required=True)
            job = at.get(event, "job.name", str, required=True)
            at.get(event, "job.namespace", str, required=True)
            state = at.get(event, "eventType", str)
            time = at.get(event, "eventTime", str, required=True)
            try:
                check_time(time)
            except ValueError as exc:
                raise at.fail("eventTime", str(exc)) from None
            run = runs.setdefault(run_id, _Run(run_id, job, (at.file, at.line)))
            if run.job != job:
                raise at.fail("job.name", f"run {run_id} is also of job {run.job!r}")
            run.tags.update(_tags(at, event.get("run", {}).get("facets") or {},
                                  "run.facets", RUN_TAGS))
            code = at.get(event, "job.facets.sourceCodeLocation", dict)
            if code:
                run.code = code
            for dataset in _datasets(at, event, "inputs"):
                run.inputs[dataset.key] = dataset
            for dataset in _datasets(at, event, "outputs"):
                run.outputs[dataset.key] = dataset
            if state == "COMPLETE":
                run.completed_at, run.where = time, (at.file, at.line)
    return runs


def _code_ref(run: _Run) -> str | None:
    return code_ref(run.code.get("version"), run.code.get("repoUrl") or run.code.get("url"))


def _upstream(run: _Run, completed: list[_Run]) -> list[_Run]:
    """The completed runs that wrote this run's inputs, and theirs, oldest first."""
    found: dict[str, _Run] = {}
    todo = [run]
    while todo:
        current = todo.pop()
        for other in completed:
            if other.run_id in found or other is run:
                continue
            if any(key in other.outputs and other.outputs[key].version in (None, d.version)
                   for key, d in current.inputs.items()):
                found[other.run_id] = other
                todo.append(other)
    return sorted(found.values(), key=lambda r: (r.completed_at or "", r.run_id))


def openlineage_fragment(name: str, paths: list[Path], *,
                         runs: Mapping[str, tuple[str, str]]) -> Fragment:
    fragment = Fragment(source=name, kind="openlineage", origin=", ".join(map(str, paths)),
                        creates=frozenset({"dataset"}))
    all_runs = _runs(paths)
    completed = sorted((r for r in all_runs.values() if r.completed_at),
                       key=lambda r: (r.completed_at or "", r.run_id))
    trained: dict[tuple[str, str], _Run] = {}
    datasets: dict[str, dict[str, Any]] = {}
    models: dict[str, dict[str, Any]] = {}
    for run in completed:
        tagged = run.tags.get(MODEL_TAG)
        if tagged is not None:
            model, at, version = tagged.rpartition("@")
            if not at or not model or not version:
                raise SnapshotError(f"{MODEL_TAG} must be NAME@VERSION, got {tagged!r}",
                                    file=run.where[0], line=run.where[1], path="run.facets.tags")
            target = (model, version)
        elif run.run_id in runs:
            target = runs[run.run_id]
        else:
            continue
        if target in trained:
            raise SnapshotError(f"runs {trained[target].run_id} and {run.run_id} both train "
                                f"{model_version_id(*target)}", file=run.where[0],
                                line=run.where[1])
        trained[target] = run
        lineage: dict[str, Any] = {"training_job": {"id": run.run_id}}
        ref = _code_ref(run)
        if ref:
            lineage["training_job"]["code_ref"] = ref
        for dataset in sorted(run.inputs.values(), key=lambda d: d.key):
            if dataset.version is None:
                fragment.notes.append(f"{name}: run {run.run_id} input {dataset.name} has no "
                                      "version facet: not referenced as lineage")
                continue
            role = ("evaluation_data" if dataset.tags.get(ROLE_TAG) == "evaluation"
                    else "training_data")
            lineage.setdefault(role, []).append({"dataset": dataset.name,
                                                 "version": dataset.version})
            entry: dict[str, Any] = {"name": dataset.name, "version": dataset.version}
            if dataset.uri:
                entry["uri"] = dataset.uri
            if DIGEST_TAG in dataset.tags:
                entry["digest"] = dataset.tags[DIGEST_TAG]
            ident = dataset_id(dataset.name, dataset.version)
            datasets.setdefault(ident, entry)
            fragment.where.setdefault(("dataset", ident), run.where)
        steps = []
        for step in _upstream(run, completed):
            item = {"name": step.job}
            step_ref = _code_ref(step)
            if step_ref:
                item["code_ref"] = step_ref
            steps.append(item)
        if steps:
            lineage["preprocessing"] = steps
        model, version = target
        models.setdefault(model, {"name": model, "versions": []})["versions"].append(
            {"version": version, "lineage": lineage})
        fragment.where[("model_version", model_version_id(model, version))] = run.where
        fragment.where.setdefault(("model", model), run.where)
    fragment.models = list(models.values())
    fragment.datasets = [datasets[k] for k in sorted(datasets)]
    return fragment
