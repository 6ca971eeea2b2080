"""A gate with a baseline re-evaluates only the proposal's neighbourhood: the result must be
byte-identical to evaluating the whole what-if registry, for any registry and proposal."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.canonical import compact_json
from checker.gate import apply_proposal, make_proposal
from checker.generate import generate
from checker.pipeline import Pipeline
from checker.partition import neighbourhood
from mutations import mutated_snapshot


def _share_datasets(document: dict, data) -> None:
    """Let one model train on another model's dataset: components linked by data only."""
    models = document["models"]
    if len(models) < 2 or not data.draw(st.booleans()):
        return
    source, target = data.draw(st.permutations(models))[:2]
    ref = (source["versions"][0].get("lineage") or {}).get("training_data")
    lineage = target["versions"][-1].get("lineage")
    if ref and lineage is not None:
        lineage.setdefault("training_data", []).append(dict(ref[0]))


def _proposal(document: dict, data):
    model = data.draw(st.sampled_from(document["models"]))
    version = data.draw(st.sampled_from([v["version"] for v in model["versions"]] + ["9.9.9"]))
    endpoints = sorted({d["endpoint"] for d in document["deployments"]}) + ["new-endpoint"]
    # at the capture, or within the allowed clock skew after it
    at = data.draw(st.sampled_from([None, document["registry"]["captured_at"].replace(
        ":00Z", ":00+00:00"), "2026-11-20T08:04:00Z"]))
    return make_proposal(
        model["name"], version, data.draw(st.sampled_from(endpoints)),
        environment=data.draw(st.sampled_from([None, "production"])),
        traffic=data.draw(st.sampled_from([5.0, 10.0, 50.0, 100.0])),
        at=at, document=document)


@pytest.mark.slow
@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data(), seed=st.integers(0, 10_000), versions=st.integers(2, 30),
       share=st.floats(0, 1))
def test_gate_with_baseline_equals_full_evaluation(data, seed, versions, share,
                                                   bundled_policies, embedded_engine):
    policies, engine = bundled_policies, embedded_engine
    snapshot = mutated_snapshot(data, seed=seed, versions=versions, share=share,
                                edit=_share_datasets)
    proposal = _proposal(snapshot.document, data)
    pipeline = Pipeline(policies, engine)
    full = pipeline.gate(snapshot, proposal)
    fast = pipeline.gate(snapshot, proposal, baseline=pipeline.baseline(snapshot))
    assert fast.to_json() == full.to_json()
    # and a bare decision request with the what-if snapshot as one input agrees
    what_if = apply_proposal(snapshot.document, proposal)
    bare = engine.decide(compact_json({"snapshot": what_if, "proposal": proposal.model_dump()}))
    assert bare["gate"] == json.loads(full.to_json())["gate"]
    assert bare["findings"] == json.loads(full.to_json())["findings"]


def test_neighbourhood_follows_shared_datasets_but_claims_only_its_component():
    document = generate(9, violations=0.0, versions_per_model=3)
    a, b, c = document["models"][:3]
    shared = a["versions"][0]["lineage"]["training_data"][0]
    b["versions"][0]["lineage"]["training_data"].append(dict(shared))
    endpoint_a = next(d["endpoint"] for d in document["deployments"] if d["model"] == a["name"])
    sub, resources = neighbourhood(document, a["name"], endpoint_a)
    names = {m["name"] for m in sub["models"]}
    assert a["name"] in names and b["name"] in names and c["name"] not in names
    assert ("model", a["name"]) in resources and ("model", b["name"]) not in resources
    assert ("dataset", f"{shared['dataset']}@{shared['version']}") in resources
