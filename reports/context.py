"""The report's view model: everything the templates show, computed from the result.

Inputs are the result document (findings, summary, digests), the snapshot it was computed
from (the inventory, lineage and lifecycle evidence) and the rule catalog (controls, and the
resource kinds each rule checks). Nothing here evaluates a policy: pass and fail come only
from the result's findings, so the report can never disagree with `almguard scan`. The
templates receive plain typed values and do no computing of their own beyond loops.
The provenance of a composed snapshot (which source said each fact) is shown beside the
facts and in an appendix table; it is display only and changes no mark.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version as package_version
from pathlib import PurePath
from typing import Iterable, Sequence

from markupsafe import Markup

from checker.compliance import Status, check_status, findings_by_rule, rule_checks, worst
from checker.compose import CONFIG_SOURCE, Provenance
from checker.errors import UsageError
from checker.lineage import HEAD_FACTS, LineageFindings, VersionTrace, trace_version
from checker.metadata import CATEGORIES, SEVERITIES, RuleMeta
from checker.results import Finding, ResultDocument, Waiver
from checker.ids import resources
from checker.snapshot import Dataset, Deployment, Model, ModelVersion
from checker.sources.interface import LoadedSnapshot

from .chart import category_chart
from .text import compact_time, number
from .timestamp import rfc3339


RESULT_ATTACHMENT = "almguard-result.json"

# Writes the canonical JSON of a snapshot as almguard digests it (null-valued keys dropped,
# keys sorted, compact separators, UTF-8), for `sha256sum` to hash without almguard. Works
# for JSON snapshots and for YAML whose times are quoted (as snapshot-v1 asks).
DIGEST_SCRIPT = """\
import json, sys, yaml
def clean(v):
    if isinstance(v, dict):
        return {k: clean(x) for k, x in v.items() if x is not None}
    return [clean(x) for x in v] if isinstance(v, list) else v
doc = clean(yaml.safe_load(open(sys.argv[1], encoding="utf-8")))
text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
sys.stdout.buffer.write(text.encode("utf-8"))"""


# ----------------------------------------------------------------------------- summary

@dataclass(frozen=True)
class Count:
    name: str
    count: int


@dataclass(frozen=True)
class CategoryRow:
    """One category of the executive summary: findings and the share of checks passed.

    A check is one rule applied to one resource of a kind the rule inspects (as in the
    JUnit output); it fails when the result holds an unwaived finding for it.
    """

    category: str
    findings: int
    waived: int
    checks: int
    failing: int

    @property
    def rate(self) -> float | None:
        """Percentage of checks without an unwaived finding; None when nothing applied."""
        if self.checks == 0:
            return None
        return 100.0 * (self.checks - self.failing) / self.checks


# ----------------------------------------------------------------------------- controls

@dataclass(frozen=True)
class RuleStatus:
    rule_id: str
    title: str
    severity: str
    category: str
    checked: int
    failing: int
    waived: int

    @property
    def status(self) -> Status:
        return check_status(self.checked, self.failing, self.waived)


@dataclass(frozen=True)
class ControlView:
    control: str
    rules: list[RuleStatus]

    @property
    def status(self) -> Status:
        return worst(r.status for r in self.rules)


@dataclass(frozen=True)
class Framework:
    """A regulatory framework the rules cite: its --frameworks key, the prefix of its control
    references in the rules' metadata, and the heading of its part of the controls view."""

    key: str
    prefix: str
    title: str

    def cites(self, control: str) -> bool:
        return control == self.prefix or control.startswith(self.prefix + " ")


# In the order of the controls view. A control that names none of them is shown under OTHER.
FRAMEWORKS: tuple[Framework, ...] = (
    Framework("eu-ai-act", "EU AI Act", "EU AI Act (Regulation (EU) 2024/1689)"),
    Framework("nist-ai-rmf", "NIST AI RMF", "NIST AI Risk Management Framework (AI RMF 1.0)"),
    Framework("iso-42001", "ISO/IEC 42001", "ISO/IEC 42001:2023, AI management system"),
    Framework("sr-11-7", "SR 11-7",
              "US SR 11-7 (Federal Reserve / OCC), guidance on model risk management"),
    Framework("pra-ss1-23", "PRA SS1/23",
              "UK PRA SS1/23, model risk management principles for banks"),
)
OTHER = Framework("other", "", "Other controls")


