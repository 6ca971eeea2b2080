"""The dashboard: server-rendered pages over the service's evidence, for people.

    /                     registries: scans, latest verdict, findings, compliance trend
    /registries/{name}    a registry's scans, newest first (paged with `before`)
    /scans/{id}           a scan's summary and its findings, filtered by query parameters
    /scans/{id}/diff      new, resolved and unchanged findings (`against=previous|ID`)
    /lineage              what an endpoint served at a time, and which data trained it
                          (the registry's endpoints offered from its stored snapshot)
    /served               what served every endpoint of a registry at a date (a report)
    /schedules            each schedule: source, cron, last and next run, result, error
    /schedules/{name}     its run history and notifications; "run now" (POST, with an
                          admin token typed into the form: the session only reads)
    /login, /logout       a token exchanged for a session: a random id in an HttpOnly,
                          SameSite=Strict cookie (logout: POST, from the form on every
                          page; GET /logout only shows that form)

The pages use the reports' Jinja environment (autoescape always, strict undefined): every
string from a snapshot is data and comes out as text. No page has a script or fetches
anything from elsewhere; the charts are inline SVG drawn on the server, and the stylesheet
is served from /dashboard.css, so the Content-Security-Policy forbids everything else.
Reading needs the `read` scope: a bearer token, the login cookie, or anonymous reading
when the config allows it. Without one a page redirects to /login (303). A form posted
from another site (login CSRF, a forced logout) is refused with 403 (security.cross_site).
Every page reads through the service layer (service.Service), as the API's routers do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Coroutine, Iterable, Sequence
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from markupsafe import Markup

from reports.chart import TrendPoint, trend_chart
from reports.render import environment
from reports.text import percent, short_time

from .. import __version__
from ..errors import AlmguardError
from ..metadata import SEVERITIES
from ..results import Finding, ResultDocument
from .auth import COOKIE, SESSION_HOURS, Principal
from .inputs import against_param, validation_line
from .security import SECURITY_HEADERS, cross_site
from .scheduler import RunInProgress
from .service import NotFound, Service
from .store import RunInfo, ScanInfo, rfc3339

PAGE_SIZE = 25          # scans per page of a registry
TREND_SCANS = 30        # scans on a registry page's trend chart
OVERVIEW_SCANS = 20     # scans on an overview sparkline
MAX_ROWS = 500          # findings rows on one page (the JSON report has them all)
CSS_PATH = "/dashboard.css"


class LoginRequired(Exception):
    """No credentials (or unknown ones): the page redirects to the login form."""


class PageRoute(APIRoute):
    """A dashboard route: errors become HTML pages (not JSON), a missing login a redirect
    to /login, a form posted from another site a 403 page (before the handler runs), and
    every response carries the security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            foreign = cross_site(request)          # None for reading (GET, HEAD)
            try:
                if foreign is not None:
                    raise HTTPException(status_code=403, detail=(
                        f"This form was refused: {foreign}. Use the form on this site."))
                response = await handler(request)
            except LoginRequired:
                target = request.url.path + (f"?{request.url.query}" if request.url.query
                                             else "")
                response = RedirectResponse(f"/login?{urlencode({'next': target})}", 303)
            except NotFound as exc:
                response = error_page(request, 404, "Not found", str(exc))
            except RequestValidationError as exc:
                response = error_page(request, 400, "Bad request", validation_line(exc))
            except HTTPException as exc:
                response = error_page(request, exc.status_code, _status_title(exc.status_code),
                                      str(exc.detail))
            except AlmguardError as exc:
                response = error_page(request, 503, "Unavailable", str(exc))
            response.headers.update(SECURITY_HEADERS)
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return route


def _status_title(status: int) -> str:
    return {400: "Bad request", 401: "Not logged in", 403: "Forbidden",
            404: "Not found", 409: "Conflict"}.get(status, "Error")


def render(request: Request, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    page = environment().get_template(f"dashboard/{template}")
    html = page.render(viewer=getattr(request.state, "viewer", None), version=__version__,
                       css=f"{CSS_PATH}?v={__version__}", when=rfc3339, **values)
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html.j2", status=status, title=title, status_code=status,
                  message=message, active="")


# --- view models ------------------------------------------------------------------------

def scan_href(scan_id: int) -> str:
    return f"/scans/{scan_id}"


def registry_href(name: str) -> str:
    return f"/registries/{quote(name, safe='')}"


