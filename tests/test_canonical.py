"""The text an engine evaluates: engine_json finds by a scan of the canonical JSON that a
document needs no rounding, and is then the canonical JSON itself; it must equal the
rounded document's canonical JSON for every document, whatever its numbers and strings."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from checker.canonical import canonical_json, engine_form, engine_json

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
