"""What the service's two faces (the API's routers and the dashboard) read from a request,
and how they say what is wrong with it, in one line.

- validation_line: a failed check of a path, query or body parameter (FastAPI's
  RequestValidationError) as the project's one converter (checker.validation) says it:
  ``query.limit: input should be greater than or equal to 1 (got '0')``;
- time_param and against_param: the query parameters both faces take (400 when bad);
- decode_body: a request body as text, refused as the CLI refuses a file.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError

from .. import documents
from ..documents import DocumentError, Limits
from ..errors import SnapshotError
from ..validation import first_problem
from .store import to_utc


def validation_line(exc: RequestValidationError) -> str:
    """FastAPI's check of a request parameter as one line (`query.limit: ...`)."""
    return first_problem(list(exc.errors())).text


def time_param(name: str, value: str | None) -> datetime | None:
    """An RFC 3339 query parameter as naive UTC (None if absent); 400 if it is not one."""
    if value is None:
        return None
    try:
        return to_utc(value)
    except ValueError as exc:
        raise HTTPException(status_code=400, detail=f"{name}: {exc}") from None


def against_param(value: str) -> int | None:
    """The `against` of a diff: a scan id, or `previous` (None); 400 otherwise."""
    text = value.strip() or "previous"
    if text == "previous":
        return None
    try:
        return int(text)
    except ValueError:
        raise HTTPException(status_code=400, detail="against: a scan id or 'previous'") \
            from None


def decode_body(body: bytes, limits: Limits) -> str:
    """A request body as text (UTF-8, within the limits), or SnapshotError naming it."""
    try:
        return documents.decode(body, limits)
    except DocumentError as exc:
        raise SnapshotError(exc.message, file="request body", line=exc.line) from None
