"""Times: the one place almguard reads, writes and takes RFC 3339 instants.

What is accepted is what snapshot-v1 writes (docs/snapshot.md, "Times"): upper-case T and Z,
seconds required, up to nine fraction digits, a zone, a day that exists, years 0001-9999,
offsets up to ±23:59, no leap second — the instants policies/almguard/lib/time.rego reads.
Text is checked field by field, never by datetime (which takes offsets such as -00:60 and
would then be the judge of what the policies see). Written times are UTC with ``Z``.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Literal

# The form: ASCII digits only (\d would take other scripts' digits), anchored with \Z ("$"
# would let a trailing newline through). _fields judges the values.
_RFC3339 = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))\Z")
_NO_ZONE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?")
# The same instants as one expression (the pattern of policies/almguard/lib/time.rego): a
# time it matches is real unless its year is 0000 or its day is past the 28th of a shorter
# month, so most times are judged by one match and a comparison; the rest by _fields.
_REAL = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1).toordinal()
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # not calendar's: locale-bound
_FRACTION = {"s": (0, 1), "ms": (3, 1000), "us": (6, 1)}


def _fields(value: str) -> tuple[int, int, int, int, int, int, int, int]:
    """Year, month, day, hour, minute, second, nanoseconds and offset (seconds east of UTC)
    of a time in the accepted form, checked field by field."""
    match = _RFC3339.fullmatch(value)
    if match is None:
        if _NO_ZONE.fullmatch(value):
            raise ValueError("not an RFC 3339 time: the time has no zone; add 'Z' or an "
                             "offset such as '+00:00'")
        raise ValueError("not an RFC 3339 time such as 2026-11-20T08:00:00Z "
                         "(upper-case T and Z, seconds required)")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, sign, off_hour, off_minute = match.groups()[6:]
    days = calendar.monthrange(year, month)[1] if year and 1 <= month <= 12 else 0
    problem = None
    if year == 0:
        problem = "year 0000 is not supported: the earliest supported year is 0001"
    elif not 1 <= month <= 12:
        problem = f"month {month:02d} does not exist"
    elif not 1 <= day <= days:
        problem = (f"day {day:02d} does not exist in {_MONTHS[month - 1]} {year:04d} "
                   f"(it has {days} days)")
    elif hour > 23:
        problem = f"hour {hour:02d} does not exist (00-23)"
    elif minute > 59:
        problem = f"minute {minute:02d} does not exist (00-59)"
    elif second == 60:
        problem = "leap seconds (second 60) are not supported"
    elif second > 59:
        problem = f"second {second:02d} does not exist (00-59)"
    elif sign is not None and (int(off_hour) > 23 or int(off_minute) > 59):
        problem = (f"offset {sign}{off_hour}:{off_minute} is not a UTC offset "
                   "(hours 00-23, minutes 00-59)")
    if problem is not None:
        raise ValueError(f"not a valid time {value!r}: {problem}")
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    offset = 0 if sign is None else (1 if sign == "+" else -1) * (
        int(off_hour) * 3600 + int(off_minute) * 60)
    return year, month, day, hour, minute, second, nanos, offset


def check_time(value: str) -> str:
    """The value if it is a time almguard accepts; ValueError saying why if not."""
    if _REAL.fullmatch(value) is None or value[8:10] > "28" or value.startswith("0000"):
        _fields(value)
    return value


def parse_time(value: str) -> datetime:
    """An accepted time as an aware datetime in its own offset, fraction truncated to
    microseconds; ValueError if it is not a time almguard accepts.

    It is not converted to UTC: 9999-12-31T23:59:59-01:00 is in year 10000 there, beyond
    datetime. Aware datetimes compare and subtract by instant without converting, so
    every accepted time compares without OverflowError (use utc_time to convert). For exact
    order below the microsecond, use time_ns.
    """
    year, month, day, hour, minute, second, nanos, offset = _fields(value)
    zone = UTC if offset == 0 else timezone(timedelta(seconds=offset))
    return datetime(year, month, day, hour, minute, second, nanos // 1000, tzinfo=zone)


def utc_time(value: str) -> datetime:
    """An accepted time as an aware UTC datetime; ValueError if it is not one, or if it
    lies beyond datetime once in UTC (9999-12-31T23:59:59-01:00)."""
    try:
        return parse_time(value).astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value} is out of range in UTC (after 9999-12-31T23:59:59Z)") \
            from None


def time_ns(value: str) -> int:
    """Nanoseconds since 1970-01-01T00:00:00Z of an accepted time, exactly (the instant the
    policies compute: negative before 1970, unbounded by int64 after 2262)."""
    year, month, day, hour, minute, second, nanos, offset = _fields(value)
    days = date(year, month, day).toordinal() - _EPOCH_DAY
    return (days * 86400 + hour * 3600 + minute * 60 + second - offset) * 10**9 + nanos


def format_time(moment: datetime, precision: Literal["s", "ms", "us"] = "s") -> str:
    """A datetime as RFC 3339 in UTC with ``Z`` (a naive one is taken as UTC): whole
    seconds, and milliseconds or microseconds at that precision when they are not zero."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    digits, unit = _FRACTION[precision]
    text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}")  # strftime does not pad year 999
    fraction = moment.microsecond // unit
    return f"{text}.{fraction:0{digits}d}Z" if digits and fraction else text + "Z"


def utc_now() -> datetime:
    """Now, as an aware UTC datetime (the only reading of the clock outside the service's
    injectable clocks: policies take "now" from the snapshot)."""
    return datetime.now(UTC)


def from_epoch_ms(millis: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime (exact: no float division)."""
    return _EPOCH + timedelta(milliseconds=millis)


def from_epoch_s(seconds: int) -> datetime:
    """Epoch seconds as an aware UTC datetime."""
    return _EPOCH + timedelta(seconds=seconds)
