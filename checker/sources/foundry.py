"""Microsoft Foundry in the export directory: agents and evaluation results.

Read by ``almguard import azureml`` beside the Azure ML exports (azureml.py):

- ``agents.json`` and/or ``agents/*.json``: agent versions as the ``azure-ai-projects``
  SDK returns them, saved with ``as_dict()`` (``project.agents.list_versions(name)``, or
  ``agents.get(name)``, whose ``versions.latest`` is taken). Each agent is a model of type
  ``agent``, each agent version a model version: its instructions a ``prompt_template``
  config artifact, its knowledge tools (file search over vector stores, Azure AI Search
  indexes) a ``rag_config`` artifact, its model deployment the base model. The digests are
  computed here: sha256 of the exact instruction text (UTF-8), of the canonical JSON of
  the knowledge tools, and of the whole definition (the version's artifact).
- ``evaluations/<run>/``: one folder per ``azure-ai-evaluation`` ``evaluate()`` run with
  ``output_path=<run>``: its ``evaluation_results.json`` (rows and metrics), and an
  ``almguard.json`` the user writes, saying what ``evaluate()`` does not record — which
  model version was evaluated, when, and on which dataset (and optionally the ``data``
  file, whose sha256 becomes the dataset's digest). The metrics become the version's
  ``evaluations`` as recorded; the content-safety evaluators' recorded per-row results
  (``*_result``: pass/fail by the evaluator's own threshold) its ``safety_evaluations``.

No pass/fail is decided here: values are imported as recorded, and a safety evaluation is
written only where the output itself records pass or fail for every row.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..canonical import canonical_json, sha256
from ..errors import SnapshotError
from ..ids import dataset_id, model_version_id
from ..times import check_time, format_time, from_epoch_s
from .importing import MODEL_TAGS, natural

if TYPE_CHECKING:
    from .azureml import AzureMLExportSource, Item

STAGES = ("development", "evaluation", "staging", "production", "archived", "retired")
# The almguard.* keys read in an agent version's metadata (any other is a typo).
AGENT_TAGS = (*(tag for _, tag, _ in MODEL_TAGS), "almguard.stage", "almguard.semver")
# Agent tools that retrieve knowledge (the agent's RAG configuration).
KNOWLEDGE_TOOLS = ("file_search", "azure_ai_search")
# The content-safety metrics of azure-ai-evaluation (its EvaluationMetrics names).
SAFETY_METRICS = ("violence", "sexual", "self_harm", "hate_unfairness")
MANIFEST = "almguard.json"
RESULTS = "evaluation_results.json"  # evaluate()'s file name in an output_path folder
MANIFEST_KEYS = {"model", "version", "evaluated_at", "dataset", "data", "result",
                 "report_uri"}


# --- agents -------------------------------------------------------------------------------

def _agent_versions(source: AzureMLExportSource) -> dict[str, dict[str, Item]]:
    from .azureml import Item
    agents: dict[str, dict[str, Item]] = {}
    for item in source.items("agents", "agents.list_versions"):
        if item.value.get("object") == "agent":  # agents.get(): its latest version
            latest = item.mapping("latest", ("versions",))
            if not latest:
                raise item.fail("required field missing", "versions", "latest")
            item = Item(latest, item.file, item.text, item.loc + ("versions", "latest"),
                        item.limits)
        name = item.string("name", required=True)
        version = item.string("version", required=True)
        assert name is not None and version is not None
        if not isinstance(item.value.get("definition"), dict):
            raise item.fail("required field missing" if item.value.get("definition") is None
                            else "expected an object", "definition")
        created = item.value.get("created_at")
        if not isinstance(created, int) or isinstance(created, bool) or not (
                0 <= created < 253402300800):
            raise item.fail("expected the Unix time in seconds that the SDK returns",
                            "created_at")
        versions = agents.setdefault(name, {})
        if version in versions:
            raise item.fail(f"agent version {model_version_id(name, version)} is exported "
                            f"twice (also in {versions[version].file})", "version")
        versions[version] = item
    return agents


def _created(item: Item) -> str:
    return format_time(from_epoch_s(item.value["created_at"]))


def add_agents(source: AzureMLExportSource,
               models: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The models with the exported agents added (an agent named like a model is an
    error)."""
    from .azureml import model_fields, newest_first
    taken = {m["name"] for m in models}
    out = list(models)
    for name, versions in sorted(_agent_versions(source).items()):
        first = next(iter(versions.values()))
        if name in taken:
            raise first.fail(f"agent {name!r} has the name of an Azure ML model: snapshot-v1 "
                             "has one model per name", "name")
        newest = newest_first([(v, _created(item), (v, item)) for v, item in versions.items()])
        model: dict[str, Any] = {"name": name, "type": "agent"}
        fields = model_fields(name, newest, "metadata", source.warnings)
        if fields.get("type", "agent") != "agent":
            _, item = newest[0]
            raise item.fail(f"an agent's type is agent, not {fields['type']!r}", "metadata",
                            "almguard.type")
        model.update(fields)
        model["type"] = "agent"
        for _, item in newest:
            description = item.string("description")
            if description:
                model["description"] = description
                break
        model["versions"] = [_agent_version(item) for _, item in
                             sorted(versions.items(), key=lambda kv: natural(kv[0]))]
        out.append(model)
    return out


