"""SARIF 2.1.0 for code scanning (GitHub, Azure DevOps, the SARIF viewers).

One SARIF rule per policy rule, with its metadata; results located in the snapshot file
(with the line of the resource when the snapshot is a YAML or JSON file) and as a logical
location (the resource); stable fingerprints from rule id and resource; waived findings
carry an accepted external suppression with the waiver's justification.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .. import __version__
from ..locate import resource_lines, workspace_path
from ..metadata import RuleMeta
from ..results import Finding, ResultDocument
from .interface import Formatter, RenderContext

LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning sorts and labels by this (0.1-10; >=9 critical, >=7 high, >=4 medium).
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
INFORMATION_URI = "https://pypi.org/project/almguard/"
# How a gate's output labels findings that do not decide it.
UNRELATED = "waived, or unrelated registry debt: not about the proposed deployment"


def artifact_uri(origin: str) -> str:
    """A relative URI under the working directory, else an absolute file: URI."""
    path = workspace_path(origin)
    return Path(path).as_uri() if Path(path).is_absolute() else path


def fingerprint(finding: Finding) -> str:
    key = f"{finding.rule_id}|{finding.resource.kind}|{finding.resource.id}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _rule(rule: RuleMeta) -> dict[str, Any]:
    controls = list(rule.controls)
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.package.split(".")[-1].split("_")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description or rule.title},
        "help": {"text": rule.remediation,
                 "markdown": f"**Remediation:** {rule.remediation}" + (
                     "\n\n**Controls:** " + "; ".join(controls) if controls else "")},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"category": rule.category, "severity": rule.severity,
                       "controls": controls, "security-severity":
                       SECURITY_SEVERITY[rule.severity],
                       "tags": ["compliance", "mlops", rule.category]},
    }


class SarifFormat(Formatter):
    name = "sarif"
    reads_text = True

    def render(self, result: ResultDocument, ctx: RenderContext) -> str:
        rules = [_rule(r) for r in sorted(ctx.rules, key=lambda r: r.id)]
        known = {r["id"] for r in rules}
        rules += [{"id": i} for i in sorted({f.rule_id for f in result.findings} - known)]
        index = {r["id"]: i for i, r in enumerate(rules)}
        lines = resource_lines(ctx.snapshot) if ctx.snapshot else {}
        uri = artifact_uri(ctx.snapshot.origin) if ctx.snapshot and \
            ctx.snapshot.text is not None and not ctx.snapshot.origin.startswith("<") else None
        results = []
        for finding in result.findings:
            location: dict[str, Any] = {"logicalLocations": [{
                "name": finding.resource.id, "kind": finding.resource.kind,
                "fullyQualifiedName": f"{finding.resource.kind}:{finding.resource.id}"}]}
            if uri:
                physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
                line = lines.get((finding.resource.kind, finding.resource.id))
                if line:
                    physical["region"] = {"startLine": line}
                location["physicalLocation"] = physical
            level, text = LEVEL[finding.severity], f"{finding.message}. {finding.remediation}"
            if result.gate is not None and not finding.blocking:   # a gate's non-blocking finding
                level = "note"
                text = f"Does not block this deployment ({UNRELATED}). {text}"
            entry: dict[str, Any] = {
                "ruleId": finding.rule_id,
                "ruleIndex": index[finding.rule_id],
                "level": level,
                "message": {"text": text},
                "locations": [location],
                "partialFingerprints": {"almguardFinding/v1": fingerprint(finding)},
                "properties": {"resource": finding.resource.model_dump(),
                               "category": finding.category, "severity": finding.severity,
                               **({} if finding.blocking is None
                                  else {"blocking": finding.blocking})},
            }
            if finding.waived and finding.waiver is not None:
                entry["suppressions"] = [{
                    "kind": "external", "status": "accepted",
                    "justification": f"{finding.waiver.justification} (approved by "
                                     f"{finding.waiver.approved_by} at "
                                     f"{finding.waiver.approved_at}, expires "
                                     f"{finding.waiver.expires_at})"}]
            results.append(entry)
        run: dict[str, Any] = {
            "tool": {"driver": {"name": "almguard", "version": __version__,
                                "semanticVersion": __version__,
                                "informationUri": INFORMATION_URI, "rules": rules}},
            "automationDetails": {"id": f"almguard/{result.snapshot.registry}/"},
            "results": results,
            "properties": {"snapshot": result.snapshot.model_dump(),
                           "policies": result.policies.model_dump(),
                           "engine": result.engine.model_dump(),
                           "verdict": result.summary.verdict,
                           **({"decision": result.gate.decision} if result.gate else {})},
        }
        if uri:
            run["artifacts"] = [{"location": {"uri": uri}}]
        log = {"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0",
               "runs": [run]}
        return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
