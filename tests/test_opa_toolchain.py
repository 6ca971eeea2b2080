"""The policies against the reference toolchain: opa check, opa fmt and opa test."""

from __future__ import annotations

import json
import subprocess

from conftest import ROOT

POLICIES = str(ROOT / "policies")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=600, cwd=ROOT)


def test_opa_check_strict_is_clean(opa, record_figure):
    version = run(opa, "version").stdout.splitlines()[0]
    record_figure(f"OPA: {version}")
    proc = run(opa, "check", "--strict", POLICIES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_opa_fmt_lists_nothing(opa):
    proc = run(opa, "fmt", "--list", POLICIES)
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr


def test_opa_test_passes_with_coverage(opa, record_figure):
    proc = run(opa, "test", POLICIES, "--coverage")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr
    report = json.loads(proc.stdout)
    record_figure(f"Rego tests on OPA: line coverage {report['coverage']:.1f}%")
    assert report["coverage"] >= 95.0
    counted = run(opa, "test", POLICIES)
    assert counted.returncode == 0
    record_figure("Rego tests on OPA: " + counted.stdout.strip().splitlines()[-1])
