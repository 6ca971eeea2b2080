"""The dashboard: pages rendered in-process (login, escaping, filters, errors), then the same
pages in a real headless Chromium against a real `almguard serve` process.

The browser tests drive Debian's chromium (/usr/bin/chromium) through Playwright; without
it they skip, unless ALMGUARD_REQUIRE_TOOLS=1 (CI), where they fail. They take full-page
screenshots to /tmp/almguard-dashboard-*.png (and to the test's tmp_path) for people to
look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import ROOT, SAMPLES
from service_process import ServiceProcess, free_port, start_service, wait_until_ready
from service_support import read_document, wait_until

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from checker.service import dashboard  # noqa: E402
from checker.service.api import create_app  # noqa: E402
from checker.service.config import ServiceConfig, hash_token  # noqa: E402
from checker.service.service import Service  # noqa: E402
from reports.chart import TrendPoint, trend_chart  # noqa: E402
from tool_support import missing

VIEWER, WRITER, ADMIN = "view-s3cret", "scan-s3cret", "admin-s3cret"
TOKENS = {"ALMGUARD_TOKEN_VIEWER": f"read:{VIEWER}", "ALMGUARD_TOKEN_SEEDER": f"scan:{WRITER}",
          "ALMGUARD_TOKEN_ADMIN": f"admin:{ADMIN}"}
OPERATOR = "operator-s3cret"     # the live service's admin token (schedules: run now)
LEGACY = "contoso-foundry-legacy"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
NEW_DIGEST = "sha256:" + "5e" * 32

HOSTILE = """\
schema_version: 1
registry: {name: "<script>alert('registry')</script>", captured_at: "2026-11-20T08:00:00Z"}
datasets:
  - {name: "<img src=x onerror=alert(1)>", version: "1", uri: "javascript:alert('uri')"}
models:
  - name: "<script>alert('model')</script>"
    description: "<script>alert('description')</script>"
    versions:
      - version: "1.0.0"
        lineage:
          training_data: [{dataset: "<img src=x onerror=alert(1)>", version: "1"}]
deployments:
  - endpoint: "<b onmouseover=alert(1)>ep</b>"
    model: "<script>alert('model')</script>"
    version: "1.0.0"
    environment: production
    traffic_percent: 100
