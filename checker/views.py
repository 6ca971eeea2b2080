"""Terminal and JSON views of the lineage answer and the rule catalog."""

from __future__ import annotations

import json
from collections.abc import Iterable
from io import StringIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .formats.table import SEVERITY_STYLE, console_for, count, fitted
from .ids import model_version_id
from .lineage import EndpointLineage
from .metadata import CATEGORIES, SEVERITIES, RuleMeta


def lineage_json(answer: EndpointLineage) -> str:
    data = answer.model_dump(mode="json")
    data["complete"] = answer.complete
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def lineage_table(answer: EndpointLineage, *, color: bool, width: int) -> str:
    """The answer for a terminal. Every value is a ``Text`` (never markup), and each digest,
    URI and code reference stands whole on its line: beside its label if it fits in the
    width, else on the next line; it is broken only if it is longer than the width."""
    buffer = StringIO()
    out = console_for(buffer, color=color, width=width)
    out.print(Text.assemble(("Endpoint ", "bold"), (answer.endpoint, "bold"),
                            f"  registry {answer.registry} at {answer.captured_at}"))
    for problem in answer.missing:
        out.print(Text(f"MISSING: {problem}", style="bold red"))
    for v in answer.serving:
        out.print()
        serving = model_version_id(v.model, v.version)
        out.print(Text.assemble(("Serving ", "bold"), (serving, "bold"),
                                f"  {v.traffic_percent:g}% of traffic, {v.environment}, "
                                f"deployed {v.deployed_at or 'at an unrecorded time'}"
                                f"{f', stage {v.stage}' if v.stage else ''}"))
        facts: list[tuple[str, str]] = []
        if v.artifact_digest:
            facts.append(("artifact", v.artifact_digest))
        for role, refs in (("training", v.training_data), ("evaluation", v.evaluation_data)):
            for d in refs:
                facts += [(f"{role} data", d.id + ("" if d.recorded else " (not in registry)")),
                          ("  digest", d.digest or "-"), ("  uri", d.uri or "-")]
        for step in v.preprocessing:
            facts += [("preprocessing", step.name), ("  code", step.code_ref or "-")]
        if v.training_job:
            job = v.training_job
            facts += [("training job", job.get("id") or "-"),
                      ("  code", job.get("code_ref") or "-"),
                      ("  environment", job.get("environment") or "-")]
        if v.base_model:
            facts.append(("base model", v.base_model))
        _facts(out, facts, width)
        for problem in v.missing:
            out.print(Text(f"  MISSING: {problem}", style="bold red"))
    out.print()
    out.print(Text("Lineage complete" if answer.complete else "Lineage INCOMPLETE",
                   style="bold green" if answer.complete else "bold red"))
    return buffer.getvalue()


def _facts(out: Console, rows: list[tuple[str, str]], width: int) -> None:
    """Aligned label and value lines; a value too long to stand beside its label goes on the
    next line, indented, so that it is not broken."""
    if not rows:
        return
    labels = max(len(label) for label, _ in rows) + 3
    for label, value in rows:
        head = f"  {label}".ljust(labels)
        if len(head) + len(value) <= width:
            out.print(Text.assemble((head, "dim"), value))
        else:
            out.print(Text(f"  {label}", style="dim"))
            out.print(Text(" " * (len(label) - len(label.lstrip()) + 4) + value))


def _ordered(rules: Iterable[RuleMeta]) -> list[RuleMeta]:
    return sorted(rules, key=lambda r: (CATEGORIES.index(r.category), r.id))


def rules_json(rules: Iterable[RuleMeta]) -> str:
    data = [r.model_dump(mode="json", exclude={"file", "line"}) | {"source": f"{r.file}:{r.line}"}
            for r in _ordered(rules)]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def rules_table(rules: Iterable[RuleMeta], *, color: bool, width: int) -> str:
    buffer = StringIO()
    out = console_for(buffer, color=color, width=width)
    ordered = _ordered(rules)
    table = Table(title=f"almguard rule catalog ({count(len(ordered), 'rule')})",
                  title_justify="left", expand=True)
    table.add_column("Id", overflow="fold", min_width=fitted((r.id for r in ordered), 20))
    table.add_column("Severity", no_wrap=True)  # one of four words
    table.add_column("Category", no_wrap=True)  # one of nine words
    table.add_column("Title", ratio=1, overflow="fold")
    # one control per line, the column as wide as the longest: a clause id stays whole
    table.add_column("Controls", overflow="fold",
                     width=fitted((c for r in ordered for c in r.controls), width // 4))
    for r in ordered:
        table.add_row(Text(r.id), Text(r.severity, style=SEVERITY_STYLE[r.severity]),
                      Text(r.category), Text(r.title), Text("\n".join(r.controls)))
    out.print(table)
    return buffer.getvalue()


def rules_markdown(rules: Iterable[RuleMeta]) -> str:
    """The catalog table for policies/README.md: rule -> alm-rules.md bullet -> controls."""
    lines = ["| Rule | Severity | Category | Title | alm-rules.md bullet | Controls |",
             "|---|---|---|---|---|---|"]
    for r in _ordered(rules):
        cells = [r.id, r.severity, r.category, r.title, r.alm_rule, "; ".join(r.controls)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


__all__ = ["SEVERITIES", "lineage_json", "lineage_table", "rules_json", "rules_markdown",
           "rules_table"]
