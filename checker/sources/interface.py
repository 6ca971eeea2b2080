"""The snapshot-source interface and the loaded snapshot every source produces."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..canonical import digest_of, gc_paused
from ..documents import lone_surrogate, without_nulls
from ..endpoints import Endpoints
from ..errors import SnapshotError
from ..ids import dataset_of, deployment_of, model_version_id
from ..snapshot import Snapshot, check_shape
from ..validation import format_loc, shown


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

    @cached_property
    def endpoints(self) -> Endpoints:
        """The endpoints indexed for gates (built on first use, kept with the snapshot)."""
        return Endpoints(self.document)


class SnapshotSource(ABC):
    """Something that yields one registry snapshot."""

    @abstractmethod
    def load(self) -> LoadedSnapshot:
        """Return the snapshot, or raise SnapshotError naming what is wrong and where."""


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
    version = document["schema_version"]
    if type(version) is not int or version != 1:
        # exactly the integer 1: 1.0 and true equal 1 in Python but digest differently
        problem = (f"must be the integer 1, not {shown(version)}"
                   if version == 1 else
                   f"unsupported schema_version {shown(version)}: this almguard reads version 1")
        raise SnapshotError(problem, file=origin, path="schema_version",
                            line=line_of(("schema_version",)) if line_of else None)
    with gc_paused():
        shape = check_shape(document)
    if shape is not None:
        raise SnapshotError(shape.message, file=origin, path=shape.path,
                            line=line_of(shape.loc) if line_of else None)
    _check_unique(document, origin, line_of)
    if has_nulls:
        with gc_paused():
            document = without_nulls(document)
    try:
        digest = digest_of(document)
    except TypeError as exc:  # orjson: a lone surrogate from a source that is not a text
        found = lone_surrogate(document)
        if found is None:
            raise SnapshotError(f"cannot be written as canonical JSON: {exc}",
                                file=origin) from None
        loc = found.path
        raise SnapshotError(f"{'key' if found.in_key else 'string'} holds a lone UTF-16 "
                            f"surrogate \\u{found.code:04x}, which is no Unicode character",
                            file=origin, line=line_of(loc) if line_of else None,
                            path=format_loc(loc)) from None
    return LoadedSnapshot(document=document, digest=digest, origin=origin, text=text)


def _check_unique(document: dict[str, Any], origin: str, line_of: Any) -> None:
    """Identities must be unique: two entries with one id make the snapshot ambiguous."""

    def fail(what: str, ident: str, loc: tuple[str | int, ...]) -> None:
        raise SnapshotError(f"duplicate {what} {ident!r}: each must appear once", file=origin,
                            line=line_of(loc) if line_of else None, path=format_loc(loc))

    seen: set[str] = set()
    for i, dataset in enumerate(document.get("datasets") or ()):
        ident = dataset_of(dataset)
        if ident in seen:
            fail("dataset version", ident, ("datasets", i))
        seen.add(ident)
    seen.clear()
    # version ids across every model: "a@b" version "c" and "a" version "b@c" are both
    # a@b@c (the policies index versions by that id, and the two models may be evaluated
    # in different partitions, where the policies' own check could not see both)
    version_ids: set[str] = set()
    for i, model in enumerate(document.get("models") or ()):
        if model["name"] in seen:
            fail("model", model["name"], ("models", i))
        seen.add(model["name"])
        for j, version in enumerate(model.get("versions") or ()):
            ident = model_version_id(model["name"], version["version"])
            if ident in version_ids:
                fail("model version", ident, ("models", i, "versions", j))
            version_ids.add(ident)
    seen.clear()
    for i, deployment in enumerate(document.get("deployments") or ()):
        ident = deployment_of(deployment)
        if ident in seen:
            fail("deployment", ident, ("deployments", i))
        seen.add(ident)
