"""GET /healthz (liveness) and /readyz (readiness: the database and the policy engine)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ...errors import AlmguardError
from ..service import Service


def router(service: Service) -> APIRouter:
    api = APIRouter(tags=["health"])

    @api.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @api.get("/readyz")
    def readyz() -> JSONResponse:
        """Readiness: the database answers and the policy engine evaluates with the
        policies (an engine that lost them, e.g. an OPA server restarted empty, is given
        them again first)."""
        try:
            ready = service.readiness()
        except AlmguardError as exc:
            return JSONResponse(status_code=503, content={"status": "unavailable",
                                                          "detail": str(exc)})
        return JSONResponse({"status": "ready", **ready})

    return api
