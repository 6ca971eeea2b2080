"""Standard OPA bundles of the loaded policies and data (``almguard bundle build``).

The tar.gz holds ``.manifest`` (revision, roots, and our metadata: policy digest, tool
version), every policy module (tests left out) and one ``data.json`` with the effective
policy data plus ``almguard.bundle`` = {digest, revision, source: bundle}, which lets
``almguard scan --engine opa`` verify that a server serves exactly these policies.
The archive is reproducible: sorted entries, fixed times and owners.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import tarfile
from typing import Any

from . import __version__
from .metadata import package_of
from .policyset import PolicySet


def bundle_data(policies: PolicySet) -> dict[str, Any]:
    data = copy.deepcopy(policies.data)
    data.setdefault("almguard", {})["bundle"] = {
        "digest": policies.digest, "revision": policies.revision, "source": "bundle"}
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


def build_bundle(policies: PolicySet) -> bytes:
    """The bundle as gzip-compressed tar bytes (deterministic for the same inputs)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, "/.manifest", json.dumps(manifest(policies), indent=2,
                                           sort_keys=True).encode())
        _add(tar, "/data.json", json.dumps(bundle_data(policies), indent=2,
                                           sort_keys=True).encode())
        for module in sorted(policies.modules, key=lambda m: m.path):
            _add(tar, "/" + module.path, module.text.encode("utf-8"))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue()
