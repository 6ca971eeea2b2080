"""Evidence someone else can verify: signed reports, gate attestations, `almguard verify`.

    signing.py      a PAdES signature on the rendered PDF/A report (pyHanko)
    pdfcheck.py     verifying a signed report: signature, chain, no later changes, digests
    attestation.py  a gate's decision as an in-toto Statement in a DSSE envelope
    verify.py       `almguard verify FILE`: which kind of evidence it is, and the verdict

All of it needs the optional `evidence` extra (pyHanko, in-toto, securesystemslib); a
missing package is one line naming the extra, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import AlmguardError, UsageError

INSTALL_HINT = "pip install 'almguard[evidence]'"
# The password of an encrypted signing key or PKCS #12 file (never a command-line flag).
PASSWORD_ENV = "ALMGUARD_SIGN_PASSWORD"


def missing(what: str, exc: ImportError) -> UsageError:
    """The one-line error for a missing optional package."""
    package = (exc.name or "a package").split(".")[0]
    return UsageError(f"{what} needs the {package} package: {INSTALL_HINT}")


class CannotVerify(AlmguardError):
    """`almguard verify` cannot judge the file (exit 2): missing, neither kind of evidence,
    unsigned, an unusable trust file."""


def read_input(path: Path, what: str, error: type[AlmguardError] = UsageError) -> bytes:
    """The bytes of a key, certificate or file to verify; `error` (one line naming the
    file) if it cannot be read: UsageError when signing, CannotVerify when verifying."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror}", file=str(path)) from None
