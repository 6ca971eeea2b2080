"""One vocabulary across the layers: resource ids as the policies build them, times as the
loader reads them, one wording for a validation error, flag names only from the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.cli import main
from checker.errors import SnapshotError, UsageError
from checker.gate import load_settings
from checker.generate import generate
from checker.ids import dataset_refs, deployment_of, model_version_id, resources
from checker.pipeline import Pipeline
from checker.sources.azureml import AzureMLExportSource
from checker.sources.file import FileSource, load_snapshot_text
from checker.sources.interface import LoadedSnapshot, validate
from checker.times import check_time, format_time, from_epoch_ms, parse_time, time_ns
from conftest import SAMPLE_SNAPSHOTS


def _known_ids(document: dict) -> dict[str, set[str]]:
    """What a finding may name: the resources of the snapshot, and what its entries refer to
    without the registry having it (a deployment's version, a lineage link's dataset)."""
    known = {kind: set(ids) for kind, ids in resources(document).items()}
    for model in document.get("models") or ():
        for version in model.get("versions") or ():
            known["dataset"].update(dataset_refs(version))
    for d in document.get("deployments") or ():
        known["model_version"].add(model_version_id(d["model"], d["version"]))
        known["model"].add(d["model"])
        known["deployment"].add(deployment_of(d))
    return known


def _snapshots() -> list[LoadedSnapshot]:
    generated = generate(300, violations=0.5, seed=7)
    return [FileSource(path).load() for path in SAMPLE_SNAPSHOTS] + [
        validate(generated, origin="generated", text=None)]


def test_every_finding_names_its_resource_by_the_id_python_builds(bundled_policies,
                                                                  embedded_engine):
    """The policies (lib/snapshot.rego) and checker.ids build the same ids: every finding
    the decision returns names a resource that checker.ids lists or refers to."""
    kinds: set[str] = set()
    for snapshot in _snapshots():
        known = _known_ids(snapshot.document)
        result = Pipeline(bundled_policies, embedded_engine).scan(snapshot)
        for finding in result.findings:
            kinds.add(finding.resource.kind)
            assert finding.resource.id in known[finding.resource.kind], (snapshot.origin,
                                                                         finding)
    assert kinds == {"model", "model_version", "dataset", "deployment", "endpoint"}


_MS = st.integers(min_value=time_ns("0001-01-01T00:00:00Z") // 10**6,
                  max_value=time_ns("9999-12-31T23:59:59.999Z") // 10**6)


@settings(max_examples=300, deadline=None)
@given(_MS)
def test_epoch_milliseconds_are_written_as_the_same_instant(millis: int):
    """MLflow's epoch-millisecond times become RFC 3339 text that reads back exactly."""
    text = format_time(from_epoch_ms(millis), "ms")
    assert check_time(text) == text
    assert time_ns(text) == millis * 10**6


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                    timezones=st.just(UTC)))
def test_written_times_are_accepted_and_name_the_same_instant(moment: datetime):
    text = format_time(moment, "us")
    assert text.endswith("Z") and check_time(text) == text
    assert parse_time(text) == moment
    assert format_time(moment) == format_time(moment.replace(microsecond=0))


# The same mistake, in a snapshot's deployment and in a gate's --deployment FILE, reads the
# same: path into the document, what is wrong, the value.
BAD_ENABLED = "content_safety.enabled: input should be a valid boolean (got 'no')"


def test_a_bad_value_reads_the_same_in_a_snapshot_and_in_deployment_settings(
        tmp_path: Path, minimal_text: str):
    text = minimal_text.replace("deployments: []", (
        "deployments:\n  - {endpoint: e, model: credit-risk-scorer, version: '2.1.0',\n"
        "     environment: production, traffic_percent: 10,\n"
        "     content_safety: {enabled: 'no'}}\n"))
    with pytest.raises(SnapshotError) as snapshot_error:
        load_snapshot_text(text, origin="snap.yaml")
    settings_file = tmp_path / "settings.yaml"
    settings_file.write_text("content_safety:\n  enabled: 'no'\n")
    with pytest.raises(UsageError) as settings_error:
        load_settings(settings_file)
    assert str(snapshot_error.value) == f"snap.yaml:16: deployments[0].{BAD_ENABLED}"
    assert str(settings_error.value) == f"{settings_file}:2: {BAD_ENABLED}"


def test_a_union_counts_once_among_further_problems(minimal_text: str):
    """A number that is not one is one problem, not one per member of int | float."""
    text = minimal_text.replace('        lineage:', (
        "        evaluations: [{metric: auc, value: 'high'}]\n        lineage:"))
    with pytest.raises(SnapshotError) as error:
        load_snapshot_text(text, origin="snap.yaml")
    assert str(error.value).endswith(
        "models[0].versions[0].evaluations[0].value: input should be a valid number "
        "(got 'high')")


def test_modules_say_what_is_wrong_and_the_cli_names_the_flag(tmp_path: Path, capsys):
    export = tmp_path / "export"
    export.mkdir()
    (export / "data.json").write_text(json.dumps([{"name": "d", "version": "1"}]))
    with pytest.raises(SnapshotError) as error:
        AzureMLExportSource(export).load()
    assert "--" not in str(error.value) and "name the registry" in str(error.value)

    assert main(["import", "azureml", "--from", str(export)]) == 2
    assert capsys.readouterr().err == (
        f"almguard: error: {export}: cannot tell the workspace name: no export carries an "
        "Azure resource id; name the registry (--registry-name)\n")

    assert main(["report", str(SAMPLE_SNAPSHOTS[0]), "--html", str(tmp_path / "r.html"),
                 "--generated-at", "2026-11-21T09:30:00"]) == 2
    assert capsys.readouterr().err == (
        "almguard: error: --generated-at: not an RFC 3339 time: the time has no zone; add "
        "'Z' or an offset such as '+00:00'\n")
    assert not (tmp_path / "r.html").exists()
