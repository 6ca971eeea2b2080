"""The partition cache: a rescan evaluates only what changed, a cached result is
byte-identical to a cold one, and an entry that is corrupt or not its key's is recomputed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.cache import PartCache, cache_secret
from checker.canonical import canonical_json
from checker.generate import generate
from checker.pipeline import Pipeline, Request
from checker.sources.file import load_snapshot_text
from mutations import mutated_snapshot


def _snapshot(document: dict):
    return load_snapshot_text(json.dumps(document), origin="g.json", suffix=".json")


def test_cached_results_are_byte_identical_to_cold_ones(bundled_policies, embedded_engine,
                                                        tmp_path_factory):
    cold = Pipeline(bundled_policies, embedded_engine)

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data(), seed=st.integers(0, 10_000), versions=st.integers(1, 40),
           share=st.floats(0, 1), fail_on=st.sampled_from(["low", "high"]))
    def check(data, seed, versions, share, fail_on):
        snapshot = mutated_snapshot(data, seed=seed, versions=versions, share=share)
        cache = PartCache(tmp_path_factory.mktemp("cache"))
        warm = Pipeline(bundled_policies, embedded_engine, cache)
        request = Request(fail_on=fail_on)
        first = warm.parts(snapshot.document, batch_weight=20)
        again = warm.parts(snapshot.document, batch_weight=20)
        assert first == again and cache.hits == len(first) and cache.misses == len(first)
        assert warm.scan(snapshot, request).to_json() == cold.scan(snapshot, request).to_json()

    check()


def test_a_rescan_evaluates_only_the_changed_models(bundled_policies, embedded_engine,
                                                    tmp_path: Path):
    document = generate(3000, violations=0.1, seed=11)
    cache = PartCache(tmp_path / "cache")
    pipeline = Pipeline(bundled_policies, embedded_engine, cache)
    parts = len(pipeline.parts(_snapshot(document).document, batch_weight=200))
    assert cache.misses == parts > 10
    changed = document["models"][len(document["models"]) // 2]
    changed["owner"] = ""                              # one model edited
    changed["versions"].append({**changed["versions"][-1], "version": "9.0.0"})  # one added
    cache.hits = cache.misses = 0
    pipeline.parts(_snapshot(document).document, batch_weight=200)
    assert cache.misses <= 2 and cache.hits >= parts - 2, (cache.hits, cache.misses, parts)


def test_corrupt_or_foreign_entries_are_recomputed(bundled_policies, embedded_engine,
                                                   tmp_path: Path):
    snapshot = _snapshot(generate(4500, violations=0.2, seed=3))   # several partitions
    cold = Pipeline(bundled_policies, embedded_engine).scan(snapshot).to_json()
    cache = PartCache(tmp_path / "cache")
    warm = Pipeline(bundled_policies, embedded_engine, cache)
    warm.scan(snapshot)
    entries = sorted((tmp_path / "cache").rglob("*.json"))
    assert len(entries) >= 3
    # a flipped byte, an entry copied under another key, a truncated file, a forged part
    entries[0].write_bytes(entries[0].read_bytes().replace(b'"findings"', b'"findingz"', 1))
    entries[1].write_bytes(entries[-1].read_bytes())
    entries[-1].write_bytes(entries[-1].read_bytes()[:40])
    cache.hits = cache.misses = cache.rejected = 0
    assert warm.scan(snapshot).to_json() == cold
    assert cache.rejected == 3
    forged = json.loads(entries[0].read_text())
    forged["part"]["findings"] = []
    entries[0].write_text(json.dumps(forged))
    assert warm.scan(snapshot).to_json() == cold      # the checksum no longer matches


def _forge(entry: Path) -> None:
    """Empty an entry's findings and seal it again as a writer without the secret can."""
    forged = json.loads(entry.read_text())
    forged["part"]["findings"] = []
    content = forged["key"].encode() + b"\n" + canonical_json(forged["part"])
    forged["seal"] = {"sha256": hashlib.sha256(content).hexdigest()}
    entry.write_text(json.dumps(forged))


