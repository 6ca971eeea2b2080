"""Splitting a snapshot into independent partitions that evaluate to the same findings.

Rules relate a model, its versions, the deployments of it and on the endpoints it serves,
and the datasets it references. So we join models and endpoints into connected components
(a deployment links its model to its endpoint); a component with the datasets its models
reference is self-contained, and the union of the findings of all components (plus the
datasets no model references) is the finding set of the whole snapshot. Components are
packed into batches to keep the number of engine calls small.
"""

from __future__ import annotations

import zlib
from typing import Any

from .ids import dataset_of, dataset_refs, deployment_of, model_version_id


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        parent = self.parent.setdefault(key, key)
        root = key
        while parent != root:
            root = parent
            parent = self.parent[root]
        while key != root:  # path compression
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra


def _weight(model: dict[str, Any]) -> int:
    return 1 + len(model.get("versions") or ())


def _boundary(name: str, batch_weight: int) -> bool:
    """Whether a batch may start at this name (about one name in batch_weight / 8)."""
    return zlib.crc32(name.encode("utf-8")) % max(1, batch_weight // 8) == 0


def _cut(weight: int, name: str, batch_weight: int) -> bool:
    """Start a new batch before a component: at a boundary once half full, or when full
    four times over (a long run without a boundary)."""
    return weight >= 4 * batch_weight or (weight * 2 >= batch_weight
                                          and _boundary(name, batch_weight))


def partition(document: dict[str, Any], *, batch_weight: int = 2000) -> list[dict[str, Any]]:
    """Split a validated snapshot document into sub-snapshots (same shape as the snapshot)."""
    models = document.get("models") or []
    deployments = document.get("deployments") or []
    datasets = document.get("datasets") or []
    uf = _UnionFind()
    for model in models:
        uf.find("m:" + model["name"])
    for deployment in deployments:
        uf.union("m:" + deployment["model"], "e:" + deployment["endpoint"])

    groups: dict[str, dict[str, list[Any]]] = {}

    def group(root: str) -> dict[str, list[Any]]:
        return groups.setdefault(root, {"models": [], "deployments": []})

    for model in models:
        group(uf.find("m:" + model["name"]))["models"].append(model)
    for deployment in deployments:
        group(uf.find("e:" + deployment["endpoint"]))["deployments"].append(deployment)

    datasets_by_id = {dataset_of(d): d for d in datasets}
    referenced: set[str] = set()
    batches: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    weight = 0
    for members in groups.values():
        first = min([m["name"] for m in members["models"]]
                    + [d["endpoint"] for d in members["deployments"]])
        if current is None or _cut(weight, first, batch_weight):
            current = {"models": [], "deployments": [], "dataset_ids": {}}
            batches.append(current)
            weight = 0
        current["models"].extend(members["models"])
        current["deployments"].extend(members["deployments"])
        for model in members["models"]:
            weight += _weight(model)
            for version in model.get("versions") or ():
                for ref in dataset_refs(version):
                    if ref in datasets_by_id:
                        current["dataset_ids"][ref] = None
        weight += len(members["deployments"])

    base = {"schema_version": document["schema_version"], "registry": document["registry"]}
    parts: list[dict[str, Any]] = []
    for batch in batches:
        ids = batch["dataset_ids"]
        referenced.update(ids)
        parts.append({**base, "datasets": [datasets_by_id[i] for i in ids],
                      "models": batch["models"], "deployments": batch["deployments"]})
    chunk: list[Any] = []
    for ident, dataset in datasets_by_id.items():
        if ident in referenced:
            continue
        if chunk and _cut(len(chunk), ident, batch_weight):
            parts.append({**base, "datasets": chunk, "models": [], "deployments": []})
            chunk = []
        chunk.append(dataset)
    if chunk:
        parts.append({**base, "datasets": chunk, "models": [], "deployments": []})
    if not parts:
        parts.append({**base, "datasets": [], "models": [], "deployments": []})
    return parts


class Components:
    """The connected components of a snapshot, indexed once for many neighbourhood queries
    (a gate service answers many proposals against one stored registry)."""

    def __init__(self, document: dict[str, Any]) -> None:
        models = document.get("models") or []
        uf = _UnionFind()
        for m in models:
            uf.find("m:" + m["name"])
        for d in document.get("deployments") or ():
            uf.union("m:" + d["model"], "e:" + d["endpoint"])
        self._root_of: dict[str, str] = {key: uf.find(key) for key in list(uf.parent)}
        self._endpoints_of: dict[str, set[str]] = {}
        for key, root in self._root_of.items():
            if key.startswith("e:"):
                self._endpoints_of.setdefault(root, set()).add(key[2:])
        self._models_of: dict[str, list[dict[str, Any]]] = {}
        self._refs_of: dict[str, set[str]] = {}
        self._roots_of_ref: dict[str, set[str]] = {}
        for m in models:
            root = self._root_of["m:" + m["name"]]
            self._models_of.setdefault(root, []).append(m)
            refs = {ref for v in m.get("versions") or () for ref in dataset_refs(v)}
            self._refs_of[m["name"]] = refs
            for ref in refs:
                self._roots_of_ref.setdefault(ref, set()).add(root)
        self._datasets = {dataset_of(d): d for d in document.get("datasets") or ()}

    def neighbourhood(self, document: dict[str, Any], model: str,
                      endpoint: str) -> tuple[dict[str, Any], set[tuple[str, str]]]:
        """What a change to `model`'s deployments on `endpoint` can affect.

        `document` is the indexed snapshot, or one that differs from it only in the
        deployments on `endpoint` (a gate's what-if). Returns (sub-snapshot, resources):
        the component joining the model and the endpoint, with every component that shares
        a dataset reference with it, and the resources (kind, id) of the joined component
        and of the datasets it references. Evaluating the sub-snapshot yields every finding
        about those resources that evaluating the whole document would; findings about any
        other resource are those of the other components, which the change leaves as they
        were.
        """
        joined = {r for r in (self._root_of.get("m:" + model),
                              self._root_of.get("e:" + endpoint)) if r is not None}
        mine = [m for root in sorted(joined) for m in self._models_of.get(root, ())]
        touched: set[str] = set().union(*(self._refs_of[m["name"]] for m in mine))
        roots = joined | {r for ref in touched for r in self._roots_of_ref.get(ref, ())}

        def endpoints_in(wanted: set[str]) -> set[str]:
            return {endpoint}.union(*(self._endpoints_of.get(root, ()) for root in wanted))

        sub_models = [m for root in sorted(roots) for m in self._models_of.get(root, ())]
        wanted = set().union(*(self._refs_of[m["name"]] for m in sub_models))
        sub_endpoints, joined_endpoints = endpoints_in(roots), endpoints_in(joined)
        sub_deployments = [d for d in document.get("deployments") or ()
                           if d["endpoint"] in sub_endpoints]
        sub = {"schema_version": document["schema_version"], "registry": document["registry"],
               "datasets": [self._datasets[i] for i in sorted(wanted) if i in self._datasets],
               "models": sub_models, "deployments": sub_deployments}

        resources: set[tuple[str, str]] = {("dataset", ref) for ref in touched}
        for m in mine:
            resources.add(("model", m["name"]))
            resources.update(("model_version", model_version_id(m["name"], v["version"]))
                             for v in m.get("versions") or ())
        for d in sub_deployments:
            if d["endpoint"] in joined_endpoints:
                resources.add(("deployment", deployment_of(d)))
                resources.add(("endpoint", d["endpoint"]))
        resources.add(("endpoint", endpoint))
        return sub, resources


def neighbourhood(document: dict[str, Any], model: str,
                  endpoint: str) -> tuple[dict[str, Any], set[tuple[str, str]]]:
    """Components(document).neighbourhood(document, model, endpoint), for one query."""
    return Components(document).neighbourhood(document, model, endpoint)
