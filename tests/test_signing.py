"""Signed reports: `report --sign-key/--sign-cert/--sign-p12 [--tsa-url]` and `verify r.pdf`.

A CA, a signer and a time-stamp authority are made here with `cryptography`. Reports are
rendered through the command line, verified by `almguard verify` and cross-checked with
poppler's pdfsig (which trusts the CA through an NSS store made with certutil). Any change
to a signed report — one byte flipped in the page content, the attachment, the catalog,
the signature or the file's end, any hex digit of /Contents (fuzzed), bytes appended, a
later revision that swaps the attachment or adds page content — must fail; an unsigned
PDF, a wrong trust anchor, no trust anchor, a signer from the TSA's CA, a time-stamping
certificate as signer and unusable files must fail the way the exit codes promise.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import BytesIO
from pathlib import Path
from typing import Iterator

import pypdf
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from checker.cli import main
from conftest import SAMPLES
from tool_support import missing

pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")

COMPLIANT = SAMPLES / "compliant.yaml"
GENERATED_AT = "2026-11-21T09:30:00Z"
PASSWORD = "correct horse battery staple"
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


# --- a small PKI, made for the tests ----------------------------------------------------

def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _usage(*, sign: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=sign,
                         key_encipherment=False, data_encipherment=False,
                         key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def _ca(cn: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1))
            .not_valid_after(NOW + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(_usage(ca=True), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _leaf(cn: str, key, issuer: tuple, *, tsa: bool = False) -> x509.Certificate:
    issuer_key, issuer_cert = issuer
    builder = (x509.CertificateBuilder().subject_name(_name(cn))
               .issuer_name(issuer_cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(NOW - dt.timedelta(days=1))
               .not_valid_after(NOW + dt.timedelta(days=30))
               .add_extension(_usage(sign=True), critical=True))
    if tsa:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key, password: str | None = None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             encryption)


@dataclass
class Pki:
    dir: Path
    ca: Path            # the trust anchor
    impostor_ca: Path   # same name as the CA, another key
    key: Path           # the signer's key (ECDSA P-256) and certificate
    cert: Path
    rsa_key: Path       # a second signer (RSA: deterministic signatures)
    rsa_cert: Path
    encrypted_key: Path
    p12: Path           # the RSA signer in PKCS #12, with PASSWORD
    tsa_ca: Path
    tsa: tuple          # (certificate, key) of the time-stamp authority
    tsa_issued_key: Path    # "Report Signer" again, but issued by the TSA's CA
    tsa_issued_cert: Path
    tsa_key: Path           # the TSA's own key and certificate (EKU timeStamping only)
    tsa_cert: Path
    expired_cert: Path      # the signer's key, a certificate that expired yesterday


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca = _ca("almguard Test CA")
    impostor = _ca("almguard Test CA")
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = _leaf("Report Signer", signer_key, ca)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_cert = _leaf("Report Signer RSA", rsa_key, ca)
    tsa_root = _ca("almguard Test TSA CA")
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa_cert = _leaf("almguard Test TSA", tsa_key, tsa_root, tsa=True)
    look_alike = _leaf("Report Signer", signer_key, tsa_root)
    expired = (x509.CertificateBuilder().subject_name(_name("Report Signer"))
               .issuer_name(ca[1].subject).public_key(signer_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(NOW - dt.timedelta(days=30))
               .not_valid_after(NOW - dt.timedelta(days=1))
               .add_extension(_usage(sign=True), critical=True).sign(ca[0], hashes.SHA256()))
    files = {"ca.pem": _pem(ca[1]), "impostor.pem": _pem(impostor[1]),
             "signer.key": _key_pem(signer_key), "signer.pem": _pem(signer),
             "rsa.key": _key_pem(rsa_key), "rsa.pem": _pem(rsa_cert),
             "encrypted.key": _key_pem(signer_key, PASSWORD), "tsa-ca.pem": _pem(tsa_root[1]),
             "look-alike.pem": _pem(look_alike), "tsa.key": _key_pem(tsa_key),
             "tsa.pem": _pem(tsa_cert), "expired.pem": _pem(expired),
             "signer.p12": pkcs12.serialize_key_and_certificates(
                 b"signer", rsa_key, rsa_cert, [ca[1]],
                 serialization.BestAvailableEncryption(PASSWORD.encode()))}
    for name, data in files.items():
        (d / name).write_bytes(data)
    return Pki(d, d / "ca.pem", d / "impostor.pem", d / "signer.key", d / "signer.pem",
               d / "rsa.key", d / "rsa.pem", d / "encrypted.key", d / "signer.p12",
               d / "tsa-ca.pem", (tsa_cert, tsa_key), d / "signer.key", d / "look-alike.pem",
               d / "tsa.key", d / "tsa.pem", d / "expired.pem")


# --- tools ------------------------------------------------------------------------------

def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        missing(f"{name}, for the cross-check", "apt-get install poppler-utils libnss3-tools")
    return found


@pytest.fixture(scope="module")
def pdfsig(pki: Pki) -> "PdfSig":
    tool = _tool("pdfsig")
    certutil = _tool("certutil")
    store = pki.dir / "nss"
    store.mkdir()
    subprocess.run([certutil, "-N", "-d", f"sql:{store}", "--empty-password"], check=True,
                   capture_output=True)
    for nick, anchor in (("ca", pki.ca), ("tsa", pki.tsa_ca)):
        subprocess.run([certutil, "-A", "-d", f"sql:{store}", "-n", nick, "-t", "C,C,C",
                        "-i", str(anchor)], check=True, capture_output=True)
    return PdfSig(tool, store)


@dataclass
class PdfSig:
    tool: str
    store: Path

    def __call__(self, pdf: Path) -> str:
        proc = subprocess.run([self.tool, "-nssdir", f"sql:{self.store}", str(pdf)],
                              capture_output=True, text=True, timeout=60)
        return proc.stdout + proc.stderr


def verify(*args: str | Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """`almguard verify` in this process (the command line's own main)."""
    code = main(["verify", *map(str, args)])
    out = capsys.readouterr()
    return code, (out.out + out.err).strip()


def report(out: Path, *extra: str | Path, env: dict[str, str] | None = None):
    proc = subprocess.run(
        [sys.executable, "-m", "checker", "report", str(COMPLIANT), "-o", str(out),
         "--generated-at", GENERATED_AT, *map(str, extra)],
        capture_output=True, text=True, timeout=300, cwd=SAMPLES.parent,
        env={**os.environ, "NO_COLOR": "1", **(env or {})})
    return proc


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("unsigned") / "report.pdf"
    proc = report(out)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Path:
    out = tmp_path_factory.mktemp("signed") / "report.pdf"
    proc = report(out, "--sign-key", pki.key, "--sign-cert", pki.cert)
    assert proc.returncode == 0, proc.stderr
    assert "signed by" in proc.stderr and "Report Signer" in proc.stderr
    return out


def _attachment(data: bytes) -> bytes:
    return pypdf.PdfReader(BytesIO(data)).attachments["almguard-result.json"][0]


# --- a good signature -------------------------------------------------------------------

def test_signed_report_verifies_against_its_ca_with_the_attached_digests(
        signed: Path, pki: Pki, capsys):
    code, line = verify(signed, "--trust", pki.ca, capsys=capsys)
    assert code == 0, line
    result = json.loads(_attachment(signed.read_bytes()))
    assert line.startswith(f"almguard: valid: report {signed}: signed by ")
    assert "Report Signer (issued by Common Name: almguard Test CA)" in line
    assert "unchanged since signing" in line
    assert result["snapshot"]["digest"] in line and result["policies"]["digest"] in line
    assert hashlib.sha256(_attachment(signed.read_bytes())).hexdigest() in line
    assert "signing time 2026-11-21T09:30:00Z" in line   # the report's generation time


def test_signing_appends_to_the_rendered_pdfa_and_keeps_its_metadata(signed: Path,
                                                                     unsigned: Path):
    """The same inputs and generation time render the same bytes; signing only appends
    one revision, so the rendered PDF/A-3b and its attachment are there byte for byte,
    and the new revision still declares PDF/A-3b with Info and XMP agreeing."""
    before, after = unsigned.read_bytes(), signed.read_bytes()
    assert after[:len(before)] == before and len(after) > len(before)
    assert _attachment(after) == _attachment(before)
    reader = pypdf.PdfReader(BytesIO(after))
    xmp = reader.xmp_metadata.stream.get_data().decode("utf-8")
    assert re.search(r'pdfaid:part(="|>)3', xmp) and re.search(r'pdfaid:conformance(="|>)B', xmp)
    modified = re.search(r'xmp:ModifyDate(?:="|>)([^"<]+)', xmp).group(1)
    assert modified.startswith("2026-11-21T09:30:00")            # not the wall clock
    assert reader.metadata["/ModDate"].startswith("D:20261121093000")
    producer = re.search(r'pdf:Producer(?:="|>)([^"<]+)', xmp).group(1)
    assert reader.metadata["/Producer"] == producer
    fields = reader.get_fields() or {}
    assert [f.get("/FT") for f in fields.values()] == ["/Sig"]


def test_pdfsig_finds_the_signature_valid_trusted_and_covering_the_file(signed: Path,
                                                                         pdfsig):
    out = pdfsig(signed)
    assert "Signature is Valid." in out, out
    assert "Certificate is Trusted." in out, out
    assert "Total document signed" in out, out
    assert "ETSI.CAdES.detached" in out and "Nov 21 2026 09:30:00" in out


def test_signature_is_reproducible_with_a_deterministic_key(unsigned: Path, pki: Pki):
    from checker.evidence.signing import load_pem, sign_report
    key = load_pem(pki.rsa_key, pki.rsa_cert)
    moment = dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.timezone.utc)
    first = sign_report(unsigned.read_bytes(), key, signing_time=moment)
    second = sign_report(unsigned.read_bytes(), key, signing_time=moment)
    assert first == second
    assert sign_report(unsigned.read_bytes(), key,
                       signing_time=moment + dt.timedelta(seconds=1)) != first


