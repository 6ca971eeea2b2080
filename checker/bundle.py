"""Standard OPA bundles of the loaded policies and data (``almguard bundle build``).

The tar.gz holds ``.manifest`` (revision, roots, and our metadata: policy digest, tool
version), every policy module (tests left out) and one ``data.json`` with the effective
policy data — the rule catalog generated from METADATA included — plus ``almguard.bundle``
= {digest, revision, source: bundle}, which lets ``almguard scan --engine opa`` verify that
a server serves exactly these policies. A server running it answers
``POST /v1/data/almguard/decision`` with the same findings and verdict as ``almguard scan``.
Waivers given to the build become ``data.almguard.waivers``, applied to every snapshot the
server judges. The archive is reproducible: sorted entries, fixed times and owners.

``write_conftest`` writes the same policies and data as a directory for conftest, with the
``main`` package that turns the decision into conftest's deny and warn messages.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import tarfile
from pathlib import Path
from typing import Any

from . import __version__
from .canonical import digest_of
from .errors import AlmguardError
from .metadata import package_of
from .policyset import PolicySet
from .resources import conftest_dir
from .waivers import WaiverSet


def bundle_data(policies: PolicySet, waivers: WaiverSet | None = None) -> dict[str, Any]:
    data = copy.deepcopy(policies.data)
    # bundled waivers are part of what the server judges by: its digest says so, and
    # almguard itself refuses to evaluate on a server whose digest is not its own
    digest = (policies.digest if waivers is None
              else digest_of({"policies": policies.digest, "waivers": waivers.entries}))
    data.setdefault("almguard", {})["bundle"] = {
        "digest": digest, "revision": policies.revision, "source": "bundle"}
    if waivers is not None:
        data["almguard"]["waivers"] = waivers.entries
    return data


def manifest(policies: PolicySet) -> dict[str, Any]:
    roots = {key for key in policies.data}
    for module in policies.modules:
        found = package_of(module.text)
        if found:
            roots.add(found[0].split(".")[0])
    return {
        "revision": policies.revision,
        "roots": sorted(roots | {"almguard"}),
        "rego_version": 1,
        "metadata": {"almguard": {"policy_digest": policies.digest,
                                  "tool_version": __version__}},
    }


def _add(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(content))


def build_bundle(policies: PolicySet, waivers: WaiverSet | None = None) -> bytes:
    """The bundle as gzip-compressed tar bytes (deterministic for the same inputs)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, "/.manifest", json.dumps(manifest(policies), indent=2,
                                           sort_keys=True).encode())
        _add(tar, "/data.json", json.dumps(bundle_data(policies, waivers), indent=2,
                                           sort_keys=True).encode())
        for module in sorted(policies.modules, key=lambda m: m.path):
            _add(tar, "/" + module.path, module.text.encode("utf-8"))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def write_conftest(policies: PolicySet, directory: Path,
                   waivers: WaiverSet | None = None) -> int:
    """The policies, the conftest entrypoint (package main) and data.json in a directory,
    for ``conftest test SNAPSHOT --policy DIR --data DIR``. Returns the number of files."""
    files: dict[str, bytes] = {"data.json": json.dumps(
        bundle_data(policies, waivers), indent=2, sort_keys=True).encode()}
    for module in policies.modules:
        files[module.path] = module.text.encode("utf-8")
    for entry in sorted(conftest_dir().glob("*.rego")):
        files[f"conftest/{entry.name}"] = entry.read_bytes()
    try:
        if directory.exists() and any(directory.iterdir()):
            raise AlmguardError("the conftest directory must be new or empty (files there "
                                "would be read as policies too)", file=str(directory))
        for name, content in sorted(files.items()):
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    except OSError as exc:
        raise AlmguardError(f"cannot write the conftest directory: {exc.strerror}",
                            file=str(directory)) from None
    return len(files)
