"""API tokens: bearer tokens checked against stored SHA-256 hashes, with scopes.

- read: list and fetch scans, reports, diffs, lineage, the dashboard;
- scan: submit snapshots for scanning;
- gate: ask for gate decisions;
- admin: everything, and running schedules by hand.

No token: 401 (with WWW-Authenticate). A token without the scope: 403. The dashboard may
also carry the token in an HttpOnly cookie set by its login form; the cookie is accepted
for reading only, so a page on another site can never make a browser write through it.
Anonymous reading is off unless the config turns it on; anonymous writing is impossible.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import HTTPException, Request

from .config import hash_token

COOKIE = "almguard_token"


@dataclass(frozen=True)
class Principal:
    name: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


ANONYMOUS = Principal("anonymous", frozenset({"read"}))


class TokenTable:
    """hash -> principal; lookups compare hashes in constant time."""

    def __init__(self, table: dict[str, tuple[str, frozenset[str]]],
                 anonymous_read: bool = False) -> None:
        self._table = {digest: Principal(name, scopes)
                       for digest, (name, scopes) in table.items()}
        self.anonymous_read = anonymous_read

    def lookup(self, secret: str) -> Principal | None:
        digest = hash_token(secret)
        found = None
        for known, principal in self._table.items():
            if hmac.compare_digest(known, digest):
                found = principal
        return found

    def authenticate(self, request: Request, scope: str) -> Principal:
        """The caller, or HTTPException 401/403."""
        header = request.headers.get("authorization")
        secret: str | None = None
        if header is not None:
            kind, _, value = header.partition(" ")
            if kind.lower() != "bearer" or not value.strip():
                raise _unauthorized("the Authorization header must be 'Bearer <token>'")
            secret = value.strip()
        elif scope == "read" and request.method in ("GET", "HEAD"):
            secret = request.cookies.get(COOKIE)
        if secret is None:
            if scope == "read" and self.anonymous_read and request.method in ("GET", "HEAD"):
                return ANONYMOUS
            raise _unauthorized("an API token is required (Authorization: Bearer <token>)")
        principal = self.lookup(secret)
        if principal is None:
            raise _unauthorized("unknown API token")
        if not principal.allows(scope):
            raise HTTPException(status_code=403, detail=(
                f"token {principal.name!r} lacks the {scope!r} scope "
                f"(has: {', '.join(sorted(principal.scopes))})"))
        return principal


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message,
                         headers={"WWW-Authenticate": 'Bearer realm="almguard"'})