"""


def legacy_v2() -> str:
    """messy.yaml a week later: one fault fixed (card-transactions gets its digest), one
    introduced (loan-applications 7 loses its digest), and loan-applications 5 re-hashed,
    so the diff has exactly one new and one resolved finding and the lineage of
    credit-risk-prod shows different digests before and after."""
    text = (SAMPLES / "messy.yaml").read_text(encoding="utf-8")
    edits = [('  captured_at: "2026-11-20T08:00:00Z"', '  captured_at: "2026-11-27T08:00:00Z"'),
             ("card-transactions/2026/10/\n",
              'card-transactions/2026/10/\n    digest: "sha256:' + "c7" * 32 + '"\n'),
             ('    digest: "sha256:60c8c509113de42486257724f746dedadd0a58d3b54b981c13ca091515'
              '748a15"\n', ""),
             ("sha256:e03bd789432f0a0480d9c9ab12245ccd57e883ce78b153226c0ad88586e76260",
              NEW_DIGEST)]
    for old, new in edits:
        assert text.count(old) >= 1, old
        text = text.replace(old, new, 1 if "captured_at" in old else -1)
    return text


def seed_documents() -> list[str]:
    """One scan each of contoso-foundry and contoso-cards (ids 1, 2), three of
    contoso-foundry-legacy (ids 3 to 5)."""
    messy = (SAMPLES / "messy.yaml").read_text(encoding="utf-8")
    return [(SAMPLES / "compliant.yaml").read_text(encoding="utf-8"),
            (SAMPLES / "audit-scenario.yaml").read_text(encoding="utf-8"),
            messy, messy, legacy_v2()]


def shown_count(html: str) -> int:
    return len(re.findall(r'<tr class="finding', html))


# ======================================================================== in-process pages

@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(*, anonymous_read: bool = False, base_url: str = "http://testserver") -> TestClient:
        config = ServiceConfig(database=f"sqlite:///{tmp_path}/dash-{len(clients)}.db",
                               scheduler=False, anonymous_read=anonymous_read)
        client = TestClient(create_app(Service(config, environ=TOKENS)), base_url=base_url)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def post_scan(client: TestClient, text: str) -> dict[str, Any]:
    answer = client.post("/v1/scans", content=text.encode("utf-8"),
                         headers={"Authorization": f"Bearer {WRITER}",
                                  "Content-Type": "application/yaml"})
    assert answer.status_code == 201, answer.text
    return answer.json()


def bearer(token: str = VIEWER) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def seeded(make_client) -> TestClient:
    client = make_client()
    for text in seed_documents():
        post_scan(client, text)
    return client


def test_pages_redirect_to_login_without_a_token(seeded: TestClient):
    for path in ("/", f"/registries/{LEGACY}", "/scans/5?severity=high&q=loan", "/lineage"):
        answer = seeded.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        location = answer.headers["location"]
        assert location.startswith("/login?next=")
        assert urllib.parse.unquote(location.split("=", 1)[1]) == path
    assert seeded.get("/login").status_code == 200
    assert seeded.get("/dashboard.css").headers["content-type"].startswith("text/css")


def test_login_sets_an_httponly_strict_cookie_and_logout_clears_it(seeded: TestClient):
    answer = seeded.post("/login", content=f"token={VIEWER}&next=%2Fscans%2F5",
                         headers={"Content-Type": "application/x-www-form-urlencoded"},
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/scans/5"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("almguard_session=") and VIEWER not in cookie   # never the token
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    session = cookie.split(";")[0].split("=", 1)[1]
    assert "Secure" not in cookie          # plain http: a Secure cookie would never return
    page = seeded.get("/scans/5")
    assert page.status_code == 200 and "Scan #5" in page.text and "viewer" in page.text
    # the cookie is for reading only: it never authorizes a write
    assert seeded.post("/v1/scans", content=b"{}").status_code == 401
    # every page logs out with a form (POST); GET /logout only shows that form
    assert re.search(r'<form method="post" action="/logout" class="logout">', page.text)
    assert 'href="/logout"' not in page.text
    confirm = seeded.get("/logout", follow_redirects=False)
    assert confirm.status_code == 200 and "set-cookie" not in confirm.headers
    assert '<form method="post" action="/logout"' in confirm.text and "viewer" in confirm.text
    assert seeded.get("/scans/5").status_code == 200          # still logged in
    out = seeded.post("/logout", follow_redirects=False)
    assert out.status_code == 303 and 'almguard_session=""' in out.headers["set-cookie"]
    seeded.cookies.clear()
    assert seeded.get("/", follow_redirects=False).status_code == 303
    # logging out ends the session on the server too: the old cookie no longer reads
    seeded.cookies.set("almguard_session", session)
    assert seeded.get("/", follow_redirects=False).status_code == 303
    assert seeded.get("/v1/scans").status_code == 401
    seeded.cookies.clear()


def test_a_session_survives_a_restart_and_is_stored_hashed(tmp_path: Path):
    database = tmp_path / "sessions.db"
    config = ServiceConfig(database=f"sqlite:///{database}", scheduler=False)
    with TestClient(create_app(Service(config, environ=TOKENS))) as first:
        answer = first.post("/login", content=f"token={VIEWER}",
                            headers={"Content-Type": "application/x-www-form-urlencoded"},
                            follow_redirects=False)
        assert answer.status_code == 303
        session = answer.cookies["almguard_session"]
    with closing(sqlite3.connect(database)) as db:
        stored = db.execute("SELECT id_sha256, principal FROM dashboard_sessions").fetchall()
    assert stored == [(hash_token(session), "viewer")]         # only the hash is kept
    with TestClient(create_app(Service(config, environ=TOKENS))) as second:   # restarted
        second.cookies.set("almguard_session", session)
        assert second.get("/", follow_redirects=False).status_code == 200
        second.post("/logout", follow_redirects=False)
        second.cookies.set("almguard_session", session)
        assert second.get("/", follow_redirects=False).status_code == 303


def test_login_over_https_sets_a_secure_cookie(make_client):
    client = make_client(base_url="https://dashboard.example")
    answer = client.post("/login", content=f"token={VIEWER}",
                         headers={"Content-Type": "application/x-www-form-urlencoded"},
                         follow_redirects=False)
    assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]


@pytest.mark.parametrize("body, status, message", [
    ("token=wrong", 401, "Unknown token"),
    ("token=", 401, "Enter your API token"),
    (f"token={WRITER}", 403, "lacks the read scope"),
    ("\xff", 401, "Enter your API token"),
])
def test_login_refuses_wrong_tokens_with_the_form_again(seeded: TestClient, body: str,
                                                        status: int, message: str):
    answer = seeded.post("/login", content=body.encode("latin-1"),
                         headers={"Content-Type": "application/x-www-form-urlencoded"},
                         follow_redirects=False)
    assert answer.status_code == status
    assert message in answer.text and 'name="token"' in answer.text
    assert "set-cookie" not in answer.headers


def test_login_redirects_only_to_this_site_and_refuses_other_origins(seeded: TestClient):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example",
                   "/\t/evil.example", "evil.example"):
        answer = seeded.post("/login", content=urllib.parse.urlencode(
            {"token": VIEWER, "next": target}), headers=form, follow_redirects=False)
        assert answer.headers["location"] == "/", target
    answer = seeded.post("/login", content=f"token={VIEWER}", follow_redirects=False,
                         headers={**form, "Sec-Fetch-Site": "cross-site"})
    assert answer.status_code == 403 and "set-cookie" not in answer.headers


def log_in(client: TestClient) -> str:
    answer = client.post("/login", content=f"token={VIEWER}", follow_redirects=False,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 303, answer.text
    return answer.headers["set-cookie"].split(";")[0].split("=", 1)[1]


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
OTHER_SITES = [{"Origin": "https://evil.example"}, {"Origin": "null"},
               {"Origin": "http://testserver.evil.example"},
               {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
               {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"}]


def test_forms_posted_from_another_site_are_refused(seeded: TestClient):
    for headers in OTHER_SITES:                          # login CSRF
        answer = seeded.post("/login", content=f"token={VIEWER}", follow_redirects=False,
                             headers={**FORM, **headers})
        assert answer.status_code == 403, headers
        assert "set-cookie" not in answer.headers and "another site" in answer.text
        assert answer.headers["content-security-policy"] == \
            dashboard.SECURITY_HEADERS["Content-Security-Policy"]
    session = log_in(seeded)
    for headers in OTHER_SITES:                          # a forced logout
        answer = seeded.post("/logout", follow_redirects=False, headers=headers)
        assert answer.status_code == 403 and "set-cookie" not in answer.headers, headers
    assert seeded.cookies.get("almguard_session") == session
    assert seeded.get("/", follow_redirects=False).status_code == 200  # still logged in
    # from this site (or from no browser page at all) the forms work
    for headers in ({"Origin": "http://testserver"}, {"Sec-Fetch-Site": "same-origin"},
                    {"Origin": "https://testserver", "Sec-Fetch-Site": "same-origin"}, {}):
        seeded.cookies.set("almguard_session", log_in(seeded))
        out = seeded.post("/logout", follow_redirects=False, headers=headers)
        assert out.status_code == 303 and 'almguard_session=""' in out.headers["set-cookie"]
        answer = seeded.post("/login", content=f"token={VIEWER}", follow_redirects=False,
                             headers={**FORM, **headers})
        assert answer.status_code == 303, headers
    seeded.cookies.clear()


def test_anonymous_reading_when_the_config_allows_it(make_client):
    client = make_client(anonymous_read=True)
    post_scan(client, seed_documents()[0])
    page = client.get("/")
    assert page.status_code == 200 and "contoso-foundry" in page.text
    assert "anonymous" in page.text and 'href="/login"' in page.text


def test_snapshot_strings_are_escaped_on_every_page(make_client):
    client = make_client()
    info = post_scan(client, HOSTILE)
    assert info["findings"] > 0
    registry = "<script>alert('registry')</script>"
    pages = ["/", dashboard.registry_href(registry), f"/scans/{info['id']}",
             f"/scans/{info['id']}?waived=1&q=%3Cscript",
             "/lineage?" + urllib.parse.urlencode({
                 "registry": registry, "endpoint": "<b onmouseover=alert(1)>ep</b>"}),
             "/lineage?" + urllib.parse.urlencode({"registry": registry,
                                                  "endpoint": "<script>x</script>"}),
             "/scans/%3Cscript%3E"]
    for path in pages:
        page = client.get(path, headers=bearer())
        assert page.status_code in (200, 404), (path, page.status_code)
        html = page.text
        assert "<script" not in html.lower(), path
        assert "<img" not in html and "<b onmouseover" not in html, path
        assert "&lt;script&gt;" in html or "&lt;b onmouseover" in html, path
    lineage = client.get(pages[4], headers=bearer()).text
    assert "javascript:alert(&#39;uri&#39;)" in lineage       # shown as text, never a link
    assert 'href="javascript' not in lineage


def test_pages_carry_a_strict_content_security_policy(seeded: TestClient):
    page = seeded.get("/", headers=bearer())
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert re.search(r'(src|href|action)="(https?:)?//', page.text) is None  # nothing external


def test_registries_overview_has_a_trend_point_per_scan(seeded: TestClient):
    html = seeded.get("/", headers=bearer()).text
    rows = re.findall(r'<tr class="registry-row">(.*?)</tr>', html, re.S)
    assert len(rows) == 3                    # each sample is a registry of its own
    assert [row.count('class="point"') for row in rows] == [1, 1, 3]
    assert "contoso-foundry-legacy" in rows[2] and "st-fail" in rows[2]


def test_registry_page_pages_scans_newest_first(seeded: TestClient,
                                                monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dashboard, "PAGE_SIZE", 2)
    first = seeded.get(f"/registries/{LEGACY}", headers=bearer()).text
    assert re.findall(r'<tr class="scan-row">\s*<td><a href="/scans/(\d+)"', first) == ["5", "4"]
    assert first.count('class="point"') == 3
    older = re.search(r'href="(/registries/[^"]+\?before=4)"', first)
    assert older is not None
    second = seeded.get(older.group(1), headers=bearer()).text
    assert re.findall(r'<tr class="scan-row">\s*<td><a href="/scans/(\d+)"', second) == ["3"]
    assert "older scans" not in second
    assert seeded.get("/registries/nope", headers=bearer()).status_code == 404


def test_scan_filters_match_the_result_document(seeded: TestClient):
    result = seeded.get("/v1/scans/5/report.json", headers=bearer()).json()
    findings = result["findings"]
    active = [f for f in findings if not f.get("waived")]
    page = seeded.get("/scans/5", headers=bearer()).text
    assert shown_count(page) == len(active)
    for severity in ("critical", "high", "medium", "low"):
        html = seeded.get(f"/scans/5?severity={severity}", headers=bearer()).text
        assert shown_count(html) == sum(f["severity"] == severity for f in active), severity
    rule = active[0]["rule_id"]
    html = seeded.get(f"/scans/5?rule={rule}&category=", headers=bearer()).text
    assert shown_count(html) == sum(f["rule_id"] == rule for f in active)
    html = seeded.get("/scans/5?q=LOAN-applications", headers=bearer()).text
    assert shown_count(html) == sum("loan-applications" in f["resource"]["id"] for f in active)
    html = seeded.get("/scans/5?severity=high&category=lineage", headers=bearer()).text
    assert shown_count(html) == sum(f["severity"] == "high" and f["category"] == "lineage"
                                    for f in active)
    assert 'value="high" selected' in html and 'value="lineage" selected' in html


def test_diff_page_lists_what_the_api_diff_returns(seeded: TestClient):
    api = seeded.get("/v1/scans/5/diff", headers=bearer()).json()
    html = seeded.get("/scans/5/diff", headers=bearer()).text
    for kind in ("new", "resolved"):
        table = re.search(rf'<table class="grid findings diff-{kind}">(.*?)</table>', html, re.S)
        assert table is not None and len(api[kind]) == 1
        assert table.group(1).count('<tr class="finding') == len(api[kind])
        for f in api[kind]:
            assert f["resource"]["id"] in table.group(1)
    assert seeded.get("/scans/5/diff?against=3", headers=bearer()).status_code == 200


@pytest.mark.parametrize("path, status, text", [
    ("/scans/999", 404, "no scan 999"),
    ("/scans/abc", 404, "no scan abc"),
    ("/scans/1/diff", 404, "first scan of registry"),
    ("/scans/5/diff?against=x", 400, "a scan id or"),
    (f"/registries/{LEGACY}?before=0", 400, "before"),
    ("/lineage?registry=nope&endpoint=x", 404, "no scan of registry"),
    (f"/lineage?registry={LEGACY}&endpoint=nope", 404, "no endpoint"),
    (f"/lineage?registry={LEGACY}&endpoint=credit-risk-prod&at=yesterday", 400, "not a time"),
    (f"/lineage?registry={LEGACY}&endpoint=credit-risk-prod&at=2020-01-01", 404,
     "captured at or before"),
])
def test_errors_are_pages_not_tracebacks(seeded: TestClient, path: str, status: int,
                                         text: str):
    answer = seeded.get(path, headers=bearer())
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert text in answer.text


def test_lineage_page_answers_from_the_snapshot_in_force(seeded: TestClient):
    query = {"registry": LEGACY, "endpoint": "credit-risk-prod"}
    old = seeded.get("/lineage?" + urllib.parse.urlencode({**query, "at": "2026-11-21T00:00"}),
                     headers=bearer()).text
    new = seeded.get("/lineage?" + urllib.parse.urlencode(query), headers=bearer()).text
    assert "sha256:e03bd789432f0a0480d9c9ab12245ccd57e883ce78b153226c0ad88586e76260" in old
    assert NEW_DIGEST not in old and NEW_DIGEST in new
    assert "2026-11-20 08:00 UTC" in old and "2026-11-27 08:00 UTC" in new


def endpoint_options(html: str) -> list[str]:
    """The values of the lineage form's endpoint list."""
    found = re.search(r'<select name="endpoint"( disabled)?>(.*?)</select>', html, re.S)
    assert found is not None
    return re.findall(r'<option value="([^"]*)"', found.group(2))


