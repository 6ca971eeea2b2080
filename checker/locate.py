"""Where a resource is written in the snapshot file: line numbers for SARIF and annotations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .documents import Limits, compose
from .sources.interface import LoadedSnapshot


def workspace_path(origin: str) -> str:
    """The snapshot path relative to the working directory (the repository, in CI) when it
    lies under it, else absolute: what SARIF viewers and GitHub annotations resolve."""
    path = Path(origin)
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


def _value(node: Any, key: str) -> Any:
    for k, v in node.value:
        if getattr(k, "value", None) == key:
            return v
    return None


def _scalar(node: Any, key: str) -> str | None:
    found = _value(node, key)
    return found.value if found is not None and hasattr(found, "value") and \
        isinstance(found.value, str) else None


def resource_lines(snapshot: LoadedSnapshot, limits: Limits | None = None
                   ) -> dict[tuple[str, str], int]:
    """(kind, id) -> 1-based line of the entity in the snapshot text ({} if unknown)."""
    if not snapshot.text:
        return {}
    try:
        root = compose(snapshot.text, limits or Limits())
    except Exception:  # noqa: BLE001 - best effort: no lines rather than no output
        return {}
    if root is None or not hasattr(root, "value") or not isinstance(root.value, list):
        return {}
    lines: dict[tuple[str, str], int] = {}

    def items(key: str) -> list[Any]:
        node = _value(root, key)
        return list(node.value) if node is not None and isinstance(node.value, list) else []

    for node in items("datasets"):
        name, version = _scalar(node, "name"), _scalar(node, "version")
        lines.setdefault(("dataset", f"{name}@{version}"), node.start_mark.line + 1)
    for node in items("models"):
        name = _scalar(node, "name")
        lines.setdefault(("model", str(name)), node.start_mark.line + 1)
        versions = _value(node, "versions")
        for vnode in (versions.value if versions is not None else []):
            version = _scalar(vnode, "version")
            lines.setdefault(("model_version", f"{name}@{version}"), vnode.start_mark.line + 1)
    for node in items("deployments"):
        endpoint, model, version = (_scalar(node, k) for k in ("endpoint", "model", "version"))
        line = node.start_mark.line + 1
        lines.setdefault(("deployment", f"{endpoint}/{model}@{version}"), line)
        lines.setdefault(("endpoint", str(endpoint)), line)
    return lines
