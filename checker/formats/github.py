"""GitHub Actions workflow commands: one annotation per unwaived finding, on the snapshot
file's line when known, and a closing notice with the verdict."""

from __future__ import annotations

from ..locate import resource_lines, workspace_path
from ..results import ResultDocument
from .interface import Formatter, RenderContext
from .table import count

LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


class GithubFormat(Formatter):
    name = "github"
    reads_text = True

    def render(self, result: ResultDocument, ctx: RenderContext) -> str:
        lines = resource_lines(ctx.snapshot) if ctx.snapshot else {}
        path = workspace_path(ctx.snapshot.origin) if ctx.snapshot and \
            not ctx.snapshot.origin.startswith("<") else None
        out = []
        for f in result.findings:
            if f.waived:
                continue
            props = []
            if path:
                props.append(f"file={_prop(path)}")
                line = lines.get((f.resource.kind, f.resource.id))
                if line:
                    props.append(f"line={line}")
            level, note = LEVEL[f.severity], ""
            if result.gate is not None and not f.blocking:   # a gate's non-blocking finding
                level, note = "notice", "not blocking this deployment (unrelated registry debt): "
            props.append(f"title={_prop(f'{f.rule_id} {f.title}')}")
            text = f"{note}{f.resource.kind} {f.resource.id}: {f.message}. {f.remediation}"
            out.append(f"::{level} {','.join(props)}::{_data(text)}")
        s = result.summary
        verdict = result.gate.decision if result.gate else s.verdict
        closing = f"{verdict}: {count(s.findings, 'finding')}, {s.waived} waived"
        out.append(f"::notice title=almguard::{_data(closing)}")
        return "\n".join(out) + "\n"
