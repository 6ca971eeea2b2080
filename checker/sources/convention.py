"""Our own keys in other systems' metadata: ``almguard.*`` tags, ``almguard.dev/*`` annotations.

A key in one of our namespaces that no importer reads is a typo (``almguard.envronment``),
and ignoring it would change what the snapshot says (a production endpoint scanned as
staging): every source refuses it, and a value outside an enumerated key's list, with the
messages made here. Each source raises them at its own location (file, line, path).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

TAG = "almguard."
ANNOTATION = "almguard.dev/"


def unknown_key(keys: Iterable[str], namespace: str, known: Iterable[str],
                prefixes: Iterable[str] = ()) -> str | None:
    """The first key (in sorted order) in ``namespace`` that is neither one of ``known``
    nor starts with one of ``prefixes`` (``almguard.input.`` names a job input)."""
    known_set, starts = set(known), tuple(prefixes)
    for key in sorted(keys):
        if key.startswith(namespace) and key not in known_set and not (
                starts and key.startswith(starts)):
            return key
    return None


def unknown_message(known: Iterable[str], see: str, what: str = "tag",
                    prefixes: Iterable[str] = ()) -> str:
    """``not an almguard tag (known: …; see …)``, the wording of the MLflow importer."""
    listed = sorted(known) + [f"{p}<name>" for p in sorted(prefixes)]
    if not listed:
        return f"not an almguard {what} (none is read here; see {see})"
    return f"not an almguard {what} (known: {', '.join(listed)}; see {see})"


def not_one_of(value: object, allowed: Sequence[str]) -> str:
    return f"{value!r} is not one of {', '.join(allowed)}"
