"""How values are written in a report: times, shares and numbers, one way everywhere.

Shared by the view model (which pre-formats gate evidence) and the templates (as Jinja
filters), so a time reads the same on the cover, in the inventory and in a lifecycle row.
"""

from __future__ import annotations

import re

_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}):(\d{2})(\.\d+)?Z$")


def short_time(value: str | None) -> str:
    """'2026-07-20T09:00:00Z' as '2026-07-20 09:00 UTC' (seconds kept when not zero).

    Times with an offset are shown exactly as the snapshot wrote them: converting them
    would show the reader a time that appears nowhere in the evidence.
    """
    if not value:
        return ""
    match = _TIME.match(value)
    if not match:
        return value
    date, minutes, seconds, fraction = match.groups()
    clock = minutes if seconds == "00" and not fraction else f"{minutes}:{seconds}"
    return f"{date} {clock} UTC"


def compact_time(value: str | None) -> str:
    """'2026-07-20T09:00:00Z' as '2026-07-20 09:00' for dense tables whose legend says
    times are UTC; anything else (offsets, seconds) as short_time writes it."""
    text = short_time(value)
    return text[:-4] if text.endswith(" UTC") else text


def percent(value: float | None) -> str:
    """A compliance rate: one decimal at most, 'n/a' when nothing was checked."""
    if value is None:
        return "n/a"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{text} %"


def number(value: float | int) -> str:
    """90.0 as '90', 12.5 as '12.5': traffic shares and metrics as people write them."""
    return f"{value:g}"
