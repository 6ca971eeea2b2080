"""Pre-deployment gates: may model M version V go to endpoint E at P % of traffic?

The proposal is applied to a copy of the snapshot (what-if; the file is not changed):
- the proposed deployment takes P % of the endpoint's traffic and the deployments already
  there keep the rest in proportion (scaled down, never up);
- it inherits the endpoint's deployment settings (content safety, monitoring) from the
  version's own deployment there, else the endpoint's largest one, unless --deployment FILE
  gives them;
- its time is --at or the snapshot's clock (never later than the capture plus the allowed
  skew: evidence ends at the capture);
- its rollout history is the version's history on the endpoint plus the new step.
Then every rule is evaluated as in a scan (checker.pipeline). The decision
(data.almguard.lib.decision) decides: only findings about the proposal — its deployment,
its model version and model, its endpoint and the datasets that version references — of
the gate categories block; other findings are reported as unrelated debt.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from . import documents
from .documents import DocumentError, Limits
from .endpoints import ENVIRONMENTS, Endpoints
from .errors import UsageError
from .results import Proposal
from .snapshot import ContentSafety, Monitoring, Tags
from .validation import LineOf, to_error


class DeploymentSettings(BaseModel):
    """What --deployment FILE may set on the proposed deployment."""

    model_config = ConfigDict(extra="forbid", strict=True)

    content_safety: ContentSafety | None = None
    monitoring: Monitoring | None = None
    deployed_by: str | None = None
    tags: Tags | None = None


def load_settings(path: Path, limits: Limits | None = None) -> dict[str, Any]:
    limits = limits or Limits()
    try:
        text, raw = documents.load_with_text(path, limits)
    except DocumentError as exc:
        raise UsageError(exc.message, file=str(path), line=exc.line) from None
    return load_settings_document(raw, origin=str(path),
                                  line_of=lambda loc: documents.line_of(text, loc, limits))


def load_settings_document(raw: Any, *, origin: str,
                           line_of: LineOf | None = None) -> dict[str, Any]:
    """Validate deployment settings already parsed (a file's, or a request's)."""
    try:
        DeploymentSettings.model_validate(raw)
    except ValidationError as exc:
        raise to_error(exc, UsageError, file=origin, line_of=line_of) from None
    return dict(documents.without_nulls(raw))


def make_proposal(model: str, version: str, endpoint: str, *, environment: str | None,
                  traffic: float, at: str | None, document: dict[str, Any],
                  endpoints: Endpoints | None = None) -> Proposal:
    """The proposed deployment. Its environment is the endpoint's: an endpoint that already
    serves production is gated as production whatever the request says it is (a proposal
    may name a stricter environment, never a laxer one); a new endpoint is production
    unless the proposal names another. An endpoint name that only looks like an existing
    one (case, Unicode form, invisible or trailing characters) is refused: it would be a
    new endpoint and skip the existing one's gates. The traffic share and the time are
    judged by the decision (data.almguard.lib.proposal). `endpoints` is the document's
    index, when the caller keeps one (LoadedSnapshot.endpoints)."""
    endpoints = endpoints or Endpoints(document)
    similar = endpoints.lookalike(endpoint)
    if similar is not None:
        raise UsageError(f"endpoint {endpoint!r} is not {similar!r} but looks like it (case, "
                         "Unicode form or invisible characters differ): name the endpoint "
                         "exactly as the registry does")
    strictest = endpoints.strictest(endpoint)
    if environment is None:
        environment = strictest or "production"
    elif strictest is not None and ENVIRONMENTS.index(environment) < \
            ENVIRONMENTS.index(strictest):
        raise UsageError(f"endpoint '{endpoint}' serves {strictest}: a deployment to it is "
                         f"gated as {strictest}, not {environment}")
    return Proposal(model=model, version=version, endpoint=endpoint, environment=environment,
                    traffic_percent=traffic,
                    at=at or document["registry"]["captured_at"])


def apply_proposal(document: dict[str, Any], proposal: Proposal,
                   settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """A new snapshot document with the proposed deployment in place. The snapshot's clock
    is not moved: evidence ends at the capture (a proposal dated later than the capture
    plus the allowed skew is refused by the decision)."""
    deployments = document.get("deployments") or []
    on_endpoint = [d for d in deployments if d["endpoint"] == proposal.endpoint]
    own = next((d for d in on_endpoint
                if d["model"] == proposal.model and d["version"] == proposal.version), None)
    others = [d for d in on_endpoint if d is not own]
    template = own or max(others, key=lambda d: d["traffic_percent"], default=None)

    share = proposal.traffic_percent if 0 < proposal.traffic_percent <= 100 else 100.0
    rest = 100 - share
    total = sum(d["traffic_percent"] for d in others)
    scale = min(1.0, rest / total) if total > 0 else 1.0

    history = list((own or {}).get("rollout") or [])
    if own and not history and own.get("deployed_at"):
        history = [{"traffic_percent": own["traffic_percent"], "at": own["deployed_at"]}]
    if not history or history[-1]["traffic_percent"] != proposal.traffic_percent:
        history.append({"traffic_percent": proposal.traffic_percent, "at": proposal.at})

    proposed: dict[str, Any] = {
        "endpoint": proposal.endpoint, "model": proposal.model, "version": proposal.version,
        "environment": proposal.environment, "traffic_percent": proposal.traffic_percent,
        "deployed_at": (own or {}).get("deployed_at") or proposal.at,
        "rollout": history,
    }
    for key in ("content_safety", "monitoring", "deployed_by", "tags"):
        if settings and key in settings:
            proposed[key] = settings[key]
        elif template and key in template and key != "deployed_by":
            proposed[key] = copy.deepcopy(template[key])

    rebuilt: list[dict[str, Any]] = []
    for d in deployments:
        if d is own:
            continue
        if d["endpoint"] == proposal.endpoint and scale < 1.0:
            d = {**d, "traffic_percent": round(d["traffic_percent"] * scale, 4)}
        rebuilt.append(d)
    rebuilt.append(proposed)
    return {**document, "deployments": rebuilt}