@dataclass(frozen=True)
class FrameworkView:
    framework: Framework
    controls: list[ControlView]

    @property
    def status(self) -> Status:
        return worst(c.status for c in self.controls)


def framework_of(control: str) -> Framework:
    return next((f for f in FRAMEWORKS if f.cites(control)), OTHER)


def select_frameworks(chosen: str | Sequence[str] | None) -> tuple[Framework, ...]:
    """The frameworks a report shows: all (and OTHER) when none are chosen, else those named
    by key (`sr-11-7,pra-ss1-23`, or a list of keys) in the order of FRAMEWORKS."""
    if chosen is None:
        return (*FRAMEWORKS, OTHER)
    keys = [k.strip() for k in (chosen.split(",") if isinstance(chosen, str) else chosen)]
    keys = [k for k in keys if k]
    known = ", ".join(f.key for f in (*FRAMEWORKS, OTHER))
    unknown = [k for k in keys if k not in known.split(", ")]
    if unknown:
        raise UsageError(f"--frameworks: unknown framework {unknown[0]!r} (known: {known})")
    if not keys:
        raise UsageError(f"--frameworks: name at least one framework (known: {known})")
    return tuple(f for f in (*FRAMEWORKS, OTHER) if f.key in keys)


# ----------------------------------------------------------------------------- inventory

@dataclass(frozen=True)
class FindingRef:
    rule_id: str
    severity: str
    waived: bool


@dataclass(frozen=True)
class ServingView:
    trace: VersionTrace          # with the provenance of its facts, for a composition
    findings: list[FindingRef]
    head_from: str | None = None  # who said the head line's facts, for a composition


@dataclass(frozen=True)
class SourceRow:
    """One source of a composed snapshot (appendix "Sources"): how many fields it gave,
    alone or with other sources that said the same."""

    name: str
    kind: str
    location: str
    fields: int


@dataclass(frozen=True)
class EndpointView:
    """A production endpoint and the lineage of every version it serves."""

    name: str
    anchor: int                  # position in the inventory, for links (names are free text)
    serving: list[ServingView]
    idle: list[str]              # deployments on the endpoint with 0 % traffic
    missing: list[str]           # endpoint-level gaps ("serves no traffic")

    @property
    def complete(self) -> bool:
        return not self.missing and all(s.trace.complete for s in self.serving)

    @property
    def gaps(self) -> list[str]:
        """Everything missing on this endpoint, each gap named with its version."""
        return self.missing + [f"{s.trace.model}@{s.trace.version}: {gap}"
                               for s in self.serving for gap in s.trace.missing]

    @property
    def traffic(self) -> float:
        return sum(s.trace.traffic_percent for s in self.serving)


# ----------------------------------------------------------------------------- lifecycle

@dataclass(frozen=True)
class Evidence:
    """One recorded fact of the lifecycle, e.g. an evaluation, an approval or a rollout,
    shown as written. Whether it meets a rule is not judged here: the findings of the rules
    of each area are shown beside the facts (VersionRow)."""

    text: str
    ok: bool | None = None       # kept None: facts carry no mark of their own


@dataclass(frozen=True)
class VersionRow:
    version: str
    stage: str
    created_at: str | None
    created_by: str | None
    artifact_digest: str | None
    evaluations: list[Evidence]
    safety: list[Evidence]
    approvals: list[Evidence]
    canary: list[Evidence]
    retirement: list[Evidence]
    findings: list[FindingRef]               # on the version, of the other categories
    marks: dict[str, list[FindingRef]]       # the findings of each area's rules (cell)
    status: str                              # in service / not deployed / retired ...
    serving: bool = False                    # traffic above 0 % on some deployment

    @property
    def in_focus(self) -> bool:
        """Shown in full in the lifecycle chapter: it serves traffic or the result holds a
        finding on it or its deployments. The other versions' facts go to the appendix."""
        return self.serving or bool(self.findings) or any(self.marks.values())


