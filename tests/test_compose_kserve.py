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


def _environment_typo(d: dict) -> None:
    # a production endpoint whose misspelt annotation would fall back to the source's staging
    annotations = d["metadata"]["annotations"]
    annotations["almguard.dev/envronment"] = annotations.pop("almguard.dev/environment")


def _percent_150(d: dict) -> None:
    d["status"]["components"]["predictor"]["traffic"][1]["percent"] = 150


def _canary_negative(d: dict) -> None:
    d["spec"]["predictor"]["canaryTrafficPercent"] = -5


def _sum_105(d: dict) -> None:
    d["status"]["components"]["predictor"]["traffic"][1]["percent"] = 95


def _bad_rollout(d: dict) -> None:
    d["metadata"]["annotations"]["almguard.dev/rollout"] = '[{"traffic_percent": 10}]'


def _bad_percent(d: dict) -> None:
    d["status"]["components"]["predictor"]["traffic"][0]["percent"] = "10"


def _wrong_kind(d: dict) -> None:
    d["kind"] = "Deployment"


@pytest.mark.parametrize("edit, path, words", [
    (_unknown_uri, "spec.predictor", "storageUri 's3://elsewhere/model' is no model version"),
    (_no_previous, "status.components.predictor.traffic", "previous-model-version"),
    (_bad_environment, "metadata.annotations.almguard.dev/environment",
     "'prod' is not one of development, staging, production"),
    (_environment_typo, "metadata.annotations.almguard.dev/envronment",
     "not an almguard annotation (known: almguard.dev/deployed-at"),
    (_percent_150, "status.components.predictor.traffic[1].percent",
     "a traffic share is a number from 0 to 100, got 150"),
    (_canary_negative, "spec.predictor.canaryTrafficPercent", "from 0 to 100, got -5"),
    (_sum_105, "status.components.predictor.traffic", "sum to 105, more than 100"),
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


def test_an_annotation_typo_is_refused_even_with_a_source_environment(tmp_path: Path) -> None:
    file = manifest(tmp_path, _environment_typo)
    with pytest.raises(SnapshotError, match="almguard.dev/envronment: not an almguard "
                       "annotation"):
        kserve_fragment("k", [file], environment="staging", artifacts=ARTIFACTS)


def test_the_previous_revision_carries_only_what_the_manifest_says_of_it() -> None:
    fragment = kserve_fragment("k", [KSERVE / "credit-risk-prod.yaml"], environment=None,
                               artifacts=ARTIFACTS)
    found = by_id(fragment.deployments)
    latest = found["credit-risk-prod/credit-risk-scorer@2.1.0"]
    previous = found["credit-risk-prod/credit-risk-scorer@2.0.0"]
    assert latest["tags"]["kserve.storage_uri"] == "s3://models/credit-risk-scorer/2.1.0"
    # the spec's storageUri is the new revision's: no evidence about 2.0.0's artifact
    assert "kserve.storage_uri" not in previous["tags"]
    assert previous["tags"]["kserve.name"] == "credit-risk-prod"  # the service's facts stay


COMPOSE_CONFIG = """\
compose_version: 1
registry: {{name: x}}
sources:
  - {{name: registry, kind: file, path: {registry}}}
  - {{name: cluster, kind: kserve, paths: [{manifest}], environment: staging}}
"""


def test_in_a_composition_errors_and_conflicts_name_the_manifest_line(tmp_path: Path) -> None:
    from checker.sources.composed import ComposedSource
    registry = Path(__file__).parent / "fixtures" / "compose" / "registry.yaml"
    bad = manifest(tmp_path, _percent_150)
    config = tmp_path / "c.yaml"
    config.write_text(COMPOSE_CONFIG.format(registry=registry, manifest=bad))
    with pytest.raises(SnapshotError) as caught:
        ComposedSource(config).load()
    line = [n for n, t in enumerate(bad.read_text().splitlines(), 1) if "150" in t][0]
    assert (caught.value.file, caught.value.line) == (str(bad), line)  # not the config
    assert caught.value.path == "status.components.predictor.traffic[1].percent"
    # a registry that says 2.0.0 serves 100%: the conflict cites the line of `percent: 90`
    text = registry.read_text()
    assert "deployments:" not in text
    other = tmp_path / "registry.yaml"
    other.write_text(text + "deployments:\n  - {endpoint: credit-risk-prod, environment: "
                     "production, model: credit-risk-scorer, version: '2.0.0',\n"
                     "     traffic_percent: 100}\n")
    good = tmp_path / "good.yaml"
    good.write_text((KSERVE / "credit-risk-prod.yaml").read_text())
    config.write_text(COMPOSE_CONFIG.format(registry=other, manifest=good))
    with pytest.raises(SnapshotError) as caught:
        ComposedSource(config).load()
    assert f"{good}:38) disagree: 100 vs 90" in caught.value.message
