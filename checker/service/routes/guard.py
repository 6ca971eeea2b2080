"""Who may call a route: a bearer token with the route's scope (auth.TokenTable), and no
state-changing request that a browser says comes from another site (security.cross_site)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException, Request

from ..auth import Principal
from ..security import cross_site
from ..service import Service


def need(service: Service, scope: str) -> Any:
    """The dependency of a route that needs `scope`: the caller, or 401/403."""
    def dependency(request: Request) -> Principal:
        foreign = cross_site(request)
        if foreign is not None:
            raise HTTPException(status_code=403, detail=f"refused: {foreign}; "
                                "state-changing requests come from this service's own "
                                "pages or from clients that are not browsers")
        return service.tokens.authenticate(request, scope)
    return Depends(dependency)
