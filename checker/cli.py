"""The almguard command line: argument parsing that wires sources, engines and formats."""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import sys
import tempfile
import traceback
from datetime import datetime
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlsplit

from . import __version__
from .engines import ENGINES, Engine, make_engine
from .bundle import build_bundle, write_conftest
from .canonical import compact_json
from .errors import AlmguardError, UsageError
from .formats import FORMATS
from .formats.interface import RenderContext
from .formats.table import count
from .gate import load_settings, make_proposal
from .generate import generate
from .lineage import endpoint_lineage
from .metadata import SEVERITIES
from .cache import SECRET_VARIABLE, PartCache, cache_secret
from .compose import Provenance
from .pipeline import Pipeline, Request
from .policyset import PolicySet, load_policies
from .progress import Progress
from .results import ResultDocument
from .resources import docs_dir
from .sources.file import FileSource
from .sources.interface import LoadedSnapshot
from .waivers import load_waivers
from .views import lineage_json, lineage_table, rules_json, rules_markdown, rules_table


def _policy_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policies", action="append", type=_path, default=[], metavar="DIR",
                        help="extra policy directory (repeatable); adds to the bundled rules")
    parser.add_argument("--data", action="append", type=_path, default=[], metavar="FILE",
                        help="policy data (YAML/JSON) merged over the defaults (repeatable)")


def _result_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=sorted(FORMATS), default="table")
    parser.add_argument("--output", "-o", type=_path, metavar="FILE",
                        help="write the result here instead of standard output")
    _evaluation_args(parser)


