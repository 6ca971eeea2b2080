"""A bounded fuzzing harness: mutated samples through the real command line, and random
gate proposals through both engines.

Every run must end in exit 0, 1 or 2; exit 2 is one line on stderr, never a traceback or
an "internal error"; nothing takes longer than 5 s. A proposal is decided alike on both
engines, and no variation of a denied proposal (a later time, a pending waiver, a laxer
environment, a lookalike endpoint) turns it into an allow.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.cli import main
from checker.errors import AlmguardError
from checker.gate import make_proposal
from checker.pipeline import Pipeline, Request
from checker.waivers import parse_waivers
from conftest import SAMPLE_SNAPSHOTS
from mutations import mutated_snapshot
from tests_fuzz_support import HOSTILE_VALUES, nodes, replace

SAMPLES_AS_JSON = {p.name: json.dumps(yaml.safe_load(p.read_text())) for p in SAMPLE_SNAPSHOTS}

HOSTILE = st.sampled_from(HOSTILE_VALUES)
_nodes, _replace = nodes, replace


@st.composite
def mutated_text(draw) -> tuple[str, str]:
    """A sample's JSON with one structural edit, or a few raw character edits."""
    name = draw(st.sampled_from(sorted(SAMPLES_AS_JSON)))
    text = SAMPLES_AS_JSON[name]
    if draw(st.booleans()):
        document = json.loads(text)
        for _ in range(draw(st.integers(1, 3))):
            path = draw(st.sampled_from(_nodes(document)))
            document = _replace(document, path, draw(HOSTILE))
        return name, json.dumps(document, ensure_ascii=draw(st.booleans()))
    chars = list(text)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(chars)))
        op = draw(st.sampled_from(["insert", "delete", "truncate"]))
        if op == "insert":
            chars.insert(at, draw(st.sampled_from(list('{}[]",:\\0e-\t\n\u200b'))))
        elif op == "delete" and chars:
            del chars[min(at, len(chars) - 1)]
        else:
            chars = chars[:at]
    return name, "".join(chars)


def run_inprocess(*argv: str) -> tuple[int, str, str, float]:
    """The CLI in this process; the time is CPU time (the run is single-process with
    --workers 1), so a loaded machine does not make a quick refusal look slow."""
    out, err = io.StringIO(), io.StringIO()
    started = time.process_time()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue(), time.process_time() - started


def assert_well_behaved(code: int, stderr: str, elapsed: float, what: str) -> None:
    assert code in (0, 1, 2), (what, code, stderr)
    assert "Traceback" not in stderr and "internal error" not in stderr, (what, stderr)
    if code == 2:
        assert stderr.count("\n") == 1 and stderr.startswith("almguard: error: "), \
            (what, stderr)
    assert elapsed < 5.0, (what, f"{elapsed:.1f} s")


def test_mutated_snapshots_end_in_a_clean_exit(tmp_path: Path, record_figure):
    outcomes: dict[int, int] = {}

    @settings(max_examples=int(os.environ.get("ALMGUARD_FUZZ_EXAMPLES", "50")),
              deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=mutated_text(), command=st.sampled_from(["scan", "gate", "lineage"]))
    def check(case, command):
        name, text = case
        path = tmp_path / "fuzzed.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        if command == "scan":
            argv = ["scan", str(path), "--format", "json", "--workers", "1"]
        elif command == "gate":
            argv = ["gate", str(path), "--model", "credit-risk-scorer", "--version", "2.1.0",
                    "--endpoint", "credit-risk-prod", "--format", "json", "--workers", "1"]
        else:
            argv = ["lineage", str(path), "--endpoint", "credit-risk-prod", "--workers", "1"]
        code, _, stderr, elapsed = run_inprocess(*argv)
        assert_well_behaved(code, stderr, elapsed, f"{command} of mutated {name}")
        outcomes[code] = outcomes.get(code, 0) + 1

    check()
    record_figure(f"Fuzzing: {sum(outcomes.values())} mutated samples through scan, gate and "
                  f"lineage; exits {dict(sorted(outcomes.items()))}, no traceback")
    assert outcomes.get(2, 0) > 0 and outcomes.get(0, 0) + outcomes.get(1, 0) > 0


# --- gates on both engines -------------------------------------------------------------

@pytest.fixture(scope="module")
def pipelines(engine_pair, bundled_policies):
    embedded, server = engine_pair
    return Pipeline(bundled_policies, embedded), Pipeline(bundled_policies, server)


def _decide(pipeline: Pipeline, snapshot, proposal_args: dict, request: Request):
    """The gate's decision, or "refused" for a request the checker or decision refuses."""
    try:
        proposal = make_proposal(document=snapshot.document, **proposal_args)
        return pipeline.gate(snapshot, proposal, None, request).gate.decision
    except AlmguardError:
        return "refused"


def _pending_waivers(snapshot) -> Request:
    waivers = [{"rule_id": rule, "resource": "*", "justification": "later",
                "approved_by": "cro@contoso.com", "approved_at": "2030-01-01T00:00:00Z",
                "expires_at": "2030-06-01T00:00:00Z"}
               for rule in sorted({"ALM-LIN-001", "ALM-ROLL-001", "ALM-EVAL-001",
                                   "ALM-APPR-001", "ALM-REG-008"})]
    return Request(waivers=parse_waivers({"waivers": waivers}, origin="<fuzz>"))


@pytest.mark.slow
def test_random_gates_agree_on_both_engines_and_cannot_be_bent(pipelines, record_figure):
    denied: list[int] = []

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data(), seed=st.integers(0, 10_000), versions=st.integers(2, 15),
           share=st.floats(0, 1))
    def check(data, seed, versions, share):
        snapshot = mutated_snapshot(data, seed=seed, versions=versions, share=share)
        model = data.draw(st.sampled_from(snapshot.document["models"]))
        endpoints = sorted({d["endpoint"] for d in snapshot.document["deployments"]})
        args = {"model": model["name"],
                "version": data.draw(st.sampled_from([v["version"]
                                                      for v in model["versions"]])),
                "endpoint": data.draw(st.sampled_from(endpoints + ["brand-new"])),
                "environment": None,
                "traffic": data.draw(st.sampled_from([5.0, 10.0, 100.0])), "at": None}
        embedded, server = pipelines
        a = _decide(embedded, snapshot, args, Request())
        b = _decide(server, snapshot, args, Request())
        assert a == b, (args, a, b)
        if a != "deny":
            return
        denied.append(seed)
        variants = [
            (dict(args, at="2026-11-21T08:00:00Z"), Request()),
            (dict(args, endpoint=args["endpoint"].upper()), Request()),
            (dict(args, endpoint=args["endpoint"] + "\u200b"), Request()),
            (args, _pending_waivers(snapshot)),
            (args, Request(waivers_at="2020-01-01T00:00:00Z")),
        ]
        if args["endpoint"] in endpoints:   # a new endpoint may be a development one
            variants.append((dict(args, environment="development"), Request()))
        for variant, request in variants:
            for pipeline in pipelines:
                assert _decide(pipeline, snapshot, variant, request) != "allow", variant

    check()
    record_figure(f"Gate property: 60 random proposals decided alike on regorus and OPA; "
                  f"{len(denied)} denied ones tried with up to 6 variations each, none allowed")
    assert denied
