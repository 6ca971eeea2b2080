"""The install scripts' "already built?" check (scripts/lib/go-tool.sh): CI and every developer
rely on it to reuse a pinned tool and to rebuild one of another version."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.tool_support import missing

ROOT = Path(__file__).resolve().parent.parent
LIB = ROOT / "scripts" / "lib" / "go-tool.sh"
OPA_MODULE = "github.com/open-policy-agent/opa"


def _built(binary: Path, module: str, version: str) -> bool:
    script = f'set -euo pipefail; . "{LIB}"; go_tool_built "$1" "$2" "$3"'
    done = subprocess.run(["bash", "-c", script, "go-tool", str(binary), module, version],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.stderr == ""
    return done.returncode == 0


@pytest.fixture(scope="module")
def built_opa() -> Path:
    opa = ROOT / ".bin" / "opa"
    if not opa.is_file():
        missing(".bin/opa", "run scripts/install-opa.sh")
    return opa


def _pinned_opa() -> str:
    text = (ROOT / "scripts" / "install-opa.sh").read_text(encoding="utf-8")
    return text.split('OPA_VERSION="${OPA_VERSION:-', 1)[1].split("}", 1)[0]


def test_the_pinned_tool_is_reused(built_opa: Path) -> None:
    assert _built(built_opa, OPA_MODULE, _pinned_opa())


@pytest.mark.parametrize("version", ["1.22.2", "1.22", "0.70.0"])
def test_another_version_is_rebuilt(built_opa: Path, version: str) -> None:
    assert not _built(built_opa, OPA_MODULE, version)


def test_another_module_or_no_binary_is_rebuilt(built_opa: Path, tmp_path: Path) -> None:
    assert not _built(built_opa, "github.com/open-policy-agent/conftest", _pinned_opa())
    assert not _built(tmp_path / "opa", OPA_MODULE, _pinned_opa())
    not_go = tmp_path / "script"
    not_go.write_text("#!/bin/sh\necho 1.22.3\n")
    not_go.chmod(0o755)
    assert not _built(not_go, OPA_MODULE, _pinned_opa())


NO_GO_PATH = "/usr/bin:/bin"


def _install_opa(root: Path) -> subprocess.CompletedProcess[str]:
    """scripts/install-opa.sh of `root`, on a PATH without Go."""
    if shutil.which("go", path=NO_GO_PATH) is not None:
        pytest.skip(f"Go is installed in {NO_GO_PATH}: no PATH without it to try")
    return subprocess.run(["bash", str(root / "scripts" / "install-opa.sh")],
                          env={"PATH": NO_GO_PATH, "HOME": str(root)},
                          capture_output=True, text=True, timeout=60, check=False)


def test_a_built_tool_is_reused_without_go(built_opa: Path) -> None:
    done = _install_opa(ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"opa {_pinned_opa()} already in {ROOT / '.bin'}\n"


def test_a_missing_tool_without_go_is_a_clear_error(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    done = _install_opa(tmp_path)
    assert done.returncode == 1
    assert done.stderr == "install-opa: Go is required to build opa\n"
    assert not (tmp_path / ".bin").exists()