# The lifecycle table's cells and the rule categories whose findings are shown in each.
CELLS: dict[str, tuple[str, ...]] = {
    "evaluations": ("evaluation",), "safety": ("safety",), "approvals": ("approval",),
    "canary": ("rollout",), "retirement": ("retirement", "retention"),
}


@dataclass(frozen=True)
class ModelView:
    name: str
    owner: str | None
    risk_tier: str | None
    type: str | None
    description: str | None
    versions: list[VersionRow]
    findings: list[FindingRef]   # on the model itself (naming, owner, risk tier)

    @property
    def detailed(self) -> list[VersionRow]:
        return [v for v in self.versions if v.in_focus]

    @property
    def others(self) -> list[VersionRow]:
        return [v for v in self.versions if not v.in_focus]


# ----------------------------------------------------------------------------- findings

@dataclass(frozen=True)
class FindingRow:
    kind: str
    resource: str
    message: str
    waived: bool
    waiver: Waiver | None


@dataclass(frozen=True)
class RuleFindings:
    rule_id: str
    title: str
    severity: str
    category: str
    remediation: str
    controls: list[str]
    rows: list[FindingRow]

    @property
    def active(self) -> int:
        return sum(1 for r in self.rows if not r.waived)


# ----------------------------------------------------------------------------- the whole

@dataclass(frozen=True)
class Verification:
    snapshot_file: str
    digest_script: str
    result_sha256: str
    attachment: str
    fail_on: str


@dataclass(frozen=True)
class ReportContext:
    title: str
    description: str
    generator: str
    organization: str | None
    registry: str
    source: str | None
    captured_at: str
    generated_at: str
    tool: str
    engine: str
    policies_revision: str
    policies_digest: str
    snapshot_digest: str
    verdict: str
    fail_on: str
    findings_total: int
    waived_total: int
    rules_evaluated: int
    resources_checked: int
    resource_counts: list[Count]
    severities: list[Count]
    categories: list[CategoryRow]
    chart_svg: Markup
    controls: list[FrameworkView]      # by framework; only the chosen frameworks
    endpoints: list[EndpointView]
    models: list[ModelView]
    findings: list[RuleFindings]
    expired_waivers: list[Waiver]
    unmatched_waivers: list[Waiver]
    catalog: list[RuleMeta]
    verification: Verification
    sources: list[SourceRow] = field(default_factory=list)  # a composition's; else none
    composed_from: str | None = None                        # its compose config

    @property
    def incomplete_endpoints(self) -> int:
        return sum(1 for e in self.endpoints if not e.complete)

    @property
    def other_versions(self) -> int:
        """Versions whose facts the appendix lists (no traffic, no finding)."""
        return sum(len(m.others) for m in self.models)


# ----------------------------------------------------------------------------- building

