"""API tokens: bearer tokens checked against stored SHA-256 hashes, with scopes.

- read: list and fetch scans, reports, diffs, lineage, the dashboard;
- scan: submit snapshots for scanning;
- gate: ask for gate decisions;
- admin: everything, and running schedules by hand.

No token: 401 (with WWW-Authenticate). A token without the scope: 403. The dashboard's
login form exchanges a token for a session: a random id in an HttpOnly cookie that grants
reading only (whatever the token's scopes), expires after SESSION_HOURS, is forgotten at
logout, and is never the token itself. Sessions are kept in the database as the SHA-256 of
the id (store.Store), so they survive restarts and work on every replica. The cookie is
accepted for GET requests only, so a page on another site can never make a browser write
through it. Anonymous reading is off unless the config turns it on; anonymous writing is
impossible.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from fastapi import HTTPException, Request

from ..times import utc_now
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


class SessionStore(Protocol):
    """Where sessions live: by the SHA-256 of their id, with whose they are and an expiry
    (naive UTC). store.Store is one; MemorySessions the other."""

    def add_session(self, id_sha256: str, principal: str, expires_at: datetime) -> None: ...

    def session_principal(self, id_sha256: str) -> str | None: ...

    def delete_session(self, id_sha256: str) -> None: ...


def _now() -> datetime:
    return utc_now().replace(tzinfo=None)


class MemorySessions:
    """Sessions in this process only (a TokenTable without a database)."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, tuple[str, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def add_session(self, id_sha256: str, principal: str, expires_at: datetime) -> None:
        with self._lock:
            self._items[id_sha256] = (principal, expires_at)
            while len(self._items) > MAX_SESSIONS:
                self._items.popitem(last=False)

    def session_principal(self, id_sha256: str) -> str | None:
        with self._lock:
            found = self._items.get(id_sha256)
            if found is None or found[1] < _now():
                self._items.pop(id_sha256, None)
                return None
            return found[0]

    def delete_session(self, id_sha256: str) -> None:
        with self._lock:
            self._items.pop(id_sha256, None)


class TokenTable:
    """hash -> principal; lookups compare hashes in constant time. Also the dashboard's
    read-only sessions (in `sessions`: the database, or this process's memory)."""

    def __init__(self, table: dict[str, tuple[str, frozenset[str]]],
                 anonymous_read: bool = False, *,
                 sessions: SessionStore | None = None) -> None:
        self._table = {digest: Principal(name, scopes)
                       for digest, (name, scopes) in table.items()}
        self.anonymous_read = anonymous_read
        self._sessions: SessionStore = sessions if sessions is not None else MemorySessions()

    def open_session(self, principal: Principal) -> str:
        """A new read-only session for a logged-in principal; returns its cookie value."""
        session_id = secrets.token_urlsafe(32)
        self._sessions.add_session(hash_token(session_id), principal.name,
                                   _now() + timedelta(hours=SESSION_HOURS))
        return session_id

    def close_session(self, session_id: str) -> None:
        self._sessions.delete_session(hash_token(session_id))

    def session(self, session_id: str) -> Principal | None:
        """The read-only principal of an unexpired session, or None."""
        name = self._sessions.session_principal(hash_token(session_id))
        return None if name is None else Principal(name, frozenset({"read"}))

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