def _agent_version(item: Item) -> dict[str, Any]:
    definition: dict[str, Any] = item.value["definition"]
    tags = item.tags("metadata")
    item.known_tags(tags, AGENT_TAGS, ("metadata",))
    out: dict[str, Any] = {"version": item.string("version", required=True),
                           "created_at": _created(item)}
    stage = item.choice(tags, "almguard.stage", STAGES, ("metadata",))
    if stage:
        out["stage"] = stage
    # the version is its definition: the artifact digest pins all of it
    out["artifact"] = {"digest": sha256(canonical_json(definition))}
    artifacts: list[dict[str, str]] = []
    instructions = definition.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise item.fail("expected a string", "definition", "instructions")
    if instructions:
        artifacts.append({"kind": "prompt_template",
                          "digest": sha256(instructions.encode("utf-8"))})
    tools = definition.get("tools") or []
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        raise item.fail("expected a list of tool objects", "definition", "tools")
    knowledge = [t for t in tools if t.get("type") in KNOWLEDGE_TOOLS]
    if knowledge:
        artifacts.append({"kind": "rag_config", "digest": sha256(canonical_json(knowledge))})
    if artifacts:
        out["config_artifacts"] = artifacts
    deployment = definition.get("model")
    if isinstance(deployment, str) and deployment:
        out["lineage"] = {"base_model": {"name": deployment}}
    tags.update(_agent_tags(item, definition, tools))
    out["tags"] = tags
    return out


def _agent_tags(item: Item, definition: dict[str, Any],
                tools: list[dict[str, Any]]) -> dict[str, str]:
    tags: dict[str, str] = {}
    kind = definition.get("kind")
    if isinstance(kind, str):
        tags["foundry.kind"] = kind
    ident = item.string("id")
    if ident:
        tags["foundry.id"] = ident
    model = definition.get("model")
    if isinstance(model, str):
        tags["foundry.model_deployment"] = model
    status = item.value.get("status")
    if isinstance(status, str) and status != "active":
        tags["foundry.status"] = status
    if item.value.get("draft") is True:
        tags["foundry.draft"] = "true"
    if tools:
        tags["foundry.tools"] = ",".join(str(t.get("type")) for t in tools)
    stores = [s for t in tools if t.get("type") == "file_search"
              for s in (t.get("vector_store_ids") or []) if isinstance(s, str)]
    if stores:
        tags["foundry.vector_store_ids"] = ",".join(stores)
    indexes = [str(i.get("index_name") or i.get("index_asset_id"))
               for t in tools if t.get("type") == "azure_ai_search"
               for i in ((t.get("azure_ai_search") or {}).get("indexes") or [])
               if isinstance(i, dict)]
    if indexes:
        tags["foundry.search_indexes"] = ",".join(indexes)
    rai = definition.get("rai_config")
    if isinstance(rai, dict) and isinstance(rai.get("rai_policy_name"), str):
        tags["foundry.rai_policy"] = rai["rai_policy_name"]
    description = item.string("description")
    if description:
        tags["foundry.description"] = description
    return tags


# --- evaluations --------------------------------------------------------------------------

def add_evaluations(source: AzureMLExportSource, models: list[dict[str, Any]],
                    datasets: list[dict[str, Any]]) -> None:
    """Each evaluations/<run>/ folder's results added to the model version it names."""
    base = source.directory / "evaluations"
    if not base.is_dir():
        return
    versions = {model_version_id(m["name"], v["version"]): v
                for m in models for v in m.get("versions", ())}
    by_id = {dataset_id(d["name"], d["version"]): d for d in datasets}
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        manifest_path = folder / MANIFEST
        if not manifest_path.is_file():
            source.notes.append(f"{folder}: no {MANIFEST} naming the evaluated model version: "
                                "not imported")
            continue
        _add_run(source, folder, versions, by_id, datasets)


def _manifest(source: AzureMLExportSource, path: Path) -> Item:
    from .azureml import Item
    text, value = source.read(path)
    item = Item(value if isinstance(value, dict) else {}, str(path), text, (), source.limits)
    if not isinstance(value, dict):
        raise SnapshotError("expected an object: {model, version, evaluated_at, dataset, "
                            "data}", file=str(path))
    for key in value:
        if key not in MANIFEST_KEYS:
            raise item.fail(f"unknown field (expected {', '.join(sorted(MANIFEST_KEYS))})", key)
    return item


