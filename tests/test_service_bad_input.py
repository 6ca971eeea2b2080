"""The service's answers to bad input (issue #13): 422 with one line naming the field.

Kept beside test_service_api.py (same in-process service, SQLite only: these requests never
reach the store) so that the loader's rules are checked where a client meets them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from service_support import auth, read_document, service_config

from checker.documents import Limits
from checker.service.api import create_app
from checker.service.routes.gates import gate_request
from checker.service.service import Service
from conftest import MINIMAL, SAMPLES

COMPLIANT = SAMPLES / "compliant.yaml"
JSON = {"Content-Type": "application/json"}
ASK = {"model": "support-summarizer", "version": "2.1.0", "endpoint": "support-summarizer-prod"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    service = Service(service_config(f"sqlite:///{tmp_path / 'almguard.db'}",
                                     scheduler=False), environ={})
    with TestClient(create_app(service)) as value:
        yield value


def one_line(response: Any) -> str:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail, detail
    return detail


def gate(client: TestClient, body: dict[str, Any] | bytes) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.post("/v1/gate", content=content, headers={**auth("gater"), **JSON})
    assert "almguard-decision" not in response.headers or response.status_code == 200
    return response


@pytest.mark.parametrize("value", [True, False, "50", "100", None, [50], {"v": 50}])
def test_gate_traffic_percent_must_be_a_number(client: TestClient, value: Any):
    body = {"snapshot": read_document(COMPLIANT), **ASK, "traffic_percent": value}
    detail = one_line(gate(client, body))
    assert detail.startswith("request body: traffic_percent: "), detail
    assert "valid number" in detail


def test_gate_takes_integer_and_fractional_traffic():
    for value in (50, 12.5, 100):
        body = json.dumps({"registry": "r", **ASK, "traffic_percent": value}).encode()
        assert gate_request(body, Limits()).traffic_percent == value


@pytest.mark.parametrize(("field", "value"), [("model", 7), ("version", 2.1),
                                              ("endpoint", True), ("at", 1700000000)])
def test_gate_string_fields_refuse_other_types(client: TestClient, field: str, value: Any):
    body = {"snapshot": read_document(COMPLIANT), **ASK, field: value}
    detail = one_line(gate(client, body))
    assert detail.startswith(f"request body: {field}: "), detail


def test_gate_body_with_a_lone_surrogate_names_the_field(client: TestClient):
    body = json.dumps({"registry": "contoso-foundry", **ASK}).replace(
        '"support-summarizer-prod"', '"prod\\ud800"').encode()
    detail = one_line(gate(client, body))
    assert detail.startswith("request body:1: endpoint: string holds a lone UTF-16 "
                             "surrogate \\ud800"), detail


def test_gate_inline_snapshot_number_beyond_2_53_names_its_path(client: TestClient):
    snapshot = read_document(COMPLIANT)
    version = snapshot["models"][0]["versions"][0]
    version["evaluations"] = [{"metric": "auc", "value": 2**53 + 1}]
    detail = one_line(gate(client, {"snapshot": snapshot, **ASK}))
    assert "models[0].versions[0].evaluations[0].value: integer 9007199254740993 is " \
        "beyond ±2^53" in detail, detail


def _scan(client: TestClient, body: str) -> Any:
    return client.post("/v1/scans", content=body.encode(), headers={**auth("scanner"), **JSON})


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('"schema_version": 1', '"schema_version": 1.0',
     "request body:2: schema_version: must be the integer 1, not 1.0"),
    ('"contoso-foundry"', '"contoso\\udfff"',
     "request body:4: registry.name: string holds a lone UTF-16 surrogate \\udfff"),
    ('"risk-ml"', "123456789012345678901234567890",
     ("request body:17: models[0].owner: input should be a valid string (got "
      "123456789012345678901234567890")),
    ('"2026-11-20T08:00:00Z"', '"2026-11-20T08:00:00-00:60"',
     ("request body:5: registry.captured_at: not a valid time '2026-11-20T08:00:00-00:60': "
      "offset -00:60 is not a UTC offset")),
])
def test_scan_body_errors_are_422_naming_path_and_line(client: TestClient, old: str, new: str,
                                                       expected: str):
    body = json.dumps(yaml.safe_load(MINIMAL), indent=1).replace(old, new, 1)
    assert new in body
    assert one_line(_scan(client, body)).startswith(expected)


# The loader accepts 9999-12-31T23:59:59-01:00 (10000-01-01T00:59:59Z); the service's
# Service.scan and Service.gate convert times with store.to_utc, whose ValueError for a time
# beyond datetime once in UTC they do not catch (a 500). Comparing aware datetimes
# (snapshot.parse_time) or snapshot.time_ns would not overflow.
def test_scan_with_a_year_10000_utc_capture_is_refused_not_a_crash(client: TestClient):
    body = json.dumps(yaml.safe_load(MINIMAL)).replace("2026-11-20T08:00:00Z",
                                                       "9999-12-31T23:59:59-01:00")
    response = _scan(client, body)
    assert response.status_code == 422, response.text
    assert "captured_at" in one_line(response)


def test_gate_at_a_year_10000_utc_time_is_not_a_crash(client: TestClient):
    body = {"snapshot": read_document(COMPLIANT), **ASK, "at": "9999-12-31T23:59:59-01:00"}
    response = gate(client, body)
    # a gate dated ~8000 years after the capture: refused by the decision, never a pass
    assert response.status_code == 422, response.text
    assert "at" in one_line(response)