def test_lineage_page_offers_the_endpoints_of_the_snapshot_in_force(make_client,
                                                                     tmp_path: Path):
    client = make_client()
    newest = tmp_path / "newest.yaml"
    newest.write_text(legacy_v2(), encoding="utf-8")
    late = read_document(newest)                                   # captured 2026-11-27
    early = read_document(SAMPLES / "messy.yaml")                  # captured 2026-11-20
    early["deployments"] = [d for d in early["deployments"]
                            if d["endpoint"] != "credit-risk-shadow"]
    for doc in (early, late):
        answer = client.post("/v1/scans", content=json.dumps(doc).encode(),
                             headers={**bearer(WRITER), "Content-Type": "application/json"})
        assert answer.status_code == 201, answer.text

    def endpoints(doc: dict[str, Any]) -> list[str]:
        return sorted({d["endpoint"] for d in doc["deployments"]})

    # no registry chosen: the stored registries to pick from; no endpoints yet
    html = client.get("/lineage", headers=bearer()).text
    assert '<select name="endpoint" disabled>' in html
    assert re.findall(r'<a href="/lineage\?registry=([^"&]+)', html) == [LEGACY]
    # a registry chosen: the endpoints of its newest snapshot, or of the one in force at `at`
    html = client.get(f"/lineage?registry={LEGACY}", headers=bearer()).text
    assert endpoint_options(html) == [""] + endpoints(late)
    assert "credit-risk-shadow" in endpoint_options(html)
    html = client.get(f"/lineage?registry={LEGACY}&at=2026-11-21T00:00:00Z",
                      headers=bearer()).text
    assert endpoint_options(html) == [""] + endpoints(early)
    assert "credit-risk-shadow" not in endpoint_options(html)
    # each is also a link to its answer; the one asked about is the one selected
    links = re.findall(r'href="/lineage\?registry=[^"&]+&amp;endpoint=([^"&]+)', html)
    assert links == endpoints(early)
    html = client.get(f"/lineage?registry={LEGACY}&endpoint=credit-risk-prod",
                      headers=bearer()).text
    assert '<option value="credit-risk-prod" selected>' in html
    assert '<section class="panel answer">' in html


