"""The snapshot-source interface and the loaded snapshot every source produces."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Sequence

from ..canonical import digest_of, gc_paused
from ..documents import without_nulls
from ..errors import SnapshotError
from ..snapshot import ShapeError, Snapshot, check_shape


@dataclass(frozen=True)
class LoadedSnapshot:
    """A validated snapshot: the document as written (nulls dropped) and its digest.

    The typed view (`model`) is built on first use: a scan never needs it, and a
    100,000-version registry as pydantic objects would double the memory.
    """

    document: dict[str, Any]
    digest: str
    origin: str = "<snapshot>"
    text: str | None = field(default=None, repr=False)

    @cached_property
    def model(self) -> Snapshot:
        return Snapshot.model_validate(self.document)


class SnapshotSource(ABC):
    """Something that yields one registry snapshot."""

    @abstractmethod
    def load(self) -> LoadedSnapshot:
        """Return the snapshot, or raise SnapshotError naming what is wrong and where."""


def format_loc(loc: Sequence[str | int]) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "required field missing",
}


def _describe(error: Any) -> str:
    kind = error["type"]
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "literal_error" and error["loc"] == ("schema_version",):
        return f"unsupported schema_version {error['input']!r}: this almguard reads version 1"
    msg = str(error["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind in ("string_type",) and isinstance(error.get("input"), (int, float, bool)):
        msg += f" (got {error['input']!r}: quote it in YAML)"
    return msg[0].lower() + msg[1:] if msg else kind


def validate(document: Any, *, origin: str, text: str | None,
             line_of: Any = None, has_nulls: bool = True) -> LoadedSnapshot:
    """Validate a parsed document against snapshot-v1; errors name the path (and line).

    Nulls are validated first (an unknown key is an error even when its value is null),
    then dropped: an optional field written as null means absent, so policies see one form
    of absence and a null and a missing key give the same digest.
    """
    if not isinstance(document, dict):
        raise SnapshotError("a snapshot is a mapping with schema_version, registry, datasets, "
                            "models and deployments", file=origin)
    if "schema_version" not in document:
        raise SnapshotError("schema_version missing (expected 1)", file=origin)
    if document["schema_version"] != 1 or isinstance(document["schema_version"], bool):
        raise SnapshotError(f"unsupported schema_version {document['schema_version']!r}: this "
                            "almguard reads version 1", file=origin, path="schema_version")
    try:
        with gc_paused():
            check_shape(document)
    except ShapeError as exc:
        errors = exc.errors
        first = errors[0]
        loc = tuple(first["loc"])
        # pydantic reports union members separately; drop their type names from the path
        loc = tuple(s for s in loc if not (isinstance(s, str) and s in ("float", "int")))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        line = line_of(loc) if line_of else None
        raise SnapshotError(_describe(first) + more, file=origin, line=line,
                            path=format_loc(loc)) from None
    _check_unique(document, origin, line_of)
    if has_nulls:
        with gc_paused():
            document = without_nulls(document)
    return LoadedSnapshot(document=document, digest=digest_of(document),
                          origin=origin, text=text)


def _check_unique(document: dict[str, Any], origin: str, line_of: Any) -> None:
    """Identities must be unique: two entries with one id make the snapshot ambiguous."""

    def fail(what: str, ident: str, loc: tuple[str | int, ...]) -> None:
        raise SnapshotError(f"duplicate {what} {ident!r}: each must appear once", file=origin,
                            line=line_of(loc) if line_of else None, path=format_loc(loc))

    seen: set[str] = set()
    for i, dataset in enumerate(document.get("datasets") or ()):
        ident = f"{dataset['name']}@{dataset['version']}"
        if ident in seen:
            fail("dataset version", ident, ("datasets", i))
        seen.add(ident)
    seen.clear()
    for i, model in enumerate(document.get("models") or ()):
        if model["name"] in seen:
            fail("model", model["name"], ("models", i))
        seen.add(model["name"])
        versions: set[str] = set()
        for j, version in enumerate(model.get("versions") or ()):
            if version["version"] in versions:
                fail("model version", f"{model['name']}@{version['version']}",
                     ("models", i, "versions", j))
            versions.add(version["version"])
    seen.clear()
    for i, deployment in enumerate(document.get("deployments") or ()):
        ident = f"{deployment['endpoint']}/{deployment['model']}@{deployment['version']}"
        if ident in seen:
            fail("deployment", ident, ("deployments", i))
        seen.add(ident)
