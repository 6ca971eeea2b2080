"""The snapshot-v1 document as pydantic models (shape only; consistency is the policies' job).

The models validate; the checker keeps the document itself (plain dicts, exactly as written)
for digesting and for the engine, so that what is hashed is what is evaluated.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
)


def _rfc3339(value: str) -> str:
    if not _RFC3339.match(value):
        if re.match(r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$", value):
            raise ValueError("time has no zone: add 'Z' or an offset such as '+00:00' (RFC 3339)")
        raise ValueError("not an RFC 3339 time such as 2026-11-20T08:00:00Z "
                         "(upper-case T and Z, seconds required)")
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a valid time: {exc}") from None
    return value


Time = Annotated[str, AfterValidator(_rfc3339)]


def parse_time(value: str) -> datetime:
    """A validated RFC 3339 time as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
Tags = dict[str, str]
Number = Annotated[float | int, Field(allow_inf_nan=False)]
Stage = Literal["development", "evaluation", "staging", "production", "archived", "retired"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Registry(_Model):
    name: str
    captured_at: Time
    source: str | None = None
    organization: str | None = None
    tags: Tags = Field(default_factory=dict)


class DeletionCertificate(_Model):
    id: str
    issued_at: Time | None = None
    issued_by: str | None = None
    method: str | None = None


class Dataset(_Model):
    name: str
    version: str
    uri: str | None = None
    digest: str | None = None
    created_at: Time | None = None
    created_by: str | None = None
    personal_data: bool = False
    retention_until: Time | None = None
    deleted_at: Time | None = None
    deletion_certificate: DeletionCertificate | None = None
    tags: Tags = Field(default_factory=dict)


class DatasetRef(_Model):
    dataset: str
    version: str


class Artifact(_Model):
    uri: str | None = None
    digest: str | None = None


class ConfigArtifact(_Model):
    kind: Literal["prompt_template", "rag_config", "hyperparameters", "safety_filter",
                  "deployment_config"]
    uri: str | None = None
    digest: str | None = None


class PreprocessingStep(_Model):
    name: str
    code_ref: str | None = None
    digest: str | None = None


class TrainingJob(_Model):
    id: str | None = None
    code_ref: str | None = None
    environment: str | None = None


class BaseModelRef(_Model):
    name: str
    version: str | None = None


class Lineage(_Model):
    training_data: list[DatasetRef] = Field(default_factory=list)
    evaluation_data: list[DatasetRef] = Field(default_factory=list)
    preprocessing: list[PreprocessingStep] = Field(default_factory=list)
    training_job: TrainingJob | None = None
    base_model: BaseModelRef | None = None


class Evaluation(_Model):
    metric: str
    value: Number
    threshold: Number | None = None
    higher_is_better: bool = True
    dataset: DatasetRef | None = None
    evaluated_at: Time | None = None


class SafetyEvaluation(_Model):
    suite: str
    passed: bool
    evaluated_at: Time | None = None
    report_uri: str | None = None


class BiasAssessment(_Model):
    method: str
    passed: bool
    evaluated_at: Time | None = None


class Approval(_Model):
    stage: Stage
    approved_by: str
    approved_at: Time


class DataDeletionCertificate(_Model):
    id: str
    issued_at: Time | None = None
    datasets: list[DatasetRef] = Field(default_factory=list)


class Retirement(_Model):
    retired_at: Time
    reason: str | None = None
    record_uri: str | None = None
    retention_until: Time | None = None
    artifacts_deleted_at: Time | None = None
    data_deletion_certificates: list[DataDeletionCertificate] = Field(default_factory=list)


class ModelVersion(_Model):
    version: str
    stage: Stage = "development"
    created_at: Time | None = None
    created_by: str | None = None
    artifact: Artifact | None = None
    config_artifacts: list[ConfigArtifact] = Field(default_factory=list)
    lineage: Lineage | None = None
    evaluations: list[Evaluation] = Field(default_factory=list)
    safety_evaluations: list[SafetyEvaluation] = Field(default_factory=list)
    bias_assessments: list[BiasAssessment] = Field(default_factory=list)
    approvals: list[Approval] = Field(default_factory=list)
    retirement: Retirement | None = None
    tags: Tags = Field(default_factory=dict)


class Model(_Model):
    name: str
    owner: str | None = None
    risk_tier: Literal["high", "limited", "minimal"] | None = None
    type: Literal["custom", "fine_tuned", "agent", "foundation"] | None = None
    description: str | None = None
    versions: list[ModelVersion] = Field(default_factory=list)
    tags: Tags = Field(default_factory=dict)


class ContentSafety(_Model):
    enabled: bool
    filters: list[str] = Field(default_factory=list)


class Monitoring(_Model):
    baseline_metrics: dict[str, Number] = Field(default_factory=dict)
    alert_thresholds: dict[str, Number] = Field(default_factory=dict)
    drift_detection: bool = False


class RolloutStep(_Model):
    traffic_percent: Annotated[Number, Field(ge=0, le=100)]
    at: Time


class Deployment(_Model):
    endpoint: str
    model: str
    version: str
    environment: Literal["development", "staging", "production"]
    traffic_percent: Annotated[Number, Field(ge=0, le=100)]
    deployed_at: Time | None = None
    deployed_by: str | None = None
    content_safety: ContentSafety | None = None
    monitoring: Monitoring | None = None
    rollout: list[RolloutStep] = Field(default_factory=list)
    tags: Tags = Field(default_factory=dict)


class Snapshot(_Model):
    schema_version: Literal[1]
    registry: Registry
    datasets: list[Dataset] = Field(default_factory=list)
    models: list[Model] = Field(default_factory=list)
    deployments: list[Deployment] = Field(default_factory=list)


class _Header(_Model):
    schema_version: Literal[1]
    registry: Registry
    datasets: list[Any] = Field(default_factory=list)
    models: list[Any] = Field(default_factory=list)
    deployments: list[Any] = Field(default_factory=list)


_ITEMS: dict[str, type[_Model]] = {"datasets": Dataset, "models": Model,
                                    "deployments": Deployment}


def check_shape(document: dict[str, Any]) -> None:
    """Validate a snapshot document item by item without keeping the models.

    Raises ShapeError with the location of the first problem. Validating entity by entity
    keeps memory flat on a 100,000-version registry (the typed view is built only when a
    command needs it, by Snapshot.model_validate).
    """
    try:
        _Header.model_validate(document)
    except ValidationError as exc:
        raise ShapeError(exc.errors(include_url=False), ()) from None
    for key, model in _ITEMS.items():
        for index, item in enumerate(document.get(key) or ()):
            try:
                model.model_validate(item)
            except ValidationError as exc:
                raise ShapeError(exc.errors(include_url=False), (key, index)) from None


class ShapeError(Exception):
    """The document does not have the snapshot-v1 shape; errors are pydantic's, located."""

    def __init__(self, errors: list[Any], prefix: tuple[str | int, ...]) -> None:
        super().__init__("snapshot shape error")
        self.errors = [{**e, "loc": prefix + tuple(e["loc"])} for e in errors]
