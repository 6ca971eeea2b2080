"""almguard reports: renderings of a result document for people (HTML, PDF).

    context = build_context(result, snapshot, rules, generated_at=...)   # view model
    html = render_html(context)                                          # --html
    pdf = render_pdf_report(context, html, result)                       # -o report.pdf

Rendering reads only the result document, the snapshot it was computed from and the rule
catalog; it never evaluates a policy. WeasyPrint is imported only when a PDF is asked for
(it takes about a second to import).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .context import RESULT_ATTACHMENT, ReportContext, build_context
from .render import render_html
from .timestamp import parse_rfc3339, resolve_generated_at

if TYPE_CHECKING:
    from checker.results import ResultDocument

    from .pdf import PdfOutput


def render_pdf_report(context: ReportContext, html: str, result: ResultDocument, *,
                      bom: str | None = None) -> PdfOutput:
    """The PDF/A-3b form of the report, with the result document attached, and beside it
    the AI-BOM (checker.bom's CycloneDX JSON) when one is given."""
    from checker.bom import BOM_ATTACHMENT

    from .pdf import ExtraAttachment, render_pdf

    extra = [] if bom is None else [ExtraAttachment(
        BOM_ATTACHMENT, bom.encode("utf-8"), "AI-BOM (CycloneDX 1.6 ML-BOM) of the model "
        "versions serving each endpoint of the snapshot this report was rendered from")]
    return render_pdf(html, generated_at=parse_rfc3339(context.generated_at),
                      result_json=result.to_json(), attachment_name=RESULT_ATTACHMENT,
                      extra_attachments=extra)


__all__ = ["ReportContext", "build_context", "render_html", "render_pdf_report",
           "resolve_generated_at", "parse_rfc3339", "RESULT_ATTACHMENT"]
