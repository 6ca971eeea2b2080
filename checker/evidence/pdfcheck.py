"""Verifying a signed report: is it authentic, unchanged, and does it say what it carries?

Four questions, in this order; the first that fails is the answer:

1. Every signature is intact and cryptographically valid (pyHanko), and any signature
   time-stamp too; the bytes of /Contents after the signature's DER encoding are all
   padding (zeros), and nothing follows the last signed revision but the revisions
   pyHanko analyses (2.), so no byte of the file goes unchecked.
2. Nothing was changed after signing: the signature covers its whole revision and the
   revisions after it (if any) only add validation data or document time-stamps
   (pyHanko's difference analysis: modification level NONE or LTA_UPDATES), and the
   certification's DocMDP permissions hold.
3. The signer's certificate chains to a trust anchor of --trust (no network: revocation
   is not fetched). Without --trust nothing is trusted, and the report is not valid.
4. The signed revision carries the JSON result document as an attachment, and the
   digests it holds — the snapshot digest, the policy digest and the SHA-256 of the
   attachment itself — are the ones printed on the report's cover and in its appendix
   A.3 ("How to verify this report"); every printed value must agree.

`CannotVerify` (exit 2) is for a file that cannot be judged: not readable as a PDF, no
signature at all, an unusable trust file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import parser as asn1_parser
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from . import CannotVerify

RESULT_ATTACHMENT = "almguard-result.json"     # reports.context.RESULT_ATTACHMENT
_ALLOWED_LATER = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
# Either usage marks a key meant for signatures (pyHanko alone would want non-repudiation).
_KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"},
                                 match_all_key_usages=False)
_HEX = "[0-9a-f]{64}"
_VERIFY_HEADING = "Howtoverifythisreport"      # appendix A.3 (templates/sections/appendix)


@dataclass(frozen=True)
class ReportCheck:
    valid: bool
    message: str


def load_trust(paths: list[Path]) -> list[Any]:
    """The trust anchors of --trust FILE (PEM or DER; a PEM file may hold several)."""
    anchors: list[Any] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CannotVerify(f"cannot read the trust file: {exc.strerror}",
                               file=str(path)) from None
        try:
            found = list(load_certs_from_pemder_data(data))
        except ValueError:
            found = []
        if not found:
            raise CannotVerify("no certificate in the trust file (PEM or DER X.509 "
                               "expected)", file=str(path))
        anchors.extend(found)
    return anchors


@contextmanager
def _quiet() -> Iterator[None]:
    """pyHanko logs each failed path search with a traceback; the verdict says it once."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _padding_only(contents: bytes) -> bool:
    """/Contents holds the DER signature and then only zero bytes."""
    try:
        _, _, _, header, body, _ = asn1_parser.parse(contents)
    except ValueError:
        return False
    return not contents[len(header) + len(body):].strip(b"\x00")


def _subject(cert: Any) -> str:
    return str(cert.subject.human_friendly)


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment \
        else "unknown"


def _line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def check_report(data: bytes, origin: str, trust: list[Path]) -> ReportCheck:
    anchors = load_trust(trust) if trust else []
    with _quiet():
        try:
            reader = PdfFileReader(BytesIO(data), strict=False)
            signatures = [s for s in reader.embedded_signatures
                          if s.sig_object_type == "/Sig"]
        except (PdfError, ValueError, KeyError, TypeError) as exc:
            raise CannotVerify(f"not a readable PDF: {_line(exc)}", file=origin) from None
        if not signatures:
            raise CannotVerify("the PDF carries no signature: nothing to verify",
                               file=origin)
        context = ValidationContext(trust_roots=anchors, allow_fetching=False,
                                    revocation_mode="soft-fail")
        statuses = []
        for signature in signatures:
            try:
                status = validate_pdf_signature(signature, context,
                                                key_usage_settings=_KEY_USAGE)
            except (PdfError, ValueError, KeyError, TypeError) as exc:
                return ReportCheck(False, "the signature cannot be validated: "
                                   f"{_line(exc)}")
            failure = _signature_failure(signature, status, reader, trust)
            if failure:
                return ReportCheck(False, failure)
            statuses.append(status)
    first = signatures[0]
    start, length = first.byte_range[2], first.byte_range[3]
    last = signatures[-1].byte_range
    if reader.xrefs.total_revisions - 1 == signatures[-1].signed_revision \
            and last[2] + last[3] != len(data):
        extra = len(data) - last[2] - last[3]
        return ReportCheck(False, f"the file was changed after signing: {extra} bytes "
                           "after the signed revision")
    content = _check_content(data[:start + length])
    if not content.valid:
        return content
    status = statuses[0]
    ts = status.timestamp_validity
    when = (f"time-stamped {_utc(ts.timestamp)} by {_subject(ts.signing_cert)}"
            if ts is not None else
            f"signing time {_utc(status.signer_reported_dt)} (claimed, not time-stamped)")
    return ReportCheck(True, f"signed by {_subject(status.signing_cert)}, {when}; "
                       f"unchanged since signing; {content.message}")