def trend(scans: Sequence[ScanInfo], *, compact: bool) -> Markup:
    """The trend chart of scans given newest first (as the store lists them)."""
    points = [TrendPoint(rate=s.compliance_rate, href=scan_href(s.id),
                         tick=f"#{s.id} · {short_time(s.created_at)[:10]}",
                         label=f"scan #{s.id} · {short_time(s.created_at)} · "
                               f"{percent(s.compliance_rate)} · {s.verdict}")
              for s in reversed(scans)]
    if compact:
        return trend_chart(points, width=168, height=44, compact=True)
    return trend_chart(points, width=1180, height=200)


@dataclass(frozen=True)
class RegistryRow:
    name: str
    href: str
    scans: int
    latest: ScanInfo
    chart: Markup


@dataclass(frozen=True)
class FindingFilter:
    """The findings table's filters, from the query string (empty: no filter)."""

    severity: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    rule: tuple[str, ...] = ()
    text: str = ""
    waived: bool = False

    def keep(self, f: Finding) -> bool:
        needle = self.text.casefold()
        return ((self.waived or not f.waived)
                and (not self.severity or f.severity in self.severity)
                and (not self.category or f.category in self.category)
                and (not self.rule or f.rule_id in self.rule)
                and (not needle or needle in f"{f.resource.kind} {f.resource.id}".casefold()))

    @property
    def active(self) -> bool:
        return bool(self.severity or self.category or self.rule or self.text or self.waived)


def _chosen(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v for v in values if v)


