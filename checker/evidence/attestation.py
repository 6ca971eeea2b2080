"""A gate's decision as an in-toto Statement (v1) in a DSSE envelope, and its check.

The statement's subject is the model version's artifact (its `artifact.digest` in the
snapshot); the predicate (type PREDICATE_TYPE, documented in docs/attestation.md) binds
the decision to the proposal, the snapshot digest, the policy digest and the SHA-256 of
the gate's whole result document. The envelope is in-toto's (securesystemslib DSSE,
payload type application/vnd.in-toto+json), signed with a PEM private key through
securesystemslib's CryptoSigner: Ed25519, ECDSA (P-256, P-384) or RSA (PSS).

A denied gate is attested too — the record that the gate ran and refused — and the
verifier refuses it: `almguard verify` passes only a good signature by the trusted key, a
subject digest equal to --artifact-digest and the decision `allow`. No clock is read: the
statement's time is the proposal's (`--at`, else the snapshot's capture), so the same
gate and an Ed25519 key give the same envelope.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from in_toto.models.metadata import ENVELOPE_PAYLOAD_TYPE, Envelope
from securesystemslib.exceptions import FormatError, VerificationError
from securesystemslib.signer import CryptoSigner, Key, SSlibKey

from ..errors import UsageError
from ..results import ResultDocument
from ..sources.interface import LoadedSnapshot
from . import PASSWORD_ENV, CannotVerify, read_input
from ..ids import model_version_id
from ..times import parse_time

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://almguard.dev/attestation/gate/v1"
_DIGEST = re.compile(r"^(sha256|sha384|sha512):([0-9a-f]+)$")
_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}


def parse_digest(text: str, what: str) -> tuple[str, str]:
    """`sha256:<hex>` (also sha384, sha512; lower-case hex of the right length)."""
    match = _DIGEST.match(text)
    if not match or len(match.group(2)) != _HEX_LENGTH[match.group(1)]:
        raise UsageError(f"{what} {text!r}: expected sha256: and 64 lower-case hex digits "
                         "(or sha384:/sha512: with 96/128)")
    return match.group(1), match.group(2)


# --- signing ----------------------------------------------------------------------------

def load_signer(path: Path, *, password: str | None = None) -> CryptoSigner:
    """--sign-key KEY: a PEM private key (PKCS #8 or traditional), opened with `password`
    ($ALMGUARD_SIGN_PASSWORD) if encrypted."""
    data = read_input(path, "the signing key")
    try:
        private = serialization.load_pem_private_key(
            data, password=password.encode("utf-8") if password else None)
    except TypeError:
        state = "not encrypted: unset" if password else "encrypted: set"
        raise UsageError(f"the signing key is {state} {PASSWORD_ENV}",
                         file=str(path)) from None
    except (ValueError, UnsupportedAlgorithm):
        raise UsageError("not a PEM private key this almguard can read, or a wrong "
                         f"password in {PASSWORD_ENV}", file=str(path)) from None
    try:
        return CryptoSigner(private)
    except ValueError:
        raise UsageError(f"unsupported signing key: {_key_kind(private)} (use Ed25519, "
                         "ECDSA P-256/P-384/P-521 or RSA)", file=str(path)) from None


def _key_kind(private: Any) -> str:
    """The key's algorithm in a user's words (never a Python class name)."""
    from cryptography.hazmat.primitives.asymmetric import dh, dsa, ec, ed448, x448, x25519
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return f"ECDSA on curve {private.curve.name}"
    kinds = ((ed448.Ed448PrivateKey, "Ed448"), (x448.X448PrivateKey, "X448"),
             (x25519.X25519PrivateKey, "X25519"), (dsa.DSAPrivateKey, "DSA"),
             (dh.DHPrivateKey, "Diffie-Hellman"))
    return next((name for kind, name in kinds if isinstance(private, kind)),
                "this key type")


def subject_of(snapshot: LoadedSnapshot, model: str, version: str) -> dict[str, Any]:
    """The statement's subject: the version's artifact, by the digest the snapshot
    records. Without one there is nothing to bind the decision to."""
    for m_index, m in enumerate(snapshot.document.get("models", ())):
        if m.get("name") != model:
            continue
        for v_index, v in enumerate(m.get("versions", ())):
            if v.get("version") != version:
                continue
            artifact = v.get("artifact") or {}
            where = f"models[{m_index}].versions[{v_index}].artifact.digest"
            if not artifact.get("digest"):
                raise UsageError(f"--attest: model {model!r} version {version!r} has no "
                                 f"artifact digest ({where}): there is no artifact to "
                                 "attest", file=snapshot.origin)
            algorithm, value = parse_digest(artifact["digest"], f"--attest: {where}")
            subject: dict[str, Any] = {"name": model_version_id(model, version),
                                       "digest": {algorithm: value}}
            if artifact.get("uri"):
                subject["uri"] = artifact["uri"]
            return subject
    raise UsageError(f"--attest: the snapshot has no model {model!r} version {version!r}: "
                     "there is no artifact to attest", file=snapshot.origin)


def statement(result: ResultDocument, subject: dict[str, Any]) -> dict[str, Any]:
    """The in-toto Statement of one evaluated gate."""
    gate = result.gate
    if gate is None:
        raise UsageError("--attest needs a gate's result")
    blocking = sorted({(f.rule_id, f.resource.kind, f.resource.id)
                       for f in result.findings if f.blocking})
    predicate = {
        "decision": gate.decision,
        "verdict": result.summary.verdict,
        "fail_on": result.summary.fail_on,
        "proposal": gate.proposal.model_dump(mode="json"),
        "snapshot": result.snapshot.model_dump(mode="json"),
        "policies": result.policies.model_dump(mode="json"),
        "blocking_findings": [{"rule_id": rule, "resource": {"kind": kind, "id": ident}}
                              for rule, kind, ident in blocking],
        "failed_checks": sorted({c.rule_id for c in gate.checklist if not c.passed}),
        "result_sha256": hashlib.sha256(result.to_json().encode("utf-8")).hexdigest(),
        "tool": result.tool.model_dump(mode="json"),
        "engine": result.engine.model_dump(mode="json"),
    }
    return {"_type": STATEMENT_TYPE, "subject": [subject], "predicateType": PREDICATE_TYPE,
            "predicate": predicate}


def sign_statement(content: dict[str, Any], signer: CryptoSigner) -> str:
    """The DSSE envelope (JSON text) of a statement, signed once."""
    payload = json.dumps(content, sort_keys=True, separators=(",", ":"),
                         ensure_ascii=False).encode("utf-8")
    envelope = Envelope(payload, ENVELOPE_PAYLOAD_TYPE, {})
    envelope.create_signature(signer)
    return json.dumps(envelope.to_dict(), indent=2, sort_keys=True) + "\n"


def attest_gate(result: ResultDocument, snapshot: LoadedSnapshot,
                signer: CryptoSigner) -> tuple[str, str]:
    """The signed envelope of an evaluated gate, and a name for its subject."""
    if result.gate is None:
        raise UsageError("--attest needs a gate's result")
    proposal = result.gate.proposal
    subject = subject_of(snapshot, proposal.model, proposal.version)
    digest = ", ".join(f"{a}:{v}" for a, v in subject["digest"].items())
    return sign_statement(statement(result, subject), signer), f"{subject['name']} ({digest})"


# --- verifying --------------------------------------------------------------------------

@dataclass(frozen=True)
class AttestationCheck:
    valid: bool
    message: str


def load_public_key(path: Path) -> Key:
    """--trust KEY.pub: the PEM public key the attestation must be signed with."""
    data = read_input(path, "the trust key", CannotVerify)
    try:
        public = serialization.load_pem_public_key(data)
        return SSlibKey.from_crypto(public)
    except (ValueError, UnsupportedAlgorithm):
        raise CannotVerify("not a PEM public key this almguard can use (Ed25519, ECDSA or "
                           "RSA)", file=str(path)) from None


def read_envelope(data: bytes, origin: str) -> Envelope:
    try:
        document = json.loads(data)
        envelope = Envelope.from_dict(document)
    except (ValueError, KeyError, TypeError, AttributeError, FormatError):
        raise CannotVerify("not a DSSE envelope (payload, payloadType, signatures)",
                           file=origin) from None
    return envelope


@dataclass(frozen=True)
class Deployment:
    """What the deploy step is about to do, which the attested gate must cover: the
    artifact (--artifact-digest), where (--endpoint, --environment), optionally how much
    traffic (--traffic-percent: at most the attested share) and how fresh the gate must be
    (--max-age, measured back from `at`)."""

    artifact_digest: str
    endpoint: str
    environment: str
    traffic_percent: float | None = None
    max_age: timedelta | None = None
    at: datetime | None = None


_DURATION = re.compile(r"^([0-9]{1,6})([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str, what: str) -> timedelta:
    """`90s`, `30m`, `12h`, `7d`: a whole number and one unit."""
    match = _DURATION.match(text)
    if not match:
        raise UsageError(f"{what} {text!r}: expected a whole number and a unit: s, m, h "
                         "or d (e.g. 30m, 12h, 7d)")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def _coverage_problem(proposal: dict[str, Any], deploy: Deployment) -> str | None:
    """Why the attested proposal does not cover this deployment, or None."""
    if proposal["endpoint"] != deploy.endpoint:
        return (f"the gate was for endpoint {proposal['endpoint']}, not --endpoint "
                f"{deploy.endpoint}")
    if proposal["environment"] != deploy.environment:
        return (f"the gate was for environment {proposal['environment']}, not "
                f"--environment {deploy.environment}")
    share = float(proposal["traffic_percent"])
    if deploy.traffic_percent is not None and deploy.traffic_percent > share:
        return (f"the gate allowed {share:g} % of traffic, not --traffic-percent "
                f"{deploy.traffic_percent:g}")
    if deploy.max_age is not None:
        assert deploy.at is not None
        try:
            gated = parse_time(proposal["at"])
        except ValueError:
            return f"the gate's time {proposal['at']!r} is not an RFC 3339 time"
        age = deploy.at - gated
        if age > deploy.max_age:
            return (f"the gate ran at {proposal['at']}, {_span(age)} before "
                    f"{_stamp(deploy.at)}: older than --max-age {_span(deploy.max_age)}")
        if age < -deploy.max_age:
            return (f"the gate's time {proposal['at']} is after {_stamp(deploy.at)} "
                    f"by more than --max-age {_span(deploy.max_age)}")
    return None


def _span(delta: timedelta) -> str:
    """A duration the way --max-age takes it, e.g. 11d3h48m2s."""
    seconds, parts = int(abs(delta).total_seconds()), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_attestation(data: bytes, origin: str, key: Key,
                      deploy: Deployment) -> AttestationCheck:
    artifact_digest = deploy.artifact_digest
    algorithm, expected = parse_digest(artifact_digest, "--artifact-digest")
    envelope = read_envelope(data, origin)
    if envelope.payload_type != ENVELOPE_PAYLOAD_TYPE:
        return AttestationCheck(False, f"payload type {envelope.payload_type!r} is not an "
                                f"in-toto statement ({ENVELOPE_PAYLOAD_TYPE})")
    try:
        envelope.verify([key], 1)
    except (VerificationError, ValueError):
        return AttestationCheck(False, f"no signature by the trusted key (keyid "
                                f"{key.keyid[:16]}…) verifies")
    try:
        content = json.loads(envelope.payload)
        kind, predicate_type = content["_type"], content["predicateType"]
        subjects, predicate = content["subject"], content["predicate"]
    except (ValueError, KeyError, TypeError):
        return AttestationCheck(False, "the signed payload is not an in-toto statement")
    if not isinstance(subjects, list) or not isinstance(predicate, dict):
        return AttestationCheck(False, "the signed payload is not an in-toto statement")
    if kind != STATEMENT_TYPE or predicate_type != PREDICATE_TYPE:
        return AttestationCheck(False, f"not an almguard gate attestation ({kind}, "
                                f"{predicate_type})")
    names = [s.get("name") for s in subjects if isinstance(s, dict)
             and isinstance(s.get("digest"), dict) and s["digest"].get(algorithm) == expected]
    if not names:
        attested = ", ".join(f"{a}:{v}" for s in subjects if isinstance(s, dict)
                             for a, v in sorted((s.get("digest") or {}).items()))
        return AttestationCheck(False, f"the attestation is for {attested or 'no digest'}, "
                                f"not {artifact_digest}")
    try:
        decision = predicate["decision"]
        proposal = predicate["proposal"]
        where = (f"model {proposal['model']} version {proposal['version']} to endpoint "
                 f"{proposal['endpoint']} in environment {proposal['environment']} at "
                 f"{float(proposal['traffic_percent']):g} % of traffic (gate time "
                 f"{proposal['at']})")
        snapshot, policies = predicate["snapshot"]["digest"], predicate["policies"]["digest"]
    except (KeyError, TypeError, ValueError):
        return AttestationCheck(False, "the gate predicate is incomplete")
    if decision != "allow":
        blocking = sorted({f.get("rule_id", "?") for f in predicate.get("blocking_findings", ())
                           if isinstance(f, dict)})
        why = f" (blocking: {', '.join(blocking)})" if blocking else ""
        return AttestationCheck(False, f"the gate decided {decision} for {where}{why}")
    problem = _coverage_problem(proposal, deploy)
    if problem:
        return AttestationCheck(False, f"{problem}: the attestation does not cover this "
                                "deployment")
    return AttestationCheck(True, f"gate allowed {where} (snapshot {snapshot}, policies "
                            f"{policies}); subject {names[0]} is {artifact_digest}; signed "
                            f"by key {key.keyid[:16]}…")
