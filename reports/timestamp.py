"""When a report was generated: the one clock reading a report contains.

The result document never reads the clock (policies take "now" from the snapshot), so the
generation time is the only thing that could make two renderings of one result differ. It
is taken, in order, from ``--generated-at`` (RFC 3339), from ``$SOURCE_DATE_EPOCH`` (the
reproducible-builds convention: integer seconds since the epoch), or from the wall clock,
always in UTC at second precision, so that the PDF date fields and the cover agree and the
same inputs give the same bytes.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from typing import Mapping

from checker.errors import UsageError

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 time with a zone, as a UTC datetime without fractional seconds."""
    if not _RFC3339.match(text):
        raise UsageError(f"--generated-at {text!r}: not an RFC 3339 time such as "
                         "2026-11-20T08:00:00Z (upper-case T, seconds and a zone required)")
    # fromisoformat in 3.11 takes 'Z' but at most 6 fractional digits; we drop them anyway.
    cleaned = re.sub(r"\.\d+", "", text).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError as exc:
        raise UsageError(f"--generated-at {text!r}: {exc}") from None
    return parsed.astimezone(timezone.utc)


def from_epoch(text: str) -> datetime:
    """$SOURCE_DATE_EPOCH: a non-negative integer count of seconds."""
    if not re.fullmatch(r"\d{1,12}", text.strip()):
        raise UsageError(f"SOURCE_DATE_EPOCH={text!r}: expected integer seconds since "
                         "1970-01-01T00:00:00Z")
    return datetime.fromtimestamp(int(text.strip()), tz=timezone.utc)


def resolve_generated_at(option: str | None,
                         environ: Mapping[str, str] | None = None) -> datetime:
    """--generated-at, else $SOURCE_DATE_EPOCH, else now; UTC, second precision."""
    env = os.environ if environ is None else environ
    if option is not None:
        return parse_rfc3339(option)
    epoch = env.get("SOURCE_DATE_EPOCH")
    if epoch is not None and epoch.strip():
        return from_epoch(epoch)
    return datetime.now(timezone.utc).replace(microsecond=0)


def rfc3339(moment: datetime) -> str:
    """The canonical text form used on the cover and in the PDF metadata."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
