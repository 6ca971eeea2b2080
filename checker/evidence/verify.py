"""`almguard verify FILE`: a signed report or a gate attestation, told apart by content.

A file whose first 1024 bytes hold `%PDF-` is a report (pdfcheck); one that starts with
`{` is a DSSE envelope (attestation). The answer is a `Verification`: valid (exit 0) or
invalid (exit 1), with one line saying what was checked or what failed. A file that
cannot be judged — missing, neither kind, unsigned, an unusable trust file or a missing
option — raises (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import UsageError
from . import CannotVerify, missing

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


def verify(path: Path, *, trust: list[Path], artifact_digest: str | None = None
           ) -> Verification:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CannotVerify(f"cannot read: {exc.strerror}", file=str(path)) from None
    kind = kind_of(data)
    if kind is None:
        raise CannotVerify("neither a PDF report nor a JSON attestation envelope",
                           file=str(path))
    if kind == "report":
        if artifact_digest is not None:
            raise UsageError("--artifact-digest is for gate attestations; a report is "
                             "verified with --trust CA.pem alone")
        try:
            from .pdfcheck import check_report
        except ImportError as exc:
            raise missing("verifying a signed report", exc) from None
        report = check_report(data, str(path), trust)
        return Verification("report", report.valid, report.message)
    if len(trust) != 1:
        raise UsageError("verifying an attestation needs --trust KEY.pub: the public key "
                         "the gate signs with (one)")
    if artifact_digest is None:
        raise UsageError("verifying an attestation needs --artifact-digest sha256:…: the "
                         "digest of the artifact about to be deployed")
    try:
        from .attestation import check_attestation, load_public_key
    except ImportError as exc:
        raise missing("verifying an attestation", exc) from None
    key = load_public_key(trust[0])
    checked = check_attestation(data, str(path), key, artifact_digest)
    return Verification("attestation", checked.valid, checked.message)
