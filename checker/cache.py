"""A cache of evaluated partitions, so an unchanged model is never evaluated twice.

An entry is the engine's answer for one partition (``data.almguard.lib.findings.result``:
findings, input errors, resources), keyed by the SHA-256 of the policy digest — which covers
the policy files and the policy data — and the partition's canonical JSON. Waivers,
``fail_on`` and a gate's proposal are applied after the cache, by the decision.

Each entry file says which key it answers and carries a seal of its key and content; an
entry that does not parse, names another key or fails its seal is ignored, recomputed and
overwritten. The seal is a SHA-256, which finds damage but not a forgery: whoever can write
the directory could also write a seal. With a secret (``ALMGUARD_CACHE_KEY``) the seal is
an HMAC-SHA256 under it, and an entry sealed without the secret, or under another, is
recomputed: a cache restored from a shared store (a CI cache other branches can write)
cannot turn a failing registry into a passing one. Writes go to a temporary file renamed
into place, so a crash never leaves half an entry.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

import orjson

from .canonical import canonical_json
from .errors import CacheError

FORMAT = 2
SECRET_VARIABLE = "ALMGUARD_CACHE_KEY"


def cache_secret(environ: Mapping[str, str]) -> bytes | None:
    """The cache's sealing secret from the environment (unset or empty: none)."""
    value = environ.get(SECRET_VARIABLE, "")
    return os.fsencode(value) if value else None   # the bytes as set, even if not UTF-8


class PartCache:
    """Evaluated partitions on disk, in ``DIR/ab/abcdef….json``."""

    def __init__(self, directory: Path, secret: bytes | None = None) -> None:
        self.directory = directory
        self.hits = 0
        self.misses = 0
        self.rejected = 0
        self._secret = secret
        if directory.exists() and not directory.is_dir():
            raise CacheError("cannot use the cache directory: it is not a directory",
                             file=str(directory))
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"cannot use the cache directory: {exc.strerror}",
                             file=str(directory)) from None

    @staticmethod
    def key(policies_digest: str, partition_text: bytes) -> str:
        digest = hashlib.sha256()
        digest.update(policies_digest.encode("ascii") + b"\n")
        digest.update(partition_text)
        return digest.hexdigest()

    def _seal(self, key: str, part: dict[str, Any]) -> dict[str, str]:
        """What vouches for an entry: its key and content under the secret (HMAC-SHA256),
        or without one, their SHA-256 (which finds damage, not forgery)."""
        content = key.encode("ascii") + b"\n" + canonical_json(part)
        if self._secret is None:
            return {"sha256": hashlib.sha256(content).hexdigest()}
        return {"hmac-sha256": hmac.new(self._secret, content, hashlib.sha256).hexdigest()}

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
                     and _same(entry.get("seal"), self._seal(key, part)))
        except (orjson.JSONDecodeError, KeyError, TypeError):
            valid = False
        if not valid:
            self.rejected += 1
            return None
        self.hits += 1
        return part  # type: ignore[no-any-return]

    def put(self, key: str, part: dict[str, Any]) -> None:
        entry = {"format": FORMAT, "key": key, "seal": self._seal(key, part), "part": part}
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
            raise CacheError(f"cannot write to the cache: {exc.strerror}",
                             file=str(path)) from None


def _same(found: Any, expected: dict[str, str]) -> bool:
    """The entry's seal is the expected one (compared in constant time)."""
    if not isinstance(found, dict) or found.keys() != expected.keys():
        return False
    (name, value), = expected.items()
    return isinstance(found[name], str) and hmac.compare_digest(found[name], value)