def test_login_page_says_the_cookie_holds_a_session_id_not_the_token(seeded: TestClient):
    text = re.sub(r"\s+", " ", seeded.get("/login").text)
    assert "random session id" in text and "never the token" in text
    assert f"for {dashboard.SESSION_HOURS} hours" in text
    assert "token is kept" not in text and "It is kept in" not in text


def test_schedules_pages_show_runs_and_run_now_needs_an_admin_token(tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("schema_version: 1\n", encoding="utf-8")
    config = ServiceConfig(database=f"sqlite:///{tmp_path}/schedules.db", scheduler=False,
                           schedules=[{"name": "nightly-cards", "cron": "0 3 * * *",
                                       "source": {"kind": "file",
                                                  "path": str(SAMPLES / "audit-scenario.yaml")}},
                                      {"name": "broken", "cron": "*/15 * * * *",
                                       "source": {"kind": "file", "path": str(broken)}}])
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with TestClient(create_app(Service(config, environ=TOKENS))) as client:
        page = client.get("/schedules", headers=bearer())
        assert page.status_code == 200
        rows = re.findall(r'<tr class="schedule-row">(.*?)</tr>', page.text, re.S)
        assert len(rows) == 2 and "nightly-cards" in rows[0] and "0 3 * * *" in rows[0]
        assert "never" in rows[0] and "audit-scenario.yaml" in rows[0]
        refused = {VIEWER: 403, "": 401, "nope": 401}
        for token, status in refused.items():
            answer = client.post("/schedules/nightly-cards/run", content=f"token={token}",
                                 headers={**bearer(), **form}, follow_redirects=False)
            assert answer.status_code == status, (token, answer.text)
        foreign = client.post("/schedules/nightly-cards/run", content=f"token={ADMIN}",
                              headers={**form, "Origin": "https://evil.example"})
        assert foreign.status_code == 403
        assert client.get("/v1/schedules/nightly-cards/runs",
                          headers=bearer()).json()["runs"] == []        # nothing ran
        for name in ("nightly-cards", "broken"):
            ran = client.post(f"/schedules/{name}/run", content=f"token={ADMIN}",
                              headers=form, follow_redirects=False)
            assert ran.status_code == 303 and ran.headers["location"] == f"/schedules/{name}"
        detail = client.get("/schedules/nightly-cards", headers=bearer()).text
        [run] = re.findall(r'<tr class="run-row">(.*?)</tr>', detail, re.S)
        assert "st-succeeded" in run and 'href="/scans/1"' in run
        assert re.search(r'<td class="num">[0-9.]+ m?s</td>', run)              # its duration
        overview = client.get("/schedules", headers=bearer()).text
        broken_row = re.findall(r'<tr class="schedule-row">(.*?)</tr>', overview, re.S)[1]
        assert "st-failed" in broken_row and "broken.yaml" in broken_row
        assert client.get("/schedules/missing", headers=bearer()).status_code == 404


def test_what_served_every_endpoint_at_a_past_date_is_answered_and_reported(
        seeded: TestClient):
    served = {d["endpoint"]: d for d in read_document(SAMPLES / "messy.yaml")["deployments"]}
    past = seeded.get("/v1/served", params={"registry": LEGACY, "at": "2026-11-21T00:00:00Z"},
                      headers=bearer()).json()
    assert past["snapshot"]["captured_at"] == "2026-11-20T08:00:00Z"
    assert [e["endpoint"] for e in past["endpoints"]] == sorted(served)
    for answer in past["endpoints"]:
        single = seeded.get("/v1/lineage", params={"registry": LEGACY, "at": past["at"],
                                                   "endpoint": answer["endpoint"]},
                            headers=bearer()).json()
        assert answer["serving"] == single["serving"]         # the per-endpoint answer
    digests = {d.get("digest") for e in past["endpoints"] for v in e["serving"]
               for d in v["training_data"]}
    assert NEW_DIGEST not in digests
    now = seeded.get("/v1/served", params={"registry": LEGACY}, headers=bearer()).json()
    assert now["snapshot"]["captured_at"] == "2026-11-27T08:00:00Z"
    assert NEW_DIGEST in {d.get("digest") for e in now["endpoints"] for v in e["serving"]
                          for d in v["training_data"] + v["evaluation_data"]}
    assert seeded.get("/v1/served", params={"registry": LEGACY, "at": "2026-11-01T00:00:00Z"},
                      headers=bearer()).status_code == 404    # nothing captured by then
    page = seeded.get("/served", params={"registry": LEGACY, "at": "2026-11-21T00:00:00Z"},
                      headers=bearer())
    assert page.status_code == 200
    sections = re.findall(r'<section class="panel answer served-endpoint">(.*?)</section>',
                          page.text, re.S)
    assert len(sections) == len(served)
    for section, answer in zip(sections, past["endpoints"]):
        assert answer["endpoint"] in section
        for version in answer["serving"]:
            assert f"{version['model']}@{version['version']}" in section
    assert past["snapshot"]["digest"] in page.text and NEW_DIGEST not in page.text


def test_trend_chart_draws_one_linked_point_per_scan():
    points = [TrendPoint(rate=r, label=f"scan {i} <b>", tick=f"#{i}", href=f"/scans/{i}")
              for i, r in enumerate([100.0, 95.5, 80.0], start=1)]
    svg = str(trend_chart(points))
    assert svg.count('class="point"') == 3 and svg.count('<a href="/scans/') == 3
    assert "scan 1 &lt;b&gt;" in svg and "<b>" not in svg
    assert svg == str(trend_chart(points))
    assert "#2e7d32" in svg and "#c62828" in svg          # colour() as in the report
    assert str(trend_chart(points[:1], compact=True)).count('class="point"') == 1
    assert "no scans" in str(trend_chart([]))


# ======================================================================== in a real browser

@dataclass
class Live:
    service: ServiceProcess
    scans: list[dict[str, Any]]

    def api(self, path: str) -> Any:
        request = urllib.request.Request(self.service.url + path, headers=bearer())
        with urllib.request.urlopen(request, timeout=60) as answer:
            return json.loads(answer.read())


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("dashboard-service")
    schedule = (f"schedules:\n  - name: nightly-cards\n    cron: '0 3 * * *'\n"
                f"    source: {{kind: file, path: '{SAMPLES / 'audit-scenario.yaml'}'}}\n")
    service = start_service(tmp, "database: sqlite:///almguard.db\nscheduler: false\n"
                            + schedule,
                            {**{k: v for k, v in TOKENS.items() if "ADMIN" not in k},
                             "ALMGUARD_TOKEN_OPERATOR": f"admin:{OPERATOR}"})
    try:
        scans = []
        for text in seed_documents():
            request = urllib.request.Request(
                service.url + "/v1/scans", data=text.encode("utf-8"), method="POST",
                headers={**bearer(WRITER), "Content-Type": "application/yaml"})
            with urllib.request.urlopen(request, timeout=60) as answer:
                scans.append(json.loads(answer.read()))
        assert [s["id"] for s in scans] == [1, 2, 3, 4, 5]
        yield Live(service, scans)
    finally:
        service.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        missing(str(CHROMIUM), "apt-get install chromium")
    if os.environ.get("ALMGUARD_REQUIRE_TOOLS") == "1":
        import playwright.sync_api  # noqa: F401 - fail, not skip, without it
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                          headless=True, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    return context.new_page()


@pytest.fixture(scope="module")
def page(browser: Any, live: Live) -> Iterator[Any]:
    """A browser page logged in through the form (as the viewer: read scope only)."""
    tab = new_page(browser)
    tab.goto(live.service.url + "/")
    assert tab.url.endswith("/login?next=%2F")
    tab.fill("#token", VIEWER)
    with tab.expect_navigation():
        tab.click("button[type=submit]")
    assert tab.url == live.service.url + "/"
    yield tab
    tab.context.close()


def screenshot(page: Any, name: str, tmp_path: Path) -> None:
    shot = Path(f"/tmp/almguard-dashboard-{name}.png")
    page.screenshot(path=str(shot), full_page=True)
    shutil.copy(shot, tmp_path / shot.name)


@pytest.mark.slow
def test_browser_without_a_cookie_is_sent_to_login(browser: Any, live: Live):
    tab = new_page(browser)
    try:
        answer = tab.goto(live.service.url + "/scans/5?severity=high")
        assert answer is not None and answer.status == 200
        assert tab.url == live.service.url + "/login?next=%2Fscans%2F5%3Fseverity%3Dhigh"
        assert tab.context.cookies() == []
        tab.fill("#token", "not-a-token")
        with tab.expect_navigation() as nav:
            tab.click("button[type=submit]")
        assert nav.value.status == 401
        assert "Unknown token" in tab.inner_text("[role=alert]")
        assert tab.context.cookies() == []
        tab.fill("#token", VIEWER)                   # the form kept where to go next
        with tab.expect_navigation():
            tab.click("button[type=submit]")
        assert tab.url == live.service.url + "/scans/5?severity=high"
        cookie = tab.context.cookies()[0]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
    finally:
        tab.context.close()


@pytest.mark.slow
def test_browser_registries_page_shows_trend_charts(page: Any, live: Live, tmp_path: Path):
    page.goto(live.service.url + "/")
    rows = page.locator("tr.registry-row")
    assert rows.count() == 3
    assert rows.nth(0).locator("td.name").inner_text() == "contoso-cards"
    assert rows.nth(1).locator("td.name").inner_text() == "contoso-foundry"
    assert rows.nth(2).locator("td.name").inner_text() == LEGACY
    for i, expected in enumerate([1, 1, 3]):
        svg = rows.nth(i).locator("svg.trend")
        assert svg.count() == 1 and svg.locator("circle.point").count() == expected
        box = svg.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 20
    registries = {r["name"]: r for r in live.api("/v1/registries")["registries"]}
    assert rows.nth(2).locator("td.rate").inner_text() == (
        f"{registries[LEGACY]['latest']['compliance_rate']:.1f}".rstrip("0").rstrip(".") + " %")
    screenshot(page, "registries", tmp_path)
    page.click(f"text={LEGACY}")
    assert page.locator("svg.trend circle.point").count() == 3
    assert page.locator("tr.scan-row").count() == 3
    screenshot(page, "registry", tmp_path)


@pytest.mark.slow
def test_browser_scan_page_filters_findings_by_severity(page: Any, live: Live, tmp_path: Path):
    result = live.api("/v1/scans/5/report.json")
    active = [f for f in result["findings"] if not f.get("waived")]
    page.goto(live.service.url + f"/registries/{LEGACY}")
    page.click("tr.scan-row >> nth=0 >> a[href='/scans/5']")
    page.wait_for_url("**/scans/5")
    rows = page.locator("table.findings tbody tr.finding")
    assert rows.count() == len(active)
    screenshot(page, "scan", tmp_path)
    for severity in ("high", "critical"):
        page.select_option("select[name=severity]", severity)
        with page.expect_navigation():
            page.click("form.filters button[type=submit]")
        assert f"severity={severity}" in page.url
        expected = [f for f in active if f["severity"] == severity]
        assert rows.count() == len(expected) > 0
        assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.severity)")) == {severity}
        shown = sorted(rows.locator(".res-id").all_inner_texts())
        assert shown == sorted(f["resource"]["id"] for f in expected)
    page.select_option("select[name=severity]", "")
    page.fill("input[name=q]", "card-transactions")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    assert rows.count() == sum("card-transactions" in f["resource"]["id"] for f in active)


