"""The service's configuration file: database, listener, limits, tokens, schedules.

    database: sqlite:///almguard.db        # or postgresql+psycopg://user@host/db
                                           # (default: almguard.db in the user's data
                                           # directory, see default_database)
    listen: {host: 127.0.0.1, port: 8080}
    max_body_bytes: 67108864
    evaluation: {engine: regorus, fail_on: low, policies: [], data: []}
    tokens:
      - {name: ci, scopes: [gate], sha256: "9f86d0…"}     # hash of the secret
      - {name: admin, scopes: [admin], env: ALMGUARD_ADMIN_TOKEN}
    schedules:
      - name: foundry-prod
        cron: "0 * * * *"
        source: {kind: file, path: snapshots/foundry-prod.yaml}

Relative paths are resolved against the file's directory (a relative SQLite file too).
Secrets never sit in the file in clear: a token is its SHA-256 hash, or the name of an
environment variable that holds it (hashed as soon as it is read). The file is read through
the same hardened YAML reader as snapshots, and unknown keys are errors with their line.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from croniter import CroniterError, croniter
from pydantic import (AfterValidator, AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field,
                      ValidationError, field_validator, model_validator)

from .. import documents
from ..documents import DocumentError, Limits
from ..errors import ConfigError
from ..metadata import Severity
from ..validation import to_error

Scope = Literal["read", "scan", "gate", "admin"]
SCOPES: tuple[str, ...] = ("read", "scan", "gate", "admin")
DEFAULT_MAX_BODY = 64 * 1024 * 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _check_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError("a name is 1-64 letters, digits, '.', '_' or '-'")
    return value


Name = Annotated[str, AfterValidator(_check_name)]


def _check_path(value: object) -> object:
    if isinstance(value, str) and not value.strip():
        raise ValueError("needs a path, not an empty string (which would be the working "
                         "directory)")
    return value


# a file or directory: an empty string is refused, as on the command line
ConfigPath = Annotated[Path, BeforeValidator(_check_path)]


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the service keeps its state when the config does not say: the XDG data
    directory, $XDG_DATA_HOME/almguard (an absolute $XDG_DATA_HOME; else
    ~/.local/share/almguard)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME", "")
    root = Path(base) if base and Path(base).is_absolute() else \
        Path(env.get("HOME") or Path.home()) / ".local" / "share"
    return root / "almguard"


def default_database(environ: Mapping[str, str] | None = None) -> str:
    """The database of a config that names none: almguard.db in data_dir()."""
    return f"sqlite:///{data_dir(environ) / 'almguard.db'}"


def prepare_default_database(url: str) -> None:
    """Create the data directory (0700) if `url` is the default database and it is
    missing; a database the config names is never given directories it lacks."""
    if url == default_database():
        data_dir().mkdir(mode=0o700, parents=True, exist_ok=True)


def hash_token(secret: str) -> str:
    """The stored form of an API token: hex SHA-256 of its UTF-8 text."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Listen(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)


class Evaluation(_Strict):
    engine: Literal["regorus", "opa"] = "regorus"
    fail_on: Severity = "low"
    policies: list[ConfigPath] = []
    data: list[ConfigPath] = []
    waivers: ConfigPath | None = None
    opa_url: str | None = None
    workers: int | None = Field(default=None, ge=1, le=64)
    # evaluated partitions kept on disk across scans and restarts (checker.cache)
    cache: ConfigPath | None = None


class TokenConfig(_Strict):
    name: Name
    scopes: list[Scope] = Field(min_length=1)
    sha256: str | None = None
    env: str | None = None


    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9a-f]{64}", value):
            raise ValueError("sha256 is the 64 lower-case hex digits of the token's hash "
                             "(almguard token new or almguard token hash)")
        return value

    @model_validator(mode="after")
    def _one_secret(self) -> "TokenConfig":
        if (self.sha256 is None) == (self.env is None):
            raise ValueError("give exactly one of sha256 (the token's hash) or env (the "
                             "variable holding the token)")
        return self


class SourceConfig(_Strict):
    kind: Literal["file", "directory", "azureml", "mlflow", "compose"]
    path: ConfigPath | None = None
    tracking_uri: str | None = None
    models: list[str] = []
    registry_name: str | None = None

    @model_validator(mode="after")
    def _needs(self) -> "SourceConfig":
        if self.kind == "mlflow" and not self.tracking_uri:
            raise ValueError("a source of kind mlflow needs tracking_uri")
        if self.kind != "mlflow" and self.path is None:
            raise ValueError(f"a source of kind {self.kind} needs path")
        return self


