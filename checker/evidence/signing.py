"""A PAdES signature on a rendered report (pyHanko), kept PDF/A-3b.

The report is rendered first (reports/pdf.py: PDF/A-3b with the JSON result attached);
the signature is one incremental update appended to those bytes, so everything signed —
pages, metadata, the attachments — stays byte for byte as rendered. It is a
certification signature (DocMDP: no changes permitted), PAdES baseline B-B, or B-T with
`--tsa-url` (an RFC 3161 signature time-stamp from that authority).

Two things pyHanko does on its own are pinned here, so that signing adds no clock of its
own and keeps the metadata PDF/A wants consistent: the update's modification date (Info
/ModDate, XMP xmp:ModifyDate) and the signature's claimed signing time are the report's
generation time (reports/timestamp.py: --generated-at, else $SOURCE_DATE_EPOCH, else now),
and the Info /Producer is made the same as the XMP pdf:Producer pyHanko writes. The second
half of the file identifier is derived from the signed bytes, not drawn at random. With a
deterministic signature scheme (RSA PKCS #1 v1.5, Ed25519) and no time-stamp, the same
report and key give the same signed bytes. Only the time-stamp, when asked for, is a
trusted time.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR, DocumentMetadata
from pyhanko.pdf_utils.metadata.xmp_xml import MetadataStream
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ..errors import AlmguardError, UsageError
from . import PASSWORD_ENV, read_input

SIGNATURE_FIELD = "almguard-signature"
REASON = "almguard compliance report: rendered from the attached result document"
TSA_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class SigningKey:
    """A private key with its certificate (and any intermediates), ready to sign."""

    signer: Any          # pyhanko.sign.signers.SimpleSigner
    subject: str         # the signing certificate's subject, for messages


def _read(path: Path, what: str) -> bytes:
    return read_input(path, f"the {what}")


def _certificates(path: Path, what: str) -> list[Any]:
    try:
        certs = list(load_certs_from_pemder_data(_read(path, what)))
    except ValueError:
        certs = []
    if not certs:
        raise UsageError(f"no certificate in the {what} (PEM or DER expected)",
                         file=str(path))
    return certs


def _public_der(key: Any) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def _signing_key(private: Any, cert: Any, chain: list[Any], origin: str) -> SigningKey:
    """Refuse a key that does not belong to the certificate: the signature would never
    verify, and the mistake would surface only at the auditor's desk."""
    if _public_der(private) != cert.public_key.dump():
        raise UsageError("the private key does not belong to the signing certificate "
                         f"({cert.subject.human_friendly})", file=origin)
    _check_validity(cert, datetime.now(timezone.utc), origin)
    der = private.private_bytes(serialization.Encoding.DER,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    registry = SimpleCertificateStore()
    registry.register_multiple(chain)
    signer = signers.SimpleSigner(signing_cert=cert,
                                  signing_key=load_private_key_from_pemder_data(der, None),
                                  cert_registry=registry)
    return SigningKey(signer, cert.subject.human_friendly)


def _check_validity(cert: Any, moment: datetime, origin: str) -> None:
    """Refuse a certificate that is not valid when the signature is made (the wall clock:
    the claimed signing time may be an earlier --generated-at)."""
    start, end = cert.not_valid_before, cert.not_valid_after
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if moment < start:
        raise UsageError(f"the signing certificate ({cert.subject.human_friendly}) is not "
                         f"valid yet: from {start:%Y-%m-%dT%H:%M:%SZ}, now {stamp}",
                         file=origin)
    if moment > end:
        raise UsageError(f"the signing certificate ({cert.subject.human_friendly}) expired "
                         f"{end:%Y-%m-%dT%H:%M:%SZ}, now {stamp}", file=origin)


def _password(password: str | None) -> bytes | None:
    return password.encode("utf-8") if password else None


def load_pem(key: Path, cert: Path, chain: Path | None = None, *,
             password: str | None = None) -> SigningKey:
    """--sign-key KEY --sign-cert CERT [--sign-chain FILE]; an encrypted key is opened
    with `password` ($ALMGUARD_SIGN_PASSWORD)."""
    data = _read(key, "signing key")
    load = (serialization.load_pem_private_key if b"-----BEGIN" in data
            else serialization.load_der_private_key)
    try:
        private = load(data, password=_password(password))
    except TypeError:
        if password:
            raise UsageError("the signing key is not encrypted: unset "
                             f"{PASSWORD_ENV}", file=str(key)) from None
        raise UsageError(f"the signing key is encrypted: set {PASSWORD_ENV} to its "
                         "password", file=str(key)) from None
    except ValueError:
        raise UsageError("not a private key this almguard can read (PEM or DER; RSA, "
                         f"ECDSA or Ed25519), or a wrong password in {PASSWORD_ENV}",
                         file=str(key)) from None
    certs = _certificates(cert, "signing certificate")
    extra = _certificates(chain, "certificate chain") if chain else []
    return _signing_key(private, certs[0], certs[1:] + extra, str(cert))


def load_p12(path: Path, chain: Path | None = None, *,
             password: str | None = None) -> SigningKey:
    """--sign-p12 FILE: key, certificate and chain from one PKCS #12 file, opened with
    `password` ($ALMGUARD_SIGN_PASSWORD)."""
    data = _read(path, "PKCS #12 file")
    try:
        private, cert, others = pkcs12.load_key_and_certificates(data, _password(password))
    except ValueError:
        hint = "a wrong password" if password else f"no password ({PASSWORD_ENV} unset)"
        raise UsageError(f"cannot open the PKCS #12 file: not PKCS #12, or {hint}",
                         file=str(path)) from None
    if private is None or cert is None:
        raise UsageError("the PKCS #12 file holds no private key with its certificate",
                         file=str(path))
    as_asn1 = list(load_certs_from_pemder_data(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *others])))
    extra = _certificates(chain, "certificate chain") if chain else []
    return _signing_key(private, as_asn1[0], as_asn1[1:] + extra, str(path))


