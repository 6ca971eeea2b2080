"""JUnit XML (the Jenkins/Surefire shape most CI dashboards read).

One test suite per category, one test case per rule and resource it checked (every resource
of the kinds the rule reports on), a failure for each finding, and waived findings as
skipped with their waiver. No timestamps: the same result gives the same XML.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ..metadata import CATEGORIES
from ..results import Finding, ResultDocument
from ..ids import resources
from .interface import Formatter, RenderContext


class JunitFormat(Formatter):
    name = "junit"

    def render(self, result: ResultDocument, ctx: RenderContext) -> str:
        by_rule: dict[str, dict[tuple[str, str], list[Finding]]] = {}
        for finding in result.findings:
            key = (finding.resource.kind, finding.resource.id)
            by_rule.setdefault(finding.rule_id, {}).setdefault(key, []).append(finding)
        checked = resources(ctx.snapshot.document) if ctx.snapshot else {}
        # junit-10.xsd (Jenkins xunit) allows tests, failures, errors and time on
        # testsuites, but no skipped: skipped cases are counted on each testsuite only.
        root = ET.Element("testsuites", name="almguard", tests="0", failures="0", errors="0",
                          time="0")
        totals = {"tests": 0, "failures": 0, "skipped": 0}
        rules = sorted(ctx.rules, key=lambda r: (CATEGORIES.index(r.category), r.id))
        for category in CATEGORIES:
            suite = ET.SubElement(root, "testsuite", name=f"almguard.{category}", errors="0",
                                  time="0")
            counts = {"tests": 0, "failures": 0, "skipped": 0}
            for rule in (r for r in rules if r.category == category):
                found = by_rule.get(rule.id, {})
                subjects = {(k, i) for k in rule.resource_kinds for i in checked.get(k, ())}
                subjects |= set(found)
                for kind, ident in sorted(subjects):
                    case = ET.SubElement(suite, "testcase",
                                         classname=f"almguard.{category}.{rule.id}",
                                         name=f"{rule.id} {kind} {ident}", time="0")
                    counts["tests"] += 1
                    findings = found.get((kind, ident), [])
                    active = [f for f in findings if not f.waived]
                    unrelated = [f for f in active if result.gate is not None and not f.blocking]
                    if unrelated and len(unrelated) == len(active):
                        # a gate's finding that does not decide it: reported, not failed
                        counts["skipped"] += 1
                        ET.SubElement(case, "skipped", message=(
                            "not blocking this deployment (unrelated registry debt): "
                            + "; ".join(f.message for f in unrelated)))
                    elif active:
                        counts["failures"] += 1
                        blocking = [f for f in active if f not in unrelated]
                        failure = ET.SubElement(case, "failure", type=rule.severity,
                                                message="; ".join(f.message for f in blocking))
                        failure.text = f"{rule.title}\nRemediation: {rule.remediation}"
                    elif findings:
                        counts["skipped"] += 1
                        waiver = findings[0].waiver
                        ET.SubElement(case, "skipped", message=(
                            f"waived until {waiver.expires_at} by {waiver.approved_by}: "
                            f"{waiver.justification}" if waiver else "waived"))
            for name, value in counts.items():
                suite.set(name, str(value))
                totals[name] += value
        for name in ("tests", "failures"):
            root.set(name, str(totals[name]))
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
            root, encoding="unicode") + "\n"
