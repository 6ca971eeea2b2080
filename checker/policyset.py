"""Loading policies: Rego modules, their rule metadata and the policy data, with a digest.

Layout follows OPA bundles: a ``data.yaml``/``data.json`` file is placed at the data path of
its directory (``almguard/config/rollout/data.yaml`` -> ``data.almguard.config.rollout``), so
the same directory works with ``opa test``, ``opa run`` and almguard alike. User data files
given with ``--data`` are merged over the data root. They may only override: a top-level key
or a key under ``almguard`` or ``almguard.config`` that the policy data does not have is
refused (a typo in a threshold must not be ignored, a snapshot given as data must not pass),
and so is anything under ``almguard.catalog`` and ``almguard.bundle``, which almguard
generates from the rules and for bundles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__, documents
from .canonical import digest_of, sha256
from .documents import DocumentError, Limits
from .errors import PolicyError
from .metadata import RULES_PREFIX, RuleMeta, read_rule
from .resources import policies_dir

DATA_FILES = ("data.json", "data.yaml", "data.yml")
CONFIG_PATH = ("almguard", "config")
# Policy data that almguard writes itself, never a user's --data file.
GENERATED = {"catalog": "the rule catalog, generated from the rules' METADATA",
             "bundle": "the bundle marker, written by almguard bundle build"}
Locate = Callable[[tuple[str, ...]], int | None]


@dataclass(frozen=True)
class Module:
    """One Rego file: where it is shown from (file), its bundle path and its text."""

    file: str
    path: str
    text: str


@dataclass(frozen=True)
class PolicySet:
    modules: tuple[Module, ...]
    tests: tuple[Module, ...]
    data: dict[str, Any]
    rules: dict[str, RuleMeta]  # by package path, e.g. almguard.rules.registry.semantic_version
    digest: str
    revision: str


def _merge(base: dict[str, Any], extra: dict[str, Any], *, check: tuple[str, ...] | None,
           where: str, path: tuple[str, ...] = (), locate: Locate | None = None) -> None:
    """Deep-merge extra into base. Under the checked prefix, unknown keys are errors."""
    for key, value in extra.items():
        here = path + (key,)
        checking = check is not None and here[: len(check)] == check and len(here) > len(check)
        if checking and key not in base:
            raise PolicyError(f"unknown policy setting {'.'.join(here)} (known: "
                              f"{', '.join(sorted(base)) or 'none'})", file=where,
                              line=locate(here) if locate else None)
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, check=check, where=where, path=here, locate=locate)
        else:
            if checking and isinstance(base[key], dict) != isinstance(value, dict):
                raise PolicyError(f"policy setting {'.'.join(here)} must be "
                                  f"{'a mapping' if isinstance(base[key], dict) else 'a value'}",
                                  file=where, line=locate(here) if locate else None)
            if checking:
                problem = _type_problem(base[key], value)
                if problem:
                    raise PolicyError(f"policy setting {'.'.join(here)} {problem}",
                                      file=where, line=locate(here) if locate else None)
            base[key] = value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null"


def _type_problem(default: Any, value: Any) -> str | None:
    """Why a --data value cannot replace a default: it must be of the default's kind (a
    quoted number, a null or a list where a value belongs would make a rule silently
    skip, or make the engines disagree), and so must a list's items."""
    if _kind(value) != _kind(default):
        return f"must be {_kind(default)} like its default (got {_kind(value)})"
    if isinstance(default, list) and default:
        kinds = {_kind(item) for item in default}
        odd = [item for item in value if _kind(item) not in kinds]
        if odd:
            return f"items must be {' or '.join(sorted(kinds))} like its default's (got {odd[0]!r})"
    return None


def _check_overrides(base: dict[str, Any], extra: dict[str, Any], where: str,
                     locate: Locate) -> None:
    """A --data file overrides policy data; it cannot add a tree, set what almguard
    generates, or be a snapshot (which would pass as data that changes nothing)."""

    def fail(message: str, path: tuple[str, ...] = ()) -> PolicyError:
        return PolicyError(message, file=where, line=locate(path) if path else None)

    if {"schema_version", "registry"} <= set(extra):
        raise fail("this is a registry snapshot, not policy data: scan it as a snapshot; "
                   "policy data looks like almguard: {config: {...}}")
    for key, value in extra.items():
        if key not in base:
            raise fail(f"unknown top-level key {key!r} in policy data (it has: "
                       f"{', '.join(sorted(base)) or 'nothing'}); default data for rules of "
                       "your own belongs in a data.yaml beside them, in their policy "
                       "directory", (key,))
        if isinstance(base[key], dict) and not isinstance(value, dict):
            raise fail(f"policy data {key} must be a mapping", (key,))
    section = extra.get("almguard")
    for key in section or ():
        if key in GENERATED:
            raise fail(f"almguard.{key} is {GENERATED[key]}: policy data cannot set it",
                       ("almguard", key))
        if key not in base["almguard"]:
            raise fail(f"unknown policy setting almguard.{key} (known: "
                       f"{', '.join(sorted(base['almguard'])) or 'none'})", ("almguard", key))


