"""Terminal and JSON views of the lineage answer and the rule catalog."""

from __future__ import annotations

import json
from io import StringIO
from typing import Iterable

from rich.table import Table
from rich.text import Text

from .formats.table import SEVERITY_STYLE, console_for
from .lineage import EndpointLineage
from .metadata import CATEGORIES, SEVERITIES, RuleMeta


def lineage_json(answer: EndpointLineage) -> str:
    data = answer.model_dump(mode="json")
    data["complete"] = answer.complete
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def lineage_table(answer: EndpointLineage, *, color: bool, width: int) -> str:
    buffer = StringIO()
    out = console_for(buffer, color=color, width=width)
    out.print(Text.assemble(("Endpoint ", "bold"), (answer.endpoint, "bold"),
                            f"  registry {answer.registry} at {answer.captured_at}"))
    for problem in answer.missing:
        out.print(Text(f"MISSING: {problem}", style="bold red"))
    for v in answer.serving:
        out.print()
        out.print(Text.assemble(("Serving ", "bold"), (f"{v.model}@{v.version}", "bold"),
                                f"  {v.traffic_percent:g}% of traffic, {v.environment}, "
                                f"deployed {v.deployed_at or 'at an unrecorded time'}"
                                f"{f', stage {v.stage}' if v.stage else ''}"))
        if v.artifact_digest:
            out.print(f"  artifact {v.artifact_digest}")
        for role, refs in (("training", v.training_data), ("evaluation", v.evaluation_data)):
            if not refs:
                continue
            table = Table(title=f"{role} data", title_justify="left", expand=True)
            table.add_column("Dataset version", no_wrap=True)
            table.add_column("Digest", overflow="fold", ratio=3)
            table.add_column("URI", overflow="fold", ratio=3)
            for d in refs:
                table.add_row(d.id + ("" if d.recorded else " (not in registry)"),
                              d.digest or "-", d.uri or "-")
            out.print(table)
        for step in v.preprocessing:
            out.print(f"  preprocessing: {step.name}  code {step.code_ref or '-'}")
        if v.training_job:
            job = v.training_job
            out.print(f"  training job: {job.get('id') or '-'}  code {job.get('code_ref') or '-'}"
                      f"  environment {job.get('environment') or '-'}")
        if v.base_model:
            out.print(f"  base model: {v.base_model}")
        for problem in v.missing:
            out.print(Text(f"  MISSING: {problem}", style="bold red"))
    out.print()
    out.print(Text("Lineage complete" if answer.complete else "Lineage INCOMPLETE",
                   style="bold green" if answer.complete else "bold red"))
    return buffer.getvalue()


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
    table = Table(title=f"almguard rule catalog ({len(ordered)} rules)", title_justify="left",
                  expand=True)
    table.add_column("Id", no_wrap=True)
    table.add_column("Severity", no_wrap=True)
    table.add_column("Category", no_wrap=True)
    table.add_column("Title", ratio=3, overflow="fold")
    table.add_column("Controls", ratio=2, overflow="fold")
    for r in ordered:
        table.add_row(r.id, Text(r.severity, style=SEVERITY_STYLE[r.severity]), r.category,
                      r.title, "; ".join(r.controls))
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
