"""The HTTP API (FastAPI): scans, reports, diffs, gates, lineage, schedules, health.

Errors are JSON `{"detail": "<one line>"}`: 400 bad request, 401/403 auth, 404 not found,
409 a schedule already running, 413 body too large, 422 snapshot or request rejected (the
same line the CLI prints), 503 could not evaluate (fail closed: no gate ever passes on
an error).
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, AsyncIterator, Literal
from urllib.parse import urlencode

import orjson
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .. import __version__, documents
from ..documents import DocumentError, Limits
from ..errors import AlmguardError, EngineError, PolicyError, SnapshotError, UsageError
from ..formats import FORMATS
from ..formats.interface import RenderContext
from ..snapshot import _rfc3339
from ..sources.file import load_snapshot_text
from ..sources.interface import LoadedSnapshot, format_loc, shown, validate
from ..views import lineage_json
from .auth import Principal
from .bodylimit import BodyLimit, BodyTooLarge
from .diff import diff_json, diff_results
from .scheduler import RunInProgress, next_slot
from .security import NOSNIFF, cross_site, report_headers
from .service import NotFound, Service
from .store import ScanInfo, StoreError, first_line, rfc3339, to_utc, utcnow

log = logging.getLogger("almguard.api")

REPORT_TYPES = {"json": "application/json", "sarif": "application/sarif+json",
                "html": "text/html; charset=utf-8", "pdf": "application/pdf"}
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")


class GateRequest(BaseModel):
    """POST /v1/gate: the proposed deployment, against a stored or an inline snapshot."""

    # strict: a boolean or a string is no number here (true is not 1 percent of traffic)
    model_config = ConfigDict(extra="forbid", strict=True)

    registry: str | None = Field(default=None, description="gate against the snapshot of "
                                 "this registry's newest stored scan")
    snapshot_digest: str | None = Field(default=None,
                                        description="gate against this stored snapshot")
    snapshot: dict[str, Any] | None = Field(default=None,
                                            description="gate against this snapshot-v1 "
                                            "document (not stored)")
    model: str
    version: str
    endpoint: str
    environment: Literal["development", "staging", "production"] | None = Field(
        default=None, description="default: the endpoint's (production for a new endpoint); "
        "never laxer than what the endpoint serves")
    traffic_percent: float = Field(default=100.0, gt=0, le=100, allow_inf_nan=False)
    at: str | None = Field(default=None, description="when the deployment happens, RFC 3339 "
                           "(default: the snapshot's captured_at)")
    deployment: dict[str, Any] | None = None

    @field_validator("at")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        return None if value is None else _rfc3339(value)


def scan_json(info: ScanInfo) -> dict[str, Any]:
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
                  **{f"report_{kind}": f"{base}/report.{kind}" for kind in REPORT_TYPES}},
    }


def _time_param(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return to_utc(value)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=f"{name}: {exc}") from None


def _decode_body(body: bytes, limits: Limits) -> str:
    try:
        return documents.decode(body, limits)
    except DocumentError as exc:
        raise SnapshotError(exc.message, file="request body", line=exc.line) from None


def create_app(service: Service) -> FastAPI:
    """The ASGI application serving one Service (started and closed with the app)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            await run_in_threadpool(service.close)

    app = FastAPI(title="almguard", version=__version__, lifespan=lifespan,
                  description="Policy-as-code compliance for the ML model lifecycle: "
                  "scheduled scans, evidence history, gates and lineage.")
    limits = Limits(max_bytes=service.config.max_body_bytes)
    app.add_middleware(BodyLimit, max_bytes=limits.max_bytes)

    def need(scope: str) -> Any:
        def dependency(request: Request) -> Principal:
            foreign = cross_site(request)
            if foreign is not None:
                raise HTTPException(status_code=403, detail=f"refused: {foreign}; "
                                    "state-changing requests come from this service's own "
                                    "pages or from clients that are not browsers")
            return service.tokens.authenticate(request, scope)
        return Depends(dependency)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_request: Request, _exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse(status_code=413, content={"detail": (
            f"request body is larger than the limit of {limits.max_bytes} bytes "
            "(max_body_bytes)")})

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": validation_detail(exc)})

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(AlmguardError)
    async def _almguard(_request: Request, exc: AlmguardError) -> JSONResponse:
        if isinstance(exc, (EngineError, PolicyError)):
            log.error("evaluation failed: %s", exc)
            return JSONResponse(status_code=503, content={
                "detail": f"could not evaluate (fail closed): {str(exc)}"})
        if isinstance(exc, StoreError):
            log.error("storage failed: %s", exc)
            return JSONResponse(status_code=503, content={"detail": str(exc)})
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(SQLAlchemyError)
    async def _database(_request: Request, exc: SQLAlchemyError) -> JSONResponse:
        log.error("database error: %s", exc)
        return JSONResponse(status_code=503, content={
            "detail": f"database unavailable: {first_line(exc)}"})

    # --- health ----------------------------------------------------------------------

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"])
    def readyz() -> JSONResponse:
        """Readiness: the database answers and the policy engine evaluates with the
        policies (an engine that lost them, e.g. an OPA server restarted empty, is given
        them again first)."""
        try:
            service.store.ping()
            trouble = service.engine_trouble()
            if trouble is not None:
                raise EngineError(f"the policy engine cannot evaluate: {trouble}")
        except AlmguardError as exc:
            return JSONResponse(status_code=503, content={"status": "unavailable",
                                                          "detail": str(exc)})
        return JSONResponse({"status": "ready", "engine": service.evaluator.engine_name(),
                             "policies": {"revision": service.policies.revision,
                                          "digest": service.policies.digest,
                                          "rules": len(service.policies.rules)}})

    # --- scans -----------------------------------------------------------------------

    @app.post("/v1/scans", status_code=201, tags=["scans"])
    async def post_scan(request: Request, who: Principal = need("scan")) -> JSONResponse:
        """Scan a snapshot (JSON or YAML body) and store scan and snapshot."""
        body = await request.body()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        suffix = ".json" if content_type == "application/json" else (
            ".yaml" if content_type in YAML_TYPES else "")

        def work() -> ScanInfo:
            text = _decode_body(body, limits)
            snapshot = load_snapshot_text(text, origin="request body", limits=limits,
                                          suffix=suffix)
            return service.scan(snapshot, source="api", requested_by=who.name)

        info = await run_in_threadpool(work)
        return JSONResponse(status_code=201, content=scan_json(info),
                            headers={"Location": f"/v1/scans/{info.id}"})

    @app.get("/v1/scans", tags=["scans"])
    def list_scans(registry: str | None = None, since: str | None = None,
                   until: str | None = None,
                   verdict: Literal["pass", "fail"] | None = None,
                   limit: int = Query(default=50, ge=1, le=500),
                   before: int | None = Query(default=None, ge=1),
                   _who: Principal = need("read")) -> dict[str, Any]:
        """Stored scans, newest first; page with `before` (the `next` link)."""
        scans = service.store.list_scans(registry=registry, since=_time_param("since", since),
                                         until=_time_param("until", until), verdict=verdict,
                                         before=before, limit=limit)
        next_link = None
        if len(scans) == limit:
            params = {"registry": registry, "since": since, "until": until,
                      "verdict": verdict, "limit": limit, "before": scans[-1].id}
            next_link = "/v1/scans?" + urlencode({k: v for k, v in params.items()
                                                  if v is not None})
        return {"scans": [scan_json(s) for s in scans], "next": next_link}

    @app.get("/v1/scans/{scan_id}", tags=["scans"])
    def get_scan(scan_id: int, _who: Principal = need("read")) -> dict[str, Any]:
        return scan_json(service.scan_info(scan_id))

    @app.get("/v1/scans/{scan_id}/report.{kind}", tags=["reports"])
    def report(scan_id: int, kind: str, _who: Principal = need("read")) -> Response:
        """The scan's result as JSON (results-v1, as stored), SARIF, HTML or PDF/A-3b."""
        if kind not in REPORT_TYPES:
            raise HTTPException(status_code=404, detail=f"no report type {kind!r} "
                                f"(choose from: {', '.join(REPORT_TYPES)})")
        info = service.scan_info(scan_id)
        if kind == "json":
            raw = service.store.result_json(scan_id)
            assert raw is not None
            return Response(raw, media_type=REPORT_TYPES[kind], headers=NOSNIFF)
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

    @app.get("/v1/scans/{scan_id}/diff", tags=["scans"])
    def diff(scan_id: int, against: str = "previous",
             _who: Principal = need("read")) -> dict[str, Any]:
        """Findings new, resolved and unchanged since `against` (a scan id, or `previous`:
        the scan of the same registry stored before this one)."""
        return diff_document(service, scan_id, against)

    # --- gates -----------------------------------------------------------------------

    @app.post("/v1/gate", tags=["gates"])
    async def gate(request: Request, _who: Principal = need("gate")) -> Response:
        """The pre-deployment gate: allow or deny, with every gate that applies."""
        body = await request.body()

        def work() -> tuple[str, str]:
            req = _gate_request(body, limits)
            snapshot = _gate_snapshot(service, req)
            result = service.gate(snapshot, model=req.model, version=req.version,
                                  endpoint=req.endpoint, environment=req.environment,
                                  traffic=req.traffic_percent, at=req.at,
                                  deployment=req.deployment, stored=req.snapshot is None)
            assert result.gate is not None
            return result.to_json(), result.gate.decision

        text, decision = await run_in_threadpool(work)
        return Response(text, media_type="application/json",
                        headers={"Almguard-Decision": decision})

    # --- lineage ---------------------------------------------------------------------

    @app.get("/v1/lineage", tags=["lineage"])
    def lineage(registry: str, endpoint: str, at: str | None = None,
                _who: Principal = need("read")) -> Response:
        """What the endpoint served at `at` (default: the newest snapshot) and which data
        trained it, from the stored snapshot in force then."""
        answer, snapshot = service.lineage(registry, endpoint, _time_param("at", at))
        data = orjson.loads(lineage_json(answer))
        data["snapshot"] = {"digest": snapshot.digest,
                            "captured_at": snapshot.document["registry"]["captured_at"]}
        if at is not None:
            data["at"] = at
        return JSONResponse(data)

    @app.get("/v1/registries", tags=["scans"])
    def registries(_who: Principal = need("read")) -> dict[str, Any]:
        return {"registries": [{"name": name, "scans": count, "latest": scan_json(latest)}
                               for name, count, latest in service.store.registries()]}

    # --- schedules -------------------------------------------------------------------

    @app.get("/v1/schedules", tags=["schedules"])
    def schedules(_who: Principal = need("read")) -> dict[str, Any]:
        running = service.scheduler.running()
        now = utcnow()
        out = []
        for name, schedule in service.scheduler.schedules.items():
            last = service.store.last_run(name)
            out.append({"name": name, "cron": schedule.cron, "source": schedule.source.kind,
                        "running": name in running,
                        "next_run": rfc3339(next_slot(schedule.cron, now)),
                        "last_run": None if last is None else run_json(last)})
        return {"schedules": out}

    @app.get("/v1/schedules/{name}/runs", tags=["schedules"])
    def schedule_runs(name: str, limit: int = Query(default=50, ge=1, le=500),
                      _who: Principal = need("read")) -> dict[str, Any]:
        if name not in service.scheduler.schedules:
            raise NotFound(f"no schedule {name!r}")
        return {"runs": [run_json(r) for r in service.store.runs(name, limit)]}

    @app.post("/v1/schedules/{name}/run", status_code=200, tags=["schedules"])
    async def run_schedule(name: str, _who: Principal = need("admin")) -> dict[str, Any]:
        """Run a schedule now and wait for it; 409 if it is running already."""
        if name not in service.scheduler.schedules:
            raise NotFound(f"no schedule {name!r}")
        try:
            run_id = await run_in_threadpool(service.scheduler.run, name)
        except RunInProgress as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        run = next(r for r in service.store.runs(name, 20) if r.id == run_id)
        return run_json(run)

    from .dashboard import mount_dashboard
    mount_dashboard(app, service)
    return app