@pytest.mark.slow
def test_browser_diff_lists_exactly_the_new_and_resolved_findings(page: Any, live: Live):
    expected = live.api("/v1/scans/5/diff")
    page.goto(live.service.url + "/scans/5")
    page.click("text=Changes since #4")
    page.wait_for_url("**/scans/5/diff")
    for kind in ("new", "resolved"):
        rows = page.locator(f"table.diff-{kind} tbody tr")
        shown = sorted(zip(rows.locator(".rule-id").all_inner_texts(),
                           rows.locator(".res-id").all_inner_texts()))
        assert shown == sorted((f["rule_id"], f["resource"]["id"]) for f in expected[kind])
        assert page.inner_text(f"#count-{kind}") == str(expected["counts"][kind])
    assert page.inner_text("#count-unchanged") == str(expected["counts"]["unchanged"])


@pytest.mark.slow
def test_browser_lineage_at_a_time_shows_dataset_digests(page: Any, live: Live):
    at = "2026-11-21T00:00:00Z"
    expected = live.api("/v1/lineage?" + urllib.parse.urlencode(
        {"registry": LEGACY, "endpoint": "credit-risk-prod", "at": at}))
    page.goto(live.service.url + "/")
    page.click("nav >> text=Lineage")
    assert page.locator("select[name=endpoint]").is_disabled()     # no registry chosen yet
    page.select_option("select[name=registry]", LEGACY)
    page.fill("input[name=at]", at)
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")             # "Show endpoints"
    offered = page.locator("select[name=endpoint] option").all_inner_texts()
    served = {d["endpoint"] for d in read_document(SAMPLES / "messy.yaml")["deployments"]}
    assert offered[1:] == sorted(served)                            # the snapshot then
    page.select_option("select[name=endpoint]", "credit-risk-prod")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")             # "Show lineage"
    assert page.input_value("input[name=at]") == at
    assert page.inner_text(".snapshot-digest") == expected["snapshot"]["digest"]
    assert expected["snapshot"]["digest"] == live.scans[2]["snapshot_digest"]
    digests = {d["digest"] for v in expected["serving"]
               for d in v["training_data"] + v["evaluation_data"] if d.get("digest")}
    shown = set(page.locator("table.datasets td span.mono").all_inner_texts())
    assert digests and digests <= shown and NEW_DIGEST not in shown
    assert {v["deployment"].split("/", 1)[1] for v in expected["serving"]} == {
        h.split(" ·")[0] for h in page.locator("section.answer h3").all_inner_texts()}


