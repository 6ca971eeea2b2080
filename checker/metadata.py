"""Rule metadata read from the ``# METADATA`` comment blocks of Rego files.

The embedded engine has no annotations API, so we read the blocks ourselves (the same code
serves OPA). A rule is a package under ``almguard.rules`` with a package-scoped block whose
``custom`` section carries id, severity, category, remediation and controls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import PolicyError
from .validation import first_problem

Severity = Literal["critical", "high", "medium", "low"]
Category = Literal["registry", "lineage", "evaluation", "safety", "approval", "rollout",
                   "monitoring", "retention", "retirement"]
SEVERITIES: tuple[str, ...] = get_args(Severity)
CATEGORIES: tuple[str, ...] = get_args(Category)
RULES_PREFIX = "almguard.rules."

# The kinds of resource a rule reports on, read from its finding literals; JUnit uses them
# to list every resource a rule checked, not only those it failed.
_KIND = re.compile(r'"kind":\s*"(model|model_version|dataset|deployment|endpoint)"')
_PACKAGE = re.compile(r"^package\s+([A-Za-z_][\w.]*)\s*$")


class RuleMeta(BaseModel):
    """One rule of the catalog, as its METADATA block declares it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
    title: str
    description: str = ""
    severity: Severity
    category: Category
    remediation: str
    controls: tuple[str, ...] = ()
    alm_rule: str = ""
    # The rule's findings tell what the answer to the audit question lacks (rules of the
    # lineage category always do).
    lineage_evidence: bool = False
    resource_kinds: tuple[str, ...] = ()
    package: str
    file: str
    line: int


@dataclass(frozen=True)
class _Block:
    data: dict[str, Any]
    line: int  # line of "# METADATA"


def _blocks(text: str, file: str) -> dict[int, _Block]:
    """Map 'line of the statement after a METADATA block' -> block."""
    lines = text.splitlines()
    found: dict[int, _Block] = {}
    i = 0
    while i < len(lines):
        if lines[i].strip() == "# METADATA":
            start = i
            body: list[str] = []
            i += 1
            while i < len(lines) and lines[i].lstrip().startswith("#"):
                stripped = lines[i].lstrip()[1:]
                body.append(stripped[1:] if stripped.startswith(" ") else stripped)
                i += 1
            try:
                data = yaml.safe_load("\n".join(body)) or {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                line = start + 2 + (mark.line if mark else 0)
                raise PolicyError(f"METADATA block is not valid YAML: "
                                  f"{getattr(exc, 'problem', None) or exc}",
                                  file=file, line=line) from None
            if not isinstance(data, dict):
                raise PolicyError("METADATA block must be a YAML mapping", file=file,
                                  line=start + 1)
            found[i + 1] = _Block(data, start + 1)
            continue
        i += 1
    return found


def package_of(text: str) -> tuple[str, int] | None:
    for number, line in enumerate(text.splitlines(), start=1):
        match = _PACKAGE.match(line.strip())
        if match:
            return match.group(1), number
    return None


def read_rule(text: str, file: str) -> RuleMeta | None:
    """Return the rule declared by a policy file, or None if it is not a rule package."""
    package = package_of(text)
    if package is None:
        raise PolicyError("no package declaration", file=file, line=1)
    name, line = package
    if not name.startswith(RULES_PREFIX):
        return None
    block = _blocks(text, file).get(line)
    if block is None:
        raise PolicyError(f"rule package {name} has no METADATA block above its package line "
                          "(id, title, severity, category, remediation are required)",
                          file=file, line=line)
    custom = block.data.get("custom") or {}
    if not isinstance(custom, dict):
        raise PolicyError("METADATA 'custom' must be a mapping", file=file, line=block.line)
    fields = {
        "title": block.data.get("title"),
        "description": block.data.get("description") or "",
        **{k: custom.get(k) for k in ("id", "severity", "category", "remediation")},
        "controls": tuple(custom.get("controls") or ()),
        "alm_rule": custom.get("alm_rule") or "",
        "lineage_evidence": bool(custom.get("lineage_evidence", False)),
        "resource_kinds": tuple(sorted(set(_KIND.findall(text)))),
        "package": name, "file": file, "line": line,
    }
    missing = [k for k in ("id", "title", "severity", "category", "remediation")
               if not fields.get(k)]
    if missing:
        raise PolicyError(f"rule {name} METADATA lacks {', '.join(missing)} "
                          "(id, severity, category, remediation go under 'custom')",
                          file=file, line=block.line)
    try:
        return RuleMeta.model_validate(fields)
    except ValidationError as exc:
        raise PolicyError(f"rule {name} METADATA {first_problem(exc).text}", file=file,
                          line=block.line) from None
