"""GET /v1/scans/{id}/report.{json,sarif,html,pdf}: a stored scan's report. JSON is the
stored result document as is; the others are rendered from the stored result and snapshot,
with the scan's time as generation time, so one scan always gives the same bytes."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from ...formats import FORMATS
from ...formats.interface import RenderContext
from ..auth import Principal
from ..security import NOSNIFF, report_headers
from ..service import Service
from .guard import need

REPORT_TYPES = {"json": "application/json", "sarif": "application/sarif+json",
                "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def router(service: Service) -> APIRouter:
    api = APIRouter(tags=["reports"])

    @api.get("/v1/scans/{scan_id}/report.{kind}")
    def report(scan_id: int, kind: str, _who: Principal = need(service, "read")) -> Response:
        """The scan's result as JSON (results-v1, as stored), SARIF, HTML or PDF/A-3b."""
        if kind not in REPORT_TYPES:
            raise HTTPException(status_code=404, detail=f"no report type {kind!r} "
                                f"(choose from: {', '.join(REPORT_TYPES)})")
        info = service.scan_info(scan_id)
        if kind == "json":
            return Response(service.result_json(scan_id), media_type=REPORT_TYPES[kind],
                            headers=NOSNIFF)
        result = service.result(scan_id)
        snapshot = service.snapshot(info.snapshot_digest)
        if kind == "sarif":
            ctx = RenderContext(snapshot=snapshot, policies=service.policies)
            return Response(FORMATS["sarif"]().render(result, ctx),
                            media_type=REPORT_TYPES[kind], headers=NOSNIFF)
        from reports import build_context, parse_rfc3339, render_html, render_pdf_report
        context = build_context(result, snapshot, list(service.policies.rules.values()),
                                generated_at=parse_rfc3339(info.created_at))
        html = render_html(context)
        if kind == "html":
            return Response(html, media_type=REPORT_TYPES[kind], headers=report_headers(html))
        pdf = render_pdf_report(context, html, result)
        name = f"almguard-{info.registry}-scan-{info.id}.pdf"
        return Response(pdf.data, media_type=REPORT_TYPES[kind],
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 **NOSNIFF})

    return api