@pytest.mark.slow
def test_browser_report_download_link_returns_a_pdf(page: Any, live: Live):
    page.goto(live.service.url + "/scans/2")
    link = page.locator("a.download", has_text="PDF")
    href = link.get_attribute("href")
    assert href == "/v1/scans/2/report.pdf"
    answer = page.request.get(live.service.url + href, timeout=60_000)
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.body().startswith(b"%PDF-")


@pytest.mark.slow
def test_browser_report_is_styled_under_its_policy_and_logout_is_a_form(browser: Any,
                                                                        live: Live):
    tab = new_page(browser)
    refused: list[str] = []
    tab.on("console", lambda message: refused.append(message.text)
           if "Content Security Policy" in message.text else None)
    try:
        tab.goto(live.service.url + "/login")
        tab.fill("#token", VIEWER)
        with tab.expect_navigation():
            tab.click("button[type=submit]")
        answer = tab.goto(live.service.url + "/v1/scans/2/report.html")
        assert answer is not None and answer.status == 200
        assert "style-src 'sha256-" in answer.headers["content-security-policy"]
        # the inline stylesheet applies (its hash is allowed): report.css colours the h1
        assert tab.eval_on_selector("h1", "h => getComputedStyle(h).color") == \
            "rgb(16, 42, 67)"
        tab.goto(live.service.url + "/logout")            # GET: only the form
        assert tab.context.cookies() and tab.url.endswith("/logout")
        tab.goto(live.service.url + "/")
        with tab.expect_navigation():
            tab.click("nav form.logout button")
        assert tab.url == live.service.url + "/login"
        assert tab.context.cookies() == []
        assert refused == []
    finally:
        tab.context.close()


