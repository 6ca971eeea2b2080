"""The ASGI application: the API's routers (routes/), the dashboard's pages (dashboard.py),
the body limit, and how errors are answered. Both faces call the service layer
(service.Service); neither imports the other.

API errors are JSON `{"detail": "<one line>"}`: 400 bad request, 401/403 auth, 404 not
found, 409 a schedule already running, 413 body too large, 422 snapshot or request rejected
(the same line the CLI prints), 503 could not evaluate (fail closed: no gate ever passes on
an error). Dashboard pages answer errors as pages (dashboard.PageRoute).
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from .. import __version__
from ..documents import Limits
from ..errors import AlmguardError, CacheError, EngineError, PolicyError
from .bodylimit import BodyLimit, BodyTooLarge
from .dashboard import dashboard_router
from .inputs import validation_line
from .routes import api_routers
from .service import NotFound, Service
from .store import StoreError, first_line

log = logging.getLogger("almguard.api")


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

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_request: Request, _exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse(status_code=413, content={"detail": (
            f"request body is larger than the limit of {limits.max_bytes} bytes "
            "(max_body_bytes)")})

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": validation_line(exc)})

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    @app.exception_handler(AlmguardError)
    async def _almguard(_request: Request, exc: AlmguardError) -> JSONResponse:
        if isinstance(exc, (EngineError, PolicyError)):
            log.error("evaluation failed: %s", exc)
            return JSONResponse(status_code=503, content={
                "detail": f"could not evaluate (fail closed): {str(exc)}"})
        if isinstance(exc, (StoreError, CacheError)):   # where the service runs, not the
            log.error("storage failed: %s", exc)         # request, is at fault
            return JSONResponse(status_code=503, content={"detail": str(exc)})
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(SQLAlchemyError)
    async def _database(_request: Request, exc: SQLAlchemyError) -> JSONResponse:
        log.error("database error: %s", exc)
        return JSONResponse(status_code=503, content={
            "detail": f"database unavailable: {first_line(exc)}"})

    for router in api_routers(service, limits):
        app.include_router(router)
    app.include_router(dashboard_router(service))
    return app
