"""The reporting service's HTTP API, in-process (TestClient), on SQLite and PostgreSQL.

Every answer that the CLI can also give is compared with the CLI's, byte for byte where the
CLI prints JSON: a stored scan's report.json is `almguard scan --format json`, a gate is
`almguard gate --format json`, a diff is the set difference of the two scans' findings.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import json
import re
import shutil
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

import pytest
from fastapi.testclient import TestClient

from checker.engines.interface import Engine
from checker.errors import EngineError
from checker.service.api import create_app
from checker.service.config import ConfigError, ServiceConfig, load_config
from checker.service.scheduler import RunInProgress, Scheduler
from checker.service.service import Service
from checker.sources.file import FileSource
from conftest import MINIMAL, SAMPLE_SNAPSHOTS, SAMPLES, run_cli
from service_support import TOKENS, auth, read_document, secret, service_config, wait_until

COMPLIANT = SAMPLES / "compliant.yaml"     # contoso-foundry, pass
AUDIT = SAMPLES / "audit-scenario.yaml"    # contoso-cards, fail
MESSY = SAMPLES / "messy.yaml"             # contoso-foundry-legacy, fail

YAML = {"Content-Type": "application/yaml"}
JSON = {"Content-Type": "application/json"}


# --- helpers -------------------------------------------------------------------------------

@functools.cache
def cli_output(*args: str) -> str:
    """What the CLI prints for these arguments (each distinct command runs once)."""
    run = run_cli(*args)
    assert run.code in (0, 1), run.stderr
    return run.stdout


def cli_findings(path: Path) -> set[tuple[str, str, str, str]]:
    doc = json.loads(cli_output("scan", str(path), "--format", "json"))
    return {finding_key(f) for f in doc["findings"]}


def finding_key(f: dict[str, Any]) -> tuple[str, str, str, str]:
    return (f["rule_id"], f["resource"]["kind"], f["resource"]["id"], f["message"])


@dataclass
class Api:
    client: TestClient
    service: Service

    def scan(self, path: Path, token: str = "scanner") -> dict[str, Any]:
        headers = {**auth(token), **(JSON if path.suffix == ".json" else YAML)}
        response = self.client.post("/v1/scans", content=path.read_bytes(), headers=headers)
        assert response.status_code == 201, response.text
        return response.json()

    def get(self, url: str, token: str = "reader", **kwargs: Any) -> Any:
        return self.client.get(url, headers=auth(token), **kwargs)


@contextmanager
def serving(config: ServiceConfig, environ: dict[str, str] | None = None,
            **client_args: Any) -> Iterator[Api]:
    service = Service(config, environ=environ or {})
    with TestClient(create_app(service), **client_args) as client:
        yield Api(client, service)


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    with serving(service_config(database_url, scheduler=False)) as value:
        yield value


def one_line(response: Any) -> str:
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail and "\n" not in detail, detail
    return detail


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=1))
    return path


# --- scans -----------------------------------------------------------------------------------

def test_post_scan_takes_yaml_and_json_and_answers_201_with_location(api: Api):
    yaml_body = COMPLIANT.read_bytes()
    json_body = json.dumps(read_document(COMPLIANT)).encode()
    first = api.client.post("/v1/scans", content=yaml_body, headers={**auth("scanner"), **YAML})
    second = api.client.post("/v1/scans", content=json_body, headers={**auth("scanner"), **JSON})
    sniffed = api.client.post("/v1/scans", content=yaml_body,       # no YAML media type
                              headers={**auth("scanner"), "Content-Type": "text/plain"})
    for response in (first, second, sniffed):
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"/v1/scans/{body['id']}"
        assert body["registry"] == "contoso-foundry" and body["verdict"] == "pass"
        assert body["source"] == "api" and body["requested_by"] == "scanner"
        assert api.get(response.headers["location"]).json() == body
    ids = [r.json()["id"] for r in (first, second, sniffed)]
    assert len(set(ids)) == 3
    assert len({r.json()["snapshot_digest"] for r in (first, second, sniffed)}) == 1
    assert api.get("/v1/scans/999999").status_code == 404


def test_same_snapshot_is_stored_once_however_often_it_is_scanned(api: Api, tmp_path: Path):
    as_json = write_json(tmp_path / "compliant.json", read_document(COMPLIANT))
    scans = [api.scan(COMPLIANT), api.scan(COMPLIANT), api.scan(as_json), api.scan(MESSY)]
    assert len({s["id"] for s in scans}) == 4
    assert api.service.store.counts() == (4, 2)
    assert scans[0]["snapshot_digest"] == scans[1]["snapshot_digest"] == \
        scans[2]["snapshot_digest"] != scans[3]["snapshot_digest"]


def test_a_snapshot_stored_by_another_scan_meanwhile_is_retried_once(
        api: Api, monkeypatch: pytest.MonkeyPatch):
    """Two scans of one new snapshot at once: both see no snapshot row, one insert loses
    with an integrity error, and its scan is stored again, whole, against the winner's."""
    from sqlalchemy.orm import Session

    from checker.service.tables import SnapshotRow

    first = api.scan(COMPLIANT)
    real_get = Session.get
    blind = [True]

    def racing_get(self: Session, entity: Any, ident: Any, **kwargs: Any) -> Any:
        if entity is SnapshotRow and blind[0]:     # the other scan has not committed yet
            blind[0] = False
            return None
        return real_get(self, entity, ident, **kwargs)

    monkeypatch.setattr(Session, "get", racing_get)
    second = api.scan(COMPLIANT)
    assert not blind[0]
    assert second["registry"] == first["registry"] == "contoso-foundry"
    assert second["snapshot_digest"] == first["snapshot_digest"]
    assert api.service.store.counts() == (2, 1)
    assert api.get(f"/v1/scans/{second['id']}/report.json").content == \
        api.get(f"/v1/scans/{first['id']}/report.json").content


def collect(api: Api, url: str, limit: int) -> list[int]:
    """Follow the `next` links from url; every page is full until the last."""
    ids: list[int] = []
    pages = 0
    while url is not None:
        response = api.get(url)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["scans"]) <= limit
        ids += [s["id"] for s in page["scans"]]
        url = page["next"]
        pages += 1
        assert pages < 100
    return ids


def test_list_filters_and_the_next_chain_covers_every_scan_exactly_once(api: Api):
    posted = [api.scan(path) for path in (COMPLIANT, MESSY, AUDIT, COMPLIANT, MESSY,
                                          COMPLIANT, AUDIT)]
    ids = [s["id"] for s in posted]
    newest_first = sorted(ids, reverse=True)
    for limit in (1, 2, 3, 7, 50):
        assert collect(api, f"/v1/scans?limit={limit}", limit) == newest_first

    def expect(pred: Any) -> list[int]:
        return [s["id"] for s in sorted(posted, key=lambda s: -s["id"]) if pred(s)]

    assert collect(api, "/v1/scans?registry=contoso-foundry&limit=2", 2) == \
        expect(lambda s: s["registry"] == "contoso-foundry")
    assert collect(api, "/v1/scans?registry=contoso-foundry-legacy&limit=1", 1) == \
        expect(lambda s: s["registry"] == "contoso-foundry-legacy")
    assert collect(api, "/v1/scans?registry=nobody", 5) == []
    for verdict in ("pass", "fail"):
        assert collect(api, f"/v1/scans?verdict={verdict}&limit=2", 2) == \
            expect(lambda s, v=verdict: s["verdict"] == v)

    def created(s: dict[str, Any]) -> datetime:
        return datetime.fromisoformat(s["created_at"].replace("Z", "+00:00"))

    since, until = created(posted[2]), created(posted[5])
    # the offset written as +00:00 must survive the next link (a '+' is a space in a query)
    since_text = since.isoformat().replace("+00:00", "%2B00:00")
    until_text = posted[5]["created_at"]
    window = expect(lambda s: since <= created(s) < until)
    assert window and len(window) < len(posted)
    assert collect(api, f"/v1/scans?since={since_text}&until={until_text}&limit=1", 1) == \
        window
    assert collect(api, f"/v1/scans?since={since_text}&verdict=fail&registry=contoso-cards"
                   "&limit=1", 1) == expect(lambda s: since <= created(s) and
                                            s["verdict"] == "fail" and
                                            s["registry"] == "contoso-cards")
    assert api.get("/v1/scans?since=yesterday").status_code == 400
    assert api.get("/v1/scans?verdict=maybe").status_code == 422
    assert api.get("/v1/scans?limit=0").status_code == 422


