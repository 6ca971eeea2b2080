"""OpenLineage run events, written by the real openlineage-python client's file transport
-> the training job, input datasets (version, digest) and preprocessing of a model version."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.errors import SnapshotError
from checker.sources.openlineage import openlineage_fragment
from tool_support import missing

FIXTURE = Path(__file__).parent / "fixtures" / "openlineage" / "events.ndjson"
DIGEST = "sha256:5f1c9d0e7a3b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d"
EVAL_DIGEST = "sha256:" + "3c" * 32
PRODUCER = "https://github.com/contoso/pipelines"


@pytest.fixture(scope="module")
def ol():
    try:
        import openlineage.client  # noqa: F401
    except ImportError:
        missing("openlineage-python", "pip install openlineage-python==1.54.0")
    return openlineage.client


def emit_scenario(path: Path, *, append: bool = True) -> None:
    """A preprocessing run and the training run of credit-risk-scorer@2.1.0 (START and
    COMPLETE each), and a failed run that names another version, as a pipeline emits them."""
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent
    from openlineage.client.event_v2 import RunState
    from openlineage.client.facet_v2 import (
        dataset_version_dataset,
        source_code_location_job,
        tags_dataset,
        tags_run,
    )
    from openlineage.client.transport.file import FileConfig, FileTransport

    client = OpenLineageClient(transport=FileTransport(FileConfig(
        log_file_path=str(path), append=append)))

    def dataset(cls, name: str, version: str, **tags: str):  # noqa: ANN001, ANN202
        facets = {"version": dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=version, producer=PRODUCER)}
        if tags:
            facets["tags"] = tags_dataset.TagsDatasetFacet(tags=[
                tags_dataset.TagsDatasetFacetFields(key=k.replace("_", "."), value=v)
                for k, v in tags.items()], producer=PRODUCER)
        return cls(namespace="s3://contoso-data", name=name, facets=facets)

    def job(name: str, commit: str) -> Job:
        return Job(namespace="credit-pipelines", name=name, facets={
            "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet(
                type="git", url="https://github.com/contoso/credit",
                repoUrl="https://github.com/contoso/credit", version=commit,
                producer=PRODUCER)})

    def emit(state, at: str, run_id: str, job_: Job, inputs=(), outputs=(),  # noqa: ANN001
             tags=None) -> None:  # noqa: ANN001
        facets = {}
        if tags:
            facets["tags"] = tags_run.TagsRunFacet(tags=[
                tags_run.TagsRunFacetFields(key=k, value=v) for k, v in tags.items()],
                producer=PRODUCER)
        client.emit(RunEvent(eventType=state, eventTime=at, producer=PRODUCER,
                             run=Run(runId=run_id, facets=facets), job=job_,
                             inputs=list(inputs), outputs=list(outputs)))

    prep = job("clean-applications", "9e1f" * 10)
    train = job("train-credit-risk", "4f2a" * 10)
    prep_id = "01936f2a-0000-7000-8000-000000000001"
    train_id = "01936f2a-0000-7000-8000-000000000002"
    raw = dataset(InputDataset, "raw/loan-applications", "7")
    clean_out = dataset(OutputDataset, "loan-applications", "3")
    emit(RunState.START, "2026-10-30T08:00:00Z", prep_id, prep, [raw])
    emit(RunState.COMPLETE, "2026-10-30T09:00:00Z", prep_id, prep, [raw], [clean_out])
    model = {"almguard.model_version": "credit-risk-scorer@2.1.0"}
    clean_in = dataset(InputDataset, "loan-applications", "3", almguard_digest=DIGEST)
    holdout = dataset(InputDataset, "loan-holdout", "2", almguard_digest=EVAL_DIGEST,
                      almguard_role="evaluation")
    emit(RunState.START, "2026-10-31T08:00:00Z", train_id, train, [clean_in], tags=model)
    emit(RunState.COMPLETE, "2026-10-31T12:00:00Z", train_id, train, [clean_in, holdout],
         [OutputDataset(namespace="s3://models", name="credit-risk-scorer/2.1.0")], tags=model)
    emit(RunState.FAIL, "2026-10-31T13:00:00Z", "01936f2a-0000-7000-8000-000000000003",
         train, [clean_in], tags={"almguard.model_version": "credit-risk-scorer@9.9.9"})


def test_the_training_run_gives_job_datasets_and_preprocessing(ol, tmp_path: Path) -> None:
    events = tmp_path / "events.ndjson"
    emit_scenario(events)
    assert len(events.read_text().splitlines()) == 5  # NDJSON, one event a line
    fragment = openlineage_fragment("ol", [events], runs={})
    [model] = fragment.models
    [version] = model["versions"]  # the failed run names no version
    assert (model["name"], version["version"]) == ("credit-risk-scorer", "2.1.0")
    lineage = version["lineage"]
    assert lineage["training_job"] == {
        "id": "01936f2a-0000-7000-8000-000000000002",
        "code_ref": "https://github.com/contoso/credit@" + "4f2a" * 10}
    assert lineage["training_data"] == [{"dataset": "loan-applications", "version": "3"}]
    assert lineage["evaluation_data"] == [{"dataset": "loan-holdout", "version": "2"}]
    assert lineage["preprocessing"] == [{
        "name": "clean-applications",
        "code_ref": "https://github.com/contoso/credit@" + "9e1f" * 10}]
    datasets = {(d["name"], d["version"]): d for d in fragment.datasets}
    assert datasets[("loan-applications", "3")] == {
        "name": "loan-applications", "version": "3", "digest": DIGEST,
        "uri": "s3://contoso-data/loan-applications"}
    assert datasets[("loan-holdout", "2")]["digest"] == EVAL_DIGEST


def test_a_run_is_matched_by_the_registry_s_training_job_id(ol, tmp_path: Path) -> None:
    events = tmp_path / "events.ndjson"
    emit_scenario(events)
    text = events.read_text().replace('"almguard.model_version"', '"other.tag"')
    events.write_text(text)
    fragment = openlineage_fragment(
        "ol", [events], runs={"01936f2a-0000-7000-8000-000000000002": ("m", "1")})
    assert [(m["name"], [v["version"] for v in m["versions"]]) for m in fragment.models] \
        == [("m", ["1"])]


def test_one_file_per_event_is_read_as_a_directory(ol, tmp_path: Path) -> None:
    folder = tmp_path / "events"
    folder.mkdir()
    emit_scenario(folder / "ol", append=False)
    assert len(list(folder.iterdir())) == 5
    fragment = openlineage_fragment("ol", [folder], runs={})
    assert fragment.models[0]["versions"][0]["lineage"]["preprocessing"][0]["name"] == \
        "clean-applications"


def test_the_fixture_reads_as_what_the_client_writes(ol, tmp_path: Path) -> None:
    events = tmp_path / "events.ndjson"
    emit_scenario(events)  # the fixture (tests/fixtures/compose uses it) was written so
    fresh = openlineage_fragment("ol", [events], runs={})
    kept = openlineage_fragment("ol", [FIXTURE], runs={})
    assert (fresh.models, fresh.datasets) == (kept.models, kept.datasets)


@pytest.mark.parametrize("line, words", [
    ('{"eventType": "COMPLETE"', "not a JSON run event"),
    ('{"eventType": "COMPLETE", "eventTime": "2026-10-31T12:00:00Z", "run": {}, '
     '"job": {"namespace": "n", "name": "j"}}', "run.runId: required field missing"),
    ('{"eventType": "COMPLETE", "eventTime": "2026-10-31 12:00", "run": {"runId": "r"}, '
     '"job": {"namespace": "n", "name": "j"}}', "eventTime: not an RFC 3339 time"),
])
def test_malformed_events_name_file_and_line(tmp_path: Path, line: str, words: str) -> None:
    events = tmp_path / "events.ndjson"
    events.write_text(FIXTURE.read_text() + line + "\n")
    with pytest.raises(SnapshotError) as caught:
        openlineage_fragment("ol", [events], runs={})
    assert caught.value.line == 6 and caught.value.file == str(events)
    assert words in str(caught.value)


@pytest.mark.parametrize("old, new, path, words", [
    # a misspelt role would silently make the holdout set training data
    ('"almguard.role", "value": "evaluation"', '"almguard.role", "value": "evaluaton"',
     "inputs[1].facets.tags.tags[1].value",
     "almguard.role: 'evaluaton' is not one of training, evaluation"),
    ('"almguard.role", "value"', '"almguard.rle", "value"',
     "inputs[1].facets.tags.tags[1].key", "almguard.rle: not an almguard tag (known: "
     "almguard.digest, almguard.role"),
    ('"almguard.model_version", "value": "credit-risk-scorer@2.1.0"',
     '"almguard.model_versoin", "value": "credit-risk-scorer@2.1.0"',
     "run.facets.tags.tags[0].key", "almguard.model_versoin: not an almguard tag"),
])
def test_unknown_almguard_tags_and_roles_are_refused(tmp_path: Path, old: str, new: str,
                                                     path: str, words: str) -> None:
    events = tmp_path / "events.ndjson"
    text = FIXTURE.read_text()
    assert old in text
    events.write_text(text.replace(old, new))
    with pytest.raises(SnapshotError) as caught:
        openlineage_fragment("ol", [events], runs={})
    error = caught.value
    assert error.file == str(events) and error.line is not None
    assert error.path == path
    assert words in error.message
