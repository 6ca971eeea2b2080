"""Composition (`almguard compose`, `--sources`): merge by identity, provenance, conflicts,
prefer rules, strict config, determinism; nothing written on an error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from checker.errors import SnapshotError
from checker.sources.composed import ComposedSource

FIXTURES = Path(__file__).parent / "fixtures"
COMPOSE = FIXTURES / "compose"


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of the fixtures, so a test can edit its config and inputs."""
    for name in ("compose", "kserve", "ledger", "openlineage"):
        shutil.copytree(FIXTURES / name, tmp_path / name)
    return tmp_path


def write_config(workdir: Path, body: str) -> Path:
    path = workdir / "compose" / "test.yaml"
    path.write_text("compose_version: 1\nregistry: {name: composed}\n" + body)
    return path


SOURCES = """\
sources:
  - {name: registry, kind: file, path: registry.yaml}
  - {name: cluster, kind: kserve, paths: [../kserve], environment: staging}
  - {name: ledger, kind: ledger, paths: [../ledger/ledger.yaml]}
"""


def versions(document: dict) -> dict[str, dict]:
    return {f"{m['name']}@{v['version']}": v for m in document["models"]
            for v in m["versions"]}


def test_sources_are_merged_by_identity_with_provenance() -> None:
    source = ComposedSource(COMPOSE / "compose.yaml")
    document = source.load().document
    version = versions(document)["credit-risk-scorer@2.1.0"]
    # the registry's facts and the ledger's approvals on one version
    assert version["artifact"]["uri"] == "s3://models/credit-risk-scorer/2.1.0"
    assert [a["stage"] for a in version["approvals"]] == ["staging", "production"]
    # the canary split of the cluster as two deployments of one endpoint
    split = {d["version"]: d["traffic_percent"] for d in document["deployments"]
             if d["endpoint"] == "credit-risk-prod"}
    assert split == {"2.0.0": 90, "2.1.0": 10}
    assert document["registry"]["captured_at"] == "2026-11-20T08:00:00Z"  # the file's
    provenance = source.provenance
    assert provenance is not None
    fields = provenance["resources"]["model_version:credit-risk-scorer@2.1.0"]
    assert fields["approvals"] == ["ledger"]
    assert fields["artifact.uri"] == ["registry"]
    assert fields["version"] == ["registry", "ledger", "lineage"]
    assert fields["lineage.training_data"] == ["lineage"]  # from the OpenLineage run
    assert fields["lineage.preprocessing"] == ["lineage"]
    # a dataset both the registry and the run events describe: the digest agrees
    dataset = provenance["resources"]["dataset:loan-applications@3"]
    assert dataset["digest"] == ["registry", "lineage"] and dataset["uri"] == ["lineage"]
    assert provenance["resources"]["registry"]["captured_at"] == ["registry"]
    assert provenance["resources"]["dataset:loan-applications@1"]["deleted_at"] == ["ledger"]
    assert provenance["snapshot"].startswith("sha256:")


def test_same_inputs_give_the_same_digest(workdir: Path) -> None:
    first = ComposedSource(COMPOSE / "compose.yaml").load()
    again = ComposedSource(COMPOSE / "compose.yaml").load()
    assert first.digest == again.digest
    # the order of the sources in the config changes provenance order, not the snapshot
    reordered = write_config(workdir, """\
sources:
  - {name: ledger, kind: ledger, paths: [../ledger/ledger.yaml]}
  - {name: cluster, kind: kserve, paths: [../kserve], environment: staging}
  - {name: lineage, kind: openlineage, paths: [../openlineage/events.ndjson]}
  - {name: registry, kind: file, path: registry.yaml}
""")
    text = reordered.read_text().replace("registry: {name: composed}",
                                         "registry: {name: contoso-composed, "
                                         "organization: Contoso Bank}")
    reordered.write_text(text)
    assert ComposedSource(reordered).load().digest == first.digest


