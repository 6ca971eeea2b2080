"""GET /v1/lineage?registry=R&endpoint=E&at=TIME: what the endpoint served at `at`
(default: the newest snapshot) and which data trained it, from the stored snapshot in
force then. GET /v1/served?registry=R&at=TIME: the same for every endpoint of the
registry (the dashboard's /served is its report)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from ...views import lineage_json
from ..auth import Principal
from ..inputs import time_param
from ..service import Service
from .guard import need


def router(service: Service) -> APIRouter:
    api = APIRouter(tags=["lineage"])

    @api.get("/v1/lineage")
    def lineage(registry: str, endpoint: str, at: str | None = None,
                _who: Principal = need(service, "read")) -> Response:
        """What the endpoint served at `at` (default: the newest snapshot) and which data
        trained it, from the stored snapshot in force then."""
        answer, snapshot = service.lineage(registry, endpoint, time_param("at", at))
        data = orjson.loads(lineage_json(answer))
        data["snapshot"] = {"digest": snapshot.digest,
                            "captured_at": snapshot.document["registry"]["captured_at"]}
        if at is not None:
            data["at"] = at
        return JSONResponse(data)

    @api.get("/v1/served")
    def served(registry: str, at: str | None = None,
               _who: Principal = need(service, "read")) -> Response:
        """What served each endpoint of the registry at `at`, and which data trained it."""
        answers, snapshot = service.served_at(registry, time_param("at", at))
        return JSONResponse({
            "registry": registry, "at": at,
            "snapshot": {"digest": snapshot.digest,
                         "captured_at": snapshot.document["registry"]["captured_at"]},
            "endpoints": [orjson.loads(lineage_json(a)) for a in answers]})

    return api
