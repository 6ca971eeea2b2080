"""What the importers (Azure ML exports, MLflow) share: the registry block, the almguard.*
model tags, version ordering, code references, and writing the snapshot out."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from ..times import format_time, utc_now
from .interface import LoadedSnapshot

MODEL_TYPES = ("custom", "fine_tuned", "agent", "foundation")
RISK_TIERS = ("high", "limited", "minimal")

# Model-level fields read from tags of the same name on the registry's model (or version):
# (snapshot field, tag, allowed values or None for free text).
MODEL_TAGS: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("owner", "almguard.owner", None),
    ("risk_tier", "almguard.risk_tier", RISK_TIERS),
    ("type", "almguard.type", MODEL_TYPES),
)

# Data inputs whose name (Azure) or context (MLflow) says evaluation rather than training.
EVALUATION_INPUT = re.compile(r"eval|test|valid", re.IGNORECASE)


def natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts version "10" after "9"."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", text) if p)


def now() -> str:
    """The default `registry.captured_at`: now, UTC, whole seconds."""
    return format_time(utc_now())


def registry_block(name: str, *, source: str, captured_at: str | None,
                   organization: str | None, tags: dict[str, str]) -> dict[str, Any]:
    registry: dict[str, Any] = {"name": name, "captured_at": captured_at or now(),
                                "source": source}
    if organization:
        registry["organization"] = organization
    if tags:
        registry["tags"] = tags
    return registry


def code_ref(commit: str | None, repository: str | None) -> str | None:
    """`<repository>@<commit>`, or the bare commit when the repository is unknown."""
    if not commit:
        return None
    return f"{repository}@{commit}" if repository else commit


def render(snapshot: LoadedSnapshot, suffix: str) -> str:
    """The snapshot as JSON (suffix .json) or YAML (anything else)."""
    if suffix.lower() == ".json":
        return json.dumps(snapshot.document, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(snapshot.document, sort_keys=False, allow_unicode=True,
                          default_flow_style=False, width=100)
