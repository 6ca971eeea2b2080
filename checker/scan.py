"""The one orchestration step: snapshot + policies + engine -> result document."""

from __future__ import annotations

from typing import Any, Iterator

from . import __version__
from .engines.interface import Engine
from .errors import PolicyError
from .metadata import CATEGORIES, RULES_PREFIX, RuleMeta, Severity
from .partition import partition_inputs
from .policyset import PolicySet
from .results import (RESOURCE_KINDS, EngineInfo, Finding, PoliciesInfo, Resource,
                      ResultDocument, SnapshotInfo, Tool, summarize)
from .sources.interface import LoadedSnapshot
from .waivers import WaiverEntry, apply_waivers


def _deny_sets(tree: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Yield (package, deny value) for every rule package in a data.almguard.rules tree."""
    if not isinstance(tree, dict):
        return
    for key in sorted(tree):
        value = tree[key]
        if key == "deny":
            yield RULES_PREFIX + ".".join(path), value
        elif isinstance(value, dict):
            yield from _deny_sets(value, path + (key,))


def _finding(rule: RuleMeta, raw: Any) -> Finding:
    ok = (isinstance(raw, dict) and set(raw) == {"resource", "message"}
          and isinstance(raw["message"], str) and isinstance(raw["resource"], dict)
          and raw["resource"].get("kind") in RESOURCE_KINDS
          and isinstance(raw["resource"].get("id"), str) and len(raw["resource"]) == 2)
    if not ok:
        raise PolicyError(f"rule {rule.id} produced a malformed finding {raw!r}: expected "
                          '{"resource": {"kind": ..., "id": ...}, "message": ...}',
                          file=rule.file, line=rule.line)
    return Finding(rule_id=rule.id, title=rule.title, category=rule.category,
                   severity=rule.severity, resource=Resource(**raw["resource"]),
                   message=raw["message"], remediation=rule.remediation,
                   controls=list(rule.controls))


def collect_findings(outputs: list[Any], policies: PolicySet) -> list[Finding]:
    """Join engine outputs to rule metadata by package path; dedupe; sort."""
    seen: dict[tuple[str, str, str, str], Finding] = {}
    for output in outputs:
        for package, deny in _deny_sets(output):
            rule = policies.rules.get(package)
            if rule is None:
                raise PolicyError(f"package {package} defines deny but has no rule METADATA")
            if not isinstance(deny, list):
                raise PolicyError(f"rule {rule.id}: deny must be a set of findings",
                                  file=rule.file, line=rule.line)
            for raw in deny:
                finding = _finding(rule, raw)
                key = (finding.rule_id, finding.resource.kind, finding.resource.id,
                       finding.message)
                seen.setdefault(key, finding)
    return sorted(seen.values(), key=Finding.sort_key)


def resources(document: dict[str, Any]) -> dict[str, list[str]]:
    """Every resource of the snapshot by kind, with the canonical ids of findings."""
    models = document.get("models") or []
    deployments = document.get("deployments") or []
    return {
        "model": [m["name"] for m in models],
        "model_version": [f"{m['name']}@{v['version']}" for m in models
                          for v in m.get("versions") or ()],
        "dataset": [f"{d['name']}@{d['version']}" for d in document.get("datasets") or ()],
        "deployment": [f"{d['endpoint']}/{d['model']}@{d['version']}" for d in deployments],
        "endpoint": sorted({d["endpoint"] for d in deployments}),
    }


def count_resources(document: dict[str, Any]) -> int:
    return sum(len(ids) for ids in resources(document).values())


def raw_findings(document: dict[str, Any], policies: PolicySet,
                 engine: Engine) -> list[Finding]:
    """Every finding of the rules over a snapshot document (in partitions), no waivers."""
    return collect_findings(engine.evaluate(partition_inputs(document)), policies)


def build_result(snapshot: LoadedSnapshot, findings: list[Finding], policies: PolicySet,
                 engine: Engine, *, fail_on: Severity = "low",
                 waivers: list[WaiverEntry] | None = None,
                 waivers_at: str | None = None) -> ResultDocument:
    """The result document of a snapshot's findings: waivers applied, summary counted.

    Waivers expire against the snapshot's clock, or `waivers_at` when given (a service
    deciding a gate now on a snapshot captured earlier)."""
    registry = snapshot.document["registry"]
    report = None
    if waivers is not None:
        findings, report = apply_waivers(findings, waivers,
                                         waivers_at or registry["captured_at"])
    return ResultDocument(
        tool=Tool(name="almguard", version=__version__),
        engine=EngineInfo(name=engine.name, version=engine.version()),
        snapshot=SnapshotInfo(registry=registry["name"], captured_at=registry["captured_at"],
                              digest=snapshot.digest),
        policies=PoliciesInfo(revision=policies.revision, digest=policies.digest),
        summary=summarize(findings, fail_on=fail_on, rules=len(policies.rules),
                          resources=count_resources(snapshot.document), categories=CATEGORIES),
        findings=findings,
        waivers=report,
    )


def evaluate(snapshot: LoadedSnapshot, policies: PolicySet, engine: Engine, *,
             fail_on: Severity = "low",
             waivers: list[WaiverEntry] | None = None) -> ResultDocument:
    """Evaluate every rule over the snapshot (in partitions) and build the result document."""
    findings = raw_findings(snapshot.document, policies, engine)
    return build_result(snapshot, findings, policies, engine, fail_on=fail_on,
                        waivers=waivers)
