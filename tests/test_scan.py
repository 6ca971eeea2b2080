"""Scanning: the result document, exit codes, determinism and partitioned evaluation."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.engines.embedded import EmbeddedEngine
from checker.generate import FAULTS, generate
from checker.canonical import compact_json
from checker.pipeline import Pipeline, Request
from checker.results import ResultDocument
from checker.sources.file import load_snapshot_text
from conftest import ROOT, SAMPLES


@pytest.fixture(scope="module")
def policies(bundled_policies):
    return bundled_policies


@pytest.fixture(scope="module")
def engine(embedded_engine):
    return embedded_engine


def scan_document(document, policies, engine, **kw) -> ResultDocument:
    snap = load_snapshot_text(json.dumps(document), origin="gen.json", suffix=".json")
    return Pipeline(policies, engine).scan(snap, Request(**kw))


def test_generated_compliant_registry_has_no_findings(policies, engine):
    result = scan_document(generate(300, violations=0.0), policies, engine)
    assert result.findings == [], [f.message for f in result.findings[:5]]
    assert result.summary.verdict == "pass" and result.exit_code == 0


def _with_evaluation(value: float | int, threshold: float | int) -> dict:
    document = generate(20, violations=0.0, seed=3)
    for model in document["models"]:
        for version in model["versions"]:
            for evaluation in version.get("evaluations") or ():
                evaluation["value"], evaluation["threshold"] = value, threshold
    return document


@pytest.mark.parametrize(("value", "threshold", "findings"), [
    (1234567890123456, 1234567890123456.0, False),   # the same double, written two ways
    (1234567890123456.0, 1234567890123456, False),
    (9007199254740991.0, 9007199254740991, False),   # regorus misreads the decimal
    (9007199254740992, 9007199254740993.0, False),   # 2^53 + 1 is the double 2^53
    (1234567890123400, 1234567890123456.0, True),    # apart in the first 15 digits
    (2.3266280602497e16, 2.3266280602498e16, True),   # given as integers
    (1.7976931348623157e308, 1.7976931348623157e308, False),   # the largest double
])
def test_equal_numbers_are_judged_equal_however_written(policies, engine, value, threshold,
                                                        findings):
    result = scan_document(_with_evaluation(value, threshold), policies, engine)
    below = [f for f in result.findings if f.rule_id == "ALM-EVAL-001"]
    assert bool(below) == findings, [f.message for f in result.findings[:3]]


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_generated_fault_is_found_in_its_category(fault, policies, engine):
    document = generate(5, violations=0.0)
    model = document["models"][0]
    category = FAULTS[fault](model, model["versions"][-1], document["deployments"][0])
    result = scan_document(document, policies, engine)
    assert result.findings, f"fault {fault} produced no finding"
    assert {f.category for f in result.findings} == {category}


def decision_in_parts(document, policies, engine, batch_weight):
    pipeline = Pipeline(policies, engine)
    parts = pipeline.parts(document, batch_weight=batch_weight)
    return pipeline.decide(document["registry"], parts, Request()), len(parts)


def whole_decision(document, engine):
    """The decision of the whole snapshot as one input, as a bare OPA answers it."""
    return engine.decide(compact_json(document))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(versions=st.integers(1, 60), share=st.floats(0, 1), seed=st.integers(0, 10_000),
       shared_endpoints=st.booleans())
def test_partitioned_evaluation_equals_whole_evaluation(versions, share, seed,
                                                        shared_endpoints, policies, engine):
    document = generate(versions, violations=share, seed=seed, versions_per_model=3)
    if shared_endpoints and len(document["deployments"]) > 1:
        # two models behind one endpoint: the component must keep them together
        document["deployments"][1]["endpoint"] = document["deployments"][0]["endpoint"]
        document["deployments"][1]["traffic_percent"] = 50
    split, parts = decision_in_parts(document, policies, engine, batch_weight=1)
    merged, _ = decision_in_parts(document, policies, engine, batch_weight=10**9)
    whole = whole_decision(document, engine)
    assert split == merged == whole
    assert parts >= 1


def test_endpoint_shared_by_two_models_is_checked_as_one(policies, engine):
    document = generate(6, violations=0.0, versions_per_model=3)
    first, second = document["deployments"]
    second["endpoint"] = first["endpoint"]  # 100 % + 100 % on one endpoint
    result = scan_document(document, policies, engine)
    assert [f.rule_id for f in result.findings if f.resource.kind == "endpoint"] == \
        ["ALM-ROLL-002"]


def test_result_is_byte_identical_across_runs_and_worker_counts(policies):
    document = generate(400, violations=0.5, seed=3)
    texts = set()
    for workers in (1, 2):
        with EmbeddedEngine(workers=workers, parallel_threshold=2) as engine:
            engine.load(policies)
            texts.add(scan_document(document, policies, engine).to_json())
    assert len(texts) == 1


def test_findings_are_sorted_by_severity_rule_and_resource(policies, engine):
    result = scan_document(generate(200, violations=0.8, seed=9), policies, engine)
    keys = [f.sort_key() for f in result.findings]
    assert keys == sorted(keys) and len(keys) > 10


def test_fail_on_threshold_decides_the_exit_code(policies, engine):
    document = generate(5, violations=0.0)
    document["models"][0]["name"] = "Bad_Name"  # ALM-REG-002, low
    for dep in document["deployments"]:
        if dep["model"] == "model-000000":
            dep["model"] = "Bad_Name"
    low = scan_document(document, policies, engine, fail_on="low")
    high = scan_document(document, policies, engine, fail_on="high")
    assert {f.severity for f in low.findings} == {"low"}
    assert low.exit_code == 1 and high.exit_code == 0
    assert high.summary.findings == 1  # still reported, just not failing


def test_json_stdout_is_only_the_document(cli, tmp_path: Path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(generate(20, violations=1.0, seed=1)))
    run = cli("scan", str(path), "--format", "json")
    assert run.code == 1
    document = ResultDocument.model_validate(json.loads(run.stdout))
    assert document.summary.findings == len([f for f in document.findings if not f.waived])
    assert run.stderr == ""


def test_output_file_gets_the_result_and_stderr_a_summary(cli, tmp_path: Path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(generate(10, violations=0.0)))
    out = tmp_path / "result.json"
    run = cli("scan", str(path), "--format", "json", "--output", str(out))
    assert run.code == 0 and run.stdout == ""
    assert json.loads(out.read_text())["summary"]["verdict"] == "pass"
    assert "pass" in run.stderr and str(out) in run.stderr


def test_yaml_and_json_forms_give_the_same_result(cli, tmp_path: Path):
    document = generate(15, violations=1.0, seed=4)
    import yaml
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(document, sort_keys=True))
    (tmp_path / "b.json").write_text(json.dumps(document, indent=3))
    a = cli("scan", str(tmp_path / "a.yaml"), "--format", "json")
    b = cli("scan", str(tmp_path / "b.json"), "--format", "json")
    assert a.stdout == b.stdout and a.code == b.code == 1


def test_table_output_groups_by_severity_and_ends_with_summary(cli, tmp_path: Path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(generate(30, violations=1.0, seed=2)))
    run = cli("scan", str(path))
    assert run.code == 1
    lines = run.stdout.strip().splitlines()
    assert lines[-1].startswith("FAIL: ")
    headings = [line.split(" (")[0] for line in lines if line.split(" (")[0] in
                ("CRITICAL", "HIGH", "MEDIUM", "LOW")]
    order = ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
    assert headings == sorted(headings, key=order.index) and headings


def test_rules_command_lists_the_catalog(cli):
    run = cli("rules", "--format", "json")
    rules = json.loads(run.stdout)
    assert run.code == 0 and len(rules) >= 30
    assert all({"id", "severity", "category", "title", "controls"} <= set(r) for r in rules)


def test_output_to_a_device_writes_through_and_keeps_the_device(cli, tmp_path: Path):
    import os
    import stat
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    path = tmp_path / "g.json"
    path.write_text(json.dumps(generate(5, violations=0.0)))
    import threading
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    run = cli("scan", str(path), "--format", "json", "--output", str(fifo))
    reader.join(timeout=60)
    assert run.code == 0, run.stderr
    assert json.loads(received[0])["summary"]["verdict"] == "pass"
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # not replaced by a regular file


def _run_with_umask(umask: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "checker", *args], capture_output=True,
                          text=True, timeout=300, cwd=ROOT, umask=umask, check=False,
                          env={**os.environ, "NO_COLOR": "1"})


def test_written_files_get_the_umasks_mode_and_keep_an_existing_mode(tmp_path: Path):
    """scan -o, report --html and -o, bundle build -o: the mode a plain open() gives (0666
    less the umask), not mkstemp's 0600; a file written over keeps its mode."""
    compliant = str(SAMPLES / "compliant.yaml")
    for umask, expected in ((0o022, 0o644), (0o027, 0o640)):
        folder = tmp_path / f"umask{umask:o}"
        folder.mkdir()
        writes = {"result.json": ("scan", compliant, "--format", "json", "-o"),
                  "report.html": ("report", compliant, "--html"),
                  "bundle.tar.gz": ("bundle", "build", "-o")}
        if umask == 0o022:  # one PDF is enough: rendering it takes seconds
            writes["report.pdf"] = ("report", compliant, "-o")
        for name, args in writes.items():
            run = _run_with_umask(umask, *args, str(folder / name))
            assert run.returncode == 0, run.stderr
            assert stat.S_IMODE((folder / name).stat().st_mode) == expected, (name, umask)
        assert sorted(p.name for p in folder.iterdir()) == sorted(writes)  # no temp files
    existing = tmp_path / "umask22" / "result.json"
    existing.chmod(0o604)
    run = _run_with_umask(0o077, "scan", compliant, "--format", "json", "-o", str(existing))
    assert run.returncode == 0 and stat.S_IMODE(existing.stat().st_mode) == 0o604