def parse_at(text: str) -> datetime:
    """A time from the lineage form: RFC 3339, or a date and time without an offset (UTC),
    as naive UTC like the store keeps it."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise HTTPException(status_code=400, detail=(
            f"at: {value!r} is not a time (e.g. 2026-11-20T08:00:00Z; without an offset the "
            "time is UTC)")) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc).replace(tzinfo=None)
    except OverflowError:
        raise HTTPException(status_code=400, detail=f"at: {value!r} is out of range in "
                            "UTC") from None


def _safe_next(target: str) -> str:
    """Where to go after logging in: a path on this site only. Browsers read a backslash
    as a slash and drop tabs and newlines, so "/\\evil" and "/<TAB>/evil" are other sites."""
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(c) < 0x20 or c == "\x7f" for c in target)):
        return "/"
    return target


# --- the pages --------------------------------------------------------------------------

def dashboard_router(service: Service) -> APIRouter:
    """The dashboard's pages, over the service layer."""
    router = APIRouter(route_class=PageRoute, include_in_schema=False)

    def reader(request: Request) -> Principal:
        try:
            principal = service.tokens.authenticate(request, "read")
        except HTTPException as exc:
            if exc.status_code == 401:
                raise LoginRequired() from None
            raise
        request.state.viewer = principal
        return principal

    viewer = Depends(reader)

    @router.get(CSS_PATH)
    def stylesheet() -> Response:
        css = environment().get_template("dashboard/dashboard.css").render()
        return Response(css, media_type="text/css; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=86400"})

    # --- login -----------------------------------------------------------------------

    @router.get("/login")
    def login_form(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002
        return render(request, "login.html.j2", title="Log in", active="", error=None,
                      next=_safe_next(next), session_hours=SESSION_HOURS)

    @router.post("/login")
    async def login(request: Request) -> Response:
        body = await request.body()
        try:
            fields = parse_qs(body.decode("utf-8"), max_num_fields=8)
        except (UnicodeDecodeError, ValueError):
            fields = {}
        secret = (fields.get("token") or [""])[0].strip()
        target = _safe_next((fields.get("next") or ["/"])[0])
        principal = service.tokens.lookup(secret) if secret else None
        if principal is None:
            status, error = 401, ("Enter your API token." if not secret
                                  else "Unknown token: check it and try again.")
        elif not principal.allows("read"):
            status, error = 403, (f"Token {principal.name!r} lacks the read scope the "
                                  "dashboard needs.")
        else:
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(COOKIE, service.tokens.open_session(principal), path="/",
                                httponly=True, samesite="strict",
                                secure=request.url.scheme == "https",
                                max_age=SESSION_HOURS * 3600)
            return response
        return render(request, "login.html.j2", status=status, title="Log in", active="",
                      error=error, next=target, session_hours=SESSION_HOURS)

    @router.get("/logout")
    def logout_form(request: Request) -> Response:
        """Only the form: a link (or an image on another site) never logs anyone out."""
        session = service.tokens.session(request.cookies.get(COOKIE) or "")
        if session is None:
            return RedirectResponse("/login", status_code=303)
        request.state.viewer = session
        return render(request, "logout.html.j2", title="Log out", active="")

    @router.post("/logout")
    def logout(request: Request) -> Response:
        if request.cookies.get(COOKIE):
            service.tokens.close_session(request.cookies[COOKIE])
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")
        return response

    # --- registries ------------------------------------------------------------------

    @router.get("/")
    def overview(request: Request, _who: Principal = viewer) -> HTMLResponse:
        rows = [RegistryRow(name=r.name, href=registry_href(r.name), scans=r.scans,
                            latest=r.latest,
                            chart=trend(service.list_scans(registry=r.name,
                                                           limit=OVERVIEW_SCANS),
                                        compact=True))
                for r in service.registries()]
        return render(request, "registries.html.j2", title="Registries", active="registries",
                      rows=rows, trend_scans=OVERVIEW_SCANS, scan_href=scan_href)

    @router.get("/registries/{name:path}")
    def registry(request: Request, name: str, before: int | None = Query(default=None, ge=1),
                 _who: Principal = viewer) -> HTMLResponse:
        recent = service.list_scans(registry=name, limit=TREND_SCANS)
        if not recent:
            raise NotFound(f"no scan of registry {name!r} is stored")
        page = service.list_scans(registry=name, before=before, limit=PAGE_SIZE + 1)
        older = None
        if len(page) > PAGE_SIZE:
            page = page[:PAGE_SIZE]
            older = f"{registry_href(name)}?before={page[-1].id}"
        return render(request, "registry.html.j2", title=name, active="registries",
                      name=name, scans=page, chart=trend(recent, compact=False),
                      trend_scans=len(recent), older=older, paged=before is not None,
                      href=registry_href(name), scan_href=scan_href,
                      lineage_href="/lineage?" + urlencode({"registry": name}))

    # --- scans -----------------------------------------------------------------------

    def stored_scan(scan_id: str) -> ScanInfo:
        if not (scan_id.isascii() and scan_id.isdigit() and len(scan_id) <= 18):
            raise NotFound(f"no scan {scan_id}")
        return service.scan_info(int(scan_id))

    @router.get("/scans/{scan_id}")
    def scan(request: Request, scan_id: str, severity: list[str] = Query(default=[]),
             category: list[str] = Query(default=[]), rule: list[str] = Query(default=[]),
             q: str = "", waived: str = "", _who: Principal = viewer) -> HTMLResponse:
        info = stored_scan(scan_id)
        result = service.result(info.id)
        chosen = FindingFilter(severity=_chosen(severity), category=_chosen(category),
                               rule=_chosen(rule), text=q.strip(),
                               waived=waived.lower() in ("1", "on", "true", "yes"))
        shown = [f for f in result.findings if chosen.keep(f)]
        previous = service.previous_scan(info)
        return render(request, "scan.html.j2", title=f"Scan #{info.id}", active="registries",
                      scan=info, result=result, filters=chosen, findings=shown[:MAX_ROWS],
                      matching=len(shown), max_rows=MAX_ROWS, options=_filter_options(result),
                      previous=previous, registry_href=registry_href(info.registry),
                      reports=[(kind, f"/v1/scans/{info.id}/report.{kind}")
                               for kind in ("pdf", "html", "json", "sarif")],
                      lineage_href="/lineage?" + urlencode({"registry": info.registry,
                                                           "at": info.captured_at}))

    @router.get("/scans/{scan_id}/diff")
    def scan_diff(request: Request, scan_id: str, against: str = "previous",
                  _who: Principal = viewer) -> HTMLResponse:
        info = stored_scan(scan_id)
        document = service.diff(info.id, against_param(against))
        earlier = service.list_scans(registry=info.registry, before=info.id, limit=50)
        return render(request, "diff.html.j2", title=f"Scan #{info.id}: changes",
                      active="registries", scan=info, diff=document, against=against,
                      earlier=earlier, scan_href=scan_href,
                      registry_href=registry_href(info.registry))

    # --- lineage ---------------------------------------------------------------------

    @router.get("/lineage")
    def lineage(request: Request, registry: str = "", endpoint: str = "", at: str = "",
                _who: Principal = viewer) -> HTMLResponse:
        """The lineage form: a registry from those stored, then one of the endpoints of its
        snapshot in force at `at` (the newest without one), and the answer."""
        registries = [r.name for r in service.registries()]
        answer = snapshot = None
        error, status = None, 200
        endpoints: list[str] = []
        try:
            when = parse_at(at) if at.strip() else None
            if registry:
                if registry not in registries:
                    raise NotFound(f"no scan of registry {registry!r} is stored")
                endpoints = service.endpoints(registry, when)
            if registry and endpoint:
                answer, snapshot = service.lineage(registry, endpoint, when)
        except NotFound as exc:
            error, status = str(exc), 404
        except HTTPException as exc:
            error, status = str(exc.detail), exc.status_code
        return render(request, "lineage.html.j2", status=status, title="Lineage",
                      active="lineage", registries=registries, endpoints=endpoints,
                      registry=registry, endpoint=endpoint, at=at, error=error,
                      answer=answer, snapshot=snapshot,
                      registry_href=registry_href(registry) if registry else None)

    @router.get("/served")
    def served(request: Request, registry: str = "", at: str = "",
               _who: Principal = viewer) -> HTMLResponse:
        """The report for a date: what served every endpoint of a registry then, and
        which data trained it."""
        registries = [r.name for r in service.registries()]
        answers: list[Any] = []
        snapshot = None
        error, status = None, 200
        try:
            when = parse_at(at) if at.strip() else None
            if registry:
                if registry not in registries:
                    raise NotFound(f"no scan of registry {registry!r} is stored")
                answers, snapshot = service.served_at(registry, when)
        except NotFound as exc:
            error, status = str(exc), 404
        except HTTPException as exc:
            error, status = str(exc.detail), exc.status_code
        return render(request, "served.html.j2", status=status, title="Served at a date",
                      active="lineage", registries=registries, registry=registry, at=at,
                      answers=answers, snapshot=snapshot, error=error,
                      json_href="/v1/served?" + urlencode(
                          {"registry": registry, **({"at": at} if at else {})}))

    # --- schedules -------------------------------------------------------------------

    @router.get("/schedules")
    def schedules(request: Request, _who: Principal = viewer) -> HTMLResponse:
        return render(request, "schedules.html.j2", title="Schedules", active="schedules",
                      schedules=service.schedules(), duration=run_duration,
                      schedule_href=schedule_href, scan_href=scan_href)

    @router.get("/schedules/{name}")
    def schedule(request: Request, name: str, _who: Principal = viewer) -> HTMLResponse:
        status = service.schedule_status(name)
        return render(request, "schedule.html.j2", title=f"Schedule {name}",
                      active="schedules", s=status, runs=service.schedule_runs(name, 50),
                      notifications=service.schedule_notifications(name, 20),
                      duration=run_duration, scan_href=scan_href,
                      run_action=schedule_href(name) + "/run", error=None)

    @router.post("/schedules/{name}/run")
    async def run_now(request: Request, name: str) -> Response:
        """Run now: the form carries an admin token (a session never writes)."""
        service.schedule_status(name)                     # 404 before anything else
        try:
            fields = parse_qs((await request.body()).decode("utf-8"), max_num_fields=4)
        except (UnicodeDecodeError, ValueError):
            fields = {}
        secret = (fields.get("token") or [""])[0].strip()
        principal = service.tokens.lookup(secret) if secret else None
        if principal is None:
            raise HTTPException(status_code=401, detail=(
                "Enter an admin token to run the schedule." if not secret
                else "Unknown token: check it and try again."))
        if not principal.allows("admin"):
            raise HTTPException(status_code=403, detail=(
                f"Token {principal.name!r} lacks the admin scope running a schedule needs."))
        try:
            await run_in_threadpool(service.run_schedule, name)
        except RunInProgress as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        return RedirectResponse(schedule_href(name), status_code=303)

    return router


def schedule_href(name: str) -> str:
    return f"/schedules/{quote(name, safe='')}"


def run_duration(run: RunInfo | None) -> str:
    """How long a finished run took ("1.2 s", "3 min 5 s"); "" while it runs."""
    if run is None or run.finished_at is None:
        return ""
    seconds = (run.finished_at - run.started_at).total_seconds()
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


def _filter_options(result: ResultDocument) -> dict[str, list[tuple[str, str]]]:
    """The choices of the filter form: the severities, and the categories and rules that
    have findings in this scan (value, label)."""
    rules = {f.rule_id: f.title for f in result.findings}
    return {"severity": [(s, s) for s in SEVERITIES],
            "category": [(c, c) for c in sorted({f.category for f in result.findings})],
            "rule": [(r, f"{r} · {rules[r]}") for r in sorted(rules)]}
