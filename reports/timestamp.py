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
from datetime import datetime
from typing import Mapping

from checker.errors import UsageError
from checker.times import format_time as rfc3339  # noqa: F401 - the form reports write
from checker.times import from_epoch_s, utc_now, utc_time


def parse_rfc3339(text: str) -> datetime:
    """An RFC 3339 time as almguard accepts it (checker.times), as a UTC datetime at second
    precision; ValueError saying why if it is not one."""
    return utc_time(text).replace(microsecond=0)


def from_epoch(text: str) -> datetime:
    """$SOURCE_DATE_EPOCH: a non-negative integer count of seconds."""
    if re.fullmatch(r"[0-9]{1,12}", text.strip()):
        try:
            return from_epoch_s(int(text.strip()))
        except OverflowError:
            pass
    raise UsageError(f"SOURCE_DATE_EPOCH={text!r}: expected integer seconds since "
                     "1970-01-01T00:00:00Z, before year 10000")


def resolve_generated_at(option: str | None,
                         environ: Mapping[str, str] | None = None) -> datetime:
    """The generation time given (an error about it names the path ``generated_at``), else
    $SOURCE_DATE_EPOCH, else now; UTC, second precision."""
    env = os.environ if environ is None else environ
    if option is not None:
        try:
            return parse_rfc3339(option)
        except ValueError as exc:
            raise UsageError(str(exc), path="generated_at") from None
    epoch = env.get("SOURCE_DATE_EPOCH")
    if epoch is not None and epoch.strip():
        return from_epoch(epoch)
    return utc_now().replace(microsecond=0)