def test_output_into_a_missing_directory_is_an_error_naming_it(cli, tmp_path: Path):
    compliant = str(SAMPLES / "compliant.yaml")
    missing = tmp_path / "missing" / "dir"
    for args in (("scan", compliant, "--format", "json", "-o"), ("report", compliant, "-o"),
                 ("bundle", "build", "-o")):
        target = missing / ("r.pdf" if args[0] == "report" else "r.out")
        run = cli(*args, str(target))
        assert run.code == 2, (args, run.stderr)
        error = [line for line in run.stderr.splitlines() if "error" in line]
        expected = (f"almguard: error: {target}: cannot write output: directory {missing} "
                    "does not exist")
        assert error == [expected], run.stderr
        assert not (tmp_path / "missing").exists()


def test_an_output_never_replaces_an_input_or_another_output(cli, tmp_path: Path):
    """-o onto the snapshot (or a symlink to it), --attest onto it, two outputs on one file:
    refused before anything is read or written, the input left as it was."""
    snapshot = tmp_path / "snap.yaml"
    snapshot.write_bytes((SAMPLES / "compliant.yaml").read_bytes())
    before = snapshot.read_bytes()
    (tmp_path / "link.yaml").symlink_to(snapshot)
    cases = [
        (("scan", str(snapshot), "--format", "json", "-o", str(tmp_path / "link.yaml")),
         "-o", "SNAPSHOT"),
        (("bom", str(snapshot), "-o", str(snapshot)), "-o", "SNAPSHOT"),
        (("report", str(snapshot), "--html", str(snapshot)), "--html", "SNAPSHOT"),
        (("report", str(snapshot), "-o", str(tmp_path / "r.pdf"), "--html",
          str(tmp_path / "r.pdf")), "-o", "--html"),
    ]
    for args, first, second in cases:
        run = cli(*args)
        assert run.code == 2, (args, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("almguard: error: " + first), lines
        assert second in lines[0], lines
        assert snapshot.read_bytes() == before
        assert not (tmp_path / "r.pdf").exists()
    run = cli("scan", str(snapshot), "--format", "json", "-o", os.devnull)
    assert run.code == 0, run.stderr  # a device may be named as often as one likes
