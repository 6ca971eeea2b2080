"""OSCAL assessment-results (JSON) for GRC tools: one result per scan.

What goes where (docs/oscal.md has the full mapping):

* the registry's resources are inventory items of the result, the subjects of observations;
* every finding of the decision is an observation (method TEST, type finding) about its
  resource, and a risk: `open` with the rule's remediation, or `deviation-approved` with the
  waiver in its risk log and the waiver's expiry as its deadline;
* every rule without a finding is one observation saying so, with the resources it checked;
* every control a rule cites (rule METADATA `controls`) is a finding whose target is that
  control, related to the observations and risks of the rules that cite it: `satisfied`
  when those rules have no finding, `not-satisfied` otherwise (reason `fail` for an unwaived
  finding, `other` when every finding is waived); rules that cite no control get a finding
  of their own;
* the verdict, `fail_on`, the counts and a gate's decision are the decision's, as props.

Nothing here judges: states are the decision's findings grouped by control, as in the
report's controls view. UUIDs are version-5, derived from stable ids — resources from the
registry and their id, everything else from the result document — and every time is the
snapshot's captured_at (in UTC), so the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC
from typing import Any, Sequence

import orjson

from .. import __version__
from ..compliance import check_status, findings_by_rule, rule_checks, worst
from ..ids import resources
from ..metadata import RuleMeta
from ..results import RESOURCE_KINDS, Finding, ResultDocument
from ..times import parse_time
from .interface import Formatter, RenderContext
from ..ids import model_version_id

# What the document declares. It uses only what OSCAL 1.1.x has; the tests parse it with
# compliance-trestle 5.2's models, which are OSCAL 1.2.1 (1.x minors are backward compatible).
OSCAL_VERSION = "1.1.3"
NS = "https://almguard.dev/ns/oscal"
ROOT = uuid.uuid5(uuid.NAMESPACE_URL, NS)
KIND_LABEL = {"model": "model", "model_version": "model version", "dataset": "dataset",
              "deployment": "deployment", "endpoint": "endpoint"}
_WORD = re.compile(r"[^\W_]+(?:\.[^\W_]+)*")


def control_token(citation: str) -> str:
    """An OSCAL token for a control citation: its words in lower case joined by '-' (dots
    inside a clause number kept): 'ISO/IEC 42001 A.6.2.3' -> 'iso-iec-42001-a.6.2.3'."""
    token = "-".join(_WORD.findall(citation.lower())) or "control"
    return token if token[0].isalpha() else "_" + token


def _line(text: str) -> str:
    """One line without outer blanks (OSCAL titles and prop values)."""
    return " ".join(text.split()) or "-"


def _utc(value: str) -> str:
    """An RFC 3339 time in UTC with Z, fraction digits as written; as written when it has
    no UTC form within year 9999."""
    if value.endswith("Z"):
        return value
    try:
        moment = parse_time(value).astimezone(UTC)
    except (ValueError, OverflowError):
        return value
    match = re.search(r"\.([0-9]+)", value)
    fraction = f".{match.group(1)}" if match else ""
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}{fraction}Z")


def _prop(name: str, value: object) -> dict[str, str]:
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return {"name": name, "ns": NS, "value": _line(text)}


def _props(*pairs: tuple[str, object]) -> list[dict[str, str]]:
    return [_prop(n, v) for n, v in pairs if v is not None and str(v).strip()]


def _finding_key(f: Finding) -> str:
    return f"{f.rule_id}|{f.resource.kind}|{f.resource.id}|{f.message}"


def _content_digest(result: ResultDocument) -> str:
    """SHA-256 of the result without its engine block: the ids of one assessment are the
    same whichever engine evaluated it."""
    body = result.model_dump(mode="json", exclude_none=True, exclude={"engine"})
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Ids:
    def __init__(self, result: ResultDocument) -> None:
        self.registry = uuid.uuid5(ROOT, f"registry|{result.snapshot.registry}")
        self.run = uuid.uuid5(ROOT, f"result|{_content_digest(result)}")

    def resource(self, kind: str, ident: str) -> str:
        return str(uuid.uuid5(self.registry, f"{kind}|{ident}"))

    def of(self, *parts: str) -> str:
        return str(uuid.uuid5(self.run, "|".join(parts)))


def _status(counts: Sequence[tuple[int, int, int]]) -> str:
    """fail, waived, pass or n/a of the rules behind one control (the report's marks), from
    their (checks, failing, waived)."""
    return worst(check_status(*c) for c in counts)


_STATE = {"fail": ("not-satisfied", "fail"), "waived": ("not-satisfied", "other"),
          "pass": ("satisfied", "pass"), "n/a": ("satisfied", "other")}
_STATE_TEXT = {
    "fail": "Not satisfied: the rules have unwaived findings.",
    "waived": "Not satisfied: every finding of the rules is waived (accepted deviations, see "
              "the related risks).",
    "pass": "Satisfied: the rules have no finding.",
    "n/a": "Satisfied: nothing to check; the snapshot has no resource of the kinds the rules "
           "check.",
}


def _catalog(result: ResultDocument, ctx: RenderContext) -> list[RuleMeta]:
    """The rules that ran, by id; a finding of a rule the context does not know (a result
    read back without its policies) gets the metadata the finding carries."""
    rules = {r.id: r for r in ctx.rules}
    for f in result.findings:
        if f.rule_id not in rules:
            rules[f.rule_id] = RuleMeta(
                id=f.rule_id, title=f.title, severity=f.severity, category=f.category,
                remediation=f.remediation, controls=tuple(f.controls),
                resource_kinds=(f.resource.kind,), package="", file="", line=0)
    return [rules[k] for k in sorted(rules)]


def assessment_results(result: ResultDocument, ctx: RenderContext) -> dict[str, Any]:
    """The OSCAL assessment-results document (as JSON data) of one result."""
    ids = _Ids(result)
    snap, pol, summary = result.snapshot, result.policies, result.summary
    captured = _utc(snap.captured_at)
    rules = _catalog(result, ctx)
    found = findings_by_rule(result.findings)
    checked: dict[str, list[str]] = (resources(ctx.snapshot.document) if ctx.snapshot
                                     else {k: [] for k in RESOURCE_KINDS})
    counts = {r.id: rule_checks(r, found.get(r.id, {}), checked) for r in rules}

    # back-matter: the policy set (the assessment plan) and the snapshot (the evidence)
    policies_ref = str(uuid.uuid5(ROOT, f"policies|{pol.digest}"))
    snapshot_ref = str(uuid.uuid5(ROOT, f"snapshot|{snap.digest}"))
    back_matter = {"resources": [
        {"uuid": policies_ref, "title": f"almguard policy set {pol.revision}",
         "description": "The Rego rules and policy data that were evaluated: the assessment "
                        "plan of these results.",
         "props": _props(("policies-revision", pol.revision), ("policies-digest", pol.digest))},
        {"uuid": snapshot_ref, "title": f"Registry snapshot {snap.registry}",
         "description": f"The registry snapshot evaluated, captured at {snap.captured_at}; "
                        "its digest is the SHA-256 of its canonical JSON.",
         "props": _props(("registry", snap.registry), ("captured-at", snap.captured_at),
                         ("snapshot-digest", snap.digest))},
    ]}
    evidence = [{"href": f"#{snapshot_ref}",
                 "description": f"Registry snapshot {snap.registry} captured at "
                                f"{snap.captured_at} ({snap.digest})"}]
    tool = str(uuid.uuid5(ROOT, "component|almguard"))
    origins = [{"actors": [{"type": "tool", "actor-uuid": tool}]}]

    # subjects: every resource of the registry, and any a finding names that it lacks
    subjects: dict[tuple[str, str], str] = {}
    for kind in RESOURCE_KINDS:
        for ident in sorted(set(checked.get(kind, ()))):
            subjects[(kind, ident)] = ids.resource(kind, ident)
    listed = set(subjects)
    for f in result.findings:
        subjects.setdefault((f.resource.kind, f.resource.id),
                            ids.resource(f.resource.kind, f.resource.id))
    inventory = [
        {"uuid": ref, "description": f"{KIND_LABEL.get(kind, kind)} {ident}",
         "props": _props(("resource-kind", kind), ("resource-id", ident),
                         ("recorded", None if (kind, ident) in listed else False))}
        for (kind, ident), ref in sorted(subjects.items(),
                                         key=lambda kv: (RESOURCE_KINDS.index(kv[0][0]),
                                                         kv[0][1]))]

    observations: list[dict[str, Any]] = []
    risks: list[dict[str, Any]] = []
    rule_observations: dict[str, list[str]] = {}
    rule_risks: dict[str, list[str]] = {}
    by_id = {r.id: r for r in rules}
    for f in result.findings:
        key = _finding_key(f)
        obs, risk = ids.of("observation", key), ids.of("risk", key)
        rule_observations.setdefault(f.rule_id, []).append(obs)
        rule_risks.setdefault(f.rule_id, []).append(risk)
        where = f"{KIND_LABEL.get(f.resource.kind, f.resource.kind)} {f.resource.id}"
        observations.append({
            "uuid": obs, "title": _line(f"{f.rule_id} {f.title}: {where}"),
            "description": f.message or f.title,
            "props": _props(("rule-id", f.rule_id), ("severity", f.severity),
                            ("category", f.category), ("waived", f.waived),
                            ("blocking", f.blocking)),
            "methods": ["TEST"], "types": ["finding"], "origins": origins,
            "subjects": [{"subject-uuid": subjects[(f.resource.kind, f.resource.id)],
                          "type": "inventory-item", "title": _line(where)}],
            "relevant-evidence": evidence, "collected": captured})
        risks.append(_risk(f, risk, obs, where, by_id[f.rule_id], ids, origins))
    for rule in rules:
        if rule.id in found:
            continue
        checks = counts[rule.id][0]
        kinds = ", ".join(KIND_LABEL.get(k, k) for k in rule.resource_kinds) or "none"
        obs = ids.of("observation", rule.id)
        rule_observations[rule.id] = [obs]
        observations.append({
            "uuid": obs, "title": _line(f"{rule.id} {rule.title}: no finding"),
            "description": f"{rule.title}: no finding over the {checks} resources the rule "
                           f"checks (kinds: {kinds}).",
            "props": _props(("rule-id", rule.id), ("severity", rule.severity),
                            ("category", rule.category), ("resources-checked", checks)),
            "methods": ["TEST"], "origins": origins, "relevant-evidence": evidence,
            "collected": captured})

    # findings: one per control the rules cite, one per rule that cites none
    citing: dict[str, list[RuleMeta]] = {}
    for rule in rules:
        for control in dict.fromkeys(rule.controls):
            citing.setdefault(control, []).append(rule)
    tokens: dict[str, str] = {}
    for control in sorted(citing):
        token, n = control_token(control), 2
        while token in tokens.values():
            token, n = f"{control_token(control)}-{n}", n + 1
        tokens[control] = token
    targets = [(tokens[c], c, f"Control {c}", citing[c]) for c in sorted(citing)]
    targets += [(r.id, f"Rule {r.id}", f"Rule {r.id} (cites no control)", [r])
                for r in rules if not r.controls]
    findings = []
    for token, name, title, behind in targets:
        status = _status([counts[r.id] for r in behind])
        state, reason = _STATE[status]
        listing = ", ".join(f"{r.id} ({_status([counts[r.id]])})" for r in behind)
        related_obs = [o for r in behind for o in rule_observations.get(r.id, ())]
        related_risks = [k for r in behind for k in rule_risks.get(r.id, ())]
        entry: dict[str, Any] = {
            "uuid": ids.of("finding", token), "title": _line(name),
            "description": f"{name}: evidenced by the rules {listing}.",
            "props": _props(("status", status), *(("rule-id", r.id) for r in behind)),
            "origins": origins,
            "target": {"type": "objective-id", "target-id": token, "title": _line(title),
                       "description": _STATE_TEXT[status],
                       "status": {"state": state, "reason": reason}},
            "related-observations": [{"observation-uuid": o} for o in related_obs]}
        if related_risks:
            entry["related-risks"] = [{"risk-uuid": k} for k in related_risks]
        findings.append(entry)

    control_ids = [{"control-id": tokens[c]} for c in sorted(citing)]
    selection: dict[str, Any] = (
        {"include-controls": control_ids} if control_ids
        else {"description": "The rules cite no controls.", "include-all": {}})
    reviewed = {"description": "The controls the rules cite (rule METADATA controls), each "
                               "as a token of its citation: lower case, words joined by '-'. "
                               "Each finding's target title gives the citation as written.",
                "control-selections": [selection]}

    gate = result.gate
    if gate is not None:
        p = gate.proposal
        title = (f"almguard gate: {model_version_id(p.model, p.version)} to {p.endpoint} at "
                 f"{p.traffic_percent:g} % ({gate.decision})")
    else:
        title = f"almguard scan of {snap.registry} captured at {snap.captured_at}"
    description = (f"Every rule of the policy set {pol.revision} evaluated over the registry "
                   f"snapshot {snap.registry} ({snap.digest}): verdict {summary.verdict} "
                   f"(fail_on {summary.fail_on}), {summary.findings} findings, "
                   f"{summary.waived} waived.")
    if gate is not None:
        description += f" Gate decision: {gate.decision}."
    result_props = _props(
        ("verdict", summary.verdict), ("fail-on", summary.fail_on),
        ("findings", summary.findings), ("waived", summary.waived),
        ("rules-evaluated", summary.rules_evaluated),
        ("resources-checked", summary.resources_checked),
        ("snapshot-digest", snap.digest), ("policies-digest", pol.digest),
        *(() if gate is None else (
            ("gate-decision", gate.decision), ("gate-model", gate.proposal.model),
            ("gate-version", gate.proposal.version), ("gate-endpoint", gate.proposal.endpoint),
            ("gate-environment", gate.proposal.environment),
            ("gate-traffic-percent", f"{gate.proposal.traffic_percent:g}"),
            ("gate-at", gate.proposal.at))))
    local: dict[str, Any] = {
        "assessment-assets": {
            "components": [{
                "uuid": tool, "type": "software", "title": "almguard",
                "description": f"almguard {result.tool.version}: policy-as-code compliance "
                               "for the ML model lifecycle.",
                "props": _props(("tool-version", result.tool.version),
                                ("engine", f"{result.engine.name} {result.engine.version}")),
                "status": {"state": "operational"}}],
            "assessment-platforms": [{
                "uuid": str(uuid.uuid5(ROOT, "platform|almguard")), "title": "almguard",
                "uses-components": [{"component-uuid": tool}]}]}}
    if inventory:
        local = {"inventory-items": inventory, **local}
    entry_result: dict[str, Any] = {
        "uuid": ids.of("result"), "title": _line(title), "description": description,
        "start": captured, "end": captured, "props": result_props,
        "local-definitions": local, "reviewed-controls": reviewed}
    if observations:
        entry_result["observations"] = observations
    if risks:
        entry_result["risks"] = risks
    if findings:
        entry_result["findings"] = findings

    organization = (ctx.snapshot.document["registry"].get("organization")
                    if ctx.snapshot is not None else None)
    metadata: dict[str, Any] = {
        "title": _line(f"almguard assessment results: {snap.registry}"),
        "last-modified": captured, "version": pol.revision, "oscal-version": OSCAL_VERSION,
        "props": _props(("tool", f"almguard {__version__}"),
                        ("engine", f"{result.engine.name} {result.engine.version}"),
                        ("registry", snap.registry))}
    if organization:
        metadata["parties"] = [{"uuid": str(uuid.uuid5(ids.registry, "organization")),
                                "type": "organization", "name": _line(organization)}]
    document = {"assessment-results": {
        "uuid": ids.of("assessment-results"), "metadata": metadata,
        "import-ap": {"href": f"#{policies_ref}",
                      "remarks": "almguard has no separate assessment plan: the plan is the "
                                 "policy set named in back-matter (revision and digest)."},
        "results": [entry_result], "back-matter": back_matter}}
    return document


def _risk(f: Finding, ref: str, obs: str, where: str, rule: RuleMeta, ids: _Ids,
          origins: list[dict[str, Any]]) -> dict[str, Any]:
    key = _finding_key(f)
    controls = "; ".join(rule.controls) or "none"
    risk: dict[str, Any] = {
        "uuid": ref, "title": _line(f"{f.rule_id} {f.title}: {where}"),
        "description": f.message or f.title,
        "statement": f"{rule.title} does not hold for {where} (severity {f.severity}, "
                     f"category {f.category}; controls: {controls}).",
        "props": _props(("rule-id", f.rule_id), ("severity", f.severity),
                        ("waived", f.waived)),
        "status": "deviation-approved" if f.waived else "open",
        "origins": origins,
        "remediations": [{"uuid": ids.of("remediation", key), "lifecycle": "recommendation",
                          "title": _line(f"Remediate {f.rule_id}"),
                          "description": f.remediation or rule.remediation}],
        "related-observations": [{"observation-uuid": obs}]}
    if f.waived and f.waiver is not None:
        w = f.waiver
        risk["deadline"] = _utc(w.expires_at)
        risk["risk-log"] = {"entries": [{
            "uuid": ids.of("waiver", key), "title": "Waiver approved",
            "description": f"{w.justification} (approved by {w.approved_by}; waiver for "
                           f"{w.rule_id} on {w.resource})",
            "start": _utc(w.approved_at), "end": _utc(w.expires_at),
            "props": _props(("approved-by", w.approved_by), ("waiver-resource", w.resource)),
            "status-change": "deviation-approved"}]}
    return risk


class OscalFormat(Formatter):
    name = "oscal"

    def render(self, result: ResultDocument, ctx: RenderContext) -> str:
        # orjson writes what json.dumps(indent=2, ensure_ascii=False) does (every value here
        # is a string), several times faster on a large registry
        return orjson.dumps(assessment_results(result, ctx),
                            option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