Event = Literal["verdict_changed", "new_findings", "run_failed"]
EVENTS: tuple[Event, ...] = ("verdict_changed", "new_findings", "run_failed")


def _has_host_and_port(url: str) -> bool:
    """Whether a URL names a host and, if any, a port in range (urllib says)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError out of range
    except ValueError:
        return False
    return bool(parts.hostname)


class NotifyConfig(_Strict):
    """Where a schedule's notifications go: a webhook (JSON body signed with HMAC-SHA256,
    the secret read from the variable `secret_env`), or an apprise URL (Slack, Teams,
    e-mail, ...) read from the variable `apprise_env` (such URLs carry credentials)."""

    webhook: str | None = None
    secret_env: str | None = None
    apprise_env: str | None = None
    # `events`; `on` (quoted: YAML 1.1 reads a bare on as true) is the same key
    on: list[Event] = Field(default_factory=lambda: list(EVENTS), min_length=1,
                            validation_alias=AliasChoices("events", "on"))

    @model_validator(mode="after")
    def _one_target(self) -> "NotifyConfig":
        if (self.webhook is None) == (self.apprise_env is None):
            raise ValueError("give exactly one of webhook (a URL) or apprise_env (the "
                             "variable holding an apprise URL)")
        if self.webhook is not None:
            if not re.match(r"https?://[^/\s]+", self.webhook) or not _has_host_and_port(
                    self.webhook):
                raise ValueError(f"webhook {self.webhook!r} is not an http(s) URL")
            if self.secret_env is None:
                raise ValueError("a webhook needs secret_env: the variable holding the "
                                 "secret its deliveries are signed with")
        return self


# The five fields of a cron expression and the values each takes.
_CRON_FIELDS = (("minute", "0-59"), ("hour", "0-23"), ("day of month", "1-31"),
                ("month", "1-12 or JAN-DEC"), ("day of week", "0-7 or SUN-SAT"))


def _cron_problem(value: str, fields: list[str]) -> str:
    """Which field of an invalid five-field cron expression is wrong, and why."""
    for index, ((name, allowed), field) in enumerate(zip(_CRON_FIELDS, fields)):
        alone = " ".join(field if i == index else "*" for i in range(5))
        try:
            croniter(alone)
        except CroniterError as exc:
            problem = ("is out of range" if "range" in str(exc) or "bands" in str(exc)
                       else "is not a valid value")
            return f"{value!r}: the {name} field {field!r} {problem} ({allowed})"
    return f"{value!r} is not a valid cron expression (minute hour day month weekday)"


class ScheduleConfig(_Strict):
    name: Name
    cron: str
    source: SourceConfig
    notify: list[NotifyConfig] = []


    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        fields = value.split()
        if len(fields) != 5:
            raise ValueError(f"{value!r} is not a five-field cron expression "
                             f"(minute hour day month weekday): it has {len(fields)}")
        if not croniter.is_valid(value):
            raise ValueError(_cron_problem(value, fields))
        try:
            croniter(value).get_next()
        except CroniterError:
            raise ValueError(f"{value!r} never fires (no such date)") from None
        return value


class RetentionConfig(_Strict):
    """How long stored scans are kept, per registry: a scan goes once it is neither among
    the newest `keep_scans` nor younger than `keep_days` (a rule not given keeps nothing).
    Never deleted: a registry's newest scan, a scan under legal hold."""

    keep_scans: int | None = Field(default=None, ge=1)
    keep_days: int | None = Field(default=None, ge=1)
    every_hours: float = Field(default=24, gt=0)

    @model_validator(mode="after")
    def _a_rule(self) -> "RetentionConfig":
        if self.keep_scans is None and self.keep_days is None:
            raise ValueError("give keep_scans, keep_days or both")
        return self


