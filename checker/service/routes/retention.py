"""Retention and legal holds: POST /v1/retention/run (apply the policy now; admin),
GET /v1/retention/log (what was deleted, when, by which rule), PUT/DELETE
/v1/scans/{id}/hold (a legal hold: retention never deletes the scan; admin), GET /v1/holds.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from ...errors import ConfigError
from ..auth import Principal
from ..retention import Deletion, Hold
from ..service import Service
from ..store import rfc3339
from .guard import need


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


def deletion_json(item: Deletion) -> dict[str, Any]:
    return {"scan_id": item.scan_id, "registry": item.registry,
            "scan_created_at": rfc3339(item.scan_created_at),
            "snapshot_digest": item.snapshot_digest,
            "snapshot_deleted": item.snapshot_deleted, "rule": item.rule,
            "deleted_at": rfc3339(item.deleted_at)}


def hold_json(hold: Hold) -> dict[str, Any]:
    return {"scan_id": hold.scan_id, "reason": hold.reason, "placed_by": hold.placed_by,
            "placed_at": rfc3339(hold.placed_at)}


def router(service: Service) -> APIRouter:
    api = APIRouter(tags=["retention"])

    @api.post("/v1/retention/run")
    async def run_retention(_who: Principal = need(service, "admin")) -> dict[str, Any]:
        try:
            deleted = await run_in_threadpool(service.run_retention)
        except ConfigError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        return {"deleted": [deletion_json(d) for d in deleted]}

    @api.get("/v1/retention/log")
    def log(limit: int = Query(default=100, ge=1, le=1000),
            _who: Principal = need(service, "read")) -> dict[str, Any]:
        return {"deleted": [deletion_json(d) for d in service.retention_log(limit)]}

    @api.get("/v1/holds")
    def holds(_who: Principal = need(service, "read")) -> dict[str, Any]:
        return {"holds": [hold_json(h) for h in service.holds()]}

    @api.put("/v1/scans/{scan_id}/hold")
    def place(scan_id: int, body: HoldRequest,
              who: Principal = need(service, "admin")) -> dict[str, Any]:
        return hold_json(service.place_hold(scan_id, body.reason, who.name))

    @api.delete("/v1/scans/{scan_id}/hold", status_code=204)
    def release(scan_id: int, _who: Principal = need(service, "admin")) -> None:
        service.release_hold(scan_id)

    return api
