"""Snapshot source: a YAML or JSON file (or standard input)."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import documents
from ..documents import DocumentError, Limits
from ..errors import SnapshotError
from .interface import LoadedSnapshot, SnapshotSource, validate


class FileSource(SnapshotSource):
    """A snapshot file; ``-`` reads standard input."""

    def __init__(self, path: str | Path, limits: Limits | None = None) -> None:
        self.path = Path(path)
        self.limits = limits or Limits()

    def load(self) -> LoadedSnapshot:
        stdin = str(self.path) == "-"
        origin = "<stdin>" if stdin else str(self.path)
        try:
            if stdin:
                text = documents.decode(sys.stdin.buffer.read(self.limits.max_bytes + 1),
                                        self.limits)
            else:
                text = documents.read_text(self.path, self.limits)
        except DocumentError as exc:
            raise SnapshotError(exc.message, file=origin, line=exc.line) from None
        return load_snapshot_text(text, origin=origin, limits=self.limits,
                                  suffix="" if stdin else self.path.suffix)


def load_snapshot_text(text: str, *, origin: str, limits: Limits | None = None,
                       suffix: str = "") -> LoadedSnapshot:
    """Parse and validate snapshot text (a file's, or a request body in the service)."""
    limits = limits or Limits()
    try:
        null_seen = documents.NullSeen()
        document = documents.parse(text, json_syntax=documents.looks_like_json(text, suffix),
                                   limits=limits, null_seen=null_seen)
    except DocumentError as exc:
        raise SnapshotError(exc.message, file=origin, line=exc.line) from None
    return validate(document, origin=origin, text=text, has_nulls=null_seen.seen,
                    line_of=lambda loc: documents.line_of(text, loc, limits))
