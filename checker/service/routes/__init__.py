"""The HTTP API's routers, one module per resource; each is a thin face over the service
layer (service.Service): it reads the request, calls the service, and shapes the answer.

    health.py      GET /healthz, /readyz
    scans.py       POST/GET /v1/scans, GET /v1/scans/{id}, /v1/scans/{id}/diff
    reports.py     GET /v1/scans/{id}/report.{json,sarif,html,pdf}
    gates.py       POST /v1/gate
    lineage.py     GET /v1/lineage
    registries.py  GET /v1/registries
    schedules.py   GET /v1/schedules, /v1/schedules/{name}/runs, .../notifications;
                   POST .../run
    retention.py   POST /v1/retention/run, GET /v1/retention/log, GET /v1/holds,
                   PUT/DELETE /v1/scans/{id}/hold
"""

from __future__ import annotations

from fastapi import APIRouter

from ...documents import Limits
from ..service import Service
from . import gates, health, lineage, registries, reports, retention, scans, schedules


def api_routers(service: Service, limits: Limits) -> list[APIRouter]:
    """Every router of the API, in the order of the OpenAPI document."""
    return [health.router(service), scans.router(service, limits), reports.router(service),
            gates.router(service, limits), lineage.router(service),
            registries.router(service), schedules.router(service), retention.router(service)]
