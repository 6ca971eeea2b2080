"""API tokens: bearer tokens checked against stored SHA-256 hashes, with scopes.

- read: list and fetch scans, reports, diffs, lineage, the dashboard;
- scan: submit snapshots for scanning;
- gate: ask for gate decisions;
- admin: everything, and running schedules by hand.

No token: 401 (with WWW-Authenticate). A token without the scope: 403. The dashboard's
login form exchanges a token for a session: a random id in an HttpOnly cookie that grants
reading only (whatever the token's scopes), expires after SESSION_HOURS, is forgotten at
logout or restart, and is never the token itself. The cookie is accepted for GET requests
only, so a page on another site can never make a browser write through it. Anonymous
reading is off unless the config turns it on; anonymous writing is impossible.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from fastapi import HTTPException, Request

from .config import hash_token

COOKIE = "almguard_session"
SESSION_HOURS = 12
MAX_SESSIONS = 10_000


@dataclass(frozen=True)
class Principal:
    name: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes


ANONYMOUS = Principal("anonymous", frozenset({"read"}))


class TokenTable:
    """hash -> principal; lookups compare hashes in constant time. Also the dashboard's
    read-only sessions (in memory)."""

    def __init__(self, table: dict[str, tuple[str, frozenset[str]]],
                 anonymous_read: bool = False) -> None:
        self._table = {digest: Principal(name, scopes)
                       for digest, (name, scopes) in table.items()}
        self.anonymous_read = anonymous_read
        self._sessions: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def open_session(self, principal: Principal) -> str:
        """A new read-only session for a logged-in principal; returns its cookie value."""
        session_id = secrets.token_urlsafe(32)
        reader = Principal(principal.name, frozenset({"read"}))
        with self._lock:
            self._sessions[hash_token(session_id)] = (reader,
                                                      time.monotonic() + SESSION_HOURS * 3600)
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return session_id

    def close_session(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(hash_token(session_id), None)

    def session(self, session_id: str) -> Principal | None:
        key = hash_token(session_id)
        with self._lock:
            found = self._sessions.get(key)
            if found is None:
                return None
            if found[1] < time.monotonic():
                del self._sessions[key]
                return None
            return found[0]

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
        elif scope == "read" and request.method in ("GET", "HEAD") \
                and request.cookies.get(COOKIE):
            session = self.session(request.cookies[COOKIE])
            if session is None:
                raise _unauthorized("the session has expired: log in again")
            return session
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
