"""A terminal table grouped by severity, with a one-line summary at the end."""

from __future__ import annotations

from io import StringIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..metadata import SEVERITIES
from ..results import ResultDocument
from .interface import Formatter, RenderContext

SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow",
                  "low": "cyan"}


def console_for(buffer: StringIO, *, color: bool, width: int) -> Console:
    return Console(file=buffer, force_terminal=color, no_color=not color, width=width,
                   highlight=False, soft_wrap=False)


class TableFormat(Formatter):
    name = "table"

    def render(self, result: ResultDocument, ctx: RenderContext) -> str:
        if result.gate is not None:
            return self._gate(result, color=ctx.color, width=ctx.width)
        buffer = StringIO()
        out = console_for(buffer, color=ctx.color, width=ctx.width)
        snap = result.snapshot
        out.print(Text.assemble(("almguard scan", "bold"), f"  registry {snap.registry} at ",
                                snap.captured_at, f"  ({result.engine.name} "
                                f"{result.engine.version}, policies {result.policies.revision})"))
        for severity in SEVERITIES:
            rows = [f for f in result.findings if f.severity == severity]
            if not rows:
                continue
            table = Table(title=Text(f"{severity.upper()} ({len(rows)})",
                                     style=SEVERITY_STYLE[severity]),
                          title_justify="left", show_lines=False, expand=True)
            table.add_column("Rule", no_wrap=True)
            table.add_column("Resource", overflow="fold", ratio=2)
            table.add_column("Finding", overflow="fold", ratio=4)
            for f in rows:
                rule = f.rule_id + (" (waived)" if f.waived else "")
                table.add_row(rule, f"{f.resource.kind} {f.resource.id}", f.message)
            out.print(table)
        s = result.summary
        counts = ", ".join(f"{s.by_severity[k]} {k}" for k in SEVERITIES if s.by_severity[k])
        verdict = Text("PASS" if s.verdict == "pass" else "FAIL",
                       style="bold green" if s.verdict == "pass" else "bold red")
        detail = (f": {s.findings} finding{'s' if s.findings != 1 else ''}"
                  f"{f' ({counts})' if counts else ''}"
                  f"{f', {s.waived} waived' if s.waived else ''}"
                  f"; {s.rules_evaluated} rules over {s.resources_checked} resources"
                  f"; failing at {s.fail_on} and above")
        _waiver_notes(out, result)
        out.print(Text.assemble(verdict, detail))
        return buffer.getvalue()

    def _gate(self, result: ResultDocument, *, color: bool, width: int) -> str:
        assert result.gate is not None
        gate = result.gate
        p = gate.proposal
        buffer = StringIO()
        out = console_for(buffer, color=color, width=width)
        out.print(Text.assemble(("almguard gate", "bold"),
                                f"  {p.model}@{p.version} -> {p.endpoint} ({p.environment}, "
                                f"{p.traffic_percent:g}% of traffic) at {p.at}"))
        current = None
        for check in gate.checklist:
            if check.gate != current:
                current = check.gate
                out.print(Text(current, style="bold underline"))
            if check.passed:
                mark = ("  waived ", "yellow") if check.waived else ("  pass   ", "green")
                out.print(Text.assemble(mark, f"{check.rule_id}  {check.title}"))
                continue
            out.print(Text.assemble(("  FAIL   ", "bold red"), f"{check.rule_id}  {check.title}"))
            for message in check.messages:
                out.print(Text(f"           {message}"))
            out.print(Text(f"           fix: {check.remediation}", style="dim"))
        _waiver_notes(out, result)
        failed = sum(1 for c in gate.checklist if not c.passed)
        decision = Text("ALLOW" if gate.decision == "allow" else "DENY",
                        style="bold green" if gate.decision == "allow" else "bold red")
        out.print(Text.assemble(
            decision, f": {failed} of {len(gate.checklist)} checks failed for the proposal; "
            f"{gate.unrelated_findings} unrelated finding"
            f"{'s' if gate.unrelated_findings != 1 else ''} elsewhere in the registry "
            "(reported, not blocking)"))
        return buffer.getvalue()


def _waiver_notes(out: Console, result: ResultDocument) -> None:
    report = result.waivers
    if report is None:
        return
    for waiver in report.expired:
        out.print(Text(f"Expired waiver: {waiver.rule_id} on {waiver.resource} (expired "
                       f"{waiver.expires_at}, approved by {waiver.approved_by})",
                       style="yellow"))
    for waiver in report.unmatched:
        out.print(Text(f"Unused waiver: {waiver.rule_id} on {waiver.resource} matches no "
                       "finding", style="yellow"))