@pytest.mark.slow
def test_rendering_a_report_adds_no_library_chatter_to_the_service_log(tmp_path: Path):
    """At the default log level (info) the service logs its own lines, not a WeasyPrint
    line per rendered page."""
    config = tmp_path / "config.yaml"
    config.write_text("database: sqlite:///almguard.db\nscheduler: false\n")
    url = f"http://127.0.0.1:{free_port()}"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ALMGUARD_TOKEN_")},
           **TOKENS}
    log = tmp_path / "service.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "checker", "serve", "--config", str(config),
             "--port", url.rsplit(":", 1)[1], "--log-level", "info"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    service = ServiceProcess(proc, url, log)
    try:
        wait_until_ready(proc, f"{url}/readyz", log, timeout=60, name="almguard serve")
        request = urllib.request.Request(
            url + "/v1/scans", data=(SAMPLES / "messy.yaml").read_bytes(), method="POST",
            headers={**bearer(WRITER), "Content-Type": "application/yaml"})
        with urllib.request.urlopen(request, timeout=120) as answer:
            scan_id = json.loads(answer.read())["id"]
        request = urllib.request.Request(f"{url}/v1/scans/{scan_id}/report.pdf",
                                         headers=bearer())
        with urllib.request.urlopen(request, timeout=120) as answer:
            assert answer.read().startswith(b"%PDF-")
        wait_until(lambda: f"/v1/scans/{scan_id}/report.pdf" in service.log)  # logged, live
    finally:
        service.stop()
    text = service.log
    assert "INFO almguard.service: almguard service on http" in text      # ours, at info
    chatter = [line for line in text.splitlines()
               if re.search(r" (DEBUG|INFO) (weasyprint|fontTools)", line)]
    assert chatter == [], chatter[:3]


