"""Where the packaged policies, templates and docs live (a wheel, or the source checkout)."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _packaged(name: str, owner: Path) -> Path:
    inside = owner / name          # installed wheel: copied into the package
    return inside if inside.is_dir() else owner.parent / name  # editable / source checkout


def policies_dir() -> Path:
    return _packaged("policies", _HERE)


def templates_dir() -> Path:
    return _packaged("templates", _HERE.parent / "reports")


def conftest_dir() -> Path:
    """The conftest entrypoint (package main), written beside the policies for conftest."""
    return _packaged("conftest", _HERE)


def docs_dir() -> Path:
    """The format documentation (docs/*.md): snapshot, results, rules, decision."""
    return _packaged("docs", _HERE)