class _ArchivalWriter(IncrementalPdfFileWriter):
    """pyHanko's incremental writer with the update's metadata pinned and consistent.

    pyHanko stamps the update with the wall clock ('now') in Info and XMP separately and
    appends its name to Info /Producer while writing only its own name to XMP
    pdf:Producer; here both carry `moment` and the same producer.
    """

    def __init__(self, data: bytes, moment: datetime) -> None:
        super().__init__(BytesIO(data))
        self.moment = moment

    @classmethod
    def _handle_id(cls, prev: Any) -> generic.ArrayObject:
        first = super()._handle_id(prev)[0]
        second = hashlib.sha256(prev.stream.getvalue()).digest()[:16]
        return generic.ArrayObject([first, generic.ByteStringObject(second)])

    def _update_meta(self) -> None:
        super()._update_meta()
        info_ref = self.trailer.raw_get("/Info") if "/Info" in self.trailer else None
        if isinstance(info_ref, generic.IndirectObject):
            info = info_ref.get_object()
            info["/ModDate"] = generic.pdf_date(self.moment)
            info["/Producer"] = generic.TextStringObject(VENDOR)
            self.mark_update(info_ref)
        metadata = self.root["/Metadata"] if "/Metadata" in self.root else None
        if isinstance(metadata, MetadataStream):
            metadata.update_xmp_with_meta(DocumentMetadata(last_modified=self.moment))
            self.update_container(metadata)


class _TimedSigner(signers.PdfSigner):
    """A PdfSigner whose claimed signing time is given, not read from the clock."""

    def __init__(self, meta: signers.PdfSignatureMetadata, signer: Any, *,
                 timestamper: TimeStamper | None, signing_time: datetime) -> None:
        super().__init__(meta, signer, timestamper=timestamper)
        self.signing_time = signing_time

    def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> Any:
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self.signing_time
        return session


def sign_report(data: bytes, key: SigningKey, *, signing_time: datetime,
                tsa_url: str | None = None, timestamper: TimeStamper | None = None
                ) -> bytes:
    """The report's bytes with one PAdES certification signature appended."""
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, subfilter=SigSeedSubFilter.PADES, certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES, reason=REASON)
    if timestamper is None and tsa_url:
        timestamper = HTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT_SECONDS)
    try:
        writer = _ArchivalWriter(data, signing_time)
        signer = _TimedSigner(meta, key.signer, timestamper=timestamper,
                              signing_time=signing_time)
        output = signer.sign_pdf(writer)
    except (TimestampRequestError, TimeoutError, asyncio.TimeoutError, OSError) as exc:
        if timestamper is None:
            raise
        raise AlmguardError(f"--tsa-url {tsa_url}: no time-stamp from the authority "
                            f"({_reason(exc)})") from None
    except (SigningError, PdfError) as exc:
        raise AlmguardError(f"cannot sign the report: {exc}") from None
    signed: bytes = output.getvalue()
    return signed


def _reason(exc: BaseException) -> str:
    """The innermost cause of a failed request, in one line."""
    while exc.__cause__ is not None:
        exc = exc.__cause__
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
