"""Loading snapshots: shape checks with paths and lines, digests, and hostile input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from checker.documents import Limits
from checker.errors import SnapshotError
from checker.sources.file import FileSource, load_snapshot_text


def load(text: str, suffix: str = ".yaml", limits: Limits | None = None):
    return load_snapshot_text(text, origin=f"snap{suffix}", suffix=suffix, limits=limits)


def error_of(text: str, suffix: str = ".yaml", limits: Limits | None = None) -> str:
    with pytest.raises(SnapshotError) as info:
        load(text, suffix, limits)
    return str(info.value)


def test_minimal_snapshot_loads(minimal_text):
    snap = load(minimal_text)
    assert snap.model.models[0].versions[0].stage == "development"
    assert snap.digest.startswith("sha256:") and len(snap.digest) == 71


def test_yaml_and_reformatted_json_have_the_same_digest(minimal_text):
    doc = yaml.safe_load(minimal_text)
    as_json = json.dumps(doc, indent=7, sort_keys=False)
    reordered = json.dumps(dict(reversed(list(doc.items()))))
    assert load(minimal_text).digest == load(as_json, ".json").digest
    assert load(reordered, ".json").digest == load(minimal_text).digest


def test_a_changed_value_changes_the_digest(minimal_text):
    assert load(minimal_text).digest != load(minimal_text.replace('"2.1.0"', '"2.1.1"')).digest


def test_unknown_key_is_refused_with_its_path_and_line(minimal_text):
    text = minimal_text.replace("training_data:", "trainng_data:")
    assert error_of(text) == (
        "snap.yaml:12: models[0].versions[0].lineage.trainng_data: unknown field")


def test_time_without_zone_is_refused(minimal_text):
    text = minimal_text.replace('"2026-11-20T08:00:00Z"', '"2026-11-20T08:00:00"')
    message = error_of(text)
    assert "registry.captured_at" in message and "no zone" in message and ":2:" in message


def test_unquoted_yaml_time_stays_text_and_loads(minimal_text):
    snap = load(minimal_text.replace('"2026-11-20T08:00:00Z"', "2026-11-20T08:00:00Z"))
    assert snap.model.registry.captured_at == "2026-11-20T08:00:00Z"


def test_numeric_version_is_refused_with_a_hint(minimal_text):
    message = error_of(minimal_text.replace('version: "2.1.0"', "version: 2.1"))
    assert "models[0].versions[0].version" in message and "quote it" in message


def test_wrong_schema_version_is_refused(minimal_text):
    message = error_of(minimal_text.replace("schema_version: 1", "schema_version: 2"))
    assert "unsupported schema_version 2" in message


def test_duplicate_model_version_is_refused(minimal_text):
    text = minimal_text.replace("deployments: []", "") + \
        "  - name: credit-risk-scorer\n    versions: []\n"
    assert "duplicate model 'credit-risk-scorer'" in error_of(text)


def test_duplicate_yaml_key_is_refused(minimal_text):
    text = minimal_text.replace("owner: risk-ml", "owner: risk-ml\n    owner: other")
    assert "duplicate key 'owner'" in error_of(text)


def test_duplicate_json_key_is_refused():
    assert "duplicate key" in error_of('{"schema_version": 1, "schema_version": 1}', ".json")


def test_traffic_out_of_range_is_refused(minimal_text):
    text = minimal_text.replace("deployments: []", (
        "deployments:\n  - {endpoint: e, model: credit-risk-scorer, version: '2.1.0', "
        "environment: production, traffic_percent: 120}"))
    assert "deployments[0].traffic_percent" in error_of(text)


def test_size_limit_is_checked_before_reading(tmp_path: Path, minimal_text):
    path = tmp_path / "big.yaml"
    path.write_text(minimal_text)
    with pytest.raises(SnapshotError) as info:
        FileSource(path, Limits(max_bytes=100)).load()
    assert "more than the limit of 100 bytes" in str(info.value)


HOSTILE = {
    "alias-bomb.yaml": (
        "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n"
                  for i in range(9)),
        "alias"),
    "deep.yaml": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper"),
    "deep.json": ("[" * 100000 + "]" * 100000, "nested deeper"),
    "python-tag.yaml": ("schema_version: 1\nregistry: !!python/object/apply:os.system [id]\n",
                        "explicit YAML tag"),
    "garbage.yaml": (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not UTF-8"),
    "empty.yaml": ("", "is empty"),
    "blank.json": ("   \n\n", "is empty"),
    "wrong-version.yaml": ("schema_version: 7\nregistry: {name: r, captured_at: "
                           "'2026-01-01T00:00:00Z'}\n", "unsupported schema_version 7"),
    "not-a-mapping.yaml": ("- 1\n- 2\n", "a snapshot is a mapping"),
    "invalid.json": ('{"schema_version": 1,', "invalid JSON"),
    "nul.yaml": ("schema_version: 1\x00\n", "NUL"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_exits_2_with_one_line(cli, tmp_path: Path, name: str):
    content, expected = HOSTILE[name]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    run = cli("scan", str(path), timeout=30)
    assert run.code == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert expected in lines[0] and str(path) in lines[0]


def test_missing_file_exits_2(cli, tmp_path: Path):
    run = cli("scan", str(tmp_path / "nope.yaml"))
    assert run.code == 2 and "no such file" in run.stderr


def test_snapshot_from_stdin(cli, minimal_text):
    run = cli("scan", "-", "--format", "json", stdin=minimal_text.encode())
    assert run.code in (0, 1), run.stderr
    assert json.loads(run.stdout)["snapshot"]["registry"] == "contoso-foundry"


def test_unknown_key_with_null_value_is_still_refused(minimal_text):
    text = minimal_text.replace("owner: risk-ml", "owner: risk-ml\n    gender):")
    assert "models[0].gender)" in error_of(text) and "unknown field" in error_of(text)


def test_optional_field_written_as_null_is_absent(minimal_text):
    with_null = load(minimal_text.replace("owner: risk-ml", "owner: risk-ml\n    type: null"))
    assert "type" not in with_null.document["models"][0]
    assert with_null.digest == load(minimal_text).digest
