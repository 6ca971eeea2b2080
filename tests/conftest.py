"""Shared fixtures: paths, a CLI runner, and the policy engine loaded once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from service_support import database_url  # noqa: F401 - the service tests' fixture
from tool_support import missing

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
# every sample snapshot (samples/service.yaml is the service's config, not a snapshot)
SAMPLE_SNAPSHOTS = sorted(p for p in SAMPLES.glob("*.yaml") if p.name != "service.yaml")

MINIMAL = """\
schema_version: 1
registry: {name: contoso-foundry, captured_at: "2026-11-20T08:00:00Z"}
datasets:
  - {name: loan-applications, version: "3", digest: "sha256:%s"}
models:
  - name: credit-risk-scorer
    owner: risk-ml
    risk_tier: high
    versions:
      - version: "2.1.0"
        lineage:
          training_data: [{dataset: loan-applications, version: "3"}]
deployments: []
""" % ("ab" * 32)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, stdin: bytes | None = None, timeout: float = 120) -> Run:
    """Run the installed command as a user would (a separate process)."""
    proc = subprocess.run([sys.executable, "-m", "checker", *args], input=stdin,
                          capture_output=True, timeout=timeout, cwd=ROOT,
                          env={**os.environ, "NO_COLOR": "1"})
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"),
               proc.stderr.decode("utf-8", "replace"))


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def minimal_text() -> str:
    return MINIMAL


def _executable(path: str | Path | None) -> str | None:
    return str(path) if path and os.path.isfile(path) and os.access(path, os.X_OK) else None


def opa_binary() -> str | None:
    """$ALMGUARD_OPA, .bin/opa (scripts/install-opa.sh) or opa on PATH: the first that is an
    executable file, as the OPA engine looks for it."""
    return (_executable(os.environ.get("ALMGUARD_OPA")) or _executable(ROOT / ".bin" / "opa")
            or shutil.which("opa"))


@pytest.fixture(scope="session")
def opa() -> str:
    found = opa_binary()
    if found is None:
        if os.environ.get("ALMGUARD_REQUIRE_OPA") == "1":
            pytest.fail("ALMGUARD_REQUIRE_OPA=1 but no opa binary (run scripts/install-opa.sh)")
        pytest.skip("no opa binary: run scripts/install-opa.sh (CI requires it)")
    return found


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001
    lines = config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("almguard figures")
        for line in lines:
            terminalreporter.write_line(line)


FIGURES = pytest.StashKey[list]()


@pytest.fixture
def record_figure(request):
    def record(line: str) -> None:
        request.config.stash.setdefault(FIGURES, []).append(line)
    return record


MULTITOOL_DIR = ROOT / ".bin" / "npm" / "node_modules"


@pytest.fixture(scope="session")
def sarif_multitool() -> tuple[str, Path]:
    """The SARIF Multitool and the official SARIF 2.1.0 schema it ships."""
    tool = MULTITOOL_DIR / ".bin" / "sarif-multitool"
    schema = MULTITOOL_DIR / "@microsoft" / "sarif-multitool-linux" / "sarif-2.1.0.json"
    if not (tool.exists() and schema.exists()):
        missing("the SARIF Multitool", "run scripts/install-sarif-multitool.sh")
    return str(tool), schema


@pytest.fixture(scope="session")
def bundled_policies():
    """The bundled policy set, loaded once."""
    from checker.policyset import load_policies
    return load_policies()


@pytest.fixture(scope="session")
def embedded_engine(bundled_policies):
    """One in-process regorus engine with the bundled policies (no worker processes)."""
    from checker.engines.embedded import EmbeddedEngine
    with EmbeddedEngine(workers=1) as engine:
        engine.load(bundled_policies)
        yield engine


@pytest.fixture(scope="session")
def conftest_binary() -> str:
    found = _executable(ROOT / ".bin" / "conftest") or shutil.which("conftest")
    if found is None:
        missing("the conftest binary", "run scripts/install-conftest.sh")
    return found


@pytest.fixture(scope="session")
def engine_pair(opa, bundled_policies):
    """The embedded engine and a private OPA server, both loaded with the bundled policies:
    the tests that hold the two engines to one answer share them."""
    from checker.engines.embedded import EmbeddedEngine
    from checker.engines.opa import OpaEngine
    os.environ["ALMGUARD_OPA"] = opa
    with EmbeddedEngine(workers=1) as embedded, OpaEngine(workers=1) as server:
        embedded.load(bundled_policies)
        server.load(bundled_policies)
        yield embedded, server
