"""The wheel a release would publish: built with `python -m build`, installed into a fresh
virtual environment and run from outside the checkout, it scans, reports and builds bundles
with the policies, templates and conftest entrypoint it carries (pyproject's force-include),
and gives the result the checkout gives."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES, run_cli

# checkout directory -> where the wheel carries it (pyproject.toml, force-include)
CARRIED = {"policies": "checker/policies", "templates": "reports/templates",
           "conftest": "checker/conftest", "docs": "checker/docs"}
DOCS = ("snapshot.md", "results.md", "rules.md", "decision.md")
MORE_DOCS = {"Evidence for auditors": ("attestation", "oscal", "bom"),
             "Composing sources": ("compose", "ledger")}


def _docs_named_by_help(text: str) -> Path:
    match = re.search(r"^Formats, exit codes and rules: (\S+)/"
                      r"\{snapshot,results,rules,decision\}\.md$", text, re.MULTILINE)
    assert match, text
    return Path(match.group(1))


def test_help_points_to_the_docs_of_the_formats():
    run = run_cli("--help")
    assert run.code == 0
    docs = _docs_named_by_help(run.stdout)
    assert docs == ROOT / "docs"
    assert all((docs / name).is_file() for name in DOCS)
    for label, names in MORE_DOCS.items():
        line = f"{label}: {docs}/{{{','.join(names)}}}.md"
        assert line in run.stdout.splitlines(), run.stdout
        assert all((docs / f"{name}.md").is_file() for name in names)


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd,
                          timeout=600, check=False, env={**env, "NO_COLOR": "1"})


def _shipped(directory: str) -> set[str]:
    """The files of a checkout directory that a wheel must carry (not dotfiles, caches)."""
    root = ROOT / directory
    return {p.relative_to(root).as_posix() for p in root.rglob("*")
            if p.is_file() and not any(part.startswith(".") or part == "__pycache__"
                                       for part in p.relative_to(root).parts)}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the wheel, the venv's bin directory) for a wheel built from this checkout."""
    work = tmp_path_factory.mktemp("packaging")
    built = _run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                 work / "dist", ROOT, cwd=work)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheels = sorted((work / "dist").glob("almguard-*.whl"))
    assert len(wheels) == 1, wheels
    # the venv sees this interpreter's packages for the dependencies (no download), but
    # almguard itself comes from the wheel only
    # (--without-pip: this interpreter's pip installs into it, no ensurepip needed)
    made = _run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                work / "venv", cwd=work)
    assert made.returncode == 0, made.stderr
    bin_dir = work / "venv" / "bin"
    pip = _run(sys.executable, "-m", "pip", "--python", bin_dir / "python", "install",
               "--no-deps", "--no-index", "--disable-pip-version-check", "--quiet", wheels[0],
               cwd=work)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return wheels[0], bin_dir


@pytest.mark.slow
def test_the_wheel_carries_the_policies_templates_and_conftest_entrypoint(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for directory, inside in CARRIED.items():
        expected = _shipped(directory)
        assert expected, directory
        missing = sorted(f for f in expected if f"{inside}/{f}" not in names)
        assert missing == [], (directory, missing[:10])
    assert "checker/service/migrations/versions/0001_initial.py" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "almguard = checker.cli:entry" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.mark.slow
def test_the_installed_command_works_outside_the_checkout(installed, tmp_path: Path):
    _, bin_dir = installed
    for name in ("compliant.yaml", "messy.yaml"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    where = _run(bin_dir / "python", "-c", "import checker, reports; "
                 "print(checker.__file__); print(reports.__file__)", cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(bin_dir.parent)) for line in where.stdout.splitlines()), \
        where.stdout  # not the checkout's (editable) package
    almguard = bin_dir / "almguard"

    scan = _run(almguard, "scan", "compliant.yaml", cwd=tmp_path)
    assert scan.returncode == 0 and scan.stdout.splitlines()[-1].startswith("PASS: 0 findings")
    installed_json = _run(almguard, "scan", "messy.yaml", "--format", "json", cwd=tmp_path)
    checkout_json = run_cli("scan", str(SAMPLES / "messy.yaml"), "--format", "json")
    assert installed_json.returncode == checkout_json.code == 1, installed_json.stderr
    assert json.loads(installed_json.stdout) == json.loads(checkout_json.stdout)

    report = _run(almguard, "report", "messy.yaml", "--html", "report.html", cwd=tmp_path)
    assert report.returncode == 1, report.stderr
    assert "ALM-REG-002" in (tmp_path / "report.html").read_text()  # the templates rendered
    docs = _docs_named_by_help(_run(almguard, "--help", cwd=tmp_path).stdout)
    assert docs.is_relative_to(bin_dir.parent) and all((docs / n).is_file() for n in DOCS)
    bundle = _run(almguard, "bundle", "build", "--conftest", "policy", cwd=tmp_path)
    assert bundle.returncode == 0, bundle.stderr
    assert (tmp_path / "policy" / "data.json").is_file()
    assert any((tmp_path / "policy").rglob("main.rego"))  # the conftest entrypoint
