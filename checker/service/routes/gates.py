"""POST /v1/gate: the pre-deployment gate against a stored registry, a stored snapshot or
an inline snapshot; the answer is `almguard gate --format json`'s result document and the
header `Almguard-Decision: allow|deny`. Could not evaluate: 503, no decision."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ... import documents
from ...documents import DocumentError, Limits
from ...errors import UsageError
from ...times import check_time
from ...sources.interface import LoadedSnapshot, validate
from ...validation import to_error
from ..auth import Principal
from ..service import Service
from .guard import need


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
        return None if value is None else check_time(value)


def gate_request(body: bytes, limits: Limits) -> GateRequest:
    """The request body as a GateRequest, or UsageError naming the field (a 422)."""
    try:
        text = documents.decode(body, limits)
        raw = documents.parse(text, json_syntax=True, limits=limits)
    except DocumentError as exc:
        raise UsageError(exc.message, file="request body", line=exc.line) from None
    try:
        req = GateRequest.model_validate(raw)
    except ValidationError as exc:
        raise to_error(exc, UsageError, file="request body") from None
    given = [k for k in ("registry", "snapshot_digest", "snapshot")
             if getattr(req, k) is not None]
    if len(given) != 1:
        raise UsageError("give exactly one of registry, snapshot_digest or snapshot",
                         file="request body")
    return req


def gate_snapshot(service: Service, req: GateRequest) -> LoadedSnapshot:
    """The snapshot the request names: inline (validated, not stored), by digest, or the
    registry's newest stored capture."""
    if req.snapshot is not None:
        return validate(req.snapshot, origin="request body: snapshot", text=None)
    if req.snapshot_digest is not None:
        return service.snapshot(req.snapshot_digest)
    assert req.registry is not None
    return service.latest_snapshot(req.registry)


def router(service: Service, limits: Limits) -> APIRouter:
    api = APIRouter(tags=["gates"])

    @api.post("/v1/gate")
    async def gate(request: Request, _who: Principal = need(service, "gate")) -> Response:
        """The pre-deployment gate: allow or deny, with every gate that applies."""
        body = await request.body()

        def work() -> tuple[str, str]:
            req = gate_request(body, limits)
            snapshot = gate_snapshot(service, req)
            result = service.gate(snapshot, model=req.model, version=req.version,
                                  endpoint=req.endpoint, environment=req.environment,
                                  traffic=req.traffic_percent, at=req.at,
                                  deployment=req.deployment, stored=req.snapshot is None)
            assert result.gate is not None
            return result.to_json(), result.gate.decision

        text, decision = await run_in_threadpool(work)
        return Response(text, media_type="application/json",
                        headers={"Almguard-Decision": decision})

    return api
