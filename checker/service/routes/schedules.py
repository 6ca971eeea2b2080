"""Schedules: GET /v1/schedules (next and last run of each), GET /v1/schedules/{name}/runs
(run history with errors), GET /v1/schedules/{name}/notifications (deliveries and their
attempts), POST /v1/schedules/{name}/run (run now and wait; 409 if it is running)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from ..auth import Principal
from ..scheduler import RunInProgress
from ..service import Service
from ..store import NotificationInfo, RunInfo, rfc3339
from .guard import need


def run_json(run: RunInfo) -> dict[str, Any]:
    return {"id": run.id, "schedule": run.schedule, "slot": rfc3339(run.slot),
            "started_at": rfc3339(run.started_at),
            "finished_at": None if run.finished_at is None else rfc3339(run.finished_at),
            "status": run.status, "error": run.error, "scan_id": run.scan_id,
            "scans": run.scans, "replica": run.replica}


def notification_json(item: NotificationInfo) -> dict[str, Any]:
    return {"id": item.id, "schedule": item.schedule, "run_id": item.run_id,
            "target": item.target, "events": item.events, "status": item.status,
            "attempts": item.attempts, "created_at": rfc3339(item.created_at),
            "delivered_at": None if item.delivered_at is None else rfc3339(item.delivered_at),
            "last_error": item.last_error, "log": item.log}


def router(service: Service) -> APIRouter:
    api = APIRouter(tags=["schedules"])

    @api.get("/v1/schedules")
    def schedules(_who: Principal = need(service, "read")) -> dict[str, Any]:
        return {"schedules": [
            {"name": s.name, "cron": s.cron, "source": s.source, "target": s.target,
             "running": s.running,
             "next_run": rfc3339(s.next_run),
             "last_run": None if s.last_run is None else run_json(s.last_run)}
            for s in service.schedules()]}

    @api.get("/v1/schedules/{name}/runs")
    def schedule_runs(name: str, limit: int = Query(default=50, ge=1, le=500),
                      _who: Principal = need(service, "read")) -> dict[str, Any]:
        return {"runs": [run_json(r) for r in service.schedule_runs(name, limit)]}

    @api.get("/v1/schedules/{name}/notifications")
    def schedule_notifications(name: str, limit: int = Query(default=50, ge=1, le=500),
                               _who: Principal = need(service, "read")) -> dict[str, Any]:
        return {"notifications": [notification_json(n)
                                  for n in service.schedule_notifications(name, limit)]}

    @api.post("/v1/schedules/{name}/run", status_code=200)
    async def run_schedule(name: str,
                           _who: Principal = need(service, "admin")) -> dict[str, Any]:
        """Run a schedule now and wait for it; 409 if it is running already."""
        try:
            run = await run_in_threadpool(service.run_schedule, name)
        except RunInProgress as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        return run_json(run)

    return api