@pytest.mark.parametrize(("url", "detail"), [
    ("/v1/scans?limit=0",
     "query.limit: input should be greater than or equal to 1 (got '0')"),
    ("/v1/scans?verdict=maybe",
     "query.verdict: input should be 'pass' or 'fail' (got 'maybe')"),
    ("/v1/scans/abc",
     ("path.scan_id: input should be a valid integer, unable to parse string as an integer "
      "(got 'abc')")),
    ("/v1/lineage?endpoint=x", "query.registry: required field missing"),
    ("/v1/scans?limit=0&before=0",
     "query.limit: input should be greater than or equal to 1 (got '0') (and 1 more)"),
])
def test_parameter_errors_are_422_with_the_documented_one_line_detail(api: Api, url: str,
                                                                     detail: str):
    """FastAPI's own checks answer like every other error: {"detail": "<where>: <why>"}."""
    response = api.get(url)
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": detail}
    assert one_line(response) == detail


def test_reports_are_the_clis_json_and_valid_sarif_html_pdf(api: Api):
    for path in (COMPLIANT, MESSY):
        scan = api.scan(path)
        base = f"/v1/scans/{scan['id']}"
        report = api.get(f"{base}/report.json")
        assert report.status_code == 200
        assert report.headers["content-type"].startswith("application/json")
        assert report.content == cli_output("scan", str(path), "--format", "json").encode()
        sarif = api.get(f"{base}/report.sarif")
        assert sarif.status_code == 200
        runs = sarif.json()["runs"]
        assert sarif.json()["version"] == "2.1.0" and len(runs) == 1
        assert {r["ruleId"] for r in runs[0]["results"]} == \
            {k[0] for k in cli_findings(path)}
    html = api.get(f"{base}/report.html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "contoso-foundry-legacy" in html.text
    pdf = api.get(f"{base}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert api.get(f"{base}/report.docx").status_code == 404
    assert api.get("/v1/scans/424242/report.json").status_code == 404


def test_the_html_report_carries_the_dashboards_security_headers(api: Api):
    scan = api.scan(AUDIT)
    html = api.get(f"/v1/scans/{scan['id']}/report.html")
    assert html.status_code == 200
    assert html.headers["x-content-type-options"] == "nosniff"
    assert html.headers["x-frame-options"] == "DENY"
    assert html.headers["referrer-policy"] == "same-origin"
    policy = dict(part.strip().split(" ", 1)
                  for part in html.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'" and "script-src" not in policy
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert policy["form-action"] == "'none'"
    # the report's one inline stylesheet, and only it, by its hash
    styles = re.findall(r"<style>(.*?)</style>", html.text, re.S)
    assert len(styles) == 1 and "<script" not in html.text
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert policy["style-src"] == f"'sha256-{digest}'"
    for kind in ("json", "sarif", "pdf"):
        other = api.get(f"/v1/scans/{scan['id']}/report.{kind}")
        assert other.headers["x-content-type-options"] == "nosniff", kind


# --- diffs ---------------------------------------------------------------------------------

def changed_messy() -> dict[str, Any]:
    """messy.yaml with one fault fixed (churn-predictor gets an owner) and one added
    (sme-credit-prod loses its monitoring)."""
    doc = read_document(MESSY)
    next(m for m in doc["models"] if m["name"] == "churn-predictor")["owner"] = \
        "churn-ml@contoso.com"
    deployment = next(d for d in doc["deployments"] if d["endpoint"] == "sme-credit-prod")
    del deployment["monitoring"]
    return doc


def test_diff_of_two_scheduled_scans_of_a_changed_registry_is_exact(database_url: str,
                                                                   tmp_path: Path):
    before = write_json(tmp_path / "before.json", read_document(MESSY))
    after = write_json(tmp_path / "after.json", changed_messy())
    target = tmp_path / "registry.json"
    shutil.copy(before, target)
    schedule = {"name": "legacy", "cron": "0 3 * * *",
                "source": {"kind": "file", "path": str(target)}}
    with serving(service_config(database_url, schedules=[schedule], scheduler=False)) as api:
        first = api.client.post("/v1/schedules/legacy/run", headers=auth("admin")).json()
        shutil.copy(after, target)
        second = api.client.post("/v1/schedules/legacy/run", headers=auth("admin")).json()
        assert first["status"] == second["status"] == "succeeded", (first, second)
        assert first["scans"] == second["scans"] == 1
        scans = api.get("/v1/scans").json()["scans"]
        assert [s["id"] for s in scans] == [second["scan_id"], first["scan_id"]]
        assert all(s["source"] == "schedule:legacy" for s in scans)

        diff = api.get(f"/v1/scans/{second['scan_id']}/diff")
        assert diff.status_code == 200, diff.text
        body = diff.json()
        old, new = cli_findings(before), cli_findings(after)
        assert {finding_key(f) for f in body["new"]} == new - old
        assert {finding_key(f) for f in body["resolved"]} == old - new
        assert {finding_key(f) for f in body["unchanged"]} == old & new
        assert [f["rule_id"] for f in body["new"]] == ["ALM-MON-001"]
        assert [f["rule_id"] for f in body["resolved"]] == ["ALM-REG-003"]
        assert body["counts"] == {"new": 1, "resolved": 1, "unchanged": len(old & new)}
        assert body["before"]["id"] == first["scan_id"]
        assert body["after"]["id"] == second["scan_id"]
        explicit = api.get(f"/v1/scans/{second['scan_id']}/diff?against={first['scan_id']}")
        assert explicit.json() == body
        backwards = api.get(f"/v1/scans/{first['scan_id']}/diff?against={second['scan_id']}")
        assert backwards.json()["new"] == body["resolved"]
        assert backwards.json()["resolved"] == body["new"]

        runs = api.get("/v1/schedules/legacy/runs").json()["runs"]
        assert [r["status"] for r in runs] == ["succeeded", "succeeded"]
        listed = api.get("/v1/schedules").json()["schedules"]
        assert listed[0]["name"] == "legacy" and listed[0]["last_run"]["id"] == second["id"]


def test_diff_against_previous_of_a_first_scan_is_404(api: Api, tmp_path: Path):
    first = api.scan(COMPLIANT)
    other = api.scan(MESSY)      # another registry: still nothing before `first`
    assert api.get(f"/v1/scans/{first['id']}/diff?against=previous").status_code == 404
    detail = one_line(api.get(f"/v1/scans/{other['id']}/diff"))
    assert "first scan" in detail
    assert api.get(f"/v1/scans/{first['id']}/diff?against=abc").status_code == 400
    assert api.get(f"/v1/scans/{first['id']}/diff?against=9999").status_code == 404
    assert api.get("/v1/scans/9999/diff").status_code == 404
    assert api.get(f"/v1/scans/{api.scan(AUDIT)['id']}/diff").status_code == 404  # another
    second = api.scan(write_json(tmp_path / "early.json", earlier_compliant()))  # same registry
    assert api.get(f"/v1/scans/{second['id']}/diff").json()["before"]["id"] == first["id"]


# --- gates ---------------------------------------------------------------------------------

GATES: dict[str, tuple[Path, dict[str, Any]]] = {
    "allow": (COMPLIANT, {"model": "support-summarizer", "version": "2.1.0",
                          "endpoint": "support-summarizer-prod"}),
    "deny": (AUDIT, {"model": "card-credit-limit-model", "version": "1.2.0",
                     "endpoint": "card-credit-limit-prod"}),
    "deny-settings": (COMPLIANT, {"model": "support-summarizer", "version": "2.1.0",
                                  "endpoint": "support-summarizer-prod",
                                  "deployment": {"content_safety": {"enabled": False},
                                                 "deployed_by": "alice@contoso.com"}}),
    "staging-canary": (MESSY, {"model": "credit-risk-scorer", "version": "1.2.0",
                               "endpoint": "credit-risk-canary", "environment": "staging",
                               "traffic_percent": 5, "at": "2026-11-20T09:03:00+01:00"}),
}
EXPECTED_DECISION = {"allow": "allow", "deny": "deny", "deny-settings": "deny",
                     "staging-canary": "deny"}


def gate_cli_args(path: Path, request: dict[str, Any], tmp_path: Path) -> list[str]:
    args = ["gate", str(path), "--model", request["model"], "--version", request["version"],
            "--endpoint", request["endpoint"], "--format", "json"]
    for key, flag in (("environment", "--environment"), ("traffic_percent", "--traffic"),
                      ("at", "--at")):
        if key in request:
            args += [flag, str(request[key])]
    if "deployment" in request:
        args += ["--deployment", str(write_json(tmp_path / "deployment.json",
                                                request["deployment"]))]
    return args


@pytest.mark.parametrize("case", sorted(GATES))
def test_gate_answers_exactly_what_the_gate_command_prints(api: Api, case: str,
                                                           tmp_path: Path):
    path, request = GATES[case]
    run = run_cli(*gate_cli_args(path, request, tmp_path))
    assert run.code == (0 if EXPECTED_DECISION[case] == "allow" else 1), run.stderr
    stored = api.scan(path)
    variants = {"registry": {"registry": stored["registry"]},
                "snapshot_digest": {"snapshot_digest": stored["snapshot_digest"]},
                "snapshot": {"snapshot": read_document(path)}}
    for name, target in variants.items():
        response = api.client.post("/v1/gate", json={**target, **request},
                                   headers=auth("gater"))
        assert response.status_code == 200, (name, response.text)
        assert response.headers["almguard-decision"] == EXPECTED_DECISION[case]
        assert response.content == run.stdout.encode(), name
    assert api.service.store.counts() == (1, 1)     # a gate stores nothing


def test_gate_refuses_unknown_targets_and_malformed_requests(api: Api):
    stored = api.scan(COMPLIANT)
    ask = {"model": "support-summarizer", "version": "2.1.0",
           "endpoint": "support-summarizer-prod"}

    def post(body: Any) -> Any:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = api.client.post("/v1/gate", content=content,
                                   headers={**auth("gater"), **JSON})
        assert "almguard-decision" not in response.headers
        return response

    assert post({"registry": "nobody", **ask}).status_code == 404
    assert post({"snapshot_digest": "sha256:" + "0" * 64, **ask}).status_code == 404
    malformed = {
        "not json": b"registry: contoso-foundry\nmodel: x\n",
        "truncated": b'{"registry": "contoso-foundry",',
        "no model": {"registry": "contoso-foundry", "version": "2.1.0", "endpoint": "e"},
        "unknown field": {"registry": "contoso-foundry", "colour": "red", **ask},
        "no target": ask,
        "two targets": {"registry": "contoso-foundry",
                        "snapshot_digest": stored["snapshot_digest"], **ask},
        "bad traffic": {"registry": "contoso-foundry", **ask, "traffic_percent": 0},
        "bad at": {"registry": "contoso-foundry", **ask, "at": "tomorrow"},
        "bad environment": {"registry": "contoso-foundry", **ask, "environment": "prod"},
        "bad settings": {"registry": "contoso-foundry", **ask,
                         "deployment": {"content_safety": {"enabled": "no"}}},
        "invalid snapshot": {"snapshot": {"schema_version": 1}, **ask},
        "array": [1, 2],
    }
    for name, body in malformed.items():
        response = post(body)
        assert response.status_code == 422, (name, response.text)
        one_line(response)
    # errors name the request's fields, not the command line's flags
    for name, field in (("bad traffic", "traffic_percent: "), ("bad at", "at: ")):
        detail = post(malformed[name]).json()["detail"]
        assert field in detail and "--" not in detail, detail


class BrokenEngine(Engine):
    """An engine whose server went away: every evaluation raises EngineError."""

    name = "broken"

    def version(self) -> str:
        return "0"

    def load(self, policies: Any) -> None:
        pass

    def evaluate(self, inputs: Any, *query: Any) -> list[Any]:
        raise EngineError("policy engine unreachable: connection refused")


def test_gate_fails_closed_when_the_engine_fails(api: Api):
    stored = api.scan(COMPLIANT)
    path, request = GATES["allow"]
    body = {"snapshot_digest": stored["snapshot_digest"], **request}
    assert api.client.post("/v1/gate", json=body, headers=auth("gater")) \
        .headers["almguard-decision"] == "allow"
    evaluator = api.service.evaluator
    real, evaluator._engine = evaluator._engine, BrokenEngine()
    try:
        response = api.client.post("/v1/gate", json=body, headers=auth("gater"))
        scan = api.client.post("/v1/scans", content=MESSY.read_bytes(),   # not seen yet
                               headers={**auth("scanner"), **YAML})
    finally:
        evaluator._engine = real
    assert response.status_code == 503
    assert "almguard-decision" not in response.headers
    assert "allow" not in response.text
    assert "fail closed" in one_line(response)
    assert scan.status_code == 503
    assert api.service.store.counts() == (1, 1)    # nothing stored for the failed scan


def test_a_cache_the_service_cannot_write_is_a_503_and_stores_nothing(database_url: str,
                                                                       tmp_path: Path):
    cache = tmp_path / "cache"
    cache.mkdir()
    for shard in range(256):            # a file where every shard directory would go
        (cache / f"{shard:02x}").write_text("not a shard")
    config = service_config(database_url, scheduler=False, evaluation={"cache": str(cache)})
    with serving(config) as api:
        response = api.client.post("/v1/scans", content=MESSY.read_bytes(),
                                   headers={**auth("scanner"), **YAML})
        assert response.status_code == 503, response.text
        assert "cannot write to the cache" in one_line(response)
        assert api.service.store.counts() == (0, 0)


def test_gate_fails_closed_when_the_evaluator_is_gone(database_url: str):
    config = service_config(database_url, scheduler=False)
    with serving(config, raise_server_exceptions=False) as api:
        path, request = GATES["allow"]
        api.service.evaluator.close()
        response = api.client.post("/v1/gate", json={"snapshot": read_document(path),
                                                     **request}, headers=auth("gater"))
        assert response.status_code >= 500
        assert "almguard-decision" not in response.headers
        assert "allow" not in response.text


class ForgetfulEngine(Engine):
    """A real engine that can lose its policies, as an OPA server restarted empty does:
    after forget() every evaluation raises EngineError until the policies are loaded
    again."""

    def __init__(self, real: Engine) -> None:
        self.real = real
        self.name = real.name
        self.loaded = True
        self.loads = 0

    def forget(self) -> None:
        self.loaded = False

    def version(self) -> str:
        return self.real.version()

    def load(self, policies: Any) -> None:
        self.real.load(policies)
        self.loaded = True
        self.loads += 1

    def evaluate(self, inputs: Any, *query: Any) -> list[Any]:
        if not self.loaded:
            raise EngineError("OPA server at http://127.0.0.1:1 has no almguard rules loaded "
                              "(data.almguard.rules is undefined)")
        return self.real.evaluate(inputs, *query)


@contextmanager
def engine_replaced(api: Api, engine: Engine) -> Iterator[None]:
    evaluator = api.service.evaluator
    real, evaluator._engine = evaluator._engine, engine
    try:
        yield
    finally:
        evaluator._engine = real


def test_readyz_is_503_with_the_reason_while_the_engine_cannot_evaluate(api: Api):
    ready = api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    with engine_replaced(api, BrokenEngine()):
        answer = api.client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["status"] == "unavailable"
    assert "policy engine cannot evaluate" in one_line(answer)
    assert "connection refused" in one_line(answer)
    assert api.client.get("/readyz").status_code == 200


def test_an_engine_that_lost_its_policies_gets_them_again_and_recovers(api: Api):
    stored = api.scan(COMPLIANT)
    path, request = GATES["allow"]
    body = {"snapshot_digest": stored["snapshot_digest"], **request}
    expected = api.client.post("/v1/gate", json=body, headers=auth("gater"))
    assert expected.headers["almguard-decision"] == "allow"
    forgetful = ForgetfulEngine(api.service.evaluator.engine)
    with engine_replaced(api, forgetful):
        forgetful.forget()                       # readiness notices, reloads, is ready
        ready = api.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert forgetful.loaded and forgetful.loads == 1
        forgetful.forget()                       # a gate notices, reloads, retries
        gate = api.client.post("/v1/gate", json=body, headers=auth("gater"))
        assert gate.status_code == 200, gate.text
        assert gate.content == expected.content and forgetful.loads == 2
        forgetful.forget()                       # so does a scan
        scan = api.client.post("/v1/scans", content=MESSY.read_bytes(),
                               headers={**auth("scanner"), **YAML})
        assert scan.status_code == 201, scan.text
        assert forgetful.loads == 3
        assert api.get(f"/v1/scans/{scan.json()['id']}/report.json").content == \
            cli_output("scan", str(MESSY), "--format", "json").encode()
        assert api.client.get("/readyz").status_code == 200 and forgetful.loads == 3


class HeldEngine(ForgetfulEngine):
    """Evaluates once `go` is set: a long scan holding the engine's thread."""

    def __init__(self, real: Engine) -> None:
        super().__init__(real)
        self.go = threading.Event()
        self.started = threading.Event()

    def evaluate(self, inputs: Any, *query: Any) -> list[Any]:
        self.started.set()
        assert self.go.wait(60)
        return super().evaluate(inputs, *query)


def test_readyz_does_not_wait_behind_a_long_evaluation_that_is_going_well(api: Api):
    held = HeldEngine(api.service.evaluator.engine)
    api.scan(COMPLIANT)
    snapshot = FileSource(MESSY).load()                  # not evaluated yet
    with engine_replaced(api, held):
        scan = threading.Thread(target=api.service.scan, args=(snapshot,),
                                kwargs={"source": "test", "requested_by": "test"})
        scan.start()
        try:
            assert held.started.wait(30)
            started = time.monotonic()
            assert api.client.get("/readyz").status_code == 200
            assert time.monotonic() - started < 5
        finally:
            held.go.set()
            scan.join(60)
    assert not scan.is_alive() and api.service.store.counts() == (2, 2)   # it went on


class UnloadableEngine(ForgetfulEngine):
    """Lost its policies and cannot take them again (the server refuses them)."""

    def load(self, policies: Any) -> None:
        self.loads += 1
        raise EngineError("OPA server at http://127.0.0.1:1 refused data at almguard/config: "
                          "storage is read-only")


def test_an_engine_that_cannot_take_its_policies_again_fails_closed(api: Api):
    stored = api.scan(COMPLIANT)
    path, request = GATES["allow"]
    body = {"snapshot_digest": stored["snapshot_digest"], **request}
    unloadable = UnloadableEngine(api.service.evaluator.engine)
    unloadable.forget()
    with engine_replaced(api, unloadable):
        ready = api.client.get("/readyz")
        gate = api.client.post("/v1/gate", json=body, headers=auth("gater"))
    assert ready.status_code == 503
    assert "no almguard rules loaded" in one_line(ready)
    assert "loading the policies again failed" in one_line(ready)
    assert "read-only" in one_line(ready)
    assert gate.status_code == 503 and "almguard-decision" not in gate.headers
    assert "fail closed" in one_line(gate) and "read-only" in one_line(gate)
    assert unloadable.loads == 2              # once per request, not a loop


# --- lineage -------------------------------------------------------------------------------

def earlier_compliant() -> dict[str, Any]:
    """compliant.yaml as captured ten days before, when support-summarizer-prod served only
    2.0.0 (the 2.1.0 canary came on 2026-11-17)."""
    doc = read_document(COMPLIANT)
    doc["registry"]["captured_at"] = "2026-11-10T08:00:00Z"
    doc["deployments"] = [d for d in doc["deployments"]
                          if (d["endpoint"], d["version"]) != ("support-summarizer-prod",
                                                               "2.1.0")]
    for d in doc["deployments"]:
        if d["endpoint"] == "support-summarizer-prod":
            d["traffic_percent"] = 100
            d["rollout"] = d["rollout"][:2]
    return doc


def test_lineage_at_a_time_answers_from_the_snapshot_in_force_then(api: Api, tmp_path: Path):
    early = write_json(tmp_path / "early.json", earlier_compliant())
    late = COMPLIANT                                      # captured 2026-11-20T08:00:00Z
    api.scan(late)                                        # stored out of order on purpose
    api.scan(early)
    endpoint = "support-summarizer-prod"

    def lineage(at: str | None) -> Any:
        query = f"/v1/lineage?registry=contoso-foundry&endpoint={endpoint}"
        return api.get(query + (f"&at={at}" if at else ""))

    def served(body: dict[str, Any]) -> list[str]:
        return sorted(s["version"] for s in body["serving"])

    def cli(path: Path) -> dict[str, Any]:
        return json.loads(cli_output("lineage", str(path), "--endpoint", endpoint,
                                     "--format", "json"))

    between = lineage("2026-11-15T00:00:00Z").json()
    assert served(between) == ["2.0.0"]
    assert between["snapshot"]["captured_at"] == "2026-11-10T08:00:00Z"
    assert between["at"] == "2026-11-15T00:00:00Z"
    assert {k: v for k, v in between.items() if k not in ("snapshot", "at")} == cli(early)
    exact = lineage("2026-11-10T08:00:00Z").json()          # at the capture itself
    assert exact["snapshot"] == between["snapshot"]
    after = lineage("2026-11-21T09:30:00%2B01:00").json()   # 08:30 UTC
    assert served(after) == ["2.0.0", "2.1.0"]
    assert {k: v for k, v in after.items() if k not in ("snapshot", "at")} == cli(late)
    newest = lineage(None).json()
    assert served(newest) == ["2.0.0", "2.1.0"]
    assert lineage("2026-11-01T00:00:00Z").status_code == 404        # before both
    assert lineage("2026-11-10T07:59:59Z").status_code == 404
    assert lineage("last tuesday").status_code == 400
    assert api.get("/v1/lineage?registry=nobody&endpoint=x").status_code == 404
    missing = api.get("/v1/lineage?registry=contoso-foundry&endpoint=nowhere")
    assert missing.status_code == 404 and "nowhere" in one_line(missing)


# --- auth ----------------------------------------------------------------------------------

ROUTES: dict[str, list[tuple[str, str]]] = {
    "read": [("GET", "/v1/scans"), ("GET", "/v1/scans/1"), ("GET", "/v1/scans/1/report.json"),
             ("GET", "/v1/scans/2/diff"), ("GET", "/v1/registries"),
             ("GET", "/v1/schedules"), ("GET", "/v1/schedules/nightly/runs"),
             ("GET", "/v1/lineage?registry=contoso-cards&endpoint=card-credit-limit-prod")],
    "scan": [("POST", "/v1/scans")],
    "gate": [("POST", "/v1/gate")],
    "admin": [("POST", "/v1/schedules/nightly/run")],
}


def call(api: Api, method: str, url: str, headers: dict[str, str] | None = None) -> Any:
    body = None
    if url == "/v1/scans" and method == "POST":
        body = COMPLIANT.read_bytes()
    elif url == "/v1/gate":
        path, request = GATES["allow"]
        body = json.dumps({"registry": "contoso-foundry", **request}).encode()
    return api.client.request(method, url, content=body, headers=headers or {})


@pytest.fixture
def guarded(database_url: str, tmp_path: Path) -> Iterator[Api]:
    target = tmp_path / "nightly.yaml"
    shutil.copy(COMPLIANT, target)
    schedule = {"name": "nightly", "cron": "0 2 * * *",
                "source": {"kind": "file", "path": str(target)}}
    with serving(service_config(database_url, schedules=[schedule], scheduler=False)) as api:
        api.scan(COMPLIANT)
        api.scan(COMPLIANT)          # scan 2: a diff against the previous scan
        api.scan(AUDIT)              # contoso-cards, for the lineage route
        yield api


def test_no_token_or_an_unknown_token_is_401_on_every_protected_route(guarded: Api):
    for routes in ROUTES.values():
        for method, url in routes:
            for headers in ({}, {"Authorization": "Bearer not-a-known-token"},
                            {"Authorization": f"Basic {secret('admin')}"},
                            {"Authorization": "Bearer "}):
                response = call(guarded, method, url, headers)
                assert response.status_code == 401, (method, url, headers, response.text)
                assert response.headers["www-authenticate"].startswith("Bearer")
                one_line(response)
    for url in ("/healthz", "/readyz"):
        assert guarded.client.get(url).status_code == 200


def test_each_scope_opens_its_routes_only_and_admin_opens_all(guarded: Api):
    for scope, routes in ROUTES.items():
        for method, url in routes:
            for token, scopes in TOKENS.items():
                response = call(guarded, method, url, auth(token))
                if scope in scopes or "admin" in scopes:
                    assert response.status_code not in (401, 403), (token, method, url)
                    assert response.status_code < 300, (token, method, url, response.text)
                else:
                    assert response.status_code == 403, (token, method, url)
                    assert scope in one_line(response)


CROSS_SITE = [{"Origin": "https://evil.example"}, {"Origin": "null"},
              {"Origin": "http://testserver.evil.example"},
              {"Origin": "http://testserver:8081"},
              {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
              {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"}]
SAME_SITE = [{}, {"Origin": "http://testserver"}, {"Origin": "https://TestServer:443"},
             {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"},
             {"Sec-Fetch-Site": "same-origin", "Origin": "https://proxy.example"}]


def test_writes_a_browser_sends_from_another_site_are_refused(guarded: Api):
    writes = [(scope, method, url) for scope in ("scan", "gate", "admin")
              for method, url in ROUTES[scope]]
    counts = guarded.service.store.counts()
    for scope, method, url in writes:
        for headers in CROSS_SITE:                # even with a good token: 403, nothing done
            response = call(guarded, method, url, {**auth("admin"), **headers})
            assert response.status_code == 403, (url, headers, response.text)
            assert "another site" in one_line(response)
    assert guarded.service.store.counts() == counts
    assert guarded.service.store.runs("nightly", 5) == []
    for scope, method, url in writes:
        for headers in SAME_SITE:                 # same origin, or not a browser: as before
            response = call(guarded, method, url, {**auth("admin"), **headers})
            assert response.status_code < 300, (url, headers, response.text)
    for headers in CROSS_SITE:                    # reading is never a state change
        assert call(guarded, "GET", "/v1/scans", {**auth("reader"), **headers}) \
            .status_code == 200


def test_anonymous_read_opens_reading_but_never_writing(database_url: str):
    config = service_config(database_url, scheduler=False, anonymous_read=True)
    with serving(config) as api:
        api.scan(COMPLIANT)
        api.scan(COMPLIANT)
        api.scan(AUDIT)
        for method, url in ROUTES["read"]:
            if "schedules/nightly" in url:
                continue                 # no such schedule here: 404 after auth
            assert call(api, method, url).status_code == 200, url
        for scope in ("scan", "gate", "admin"):
            for method, url in ROUTES[scope]:
                assert call(api, method, url).status_code == 401, url
        # the dashboard's session reads, but never writes, even an admin's
        login = api.client.post("/login", content=f"token={secret('admin')}",
                                headers={"Content-Type": "application/x-www-form-urlencoded"},
                                follow_redirects=False)
        assert login.status_code == 303 and secret("admin") not in login.headers["set-cookie"]
        assert api.client.cookies.get("almguard_session")
        assert call(api, "GET", "/v1/scans").status_code == 200
        assert call(api, "POST", "/v1/scans").status_code == 401
        assert call(api, "POST", "/v1/gate").status_code == 401
        assert call(api, "POST", "/v1/schedules/nightly/run").status_code == 401
        # a token in the cookie is not a session (the jar cleared first: with two cookies of
        # one name, the valid session would be the one read)
        api.client.cookies.clear()
        api.client.cookies.set("almguard_session", secret("admin"))
        assert api.client.get("/v1/scans", headers={}).status_code == 401
        api.client.cookies.clear()
        assert api.service.store.counts() == (3, 2)   # three scans of two snapshots


def test_tokens_from_the_environment_are_kept_only_as_hashes(database_url: str):
    config = service_config(database_url, scheduler=False, tokens=[
        {"name": "deploy", "scopes": ["gate", "read"], "env": "DEPLOY_TOKEN"}])
    environ = {"DEPLOY_TOKEN": "deploy-s3cret", "ALMGUARD_TOKEN_CI": "scan,read:ci-s3cret"}
    with serving(config, environ) as api:
        assert "deploy-s3cret" not in repr(vars(api.service.tokens))
        assert "ci-s3cret" not in repr(vars(api.service.tokens))
        ci = {"Authorization": "Bearer ci-s3cret"}
        deploy = {"Authorization": "Bearer deploy-s3cret"}
        assert api.client.post("/v1/scans", content=COMPLIANT.read_bytes(),
                               headers={**ci, **YAML}).status_code == 201
        assert api.client.get("/v1/scans", headers=deploy).status_code == 200
        assert api.client.post("/v1/scans", content=COMPLIANT.read_bytes(),
                               headers={**deploy, **YAML}).status_code == 403
        assert api.client.get("/v1/scans", headers=auth("admin")).status_code == 401
    with pytest.raises(ConfigError, match="DEPLOY_TOKEN is not set"):
        Service(config, environ={})
    with pytest.raises(ConfigError, match="ALMGUARD_TOKEN_X"):
        Service(service_config(database_url), environ={"ALMGUARD_TOKEN_X": "root:pw"})


# --- body limits and hostile input ---------------------------------------------------------

@pytest.fixture
def small(database_url: str) -> Iterator[Api]:
    with serving(service_config(database_url, scheduler=False, max_body_bytes=2048)) as api:
        yield api


def test_a_declared_length_over_the_limit_is_413_before_the_body_is_read(small: Api):
    assert ServiceConfig().max_body_bytes == 64 * 1024 * 1024
    assert len(MINIMAL) < 2048
    ok = small.client.post("/v1/scans", content=MINIMAL, headers={**auth("scanner"), **YAML})
    assert ok.status_code == 201
    big = MINIMAL + "#" * 3000 + "\n"
    for url, token in (("/v1/scans", "scanner"), ("/v1/gate", "gater")):
        response = small.client.post(url, content=big, headers={**auth(token), **YAML})
        assert response.status_code == 413
        assert "2048" in one_line(response)
    # at the ASGI level: the refusal comes before the application asks for a byte
    app = small.client.app
    received: list[Any] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        received.append(1)
        return {"type": "http.request", "body": b"x" * 1000, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/v1/scans", "raw_path": b"/v1/scans",
             "query_string": b"", "root_path": "", "server": ("testserver", 80),
             "client": ("127.0.0.1", 1234),
             "headers": [(b"host", b"testserver"), (b"content-length", b"1000000000"),
                         (b"authorization", f"Bearer {secret('scanner')}".encode())]}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert received == []
    assert small.service.store.counts() == (1, 1)


def test_a_chunked_body_over_the_limit_is_413(small: Api):
    def chunks(total: int) -> Iterator[bytes]:
        text = (MINIMAL + "#" * total + "\n").encode()
        for start in range(0, len(text), 256):
            yield text[start:start + 256]

    response = small.client.post("/v1/scans", content=chunks(5000),
                                 headers={**auth("scanner"), **YAML})
    assert response.status_code == 413, response.text
    assert "2048" in one_line(response)
    fits = small.client.post("/v1/scans", content=chunks(100),
                             headers={**auth("scanner"), **YAML})
    assert fits.status_code == 201, fits.text
    assert small.service.store.counts() == (1, 1)


def alias_bomb() -> str:
    lines = ["a: &a [x,x,x,x,x,x,x,x,x,x]"]
    for i in range(9):
        lines.append(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]")
    return "\n".join(lines) + "\n"


HOSTILE_SCANS: dict[str, tuple[bytes, str]] = {
    "alias bomb": (alias_bomb().encode(), "alias"),
    "100 levels": (("a: " + "[" * 100 + "]" * 100 + "\n").encode(), "nested deeper"),
    "100 levels block": ("".join("  " * i + f"k{i}:\n" for i in range(100)).encode(),
                         "nested deeper"),
    "python tag": (b"schema_version: 1\nregistry: !!python/object/apply:os.system [id]\n",
                   "explicit YAML tag"),
    "python object": (b"x: !!python/object:__main__.Evil {}\n", "explicit YAML tag"),
    "duplicate yaml key": (MINIMAL.replace("owner: risk-ml",
                                           "owner: risk-ml\n    owner: other").encode(),
                           "duplicate key 'owner'"),
    "duplicate json key": (b'{"schema_version": 1, "schema_version": 1}', "duplicate key"),
    "not utf-8": (b"schema_version: 1\nregistry: \xff\xfe\n", "not UTF-8"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not UTF-8"),
    "NUL": (b"schema_version: 1\x00\n", "NUL"),
    "empty": (b"  \n", "is empty"),
    "not a snapshot": (b"- 1\n- 2\n", "a snapshot is a mapping"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_SCANS))
def test_hostile_snapshot_bodies_are_422_with_one_line(api: Api, name: str):
    body, expected = HOSTILE_SCANS[name]
    response = api.client.post("/v1/scans", content=body, headers={**auth("scanner"), **YAML})
    assert response.status_code == 422, response.text
    detail = one_line(response)
    assert expected in detail and detail.startswith("request body")
    assert api.service.store.counts() == (0, 0)


HOSTILE_GATES: dict[str, bytes] = {
    "deep": b'{"model": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "duplicate": b'{"model": "a", "model": "b", "version": "1", "endpoint": "e"}',
    "not utf-8": b'{"model": "\xff"}',
    "NUL": b'{"model": "a\x00"}',
    "nan": b'{"registry": "r", "model": "m", "version": "1", "endpoint": "e", '
           b'"traffic_percent": NaN}',
}


@pytest.mark.parametrize("name", sorted(HOSTILE_GATES))
def test_hostile_gate_bodies_are_422_with_one_line(api: Api, name: str):
    response = api.client.post("/v1/gate", content=HOSTILE_GATES[name],
                               headers={**auth("gater"), **JSON})
    assert response.status_code == 422, response.text
    one_line(response)
    assert "almguard-decision" not in response.headers


# --- schedules (the scheduler with an injected clock) --------------------------------------

class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


NOON = datetime(2026, 11, 27, 12, 7, 30)


def file_schedule(name: str, path: Path, cron: str = "0 * * * *") -> dict[str, Any]:
    return {"name": name, "cron": cron, "source": {"kind": "file", "path": str(path)}}


@contextmanager
def scheduled(database_url: str, schedules: list[dict[str, Any]]) -> Iterator[Service]:
    service = Service(service_config(database_url, schedules=schedules, scheduler=False),
                      environ={})
    try:
        yield service
    finally:
        service.close()


def make_scheduler(service: Service, clock: Clock, scan: Any = None) -> Scheduler:
    return Scheduler(service.store, list(service.config.schedules),
                     scan or service.scan_and_store, clock=clock)


def test_due_slots_come_once_each_and_missed_slots_collapse_to_one():
    config = ServiceConfig.model_validate({"schedules": [
        file_schedule("quarter", Path("/nonexistent"), "*/15 * * * *"),
        file_schedule("daily", Path("/nonexistent"), "30 6 * * *")]})
    scheduler = Scheduler(None, list(config.schedules), lambda *a, **k: 0,  # type: ignore[arg-type]
                          clock=Clock(NOON))
    assert scheduler.due(NOON) == []                                # plans from now
    assert scheduler.due(NOON.replace(minute=14, second=59)) == []
    quarter = NOON.replace(minute=15, second=0)
    assert scheduler.due(quarter) == [("quarter", quarter)]
    assert scheduler.due(quarter + timedelta(seconds=30)) == []     # not twice
    late = datetime(2026, 11, 28, 7, 2)                             # many slots later
    assert scheduler.due(late) == [("quarter", late.replace(minute=0)),
                                   ("daily", late.replace(hour=6, minute=30))]
    assert scheduler.due(late) == []


def test_a_schedule_never_runs_twice_at_once(database_url: str):
    with scheduled(database_url, [file_schedule("slow", COMPLIANT)]) as service:
        release, entered = threading.Event(), threading.Event()

        def slow_scan(snapshot: Any, **kwargs: Any) -> int:
            entered.set()
            assert release.wait(60)
            return service.scan_and_store(snapshot, **kwargs)

        clock = Clock(NOON)
        scheduler = make_scheduler(service, clock, slow_scan)
        service.scheduler._scan = slow_scan      # the API's "run now" uses this one
        first = threading.Thread(target=scheduler.run, args=("slow",))
        first.start()
        try:
            assert entered.wait(60)
            assert scheduler.running() == {"slow"}
            scheduler.submit("slow", NOON)                       # skipped: still running
            for _ in range(3):
                with pytest.raises(RunInProgress):
                    scheduler.run("slow")
            clock.now = NOON.replace(hour=13, minute=0, second=5)
            for name, slot in scheduler.due(clock.now):          # the next slot comes
                scheduler.submit(name, slot)                     # ... and is skipped
            # another scheduler on the database (another replica: the service's own) sees
            # the claim in the database and refuses, by hand and through the API: 409
            with pytest.raises(RunInProgress, match="already running on replica"):
                service.scheduler.run("slow")
            client = TestClient(create_app(service))  # no lifespan: the test owns service
            response = client.post("/v1/schedules/slow/run", headers=auth("admin"))
            assert response.status_code == 409 and "already running" in one_line(response)
        finally:
            release.set()
            first.join(60)
            scheduler.stop()
        runs = service.store.runs("slow")
        assert [(r.status, r.error) for r in runs] == [("succeeded", None)]  # no more
        assert runs[0].replica == scheduler.replica
        assert service.store.counts() == (1, 1)
        service.scheduler.run("slow")                  # free again once the run is recorded
        assert len(service.store.runs("slow")) == 2


def test_failed_runs_are_recorded_with_their_error(database_url: str, tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema_version: 1\nregistry: {name: r, captured_at: 'x'\n")
    empty = tmp_path / "empty-dir"
    empty.mkdir()
    schedules = [file_schedule("missing", tmp_path / "gone.yaml"),
                 file_schedule("broken", broken),
                 {"name": "empty", "cron": "0 * * * *",
                  "source": {"kind": "directory", "path": str(empty)}}]
    expected = {"missing": "gone.yaml: no such file", "broken": "broken.yaml:",
                "empty": "no snapshot files"}
    with scheduled(database_url, schedules) as service:
        scheduler = make_scheduler(service, Clock(NOON))
        for name, text in expected.items():
            scheduler.run(name, NOON)
            run = service.store.last_run(name)
            assert run is not None and run.status == "failed", name
            assert run.error and text in run.error and "\n" not in run.error, run.error
            assert run.scan_id is None and run.finished_at is not None
        client = TestClient(create_app(service))      # no lifespan: the test owns service
        runs = client.get("/v1/schedules/missing/runs", headers=auth("reader")).json()
        assert runs["runs"][0]["status"] == "failed"
        assert "no such file" in runs["runs"][0]["error"]
        assert service.store.counts() == (0, 0)


def test_after_a_restart_a_missed_schedule_runs_once(database_url: str):
    with scheduled(database_url, [file_schedule("hourly", COMPLIANT),
                                  file_schedule("fresh", MESSY)]) as service:
        store = service.store
        long_ago = datetime(2026, 10, 1, 0, 0)
        seeded = store.start_run("hourly", long_ago)          # 57 days of missed slots
        store.finish_run(seeded, status="succeeded")
        clock = Clock(NOON)
        scheduler = make_scheduler(service, clock)
        scheduler.start()
        try:
            wait_until(lambda: len(store.runs("hourly")) == 2
                     and store.runs("hourly")[0].status != "running")
            time.sleep(0.3)                                   # nothing else follows
        finally:
            scheduler.stop()
        runs = store.runs("hourly")
        assert len(runs) == 2
        assert runs[0].status == "succeeded" and runs[0].slot == NOON.replace(minute=0,
                                                                              second=0)
        assert store.runs("fresh") == []                      # never ran: waits for a slot
        assert store.counts() == (1, 1)
        again = make_scheduler(service, clock)
        assert again.recover() == []                          # caught up: not again


def test_runs_left_running_by_a_killed_process_are_failed_at_recover(database_url: str):
    with scheduled(database_url, [file_schedule("hourly", COMPLIANT)]) as service:
        slot = NOON.replace(minute=0, second=0)
        service.store.start_run("hourly", slot - timedelta(hours=5))   # killed mid-run
        scheduler = make_scheduler(service, Clock(NOON))
        assert scheduler.recover() == ["hourly"]
        run = service.store.last_run("hourly")
        assert run is not None and run.status == "failed"
        assert "interrupted" in (run.error or "") and run.finished_at is not None


def test_a_run_interrupted_in_the_current_slot_runs_again_at_start(database_url: str):
    with scheduled(database_url, [file_schedule("hourly", COMPLIANT)]) as service:
        current = NOON.replace(minute=0, second=0)
        service.store.start_run("hourly", current)        # killed during this hour's run
        assert make_scheduler(service, Clock(NOON)).recover() == ["hourly"]
        assert make_scheduler(service, Clock(NOON)).recover() == []   # failed run recorded


def test_a_run_by_hand_interrupted_is_failed_but_not_run_again_as_a_slot(database_url: str):
    """A run asked for by hand and killed is not a slot: the restart must not run the
    cron's previous slot of a schedule that never ran by cron (it had not come yet)."""
    with scheduled(database_url, [file_schedule("yearly", COMPLIANT, "0 0 1 1 *")]) as service:
        service.store.start_run("yearly", NOON - timedelta(minutes=3, seconds=0.25))
        assert make_scheduler(service, Clock(NOON)).recover() == []
        run = service.store.last_run("yearly")
        assert run is not None and run.status == "failed" and "interrupted" in (run.error or "")


# --- configuration -------------------------------------------------------------------------

BAD_CONFIGS: dict[str, tuple[str, int, str]] = {
    "unknown key": ("database: sqlite:///x.db\nlisten: {host: 127.0.0.1}\n"
                    "max_body: 1000\n", 3, "unknown field"),
    "unknown nested key": ("listen:\n  host: 127.0.0.1\n  prot: 80\n", 3, "unknown field"),
    "bad cron": ("schedules:\n  - name: nightly\n    cron: '61 * * * *'\n"
                 "    source: {kind: file, path: s.yaml}\n", 3,
                 "'61 * * * *': the minute field '61' is out of range (0-59)"),
    "hour out of range": ("schedules:\n  - name: nightly\n    cron: '0 25 * * *'\n"
                          "    source: {kind: file, path: s.yaml}\n", 3,
                          "'0 25 * * *': the hour field '25' is out of range (0-23)"),
    "bad weekday": ("schedules:\n  - name: nightly\n    cron: '0 3 * * MOM'\n"
                    "    source: {kind: file, path: s.yaml}\n", 3,
                    "the day of week field 'MOM' is not a valid value (0-7 or SUN-SAT)"),
    "six-field cron": ("schedules:\n  - name: nightly\n    cron: '0 0 * * * *'\n"
                       "    source: {kind: file, path: s.yaml}\n", 3,
                       "not a five-field cron expression (minute hour day month weekday): "
                       "it has 6"),
    "token without secret": ("tokens:\n  - name: ci\n    scopes: [gate]\n", 2,
                             "exactly one of sha256"),
    "token bad scope": ("tokens:\n  - {name: ci, scopes: [root], env: X}\n", 2, "root"),
    "tiny body limit": ("max_body_bytes: 10\n", 1, "1024"),
    "cron that never fires": ("schedules:\n  - name: leap\n    cron: '0 0 31 2 *'\n"
                              "    source: {kind: file, path: s.yaml}\n", 3, "never fires"),
    "database in memory": ("database: 'sqlite:///:memory:'\n", 1, "not memory"),
    "empty cache path": ("evaluation:\n  engine: regorus\n  cache: ''\n", 3,
                         "needs a path, not an empty string"),
    "empty source path": ("schedules:\n  - name: nightly\n    cron: '0 3 * * *'\n"
                          "    source: {kind: file, path: ''}\n", 4,
                          "needs a path, not an empty string"),
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_config_errors_name_the_line(tmp_path: Path, name: str):
    text, line, message = BAD_CONFIGS[name]
    path = tmp_path / "service.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.line == line, str(info.value)
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["unknown key", "bad cron", "token without secret"])
def test_serve_with_a_bad_config_exits_2_with_one_line(tmp_path: Path, name: str):
    text, line, message = BAD_CONFIGS[name]
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    run = run_cli("serve", "--config", str(path), timeout=60)
    assert run.code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("almguard: error:")
    assert f"{path}:{line}" in lines[0] and message in lines[0]


def test_the_default_database_is_in_the_users_data_directory(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    default = tmp_path / "data" / "almguard" / "almguard.db"
    config_dir = tmp_path / "conf"
    config_dir.mkdir()
    path = config_dir / "service.yaml"
    path.write_text("scheduler: false\n")
    config = load_config(path)
    assert config.database == f"sqlite:///{default}" == load_config(None).database
    Service(config, environ={}).close()          # creates the directory and the database
    assert default.is_file() and (default.parent.stat().st_mode & 0o777) == 0o700
    assert list(config_dir.iterdir()) == [path]  # nothing lands beside the config
    # a SQLite file the config names is still relative to the config file
    path.write_text("database: sqlite:///here.db\n")
    assert load_config(path).database == f"sqlite:///{config_dir / 'here.db'}"
    # without XDG_DATA_HOME (or with a relative one): ~/.local/share/almguard
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_config(None).database == \
        f"sqlite:///{tmp_path / 'home' / '.local' / 'share' / 'almguard' / 'almguard.db'}"


def test_each_sample_is_a_registry_of_its_own_and_the_sample_config_keeps_out_of_samples():
    names = [read_document(path)["registry"]["name"] for path in SAMPLE_SNAPSHOTS]
    assert len(set(names)) == len(names), names  # one name would mix trends and diffs
    config = load_config(SAMPLES / "service.yaml")
    assert not config.database.startswith(f"sqlite:///{SAMPLES.resolve()}"), config.database
    assert [s.name for s in config.schedules] == ["contoso-cards"]
    assert read_document(config.schedules[0].source.path)["registry"]["name"] == \
        "contoso-cards"


def test_serve_on_a_busy_port_exits_2_with_one_line_before_starting(tmp_path: Path):
    database = tmp_path / "service.db"
    path = tmp_path / "service.yaml"
    path.write_text(f"database: 'sqlite:///{database}'\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = run_cli("serve", "--config", str(path), "--port", str(port), timeout=60)
    assert run.code == 2, run.stderr
    assert run.stderr.splitlines() == [
        f"almguard: error: cannot listen on 127.0.0.1:{port}: the port is already in use "
        "(another almguard serve?); pick another with --port or listen.port"]
    assert not database.exists()  # nothing started: no migrations, no schedules


# --- clocks: future captures and expired waivers -------------------------------------------

def test_a_snapshot_captured_in_the_future_is_refused(api: Api, tmp_path: Path):
    """Stored, it would stay the newest capture and answer every later gate."""
    doc = read_document(AUDIT)
    doc["registry"]["captured_at"] = "2099-01-01T00:00:00Z"
    response = api.client.post("/v1/scans", content=json.dumps(doc).encode(),
                               headers={**auth("scanner"), **JSON})
    assert response.status_code == 422
    detail = one_line(response)
    assert "registry.captured_at" in detail and "in the future" in detail
    assert api.service.store.counts() == (0, 0)


def test_a_waiver_expired_since_the_capture_no_longer_passes_a_gate(database_url: str,
                                                                     tmp_path: Path):
    """Rules judge the registry as captured; waivers are judged when the gate is asked."""
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - rule_id: ALM-APPR-001\n"
        "    resource: card-credit-limit-model@1.5.0\n"
        "    justification: until the CRO signs\n"
        "    approved_by: cro@contoso.com\n"
        '    approved_at: "2026-11-19T09:00:00Z"\n'
        '    expires_at: "2026-11-21T09:00:00Z"\n')            # after the capture, before now
    ask = {"registry": "contoso-cards", "model": "card-credit-limit-model",
           "version": "1.5.0", "endpoint": "card-credit-limit-prod", "traffic_percent": 10}
    # the command line judges the waiver on the snapshot's clock: still valid there
    cli = run_cli("gate", str(AUDIT), "--model", "card-credit-limit-model", "--version",
                  "1.5.0", "--endpoint", "card-credit-limit-prod", "--traffic", "10",
                  "--waivers", str(waivers), "--format", "json")
    assert cli.code == 0, cli.stderr
    config = service_config(database_url, scheduler=False,
                            evaluation={"waivers": str(waivers)})
    with serving(config) as api:
        api.scan(AUDIT)
        response = api.client.post("/v1/gate", content=json.dumps(ask).encode(),
                                   headers={**auth("gater"), **JSON})
        assert response.status_code == 200
        assert response.headers["almguard-decision"] == "deny"
        result = response.json()
        assert [w["rule_id"] for w in result["waivers"]["expired"]] == ["ALM-APPR-001"]
        failed = {c["rule_id"] for c in result["gate"]["checklist"] if not c["passed"]}
        assert "ALM-APPR-001" in failed


def test_ids_and_times_out_of_range_are_client_errors_not_crashes(api: Api):
    api.scan(COMPLIANT)
    huge = "9" * 30
    for url in (f"/v1/scans/{huge}", f"/v1/scans/{2**40}/report.json",
                f"/v1/scans/1/diff?against={2**40}"):
        assert api.get(url).status_code == 404, url
    assert api.get(f"/v1/scans?before={2**40}").json()["scans"][0]["id"] == 1
    for query in ("since=0001-01-01T00:00:00%2B05:00", "until=9999-12-31T23:59:59-05:00"):
        response = api.get(f"/v1/scans?{query}")
        assert response.status_code == 400 and "out of range" in one_line(response), query
    response = api.get("/v1/lineage?registry=contoso-foundry&endpoint=x"
                       "&at=9999-12-31T23:59:59-05:00")
    assert response.status_code == 400
