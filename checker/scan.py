"""The resources of a snapshot by kind, with the canonical ids findings use.

A listing, not a judgement: the JUnit output and the report's check counts use it to show
every resource a rule looked at, not only those it failed. Whether anything passes is the
decision's (checker.pipeline, data.almguard.decision).
"""

from __future__ import annotations

from typing import Any


def resources(document: dict[str, Any]) -> dict[str, list[str]]:
    """Every resource of the snapshot by kind, with the canonical ids of findings."""
    models = document.get("models") or []
    deployments = document.get("deployments") or []
    return {
        "model": [m["name"] for m in models],
        "model_version": [f"{m['name']}@{v['version']}" for m in models
                          for v in m.get("versions") or ()],
        "dataset": [f"{d['name']}@{d['version']}" for d in document.get("datasets") or ()],
        "deployment": [f"{d['endpoint']}/{d['model']}@{d['version']}" for d in deployments],
        "endpoint": sorted({d["endpoint"] for d in deployments}),
    }
