"""Retention of stored evidence: keep N / keep days per registry, never a registry's newest
scan or one under legal hold; snapshots go with their last scan; every deletion logged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterator

import pytest

from conftest import SAMPLES
from service_support import auth, service_config

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from checker.service.api import create_app  # noqa: E402
from checker.service.retention import apply_retention  # noqa: E402
from checker.service.service import Service  # noqa: E402
from checker.service.store import utcnow  # noqa: E402

COMPLIANT = (SAMPLES / "compliant.yaml").read_text(encoding="utf-8")
AUDIT = (SAMPLES / "audit-scenario.yaml").read_text(encoding="utf-8")
CAPTURED = '  captured_at: "2026-11-20T08:00:00Z"'


def captured_on(day: int) -> str:
    """compliant.yaml captured on another day of November: another snapshot digest."""
    assert CAPTURED in COMPLIANT
    return COMPLIANT.replace(CAPTURED, f'  captured_at: "2026-11-{day:02d}T08:00:00Z"', 1)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    config = service_config(database_url, scheduler=False, retention={"keep_scans": 2})
    with TestClient(create_app(Service(config, environ={}))) as test_client:
        yield test_client


def post(client: TestClient, text: str) -> dict[str, Any]:
    answer = client.post("/v1/scans", content=text.encode(),
                         headers={**auth("scanner"), "Content-Type": "application/yaml"})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_retention_keeps_the_newest_and_held_scans_and_logs_each_deletion(
        client: TestClient):
    foundry = [post(client, captured_on(day))["id"] for day in (14, 15, 16, 17, 18)]
    foundry.append(post(client, captured_on(18))["id"])           # the same snapshot again
    cards = [post(client, AUDIT)["id"]]
    held = foundry[1]
    for headers, status in ((auth("reader"), 403), ({}, 401)):
        assert client.put(f"/v1/scans/{held}/hold", json={"reason": "x"},
                          headers=headers).status_code == status
        assert client.post("/v1/retention/run", headers=headers).status_code == status
    assert client.put("/v1/scans/999/hold", json={"reason": "x"},
                      headers=auth("admin")).status_code == 404
    placed = client.put(f"/v1/scans/{held}/hold", json={"reason": "case 2026-114"},
                        headers=auth("admin"))
    assert placed.status_code == 200 and placed.json()["placed_by"] == "admin"

    answer = client.post("/v1/retention/run", headers=auth("admin"))
    assert answer.status_code == 200, answer.text
    deleted = answer.json()["deleted"]
    # newest two of contoso-foundry kept (the last two), the held one kept, the one scan of
    # contoso-cards kept (a registry's newest scan is never deleted)
    assert sorted(d["scan_id"] for d in deleted) == [foundry[0], foundry[2], foundry[3]]
    assert all(d["registry"] == "contoso-foundry" and d["rule"] == "beyond the newest 2"
               for d in deleted)
    assert all(d["snapshot_deleted"] for d in deleted)            # no other scan of them
    left = [s["id"] for s in client.get("/v1/scans", headers=auth("reader")).json()["scans"]]
    assert sorted(left) == sorted([held, foundry[4], foundry[5], *cards])
    for gone in deleted:
        assert client.get(f"/v1/scans/{gone['scan_id']}",
                          headers=auth("reader")).status_code == 404
    assert client.get(f"/v1/scans/{held}/report.json",
                      headers=auth("reader")).status_code == 200   # its snapshot kept
    logged = client.get("/v1/retention/log", headers=auth("reader")).json()["deleted"]
    assert sorted(d["scan_id"] for d in logged) == sorted(d["scan_id"] for d in deleted)
    assert client.post("/v1/retention/run", headers=auth("admin")).json()["deleted"] == []

    # released, the held scan goes at the next pass
    assert client.delete(f"/v1/scans/{held}/hold", headers=auth("admin")).status_code == 204
    assert client.get("/v1/holds", headers=auth("reader")).json()["holds"] == []
    again = client.post("/v1/retention/run", headers=auth("admin")).json()["deleted"]
    assert [d["scan_id"] for d in again] == [held]


def test_keep_days_deletes_only_older_scans(database_url: str):
    config = service_config(database_url, scheduler=False)
    service = Service(config, environ={})
    try:
        client = TestClient(create_app(service))
        ids = [post(client, captured_on(day))["id"] for day in (14, 15, 16)]
        from checker.service.config import RetentionConfig
        days = RetentionConfig(keep_days=30)
        assert apply_retention(service.store, days) == []                    # all young
        later = utcnow() + timedelta(days=31)
        deleted = apply_retention(service.store, days, now=later)
        assert sorted(d.scan_id for d in deleted) == ids[:2]                 # newest kept
        assert {d.rule for d in deleted} == {"older than 30 days"}
        # no retention configured: running it by hand is refused, nothing deleted
        answer = client.post("/v1/retention/run", headers=auth("admin"))
        assert answer.status_code == 409 and "no retention" in answer.json()["detail"]
    finally:
        service.close()
