"""What changed between two scans: new, resolved and unchanged findings.

A finding is the same finding in both scans when rule, resource and message are equal.
Findings left over on both sides whose messages differ only in unquoted numbers (a count,
a date, a percentage) are paired as unchanged too, with both messages kept, so "new" and
"resolved" mean a problem appeared or went away, not that a figure in it moved. Messages
that differ in anything else (another dataset, another suite, a quoted name or version)
are different findings.
Waived findings take part like the others; their waived flag is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..results import Finding, ResultDocument


@dataclass(frozen=True)
class Changed:
    finding: Finding
    before: str


@dataclass
class Diff:
    new: list[Finding] = field(default_factory=list)
    resolved: list[Finding] = field(default_factory=list)
    unchanged: list[Finding] = field(default_factory=list)
    reworded: list[Changed] = field(default_factory=list)


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _key(f: Finding) -> tuple[str, str, str, str]:
    return (f.rule_id, f.resource.kind, f.resource.id, f.message)


def _shape(f: Finding) -> tuple[str, str, str, str]:
    """The key with the message's figures blanked out: numbers outside quotes (quoted text
    names things, such as 'loan-applications@3', and stays as it is)."""
    parts = f.message.split("'")
    blanked = "'".join(_NUMBER.sub("#", p) if i % 2 == 0 else p for i, p in enumerate(parts))
    return (f.rule_id, f.resource.kind, f.resource.id, blanked)


def diff_results(before: ResultDocument, after: ResultDocument) -> Diff:
    out = Diff()
    remaining: dict[tuple[str, str, str, str], list[Finding]] = {}
    for f in before.findings:
        remaining.setdefault(_key(f), []).append(f)
    leftover_after: list[Finding] = []
    for f in after.findings:
        bucket = remaining.get(_key(f))
        if bucket:
            bucket.pop()
            out.unchanged.append(f)
        else:
            leftover_after.append(f)
    by_subject: dict[tuple[str, str, str, str], list[Finding]] = {}
    for bucket in remaining.values():
        for f in bucket:
            by_subject.setdefault(_shape(f), []).append(f)
    for f in leftover_after:
        olds = by_subject.get(_shape(f))
        if olds:
            old = olds.pop(0)
            out.reworded.append(Changed(f, old.message))
        else:
            out.new.append(f)
    out.resolved = sorted((f for olds in by_subject.values() for f in olds),
                          key=Finding.sort_key)
    out.new.sort(key=Finding.sort_key)
    out.unchanged.sort(key=Finding.sort_key)
    out.reworded.sort(key=lambda c: c.finding.sort_key())
    return out


def diff_json(diff: Diff, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The diff as the API returns it; `before`/`after` describe the two scans."""
    def dump(f: Finding) -> dict[str, Any]:
        return f.model_dump(mode="json", exclude_none=True)

    return {
        "before": before, "after": after,
        "counts": {"new": len(diff.new), "resolved": len(diff.resolved),
                   "unchanged": len(diff.unchanged) + len(diff.reworded)},
        "new": [dump(f) for f in diff.new],
        "resolved": [dump(f) for f in diff.resolved],
        "unchanged": [dump(f) for f in diff.unchanged]
        + [{**dump(c.finding), "previous_message": c.before} for c in diff.reworded],
    }
