"""Scans: POST /v1/scans (scan a snapshot and store it), GET /v1/scans (stored scans,
newest first, paged with `next`), GET /v1/scans/{id}, GET /v1/scans/{id}/diff."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ...documents import Limits
from ...sources.file import load_snapshot_text
from ..auth import Principal
from ..inputs import against_param, decode_body, time_param
from ..service import Service
from ..store import ScanInfo
from .guard import need

REPORT_KINDS = ("json", "sarif", "html", "pdf")
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


def scan_json(info: ScanInfo) -> dict[str, Any]:
    """A stored scan as the API shows it, with its links."""
    base = f"/v1/scans/{info.id}"
    return {
        "id": info.id, "registry": info.registry, "snapshot_digest": info.snapshot_digest,
        "captured_at": info.captured_at, "created_at": info.created_at,
        "source": info.source, "requested_by": info.requested_by, "verdict": info.verdict,
        "findings": info.findings, "waived": info.waived, "by_severity": info.by_severity,
        "compliance_rate": round(info.compliance_rate, 4),
        "policies": {"revision": info.policy_revision, "digest": info.policy_digest},
        "engine": info.engine,
        "links": {"self": base, "diff": f"{base}/diff",
                  **{f"report_{kind}": f"{base}/report.{kind}" for kind in REPORT_KINDS}},
    }


def router(service: Service, limits: Limits) -> APIRouter:
    api = APIRouter(tags=["scans"])

    @api.post("/v1/scans", status_code=201)
    async def post_scan(request: Request,
                        who: Principal = need(service, "scan")) -> JSONResponse:
        """Scan a snapshot (JSON or YAML body) and store scan and snapshot."""
        body = await request.body()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        suffix = ".json" if content_type == "application/json" else (
            ".yaml" if content_type in YAML_TYPES else "")

        def work() -> ScanInfo:
            text = decode_body(body, limits)
            snapshot = load_snapshot_text(text, origin="request body", limits=limits,
                                          suffix=suffix)
            return service.scan(snapshot, source="api", requested_by=who.name)

        info = await run_in_threadpool(work)
        return JSONResponse(status_code=201, content=scan_json(info),
                            headers={"Location": f"/v1/scans/{info.id}"})

    @api.get("/v1/scans")
    def list_scans(registry: str | None = None, since: str | None = None,
                   until: str | None = None,
                   verdict: Literal["pass", "fail"] | None = None,
                   limit: int = Query(default=50, ge=1, le=500),
                   before: int | None = Query(default=None, ge=1),
                   _who: Principal = need(service, "read")) -> dict[str, Any]:
        """Stored scans, newest first; page with `before` (the `next` link)."""
        scans = service.list_scans(registry=registry, since=time_param("since", since),
                                   until=time_param("until", until), verdict=verdict,
                                   before=before, limit=limit)
        next_link = None
        if len(scans) == limit:
            params = {"registry": registry, "since": since, "until": until,
                      "verdict": verdict, "limit": limit, "before": scans[-1].id}
            next_link = "/v1/scans?" + urlencode({k: v for k, v in params.items()
                                                  if v is not None})
        return {"scans": [scan_json(s) for s in scans], "next": next_link}

    @api.get("/v1/scans/{scan_id}")
    def get_scan(scan_id: int, _who: Principal = need(service, "read")) -> dict[str, Any]:
        return scan_json(service.scan_info(scan_id))

    @api.get("/v1/scans/{scan_id}/diff")
    def diff(scan_id: int, against: str = "previous",
             _who: Principal = need(service, "read")) -> dict[str, Any]:
        """Findings new, resolved and unchanged since `against` (a scan id, or `previous`:
        the scan of the same registry stored before this one)."""
        return service.diff(scan_id, against_param(against))

    return api
