"""A cache of evaluated partitions, so an unchanged model is never evaluated twice.

An entry is the engine's answer for one partition (``data.almguard.lib.findings.result``:
findings, input errors, resources), keyed by the SHA-256 of the policy digest — which covers
the policy files and the policy data — and the partition's canonical JSON. Waivers,
``fail_on`` and a gate's proposal are applied after the cache, by the decision.

Each entry file says which key it answers and carries the SHA-256 of its own content; an
entry that does not parse, names another key or fails its checksum is ignored, recomputed
and overwritten — never trusted. Writes go to a temporary file renamed into place, so a
crash never leaves half an entry.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import orjson

from .canonical import canonical_json
from .errors import AlmguardError

FORMAT = 1


class PartCache:
    """Evaluated partitions on disk, in ``DIR/ab/abcdef….json``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.hits = 0
        self.misses = 0
        self.rejected = 0
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AlmguardError(f"cannot use the cache directory: {exc.strerror}",
                                file=str(directory)) from None

    @staticmethod
    def key(policies_digest: str, partition_text: bytes) -> str:
        digest = hashlib.sha256()
        digest.update(policies_digest.encode("ascii") + b"\n")
        digest.update(partition_text)
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            raw = self._path(key).read_bytes()
        except OSError:
            self.misses += 1
            return None
        try:
            entry = orjson.loads(raw)
            part = entry["part"]
            valid = (entry.get("format") == FORMAT and entry.get("key") == key
                     and isinstance(part, dict)
                     and entry.get("sha256") == hashlib.sha256(canonical_json(part)).hexdigest())
        except (orjson.JSONDecodeError, KeyError, TypeError):
            valid = False
        if not valid:
            self.rejected += 1
            return None
        self.hits += 1
        return part  # type: ignore[no-any-return]

    def put(self, key: str, part: dict[str, Any]) -> None:
        entry = {"format": FORMAT, "key": key,
                 "sha256": hashlib.sha256(canonical_json(part)).hexdigest(), "part": part}
        path = self._path(key)
        try:
            path.parent.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".entry.")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(orjson.dumps(entry))
                os.chmod(tmp, 0o644)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise AlmguardError(f"cannot write to the cache: {exc.strerror}",
                                file=str(path)) from None
