"""Support for the service's tests: a fresh database per test on SQLite and PostgreSQL,
API tokens with each scope, and service configs.

`database_url` is parametrized over `sqlite` (a file in the test's tmp_path) and
`postgres`: a uniquely named database created on the server that ALMGUARD_TEST_POSTGRES_URL
names (scripts/start-postgres.sh starts one and prints its URL), dropped after the test.
Without that variable the postgres cases are skipped, unless ALMGUARD_REQUIRE_TOOLS=1 (CI),
where they fail.
"""

from __future__ import annotations

import os
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml

from checker import documents
from checker.documents import Limits
from tool_support import missing

POSTGRES_ENV = "ALMGUARD_TEST_POSTGRES_URL"

# token name -> scopes; each token's secret is secret(name)
TOKENS: dict[str, list[str]] = {"reader": ["read"], "scanner": ["scan"], "gater": ["gate"],
                                "admin": ["admin"]}


def secret(name: str) -> str:
    return f"test-{name}-token"


def auth(name: str) -> dict[str, str]:
    """The Authorization header of the test token `name`."""
    return {"Authorization": f"Bearer {secret(name)}"}


def token_entries() -> list[dict[str, Any]]:
    """The config's tokens: stored as hashes, as an operator would write them."""
    from checker.service.config import hash_token   # the service extra: imported when used
    return [{"name": name, "scopes": scopes, "sha256": hash_token(secret(name))}
            for name, scopes in TOKENS.items()]


def config_dict(database_url: str, **extra: Any) -> dict[str, Any]:
    """A service config (as the YAML file would hold it) with the test tokens."""
    return {"database": database_url, "tokens": token_entries(), **extra}


def service_config(database_url: str, **extra: Any) -> Any:
    """The validated ServiceConfig."""
    from checker.service.config import ServiceConfig
    return ServiceConfig.model_validate(config_dict(database_url, **extra))


def config_text(database_url: str, **extra: Any) -> str:
    """The config file's text (for `almguard serve --config`)."""
    return yaml.safe_dump(config_dict(database_url, **extra), sort_keys=False)


def read_document(path: Path) -> Any:
    """A snapshot file as data, times kept as strings (the checker's own reader)."""
    return documents.load(path, Limits())


def wait_until(predicate: Callable[[], Any], timeout: float = 60, step: float = 0.02) -> Any:
    """Poll until predicate() is true (and return its value); fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(step)


def postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        missing(f"a PostgreSQL in ${POSTGRES_ENV}", "run scripts/start-postgres.sh, which "
                "prints the URL")
    return url


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database on the test server; dropped (connections and all) at exit."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    base = postgres_base_url()
    name = f"almguard_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(base).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for one test: SQLite file, then PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'almguard.db'}"
        return
    with postgres_database() as url:
        yield url
