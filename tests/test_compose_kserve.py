"""KServe InferenceService manifests (v1beta1) -> deployments: the served version by storage
URI or annotation, the traffic split of status (or the spec's canary share), times, labels;
malformed manifests are one error naming the file, line and path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from checker.errors import SnapshotError
from checker.sources.kserve import kserve_fragment

KSERVE = Path(__file__).parent / "fixtures" / "kserve"
ARTIFACTS = {"s3://models/credit-risk-scorer/2.1.0": ("credit-risk-scorer", "2.1.0"),
             "s3://models/credit-risk-scorer/2.0.0": ("credit-risk-scorer", "2.0.0")}


def by_id(deployments: list[dict]) -> dict[str, dict]:
    return {f"{d['endpoint']}/{d['model']}@{d['version']}": d for d in deployments}


def test_a_canary_in_progress_is_two_deployments_with_the_split() -> None:
    fragment = kserve_fragment("k", [KSERVE / "credit-risk-prod.yaml"], environment=None,
                               artifacts=ARTIFACTS)
    found = by_id(fragment.deployments)
    latest = found["credit-risk-prod/credit-risk-scorer@2.1.0"]  # by its storageUri
    previous = found["credit-risk-prod/credit-risk-scorer@2.0.0"]  # by the annotation
    assert (latest["traffic_percent"], previous["traffic_percent"]) == (10, 90)
    assert latest["environment"] == previous["environment"] == "production"
    assert latest["deployed_at"] == "2026-11-18T09:00:00Z"
    assert latest["rollout"] == [{"traffic_percent": 10, "at": "2026-11-18T09:00:00Z"}]
    assert "deployed_at" not in previous  # the manifest does not say when 2.0.0 went out
    assert latest["tags"]["team"] == "risk-ml"  # labels as tags
    assert latest["tags"]["kserve.revision"] == "credit-risk-prod-predictor-00002"
    assert previous["tags"]["kserve.revision"] == "credit-risk-prod-predictor-00001"
    assert latest["tags"]["kserve.namespace"] == "risk"


def test_a_kubectl_list_without_status_takes_the_spec() -> None:
    fragment = kserve_fragment("k", [KSERVE / "list.yaml"], environment="staging",
                               artifacts={})
    [deployment] = fragment.deployments
    assert (deployment["endpoint"], deployment["version"]) == ("credit-risk-staging", "2.1.0")
    assert deployment["traffic_percent"] == 100
    assert deployment["environment"] == "staging"  # the source's default
    # generation 1: the only revision is as old as the service
    assert deployment["deployed_at"] == "2026-11-02T09:00:00Z"
    assert fragment.where[("deployment", "credit-risk-staging/credit-risk-scorer@2.1.0")] \
        == (str(KSERVE / "list.yaml"), 8)  # the line of items[0]


def manifest(tmp_path: Path, edit) -> Path:  # noqa: ANN001
    document = yaml.safe_load((KSERVE / "credit-risk-prod.yaml").read_text())
    edit(document)
    path = tmp_path / "isvc.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_without_status_the_canary_share_is_the_spec_s(tmp_path: Path) -> None:
    def edit(d: dict) -> None:
        del d["status"]
        del d["metadata"]["annotations"]["almguard.dev/previous-model-version"]
    fragment = kserve_fragment("k", [manifest(tmp_path, edit)], environment=None,
                               artifacts=ARTIFACTS)
    [deployment] = fragment.deployments
    assert deployment["traffic_percent"] == 10


def _unknown_uri(d: dict) -> None:
    d["spec"]["predictor"]["model"]["storageUri"] = "s3://elsewhere/model"


def _no_previous(d: dict) -> None:
    del d["metadata"]["annotations"]["almguard.dev/previous-model-version"]


def _bad_environment(d: dict) -> None:
    d["metadata"]["annotations"]["almguard.dev/environment"] = "prod"


def _bad_rollout(d: dict) -> None:
    d["metadata"]["annotations"]["almguard.dev/rollout"] = '[{"traffic_percent": 10}]'


def _bad_percent(d: dict) -> None:
    d["status"]["components"]["predictor"]["traffic"][0]["percent"] = "10"


def _wrong_kind(d: dict) -> None:
    d["kind"] = "Deployment"


@pytest.mark.parametrize("edit, path, words", [
    (_unknown_uri, "spec.predictor", "storageUri 's3://elsewhere/model' is no model version"),
    (_no_previous, "status.components.predictor.traffic", "previous-model-version"),
    (_bad_environment, "metadata.annotations", "must be one of"),
    (_bad_rollout, "metadata.annotations.almguard.dev/rollout", "expected a JSON list"),
    (_bad_percent, "status.components.predictor.traffic[0].percent", "expected int/float"),
    (_wrong_kind, "kind", "expected InferenceService"),
])
def test_malformed_manifests_name_file_line_and_path(tmp_path: Path, edit, path: str,  # noqa: ANN001
                                                     words: str) -> None:
    file = manifest(tmp_path, edit)
    with pytest.raises(SnapshotError) as caught:
        kserve_fragment("k", [file], environment=None, artifacts=ARTIFACTS)
    error = caught.value
    assert error.file == str(file) and error.line is not None
    assert error.path == path
    assert words in error.message


def test_one_endpoint_in_two_manifests_is_refused(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    second = tmp_path / "b.yaml"
    text = (KSERVE / "credit-risk-prod.yaml").read_text()
    first.write_text(text)
    second.write_text(text)
    with pytest.raises(SnapshotError, match="also defined in"):
        kserve_fragment("k", [tmp_path], environment=None, artifacts=ARTIFACTS)
