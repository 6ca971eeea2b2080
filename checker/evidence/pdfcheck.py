"""Verifying a signed report: is it authentic, unchanged, and does it say what it carries?

Four questions, in this order; the first that fails is the answer:

1. Every signature is intact and cryptographically valid (pyHanko), and any signature
   time-stamp too. The CMS container in /Contents is the one that was made: it is DER
   that re-encodes to the same bytes, its unsigned fields agree with the signed ones
   (the digestAlgorithms set is exactly the signers' digest algorithms, the versions are
   the ones RFC 5652 prescribes), and the bytes after it are all padding (zeros); any
   other change to /Contents is an invalid signature (exit 1), never "cannot verify".
   Nothing follows the last signed revision but the revisions pyHanko analyses (2.), so
   no byte of the file goes unchecked.
2. Nothing was changed after signing: the signature covers its whole revision and the
   revisions after it (if any) only add validation data or document time-stamps
   (pyHanko's difference analysis: modification level NONE or LTA_UPDATES), and the
   certification's DocMDP permissions hold.
3. The signer's certificate chains to a trust anchor of --trust, and may sign documents:
   key usage digitalSignature or nonRepudiation and, if it has an extended key usage, a
   signing purpose (SIGNING_PURPOSES; a time-stamping-only certificate is refused). A
   signature time-stamp's authority chains to --tsa-trust, a separate set of anchors (a
   certificate the TSA's CA issued never passes as the signer). No network: revocation is
   not fetched. Without --trust nothing is trusted, and the report is not valid.
4. The signed revision carries the JSON result document as an attachment, and the
   digests it holds — the snapshot digest, the policy digest and the SHA-256 of the
   attachment itself — are the ones printed on the report's cover and in its appendix
   A.3 ("How to verify this report"); every printed value must agree.

`CannotVerify` (exit 2) is for a file that cannot be judged: its PDF structure is not
readable, no signature at all, an unusable trust file.
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

from asn1crypto import cms
from asn1crypto import parser as asn1_parser
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature, extract_contents
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import InvalidCertificateError

from . import CannotVerify, read_input

RESULT_ATTACHMENT = "almguard-result.json"     # reports.context.RESULT_ATTACHMENT
_ALLOWED_LATER = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
# Extended key usages that allow signing a document (asn1crypto's names; a dotted OID
# where it has none): if the signer's certificate has an EKU, one of these must be in it.
SIGNING_PURPOSES = frozenset({
    "1.3.6.1.5.5.7.3.36",                 # id-kp-documentSigning (RFC 9336)
    "adobe_authentic_documents_trust",    # 1.2.840.113583.1.1.5
    "microsoft_document_signing",         # 1.3.6.1.4.1.311.10.3.12
    "email_protection", "client_auth", "code_signing", "any_extended_key_usage",
})
# Either usage marks a key meant for signatures (pyHanko alone would want non-repudiation).
# pyHanko checks it during path validation; the same library class is applied once more
# to the signer's certificate to say why a certificate may not sign (pyHanko's PDF
# validation rebuilds the constraints and drops explicit_extd_key_usage_required, so the
# EKU rule — none is fine, one without a signing purpose is not — is applied here).
_KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"},
                                 match_all_key_usages=False)
_PURPOSE = KeyUsageConstraints(extd_key_usage=SIGNING_PURPOSES,
                               explicit_extd_key_usage_required=False)
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
        data = read_input(path, "the trust file", CannotVerify)
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


def _signed_data_version(signed: Any) -> int:
    """The SignedData version RFC 5652 (5.1) prescribes for what the structure holds."""
    certs = signed["certificates"]
    crls = signed["crls"]
    kinds = {c.name for c in certs} if certs.native is not None else set()
    crl_kinds = {c.name for c in crls} if crls.native is not None else set()
    if "other" in kinds or "other" in crl_kinds:
        return 5
    if "v2_attr_cert" in kinds:
        return 4
    if ("v1_attr_cert" in kinds
            or any(i["version"].native == "v3" for i in signed["signer_infos"])
            or signed["encap_content_info"]["content_type"].native != "data"):
        return 3
    return 1


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def _reencoded(der: bytes) -> bytes:
    """The TLV tree of `der` written again the DER way: minimal definite lengths, BOOLEAN
    00/FF, minimal INTEGERs. It differs from the input wherever the input is not DER.
    The order of SET OF members is kept (many signers and TSAs do not sort theirs, and
    each certificate in them is signed on its own)."""
    out = bytearray()
    offset = 0
    while offset < len(der):
        _, constructed, tag, header, body, trailer = asn1_parser.parse(der[offset:])
        offset += len(header) + len(body) + len(trailer)
        ident = header[:1] if tag < 31 else _identifier(header)
        if constructed:
            value = _reencoded(body)
        elif header[:1] == b"\x01":
            value = body if body in (b"\x00", b"\xff") else b""
        elif header[:1] == b"\x02":
            value = body
            while len(value) > 1 and (value[0], value[1] >> 7) in ((0, 0), (0xff, 1)):
                value = value[1:]
        else:
            value = body
        out += ident + _length(len(value)) + value
    return bytes(out)


def _identifier(header: bytes) -> bytes:
    """The identifier octets of a high-tag-number header."""
    end = 1
    while header[end] & 0x80:
        end += 1
    return header[:end + 1]


def _identifies(sid: Any, certificates: Any) -> bool:
    """The signer identifier names one of the container's certificates exactly (X.509
    name matching is case-insensitive, so a changed letter would still find it)."""
    certs = [c.chosen for c in certificates if c.name == "certificate"] \
        if certificates.native is not None else []
    if sid.name == "subject_key_identifier":
        return any(c.key_identifier == sid.chosen.native for c in certs)
    issuer, serial = sid.chosen["issuer"].dump(), sid.chosen["serial_number"].native
    return any(c.issuer.dump() == issuer and c.serial_number == serial for c in certs)


def _container_problem(contents: bytes) -> str | None:
    """What is wrong with the CMS in /Contents, or None if it is the one that was made.

    The signature covers only the signed attributes; the rest of the container (its
    encoding, the digestAlgorithms set, the versions, the signer identifiers, the padding,
    the same in a signature time-stamp token) is bound here: a container that is not DER,
    or whose unsigned fields disagree with the signed ones, is not the container the
    signer produced. (Certificates it carries are bound after validation:
    _stray_certificate.)
    """
    altered = "the signature container was altered"
    try:
        _, _, _, header, body, _ = asn1_parser.parse(contents)
        der = contents[:len(header) + len(body)]
        info = cms.ContentInfo.load(der, strict=True)
        if _reencoded(der) != der:
            return f"{altered}: it is not the DER encoding the signer made"
        problem = _signed_data_problem(info)
    except Exception:  # noqa: BLE001 - any failure to decode means the bytes were altered
        return f"{altered}: it is not a well-formed CMS signature"
    if problem:
        return f"{altered}: {problem}"
    if contents[len(der):].strip(b"\x00"):
        return f"{altered}: bytes after the signature"
    return None


def _signed_data_problem(info: Any, what: str = "") -> str | None:
    """The unsigned fields of a SignedData (and of its time-stamp tokens) that disagree
    with the signed ones. Decoding errors propagate (the caller calls them altered)."""
    if info["content_type"].native != "signed_data":
        return f"{what}not a CMS SignedData"
    signed = info["content"]
    signers = list(signed["signer_infos"])
    if not signers:
        return f"{what}it holds no signer"
    used = {i["digest_algorithm"].dump() for i in signers}
    if {a.dump() for a in signed["digest_algorithms"]} != used:
        return f"{what}its digestAlgorithms are not the signer's digest algorithm"
    if not all(_identifies(i["sid"], signed["certificates"]) for i in signers):
        return f"{what}a signer identifier names no certificate in it byte for byte"
    expected = ["v3" if i["sid"].name == "subject_key_identifier" else "v1"
                for i in signers]
    if [i["version"].native for i in signers] != expected \
            or signed["version"].native != f"v{_signed_data_version(signed)}":
        return f"{what}a version number is not the one RFC 5652 prescribes"
    for signer in signers:
        unsigned = signer["unsigned_attrs"]
        for attribute in unsigned if unsigned.native is not None else ():
            if attribute["type"].native == "signature_time_stamp_token":
                for token in attribute["values"]:
                    problem = _signed_data_problem(token, "in its time-stamp token, ")
                    if problem:
                        return problem
    return None


def _subject(cert: Any) -> str:
    return str(cert.subject.human_friendly)


def _issuer(cert: Any) -> str:
    return str(cert.issuer.human_friendly)


def _utc(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment \
        else "unknown"


def _line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _signatures(reader: PdfFileReader, origin: str) -> list[Any] | str:
    """The filled signature fields as pyHanko's EmbeddedPdfSignature (in signing order), or
    what is wrong with a signature container. Only the PDF structure failing to read is
    CannotVerify; anything wrong inside /Contents is an invalid signature."""
    try:
        fields = list(enumerate_sig_fields(reader, filled_status=True))
        found = [(name, obj.get_object(), field) for name, obj, field in fields]
        contents = [extract_contents(obj) for _, obj, _ in found]
    except (PdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CannotVerify(f"not a readable PDF: {_line(exc)}", file=origin) from None
    embedded = []
    for (name, obj, field), content in zip(found, contents):
        problem = _container_problem(content)
        if problem:
            return problem
        try:
            embedded.append(EmbeddedPdfSignature(reader, field, name))
        except Exception as exc:  # noqa: BLE001 - a container pyHanko cannot take apart
            return f"the signature container cannot be read: {_line(exc)}"
    return sorted(embedded, key=lambda e: e.signed_revision)


def check_report(data: bytes, origin: str, trust: list[Path],
                 tsa_trust: list[Path] | None = None) -> ReportCheck:
    anchors = load_trust(trust) if trust else []
    tsa_anchors = load_trust(tsa_trust) if tsa_trust else []
    with _quiet():
        try:
            reader = PdfFileReader(BytesIO(data), strict=False)
        except (PdfError, ValueError, KeyError, TypeError) as exc:
            raise CannotVerify(f"not a readable PDF: {_line(exc)}", file=origin) from None
        found = _signatures(reader, origin)
        if isinstance(found, str):
            return ReportCheck(False, found)
        signatures = [s for s in found if s.sig_object_type == "/Sig"]
        if not signatures:
            raise CannotVerify("the PDF carries no signature: nothing to verify",
                               file=origin)
        context = ValidationContext(trust_roots=anchors, allow_fetching=False,
                                    revocation_mode="soft-fail")
        ts_context = ValidationContext(trust_roots=tsa_anchors, allow_fetching=False,
                                       revocation_mode="soft-fail")
        statuses = []
        for signature in signatures:
            try:
                status = validate_pdf_signature(signature, context, ts_context,
                                                key_usage_settings=_KEY_USAGE)
                failure = _signature_failure(signature, status, reader, trust, tsa_trust)
                _subject(status.signing_cert), _issuer(status.signing_cert)
            except Exception as exc:  # noqa: BLE001 - whatever pyHanko or asn1crypto trip
                # on (its parsing is lazy), the signature did not validate: one line,
                # exit 1, never an internal error
                return ReportCheck(False, "the signature cannot be validated: "
                                   f"{_line(exc)}")
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
    return ReportCheck(True, f"signed by {_subject(status.signing_cert)} (issued by "
                       f"{_issuer(status.signing_cert)}), {when}; unchanged since signing; "
                       f"{content.message}")


def _signature_failure(signature: Any, status: Any, reader: Any,
                       trust: list[Path], tsa_trust: list[Path] | None) -> str | None:
    """The first thing wrong with one signature, or None."""
    if not status.intact:
        return ("the document was altered: the signed bytes no longer match the "
                "signature's digest")
    if not status.valid:
        return "the signature value does not verify with the signer's certificate"
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
    usage = _usage_problem(status.signing_cert)
    if usage:
        return usage
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
        tsa = _subject(ts.signing_cert) if ts.signing_cert is not None else "unknown"
        if not tsa_trust:
            return (f"the signature time-stamp's authority ({tsa}) was not checked "
                    "against a trust anchor: give --tsa-trust TSA-CA.pem")
        names = ", ".join(str(p) for p in tsa_trust)
        return (f"the signature time-stamp's authority ({tsa}) does not chain to the "
                f"--tsa-trust anchor in {names}")
    stray = _stray_certificate(signature.signed_data, status)
    if stray:
        return (f"the signature container was altered: it carries a certificate ({stray}) "
                "on neither the signer's nor the time-stamp's validated path")
    if not status.bottom_line:
        return "the signature does not meet the validation policy"
    return None


def _carried(signed: Any) -> Iterator[Any]:
    """The certificates a SignedData carries, and those of its signature time-stamps."""
    certificates = signed["certificates"]
    if certificates.native is not None:
        yield from (c.chosen for c in certificates if c.name == "certificate")
    for info in signed["signer_infos"]:
        unsigned = info["unsigned_attrs"]
        if unsigned.native is None:
            continue
        for attribute in unsigned:
            if attribute["type"].native == "signature_time_stamp_token":
                for token in attribute["values"]:
                    yield from _carried(token["content"])


def _stray_certificate(signed: Any, status: Any) -> str | None:
    """A certificate the container carries that no validated path uses: nothing checks
    its bytes, so a change to it would otherwise go unseen. Its subject, or None."""
    used: set[bytes] = set()
    ts = status.timestamp_validity
    for path in (status.validation_path, ts.validation_path if ts is not None else None):
        if path is not None:
            used.update(c.dump() for c in path.iter_certs(include_root=True))
    for cert in _carried(signed):
        if cert.dump() not in used:
            return _subject(cert)
    return None


def _usage_problem(cert: Any) -> str | None:
    """Why the signer's certificate may not sign documents (key usage, extended key
    usage), by pyHanko's own KeyUsageConstraints, or None."""
    may_not = f"the signer's certificate ({_subject(cert)}) may not sign documents"
    try:
        _KEY_USAGE.validate(cert)
    except InvalidCertificateError:
        usage = cert.key_usage_value.native if cert.key_usage_value is not None else []
        return (f"{may_not}: key usage {', '.join(sorted(usage)) or 'none'} has neither "
                "digital signature nor non-repudiation")
    try:
        _PURPOSE.validate(cert)
    except InvalidCertificateError:
        eku = cert.extended_key_usage_value.native
        return (f"{may_not}: its extended key usage ({', '.join(sorted(eku))}) has no "
                "document-signing purpose")
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
