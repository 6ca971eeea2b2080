"""GET /v1/registries: every registry with stored scans, with its newest scan."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..auth import Principal
from ..service import Service
from .guard import need
from .scans import scan_json


def router(service: Service) -> APIRouter:
    api = APIRouter(tags=["scans"])

    @api.get("/v1/registries")
    def registries(_who: Principal = need(service, "read")) -> dict[str, Any]:
        return {"registries": [{"name": r.name, "scans": r.scans, "latest": scan_json(r.latest)}
                               for r in service.registries()]}

    return api
