"""The almguard command line: argument parsing that wires sources, engines and formats."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Sequence

from . import __version__
from .engines import ENGINES, make_engine
from .canonical import compact_json
from .errors import AlmguardError, UsageError
from .formats import FORMATS
from .generate import generate
from .lineage import endpoint_lineage
from .metadata import SEVERITIES
from .policyset import PolicySet, load_policies
from .progress import Progress
from .scan import evaluate
from .sources.file import FileSource
from .views import lineage_json, lineage_table, rules_json, rules_markdown, rules_table


def _policy_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policies", action="append", type=Path, default=[], metavar="DIR",
                        help="extra policy directory (repeatable); adds to the bundled rules")
    parser.add_argument("--data", action="append", type=Path, default=[], metavar="FILE",
                        help="policy data (YAML/JSON) merged over the defaults (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="almguard",
        description="Policy-as-code compliance for the ML model lifecycle.")
    parser.add_argument("--version", action="version", version=f"almguard {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scan = sub.add_parser("scan", help="evaluate the ALM policies over a registry snapshot",
                          description="Evaluate the ALM policies over a registry snapshot. "
                          "Exit 0: no finding at or above --fail-on; 1: findings; 2: not "
                          "evaluated (bad input, bad policy, engine failure).")
    scan.add_argument("snapshot", help="snapshot file (YAML or JSON), or - for stdin")
    scan.add_argument("--format", choices=sorted(FORMATS), default="table")
    scan.add_argument("--output", "-o", type=Path, metavar="FILE",
                      help="write the result here instead of standard output")
    scan.add_argument("--fail-on", choices=SEVERITIES, default="low", metavar="SEVERITY",
                      help="lowest severity that fails the scan: critical, high, medium, low "
                      "(default: low)")
    scan.add_argument("--engine", choices=ENGINES, default="regorus")
    scan.add_argument("--workers", type=int, default=None,
                      help="worker processes for large snapshots (default: up to 2)")
    scan.add_argument("--timings", action="store_true",
                      help="print how long each phase took to stderr")
    _policy_args(scan)

    lineage = sub.add_parser("lineage", help="which data trained what an endpoint serves",
                             description="Answer the audit question for one endpoint: the "
                             "serving versions, their training and evaluation datasets with "
                             "digests, preprocessing and training job. Exit 1 if lineage is "
                             "incomplete.")
    lineage.add_argument("snapshot")
    lineage.add_argument("--endpoint", required=True)
    lineage.add_argument("--format", choices=("table", "json"), default="table")
    _policy_args(lineage)

    gen = sub.add_parser("generate", help="write a synthetic registry snapshot",
                         description="Write a synthetic registry: compliant models, with a "
                         "share of them given one known fault each (benchmarks, tests, demos).")
    gen.add_argument("--versions", type=int, default=1000, help="model versions in all")
    gen.add_argument("--violations", type=float, default=0.1,
                     help="share of models that receive one fault, 0..1 (default 0.1)")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--output", "-o", type=Path, metavar="FILE",
                     help="JSON file (default: standard output)")

    rules = sub.add_parser("rules", help="list the rule catalog")
    rules.add_argument("--format", choices=("table", "json", "markdown"), default="table")
    _policy_args(rules)
    return parser


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    # Write beside the target and rename, so a failure never leaves a half-written result.
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, output)
    except OSError as exc:
        raise AlmguardError(f"cannot write output: {exc.strerror}", file=str(output)) from None


def _terminal() -> tuple[bool, int]:
    tty = sys.stdout.isatty()
    width = shutil.get_terminal_size((120, 24)).columns if tty else 120
    return tty and "NO_COLOR" not in os.environ, max(width, 80)


def _policies(args: argparse.Namespace) -> PolicySet:
    return load_policies(args.policies, args.data)


def cmd_scan(args: argparse.Namespace) -> int:
    progress = Progress(timings=args.timings)
    with progress.step("Loading snapshot", "load"):
        snapshot = FileSource(args.snapshot).load()
    with make_engine(args.engine, workers=args.workers) as engine:
        with progress.step("Loading policies", "policies"):
            policies = _policies(args)
            engine.load(policies)
        with progress.step("Evaluating policies", "evaluate"):
            result = evaluate(snapshot, policies, engine, fail_on=args.fail_on)
    color, width = _terminal()
    with progress.step("Writing the result", "render"):
        formatter = FORMATS[args.format]()
        text = formatter.render(result, color=color and args.output is None, width=width)
        _write(text, args.output)
    if args.output is not None:
        s = result.summary
        print(f"almguard: {s.verdict}: {s.findings} findings, {s.waived} waived; "
              f"wrote {args.output}", file=sys.stderr)
    return result.exit_code


def cmd_lineage(args: argparse.Namespace) -> int:
    snapshot = FileSource(args.snapshot).load()
    config = _policies(args).data.get("almguard", {}).get("config", {})
    exempt = frozenset(config.get("lineage", {}).get("provenance_exempt_types", ()))
    answer = endpoint_lineage(snapshot.model, args.endpoint, exempt)
    color, width = _terminal()
    text = (lineage_json(answer) if args.format == "json"
            else lineage_table(answer, color=color, width=width))
    _write(text, None)
    return 0 if answer.complete else 1


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


def cmd_generate(args: argparse.Namespace) -> int:
    if args.versions < 1 or not 0 <= args.violations <= 1:
        raise UsageError("--versions must be at least 1 and --violations between 0 and 1")
    document = generate(args.versions, violations=args.violations, seed=args.seed)
    _write(compact_json(document) + "\n", args.output)
    return 0


COMMANDS = {"scan": cmd_scan, "lineage": cmd_lineage, "rules": cmd_rules,
            "generate": cmd_generate}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except AlmguardError as exc:
        print(f"almguard: error: {exc}", file=sys.stderr)
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
