"""The text an engine evaluates: engine_json finds by a scan of the canonical JSON that a
document needs no rounding, and is then the canonical JSON itself; it must equal the
rounded document's canonical JSON for every document, whatever its numbers and strings."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings, strategies as st

from checker.canonical import (_LONG_NUMBER, _has_long_number, canonical_json, engine_form,
                               engine_json, engine_number)

_scalars = (st.floats(allow_nan=False, allow_infinity=False)
            | st.integers(min_value=-(2**53), max_value=2**53)
            | st.text(alphabet="0123456789.e-+abc", max_size=24) | st.booleans() | st.none())
_documents = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                          max_leaves=20)


@settings(max_examples=2000, deadline=None)
@given(_documents)
def test_engine_json_is_the_canonical_json_of_the_rounded_document(document) -> None:  # noqa: ANN001
    assert engine_json(document) == canonical_json(engine_form(document))


def test_a_float_beyond_fifteen_digits_is_rounded_and_others_are_kept() -> None:
    assert engine_json({"v": 3.9999999999999996}) == b'{"v":4.0}'
    assert engine_json({"v": 12345678.12345678}) == b'{"v":12345678.1234568}'
    assert engine_json({"v": 0.1, "s": "1234567890123456789"}) == \
        b'{"s":"1234567890123456789","v":0.1}'


# texts of JSON-ish pieces, with digit runs near, at and beyond the length that counts
_texts = st.lists(st.sampled_from([b":", b",", b"[", b"]", b"{", b"}", b"-", b"e", b'"', b"a",
                                   b"\n", b".", b"7", b"0123456789", b"12345", b"9.87654"]),
                  max_size=40).map(b"".join)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(_texts, _documents.map(canonical_json)))
def test_the_masked_scan_finds_what_the_pattern_finds(text: bytes) -> None:
    assert _has_long_number(text) == (_LONG_NUMBER.search(text) is not None)


@pytest.mark.parametrize("text", [
    b"3.9999999999999996", b"[1,3.9999999999999996]", b'{"v":-3.9999999999999996}',
    b'{"v":1.2345678901234567e-05}', b'{"a":"x","v":12345678.12345678}',
    b'{"v":"1234567890123456789","w":0.1}', b"1234567890123456.", b'{"v":0.5,"w":1e16}',
    b'"sha256:0123456789012345e"', b"0000000000000000" * 3 + b"x" + b"1" * 20 + b"]",
    b":1234567890123456\nx", b"1234567890123456\n\n", b"[1234567890123456\n]",
    b"[1234567890123456\n",
])
def test_the_masked_scan_at_the_edges(text: bytes) -> None:
    assert _has_long_number(text) == (_LONG_NUMBER.search(text) is not None)


@pytest.mark.parametrize(("written", "judged"), [
    (1234567890123456, 1234567890123460), (1234567890123456.0, 1234567890123460),
    (9007199254740991.0, 9007199254740990), (9007199254740994.0, 9007199254740990),
    (999999999999999, 999999999999999), (999999999999999.9, 1000000000000000),
    (5.0, 5.0), (123456789012345, 123456789012345),
])
def test_integers_and_floats_are_rounded_alike(written: float, judged: int | float) -> None:
    # from 10^15 on the rounded value is whole and given as an integer: both engines read
    # integers exactly (regorus misreads 9007199254740991.0 as a decimal)
    assert engine_number(written) == judged and type(engine_number(written)) is type(judged)


@pytest.mark.parametrize("value", [1.7976931348623157e308, -1.7976931348623157e308,
                                   1.7976931348623155e308, 1.79769313486231e308])
def test_the_largest_doubles_stay_finite(value: float) -> None:
    judged = engine_number(value)
    assert math.isfinite(judged) and abs(judged) <= abs(value)
    assert len(repr(abs(judged)).split("e")[0].replace(".", "")) <= 15
    assert b"null" not in engine_json({"v": value})


_finite = st.floats(allow_nan=False, allow_infinity=False)
_numbers = _finite | st.integers(-(2**53), 2**53)


@settings(max_examples=3000, deadline=None)
@given(_finite)
def test_every_finite_float_stays_finite_within_fifteen_digits(value: float) -> None:
    judged = engine_number(value)
    assert math.isfinite(judged)
    assert float(f"{judged:.15g}") == judged      # at most 15 significant digits


@settings(max_examples=3000, deadline=None)
@given(_numbers, _numbers)
def test_the_order_of_numbers_is_kept_and_equal_ones_stay_equal(a: float, b: float) -> None:
    if a <= b:
        assert engine_number(a) <= engine_number(b)
    if a == b:
        assert engine_number(a) == engine_number(b)