class ServiceConfig(_Strict):
    database: str = Field(default_factory=default_database)
    listen: Listen = Listen()
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY, ge=1024)
    evaluation: Evaluation = Evaluation()
    tokens: list[TokenConfig] = []
    schedules: list[ScheduleConfig] = []
    scheduler: bool = True
    # how long a replica's claim on a schedule slot lasts unrenewed (renewed every third):
    # a replica killed mid-run has its slot run again by another after this long
    scheduler_lease_seconds: int = Field(default=30, ge=1, le=3600)
    retention: RetentionConfig | None = None
    anonymous_read: bool = False

    @field_validator("database")
    @classmethod
    def _persistent(cls, value: str) -> str:
        if value.startswith("sqlite") and (":memory:" in value or value.rstrip("/") in
                                           ("sqlite:", "sqlite:/", "sqlite://")):
            raise ValueError("the service keeps evidence: give a database file "
                             "(sqlite:///almguard.db) or a PostgreSQL URL, not memory")
        return value

    @model_validator(mode="after")
    def _unique(self) -> "ServiceConfig":
        for what, names in (("token", [t.name for t in self.tokens]),
                            ("schedule", [s.name for s in self.schedules])):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"duplicate {what} name {dupes[0]!r}")
        return self


def _resolve(config: ServiceConfig, base: Path) -> ServiceConfig:
    """Paths relative to the config file's directory; a relative SQLite file too."""
    def rel(path: Path | None) -> Path | None:
        return None if path is None or path.is_absolute() else base / path

    evaluation = config.evaluation.model_copy(update={
        "policies": [rel(p) or p for p in config.evaluation.policies],
        "data": [rel(p) or p for p in config.evaluation.data],
        "waivers": rel(config.evaluation.waivers) or config.evaluation.waivers})
    schedules = [s.model_copy(update={"source": s.source.model_copy(update={
        "path": rel(s.source.path) or s.source.path})}) for s in config.schedules]
    database = config.database
    prefix = "sqlite:///"
    if database.startswith(prefix) and not database.startswith(prefix + "/") \
            and database != "sqlite:///:memory:":
        database = prefix + str(base / database[len(prefix):])
    return config.model_copy(update={"evaluation": evaluation, "schedules": schedules,
                                     "database": database})


def load_config(path: Path | None, limits: Limits | None = None) -> ServiceConfig:
    """Read and validate a service config file (None: all defaults)."""
    if path is None:
        return ServiceConfig()
    limits = limits or Limits(max_bytes=1024 * 1024)
    try:
        text, raw = documents.load_with_text(path, limits)
    except DocumentError as exc:
        raise ConfigError(exc.message, file=str(path), line=exc.line) from None
    if raw is None:
        raw = {}
    try:
        config = ServiceConfig.model_validate(raw)
    except ValidationError as exc:
        raise to_error(exc, ConfigError, file=str(path),
                       line_of=lambda loc: documents.line_of(text, loc, limits)) from None
    return _resolve(config, path.resolve().parent)


def check_notify_env(config: ServiceConfig, environ: Mapping[str, str]) -> None:
    """Every notification target's variable is set now: a webhook without its secret or
    an apprise target without its URL would only fail at delivery, long after an
    operator believed alerting works."""
    for schedule in config.schedules:
        for index, target in enumerate(schedule.notify):
            for key in ("secret_env", "apprise_env"):
                name = getattr(target, key)
                if name is not None and not environ.get(name):
                    raise ConfigError(f"schedule {schedule.name!r}: notify[{index}].{key}: "
                                      f"environment variable {name} is not set")


def token_hashes(config: ServiceConfig,
                 environ: dict[str, str] | None = None) -> dict[str, tuple[str, frozenset[str]]]:
    """hash -> (token name, scopes), reading env-held secrets now and keeping only hashes.

    ALMGUARD_TOKEN_<NAME> variables add tokens without a file entry:
    ALMGUARD_TOKEN_CI="gate:secret" gives a token named ci with the gate scope.
    """
    env = os.environ if environ is None else environ
    table: dict[str, tuple[str, frozenset[str]]] = {}
    for token in config.tokens:
        if token.env is not None:
            secret = env.get(token.env)
            if not secret:
                raise ConfigError(f"token {token.name!r}: environment variable {token.env} "
                                  "is not set")
            digest = hash_token(secret)
        else:
            assert token.sha256 is not None
            digest = token.sha256
        table[digest] = (token.name, frozenset(token.scopes))
    for key, value in sorted(env.items()):
        if not key.startswith("ALMGUARD_TOKEN_") or key == "ALMGUARD_TOKEN_":
            continue
        name = key[len("ALMGUARD_TOKEN_"):].lower()
        scopes, sep, secret = value.partition(":")
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        if not sep or not secret or not wanted or any(s not in SCOPES for s in wanted):
            raise ConfigError(f"{key}: expected SCOPES:SECRET with scopes from "
                              f"{', '.join(SCOPES)} (e.g. gate,read:s3cr3t)")
        table[hash_token(secret)] = (name, frozenset(wanted))
    return table