# --- tampering ----------------------------------------------------------------------------

def _object_offset(data: bytes, number: int) -> int:
    return re.search(rb"(?:^|[\r\n])%d 0 obj" % number, data).start()


def _stream_offset(data: bytes, number: int) -> int:
    start = data.index(b"stream", _object_offset(data, number)) + len(b"stream")
    while data[start:start + 1] in b"\r\n":
        start += 1
    return start


def _result_spec(root):
    """The file specification of the attached result document (the catalog's
    EmbeddedFiles name tree is a flat [name, spec, name, spec, ...] in our reports)."""
    names = root["/Names"]["/EmbeddedFiles"]["/Names"]
    index = [str(names[i]) for i in range(0, len(names), 2)].index("almguard-result.json")
    return names[2 * index + 1]


def _places(data: bytes) -> dict[str, int]:
    """Byte offsets inside the signed range (page content, the attachment, the catalog,
    the header's version, the final trailer) and outside it (the signature, its
    padding)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    reader = PdfFileReader(BytesIO(data))
    contents = reader.root["/Pages"]["/Kids"][0].raw_get("/Contents").idnum
    attachment = _result_spec(reader.root)["/EF"].raw_get("/F").idnum
    byte_range = reader.embedded_signatures[0].byte_range
    return {"page content": _stream_offset(data, contents) + 10,
            "attachment": _stream_offset(data, attachment) + 5,
            "catalog": data.index(b"/Lang", _object_offset(data, reader.root_ref.idnum)) + 7,
            "header version": 7,
            "final trailer": len(data) - 25,
            "signature value": byte_range[1] + 300,
            "signature padding": byte_range[2] - 10}


@pytest.mark.parametrize("place", ["page content", "attachment", "catalog",
                                   "header version", "final trailer", "signature value",
                                   "signature padding"])
def test_one_byte_changed_anywhere_fails(signed: Path, pki: Pki, tmp_path: Path, place: str,
                                         capsys):
    data = signed.read_bytes()
    offset = _places(data)[place]
    tampered = bytearray(data)
    # inside the signature's hex string, stay a hex digit; elsewhere flip the low bit
    tampered[offset] = (ord("7") if data[offset] != ord("7") else ord("8")) \
        if place.startswith("signature") else data[offset] ^ 0x01
    path = tmp_path / "tampered.pdf"
    path.write_bytes(bytes(tampered))
    code, line = verify(path, "--trust", pki.ca, capsys=capsys)
    assert code == 1, line
    assert line.startswith("almguard: invalid: report") and len(line.splitlines()) == 1


def test_a_byte_that_breaks_the_pdf_structure_cannot_verify(signed: Path, pki: Pki,
                                                            tmp_path: Path, capsys):
    data = signed.read_bytes()
    offset = data.index(b"/Type", _object_offset(data, 2))
    path = tmp_path / "broken.pdf"
    path.write_bytes(data[:offset] + b"?" + data[offset + 1:])
    code, line = verify(path, "--trust", pki.ca, capsys=capsys)
    assert code == 2 and "not a readable PDF" in line, line


@pytest.mark.parametrize("place", ["page content", "attachment", "catalog"])
def test_pdfsig_also_sees_the_changed_byte(signed: Path, tmp_path: Path, place: str,
                                           pdfsig):
    data = signed.read_bytes()
    offset = _places(data)[place]
    tampered = bytearray(data)
    tampered[offset] ^= 0x01
    path = tmp_path / "tampered.pdf"
    path.write_bytes(bytes(tampered))
    out = pdfsig(path)
    assert "Signature is Valid." not in out, out


def test_bytes_appended_after_signing_fail(signed: Path, pki: Pki, tmp_path: Path, capsys):
    path = tmp_path / "appended.pdf"
    path.write_bytes(signed.read_bytes() + b"\n% appended\n")
    code, line = verify(path, "--trust", pki.ca, capsys=capsys)
    assert code == 1 and "after the signed revision" in line, line


def _later_revision(data: bytes, change) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    writer = IncrementalPdfFileWriter(BytesIO(data))
    change(writer)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _swap_attachment(writer) -> None:
    from pyhanko.pdf_utils import generic
    spec = _result_spec(writer.root)
    forged = generic.StreamObject(
        {generic.pdf_name("/Type"): generic.pdf_name("/EmbeddedFile")},
        stream_data=b'{"summary": {"verdict": "pass"}}')
    spec["/EF"][generic.pdf_name("/F")] = writer.add_object(forged)
    writer.update_container(spec["/EF"])


def _add_page_text(writer) -> None:
    from pyhanko.pdf_utils import generic
    writer.add_stream_to_page(0, generic.StreamObject(
        stream_data=b"BT /F1 24 Tf 72 72 Td (APPROVED) Tj ET"))


@pytest.mark.parametrize("change", [_swap_attachment, _add_page_text],
                         ids=["attachment swapped", "page text added"])
def test_later_revision_that_changes_content_fails(signed: Path, pki: Pki, tmp_path: Path,
                                                   change, capsys):
    path = tmp_path / "later.pdf"
    path.write_bytes(_later_revision(signed.read_bytes(), change))
    code, line = verify(path, "--trust", pki.ca, capsys=capsys)
    assert code == 1 and "changed after signing" in line, line


def test_pdfsig_reports_a_later_revision_as_not_covered(signed: Path, tmp_path: Path,
                                                        pdfsig):
    """pdfsig calls the signature itself valid but says the file is not all signed; our
    verify (above) refuses such a file outright."""
    path = tmp_path / "later.pdf"
    path.write_bytes(_later_revision(signed.read_bytes(), _swap_attachment))
    assert "Not total document signed" in pdfsig(path)


def test_later_validation_data_keeps_the_report_valid(signed: Path, pki: Pki,
                                                      tmp_path: Path, capsys):
    """Adding revocation/certificate data (a DSS, as for long-term validation) is not a
    change of content."""
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore
    data = signed.read_bytes()
    contents = PdfFileReader(BytesIO(data)).embedded_signatures[0].pkcs7_content

    def add_dss(writer) -> None:
        DocumentSecurityStore.supply_dss_in_writer(writer, contents,
                                                   certs=[load_cert_from_pemder(pki.ca)])

    path = tmp_path / "ltv.pdf"
    path.write_bytes(_later_revision(data, add_dss))
    code, line = verify(path, "--trust", pki.ca, capsys=capsys)
    assert code == 0, line


def test_printed_digests_must_match_the_attached_result(unsigned: Path, pki: Pki,
                                                        tmp_path: Path, capsys):
    """A report signed as it is, but whose attachment is not the result its pages print
    (swapped before signing): the signature is good, the report is not."""
    from checker.evidence.signing import load_pem, sign_report
    data = unsigned.read_bytes()
    result = json.loads(_attachment(data))
    result["snapshot"]["digest"] = "sha256:" + "0" * 64

    def swap(writer) -> None:
        from pyhanko.pdf_utils import generic
        spec = _result_spec(writer.root)
        spec["/EF"][generic.pdf_name("/F")] = writer.add_object(generic.StreamObject(
            {generic.pdf_name("/Type"): generic.pdf_name("/EmbeddedFile")},
            stream_data=json.dumps(result).encode()))
        writer.update_container(spec["/EF"])

    moment = dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.timezone.utc)
    path = tmp_path / "mismatch.pdf"
    path.write_bytes(sign_report(_later_revision(data, swap), load_pem(pki.key, pki.cert),
                                 signing_time=moment))
    code, line = verify(path, "--trust", pki.ca, capsys=capsys)
    assert code == 1, line
    assert "snapshot digest printed in the report" in line and "0" * 64 in line


# --- trust ------------------------------------------------------------------------------

def test_wrong_trust_anchor_fails(signed: Path, pki: Pki, capsys):
    code, line = verify(signed, "--trust", pki.impostor_ca, capsys=capsys)
    assert code == 1 and "does not chain to the trust anchor" in line, line


def _signed_with(unsigned: Path, key: Path, cert: Path, target: Path) -> Path:
    from checker.evidence.signing import load_pem, sign_report
    target.write_bytes(sign_report(unsigned.read_bytes(), load_pem(key, cert),
                                   signing_time=NOW))
    return target


def test_a_look_alike_issued_by_the_tsa_ca_is_not_the_signer(unsigned: Path, pki: Pki,
                                                             tmp_path: Path, capsys):
    """Same subject as the real signer, issued by the TSA's CA: --tsa-trust anchors vouch
    for time-stamps only."""
    path = _signed_with(unsigned, pki.tsa_issued_key, pki.tsa_issued_cert,
                        tmp_path / "look-alike.pdf")
    code, line = verify(path, "--trust", pki.ca, "--tsa-trust", pki.tsa_ca, capsys=capsys)
    assert code == 1 and "does not chain to the trust anchor" in line, line


def test_a_time_stamping_certificate_may_not_sign_a_report(unsigned: Path, pki: Pki,
                                                           tmp_path: Path, capsys):
    path = _signed_with(unsigned, pki.tsa_key, pki.tsa_cert, tmp_path / "by-tsa.pdf")
    for trust in (("--trust", pki.tsa_ca), ("--trust", pki.ca, "--trust", pki.tsa_ca)):
        code, line = verify(path, *trust, capsys=capsys)
        assert code == 1 and "may not sign documents" in line, line
        assert "time_stamping" in line and len(line.splitlines()) == 1


def test_no_trust_anchor_is_not_valid(signed: Path, capsys):
    code, line = verify(signed, capsys=capsys)
    assert code == 1 and "--trust" in line, line


def test_cannot_verify_exits_2_with_one_line(signed: Path, unsigned: Path, pki: Pki,
                                             tmp_path: Path, capsys):
    cases = {"no signature": (unsigned, "--trust", pki.ca),
             "cannot read": (tmp_path / "missing.pdf", "--trust", pki.ca),
             "neither a PDF": (COMPLIANT, "--trust", pki.ca),
             "no certificate in the trust file": (signed, "--trust", pki.key),
             "--endpoint: for gate attestations": (signed, "--trust", pki.ca,
                                                    "--endpoint", "m-prod")}
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(signed.read_bytes()[:2000])
    cases["not a readable PDF"] = (truncated, "--trust", pki.ca)
    for expected, args in cases.items():
        code, line = verify(*args, capsys=capsys)
        assert code == 2 and expected in line and len(line.splitlines()) == 1, line
        assert line.startswith("almguard: error: ")


# --- keys, PKCS #12, time-stamps, flags ------------------------------------------------

class _TimeStampAuthority(BaseHTTPRequestHandler):
    stamper = None

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        from asn1crypto import tsp
        body = self.rfile.read(int(self.headers["Content-Length"]))
        answer = self.stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def tsa_url(pki: Pki) -> Iterator[str]:
    """An RFC 3161 time-stamp authority on loopback: pyHanko's test TSA behind HTTP."""
    from asn1crypto import keys, x509 as asn1_x509
    from pyhanko.sign.timestamps import DummyTimeStamper
    cert, key = pki.tsa
    der_key = key.private_bytes(serialization.Encoding.DER,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    handler = type("Handler", (_TimeStampAuthority,), {"stamper": DummyTimeStamper(
        asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        keys.PrivateKeyInfo.load(der_key))})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/tsa"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.slow
def test_p12_with_a_time_stamp_verifies_when_the_tsa_is_trusted_too(
        pki: Pki, tsa_url: str, tmp_path: Path, capsys, pdfsig):
    out = tmp_path / "stamped.pdf"
    proc = report(out, "--sign-p12", pki.p12, "--tsa-url", tsa_url,
                  env={"ALMGUARD_SIGN_PASSWORD": PASSWORD})
    assert proc.returncode == 0, proc.stderr
    code, line = verify(out, "--trust", pki.ca, "--tsa-trust", pki.tsa_ca, capsys=capsys)
    assert code == 0, line
    assert "time-stamped" in line and "almguard Test TSA" in line
    code, line = verify(out, "--trust", pki.ca, capsys=capsys)
    assert code == 1 and "give --tsa-trust" in line, line
    # the anchors are not pooled: the TSA's CA given as --trust does not vouch for it
    code, line = verify(out, "--trust", pki.ca, "--trust", pki.tsa_ca, capsys=capsys)
    assert code == 1 and "give --tsa-trust" in line, line
    code, line = verify(out, "--trust", pki.ca, "--tsa-trust", pki.ca, capsys=capsys)
    assert code == 1 and "does not chain to the --tsa-trust anchor" in line, line
    checked = pdfsig(out)
    assert "Signature is Valid." in checked and "Certificate is Trusted." in checked


def test_unreachable_tsa_is_one_line(unsigned: Path, pki: Pki):
    from checker.errors import AlmguardError
    from checker.evidence.signing import load_pem, sign_report
    with socket.socket() as sock:            # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/tsa"
        with pytest.raises(AlmguardError, match=r"--tsa-url .*: no time-stamp"):
            sign_report(unsigned.read_bytes(), load_pem(pki.key, pki.cert),
                        signing_time=NOW, tsa_url=url)


def test_bad_signing_options_fail_before_evaluating(pki: Pki, tmp_path: Path, capsys,
                                                    monkeypatch):
    out = str(tmp_path / "r.pdf")
    cases = [
        (["--sign-key", pki.key], "--sign-key and --sign-cert go together"),
        (["--tsa-url", "http://127.0.0.1:9/"], "need --sign-key/--sign-cert or --sign-p12"),
        (["--sign-p12", pki.p12, "--sign-key", pki.key, "--sign-cert", pki.cert],
         "not both"),
        (["--sign-key", pki.rsa_key, "--sign-cert", pki.cert],
         "does not belong to the signing certificate"),
        (["--sign-key", pki.encrypted_key, "--sign-cert", pki.cert],
         "set ALMGUARD_SIGN_PASSWORD"),
        (["--sign-p12", pki.p12], "PKCS #12"),
        (["--sign-key", pki.key, "--sign-cert", pki.key], "no certificate"),
        (["--sign-key", pki.key, "--sign-cert", pki.cert, "--tsa-url", "ftp://tsa"],
         "http:// or https://"),
        (["--sign-key", pki.key, "--sign-cert", pki.expired_cert], "expired"),
    ]
    monkeypatch.delenv("ALMGUARD_SIGN_PASSWORD", raising=False)
    for extra, expected in cases:
        code = main(["report", str(COMPLIANT), "-o", out, *map(str, extra)])
        err = capsys.readouterr().err.strip()
        assert code == 2 and expected in err and len(err.splitlines()) == 1, (extra, err)
        assert not Path(out).exists()


def test_intermediates_from_sign_chain_are_embedded(unsigned: Path, tmp_path: Path, capsys):
    """Root -> intermediate -> signer: with the intermediate given as --sign-chain, the
    auditor needs only the root; without it, the chain cannot be built."""
    from checker.evidence.signing import load_pem, sign_report
    root = _ca("almguard Test Root")
    middle_key = ec.generate_private_key(ec.SECP256R1())
    middle = (x509.CertificateBuilder().subject_name(_name("almguard Test Intermediate"))
              .issuer_name(root[1].subject).public_key(middle_key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(NOW - dt.timedelta(days=1))
              .not_valid_after(NOW + dt.timedelta(days=30))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(_usage(ca=True), critical=True)
              .sign(root[0], hashes.SHA256()))
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = _leaf("Chained Signer", signer_key, (middle_key, middle))
    files = {"root.pem": _pem(root[1]), "middle.pem": _pem(middle),
             "chained.key": _key_pem(signer_key), "chained.pem": _pem(signer)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    for chain, expected in ((tmp_path / "middle.pem", 0), (None, 1)):
        key = load_pem(tmp_path / "chained.key", tmp_path / "chained.pem", chain)
        path = tmp_path / "chained.pdf"
        path.write_bytes(sign_report(unsigned.read_bytes(), key, signing_time=NOW))
        code, line = verify(path, "--trust", tmp_path / "root.pem", capsys=capsys)
        assert code == expected, line


def test_encrypted_keys_open_with_their_password(pki: Pki, unsigned: Path,
                                                                    capsys):
    from checker.errors import UsageError
    from checker.evidence.signing import load_pem, load_p12, sign_report
    key = load_pem(pki.encrypted_key, pki.cert, password=PASSWORD)
    with pytest.raises(UsageError, match="wrong password"):
        load_pem(pki.encrypted_key, pki.cert, password="wrong")
    p12 = load_p12(pki.p12, password=PASSWORD)
    assert "Report Signer RSA" in p12.subject
    path = unsigned.parent / "encrypted-key.pdf"
    path.write_bytes(sign_report(unsigned.read_bytes(), key, signing_time=NOW))
    code, line = verify(path, "--trust", pki.ca, capsys=capsys)
    assert code == 0, line


def test_verify_names_the_extra_when_pyhanko_is_missing(signed: Path, pki: Pki, capsys,
                                                        monkeypatch):
    for name in [m for m in sys.modules if m.startswith(("pyhanko", "checker.evidence."))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyhanko", None)
    code, line = verify(signed, "--trust", pki.ca, capsys=capsys)
    assert code == 2 and "pip install 'almguard[evidence]'" in line, line
    assert "pyhanko" in line


def test_attachment_name_is_the_reports_own():
    from checker.evidence.pdfcheck import RESULT_ATTACHMENT
    from reports.context import RESULT_ATTACHMENT as rendered
    assert RESULT_ATTACHMENT == rendered


# --- the signature container (/Contents) ------------------------------------------------

def _contents(data: bytes) -> tuple[int, int, bytes]:
    """Where the hex of /Contents starts and ends, and the DER signature it holds."""
    from asn1crypto import parser
    start = data.index(b"/Contents <") + len(b"/Contents <")
    end = data.index(b">", start)
    raw = bytes.fromhex(data[start:end].decode())
    _, _, _, header, body, _ = parser.parse(raw)
    return start, end, raw[:len(header) + len(body)]


def _with_der(data: bytes, der: bytes) -> bytes:
    """The report with another DER signature in /Contents (zero-padded as before)."""
    start, end, _ = _contents(data)
    hexed = der.hex().encode()
    assert len(hexed) <= end - start
    return data[:start] + hexed + b"0" * (end - start - len(hexed)) + data[end:]


def _digest_oid_changed(der: bytes) -> bytes:
    """The unsigned digestAlgorithms set says SHA-512 where the signer used SHA-256."""
    from asn1crypto import cms
    listed = cms.ContentInfo.load(der)["content"]["digest_algorithms"][0].dump()
    sha256 = bytes.fromhex("0609608648016503040201")        # OID 2.16.840.1.101.3.4.2.1
    position = der.index(listed) + listed.index(sha256) + len(sha256) - 1
    return der[:position] + b"\x03" + der[position + 1:]   # ...2.3: SHA-512


def _version_changed(der: bytes) -> bytes:
    """SignedData version 3 where RFC 5652 prescribes 1 (its INTEGER comes first)."""
    from asn1crypto import cms
    signed = cms.ContentInfo.load(der)["content"]
    assert signed["version"].native == "v1" and signed.contents[:3] == b"\x02\x01\x01"
    position = der.index(signed.contents) + 2
    return der[:position] + b"\x03" + der[position + 1:]


def _long_form_length(der: bytes) -> bytes:
    """The same values with the outer length in a longer (BER, not DER) form."""
    assert der[1] == 0x82
    return der[:1] + b"\x83\x00" + der[2:]


@pytest.mark.parametrize("change, expected", [
    (_digest_oid_changed, "digestAlgorithms"),
    (_version_changed, "version"),
    (_long_form_length, "not the DER encoding"),
], ids=["digestAlgorithms", "version", "BER length"])
def test_a_changed_unsigned_part_of_the_container_is_invalid(signed: Path, pki: Pki,
                                                             tmp_path: Path, capsys,
                                                             change, expected):
    data = signed.read_bytes()
    path = tmp_path / "changed.pdf"
    path.write_bytes(_with_der(data, change(_contents(data)[2])))
    code, line = verify(path, "--trust", pki.ca, capsys=capsys)
    assert code == 1 and "signature container was altered" in line, line
    assert expected in line and len(line.splitlines()) == 1


def test_random_changes_inside_contents_are_invalid_never_an_error(signed: Path, pki: Pki):
    """Any hex digit of /Contents changed (the DER and its zero padding): an invalid
    signature, one line — never valid, never "cannot verify", never an internal error."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from checker.evidence.pdfcheck import check_report
    data = signed.read_bytes()
    start, end, der = _contents(data)
    signed_hex = 2 * len(der)
    assert check_report(data, "signed", [pki.ca]).valid

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.one_of(st.integers(0, signed_hex - 1), st.integers(0, end - start - 1)),
           st.integers(1, 15))
    def changed(offset: int, delta: int) -> None:
        position = start + offset
        nibble = (int(chr(data[position]), 16) + delta) % 16
        corrupt = data[:position] + b"0123456789abcdef"[nibble:nibble + 1] \
            + data[position + 1:]
        result = check_report(corrupt, "changed", [pki.ca])
        assert not result.valid and len(result.message.splitlines()) == 1, offset

    changed()


@pytest.mark.slow
def test_a_failed_signing_writes_no_file(pki: Pki, tmp_path: Path, capsys):
    """The time-stamp authority is down: the run fails (exit 2) after rendering, and
    neither the PDF nor the HTML is written; an HTML file already there stays as it was."""
    html, pdf = tmp_path / "keep.html", tmp_path / "report.pdf"
    html.write_text("the previous report\n")
    with socket.socket() as sock:            # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/tsa"
        code = main(["report", str(COMPLIANT), "-o", str(pdf), "--html", str(html),
                     "--generated-at", GENERATED_AT, "--sign-key", str(pki.key),
                     "--sign-cert", str(pki.cert), "--tsa-url", url])
    err = capsys.readouterr().err
    assert code == 2 and "no time-stamp" in err, err
    assert html.read_text() == "the previous report\n" and not pdf.exists()