def run_json(run: Any) -> dict[str, Any]:
    return {"id": run.id, "schedule": run.schedule, "slot": rfc3339(run.slot),
            "started_at": rfc3339(run.started_at),
            "finished_at": None if run.finished_at is None else rfc3339(run.finished_at),
            "status": run.status, "error": run.error, "scan_id": run.scan_id,
            "scans": run.scans}


def diff_document(service: Service, scan_id: int, against: str) -> dict[str, Any]:
    after_info = service.scan_info(scan_id)
    if against == "previous":
        before_info = service.store.previous_scan(after_info)
        if before_info is None:
            raise NotFound(f"scan {scan_id} is the first scan of registry "
                           f"{after_info.registry!r}: nothing to compare with")
    else:
        try:
            before_info = service.scan_info(int(against))
        except ValueError:
            raise HTTPException(status_code=400, detail="against: a scan id or 'previous'") \
                from None
    result = diff_results(service.result(before_info.id), service.result(after_info.id))

    def brief(info: ScanInfo) -> dict[str, Any]:
        return {"id": info.id, "registry": info.registry, "captured_at": info.captured_at,
                "created_at": info.created_at, "snapshot_digest": info.snapshot_digest,
                "verdict": info.verdict, "findings": info.findings}

    return diff_json(result, brief(before_info), brief(after_info))


