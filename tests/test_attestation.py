"""Gate attestations: `gate --attest FILE --sign-key KEY` and `verify FILE --trust KEY.pub
--artifact-digest sha256:… --endpoint E --environment ENV`.

The gate runs through the command line (a real process) with Ed25519 and ECDSA P-256
keys made here. The envelope is read back with in-toto's and securesystemslib's own
classes (not ours) to show that it is a standard DSSE envelope whose signature verifies
and whose payload is an in-toto Statement v1 about the version's artifact. The verifier
passes only the right key, the right artifact digest, an allow and the endpoint,
environment and traffic share the deploy step names; a tampered envelope, a deny,
another digest, another target and unusable input fail as the exit codes promise.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from checker.cli import main
from conftest import SAMPLES, run_cli

COMPLIANT = SAMPLES / "compliant.yaml"
AUDIT = SAMPLES / "audit-scenario.yaml"
ALLOW = ("--model", "support-summarizer", "--version", "2.1.0",
         "--endpoint", "support-summarizer-prod")
# Where the verifying deploy step says the artifact goes (the gate's endpoint's own).
PROD = ("--endpoint", "support-summarizer-prod", "--environment", "production")
CANARY = ("--endpoint", "support-summarizer-canary", "--environment", "staging")
STAGING = ("--model", "support-summarizer", "--version", "2.1.0", *CANARY, "--traffic", "10")
DENY = ("--model", "card-credit-limit-model", "--version", "1.2.0",
        "--endpoint", "card-credit-limit-prod")
DENY_AT = ("--endpoint", "card-credit-limit-prod", "--environment", "production")
STATEMENT = "https://in-toto.io/Statement/v1"
PREDICATE = "https://almguard.dev/attestation/gate/v1"


def _keypair(directory: Path, name: str, private) -> tuple[Path, Path]:
    key, pub = directory / f"{name}.key", directory / f"{name}.pub"
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    pub.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, pub


@dataclass
class Keys:
    ed25519: tuple[Path, Path]
    p256: tuple[Path, Path]
    rsa: tuple[Path, Path]
    other: tuple[Path, Path]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    d = tmp_path_factory.mktemp("keys")
    return Keys(_keypair(d, "ed25519", ed25519.Ed25519PrivateKey.generate()),
                _keypair(d, "p256", ec.generate_private_key(ec.SECP256R1())),
                _keypair(d, "rsa", rsa.generate_private_key(public_exponent=65537,
                                                            key_size=2048)),
                _keypair(d, "other", ed25519.Ed25519PrivateKey.generate()))


def artifact_digest(snapshot: Path, model: str, version: str) -> str:
    doc = yaml.safe_load(snapshot.read_text())
    return next(v["artifact"]["digest"] for m in doc["models"] if m["name"] == model
                for v in m["versions"] if v["version"] == version)


@dataclass
class Attested:
    envelope: Path
    result: Path
    code: int
    stderr: str


def attest(directory: Path, snapshot: Path, proposal: tuple[str, ...], key: Path,
           name: str) -> Attested:
    envelope, result = directory / f"{name}.json", directory / f"{name}.result.json"
    run = run_cli("gate", str(snapshot), *proposal, "--format", "json", "-o", str(result),
                  "--attest", str(envelope), "--sign-key", str(key))
    return Attested(envelope, result, run.code, run.stderr)


@pytest.fixture(scope="module")
def allowed(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Attested:
    done = attest(tmp_path_factory.mktemp("allow"), COMPLIANT, ALLOW, keys.ed25519[0],
                  "allow")
    assert done.code == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def denied(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Attested:
    done = attest(tmp_path_factory.mktemp("deny"), AUDIT, DENY, keys.p256[0], "deny")
    assert done.code == 1, done.stderr
    return done


def verify(*args: str | Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["verify", *map(str, args)])
    out = capsys.readouterr()
    return code, (out.out + out.err).strip()


def payload(envelope: Path) -> dict:
    return json.loads(base64.b64decode(json.loads(envelope.read_text())["payload"]))


# --- what is written ----------------------------------------------------------------------

def test_envelope_is_standard_dsse_verified_by_securesystemslib(allowed: Attested,
                                                               keys: Keys):
    from in_toto.models.metadata import Envelope
    from securesystemslib.signer import SSlibKey
    envelope = Envelope.from_dict(json.loads(allowed.envelope.read_text()))
    assert envelope.payload_type == "application/vnd.in-toto+json"
    public = serialization.load_pem_public_key(keys.ed25519[1].read_bytes())
    key = SSlibKey.from_crypto(public)
    assert key.keyid in envelope.verify([key], 1)
    other = SSlibKey.from_crypto(serialization.load_pem_public_key(keys.other[1].read_bytes()))
    with pytest.raises(Exception):
        envelope.verify([other], 1)


def test_signature_is_over_the_dsse_pre_authentication_encoding(allowed: Attested,
                                                                 keys: Keys):
    """The DSSE spec by hand: the signature is Ed25519 over
    "DSSEv1" SP len(type) SP type SP len(body) SP body."""
    document = json.loads(allowed.envelope.read_text())
    body = base64.b64decode(document["payload"])
    kind = document["payloadType"].encode()
    pae = b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(body), body)
    public = serialization.load_pem_public_key(keys.ed25519[1].read_bytes())
    signature, = document["signatures"]
    public.verify(base64.b64decode(signature["sig"]), pae)   # raises if it does not verify


def test_statement_binds_artifact_snapshot_policies_proposal_and_decision(allowed: Attested):
    statement = payload(allowed.envelope)
    result = json.loads(allowed.result.read_text())
    assert statement["_type"] == STATEMENT and statement["predicateType"] == PREDICATE
    subject, = statement["subject"]
    expected = artifact_digest(COMPLIANT, "support-summarizer", "2.1.0")
    assert subject["name"] == "support-summarizer@2.1.0"
    assert "sha256:" + subject["digest"]["sha256"] == expected
    predicate = statement["predicate"]
    assert predicate["decision"] == result["gate"]["decision"] == "allow"
    assert predicate["snapshot"] == result["snapshot"]
    assert predicate["policies"] == result["policies"]
    assert predicate["proposal"] == result["gate"]["proposal"]
    assert predicate["blocking_findings"] == [] and predicate["failed_checks"] == []
    # the whole result document, as --format json printed it, by its SHA-256
    assert predicate["result_sha256"] == hashlib.sha256(allowed.result.read_bytes()).hexdigest()
    assert "wrote" in allowed.stderr and "attestation: allow" in allowed.stderr


def test_a_denied_gate_is_attested_with_its_blocking_findings(denied: Attested):
    predicate = payload(denied.envelope)["predicate"]
    result = json.loads(denied.result.read_text())
    assert predicate["decision"] == "deny"
    blocking = {(f["rule_id"], f["resource"]["id"]) for f in result["findings"]
                if f.get("blocking")}
    assert blocking and {(f["rule_id"], f["resource"]["id"])
                         for f in predicate["blocking_findings"]} == blocking
    failed = {c["rule_id"] for c in result["gate"]["checklist"] if not c["passed"]}
    assert set(predicate["failed_checks"]) == failed


def test_same_gate_and_ed25519_key_give_the_same_envelope(allowed: Attested, keys: Keys,
                                                          tmp_path: Path):
    again = attest(tmp_path, COMPLIANT, ALLOW, keys.ed25519[0], "again")
    assert again.code == 0, again.stderr
    assert again.envelope.read_bytes() == allowed.envelope.read_bytes()


# --- verifying ----------------------------------------------------------------------------

def test_allow_for_the_right_artifact_verifies(allowed: Attested, keys: Keys, capsys):
    digest = artifact_digest(COMPLIANT, "support-summarizer", "2.1.0")
    code, line = verify(allowed.envelope, "--trust", keys.ed25519[1],
                        "--artifact-digest", digest, *PROD, capsys=capsys)
    assert code == 0, line
    assert line.startswith(f"almguard: valid: attestation {allowed.envelope}: gate allowed")
    assert "support-summarizer" in line and digest in line
    assert "endpoint support-summarizer-prod in environment production at 100 %" in line


def test_another_artifact_digest_fails(allowed: Attested, keys: Keys, capsys):
    other = artifact_digest(COMPLIANT, "support-summarizer", "2.0.0")
    code, line = verify(allowed.envelope, "--trust", keys.ed25519[1],
                        "--artifact-digest", other, *PROD, capsys=capsys)
    assert code == 1 and f"not {other}" in line, line


def test_another_key_fails(allowed: Attested, keys: Keys, capsys):
    digest = artifact_digest(COMPLIANT, "support-summarizer", "2.1.0")
    code, line = verify(allowed.envelope, "--trust", keys.other[1],
                        "--artifact-digest", digest, *PROD, capsys=capsys)
    assert code == 1 and "no signature by the trusted key" in line, line


def test_a_deny_fails_with_its_blocking_rules(denied: Attested, keys: Keys, capsys):
    digest = artifact_digest(AUDIT, "card-credit-limit-model", "1.2.0")
    code, line = verify(denied.envelope, "--trust", keys.p256[1],
                        "--artifact-digest", digest, *DENY_AT, capsys=capsys)
    assert code == 1 and "decided deny" in line and "ALM-LIN-001" in line, line


@pytest.fixture(scope="module")
def staging(tmp_path_factory: pytest.TempPathFactory, keys: Keys) -> Attested:
    done = attest(tmp_path_factory.mktemp("staging"), COMPLIANT, STAGING, keys.ed25519[0],
                  "staging")
    assert done.code == 0, done.stderr
    return done


def test_a_staging_allow_does_not_cover_a_production_deploy(staging: Attested, keys: Keys,
                                                           capsys):
    digest = artifact_digest(COMPLIANT, "support-summarizer", "2.1.0")
    base = (staging.envelope, "--trust", keys.ed25519[1], "--artifact-digest", digest)
    code, line = verify(*base, *CANARY, capsys=capsys)
    assert code == 0, line
    assert "in environment staging at 10 % of traffic" in line
    mismatches = {
        PROD: "endpoint support-summarizer-canary, not --endpoint support-summarizer-prod",
        ("--endpoint", "support-summarizer-canary", "--environment", "production"):
            "environment staging, not --environment production",
        (*CANARY, "--traffic-percent", "50"): "allowed 10 % of traffic, not",
    }
    for where, expected in mismatches.items():
        code, line = verify(*base, *where, capsys=capsys)
        assert code == 1 and expected in line and len(line.splitlines()) == 1, line
        assert "does not cover this deployment" in line
    code, line = verify(*base, *CANARY, "--traffic-percent", "10", capsys=capsys)
    assert code == 0, line


def test_max_age_is_measured_back_from_at(staging: Attested, keys: Keys, capsys):
    gated = payload(staging.envelope)["predicate"]["proposal"]["at"]
    assert gated == "2026-11-20T08:00:00Z"          # the snapshot's capture time
    digest = artifact_digest(COMPLIANT, "support-summarizer", "2.1.0")
    base = (staging.envelope, "--trust", keys.ed25519[1], "--artifact-digest", digest,
            *CANARY)
    code, line = verify(*base, "--max-age", "2h", "--at", "2026-11-20T09:59:59Z",
                        capsys=capsys)
    assert code == 0, line
    code, line = verify(*base, "--max-age", "2h", "--at", "2026-11-20T10:00:01Z",
                        capsys=capsys)
    assert code == 1 and "2h1s before 2026-11-20T10:00:01Z" in line, line
    assert "older than --max-age 2h" in line
    code, line = verify(*base, "--max-age", "7d", capsys=capsys)      # from now
    assert code == 1 and "older than --max-age 7d" in line, line


def _rewritten(envelope: Path, target: Path, change) -> Path:
    document = json.loads(envelope.read_text())
    change(document)
    target.write_text(json.dumps(document))
    return target


def test_tampered_envelopes_fail(denied: Attested, keys: Keys, tmp_path: Path, capsys):
    digest = artifact_digest(AUDIT, "card-credit-limit-model", "1.2.0")

    def allow_instead(document: dict) -> None:     # the deny turned into an allow
        statement = json.loads(base64.b64decode(document["payload"]))
        statement["predicate"]["decision"] = "allow"
        document["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()

    def flip_signature(document: dict) -> None:
        sig = bytearray(base64.b64decode(document["signatures"][0]["sig"]))
        sig[10] ^= 0x01
        document["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()

    def other_type(document: dict) -> None:
        document["payloadType"] = "application/json"

    for change, expected in ((allow_instead, "no signature by the trusted key"),
                             (flip_signature, "no signature by the trusted key"),
                             (other_type, "not an in-toto statement")):
        path = _rewritten(denied.envelope, tmp_path / f"{change.__name__}.json", change)
        code, line = verify(path, "--trust", keys.p256[1], "--artifact-digest", digest,
                            *DENY_AT, capsys=capsys)
        assert code == 1 and expected in line, (change.__name__, line)


def test_rsa_keys_sign_and_verify_too(keys: Keys, allowed: Attested, tmp_path: Path, capsys):
    from checker.evidence.attestation import load_signer, sign_statement
    statement = payload(allowed.envelope)
    path = tmp_path / "rsa.json"
    path.write_text(sign_statement(statement, load_signer(keys.rsa[0])))
    digest = artifact_digest(COMPLIANT, "support-summarizer", "2.1.0")
    code, line = verify(path, "--trust", keys.rsa[1], "--artifact-digest", digest, *PROD,
                        capsys=capsys)
    assert code == 0, line


def test_cannot_verify_exits_2(allowed: Attested, keys: Keys, tmp_path: Path, capsys):
    digest = artifact_digest(COMPLIANT, "support-summarizer", "2.1.0")
    not_envelope = tmp_path / "plain.json"
    not_envelope.write_text('{"hello": "world"}')
    cases = [((allowed.envelope, "--trust", keys.ed25519[1], *PROD), "--artifact-digest"),
             ((allowed.envelope, "--trust", keys.ed25519[1], "--artifact-digest", digest),
              "--endpoint NAME, --environment ENV"),
             ((allowed.envelope, "--trust", keys.ed25519[1], "--artifact-digest", digest,
               "--endpoint", "support-summarizer-prod"), "--environment ENV"),
             ((allowed.envelope, "--artifact-digest", digest, *PROD), "--trust KEY.pub"),
             ((allowed.envelope, "--trust", keys.ed25519[0], "--artifact-digest", digest,
               *PROD), "not a PEM public key"),
             ((allowed.envelope, "--trust", keys.ed25519[1], "--artifact-digest",
               "sha256:abc", *PROD), "64 lower-case hex"),
             ((allowed.envelope, "--trust", keys.ed25519[1], "--artifact-digest", digest,
               *PROD, "--max-age", "2 days"), "--max-age '2 days'"),
             ((allowed.envelope, "--trust", keys.ed25519[1], "--artifact-digest", digest,
               *PROD, "--at", "2026-11-20T08:00:00Z"), "give --max-age too"),
             ((allowed.envelope, "--trust", keys.ed25519[1], "--artifact-digest", digest,
               *PROD, "--max-age", "1h", "--at", "yesterday"), "--at 'yesterday'"),
             ((not_envelope, "--trust", keys.ed25519[1], "--artifact-digest", digest, *PROD),
              "not a DSSE envelope")]
    for args, expected in cases:
        code, line = verify(*args, capsys=capsys)
        assert code == 2 and expected in line and len(line.splitlines()) == 1, line


# --- writing refuses what it cannot bind ----------------------------------------------------

def test_version_without_artifact_digest_is_not_attested(keys: Keys, tmp_path: Path):
    doc = yaml.safe_load(COMPLIANT.read_text())
    version = next(v for m in doc["models"] if m["name"] == "support-summarizer"
                   for v in m["versions"] if v["version"] == "2.1.0")
    del version["artifact"]["digest"]
    snapshot = tmp_path / "no-digest.yaml"
    snapshot.write_text(yaml.safe_dump(doc, sort_keys=False))
    done = attest(tmp_path, snapshot, ALLOW, keys.ed25519[0], "none")
    assert done.code == 2 and "has no artifact digest" in done.stderr, done.stderr
    assert "artifact.digest" in done.stderr and not done.envelope.exists()


def test_attest_flags_go_together(keys: Keys, tmp_path: Path, capsys):
    code = main(["gate", str(COMPLIANT), *ALLOW, "--attest", str(tmp_path / "a.json")])
    assert code == 2 and "needs --sign-key" in capsys.readouterr().err
    code = main(["gate", str(COMPLIANT), *ALLOW, "--sign-key", str(keys.ed25519[0])])
    assert code == 2 and "give both" in capsys.readouterr().err
    code = main(["gate", str(COMPLIANT), *ALLOW, "--attest", str(tmp_path / "a.json"),
                 "--sign-key", str(keys.ed25519[1])])
    assert code == 2 and "not a PEM private key" in capsys.readouterr().err
    assert not (tmp_path / "a.json").exists()


def test_verify_names_the_extra_when_in_toto_is_missing(allowed: Attested, keys: Keys,
                                                        capsys, monkeypatch):
    for name in [m for m in sys.modules
                 if m.startswith(("in_toto", "securesystemslib", "checker.evidence."))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "in_toto", None)
    digest = artifact_digest(COMPLIANT, "support-summarizer", "2.1.0")
    code, line = verify(allowed.envelope, "--trust", keys.ed25519[1],
                        "--artifact-digest", digest, *PROD, capsys=capsys)
    assert code == 2 and "pip install 'almguard[evidence]'" in line, line


def test_an_unsupported_key_is_named_by_its_algorithm(tmp_path: Path):
    from cryptography.hazmat.primitives.asymmetric import ed448
    from checker.errors import UsageError
    from checker.evidence.attestation import load_signer
    cases = {"ed448": (ed448.Ed448PrivateKey.generate(), "unsupported signing key: Ed448 "),
             "k1": (ec.generate_private_key(ec.SECP256K1()), "ECDSA on curve secp256k1")}
    for name, (private, expected) in cases.items():
        path = tmp_path / f"{name}.key"
        path.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        with pytest.raises(UsageError) as caught:
            load_signer(path)
        message = str(caught.value)
        assert expected in message and "class" not in message and "<" not in message


def test_only_the_payload_and_its_type_are_signed(allowed: Attested, keys: Keys,
                                                   tmp_path: Path, capsys):
    """What the README promises: unknown fields and signatures by other keys do not
    change the verdict; a second signature with the trusted key's id is unreadable."""
    digest = artifact_digest(COMPLIANT, "support-summarizer", "2.1.0")
    other = {"keyid": "0" * 64, "sig": base64.b64encode(b"x" * 64).decode()}

    def extra_field(document: dict) -> None:
        document["comment"] = "added later"

    def other_signature(document: dict) -> None:
        document["signatures"].append(other)

    def same_keyid_twice(document: dict) -> None:
        document["signatures"].append({**other, "keyid": document["signatures"][0]["keyid"]})

    for change, expected in ((extra_field, 0), (other_signature, 0), (same_keyid_twice, 2)):
        path = _rewritten(allowed.envelope, tmp_path / f"{change.__name__}.json", change)
        code, line = verify(path, "--trust", keys.ed25519[1], "--artifact-digest", digest,
                            *PROD, capsys=capsys)
        assert code == expected, (change.__name__, line)