def test_conflicting_values_name_both_sources_and_the_field(workdir: Path) -> None:
    other = workdir / "compose" / "other.yaml"
    text = (workdir / "compose" / "registry.yaml").read_text()
    other.write_text(text.replace("owner: risk-ml", "owner: credit-ml"))
    config = write_config(workdir, SOURCES + "  - {name: copy, kind: file, path: other.yaml}\n")
    with pytest.raises(SnapshotError) as caught:
        ComposedSource(config).load()
    message = str(caught.value)
    assert "model credit-risk-scorer: owner" in message
    assert "'registry'" in message and "'copy'" in message
    assert "'risk-ml' vs 'credit-ml'" in message
    assert "other.yaml:" in message and "registry.yaml:" in message


@pytest.mark.parametrize("rule, owner", [
    ("  - {source: copy}\n", "credit-ml"),
    ("  - {source: registry, fields: [model.owner]}\n", "risk-ml"),
    ("  - {source: copy, fields: [model]}\n", "credit-ml"),  # a prefix of the field
])
def test_a_prefer_rule_settles_a_conflict(workdir: Path, rule: str, owner: str) -> None:
    other = workdir / "compose" / "other.yaml"
    text = (workdir / "compose" / "registry.yaml").read_text()
    other.write_text(text.replace("owner: risk-ml", "owner: credit-ml"))
    config = write_config(workdir, SOURCES + "  - {name: copy, kind: file, path: other.yaml}\n"
                          "prefer:\n" + rule)
    source = ComposedSource(config)
    document = source.load().document
    assert document["models"][0]["owner"] == owner
    assert source.provenance is not None
    [override] = source.provenance["overridden"]
    assert override["field"] == "owner" and override["chosen"] == ("copy" if owner ==
                                                                   "credit-ml" else "registry")


def test_a_prefer_rule_for_another_field_does_not_settle(workdir: Path) -> None:
    other = workdir / "compose" / "other.yaml"
    text = (workdir / "compose" / "registry.yaml").read_text()
    other.write_text(text.replace("owner: risk-ml", "owner: credit-ml"))
    config = write_config(workdir, SOURCES + "  - {name: copy, kind: file, path: other.yaml}\n"
                          "prefer:\n  - {source: copy, fields: [model.risk_tier]}\n")
    with pytest.raises(SnapshotError, match="disagree"):
        ComposedSource(config).load()


@pytest.mark.parametrize("body, where", [
    (SOURCES + "  - {name: extra, kind: file, pth: registry.yaml}\n",
     "sources[3].pth: unknown field"),
    (SOURCES + "  - {name: extra, kind: helm, path: x}\n", "sources[3].kind: kind must be one of"),
    (SOURCES + "  - {name: ledger, kind: ledger, paths: [x.yaml]}\n",
     "sources[3].name: source name 'ledger' is taken"),
    (SOURCES + "prefer:\n  - {source: nobody}\n", "prefer[0].source: names no source"),
    (SOURCES + "prefer:\n  - {source: ledger, fields: [owner]}\n",
     "prefer[0].fields[0]: 'owner' is not a field"),
    (SOURCES + "sourcez: []\n", "sourcez: unknown field"),
])
def test_config_errors_name_path_and_line(workdir: Path, body: str, where: str) -> None:
    config = write_config(workdir, body)
    with pytest.raises(SnapshotError) as caught:
        ComposedSource(config).load()
    assert where in str(caught.value)
    assert str(caught.value).startswith(f"{config}:")  # file and line
    assert caught.value.line is not None


def test_a_ledger_record_for_an_unknown_version_is_refused(workdir: Path) -> None:
    ledger = workdir / "ledger" / "ledger.yaml"
    ledger.write_text(ledger.read_text().replace('version: "2.0.0", stage: production',
                                                 'version: "2.0.1", stage: production'))
    config = write_config(workdir, SOURCES)
    with pytest.raises(SnapshotError) as caught:
        ComposedSource(config).load()
    assert "credit-risk-scorer@2.0.1" in str(caught.value)
    assert f"{ledger}:4:" in str(caught.value)  # the record's line


