"""Random small edits of generated registries that move things across rule boundaries
(shared by the engine-agreement and the gate property tests)."""

from __future__ import annotations

import json
from typing import Any, Callable

from hypothesis import assume
from hypothesis import strategies as st

from checker.errors import SnapshotError
from checker.generate import generate
from checker.sources.file import load_snapshot_text
from checker.sources.interface import LoadedSnapshot

HOURS = st.integers(-72, 72)


def mutate(document: dict, data) -> None:
    """Random small edits that move things across rule boundaries."""
    models, deployments = document["models"], document["deployments"]
    for _ in range(data.draw(st.integers(1, 6))):
        kind = data.draw(st.sampled_from(
            ["drop", "traffic", "stage", "tier", "type", "shift", "approver", "canary"]))
        model = data.draw(st.sampled_from(models))
        version = data.draw(st.sampled_from(model["versions"]))
        dep = data.draw(st.sampled_from(deployments))
        if kind == "drop":
            target = data.draw(st.sampled_from([version, version.get("lineage", {}), dep,
                                                model]))
            optional = [k for k in target if k not in ("name", "version", "endpoint", "versions",
                                                       "model", "environment",
                                                       "traffic_percent")]
            if optional:
                target.pop(data.draw(st.sampled_from(sorted(optional))))
        elif kind == "traffic":
            dep["traffic_percent"] = data.draw(st.sampled_from([0, 5, 10, 10.5, 50, 100]))
        elif kind == "stage":
            version["stage"] = data.draw(st.sampled_from(
                ["development", "evaluation", "staging", "production", "archived", "retired"]))
        elif kind == "tier":
            model["risk_tier"] = data.draw(st.sampled_from(["high", "limited", "minimal"]))
        elif kind == "type":
            model["type"] = data.draw(st.sampled_from(
                ["custom", "fine_tuned", "agent", "foundation"]))
        elif kind == "shift" and version.get("approvals"):
            from datetime import datetime, timedelta
            approval = version["approvals"][-1]
            moment = datetime.strptime(approval["approved_at"], "%Y-%m-%dT%H:%M:%SZ")
            approval["approved_at"] = (moment + timedelta(hours=data.draw(HOURS))).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
        elif kind == "approver" and version.get("approvals"):
            version["approvals"][0]["approved_by"] = version.get("created_by", "x@y")
        elif kind == "canary" and dep.get("rollout"):
            dep["rollout"][0]["traffic_percent"] = data.draw(st.sampled_from([5, 10, 11, 100]))


def mutated_snapshot(data: Any, *, seed: int, versions: int, share: float,
                     versions_per_model: int = 3,
                     edit: Callable[[dict, Any], None] | None = None) -> LoadedSnapshot:
    """A generated registry with random small edits (and `edit`, if given), loaded as a
    user's file would be; a draw the loader refuses is discarded (hypothesis.assume)."""
    document = generate(versions, violations=share, seed=seed,
                        versions_per_model=versions_per_model)
    mutate(document, data)
    if edit is not None:
        edit(document, data)
    try:
        return load_snapshot_text(json.dumps(document), origin="generated.json",
                                  suffix=".json")
    except SnapshotError:
        assume(False)
        raise  # unreachable: assume(False) ends the example