def _place(data: dict[str, Any], parts: tuple[str, ...], value: Any, file: str) -> None:
    node = data
    for part in parts:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise PolicyError(f"data path {'.'.join(parts)} collides with a value", file=file)
    if not isinstance(value, dict):
        raise PolicyError("a data file must hold a mapping", file=file)
    _merge(node, value, check=None, where=file)


def _read_data(path: Path, limits: Limits) -> Any:
    return _read_data_text(path, limits)[1]


def _read_data_text(path: Path, limits: Limits) -> tuple[str, Any]:
    try:
        return documents.load_with_text(path, limits)
    except DocumentError as exc:
        raise PolicyError(exc.message, file=str(path), line=exc.line) from None


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def catalog(rules: Iterable[RuleMeta]) -> dict[str, Any]:
    """The rule catalog as policy data (data.almguard.catalog), generated from the rules'
    METADATA: the decision joins findings to it, since the embedded engine has no
    rego.metadata. One source of truth: the METADATA blocks; this is derived on every load
    and written into bundles."""
    return {"rules": {
        rule.id: {"title": rule.title, "severity": rule.severity, "category": rule.category,
                  "remediation": rule.remediation, "controls": list(rule.controls),
                  "path": rule.package.removeprefix(RULES_PREFIX).split(".")}
        for rule in sorted(rules, key=lambda r: r.id)}}


def load_policies(extra_dirs: list[Path] | None = None, data_files: list[Path] | None = None,
                  *, include_bundled: bool = True, limits: Limits | None = None,
                  fail_on: str | None = None) -> PolicySet:
    """Collect modules, tests, rule metadata and data from the policy directories."""
    limits = limits or Limits()
    roots = ([policies_dir()] if include_bundled else []) + list(extra_dirs or [])
    modules: list[Module] = []
    tests: list[Module] = []
    data: dict[str, Any] = {}
    rules: dict[str, RuleMeta] = {}
    ids: dict[str, RuleMeta] = {}
    digest_parts: list[list[str]] = []
    for root in roots:
        if not root.is_dir():
            raise PolicyError("policy directory not found", file=str(root))
        for path in sorted(root.rglob("*")):
            if not path.is_file() or any(p.startswith(".") for p in path.relative_to(root).parts):
                continue
            rel = path.relative_to(root)
            shown = _display(path)
            if path.suffix == ".rego":
                try:
                    text = path.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise PolicyError(f"cannot read policy: {exc}", file=shown) from None
                module = Module(file=shown, path=f"{root.name}/{rel.as_posix()}", text=text)
                digest_parts.append([module.path, sha256(text.encode("utf-8"))])
                if path.name.endswith("_test.rego"):
                    tests.append(module)
                    continue
                modules.append(module)
                rule = read_rule(text, shown)
                if rule is None:
                    continue
                if rule.package in rules:
                    raise PolicyError(f"rule package {rule.package} is also declared in "
                                      f"{rules[rule.package].file}", file=shown, line=rule.line)
                if rule.id in ids:
                    raise PolicyError(f"rule id {rule.id} is also used by {ids[rule.id].file}",
                                      file=shown, line=rule.line)
                rules[rule.package] = rule
                ids[rule.id] = rule
            elif path.name in DATA_FILES:
                _place(data, rel.parent.parts, _read_data(path, limits), shown)
    for data_file in data_files or []:
        text, value = _read_data_text(data_file, limits)
        if not isinstance(value, dict):
            raise PolicyError("a data file must hold a mapping", file=str(data_file))

        def locate(path: tuple[str, ...], text: str = text) -> int | None:
            return documents.line_of(text, path, limits)

        _check_overrides(data, value, str(data_file), locate)
        _merge(data, value, check=CONFIG_PATH, where=str(data_file), locate=locate)
    if fail_on is not None:
        data.setdefault("almguard", {}).setdefault("config", {}).setdefault(
            "decision", {})["fail_on"] = fail_on
    data.setdefault("almguard", {})["catalog"] = catalog(rules.values())
    digest = digest_of({"modules": sorted(digest_parts), "data": data})
    custom = bool(extra_dirs) or bool(data_files)
    revision = f"almguard-{__version__}" + (f"+local.{digest[7:19]}" if custom else "")
    return PolicySet(modules=tuple(modules), tests=tuple(tests), data=data, rules=rules,
                     digest=digest, revision=revision)