def validation_detail(exc: RequestValidationError) -> str:
    """FastAPI's own check of a path, query or body parameter as the one line every other
    error is: ``query.limit: input should be greater than or equal to 1 (got 0)``."""
    errors = list(exc.errors())
    if not errors:
        return "invalid request"
    first = errors[0]
    if first.get("type") == "missing":
        message = "required field missing"
    else:
        message = str(first.get("msg") or "invalid value").removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]
        if isinstance(first.get("input"), (str, int, float, bool)):
            message += f" (got {shown(first['input'])})"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    where = format_loc(tuple(first.get("loc") or ()))
    return f"{where}: {message}{more}" if where else message + more


def _gate_request(body: bytes, limits: Limits) -> GateRequest:
    try:
        text = documents.decode(body, limits)
        raw = documents.parse(text, json_syntax=True, limits=limits)
    except DocumentError as exc:
        raise UsageError(exc.message, file="request body", line=exc.line) from None
    try:
        req = GateRequest.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        message = ("unknown field" if err["type"] == "extra_forbidden"
                   else str(err["msg"]).removeprefix("Value error, "))
        if err["type"].endswith("_type") and not isinstance(err.get("input"), (dict, list)):
            message += f" (got {shown(err['input'])})"
        raise UsageError(message, file="request body",
                         path=format_loc(tuple(err["loc"])) or None) from None
    given = [k for k in ("registry", "snapshot_digest", "snapshot")
             if getattr(req, k) is not None]
    if len(given) != 1:
        raise UsageError("give exactly one of registry, snapshot_digest or snapshot",
                         file="request body")
    return req


def _gate_snapshot(service: Service, req: GateRequest) -> LoadedSnapshot:
    if req.snapshot is not None:
        return validate(req.snapshot, origin="request body: snapshot", text=None)
    if req.snapshot_digest is not None:
        return service.snapshot(req.snapshot_digest)
    assert req.registry is not None
    return service.latest_snapshot(req.registry)
