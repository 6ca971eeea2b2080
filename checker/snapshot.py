"""The snapshot-v1 document as pydantic models (shape only; consistency is the policies' job).

The models validate; the checker keeps the document itself (plain dicts, exactly as written)
for digesting and for the engine, so that what is hashed is what is evaluated.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

# RFC 3339 date-time as snapshot-v1 writes it: upper-case T and Z, seconds required, up to
# nine fraction digits. ASCII digits only (\d would take other scripts' digits), anchored
# with \Z ("$" would let a trailing newline through). The form only: _fields judges values.
_RFC3339 = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))\Z")
_NO_ZONE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?")
_EPOCH_DAY = date(1970, 1, 1).toordinal()
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # not calendar's: locale-bound


def _fields(value: str) -> tuple[int, int, int, int, int, int, int, int]:
    """Year, month, day, hour, minute, second, nanoseconds and offset (seconds east of UTC)
    of a time in the accepted form, checked field by field (never by datetime, which takes
    offsets such as -00:60 and would be the judge of what the policies then see)."""
    match = _RFC3339.fullmatch(value)
    if match is None:
        if _NO_ZONE.fullmatch(value):
            raise ValueError("time has no zone: add 'Z' or an offset such as '+00:00' (RFC 3339)")
        raise ValueError("not an RFC 3339 time such as 2026-11-20T08:00:00Z "
                         "(upper-case T and Z, seconds required)")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, sign, off_hour, off_minute = match.groups()[6:]
    days = calendar.monthrange(year, month)[1] if year and 1 <= month <= 12 else 0
    problem = None
    if year == 0:
        problem = "year 0000 is not supported: the earliest supported year is 0001"
    elif not 1 <= month <= 12:
        problem = f"month {month:02d} does not exist"
    elif not 1 <= day <= days:
        problem = (f"day {day:02d} does not exist in {_MONTHS[month - 1]} {year:04d} "
                   f"(it has {days} days)")
    elif hour > 23:
        problem = f"hour {hour:02d} does not exist (00-23)"
    elif minute > 59:
        problem = f"minute {minute:02d} does not exist (00-59)"
    elif second == 60:
        problem = "leap seconds (second 60) are not supported"
    elif second > 59:
        problem = f"second {second:02d} does not exist (00-59)"
    elif sign is not None and (int(off_hour) > 23 or int(off_minute) > 59):
        problem = (f"offset {sign}{off_hour}:{off_minute} is not a UTC offset "
                   "(hours 00-23, minutes 00-59)")
    if problem is not None:
        raise ValueError(f"not a valid time {value!r}: {problem}")
    nanos = int(fraction.ljust(9, "0")) if fraction else 0
    offset = 0 if sign is None else (1 if sign == "+" else -1) * (
        int(off_hour) * 3600 + int(off_minute) * 60)
    return year, month, day, hour, minute, second, nanos, offset


# The same instants as one expression (the pattern of policies/almguard/lib/time.rego): a
# time it matches is real unless its year is 0000 or its day is past the 28th of a shorter
# month, so most times are judged by one match and a comparison; the rest by _fields.
_REAL = re.compile(
    r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?"
    r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])")


def _rfc3339(value: str) -> str:
    """The value if it is a time the loader accepts; ValueError saying why if not."""
    if _REAL.fullmatch(value) is None or value[8:10] > "28" or value.startswith("0000"):
        _fields(value)
    return value


Time = Annotated[str, AfterValidator(_rfc3339)]


def parse_time(value: str) -> datetime:
    """An RFC 3339 time as an aware datetime in its own offset, fraction truncated to
    microseconds; ValueError if it is not a time the loader accepts.

    It is not converted to UTC: 9999-12-31T23:59:59-01:00 is in year 10000 there, beyond
    datetime. Aware datetimes compare and subtract by instant without converting, so
    every accepted time compares without OverflowError (``astimezone`` may still overflow).
    For exact order below the microsecond, use time_ns.
    """
    year, month, day, hour, minute, second, nanos, offset = _fields(value)
    zone = UTC if offset == 0 else timezone(timedelta(seconds=offset))
    return datetime(year, month, day, hour, minute, second, nanos // 1000, tzinfo=zone)


def time_ns(value: str) -> int:
    """Nanoseconds since 1970-01-01T00:00:00Z of an accepted time, exactly (the instant the
    policies compute: negative before 1970, unbounded by int64 after 2262)."""
    year, month, day, hour, minute, second, nanos, offset = _fields(value)
    days = date(year, month, day).toordinal() - _EPOCH_DAY
    return (days * 86400 + hour * 3600 + minute * 60 + second - offset) * 10**9 + nanos


# Numbers are IEEE 754 doubles. Integers beyond 2^53 are not all exact as doubles, and the
# policy engines (and canonical JSON, 64-bit) would each treat them differently.
MAX_EXACT_INTEGER = 2**53


def integer_text(value: int) -> str:
    """An integer for a message: its digits, or how many there are when that is long."""
    if abs(value) < 10**40:
        return str(value)
    try:
        return f"of {len(str(abs(value)))} digits"
    except ValueError:  # more digits than Python converts
        return f"of about {int(value.bit_length() * 0.30103) + 1} digits"


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