LAYOUT_PAGES = {"registries": "/", "registry": f"/registries/{LEGACY}", "scan": "/scans/5",
                "diff": "/scans/5/diff",
                "lineage": f"/lineage?registry={LEGACY}&endpoint=credit-risk-prod",
                "schedules": "/schedules", "schedule": "/schedules/nightly-cards"}

# A badge (chip) that does not fit shows only part of its text, or spills out of the box
# that holds it (the next tile then covers it).
CLIPPED_CHIPS = """() => [...document.querySelectorAll('.chip')].filter(chip => {
    const box = chip.getBoundingClientRect();
    const holder = chip.parentElement.getBoundingClientRect();
    return chip.scrollWidth > chip.clientWidth + 1 || box.left < holder.left - 1
        || box.right > holder.right + 1;
}).map(chip => chip.textContent)"""
LINES_OF_LOGOUT = """() => { const range = document.createRange();
    range.selectNodeContents(document.querySelector('nav button.logout'));
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size; }"""


@pytest.mark.slow
@pytest.mark.parametrize("width", [360, 768, 1280])
def test_browser_pages_fit_phone_tablet_and_desktop_widths(browser: Any, live: Live,
                                                           width: int, tmp_path: Path):
    context = browser.new_context(viewport={"width": width, "height": 800})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        tab.goto(live.service.url + "/login")
        assert tab.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(tab, f"login-{width}", tmp_path)
        tab.fill("#token", VIEWER)
        with tab.expect_navigation():
            tab.click("button[type=submit]")
        for name, path in LAYOUT_PAGES.items():
            tab.goto(live.service.url + path)
            screenshot(tab, f"{name}-{width}", tmp_path)
            # nothing widens the page: wide tables scroll inside their panels
            assert tab.evaluate("document.documentElement.scrollWidth") <= width, name
            assert tab.evaluate(CLIPPED_CHIPS) == [], name
            # "Log out" is on one line and on the screen
            assert tab.evaluate(LINES_OF_LOGOUT) == 1, name
            button = tab.locator("nav button.logout").bounding_box()
            assert button is not None and button["x"] + button["width"] <= width, name
        # the scan's summary tiles are as tall as what they show, not as the facts beside
        tab.goto(live.service.url + "/scans/5")
        tiles = [t.bounding_box() for t in tab.locator(".summary .tile").all()]
        assert len(tiles) == 6
        assert all(t is not None and t["height"] < 110 for t in tiles), tiles
        assert all(t is not None and t["width"] >= 60 for t in tiles), tiles
    finally:
        context.close()


@pytest.mark.slow
def test_browser_schedules_page_runs_a_schedule_now(page: Any, live: Live, tmp_path: Path):
    page.goto(live.service.url + "/")
    page.click("nav >> text=Schedules")
    row = page.locator("tr.schedule-row")
    assert row.count() == 1
    assert "nightly-cards" in row.inner_text() and "never" in row.inner_text()
    expected = live.api("/v1/schedules")["schedules"][0]
    assert expected["next_run"][:10] in row.locator("td.next").inner_text()
    page.click("tr.schedule-row >> text=nightly-cards")
    assert page.url == live.service.url + "/schedules/nightly-cards"
    assert page.locator("tr.run-row").count() == 0
    page.fill("#token", VIEWER)                      # a reader cannot run it
    with page.expect_navigation() as nav:
        page.click("form.run-now button[type=submit]")
    assert nav.value.status == 403
    page.goto(live.service.url + "/schedules/nightly-cards")
    page.fill("#token", OPERATOR)
    with page.expect_navigation():
        page.click("form.run-now button[type=submit]")
    assert page.url == live.service.url + "/schedules/nightly-cards"
    runs = page.locator("tr.run-row")
    assert runs.count() == 1 and "succeeded" in runs.inner_text().lower()
    [run] = live.api("/v1/schedules/nightly-cards/runs")["runs"]
    link = runs.locator("a")
    assert link.inner_text() == f"#{run['scan_id']}"
    screenshot(page, "schedule", tmp_path)
    with page.expect_navigation():
        link.click()
    assert page.url == live.service.url + f"/scans/{run['scan_id']}"
