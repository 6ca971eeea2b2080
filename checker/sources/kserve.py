"""Source: KServe InferenceService manifests (serving.kserve.io/v1beta1) -> deployments.

Files (or directories of .yaml/.yml/.json files) holding one InferenceService, or a `kind:
List` as `kubectl get inferenceservice -o yaml` prints it. Each service is an endpoint
(`metadata.name`); the model version its predictor serves is named by the annotation
`almguard.dev/model-version: NAME@VERSION`, else found by its `storageUri` among the artifact
URIs of the registry sources. The traffic split of `status.components.predictor.traffic`
(latest and previous rolled-out revision) is each version's share; without a status, the
spec's `canaryTrafficPercent` (else 100). Mapping in docs/compose.md.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from ..compose import Fragment, read_document
from ..errors import SnapshotError
from ..endpoints import ENVIRONMENTS
from ..ids import deployment_id
from ..times import check_time
from ..validation import LineOf, Loc, format_loc, shown
from .convention import ANNOTATION, not_one_of, unknown_key, unknown_message

API_GROUP = "serving.kserve.io/"
KIND = "InferenceService"
# The almguard.dev/ annotations read here (any other is a typo: an input error).
ANNOTATIONS = ("environment", "model-version", "previous-model-version", "deployed-at",
               "rollout")
SEE = "docs/compose.md, 'kserve'"
SUFFIXES = (".yaml", ".yml", ".json")


class _Reader:
    """Typed access into one manifest, with errors naming the file, line and path."""

    def __init__(self, file: str, line_of: LineOf, root: Loc) -> None:
        self.file, self.line_of, self.root = file, line_of, root
        # deployment field (e.g. "traffic_percent") -> where in the manifest it was read
        self.fields: dict[tuple[int, str], Loc] = {}

    def line(self, loc: Loc) -> int | None:
        return self.line_of(self.root + loc)

    def fail(self, loc: Loc, message: str) -> SnapshotError:
        full = self.root + loc
        return SnapshotError(message, file=self.file, line=self.line_of(full),
                             path=format_loc(full))

    def get(self, value: Any, loc: Loc, kind: type | tuple[type, ...], *,
            required: bool = False) -> Any:
        node = value
        for step in loc:
            if isinstance(step, int):
                node = node[step] if isinstance(node, list) and step < len(node) else None
            else:
                node = node.get(step) if isinstance(node, dict) else None
            if node is None:
                break
        if node is None:
            if required:
                raise self.fail(loc, "required field missing")
            return None
        if not isinstance(node, kind) or (isinstance(node, bool) and kind is not bool):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__
                                                                          for k in kind)
            raise self.fail(loc, f"expected {names}, got {shown(node)}")
        return node


def _manifest_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES))
        elif path.exists():
            files.append(path)
        else:
            raise SnapshotError("no such file or directory", file=str(path))
    return files


def kserve_fragment(name: str, paths: list[Path], *, environment: str | None,
                    artifacts: Mapping[str, tuple[str, str]]) -> Fragment:
    fragment = Fragment(source=name, kind="kserve", origin=", ".join(map(str, paths)),
                        creates=frozenset({"deployment"}))
    endpoints: dict[str, str] = {}
    for file in _manifest_files(paths):
        document, line_of = read_document(file)
        items: list[tuple[Loc, Any]]
        if isinstance(document, dict) and document.get("kind") == "List":
            listed = document.get("items")
            if not isinstance(listed, list):
                raise SnapshotError("a List has items: a list", file=str(file),
                                    path="items", line=line_of(("items",)))
            items = [(("items", i), item) for i, item in enumerate(listed)]
        else:
            items = [((), document)]
        for loc, item in items:
            reader = _Reader(str(file), line_of, loc)
            if not isinstance(item, dict):
                raise reader.fail((), "expected an InferenceService manifest (a mapping)")
            api = reader.get(item, ("apiVersion",), str, required=True)
            kind = reader.get(item, ("kind",), str, required=True)
            if kind != KIND or not api.startswith(API_GROUP):
                raise reader.fail(("kind",), f"expected {KIND} of {API_GROUP}v1beta1, got "
                                  f"{kind} of {api}")
            for index, deployment in enumerate(_deployments(item, reader, environment,
                                                            artifacts)):
                endpoint = deployment["endpoint"]
                where = (str(file), line_of(loc) or reader.line(("metadata", "name")) or 1)
                if endpoint in endpoints and endpoints[endpoint] != f"{file}{loc}":
                    raise reader.fail(("metadata", "name"), f"endpoint {endpoint!r} is "
                                      f"also defined in {endpoints[endpoint]}")
                endpoints[endpoint] = f"{file}{loc}"
                ident = deployment_id(endpoint, deployment["model"], deployment["version"])
                fragment.where[("deployment", ident)] = where
                for (number, name), field_loc in sorted(reader.fields.items()):
                    if number == index:
                        fragment.fields[("deployment", ident, name)] = (
                            str(file), reader.line(field_loc))
                fragment.deployments.append(deployment)
    return fragment


def _model_version(text: str, reader: _Reader, loc: Loc) -> tuple[str, str]:
    model, at, version = text.rpartition("@")
    if not at or not model or not version:
        raise reader.fail(loc, f"expected NAME@VERSION, got {text!r}")
    return model, version


def _time(reader: _Reader, loc: Loc, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_time(value)
    except ValueError as exc:
        raise reader.fail(loc, str(exc)) from None


def _percent(reader: _Reader, item: dict[str, Any], loc: Loc) -> float | int | None:
    """A traffic share: a number from 0 to 100, refused here (with the manifest's line)
    rather than in the merged snapshot."""
    value = reader.get(item, loc, (int, float))
    if value is not None and not 0 <= value <= 100:
        raise reader.fail(loc, f"a traffic share is a number from 0 to 100, got {value!r}")
    return value


def _deployments(item: dict[str, Any], reader: _Reader, environment: str | None,
                 artifacts: Mapping[str, tuple[str, str]]) -> list[dict[str, Any]]:
    name = reader.get(item, ("metadata", "name"), str, required=True)
    namespace = reader.get(item, ("metadata", "namespace"), str)
    annotations = reader.get(item, ("metadata", "annotations"), dict) or {}
    labels = reader.get(item, ("metadata", "labels"), dict) or {}
    note_loc: Loc = ("metadata", "annotations")
    typo = unknown_key(annotations, ANNOTATION, [ANNOTATION + a for a in ANNOTATIONS])
    if typo is not None:
        raise reader.fail(note_loc + (typo,), unknown_message(
            [ANNOTATION + a for a in ANNOTATIONS], SEE, "annotation"))
    fields = reader.fields

    def annotation(key: str) -> str | None:
        value = annotations.get(ANNOTATION + key)
        if value is not None and not isinstance(value, str):
            raise reader.fail(note_loc + (ANNOTATION + key,), f"expected str, got "
                              f"{shown(value)}")
        return value

    def at(key: str) -> Loc:
        return note_loc + (ANNOTATION + key,)

    env = annotation("environment")
    if env is not None:
        if env not in ENVIRONMENTS:
            raise reader.fail(at("environment"), not_one_of(env, ENVIRONMENTS))
        fields[(0, "environment")] = fields[(1, "environment")] = at("environment")
    env = env or environment
    if env is None:
        raise reader.fail(note_loc, f"no environment: annotate {ANNOTATION}environment "
                          f"({', '.join(ENVIRONMENTS)}) or give the source an environment")
    storage_loc: Loc = ("spec", "predictor", "model", "storageUri")
    storage = reader.get(item, storage_loc, str)
    if storage is None:
        storage_loc = ("spec", "predictor", "storageUri")
        storage = reader.get(item, storage_loc, str)
    named = annotation("model-version")
    if named is not None:
        latest = _model_version(named, reader, at("model-version"))
        fields[(0, "model")] = fields[(0, "version")] = at("model-version")
    elif storage is not None and storage in artifacts:
        latest = artifacts[storage]
        fields[(0, "model")] = fields[(0, "version")] = storage_loc
    else:
        raise reader.fail(("spec", "predictor"), "the served model version is unknown: "
                          f"storageUri {storage!r} is no model version's artifact URI in "
                          f"the registry sources; annotate {ANNOTATION}model-version: "
                          "NAME@VERSION" if storage else "no storageUri: annotate "
                          f"{ANNOTATION}model-version: NAME@VERSION")
    canary_loc: Loc = ("spec", "predictor", "canaryTrafficPercent")
    canary = _percent(reader, item, canary_loc)
    traffic_loc: Loc = ("status", "components", "predictor", "traffic")
    traffic = reader.get(item, traffic_loc, list)
    split: list[tuple[bool, float, str | None, Loc]] = []  # (latest?, percent, revision, at)
    for i, entry in enumerate(traffic or ()):
        loc: Loc = traffic_loc + (i,)
        if not isinstance(entry, dict):
            raise reader.fail(loc, "expected a traffic target (a mapping)")
        percent = _percent(reader, item, loc + ("percent",)) or 0
        is_latest = reader.get(item, loc + ("latestRevision",), bool)
        revision = reader.get(item, loc + ("revisionName",), str)
        split.append((bool(is_latest), percent, revision, loc + ("percent",)))
    total = sum(p for _, p, _, _ in split)
    if total > 100:
        raise reader.fail(traffic_loc, f"the traffic targets' percent sum to {total}, more "
                          "than 100")
    latest_percent = (sum(p for is_latest, p, _, _ in split if is_latest) if split
                      else canary if canary is not None else 100)
    previous = [(p, r, where) for is_latest, p, r, where in split if not is_latest and p > 0]
    latest_at = [where for is_latest, _, _, where in split if is_latest]
    if latest_at:
        fields[(0, "traffic_percent")] = latest_at[0]
    elif canary is not None:
        fields[(0, "traffic_percent")] = canary_loc
    if previous:
        fields[(1, "traffic_percent")] = previous[0][2]
    created_loc: Loc = ("metadata", "creationTimestamp")
    created = _time(reader, created_loc, reader.get(item, created_loc, str))
    generation = reader.get(item, ("metadata", "generation"), int)
    deployed_at = _time(reader, at("deployed-at"), annotation("deployed-at"))
    if deployed_at is not None:
        fields[(0, "deployed_at")] = at("deployed-at")
    elif generation is None or generation <= 1:
        deployed_at = created  # the first revision is as old as the service
        fields[(0, "deployed_at")] = created_loc
    # what the manifest says of the service (both revisions) ...
    tags = {str(k): str(v) for k, v in sorted(labels.items())}
    for key in labels:
        fields[(0, f"tags.{key}")] = fields[(1, f"tags.{key}")] = ("metadata", "labels",
                                                                    key)
    tags["kserve.name"] = name
    if namespace:
        tags["kserve.namespace"] = namespace
    if created:
        tags["kserve.created_at"] = created
    url = reader.get(item, ("status", "url"), str)
    if url:
        tags["kserve.url"] = url
    base: dict[str, Any] = {"endpoint": name, "environment": env}
    # ... and of the latest revision only: its spec (the previous revision's storage URI is
    # not in the manifest, so it is not recorded)
    latest_tags = dict(tags)
    if storage:
        latest_tags["kserve.storage_uri"] = storage
        fields[(0, "tags.kserve.storage_uri")] = storage_loc
    out = [dict(base, model=latest[0], version=latest[1], traffic_percent=latest_percent,
                tags=_revision(latest_tags, reader, item, "latestReadyRevision"))]
    rollout = _rollout(reader, at("rollout"), annotation("rollout"))
    if rollout is not None:
        fields[(0, "rollout")] = at("rollout")
    elif deployed_at is not None:
        rollout = [{"traffic_percent": latest_percent, "at": deployed_at}]
    if deployed_at is not None:
        out[0]["deployed_at"] = deployed_at
    if rollout:
        out[0]["rollout"] = rollout
    if previous:
        before = annotation("previous-model-version")
        if before is None:
            raise reader.fail(traffic_loc,
                              f"revision {previous[0][1]} serves {previous[0][0]}% but its "
                              f"model version is unknown: annotate {ANNOTATION}"
                              "previous-model-version: NAME@VERSION")
        model, version = _model_version(before, reader, at("previous-model-version"))
        if (model, version) == latest:
            out[0]["traffic_percent"] = latest_percent + sum(p for p, _, _ in previous)
        else:
            fields[(1, "model")] = fields[(1, "version")] = at("previous-model-version")
            out.append(dict(base, model=model, version=version,
                            traffic_percent=sum(p for p, _, _ in previous),
                            tags=_revision(tags, reader, item,
                                           "previousRolledoutRevision")))
    return out


def _revision(tags: dict[str, str], reader: _Reader, item: dict[str, Any], field: str
              ) -> dict[str, str]:
    """The tags with the revision named by status.components.predictor.FIELD, sorted."""
    value = reader.get(item, ("status", "components", "predictor", field), str)
    return dict(sorted({**tags, **({"kserve.revision": value} if value else {})}.items()))


def _rollout(reader: _Reader, loc: Loc, text: str | None) -> list[dict[str, Any]] | None:
    """The annotation almguard.dev/rollout: JSON [{traffic_percent, at}], oldest first."""
    if text is None:
        return None
    try:
        steps = json.loads(text)
    except ValueError as exc:
        raise reader.fail(loc, f"not JSON: {exc}") from None
    if not isinstance(steps, list) or not all(
            isinstance(s, dict) and set(s) == {"traffic_percent", "at"}
            and isinstance(s["at"], str) and isinstance(s["traffic_percent"], (int, float))
            and not isinstance(s["traffic_percent"], bool) for s in steps):
        raise reader.fail(loc, 'expected a JSON list of {"traffic_percent": N, "at": TIME}')
    for step in steps:
        _time(reader, loc, step["at"])
    return steps