def test_captured_at_is_needed_when_no_source_has_one(workdir: Path) -> None:
    config = write_config(workdir, """\
sources:
  - {name: cluster, kind: kserve, paths: [../kserve/list.yaml], environment: staging}
""")
    with pytest.raises(SnapshotError, match="registry.captured_at: required"):
        ComposedSource(config).load()


def test_compose_cli_writes_snapshot_and_provenance(tmp_path: Path, cli) -> None:
    out = tmp_path / "snapshot.json"
    run = cli("compose", str(COMPOSE / "compose.yaml"), "-o", str(out))
    assert run.code == 0, run.stderr
    document = json.loads(out.read_text())
    provenance = json.loads((tmp_path / "snapshot.provenance.json").read_text())
    assert provenance["snapshot"] in run.stderr
    assert document["registry"]["source"] == "compose"
    scan = cli("scan", "--sources", str(COMPOSE / "compose.yaml"), "--format", "json")
    direct = cli("scan", str(out), "--format", "json")
    assert json.loads(scan.stdout)["snapshot"]["digest"] == provenance["snapshot"]
    assert json.loads(scan.stdout)["findings"] == json.loads(direct.stdout)["findings"]


def test_compose_cli_writes_nothing_on_a_conflict(workdir: Path, cli) -> None:
    other = workdir / "compose" / "other.yaml"
    other.write_text((workdir / "compose" / "registry.yaml").read_text().replace(
        "risk_tier: high", "risk_tier: limited"))
    config = write_config(workdir, SOURCES + "  - {name: copy, kind: file, path: other.yaml}\n")
    out = workdir / "out.yaml"
    run = cli("compose", str(config), "-o", str(out))
    assert run.code == 2
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert "risk_tier" in run.stderr
    assert not out.exists() and not (workdir / "out.provenance.json").exists()


def test_snapshot_and_sources_are_one_or_the_other(cli) -> None:
    run = cli("scan", "samples/compliant.yaml", "--sources", str(COMPOSE / "compose.yaml"))
    assert run.code == 2 and "one of them" in run.stderr


def test_a_digest_the_run_events_contradict_is_a_conflict(workdir: Path) -> None:
    registry = workdir / "compose" / "registry.yaml"
    registry.write_text(registry.read_text().replace("5f1c9d0e", "00000000"))
    with pytest.raises(SnapshotError) as caught:
        ComposedSource(workdir / "compose" / "compose.yaml").load()
    message = str(caught.value)
    assert "dataset loan-applications@3: digest" in message
    assert "'registry'" in message and "'lineage'" in message and "events.ndjson:" in message


def test_the_written_snapshot_does_not_depend_on_the_source_order(workdir: Path, cli) -> None:
    reversed_config = write_config(workdir, """\
sources:
  - {name: lineage, kind: openlineage, paths: [../openlineage/events.ndjson]}
  - {name: ledger, kind: ledger, paths: [../ledger/ledger.yaml]}
  - {name: cluster, kind: kserve, paths: [../kserve], environment: staging}
  - {name: registry, kind: file, path: registry.yaml}
""")
    reversed_config.write_text(reversed_config.read_text().replace(
        "registry: {name: composed}", "registry: {name: contoso-composed, "
        "organization: Contoso Bank}"))
    for suffix in (".yaml", ".json"):
        written = []
        for config in (workdir / "compose" / "compose.yaml", reversed_config):
            out = workdir / f"out{len(written)}{suffix}"
            run = cli("compose", str(config), "-o", str(out))
            assert run.code == 0, run.stderr
            written.append(out.read_bytes())
        assert written[0] == written[1]  # the same bytes, not only the same digest