def weasyprint_version() -> str:
    """Read from the package metadata: importing WeasyPrint costs a second, HTML needs none."""
    try:
        return package_version("weasyprint")
    except PackageNotFoundError:  # pragma: no cover - a dependency of almguard
        return "unknown"


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort 'Art. 9' before 'Art. 10' and 'A.6.2.3' before 'A.6.2.10'."""
    return tuple((0, int(p)) if p.isdigit() else (1, p.lower())
                 for p in re.split(r"(\d+)", text) if p)


def _refs(findings: Iterable[Finding]) -> list[FindingRef]:
    seen: dict[tuple[str, bool], FindingRef] = {}
    for f in findings:
        seen.setdefault((f.rule_id, f.waived), FindingRef(f.rule_id, f.severity, f.waived))
    return sorted(seen.values(), key=lambda r: (SEVERITIES.index(r.severity), r.rule_id))


def _evaluations(version: ModelVersion) -> list[Evidence]:
    out = []
    for e in version.evaluations:
        on = f" on {e.dataset.dataset}@{e.dataset.version}" if e.dataset else ""
        when = _when(e.evaluated_at)
        if e.threshold is None:
            out.append(Evidence(f"{e.metric} {number(e.value)}{on}{when}"))
            continue
        # the direction as recorded; when it is not, the rules take it from policy data
        bar = ("" if "higher_is_better" not in e.model_fields_set
               else ", higher is better" if e.higher_is_better else ", lower is better")
        out.append(Evidence(f"{e.metric} {number(e.value)} (recorded threshold "
                            f"{number(e.threshold)}{bar}){on}{when}"))
    for b in version.bias_assessments:
        out.append(Evidence(f"bias: {b.method}, recorded {'passed' if b.passed else 'failed'}"
                            f"{_when(b.evaluated_at)}"))
    return out


def _when(at: str | None) -> str:
    return f" {compact_time(at)}" if at else ""


def _safety(version: ModelVersion) -> list[Evidence]:
    return [Evidence(f"{s.suite}, recorded {'passed' if s.passed else 'failed'}"
                     f"{_when(s.evaluated_at)}") for s in version.safety_evaluations]


def _approvals(version: ModelVersion) -> list[Evidence]:
    return [Evidence(f"{a.stage}: {a.approved_by} {compact_time(a.approved_at)}")
            for a in version.approvals]


def _canary(deployments: Sequence[Deployment]) -> list[Evidence]:
    """The rollout history per endpoint, as recorded."""
    out = []
    for d in deployments:
        where = d.endpoint if d.environment == "production" else f"{d.endpoint} " \
            f"({d.environment})"
        now = number(d.traffic_percent)
        if not d.rollout:
            out.append(Evidence(f"{where}: {now} %, no rollout history"))
            continue
        steps = " → ".join(f"{number(s.traffic_percent)} % {compact_time(s.at)}"
                           for s in d.rollout)
        if d.rollout[-1].traffic_percent != d.traffic_percent:
            steps += f", now {now} %"
        out.append(Evidence(f"{where}: {steps}"))
    return out


def _retirement(version: ModelVersion) -> list[Evidence]:
    r = version.retirement
    if r is None:
        return []
    reason = f": {r.reason}" if r.reason else ""
    out = [Evidence(f"retired {compact_time(r.retired_at)}{reason}")]
    out.append(Evidence(f"record {r.record_uri}") if r.record_uri
               else Evidence("no retirement record URI"))
    if r.retention_until:
        out.append(Evidence(f"retain until {compact_time(r.retention_until)}"))
    if r.artifacts_deleted_at:
        out.append(Evidence(f"artifacts deleted {compact_time(r.artifacts_deleted_at)}"))
    for cert in r.data_deletion_certificates:
        sets = ", ".join(f"{d.dataset}@{d.version}" for d in cert.datasets)
        out.append(Evidence(f"deletion certificate {cert.id}" + (f" ({sets})" if sets else "")))
    return out


def _status(version: ModelVersion, deployments: Sequence[Deployment]) -> str:
    """Where the version stands, from the facts: serving, retired, or neither."""
    serving = [d for d in deployments if d.traffic_percent > 0]
    if serving:
        return "in service on " + ", ".join(f"{d.endpoint} ({number(d.traffic_percent)} %)"
                                            for d in serving)
    if version.retirement is not None:
        return "retired"
    if deployments:
        return "deployed with no traffic"
    return "archived, not deployed" if version.stage == "archived" else "not deployed"


class _Index:
    """Lookups shared by the sections, built once (a 1,000-version registry stays linear)."""

    def __init__(self, result: ResultDocument, snapshot: LoadedSnapshot,
                 rules: Sequence[RuleMeta], provenance: Provenance | None = None) -> None:
        self.model = snapshot.model
        self.provenance = provenance
        self.by_resource: dict[tuple[str, str], list[Finding]] = {}
        for f in result.findings:
            self.by_resource.setdefault((f.resource.kind, f.resource.id), []).append(f)
        self.by_rule = findings_by_rule(result.findings)
        self.models: dict[str, Model] = {m.name: m for m in self.model.models}
        self.datasets: dict[str, Dataset] = {f"{d.name}@{d.version}": d
                                             for d in self.model.datasets}
        self.deployments_of: dict[tuple[str, str], list[Deployment]] = {}
        for d in self.model.deployments:
            self.deployments_of.setdefault((d.model, d.version), []).append(d)
        self.checked = resources(snapshot.document)
        self.lineage = LineageFindings(result.findings, rules)

    def findings_on(self, *keys: tuple[str, str]) -> list[Finding]:
        return [f for key in keys for f in self.by_resource.get(key, ())]


def _rule_status(rule: RuleMeta, index: _Index) -> RuleStatus:
    checks, failing, waived = rule_checks(rule, index.by_rule.get(rule.id, {}), index.checked)
    return RuleStatus(rule.id, rule.title, rule.severity, rule.category, checks, failing,
                      waived)


def _categories(result: ResultDocument, statuses: Sequence[RuleStatus]) -> list[CategoryRow]:
    rows = []
    for category in CATEGORIES:
        mine = [s for s in statuses if s.category == category]
        waived = sum(1 for f in result.findings if f.category == category and f.waived)
        rows.append(CategoryRow(category, result.summary.by_category.get(category, 0), waived,
                                sum(s.checked for s in mine), sum(s.failing for s in mine)))
    return rows


def _controls(rules: Sequence[RuleMeta], statuses: dict[str, RuleStatus],
              frameworks: Sequence[Framework]) -> list[FrameworkView]:
    by_control: dict[str, list[RuleStatus]] = {}
    for rule in rules:
        for control in rule.controls:
            by_control.setdefault(control, []).append(statuses[rule.id])
    views: list[FrameworkView] = []
    for framework in frameworks:
        cited = [c for c in by_control if framework_of(c) == framework]
        if cited:
            views.append(FrameworkView(framework, [
                ControlView(c, sorted(by_control[c], key=lambda r: _natural(r.rule_id)))
                for c in sorted(cited, key=_natural)]))
    return views


def _endpoints(index: _Index) -> list[EndpointView]:
    on: dict[str, list[Deployment]] = {}
    for d in index.model.deployments:
        on.setdefault(d.endpoint, []).append(d)
    production = sorted(e for e, ds in on.items()
                        if any(d.environment == "production" for d in ds))
    views: list[EndpointView] = []
    for endpoint in production:
        serving = []
        for d in on[endpoint]:
            if d.traffic_percent <= 0:
                continue
            trace = trace_version(d, index.models, index.datasets, index.lineage,
                                  index.provenance)
            related = index.findings_on(("deployment", trace.deployment),
                                        ("endpoint", endpoint),
                                        ("model_version", f"{d.model}@{d.version}"))
            serving.append(ServingView(trace, _refs(related), trace.sources_line(
                HEAD_FACTS + (("artifact", "model_version", "artifact.digest"),))))
        idle = [f"{d.endpoint}/{d.model}@{d.version}" for d in on[endpoint]
                if d.traffic_percent <= 0]
        views.append(EndpointView(endpoint, len(views) + 1, serving, idle,
                                  [] if serving else ["the endpoint serves no traffic"]))
    return views


def _models(index: _Index) -> list[ModelView]:
    views = []
    for model in index.model.models:
        rows = []
        for v in model.versions:
            deployed = index.deployments_of.get((model.name, v.version), [])
            about = index.findings_on(("model_version", f"{model.name}@{v.version}"), *[
                ("deployment", f"{d.endpoint}/{d.model}@{d.version}") for d in deployed])
            shown = {c for cats in CELLS.values() for c in cats}
            rows.append(VersionRow(
                version=v.version, stage=v.stage, created_at=v.created_at,
                created_by=v.created_by,
                artifact_digest=v.artifact.digest if v.artifact else None,
                evaluations=_evaluations(v), safety=_safety(v), approvals=_approvals(v),
                canary=_canary(deployed), retirement=_retirement(v),
                findings=_refs(f for f in about if f.category not in shown),
                marks={cell: _refs(f for f in about if f.category in cats)
                       for cell, cats in CELLS.items()},
                status=_status(v, deployed),
                serving=any(d.traffic_percent > 0 for d in deployed)))
        views.append(ModelView(model.name, model.owner, model.risk_tier, model.type,
                               model.description, rows,
                               _refs(index.findings_on(("model", model.name)))))
    return views


def _findings(result: ResultDocument) -> list[RuleFindings]:
    groups: dict[str, list[Finding]] = {}
    for f in result.findings:          # already sorted by severity, rule, resource
        groups.setdefault(f.rule_id, []).append(f)
    out = []
    for rule_id, found in groups.items():
        first = found[0]
        out.append(RuleFindings(
            rule_id, first.title, first.severity, first.category, first.remediation,
            list(first.controls),
            [FindingRow(f.resource.kind, f.resource.id, f.message, f.waived, f.waiver)
             for f in found]))
    return out


def _sources(provenance: Provenance) -> list[SourceRow]:
    """The config (it names the registry) and each source, with the fields it gave."""
    given = provenance.fields_by()
    config = sum(CONFIG_SOURCE in sources for fields in provenance.resources.values()
                 for sources in fields.values())
    return ([SourceRow(CONFIG_SOURCE, "config", provenance.config, config)]
            + [SourceRow(s.name, s.kind, s.origin, given[s.name]) for s in provenance.sources])


def build_context(result: ResultDocument, snapshot: LoadedSnapshot,
                  rules: Sequence[RuleMeta], *, generated_at: datetime,
                  frameworks: str | Sequence[str] | None = None,
                  provenance: Provenance | None = None) -> ReportContext:
    """The whole view model of one report. The inventory's "lineage missing" and every
    mark are the findings of the result: the report cannot disagree with a scan.
    `frameworks` (keys of FRAMEWORKS, a list or comma-separated) limits the controls view to
    those frameworks; by default it shows every framework the rules cite. `provenance` (of a
    composed snapshot, whose digest it must record) names each inventory fact's source."""
    shown = select_frameworks(frameworks)
    if provenance is not None and provenance.snapshot != snapshot.digest:
        raise UsageError(f"the provenance records snapshot {provenance.snapshot}, but the "
                         f"snapshot has digest {snapshot.digest}: not its provenance")
    index = _Index(result, snapshot, rules, provenance)
    registry = index.model.registry
    catalog = sorted(rules, key=lambda r: (CATEGORIES.index(r.category), _natural(r.id)))
    statuses = {r.id: _rule_status(r, index) for r in catalog}
    categories = _categories(result, list(statuses.values()))
    s = result.summary
    tool = f"{result.tool.name} {result.tool.version}"
    weasy = weasyprint_version()
    result_json = result.to_json().encode("utf-8")
    origin = snapshot.origin   # "<stdin>" for standard input
    snapshot_file = "SNAPSHOT" if origin.startswith("<") else shlex.quote(PurePath(origin).name)
    return ReportContext(
        title=f"ALM compliance report: {registry.name}",
        description=(f"Policy compliance of the model registry {registry.name} as captured "
                     f"at {registry.captured_at}: verdict {s.verdict}, {s.findings} findings"
                     f", {s.waived} waived, {s.rules_evaluated} rules over "
                     f"{s.resources_checked} resources."),
        generator=f"{tool} (WeasyPrint {weasy})",
        organization=registry.organization, registry=registry.name, source=registry.source,
        captured_at=registry.captured_at, generated_at=rfc3339(generated_at), tool=tool,
        engine=f"{result.engine.name} {result.engine.version}",
        policies_revision=result.policies.revision, policies_digest=result.policies.digest,
        snapshot_digest=result.snapshot.digest, verdict=s.verdict, fail_on=s.fail_on,
        findings_total=s.findings, waived_total=s.waived, rules_evaluated=s.rules_evaluated,
        resources_checked=s.resources_checked,
        resource_counts=[Count(k, len(v)) for k, v in index.checked.items()],
        severities=[Count(k, s.by_severity.get(k, 0)) for k in SEVERITIES],
        categories=categories, chart_svg=category_chart(categories),
        controls=_controls(catalog, statuses, shown),
        endpoints=_endpoints(index),
        models=_models(index),
        findings=_findings(result),
        expired_waivers=list(result.waivers.expired) if result.waivers else [],
        unmatched_waivers=list(result.waivers.unmatched) if result.waivers else [],
        catalog=catalog,
        verification=Verification(
            snapshot_file=snapshot_file, digest_script=DIGEST_SCRIPT,
            result_sha256=hashlib.sha256(result_json).hexdigest(),
            attachment=RESULT_ATTACHMENT, fail_on=s.fail_on),
        sources=_sources(provenance) if provenance else [],
        composed_from=provenance.config if provenance else None,
    )
