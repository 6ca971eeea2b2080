"""A schedule scans a composition (issue #19): the compose config's sources merged, the
stored scan the same as `almguard scan --sources CONFIG`."""

from __future__ import annotations

import json

from checker.service.api import create_app
from checker.service.service import Service
from conftest import ROOT, run_cli
from fastapi.testclient import TestClient
from service_support import auth, service_config

CONFIG = ROOT / "tests" / "fixtures" / "compose" / "compose.yaml"


def test_a_schedule_scans_a_composition_as_the_cli_does(database_url: str):
    schedule = {"name": "composed", "cron": "0 3 * * *",
                "source": {"kind": "compose", "path": str(CONFIG)}}
    service = Service(service_config(database_url, schedules=[schedule], scheduler=False),
                      environ={})
    with TestClient(create_app(service)) as client:
        run = client.post("/v1/schedules/composed/run", headers=auth("admin")).json()
        assert run["status"] == "succeeded", run
        stored = client.get(f"/v1/scans/{run['scan_id']}/report.json",
                            headers=auth("reader"))
        assert stored.status_code == 200, stored.text
    cli = run_cli("scan", "--sources", str(CONFIG), "--format", "json")
    assert cli.code in (0, 1), cli.stderr
    assert stored.text == cli.stdout        # byte for byte, as for a snapshot file
    assert json.loads(cli.stdout)["summary"]["findings"] > 0