def _add_run(source: AzureMLExportSource, folder: Path, versions: dict[str, dict[str, Any]],
             datasets_by_id: dict[str, dict[str, Any]], datasets: list[dict[str, Any]]) -> None:
    from .azureml import Item
    manifest = _manifest(source, folder / MANIFEST)
    model = manifest.string("model", required=True)
    version_name = manifest.string("version", required=True)
    assert model is not None and version_name is not None
    ident = model_version_id(model, version_name)
    version = versions.get(ident)
    if version is None:
        raise manifest.fail(f"model version {ident} is in no export (models/ or agents/)",
                            "version")
    evaluated_at = manifest.string("evaluated_at")
    if evaluated_at is not None:
        try:
            check_time(evaluated_at)
        except ValueError as exc:
            raise manifest.fail(str(exc), "evaluated_at") from None
    result_name = manifest.string("result") or RESULTS
    result_path = folder / result_name
    if not result_path.is_file():
        raise manifest.fail(f"{result_path} does not exist (evaluate(output_path=...) writes "
                            f"{RESULTS})", "result")
    text, value = source.read(result_path)
    result = Item(value if isinstance(value, dict) else {}, str(result_path), text, (),
                  source.limits)
    if not isinstance(value, dict) or not isinstance(value.get("metrics"), dict):
        raise SnapshotError("expected evaluate()'s output: an object with metrics and rows",
                            file=str(result_path), path="metrics")
    rows = value.get("rows", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise result.fail("expected a list of row objects", "rows")
    ref = _dataset(source, manifest, folder, datasets_by_id, datasets)
    common: dict[str, Any] = {}
    if evaluated_at:
        common["evaluated_at"] = evaluated_at
    where = f"evaluation {folder.name} of {ident}"
    evaluations = version.setdefault("evaluations", [])
    for metric, number in value["metrics"].items():
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            continue  # not a measured value (evaluate() writes only numbers here)
        if not math.isfinite(number):
            source.notes.append(f"{where}: metric {metric} = {number} is not a finite number: "
                                "left out")
            continue
        entry: dict[str, Any] = {"metric": metric, "value": number}
        if metric.endswith("_defect_rate"):
            entry["higher_is_better"] = False  # a share of rows with harmful content
        if ref:
            entry["dataset"] = ref
        evaluations.append({**entry, **common})
    if not evaluations:
        del version["evaluations"]
    safety = _safety(rows, where, source.notes)
    if safety:
        report = manifest.string("report_uri") or (
            value["studio_url"] if isinstance(value.get("studio_url"), str) else None)
        for entry in safety:
            entry.update(common)
            if report:
                entry["report_uri"] = report
        version.setdefault("safety_evaluations", []).extend(safety)
    if ref:
        lineage = version.setdefault("lineage", {})
        if ref not in lineage.setdefault("evaluation_data", []):
            lineage["evaluation_data"].append(ref)


def _dataset(source: AzureMLExportSource, manifest: Item, folder: Path,
             by_id: dict[str, dict[str, Any]],
             datasets: list[dict[str, Any]]) -> dict[str, str] | None:
    """The evaluation dataset named by the manifest, added to the datasets (with the
    sha256 of the data file, when it is given)."""
    spec = manifest.mapping("dataset")
    data = manifest.string("data")
    if not spec:
        if data is not None:
            raise manifest.fail("name the dataset the data file is: dataset: {name, version}",
                                "dataset")
        return None
    name = manifest.string("name", required=True, parent=("dataset",))
    version = manifest.string("version", required=True, parent=("dataset",))
    assert name is not None and version is not None
    digest = None
    if data is not None:
        path = folder / data
        if not path.is_file() or folder.resolve() not in path.resolve().parents:
            raise manifest.fail(f"{path} is not a file in {folder}", "data")
        digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    ident = dataset_id(name, version)
    dataset = by_id.get(ident)
    if dataset is None:
        dataset = {"name": name, "version": version}
        if data is not None:
            dataset["uri"] = str(Path("evaluations") / folder.name / data)
        datasets.append(dataset)
        by_id[ident] = dataset
    if digest:
        if dataset.get("digest") not in (None, digest):
            raise manifest.fail(f"{data} has digest {digest}, but dataset {ident} records "
                                f"{dataset['digest']}", "data")
        dataset["digest"] = digest
    return {"dataset": name, "version": version}


def _safety(rows: list[dict[str, Any]], where: str, notes: list[str]) -> list[dict[str, Any]]:
    """Safety evaluations from the content-safety evaluators' recorded per-row results:
    passed when every row records pass, failed when any records fail."""
    out = []
    columns = sorted({key for row in rows for key in row if key.startswith("outputs.")})
    for metric in SAFETY_METRICS:
        for scores in columns:  # outputs.<evaluator alias>.<metric>_score
            alias, _, field = scores[len("outputs."):].rpartition(".")
            if field != f"{metric}_score" or not alias:
                continue
            column = f"outputs.{alias}.{metric}_result"
            results = [row.get(column) for row in rows]
            if "fail" in results:
                passed = False
            elif results and all(r == "pass" for r in results):
                passed = True
            else:
                notes.append(f"{where}: {column} records no pass or fail for every row: "
                             "no safety evaluation imported for it")
                continue
            out.append({"suite": f"content_safety.{metric}", "passed": passed})
    return out