def _path(text: str) -> Path:
    """A file or directory argument: an empty one is refused (Path("") would be the working
    directory)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a path, not an empty string")
    return Path(text)


def _evaluation_args(parser: argparse.ArgumentParser) -> None:
    """What every evaluating command takes besides its output: threshold, waivers, timings."""
    parser.add_argument("--fail-on", choices=SEVERITIES, default="low", metavar="SEVERITY",
                        help="lowest severity that fails: critical, high, medium, low "
                        "(default: low)")
    parser.add_argument("--waivers", type=_path, metavar="FILE",
                        help="waiver file (YAML/JSON): accepted findings with expiry")
    parser.add_argument("--timings", action="store_true",
                        help="print how long each phase took to stderr")
    parser.add_argument("--cache", type=_path, metavar="DIR",
                        help="keep evaluated partitions in DIR: a rescan evaluates only "
                        "what changed (a damaged entry is recomputed; set "
                        f"${SECRET_VARIABLE} to seal entries against forgery)")


def _engine_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=ENGINES, default="regorus",
                        help="regorus: embedded, no setup (default); opa: an OPA server")
    parser.add_argument("--opa-url", metavar="URL",
                        help="OPA server to use (default with --engine opa: start a private "
                        "one on loopback)")
    parser.add_argument("--opa-token", metavar="TOKEN",
                        default=os.environ.get("ALMGUARD_OPA_TOKEN"),
                        help="bearer token for the OPA server (or $ALMGUARD_OPA_TOKEN)")
    parser.add_argument("--opa-timeout", type=float, default=60.0, metavar="SECONDS",
                        help="timeout of each call to OPA (default 60)")
    parser.add_argument("--workers", type=int, default=None,
                        help="parallel evaluations for large snapshots (default: 2)")


def _report_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--generated-at", metavar="TIME",
                        help="the report's generation time, RFC 3339 (default: "
                        "$SOURCE_DATE_EPOCH, else now); same inputs and time, same bytes")


def _sign_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("signing the PDF (PAdES; needs almguard[evidence])")
    group.add_argument("--sign-key", type=_path, metavar="KEY",
                       help="private key (PEM or DER) that signs the PDF, with --sign-cert")
    group.add_argument("--sign-cert", type=_path, metavar="CERT",
                       help="the signing certificate (PEM or DER; intermediates may follow "
                       "it in the file)")
    group.add_argument("--sign-chain", type=_path, metavar="FILE",
                       help="intermediate CA certificates to embed (PEM)")
    group.add_argument("--sign-p12", type=_path, metavar="FILE",
                       help="key, certificate and chain in one PKCS #12 file instead of "
                       "--sign-key/--sign-cert")
    group.add_argument("--tsa-url", metavar="URL",
                       help="RFC 3161 time-stamp authority: adds a signature time-stamp "
                       "(PAdES B-T). Passwords of keys and PKCS #12 files: "
                       "$ALMGUARD_SIGN_PASSWORD")


def _engine(args: argparse.Namespace) -> Engine:
    if args.engine != "opa" and (args.opa_url or args.opa_token):
        raise UsageError("--opa-url and --opa-token need --engine opa")
    return make_engine(args.engine, workers=args.workers, opa_url=args.opa_url,
                       opa_token=args.opa_token, opa_timeout=args.opa_timeout)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="almguard",
        description="Policy-as-code compliance for the ML model lifecycle.",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # the path is not wrapped
        epilog=f"Formats, exit codes and rules: {docs_dir()}/"
        "{snapshot,results,rules,decision}.md\n"
        f"Evidence for auditors: {docs_dir()}/{{attestation,oscal,bom}}.md\n"
        f"Composing sources: {docs_dir()}/{{compose,ledger}}.md")
    parser.add_argument("--version", action="version", version=f"almguard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scan = sub.add_parser("scan", help="evaluate the ALM policies over a registry snapshot",
                          description="Evaluate the ALM policies over a registry snapshot. "
                          "Exit 0: no finding at or above --fail-on; 1: findings; 2: not "
                          "evaluated (bad input, bad policy, engine failure).")
    _snapshot_arg(scan)
    _result_args(scan)
    scan.add_argument("--report", type=_path, metavar="FILE",
                      help="also write the compliance report: FILE.pdf (PDF/A-3b) or "
                      "FILE.html")
    _report_args(scan)
    _engine_args(scan)
    _policy_args(scan)

    gate = sub.add_parser("gate", help="may this version be deployed? (pre-deployment gate)",
                          description="Apply a proposed deployment to the snapshot (what-if; "
                          "the file is not changed), evaluate, and answer allow or deny with "
                          "every gate that applies. Exit 0 allow, 1 deny, 2 could not "
                          "evaluate (fail closed).")
    _snapshot_arg(gate)
    gate.add_argument("--model", required=True)
    gate.add_argument("--version", required=True)
    gate.add_argument("--endpoint", required=True)
    gate.add_argument("--environment", choices=("development", "staging", "production"),
                      help="the deployment's environment (default: the endpoint's, production "
                      "for a new endpoint; never laxer than what the endpoint serves)")
    gate.add_argument("--traffic", type=float, default=100.0, metavar="PERCENT",
                      help="share of the endpoint's traffic for the version (default 100)")
    gate.add_argument("--at", metavar="TIME",
                      help="when the deployment happens, RFC 3339 (default: the snapshot's "
                      "captured_at)")
    gate.add_argument("--deployment", type=_path, metavar="FILE",
                      help="YAML/JSON with content_safety, monitoring, deployed_by, tags for "
                      "the new deployment (default: inherited from the endpoint)")
    gate.add_argument("--attest", type=_path, metavar="FILE",
                      help="also write the decision as an in-toto attestation (DSSE "
                      "envelope) of the version's artifact digest, signed with --sign-key "
                      "(needs almguard[evidence]; docs/attestation.md)")
    gate.add_argument("--sign-key", type=_path, metavar="KEY",
                      help="PEM private key that signs --attest: Ed25519, ECDSA or RSA "
                      "(encrypted: password in $ALMGUARD_SIGN_PASSWORD)")
    _result_args(gate)
    _engine_args(gate)
    _policy_args(gate)

    lineage = sub.add_parser("lineage", help="which data trained what an endpoint serves",
                             description="Answer the audit question for one endpoint: the "
                             "serving versions, their training and evaluation datasets with "
                             "digests, preprocessing and training job. Exit 1 if lineage is "
                             "incomplete.")
    _snapshot_arg(lineage)
    _provenance_arg(lineage)
    lineage.add_argument("--endpoint", required=True)
    lineage.add_argument("--format", choices=("table", "json"), default="table")
    _engine_args(lineage)
    _policy_args(lineage)

    bom = sub.add_parser("bom", help="CycloneDX 1.6 ML-BOM of what serves the endpoints",
                         description="Write a CycloneDX 1.6 ML-BOM (AI-BOM) of the model "
                         "versions serving each endpoint (or one): model cards, training "
                         "and evaluation datasets with digests, preprocessing and training "
                         "job as formulation. Facts only, no evaluation. Exit 0 written, 2 "
                         "error (an unknown endpoint, a bad snapshot). See docs/bom.md.")
    _snapshot_arg(bom)
    bom.add_argument("--endpoint", help="only the versions serving this endpoint "
                     "(default: every endpoint)")
    bom.add_argument("--output", "-o", type=_path, metavar="FILE",
                     help="write the BOM here instead of standard output")

    report = sub.add_parser("report", help="compliance report for people: PDF/A and HTML",
                            description="Evaluate once and render the result as a report a "
                            "regulator can read: cover, executive summary, controls, "
                            "production inventory with lineage, model lifecycle, findings "
                            "with remediation, rule catalog. The PDF is PDF/A-3b with the "
                            "JSON result attached. Exit codes as for scan.")
    _snapshot_arg(report)
    _provenance_arg(report)
    report.add_argument("--output", "-o", type=_path, metavar="FILE",
                        help="write the PDF report here")
    report.add_argument("--html", type=_path, metavar="FILE",
                        help="write the HTML form of the report here")
    report.add_argument("--frameworks", metavar="NAME[,NAME...]",
                        help="limit the controls view to these frameworks: eu-ai-act, "
                        "nist-ai-rmf, iso-42001, sr-11-7, pra-ss1-23, other (default: all)")
    _evaluation_args(report)
    _report_args(report)
    _sign_args(report)
    _engine_args(report)
    _policy_args(report)

    gen = sub.add_parser("generate", help="write a synthetic registry snapshot",
                         description="Write a synthetic registry: compliant models, with a "
                         "share of them given one known fault each (benchmarks, tests, demos).")
    gen.add_argument("--versions", type=int, default=1000, help="model versions in all")
    gen.add_argument("--violations", type=float, default=0.1,
                     help="share of models that receive one fault, 0..1 (default 0.1)")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--output", "-o", type=_path, metavar="FILE",
                     help="JSON file (default: standard output)")

    bundle = sub.add_parser("bundle", help="OPA bundles of the policies")
    bundle_sub = bundle.add_subparsers(dest="bundle_command", required=True, metavar="ACTION")
    build = bundle_sub.add_parser("build", help="write a standard OPA bundle (tar.gz)",
                                  description="Write the policies and policy data as an OPA "
                                  "bundle that `opa run --server --bundle FILE` serves as is.")
    build.add_argument("--output", "-o", type=_path, default=Path("almguard-bundle.tar.gz"),
                       metavar="FILE", help="default: almguard-bundle.tar.gz")
    build.add_argument("--waivers", type=_path, metavar="FILE",
                       help="waiver file to serve as data.almguard.waivers")
    build.add_argument("--fail-on", choices=SEVERITIES, metavar="SEVERITY",
                       help="the decision's default fail_on (default: low)")
    build.add_argument("--conftest", type=_path, metavar="DIR",
                       help="instead of a bundle, write the policies, data and conftest's "
                       "entrypoint into DIR (new or empty) for `conftest test SNAPSHOT "
                       "--policy DIR --data DIR`")
    _policy_args(build)

    imp = sub.add_parser("import", help="write a snapshot from a registry's exports")
    imp_sub = imp.add_subparsers(dest="import_command", required=True, metavar="SOURCE")
    azureml = imp_sub.add_parser(
        "azureml", help="Azure ML / Microsoft Foundry: saved `az ml` JSON output",
        description="Map the JSON that `az ml model/data/job/online-endpoint/"
        "online-deployment show|list` print, saved in DIR (models.json or models/*.json, "
        "data.json, jobs/*.json, endpoints/*.json, deployments/*.json), to a snapshot-v1 "
        "document. What Azure does not store (digests, approvals, rollout history) is left "
        "absent for the policies to report. Exit 2 on a malformed export; the output is "
        "then not written.")
    azureml.add_argument("--from", dest="from_dir", required=True, type=_path, metavar="DIR",
                         help="directory of saved `az ml` output (and Foundry agents/, "
                         "evaluations/)")
    azureml.add_argument("--allow-unexported-models", action="store_true",
                         help="leave out, with a warning, the models that `az ml model list` "
                         "names but whose versions were not exported (default: an error)")
    _import_args(azureml, "the workspace name in the ids")
    mlflow = imp_sub.add_parser(
        "mlflow", help="MLflow tracking server and model registry (needs almguard[mlflow])",
        description="Read registered models, versions, their source runs (dataset inputs, "
        "parent runs, git commit) and MLflow 3 LoggedModels from an MLflow server with the "
        "MLflow client, in batches, and write a snapshot-v1 document. Approvals, "
        "deployments, rollout, safety evaluations and retirement come only from the almguard "
        "tag convention (README, 'Importing from MLflow'). Exit 2 on an unreachable server, "
        "a server error or a malformed convention tag; the output is then not written. "
        "Needs: pip install 'almguard[mlflow]'.")
    mlflow.add_argument("--tracking-uri", metavar="URI",
                        default=os.environ.get("MLFLOW_TRACKING_URI"),
                        help="the MLflow tracking server (default: $MLFLOW_TRACKING_URI)")
    mlflow.add_argument("--model", dest="models", action="extend", nargs="+", default=None,
                        metavar="NAME", help="import only these registered models "
                        "(repeatable; default: all)")
    _import_args(mlflow, "host:port of the tracking URI")

    serve = sub.add_parser("serve", help="run the reporting service (HTTP API, schedules, "
                           "dashboard)",
                           description="Run the reporting service: scans over HTTP, "
                           "scheduled scans, stored evidence, diffs, gates, lineage at a "
                           "time, and a dashboard. Needs: pip install 'almguard[service]'.")
    serve.add_argument("--config", type=_path, metavar="FILE",
                       help="service config (YAML); default: SQLite almguard.db here, no "
                       "schedules, tokens from ALMGUARD_TOKEN_<NAME>=SCOPES:SECRET")
    serve.add_argument("--host", help="listen address (default: the config's, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (default: the config's, 8080)")
    serve.add_argument("--log-level", default="info",
                       choices=("critical", "error", "warning", "info", "debug"))

    token = sub.add_parser("token", help="API tokens for the service")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    token_sub.add_parser("new", help="print a new random token and the hash to configure",
                         description="Print a new random token (give it to the client) and "
                         "its SHA-256 (put it in the service config as sha256).")
    token_sub.add_parser("hash", help="hash a token read from standard input",
                         description="Read a token from standard input and print the "
                         "SHA-256 the service config stores.")

    verify = sub.add_parser(
        "verify", help="verify a signed report or a gate attestation (docs/attestation.md)",
        description="Verify evidence, told apart by content. A signed PDF report: the "
        "signature is valid, its certificate may sign documents and chains to --trust, a "
        "time-stamp's authority chains to --tsa-trust, nothing changed since signing, and "
        "the attached result document matches the digests the report prints. A gate "
        "attestation (DSSE envelope): signed by the --trust public key, its subject is "
        "--artifact-digest, the gate allowed, and it was for --endpoint in --environment "
        "(and at least --traffic-percent, no older than --max-age). Exit 0 valid, 1 invalid "
        "(one line saying what failed), 2 cannot verify. Needs: pip install "
        "'almguard[evidence]'. See docs/attestation.md.")
    verify.add_argument("file", type=_path, help="report.pdf or attestation.json")
    verify.add_argument("--trust", action="append", type=_path, default=[], metavar="FILE",
                        help="report: the CA certificate(s) the signer must chain to (PEM "
                        "or DER, repeatable); attestation: the signer's public key (PEM)")
    verify.add_argument("--tsa-trust", action="append", type=_path, default=[],
                        metavar="FILE", help="report: the CA certificate(s) a signature "
                        "time-stamp's authority must chain to (PEM or DER, repeatable; "
                        "separate from --trust)")
    verify.add_argument("--artifact-digest", metavar="ALG:HEX",
                        help="attestation (required): the digest of the artifact about to "
                        "be deployed, sha256:, sha384: or sha512: and lower-case hex")
    verify.add_argument("--endpoint", metavar="NAME",
                        help="attestation (required): the endpoint being deployed to")
    verify.add_argument("--environment", metavar="ENV",
                        help="attestation (required): the environment being deployed to")
    verify.add_argument("--traffic-percent", type=float, metavar="P",
                        help="attestation: the traffic share being deployed; refused if "
                        "more than the gate allowed")
    verify.add_argument("--max-age", metavar="DURATION",
                        help="attestation: refuse a gate whose time is more than DURATION "
                        "(e.g. 30m, 12h, 7d) before --at")
    verify.add_argument("--at", metavar="TIME",
                        help="attestation: the reference time of --max-age (RFC 3339; "
                        "default: now)")

    comp = sub.add_parser(
        "compose", help="merge several sources into one snapshot (docs/compose.md)",
        description="Read a compose config naming sources (file, mlflow, azureml, kserve, "
        "ledger, openlineage), merge them by resource identity into one snapshot-v1 and "
        "write it with its provenance (which source said each field). Conflicting values "
        "are an error unless a prefer: rule settles them. Exit 0 written, 2 bad input "
        "(nothing is then written).")
    comp.add_argument("config", type=_path, help="compose config (YAML)")
    comp.add_argument("--output", "-o", type=_path, metavar="FILE",
                      help="snapshot file: JSON if it ends in .json, else YAML (default: "
                      "YAML on standard output); the provenance goes beside it as "
                      "STEM.provenance.json")
    comp.add_argument("--provenance", type=_path, metavar="FILE",
                      help="write the provenance here (default: beside --output)")

    rules = sub.add_parser("rules", help="list the rule catalog")
    rules.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    _policy_args(rules)
    return parser


def _snapshot_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("snapshot", nargs="?",
                        help="snapshot file (YAML or JSON), or - for stdin")
    parser.add_argument("--sources", type=_path, metavar="CONFIG",
                        help="instead of SNAPSHOT: a compose config whose sources are "
                        "merged into the snapshot (docs/compose.md)")


def _provenance_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--provenance", type=_path, metavar="FILE",
                        help="with SNAPSHOT: the provenance `compose` wrote beside it, to "
                        "show which source said each fact (--sources shows it anyway)")


def _load_snapshot(args: argparse.Namespace) -> LoadedSnapshot:
    """SNAPSHOT, or the composition of --sources CONFIG (one of the two)."""
    return _load_sourced(args)[0]


def _load_sourced(args: argparse.Namespace) -> tuple[LoadedSnapshot, Provenance | None]:
    """The snapshot and, for display only, its provenance: a composition's own, or the
    --provenance FILE of a SNAPSHOT (which must record that snapshot's digest)."""
    from .compose import load_provenance
    if (args.snapshot is None) == (args.sources is None):
        raise UsageError("give a SNAPSHOT or --sources CONFIG (one of them)")
    provenance_file: Path | None = getattr(args, "provenance", None)
    if args.sources is not None:
        if provenance_file is not None:
            raise UsageError("--provenance FILE goes with a SNAPSHOT file; --sources "
                             "composes its own provenance")
        from .sources.composed import ComposedSource
        source = ComposedSource(args.sources)
        snapshot = source.load()
        for note in source.notes:
            print(f"almguard: note: {note}", file=sys.stderr)
        assert source.provenance is not None
        return snapshot, Provenance.model_validate(source.provenance)
    snapshot = FileSource(args.snapshot).load()
    if provenance_file is None:
        return snapshot, None
    return snapshot, load_provenance(provenance_file, snapshot.digest, snapshot.origin)


def _import_args(parser: argparse.ArgumentParser, default_name: str) -> None:
    parser.add_argument("--output", "-o", type=_path, metavar="FILE",
                        help="snapshot file: JSON if it ends in .json, else YAML "
                        "(default: YAML on standard output)")
    parser.add_argument("--registry-name", metavar="NAME",
                        help=f"registry.name (default: {default_name})")
    parser.add_argument("--captured-at", metavar="TIME",
                        help="registry.captured_at, RFC 3339 (default: now, UTC)")
    parser.add_argument("--organization", metavar="NAME", help="registry.organization")


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    _write_bytes(text.encode("utf-8"), output)


def _write_bytes(data: bytes, output: Path) -> None:
    """Write a regular file beside the target and rename it into place, so a failure never
    leaves a half-written file. The file gets the mode a plain open() would give it (0666
    less the umask), or keeps the mode of the file it replaces. Anything else that exists
    (/dev/null, a pipe, a terminal) is written to directly: renaming over it would replace
    the device with a file. The directory must exist: a mistyped one is an error, not a new
    tree of directories."""
    try:
        if output.exists() and not output.is_file():
            with open(output, "wb") as handle:
                handle.write(data)
            return
        folder = output.parent
        if not folder.exists():
            raise AlmguardError(f"cannot write output: directory {folder} does not exist",
                                file=str(output))
        try:
            mode = stat.S_IMODE(output.stat().st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{output.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), mode)  # mkstemp makes it 0600
                handle.write(data)
            os.replace(tmp, output)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise AlmguardError(f"cannot write output: {exc.strerror}", file=str(output)) from None


def _umask() -> int:
    """The process's umask (reading it means setting it: set it back at once)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _terminal() -> tuple[bool, int]:
    """Colour only on a terminal; the width is $COLUMNS if set (also into a pipe), else the
    terminal's, else 120."""
    tty = sys.stdout.isatty()
    width = shutil.get_terminal_size((120, 24)).columns
    return tty and "NO_COLOR" not in os.environ, max(width, 40)


def _policies(args: argparse.Namespace) -> PolicySet:
    return load_policies(args.policies, args.data)


# Flag names live here only. Modules say what is wrong with a value the caller gave and
# name it by its path: the decision by its input's (proposal.at, fail_on), the library by
# its parameter's (generated_at, registry_name, ...). This is the flag that gave each.
_FLAGS = {"proposal.at": "--at", "proposal.traffic_percent": "--traffic",
          "proposal.model": "--model", "proposal.version": "--version",
          "proposal.endpoint": "--endpoint", "proposal.environment": "--environment",
          "fail_on": "--fail-on", "generated_at": "--generated-at",
          "registry_name": "--registry-name", "tracking_uri": "--tracking-uri",
          "frameworks": "--frameworks", "opa_url": "--opa-url", "opa_token": "--opa-token"}


def _flagged(exc: AlmguardError) -> AlmguardError:
    """An error about a command-line value, named by its flag: ``--at: ...`` for the value
    itself; an error in a file that the flag would settle ends with ``(--registry-name)``."""
    flag = _FLAGS.get(exc.path or "")
    if flag is None:
        return exc
    if exc.file is None:
        return UsageError(f"{flag}: {exc.message}")
    return AlmguardError(f"{exc.message} ({flag})", file=exc.file, line=exc.line)


def _evaluate(args: argparse.Namespace, gate: bool
              ) -> tuple[ResultDocument, RenderContext, Provenance | None]:
    """Shared by scan, gate and report: load, then one pipeline (with the proposal for a
    gate) gives the result. The provenance (of a composition) is for display only."""
    progress = Progress(timings=args.timings)
    with progress.step("Loading snapshot", "load"):
        snapshot, provenance = _load_sourced(args)
    if (getattr(args, "format", None) in FORMATS and not FORMATS[args.format].reads_text
            and getattr(args, "report", None) is None):
        snapshot = replace(snapshot, text=None)
    policies = _policies(args)
    request = Request(fail_on=args.fail_on,
                      waivers=load_waivers(args.waivers) if args.waivers else None)
    if gate:
        proposal = make_proposal(args.model, args.version, args.endpoint,
                                 environment=args.environment, traffic=args.traffic,
                                 at=args.at, document=snapshot.document)
        settings = load_settings(args.deployment) if args.deployment else None
    with _engine(args) as engine:
        with progress.step("Loading policies", "policies"):
            engine.load(policies)
        cache = PartCache(args.cache, cache_secret(os.environ)) if args.cache else None
        pipeline = Pipeline(policies, engine, cache)
        with progress.step("Evaluating policies", "evaluate"):
            result = (pipeline.gate(snapshot, proposal, settings, request) if gate
                      else pipeline.scan(snapshot, request))
    color, width = _terminal()
    ctx = RenderContext(color=color and args.output is None, width=width, snapshot=snapshot,
                        policies=policies)
    return result, ctx, provenance


def _scan_only(args: argparse.Namespace
               ) -> tuple[LoadedSnapshot, PolicySet, ResultDocument, Provenance | None]:
    """A plain scan (no waivers, fail on any finding) for the commands that show facts
    beside the findings: lineage."""
    snapshot, provenance = _load_sourced(args)
    policies = _policies(args)
    with _engine(args) as engine:
        engine.load(policies)
        result = Pipeline(policies, engine).scan(snapshot)
    return snapshot, policies, result, provenance


def _emit(args: argparse.Namespace, result: ResultDocument, ctx: RenderContext) -> int:
    text = FORMATS[args.format]().render(result, ctx)
    _write(text, args.output)
    if args.output is not None:
        s = result.summary
        print(f"almguard: {s.verdict}: {count(s.findings, 'finding')}, {s.waived} waived; "
              f"wrote {args.output}", file=sys.stderr)
    return result.exit_code


def cmd_scan(args: argparse.Namespace) -> int:
    if args.report is None:
        return _emit(args, *_evaluate(args, gate=False)[:2])
    kind = _report_kind(args.report)
    generated_at = _generated_at(args)
    result, ctx, provenance = _evaluate(args, gate=False)
    code = _emit(args, result, ctx)
    _write_reports(args, result, ctx, generated_at,
                   pdf=args.report if kind == "pdf" else None,
                   html=args.report if kind == "html" else None, provenance=provenance)
    return code


def cmd_gate(args: argparse.Namespace) -> int:
    signer = _attest_signer(args)
    result, ctx, _ = _evaluate(args, gate=True)
    if signer is None:
        return _emit(args, result, ctx)
    from .evidence.attestation import attest_gate
    assert ctx.snapshot is not None
    envelope, subject = attest_gate(result, ctx.snapshot, signer)
    code = _emit(args, result, ctx)
    _write(envelope, args.attest)
    assert result.gate is not None
    print(f"almguard: wrote {args.attest} (attestation: {result.gate.decision} for "
          f"{subject})", file=sys.stderr)
    return code


# --- evidence (checker/evidence/ signs and verifies; the CLI checks the flags) ----------

def _attest_signer(args: argparse.Namespace) -> Any:
    """The key for `gate --attest`, loaded before anything is evaluated."""
    from .evidence import PASSWORD_ENV, missing
    if args.attest is None:
        if args.sign_key is not None:
            raise UsageError("--sign-key on gate signs --attest FILE: give both")
        return None
    if args.sign_key is None:
        raise UsageError("--attest FILE needs --sign-key KEY (a PEM private key)")
    try:
        from .evidence.attestation import load_signer
    except ImportError as exc:
        raise missing("--attest", exc) from None
    return load_signer(args.sign_key, password=os.environ.get(PASSWORD_ENV))


def _report_signer(args: argparse.Namespace) -> Any:
    """The key for a signed report, loaded before anything is evaluated."""
    from .evidence import PASSWORD_ENV, missing
    pem = args.sign_key is not None or args.sign_cert is not None
    if not pem and args.sign_p12 is None:
        if args.sign_chain is not None or args.tsa_url is not None:
            raise UsageError("--sign-chain and --tsa-url need --sign-key/--sign-cert or "
                             "--sign-p12")
        return None
    if pem and args.sign_p12 is not None:
        raise UsageError("sign with --sign-p12 or with --sign-key/--sign-cert, not both")
    if pem and (args.sign_key is None or args.sign_cert is None):
        raise UsageError("--sign-key and --sign-cert go together")
    if args.output is None:
        raise UsageError("signing needs -o FILE.pdf: the PDF is what is signed")
    if args.tsa_url is not None and urlsplit(args.tsa_url).scheme not in ("http", "https"):
        raise UsageError(f"--tsa-url {args.tsa_url!r}: an http:// or https:// URL")
    try:
        from .evidence import signing
    except ImportError as exc:
        raise missing("signing a report", exc) from None
    password = os.environ.get(PASSWORD_ENV)
    if args.sign_p12 is not None:
        return signing.load_p12(args.sign_p12, args.sign_chain, password=password)
    return signing.load_pem(args.sign_key, args.sign_cert, args.sign_chain, password=password)


def cmd_verify(args: argparse.Namespace) -> int:
    from .evidence.verify import Target, verify
    at = None
    if args.at is not None:
        from .times import parse_time
        try:
            at = parse_time(args.at)
        except ValueError as exc:
            raise UsageError(f"--at {args.at!r}: {exc}") from None
    target = Target(args.artifact_digest, args.endpoint, args.environment,
                    args.traffic_percent, args.max_age, at)
    outcome = verify(args.file, trust=args.trust, tsa_trust=args.tsa_trust, target=target)
    verdict = "valid" if outcome.valid else "invalid"
    print(f"almguard: {verdict}: {outcome.kind} {args.file}: {outcome.message}")
    return outcome.exit_code


def cmd_lineage(args: argparse.Namespace) -> int:
    snapshot, policies, result, provenance = _scan_only(args)
    answer = endpoint_lineage(snapshot.model, args.endpoint, result.findings,
                              policies.rules.values(), provenance)
    color, width = _terminal()
    text = (lineage_json(answer) if args.format == "json"
            else lineage_table(answer, color=color, width=width))
    _write(text, None)
    return 0 if answer.complete else 1


def cmd_bom(args: argparse.Namespace) -> int:
    from .bom import build_bom
    snapshot = _load_snapshot(args)
    bom = build_bom(snapshot, args.endpoint)
    _write(bom.text, args.output)
    print(f"almguard: AI-BOM of {count(len(bom.endpoints), 'endpoint')}: "
          f"{count(bom.model_versions, 'model version')}, {count(bom.datasets, 'dataset')}"
          + (f"; wrote {args.output}" if args.output else ""), file=sys.stderr)
    return 0


# --- reports (reports/ renders; the CLI only evaluates once and writes the files) -------

def _report_kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return "html"
    if suffix == ".pdf":
        return "pdf"
    raise UsageError(f"{path}: name a .pdf or .html file")


def _generated_at(args: argparse.Namespace) -> datetime:
    from reports.timestamp import resolve_generated_at
    return resolve_generated_at(args.generated_at)


def _write_reports(args: argparse.Namespace, result: ResultDocument, ctx: RenderContext,
                   generated_at: datetime, *, pdf: Path | None = None,
                   html: Path | None = None, signing: Any = None,
                   provenance: Provenance | None = None) -> None:
    """Render the one result document (plus its snapshot, and the provenance of a
    composition: display only) as HTML and/or PDF/A."""
    from reports import build_context, render_html, render_pdf_report
    assert ctx.snapshot is not None and ctx.policies is not None
    progress = Progress(timings=args.timings)
    with progress.step("Rendering report", "report_html"):
        context = build_context(result, ctx.snapshot, ctx.rules, generated_at=generated_at,
                                frameworks=getattr(args, "frameworks", None),
                                provenance=provenance)
        text = render_html(context)
    # Everything that can fail (rendering, signing, the TSA) runs before any file is
    # written: a failed run leaves no file behind and no earlier one overwritten.
    if pdf is not None:
        with progress.step("Rendering PDF", "report_pdf"):
            output = render_pdf_report(context, text, result, bom=_report_bom(ctx.snapshot))
        data, signed = output.data, ""
        if signing is not None:
            from .evidence.signing import sign_report
            with progress.step("Signing PDF", "report_sign"):
                data = sign_report(data, signing, signing_time=generated_at,
                                   tsa_url=args.tsa_url)
            signed = f", signed by {signing.subject}"
    if html is not None:
        _write(text, html)
        print(f"almguard: wrote {html}", file=sys.stderr)
    if pdf is not None:
        _write_bytes(data, pdf)
        print(f"almguard: wrote {pdf} ({output.pages} pages, PDF/A-3b{signed})",
              file=sys.stderr)


def _report_bom(snapshot: LoadedSnapshot) -> str:
    """The AI-BOM the PDF carries beside the result: every endpoint's serving versions."""
    from .bom import build_bom
    return build_bom(snapshot).text


def cmd_report(args: argparse.Namespace) -> int:
    if args.output is None and args.html is None:
        raise UsageError("report needs -o FILE (PDF) and/or --html FILE")
    if args.output is not None and _report_kind(args.output) != "pdf":
        raise UsageError(f"-o {args.output}: -o writes the PDF; use --html FILE for HTML")
    generated_at = _generated_at(args)
    signing = _report_signer(args)
    result, ctx, provenance = _evaluate(args, gate=False)
    s = result.summary
    print(f"almguard: {s.verdict}: {count(s.findings, 'finding')}, {s.waived} waived",
          file=sys.stderr)
    _write_reports(args, result, ctx, generated_at, pdf=args.output, html=args.html,
                   signing=signing, provenance=provenance)
    return result.exit_code


def cmd_rules(args: argparse.Namespace) -> int:
    rules = _policies(args).rules.values()
    color, width = _terminal()
    if args.format == "json":
        text = rules_json(rules)
    elif args.format == "markdown":
        text = rules_markdown(rules)
    else:
        text = rules_table(rules, color=color, width=width)
    _write(text, None)
    return 0


def cmd_bundle(args: argparse.Namespace) -> int:
    policies = load_policies(args.policies, args.data, fail_on=args.fail_on)
    waivers = load_waivers(args.waivers) if args.waivers else None
    if args.conftest is not None:
        count = write_conftest(policies, args.conftest, waivers)
        print(f"almguard: wrote {count} files to {args.conftest} (revision "
              f"{policies.revision}); run: conftest test SNAPSHOT --policy {args.conftest} "
              f"--data {args.conftest}", file=sys.stderr)
        return 0
    data = build_bundle(policies, waivers)
    _write_bytes(data, args.output)
    print(f"almguard: wrote {args.output} (revision {policies.revision}, policy digest "
          f"{policies.digest})", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from .sources.importing import render
    from .sources.interface import SnapshotSource
    from .times import check_time
    if args.captured_at is not None:
        try:
            check_time(args.captured_at)
        except ValueError as exc:
            raise UsageError(f"--captured-at {args.captured_at!r}: {exc}") from None
    registry = {"registry_name": args.registry_name, "captured_at": args.captured_at,
                "organization": args.organization}
    source: SnapshotSource
    if args.import_command == "mlflow":
        from .sources.mlflow import MLflowSource
        if not args.tracking_uri:
            raise UsageError("import mlflow needs --tracking-uri URI (or MLFLOW_TRACKING_URI)")
        source = MLflowSource(args.tracking_uri, models=args.models, **registry)
        origin = source.origin
    else:
        from .sources.azureml import AzureMLExportSource
        source = AzureMLExportSource(args.from_dir, **registry,
                                     allow_unexported_models=args.allow_unexported_models)
        origin = str(args.from_dir)
    snapshot = source.load()
    text = render(snapshot, args.output.suffix if args.output else "")
    _write(text, args.output)
    for warning in getattr(source, "warnings", ()):
        print(f"almguard: warning: {warning}", file=sys.stderr)
    for note in getattr(source, "notes", ()):
        print(f"almguard: note: {note}", file=sys.stderr)
    doc = snapshot.document
    versions = sum(len(m.get("versions", ())) for m in doc["models"])
    print(f"almguard: imported {len(doc['models'])} models ({versions} versions), "
          f"{len(doc['datasets'])} datasets, {len(doc['deployments'])} deployments from "
          f"{origin}" + (f"; wrote {args.output}" if args.output else ""),
          file=sys.stderr)
    return 0


def cmd_compose(args: argparse.Namespace) -> int:
    import json
    from .compose import provenance_path
    from .sources.composed import ComposedSource
    from .sources.importing import render
    source = ComposedSource(args.config)
    snapshot = source.load()
    for note in source.notes:
        print(f"almguard: note: {note}", file=sys.stderr)
    where = args.provenance or (provenance_path(args.output) if args.output else None)
    text = render(snapshot, args.output.suffix if args.output else "")
    if where is not None:   # both destinations usable before either is written
        for target in (args.output, where):
            if target is not None and not target.parent.is_dir():
                raise AlmguardError(f"cannot write output: directory {target.parent} does "
                                    "not exist", file=str(target))
    _write(text, args.output)
    if where is not None:
        _write(json.dumps(source.provenance, indent=2, ensure_ascii=False) + "\n", where)
    doc = snapshot.document
    versions = sum(len(m.get("versions", ())) for m in doc["models"])
    print(f"almguard: composed {len(doc['models'])} models ({versions} versions), "
          f"{len(doc['datasets'])} datasets, {len(doc['deployments'])} deployments from "
          f"{len(source.provenance['sources']) if source.provenance else 0} sources "
          f"({snapshot.digest})" + (f"; wrote {args.output}" if args.output else "")
          + (f" and {where}" if where else ""), file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .service.server import serve
    return serve(args.config, host=args.host, port=args.port, log_level=args.log_level)


def cmd_token(args: argparse.Namespace) -> int:
    import secrets
    from .service.config import hash_token
    if args.token_command == "new":
        secret = "alm_" + secrets.token_urlsafe(32)
        print(f"token:  {secret}\nsha256: {hash_token(secret)}")
        return 0
    secret = sys.stdin.readline().strip()
    if not secret:
        raise UsageError("no token on standard input")
    print(hash_token(secret))
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    if args.versions < 1 or not 0 <= args.violations <= 1:
        raise UsageError("--versions must be at least 1 and --violations between 0 and 1")
    document = generate(args.versions, violations=args.violations, seed=args.seed)
    _write(compact_json(document) + "\n", args.output)
    return 0


COMMANDS = {"scan": cmd_scan, "gate": cmd_gate, "lineage": cmd_lineage, "rules": cmd_rules,
            "generate": cmd_generate, "bundle": cmd_bundle, "report": cmd_report,
            "import": cmd_import, "serve": cmd_serve, "token": cmd_token, "bom": cmd_bom,
            "verify": cmd_verify, "compose": cmd_compose}


# Arguments naming files a command reads, and files it writes.
_INPUTS = ("snapshot", "sources", "config", "waivers", "deployment", "data", "policies",
           "from_dir", "file", "trust", "sign_key", "sign_cert", "sign_chain", "sign_p12")
_OUTPUTS = ("output", "html", "report", "attest", "provenance")
_SPELLED = {"output": "-o", "snapshot": "SNAPSHOT", "config": "CONFIG", "file": "FILE",
            "from_dir": "--from"}


def _spelled(name: str) -> str:
    return _SPELLED.get(name) or "--" + name.replace("_", "-")


def _named_paths(args: argparse.Namespace, names: Sequence[str]) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for name in names:
        value = getattr(args, name, None)
        for item in value if isinstance(value, list) else [value]:
            if item is not None and str(item) != "-":
                found.append((name, Path(item)))
    return found


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths are one regular file (or will be: an output not written yet);
    devices such as /dev/null may be named any number of times."""
    try:
        if any(p.exists() and not p.is_file() for p in (a, b)):
            return False
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _check_paths(args: argparse.Namespace) -> None:
    """No output may replace an input, and no two outputs may be one file: either would
    lose data a user still needs (the snapshot the report was made from, say)."""
    outputs = _named_paths(args, _OUTPUTS)
    inputs = _named_paths(args, _INPUTS)
    for i, (name, out) in enumerate(outputs):
        for in_name, source in inputs:
            if _same_file(out, source):
                raise UsageError(f"{_spelled(name)} {out} would replace the input "
                                 f"{_spelled(in_name)}: write it somewhere else")
        for other_name, other in outputs[i + 1:]:
            if _same_file(out, other):
                raise UsageError(f"{_spelled(name)} and {_spelled(other_name)} name the same "
                                 f"file ({out})")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _check_paths(args)
        return COMMANDS[args.command](args)
    except AlmguardError as exc:
        print(f"almguard: error: {_flagged(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("almguard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - the one place internal errors become a line
        if os.environ.get("ALMGUARD_DEBUG"):
            traceback.print_exc()
        first = str(exc).splitlines()[0] if str(exc) else ""
        print(f"almguard: internal error: {type(exc).__name__}: {first} "
              "(set ALMGUARD_DEBUG=1 for details)", file=sys.stderr)
        return 2


def entry() -> None:
    sys.exit(main())
