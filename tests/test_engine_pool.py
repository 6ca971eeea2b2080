"""The pooled embedded engine the service uses: every evaluation in worker processes, any
thread may call it, gates that arrive together run side by side, and a worker that dies
fails closed (an EngineError, never an answer) and is replaced."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from checker.engines.embedded import EmbeddedEngine
from checker.engines.interface import DECISION, FINDINGS
from checker.errors import EngineError
from checker.gate import make_proposal
from checker.generate import generate
from checker.pipeline import Pipeline, Request
from checker.service.config import Evaluation
from checker.service.evaluator import Evaluator
from checker.sources.file import FileSource
from checker.canonical import engine_json
from checker.sources.interface import LoadedSnapshot, validate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pooled(bundled_policies):  # noqa: ANN001, ANN201 - pytest fixtures
    engine = EmbeddedEngine(workers=2, pooled=True)
    engine.load(bundled_policies)
    yield engine
    engine.close()


def _samples() -> list[str]:
    return [str(ROOT / "samples" / f"{name}.yaml") for name in
            ("compliant", "messy", "audit-scenario", "foundry-agent", "retired-past-retention")]


def test_pooled_engine_answers_as_the_in_process_one(pooled, embedded_engine):  # noqa: ANN001
    texts = [engine_json(FileSource(Path(p)).load().document).decode() for p in _samples()]
    for query in (FINDINGS, DECISION):
        assert pooled.evaluate(texts, query) == embedded_engine.evaluate(texts, query)


def _generated(versions: int, seed: int) -> LoadedSnapshot:
    return validate(generate(versions, violations=0.2, seed=seed), origin="generated",
                    text=None)


def _gates(snapshot: LoadedSnapshot, count: int) -> list:  # noqa: ANN401
    document = snapshot.document
    return [make_proposal(d["model"], d["version"], d["endpoint"], environment=None,
                          traffic=10, at=None, document=document)
            for d in document["deployments"][:count]]


def test_concurrent_gates_give_the_same_results_as_one_at_a_time(pooled, bundled_policies):  # noqa: ANN001
    snapshot = _generated(300, 7)
    pipeline = Pipeline(bundled_policies, pooled)
    baseline = pipeline.baseline(snapshot)
    proposals = _gates(snapshot, 24)
    alone = [pipeline.gate(snapshot, p, None, Request(), baseline).to_json()
             for p in proposals]
    together: dict[int, str] = {}

    def client(k: int) -> None:
        for i in range(k, len(proposals), 4):
            together[i] = pipeline.gate(snapshot, proposals[i], None, Request(),
                                        baseline).to_json()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [together[i] for i in range(len(proposals))] == alone
    assert len(set(alone)) > 1  # the proposals are judged differently, not one cached answer


def _worker_pids(engine: EmbeddedEngine) -> list[int]:
    return engine._worker_pool().pids()  # noqa: SLF001 - the test kills the engine's own workers


def test_a_dead_worker_fails_the_call_and_the_pool_is_replaced(pooled):  # noqa: ANN001
    text = engine_json(FileSource(ROOT / "samples" / "messy.yaml").load().document).decode()
    expected = pooled.evaluate([text], DECISION)
    for pid in _worker_pids(pooled):
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(EngineError, match="worker failed"):
        pooled.evaluate([text], DECISION)
    assert pooled.evaluate([text], DECISION) == expected


def test_service_gate_is_not_answered_by_a_dead_pool_and_recovers() -> None:
    evaluator = Evaluator(Evaluation())
    try:
        snapshot = _generated(60, 3)
        proposal = _gates(snapshot, 1)[0]
        expected = evaluator.gate(snapshot, proposal).to_json()
        engine = evaluator.engine
        assert isinstance(engine, EmbeddedEngine) and engine.concurrent
        for pid in _worker_pids(engine):
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(EngineError):
            evaluator.gate(snapshot, proposal)
        assert evaluator.gate(snapshot, proposal).to_json() == expected
    finally:
        evaluator.close()


def test_a_policy_error_in_a_worker_is_reported_and_the_pool_stays_usable(bundled_policies):  # noqa: ANN001, E501
    """An evaluation error inside a worker is the same one-line PolicyError, with its file
    and line, as in this process; it does not count as a dead worker."""
    from dataclasses import replace

    from checker.errors import PolicyError
    from checker.policyset import Module

    broken = Module(file="broken.rego", path="broken.rego", text=(
        "package almguard.broken\n\nimport rego.v1\n\nvalue := to_number(input.registry.name)\n"))
    policies = replace(bundled_policies, modules=(*bundled_policies.modules, broken))
    text = engine_json(FileSource(ROOT / "samples" / "messy.yaml").load().document).decode()
    engine = EmbeddedEngine(workers=2, pooled=True)
    try:
        engine.load(policies)
        for _ in range(2):
            with pytest.raises(PolicyError) as raised:
                engine.evaluate([text], "data.almguard.broken.value")
            assert raised.value.file == "broken.rego" and raised.value.line == 5
        assert engine.evaluate([text], DECISION)[0]["summary"]["verdict"] == "fail"
    finally:
        engine.close()


def test_large_inputs_use_the_workers_even_when_few(bundled_policies, embedded_engine):  # noqa: ANN001, E501
    """Two partitions of a 10,000-version registry are worth both cores: they are sent to
    the workers, and the answers are those of this process."""
    from checker.engines.embedded import PARALLEL_CHARS
    from checker.partition import partition

    texts = [engine_json(part).decode() for part in
             partition(generate(6000, violations=0.1, seed=3), batch_weight=4000)][:2]
    assert sum(map(len, texts)) >= PARALLEL_CHARS
    engine = EmbeddedEngine(workers=2)
    try:
        engine.load(bundled_policies)
        assert engine.evaluate(texts) == embedded_engine.evaluate(texts)
        assert engine._pool is not None  # noqa: SLF001 - the workers answered
    finally:
        engine.close()


def test_a_worker_killed_under_concurrent_scans_fails_each_with_an_engine_error(bundled_policies):  # noqa: ANN001, E501
    """Threads evaluating many inputs on one pool when a worker dies: each gets its answers
    or an EngineError (the pool closed under it), never another exception, never a hang."""
    text = engine_json(FileSource(ROOT / "samples" / "messy.yaml").load().document).decode()
    engine = EmbeddedEngine(workers=2, pooled=True)
    outcomes: list[str] = []
    try:
        engine.load(bundled_policies)
        engine.evaluate([text])   # the workers are up

        def scan() -> None:
            try:
                engine.evaluate([text] * 80, DECISION)
                outcomes.append("answered")
            except EngineError:
                outcomes.append("EngineError")
            except Exception as exc:  # noqa: BLE001 - what the test is about
                outcomes.append(type(exc).__name__)

        threads = [threading.Thread(target=scan) for _ in range(3)]
        for thread in threads:
            thread.start()
        threading.Event().wait(0.3)
        os.kill(_worker_pids(engine)[0], signal.SIGKILL)
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads)
        assert set(outcomes) <= {"answered", "EngineError"} and "EngineError" in outcomes
    finally:
        engine.close()