def _signature_failure(signature: Any, status: Any, reader: Any,
                       trust: list[Path]) -> str | None:
    """The first thing wrong with one signature, or None."""
    if not status.intact:
        return ("the document was altered: the signed bytes no longer match the "
                "signature's digest")
    if not status.valid:
        return "the signature value does not verify with the signer's certificate"
    if not _padding_only(signature.sig_object.get("/Contents", b"")):
        return "the signature container was altered (bytes after the signature)"
    ts = status.timestamp_validity
    if ts is not None and not (ts.intact and ts.valid):
        return "the signature time-stamp does not verify"
    if status.coverage is None or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return "the signature does not cover the whole revision it signs"
    level = status.modification_level
    if level not in _ALLOWED_LATER or status.docmdp_ok is False:
        later = reader.xrefs.total_revisions - 1 - signature.signed_revision
        what = level.name.lower().replace("_", " ") if level is not None else "unknown"
        return (f"the document was changed after signing ({later} later revision"
                f"{'s' if later != 1 else ''}, changes: {what})")
    if not status.trusted:
        signer = _subject(status.signing_cert)
        if status.revoked:
            return f"the signer's certificate ({signer}) is revoked"
        if not trust:
            return (f"the signer ({signer}) was not checked against a trust anchor: "
                    "give --trust CA.pem, the CA that should have issued its certificate")
        names = ", ".join(str(p) for p in trust)
        why = status.trust_problem_indic
        reason = f" ({why.name.lower().replace('_', ' ')})" if why is not None else ""
        return (f"the signer's certificate ({signer}) does not chain to the trust "
                f"anchor in {names}{reason}")
    if ts is not None and not ts.trusted:
        return ("the signature time-stamp's authority does not chain to the trust "
                "anchors given (add its CA to --trust)")
    if not status.bottom_line:
        return "the signature does not meet the validation policy"
    return None


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _printed_text(pages: Any) -> str:
    """The text (whitespace removed: digests wrap anywhere) of the pages that print the
    digests: the cover, and appendix A.3 with whatever follows it (text extraction costs
    about 0.1 s a page; the pages between print none)."""
    texts = [_squeeze(pages[0].extract_text() or "")] if len(pages) else []
    for index in range(len(pages) - 1, 0, -1):
        texts.append(_squeeze(pages[index].extract_text() or ""))
        if _VERIFY_HEADING in texts[-1]:
            break
    return "\n".join(texts)


def _check_content(signed: bytes) -> ReportCheck:
    """The signed revision's attached result against the digests its pages print."""
    try:
        import pypdf
    except ImportError as exc:
        from . import missing
        raise missing("verifying a report", exc) from None
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(BytesIO(signed))
        attached = reader.attachments.get(RESULT_ATTACHMENT)
        text = _printed_text(reader.pages)
    except (pypdf.errors.PyPdfError, ValueError, KeyError, TypeError) as exc:
        return ReportCheck(False, f"the signed revision cannot be read: {exc}")
    if not attached:
        return ReportCheck(False, f"the signed report carries no {RESULT_ATTACHMENT}")
    blob = attached[0]
    try:
        result = json.loads(blob)
        snapshot, policies = result["snapshot"]["digest"], result["policies"]["digest"]
        verdict = result["summary"]["verdict"]
    except (ValueError, KeyError, TypeError):
        return ReportCheck(False, f"the attached {RESULT_ATTACHMENT} is not a result document")
    own = hashlib.sha256(blob).hexdigest()
    printed = {
        "snapshot digest": (re.findall(rf"Snapshotdigest(sha256:{_HEX})", text), snapshot),
        "policy digest": (re.findall(rf"Policydigest(sha256:{_HEX})", text), policies),
        f"SHA-256 of {RESULT_ATTACHMENT}":
            (re.findall(rf"SHA-256({_HEX})\({re.escape(RESULT_ATTACHMENT)}", text), own),
    }
    for name, (values, expected) in printed.items():
        if not values:
            return ReportCheck(False, f"the report's pages print no {name}")
        wrong = sorted(set(values) - {expected})
        if wrong:
            return ReportCheck(False, f"the {name} printed in the report ({wrong[0]}) is "
                               f"not the attached result's ({expected})")
    return ReportCheck(True, f"{RESULT_ATTACHMENT} (sha256:{own}, verdict {verdict}) "
                       f"matches the printed snapshot digest {snapshot} and policy digest "
                       f"{policies}")
