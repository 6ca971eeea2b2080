"""The snapshot-v1 document as pydantic models (shape only; consistency is the policies' job).

The models validate; the checker keeps the document itself (plain dicts, exactly as written)
for digesting and for the engine, so that what is hashed is what is evaluated.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from .times import check_time
from .validation import Problem, first_problem, integer_text

Time = Annotated[str, AfterValidator(check_time)]


# Numbers are IEEE 754 doubles. Integers beyond 2^53 are not all exact as doubles, and the
# policy engines (and canonical JSON, 64-bit) would each treat them differently.
MAX_EXACT_INTEGER = 2**53


def _exact(value: float) -> float:
    if isinstance(value, int) and not -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER:
        raise ValueError(f"integer {integer_text(value)} is beyond ±2^53 "
                         f"(±{MAX_EXACT_INTEGER}): numbers must be exact as IEEE 754 "
                         "doubles (write an approximate value as a float, e.g. 1.5e+29)")
    return value


Tags = dict[str, str]
Number = Annotated[float | int, Field(allow_inf_nan=False), AfterValidator(_exact)]
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


def check_shape(document: dict[str, Any]) -> Problem | None:
    """The first place where a snapshot document does not have the snapshot-v1 shape, or
    None. Validating entity by entity, without keeping the models, keeps memory flat on a
    100,000-version registry (the typed view is built only when a command needs it, by
    Snapshot.model_validate)."""
    try:
        _Header.model_validate(document)
    except ValidationError as exc:
        return first_problem(exc)
    for key, model in _ITEMS.items():
        for index, item in enumerate(document.get(key) or ()):
            try:
                model.model_validate(item)
            except ValidationError as exc:
                return first_problem(exc, prefix=(key, index))
    return None
