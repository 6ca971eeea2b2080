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
from .lineage import HEAD_FACTS, EndpointLineage
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
        head = v.sources_line(HEAD_FACTS)
        if head:
            out.print(Text(f"  {head}", style="dim"))
        facts: list[tuple[str, str, str | None]] = []
        if v.artifact_digest:
            facts.append(("artifact", v.artifact_digest,
                          v.said("model_version", "artifact.digest")))
        for role, refs in (("training", v.training_data), ("evaluation", v.evaluation_data)):
            for d in refs:
                facts += [(f"{role} data", d.id + ("" if d.recorded else " (not in registry)"),
                           v.said("model_version", f"lineage.{role}_data")),
                          ("  digest", d.digest or "-",
                           v.said("dataset", "digest", ident=d.id) if d.digest else None),
                          ("  uri", d.uri or "-",
                           v.said("dataset", "uri", ident=d.id) if d.uri else None)]
        for step in v.preprocessing:
            facts += [("preprocessing", step.name, v.said("model_version",
                                                          "lineage.preprocessing")),
                      ("  code", step.code_ref or "-", None)]
        if v.training_job:
            job = v.training_job
            facts += [(label, job.get(key) or "-",
                       v.said("model_version", f"lineage.training_job.{key}")
                       if job.get(key) else None)
                      for label, key in (("training job", "id"), ("  code", "code_ref"),
                                         ("  environment", "environment"))]
        if v.base_model:
            facts.append(("base model", v.base_model,
                          v.said("model_version", "lineage.base_model")))
        _facts(out, facts, width)
        for problem in v.missing:
            out.print(Text(f"  MISSING: {problem}", style="bold red"))
    out.print()
    out.print(Text("Lineage complete" if answer.complete else "Lineage INCOMPLETE",
                   style="bold green" if answer.complete else "bold red"))
    return buffer.getvalue()


def _facts(out: Console, rows: list[tuple[str, str, str | None]], width: int) -> None:
    """Aligned label and value lines; a value too long to stand beside its label goes on the
    next line, indented, so that it is not broken. A row's source (a composed snapshot's
    provenance) follows its value as `(from: cluster)`, or goes on a line of its own when
    the value leaves no room."""
    if not rows:
        return
    labels = max(len(label) for label, _, _ in rows) + 3
    for label, value, said in rows:
        tail = f"  (from: {said})" if said else ""
        head = f"  {label}".ljust(labels)
        if len(head) + len(value) + len(tail) <= width:
            out.print(Text.assemble((head, "dim"), value, (tail, "dim")) if tail
                      else Text.assemble((head, "dim"), value))
            continue
        if len(head) + len(value) <= width:
            out.print(Text.assemble((head, "dim"), value))
            indent = " " * len(head)
        else:
            out.print(Text(f"  {label}", style="dim"))
            indent = " " * (len(label) - len(label.lstrip()) + 4)
            if len(indent) + len(value) + len(tail) <= width and tail:
                out.print(Text.assemble(indent + value, (tail, "dim")))
                continue
            out.print(Text(indent + value))
        if tail:
            out.print(Text(indent + tail.strip(), style="dim"))


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
