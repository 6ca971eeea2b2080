"""A terminal table grouped by severity, with a one-line summary at the end.

The table shows evidence, so it never alters it: every value is a rich ``Text`` (markup in a
message, such as a pattern ``^[a-z]*$``, is printed as written), every column folds rather
than truncates, and the column holding ids is as wide as its longest id (within the width),
so an id, a digest or a URI is broken only when it is longer than the terminal is wide.
"""

from __future__ import annotations

from collections.abc import Iterable
from io import StringIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..metadata import SEVERITIES
from ..results import ResultDocument
from .interface import Formatter, RenderContext
from ..ids import model_version_id

SEVERITY_STYLE = {"critical": "bold white on red", "high": "bold red", "medium": "yellow",
                  "low": "cyan"}

def console_for(buffer: StringIO, *, color: bool, width: int) -> Console:
    return Console(file=buffer, force_terminal=color, no_color=not color, width=width,
                   highlight=False, soft_wrap=False, markup=False, emoji=False)


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``1 finding``, ``2 findings``."""
    return f"{number} {noun if number == 1 else (plural or noun + 's')}"


def fitted(values: Iterable[str], room: int) -> int:
    """The width a column needs to show its longest line unbroken, but at most ``room``."""
    longest = max((len(line) for value in values for line in value.splitlines()), default=0)
    return max(1, min(longest, room))


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
        rule_width = fitted((f.rule_id for f in result.findings), ctx.width // 4)
        for severity in SEVERITIES:
            rows = [f for f in result.findings if f.severity == severity]
            if not rows:
                continue
            table = Table(title=Text(f"{severity.upper()} ({len(rows)})",
                                     style=SEVERITY_STYLE[severity]),
                          title_justify="left", show_lines=False, expand=True)
            table.add_column("Rule", overflow="fold", min_width=rule_width)
            # the resource on a line of its own, with all the rest of the width: an id is
            # broken only if it is longer than that
            table.add_column("Resource / finding", overflow="fold", ratio=1)
            for f in rows:
                rule = Text(f.rule_id)
                if f.waived:
                    rule.append("\nwaived", style="yellow")
                table.add_row(rule, Text.assemble((f"{f.resource.kind} ", "dim"),
                                                  (f.resource.id, "bold"), "\n", f.message))
            out.print(table)
        s = result.summary
        counts = ", ".join(f"{s.by_severity[k]} {k}" for k in SEVERITIES if s.by_severity[k])
        verdict = Text("PASS" if s.verdict == "pass" else "FAIL",
                       style="bold green" if s.verdict == "pass" else "bold red")
        detail = (f": {count(s.findings, 'finding')}"
                  f"{f' ({counts})' if counts else ''}"
                  f"{f', {s.waived} waived' if s.waived else ''}"
                  f"; {count(s.rules_evaluated, 'rule')} over "
                  f"{count(s.resources_checked, 'resource')}"
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
        version = model_version_id(p.model, p.version)
        out.print(Text.assemble(("almguard gate", "bold"),
                                f"  {version} -> {p.endpoint} ({p.environment}, "
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
            decision, f": {failed} of {count(len(gate.checklist), 'check')} failed for the "
            f"proposal; {count(gate.unrelated_findings, 'unrelated finding')} elsewhere in the "
            "registry (reported, not blocking)"))
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
