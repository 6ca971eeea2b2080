"""Canonical JSON and digests: one definition used for snapshots, policy data and results.

Canonical JSON is UTF-8, keys sorted, no insignificant whitespace, numbers in their shortest
round-trip form (orjson). orjson does this about five times faster than the standard
library on a 200 MB registry, which matters for the 100,000-version target.
"""

from __future__ import annotations

import gc
import hashlib
import math
import re
from contextlib import contextmanager
from typing import Any, Iterator

import orjson


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8 (results-v1: snapshot digest)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def compact_json(value: Any) -> str:
    """Compact JSON text for engine inputs (key order kept)."""
    return orjson.dumps(value).decode("utf-8")


def pretty_json(value: Any) -> str:
    """Deterministic JSON to read: key order kept, two-space indent, UTF-8 (no \\u escapes
    but for control characters), a trailing newline. What json.dumps(indent=2,
    ensure_ascii=False) writes, but for the exponent of very small or large numbers
    (0.00001, not 1e-05), and many times faster."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def digest_of(value: Any) -> str:
    return sha256(canonical_json(value))


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building millions of acyclic objects (JSON, models).

    Building a 100,000-version document triggers thousands of collections that each walk
    the growing heap; pausing makes loading several times faster. What was built is then
    frozen (moved out of the collector's view), since documents are never cyclic.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


# Significant digits both engines judge alike: regorus (celine-regorus 0.9.1) parses some
# 16- and 17-digit decimals one unit in the last place off (3.9999999999999996 as 4.0),
# OPA parses them exactly. 15-digit decimals compare alike on both (regorus may still read
# one with a large exponent a unit off, but never across another 15-digit value).
ENGINE_DIGITS = 15


# Rounded values from 10^15 on are whole numbers: they are given as integers, which both
# engines read exactly (regorus misreads some 16-digit decimals such as 9007199254740991.0),
# up to 10^18, well inside the 64-bit integers regorus reads.
_INTEGRAL_FROM, _INTEGRAL_BELOW = 1e15, 1e18


def engine_number(value: float | int) -> float | int:
    """A number as the engines are given it: rounded to ENGINE_DIGITS significant digits,
    integers and floats alike, so that equal numbers are judged equal however written and
    the order of numbers is kept. Rounding never leaves the finite doubles: where it would
    round past the largest one (1.7976931348623157e308), the digits are cut instead."""
    if isinstance(value, int) and -_INTEGRAL_FROM < value < _INTEGRAL_FROM:
        return value                    # at most 15 digits: exact as it is
    number = float(value)
    rounded = float(f"{number:.{ENGINE_DIGITS}g}")
    if math.isinf(rounded) and not math.isinf(number):
        mantissa, exponent = f"{number:.{ENGINE_DIGITS + 2}e}".split("e")
        rounded = float(f"{mantissa[:ENGINE_DIGITS + 1 + (number < 0)]}e{exponent}")
    if _INTEGRAL_FROM <= abs(rounded) < _INTEGRAL_BELOW:
        return int(rounded)
    if isinstance(value, float) and rounded == value:
        return value
    return rounded


def engine_form(value: Any) -> Any:
    """The value as the engines are given it: numbers as engine_number gives them (a copy
    where anything changes), so that both engines judge the same numbers. The snapshot's
    digest is of the document as written."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (float, int)):
        return engine_number(value)
    if isinstance(value, dict):
        return {k: engine_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [engine_form(v) for v in value]
    return value


# A number of more than ENGINE_DIGITS significant digits (an integer of 16 digits or more,
# or a float whose shortest form has 16 or more) is written with at least 16 characters of
# digits and points, as a value: after ':', ',' or '[' (or at the start) and before ',',
# ']', '}' or an exponent (or at the end; compact JSON has no white space). Digit runs
# inside strings (hex digests) rarely sit between those.
_LONG_NUMBER = re.compile(rb"(?:^|[:,\[])-?[0-9.]{%d,}(?:[eE,\]}]|$)" % (ENGINE_DIGITS + 1))
# Searched directly, that pattern tries a match at every ':' and ',' of the text (about
# 60 MB/s). Long runs of [0-9.] are rare, so they are found first in a mask of the text
# (each such byte as "0", every other as " "): a translate and a substring search, both at
# memory speed. The pattern is then tried only around each run.
_RUN_BYTES = bytes(48 if chr(c) in "0123456789." else 32 for c in range(256))
_RUN = b"0" * (ENGINE_DIGITS + 1)


# Floats from 10^16 to 10^18 are written with these exponents (from 10^15 to 10^16 in full,
# and so with 16 digits or more): engine_form gives them as integers, however few their
# digits.
_INTEGRAL_EXPONENTS = (b"e+16", b"e+17")


def _needs_rounding(text: bytes) -> bool:
    """Whether engine_form may change what this canonical JSON holds: a number of more
    than ENGINE_DIGITS digits (_LONG_NUMBER.search(text) is not None, by way of the mask)
    or one written with an exponent that makes it a whole number given as an integer (a
    false alarm, inside a string, only costs the walk)."""
    if b"e+1" in text and any(exponent in text for exponent in _INTEGRAL_EXPONENTS):
        return True
    return _has_long_number(text)


def _has_long_number(text: bytes) -> bool:
    """_LONG_NUMBER.search(text) is not None, by way of the mask."""
    mask = text.translate(_RUN_BYTES)
    size = len(mask)
    start = mask.find(_RUN)
    while start != -1:
        end = start + len(_RUN)
        while end < size and mask[end] == 48:   # to the end of this run
            end += 1
        # the run with what may surround a number: '-' and the byte before, the byte after,
        # and one more, so that `$` (which also matches before a final newline) matches
        # only where it does in the whole text
        if _LONG_NUMBER.search(text, max(start - 2, 0), end + 2) is not None:
            return True
        start = mask.find(_RUN, end)
    return False


def engine_json(value: Any) -> bytes:
    """Canonical JSON of engine_form(value): the text an engine evaluates. Most documents
    hold no number with so many digits: their canonical JSON is already the engine's, found
    by one scan of the text instead of a walk of the document in Python (a false alarm, such
    as a long digit run inside a string, only costs the walk)."""
    text = canonical_json(value)
    if not _needs_rounding(text):
        return text
    return canonical_json(engine_form(value))
