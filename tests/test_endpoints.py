"""The endpoint index a gate consults: the same answers as reading every deployment of the
snapshot, which is what make_proposal did before the index was kept with the snapshot."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from checker.endpoints import ENVIRONMENTS, Endpoints, name_key

# Names that collide: case, a Cyrillic 'а', a zero-width space, a dash variant, a combining
# mark, a trailing space.
_PARTS = ["a", "A", "\u0430", "b", "-", "\u2010", "\u200b", "e\u0301", "\u00e9", " ", "1"]
_names = st.lists(st.sampled_from(_PARTS), min_size=1, max_size=4).map("".join)
_deployments = st.lists(st.fixed_dictionaries(
    {"endpoint": _names, "environment": st.sampled_from([*ENVIRONMENTS, "other"])}),
    max_size=12)


def _lookalike_by_reading(endpoint: str, deployments: list[dict[str, str]]) -> str | None:
    key = name_key(endpoint)
    for existing in sorted({d["endpoint"] for d in deployments}):
        if existing != endpoint and name_key(existing) == key:
            return existing
    return None


def _strictest_by_reading(endpoint: str, deployments: list[dict[str, str]]) -> str | None:
    serving = [d["environment"] for d in deployments
               if d["endpoint"] == endpoint and d["environment"] in ENVIRONMENTS]
    return max(serving, key=ENVIRONMENTS.index, default=None)


@settings(max_examples=300, deadline=None)
@given(deployments=_deployments, endpoint=_names)
def test_the_index_answers_as_reading_every_deployment(deployments, endpoint) -> None:  # noqa: ANN001
    index = Endpoints({"deployments": deployments})
    for name in [endpoint, *(d["endpoint"] for d in deployments)]:
        assert index.lookalike(name) == _lookalike_by_reading(name, deployments)
        assert index.strictest(name) == _strictest_by_reading(name, deployments)


def test_a_lookalike_is_found_and_the_name_itself_is_not_one() -> None:
    index = Endpoints({"deployments": [
        {"endpoint": "cards-scoring", "environment": "production"},
        {"endpoint": "cards-scoring", "environment": "staging"}]})
    assert index.lookalike("Cards-Scoring") == "cards-scoring"
    assert index.lookalike("cards\u2010scoring\u200b") == "cards-scoring"
    assert index.lookalike("cards-scoring") is None
    assert index.strictest("cards-scoring") == "production"
    assert index.strictest("new-endpoint") is None
