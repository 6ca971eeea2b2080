"""Where a resource is written in the snapshot file: line numbers for SARIF and annotations."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yaml.events import (
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from .documents import Limits, NeedsTree, NotComposed, compose, node_events, skip_node
from .ids import Key, dataset_id, deployment_id, model_version_id
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


def resource_lines(snapshot: LoadedSnapshot, limits: Limits | None = None
                   ) -> dict[Key, int]:
    """(kind, id) -> 1-based line of the entity in the snapshot text ({} if unknown).

    Read from libyaml's events (the node tree of a 100,000-version registry would take
    gigabytes); a text with anchors or aliases, or of an unexpected shape, is read from its
    node tree, which says the same of every other text."""
    if not snapshot.text:
        return {}
    limits = limits or Limits()
    try:
        found = _lines_from_events(node_events(snapshot.text, limits))
    except NotComposed:
        return {}
    except NeedsTree:
        found = None
    return _lines_from_tree(snapshot.text, limits) if found is None else found


# --- from the events -------------------------------------------------------------------

_SECTIONS = {"datasets": ("name", "version"), "models": ("name", "versions"),
             "deployments": ("endpoint", "model", "version")}


class _Unexpected(Exception):
    """A shape the tree walk reads in its own way: leave the text to it."""


@dataclass
class _Entry:
    line: int
    scalars: dict[str, str | None] = field(default_factory=dict)
    versions: list[_Entry] | None = None


def _lines_from_events(events: Iterator[Any]) -> dict[Key, int] | None:
    """What _lines_from_tree answers, or None to let it answer."""
    try:
        sections = _read_sections(events)
    except _Unexpected:
        return None
    finally:
        for _ in events:  # the text must compose whole, as for the tree
            pass
    if sections is None:
        return {}
    lines: dict[Key, int] = {}
    for entry in sections.get("datasets", ()):
        name, version = (str(entry.scalars.get(k)) for k in ("name", "version"))
        lines.setdefault(("dataset", dataset_id(name, version)), entry.line)
    for entry in sections.get("models", ()):
        name = str(entry.scalars.get("name"))
        lines.setdefault(("model", name), entry.line)
        for ventry in entry.versions or ():
            version = str(ventry.scalars.get("version"))
            lines.setdefault(("model_version", model_version_id(name, version)), ventry.line)
    for entry in sections.get("deployments", ()):
        endpoint, model, version = (str(entry.scalars.get(k)) for k in ("endpoint", "model",
                                                                        "version"))
        lines.setdefault(("deployment", deployment_id(endpoint, model, version)), entry.line)
        lines.setdefault(("endpoint", endpoint), entry.line)
    return lines


def _read_sections(events: Iterator[Any]) -> dict[str, list[_Entry]] | None:
    """The entries of the first datasets, models and deployments keys of the root mapping
    (None for an empty or scalar document, which has no lines to give)."""
    root = next(events, None)
    if root is None or root.__class__ is ScalarEvent:
        return None
    if root.__class__ is not MappingStartEvent:
        raise _Unexpected
    sections: dict[str, list[_Entry]] = {}
    for key in _keys(events):
        name = key.value if key.__class__ is ScalarEvent else None
        value = next(events)
        if name in _SECTIONS and name not in sections:
            sections[name] = _entries(events, value, _SECTIONS[name])
        else:
            skip_node(events, value)
    return sections


def _keys(events: Iterator[Any]) -> Iterator[Any]:
    """The key events of a mapping whose start was read; the caller reads each value."""
    for key in events:
        if key.__class__ is MappingEndEvent:
            return
        if key.__class__ is not ScalarEvent:
            skip_node(events, key)
        yield key


def _entries(events: Iterator[Any], start: Any, wanted: tuple[str, ...]) -> list[_Entry]:
    if start.__class__ is not SequenceStartEvent:
        raise _Unexpected
    entries: list[_Entry] = []
    for item in events:
        if item.__class__ is SequenceEndEvent:
            return entries
        if item.__class__ is not MappingStartEvent:
            raise _Unexpected
        entry = _Entry(item.start_mark.line + 1)
        for key in _keys(events):
            name = key.value if key.__class__ is ScalarEvent else None
            value = next(events)
            if name not in wanted or name in entry.scalars:  # the first key of a name counts
                skip_node(events, value)
            elif name == "versions":
                entry.scalars[name] = None
                if value.__class__ is ScalarEvent:  # the tree walk iterates its text
                    raise _Unexpected
                entry.versions = _entries(events, value, ("version",))
            else:
                is_text = value.__class__ is ScalarEvent
                entry.scalars[name] = value.value if is_text else None
                skip_node(events, value)
        entries.append(entry)
    return entries


# --- from the node tree ------------------------------------------------------------------

def _value(node: Any, key: str) -> Any:
    for k, v in node.value:
        if getattr(k, "value", None) == key:
            return v
    return None


def _scalar(node: Any, key: str) -> str | None:
    found = _value(node, key)
    return found.value if found is not None and hasattr(found, "value") and \
        isinstance(found.value, str) else None


def _lines_from_tree(text: str, limits: Limits) -> dict[Key, int]:
    try:
        root = compose(text, limits)
    except Exception:  # noqa: BLE001 - best effort: no lines rather than no output
        return {}
    if root is None or not hasattr(root, "value") or not isinstance(root.value, list):
        return {}
    lines: dict[Key, int] = {}

    def items(key: str) -> list[Any]:
        node = _value(root, key)
        return list(node.value) if node is not None and isinstance(node.value, list) else []

    for node in items("datasets"):
        name, version = str(_scalar(node, "name")), str(_scalar(node, "version"))
        lines.setdefault(("dataset", dataset_id(name, version)), node.start_mark.line + 1)
    for node in items("models"):
        name = str(_scalar(node, "name"))
        lines.setdefault(("model", name), node.start_mark.line + 1)
        versions = _value(node, "versions")
        for vnode in (versions.value if versions is not None else []):
            version = str(_scalar(vnode, "version"))
            lines.setdefault(("model_version", model_version_id(name, version)),
                             vnode.start_mark.line + 1)
    for node in items("deployments"):
        endpoint, model, version = (str(_scalar(node, k))
                                    for k in ("endpoint", "model", "version"))
        line = node.start_mark.line + 1
        lines.setdefault(("deployment", deployment_id(endpoint, model, version)), line)
        lines.setdefault(("endpoint", endpoint), line)
    return lines
