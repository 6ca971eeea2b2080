"""The OPA engine against a real OPA server: agreement with the embedded engine, bundles,
and failing closed (unreachable, killed mid-scan, wrong token)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.engines.embedded import EmbeddedEngine
from checker.generate import FAULTS, generate
from checker.policyset import load_policies
from checker.bundle import build_bundle, write_conftest
from checker.pipeline import Pipeline
from checker.sources.file import FileSource, load_snapshot_text
from conftest import ROOT, SAMPLE_SNAPSHOTS, SAMPLES
from mutations import mutated_snapshot

FAULT_DIR = ROOT / "tests" / "faults"
FAULT_SNAPSHOTS = sorted(p for p in FAULT_DIR.glob("*.yaml") if p.name != "expected.yaml")


@pytest.fixture(scope="module")
def policies():
    return load_policies()


@pytest.fixture(scope="module")
def bundle_server(opa, policies, tmp_path_factory):
    """A bare OPA serving `almguard bundle build`, as a platform team runs it."""
    path = tmp_path_factory.mktemp("bundle") / "almguard.tar.gz"
    path.write_bytes(build_bundle(policies))
    proc, url = start_opa(opa, "--bundle", str(path))
    session = requests.Session()
    yield lambda document: session.post(f"{url}/v1/data/almguard/decision",
                                        json={"input": document}, timeout=60).json()["result"]
    stop(proc)


@pytest.fixture(scope="module")
def engines(engine_pair):
    return engine_pair


def assert_same(snapshot, policies, engines, bundle_server, label: str) -> None:
    """The scan on regorus, the scan through an OPA server, and a bare OPA serving the
    bundle asked for data.almguard.decision with the snapshot as input: one answer."""
    embedded, server = engines
    a = Pipeline(policies, embedded).scan(snapshot)
    b = Pipeline(policies, server).scan(snapshot)
    assert a.engine.name == "regorus" and b.engine.name == "opa"
    same_a = a.model_copy(update={"engine": b.engine}).to_json()
    if same_a != b.to_json():
        pytest.fail(f"engines disagree on {label}\nsnapshot:\n{json.dumps(snapshot.document)}\n"
                    f"regorus: {[f.model_dump() for f in a.findings]}\n"
                    f"opa:     {[f.model_dump() for f in b.findings]}")
    bare = bundle_server(snapshot.document)
    assert bare["errors"] == [], label
    mine = json.loads(a.to_json())
    assert bare["findings"] == mine["findings"], f"bare OPA disagrees on {label}"
    assert bare["summary"] == mine["summary"], f"bare OPA disagrees on {label}"
    assert bare["allow"] == (a.exit_code == 0)


@pytest.mark.slow
@pytest.mark.parametrize("path", SAMPLE_SNAPSHOTS + FAULT_SNAPSHOTS, ids=lambda p: p.name)
def test_engines_agree_on_samples_and_single_faults(path: Path, policies, engines,
                                                     bundle_server):
    assert_same(FileSource(path).load(), policies, engines, bundle_server, path.name)


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_engines_agree_on_generated_faults(fault, policies, engines, bundle_server):
    document = generate(10, violations=0.0, seed=1)
    model = document["models"][0]
    FAULTS[fault](model, model["versions"][1], document["deployments"][0])
    snap = load_snapshot_text(json.dumps(document), origin=fault, suffix=".json")
    assert_same(snap, policies, engines, bundle_server, f"fault {fault}")


@pytest.mark.slow
@pytest.mark.parametrize(("value", "threshold"), [
    (1234567890123456, 1234567890123456.0), (1234567890123456.0, 1234567890123456),
    (9007199254740991.0, 9007199254740991), (2.3266280602497e16, 2.3266280602498e16),
    (1234567890123400, 1234567890123456.0), (1.7976931348623157e308, 1.7976931348623157e308),
    (0.30000000000000004, 0.3),
], ids=str)
def test_engines_agree_on_numbers_at_the_edges(value, threshold, policies, engines,
                                               bundle_server):
    # (a bare OPA given 3.9999999999999996 against 4 judges the raw digits: docs/decision.md)
    document = generate(10, violations=0.0, seed=1)
    for model in document["models"]:
        for version in model["versions"]:
            for evaluation in version.get("evaluations") or ():
                evaluation["value"], evaluation["threshold"] = value, threshold
    snap = load_snapshot_text(json.dumps(document), origin="numbers", suffix=".json")
    assert_same(snap, policies, engines, bundle_server, f"value {value}, threshold {threshold}")


EXAMPLES = int(os.environ.get("ALMGUARD_DIFF_EXAMPLES", "200"))


@pytest.mark.slow
def test_engines_agree_on_generated_snapshots(policies, engines, bundle_server,
                                              record_figure):
    compared: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data(), seed=st.integers(0, 10_000), versions=st.integers(1, 24),
           share=st.floats(0, 1))
    def check(data, seed, versions, share):
        snap = mutated_snapshot(data, seed=seed, versions=versions, share=share,
                                versions_per_model=4)
        assert_same(snap, policies, engines, bundle_server, f"generated seed={seed}")
        compared.append(seed)

    check()
    record_figure(f"Engine agreement: {len(compared)} generated snapshots (plus every sample "
                  f"and single fault) compared: regorus, an OPA server and a bare OPA serving "
                  "the bundle, zero differences")
    assert len(compared) >= EXAMPLES // 2


@pytest.mark.slow
def test_malformed_input_gives_errors_on_a_bare_opa_never_fewer_findings(bundle_server):
    document = FileSource(SAMPLES / "messy.yaml").load().document
    for broken in (
        {**document, "registry": {"name": "r"}},                       # no clock
        {**document, "deployments": {"a": document["deployments"][0]}},
        {**document, "schema_version": 2},
        {**document, "registry": {**document["registry"],
                                  "captured_at": "2026-11-20T08:00:00"}},
        {**document, "models": [{**document["models"][0],
                                 "versions": [{**document["models"][0]["versions"][0],
                                               "version": 3}]}]},
    ):
        decision = bundle_server(broken)
        assert decision["errors"] and decision["findings"] == []
        assert decision["summary"]["verdict"] == "error" and decision["allow"] is False


@pytest.mark.slow
def test_conftest_reports_every_finding(conftest_binary, policies, tmp_path: Path):
    """conftest with `almguard bundle build --conftest DIR`: one deny or warn per finding,
    starting with its rule id; input errors are denies."""
    directory = tmp_path / "policy"
    write_conftest(policies, directory)
    with EmbeddedEngine(workers=1) as embedded:
        embedded.load(policies)
        for path in SAMPLE_SNAPSHOTS + FAULT_SNAPSHOTS:
            snapshot = FileSource(path).load()
            result = Pipeline(policies, embedded).scan(snapshot)
            document = tmp_path / f"{path.stem}.json"
            document.write_text(json.dumps(snapshot.document))
            proc = subprocess.run([conftest_binary, "test", str(document), "--policy",
                                   str(directory), "--data", str(directory), "--output",
                                   "json", "--no-color"], capture_output=True, text=True,
                                  timeout=120)
            report = json.loads(proc.stdout)[0]
            denies = [m["msg"] for m in report.get("failures") or []]
            warns = [m["msg"] for m in report.get("warnings") or []]
            expected_deny = sorted(f.rule_id for f in result.findings if f.blocking)
            expected_warn = sorted(f.rule_id for f in result.findings if not f.blocking)
            assert sorted(m.split()[0] for m in denies) == expected_deny, path.name
            assert sorted(m.split()[0] for m in warns) == expected_warn, path.name
            assert (proc.returncode == 0) == (result.exit_code == 0), path.name
        broken = tmp_path / "broken.json"
        broken.write_text(json.dumps({"schema_version": 1, "registry": {"name": "r"}}))
        proc = subprocess.run([conftest_binary, "test", str(broken), "--policy",
                               str(directory), "--data", str(directory), "--no-color"],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1 and "ALM-INPUT registry.captured_at" in proc.stdout


# -- servers started by the tests ------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_opa(opa: str, *args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([opa, "run", "--server", "--addr", f"127.0.0.1:{port}",
                             "--log-level", "error", "--disable-telemetry", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if requests.get(url + "/health", timeout=1).status_code in (200, 401):
                return proc, url
        except requests.RequestException:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("opa did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait()


@pytest.mark.slow
def test_bundle_round_trip_through_a_real_server(opa, cli, tmp_path: Path):
    bundle = tmp_path / "almguard.tar.gz"
    built = cli("bundle", "build", "-o", str(bundle))
    assert built.code == 0 and bundle.exists(), built.stderr
    proc, url = start_opa(opa, "--bundle", str(bundle))
    try:
        served = cli("scan", str(SAMPLES / "messy.yaml"), "--engine", "opa", "--opa-url", url,
                     "--format", "json")
        embedded = cli("scan", str(SAMPLES / "messy.yaml"), "--format", "json")
        assert served.code == embedded.code == 1, served.stderr
        a, b = json.loads(served.stdout), json.loads(embedded.stdout)
        assert a.pop("engine")["name"] == "opa" and b.pop("engine")["name"] == "regorus"
        assert a == b
        # the served bundle is not silently replaced by other policies
        data = tmp_path / "data.yaml"
        data.write_text("almguard: {config: {rollout: {canary_min_duration_hours: "
                        "{high: 48, limited: 24, minimal: 24}}}}\n")
        other = cli("scan", str(SAMPLES / "messy.yaml"), "--engine", "opa", "--opa-url", url,
                    "--data", str(data))
        assert other.code == 2 and "serves an almguard bundle" in other.stderr
    finally:
        stop(proc)


def test_bundle_is_reproducible(cli, tmp_path: Path):
    a, b = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    assert cli("bundle", "build", "-o", str(a)).code == 0
    assert cli("bundle", "build", "-o", str(b)).code == 0
    assert a.read_bytes() == b.read_bytes()


def test_unreachable_server_fails_closed(cli):
    run = cli("scan", str(SAMPLES / "compliant.yaml"), "--engine", "opa", "--opa-url",
              f"http://127.0.0.1:{free_port()}", "--opa-timeout", "3")
    assert run.code == 2
    assert run.stderr.count("\n") == 1 and "unreachable" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.slow
def test_wrong_token_fails_closed(opa, cli, tmp_path: Path):
    authz = tmp_path / "authz.rego"
    authz.write_text("package system.authz\n\nimport rego.v1\n\ndefault allow := false\n\n"
                     'allow if input.identity == "s3cret"\n')
    proc, url = start_opa(opa, "--authentication=token", "--authorization=basic", str(authz))
    try:
        bad = cli("scan", str(SAMPLES / "compliant.yaml"), "--engine", "opa", "--opa-url", url,
                  "--opa-token", "wrong")
        assert bad.code == 2 and "authentication failed" in bad.stderr
        good = cli("scan", str(SAMPLES / "compliant.yaml"), "--engine", "opa", "--opa-url", url,
                   "--opa-token", "s3cret")
        assert good.code == 0, good.stderr
    finally:
        stop(proc)


@pytest.mark.slow
def test_server_killed_mid_scan_fails_closed(opa, tmp_path: Path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps(generate(30_000, violations=0.1, seed=5)))
    proc, url = start_opa(opa)
    scan = subprocess.Popen(
        ["python", "-m", "checker", "scan", str(path), "--engine", "opa", "--opa-url", url,
         "--workers", "1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until policies are pushed, then kill
            try:
                marker = requests.get(url + "/v1/data/almguard/bundle", timeout=1).json()
                if marker.get("result"):
                    break
            except requests.RequestException:
                pass
            time.sleep(0.05)
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)
        out, err = scan.communicate(timeout=120)
    finally:
        stop(proc)
        if scan.poll() is None:
            scan.kill()
    assert scan.returncode == 2, (out[-500:], err)
    assert out == "" and err.count("\n") == 1 and "OPA server" in err