def test_a_sealed_cache_recomputes_forged_entries(bundled_policies, embedded_engine,
                                                   tmp_path: Path):
    snapshot = _snapshot(generate(600, violations=0.3, seed=4))
    cold = Pipeline(bundled_policies, embedded_engine).scan(snapshot)
    assert cold.findings
    sealed = PartCache(tmp_path / "cache", secret=b"ci secret")
    Pipeline(bundled_policies, embedded_engine, sealed).scan(snapshot)
    entries = sorted((tmp_path / "cache").rglob("*.json"))
    for entry in entries:
        _forge(entry)
    # without the secret the forgery is taken (a SHA-256 finds damage, not forgery) ...
    plain = Pipeline(bundled_policies, embedded_engine, PartCache(tmp_path / "cache"))
    assert plain.scan(snapshot).findings == []
    # ... with it, every forged entry, and every entry under another secret, is recomputed
    for entry in entries:
        _forge(entry)
    resealed = PartCache(tmp_path / "cache", secret=b"ci secret")
    warm = Pipeline(bundled_policies, embedded_engine, resealed)
    assert warm.scan(snapshot).to_json() == cold.to_json()
    assert resealed.rejected == len(entries) and resealed.hits == 0
    other = PartCache(tmp_path / "cache", secret=b"another secret")
    assert Pipeline(bundled_policies, embedded_engine, other).scan(snapshot).to_json() == \
        cold.to_json()
    assert other.rejected == len(entries)


def test_the_secret_comes_from_the_environment() -> None:
    assert cache_secret({"ALMGUARD_CACHE_KEY": "s3cret"}) == b"s3cret"
    assert cache_secret({"ALMGUARD_CACHE_KEY": ""}) is None and cache_secret({}) is None
    # bytes that are not UTF-8 (os.environ holds them as surrogate escapes) are kept as set
    assert cache_secret({"ALMGUARD_CACHE_KEY": "\udcff"}) == b"\xff"


def test_scan_cache_option_through_the_cli(cli, tmp_path: Path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(generate(200, violations=0.2, seed=5)))
    first = cli("scan", str(path), "--format", "json", "--cache", str(tmp_path / "c"))
    second = cli("scan", str(path), "--format", "json", "--cache", str(tmp_path / "c"))
    plain = cli("scan", str(path), "--format", "json")
    assert first.code == second.code == plain.code == 1
    assert first.stdout == second.stdout == plain.stdout
    assert any((tmp_path / "c").rglob("*.json"))


def test_cli_refuses_a_cache_it_cannot_use(cli, tmp_path: Path):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(generate(20, violations=0.2, seed=5)))
    afile = tmp_path / "afile"
    afile.write_text("mine")
    done = cli("scan", str(path), "--cache", str(afile))
    assert done.code == 2
    assert done.stderr == f"almguard: error: {afile}: cannot use the cache directory: it is " \
        "not a directory\n"
    assert afile.read_text() == "mine"
    empty = cli("scan", str(path), "--cache", "")
    assert empty.code == 2 and "--cache: needs a path, not an empty string" in empty.stderr


def test_cli_seals_with_the_secret_from_the_environment(cli, tmp_path: Path, monkeypatch):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(generate(200, violations=0.2, seed=5)))
    monkeypatch.setenv("ALMGUARD_CACHE_KEY", "ci secret")
    first = cli("scan", str(path), "--format", "json", "--cache", str(tmp_path / "c"))
    entries = sorted((tmp_path / "c").rglob("*.json"))
    assert entries and all("hmac-sha256" in json.loads(e.read_text())["seal"] for e in entries)
    for entry in entries:
        _forge(entry)
    second = cli("scan", str(path), "--format", "json", "--cache", str(tmp_path / "c"))
    assert second.code == first.code == 1 and second.stdout == first.stdout
