"""`almguard verify FILE`: a signed report or a gate attestation, told apart by content.

A file whose first 1024 bytes hold `%PDF-` is a report (pdfcheck); one that starts with
`{` is a DSSE envelope (attestation). The answer is a `Verification`: valid (exit 0) or
invalid (exit 1), with one line saying what was checked or what failed. A file that
cannot be judged — missing, neither kind, unsigned, an unusable trust file or a missing
option — raises (exit 2). An attestation is checked against the deployment the caller
names (`Target`): the artifact, the endpoint and the environment are required, the
traffic share and a maximum age (measured back from --at, else now) are optional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from ..errors import UsageError
from . import CannotVerify, missing, read_input

Kind = Literal["report", "attestation"]


@dataclass(frozen=True)
class Verification:
    kind: Kind
    valid: bool
    message: str

    @property
    def exit_code(self) -> int:
        return 0 if self.valid else 1


def kind_of(data: bytes) -> Kind | None:
    if b"%PDF-" in data[:1024]:
        return "report"
    if data.lstrip(b" \t\r\n\xef\xbb\xbf")[:1] == b"{":
        return "attestation"
    return None


@dataclass(frozen=True)
class Target:
    """What a deploy step states about the deployment an attestation must cover (the
    `verify` flags; see attestation.Deployment)."""

    artifact_digest: str | None = None
    endpoint: str | None = None
    environment: str | None = None
    traffic_percent: float | None = None
    max_age: str | None = None
    at: datetime | None = None

    def given(self) -> list[str]:
        flags = (("--artifact-digest", self.artifact_digest), ("--endpoint", self.endpoint),
                 ("--environment", self.environment),
                 ("--traffic-percent", self.traffic_percent), ("--max-age", self.max_age),
                 ("--at", self.at))
        return [flag for flag, value in flags if value is not None]


def verify(path: Path, *, trust: list[Path], tsa_trust: list[Path] | None = None,
           target: Target | None = None) -> Verification:
    target = target or Target()
    data = read_input(path, "the file", CannotVerify)
    kind = kind_of(data)
    if kind is None:
        raise CannotVerify("neither a PDF report nor a JSON attestation envelope",
                           file=str(path))
    if kind == "report":
        if target.given():
            raise UsageError(f"{', '.join(target.given())}: for gate attestations; a "
                             "report is verified with --trust CA.pem (and --tsa-trust)")
        try:
            from .pdfcheck import check_report
        except ImportError as exc:
            raise missing("verifying a signed report", exc) from None
        report = check_report(data, str(path), trust, tsa_trust or [])
        return Verification("report", report.valid, report.message)
    if tsa_trust:
        raise UsageError("--tsa-trust is for signed reports; an attestation is verified "
                         "with --trust KEY.pub")
    if len(trust) != 1:
        raise UsageError("verifying an attestation needs --trust KEY.pub: the public key "
                         "the gate signs with (one)")
    missing_flags = [flag for flag, value in (
        ("--artifact-digest sha256:…", target.artifact_digest),
        ("--endpoint NAME", target.endpoint), ("--environment ENV", target.environment))
        if value is None]
    if missing_flags:
        raise UsageError(f"verifying an attestation needs {', '.join(missing_flags)}: "
                         "the artifact about to be deployed and where it goes")
    try:
        from .attestation import Deployment, check_attestation, load_public_key, \
            parse_duration
    except ImportError as exc:
        raise missing("verifying an attestation", exc) from None
    assert target.artifact_digest and target.endpoint and target.environment
    if target.traffic_percent is not None and not 0 <= target.traffic_percent <= 100:
        raise UsageError(f"--traffic-percent {target.traffic_percent:g}: between 0 and 100")
    if target.at is not None and target.max_age is None:
        raise UsageError("--at is the reference time of --max-age: give --max-age too")
    max_age = parse_duration(target.max_age, "--max-age") if target.max_age else None
    at = target.at or datetime.now(timezone.utc)
    deploy = Deployment(target.artifact_digest, target.endpoint, target.environment,
                        target.traffic_percent, max_age, at)
    key = load_public_key(trust[0])
    checked = check_attestation(data, str(path), key, deploy)
    return Verification("attestation", checked.valid, checked.message)
