"""Run the Rego unit tests (``test_*`` rules in ``*_test.rego``) on the embedded engine.

``opa test`` is the reference runner; this one lets a machine without OPA run the same tests
and reports line coverage of the policy modules from regorus' coverage data.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .engines.embedded import evaluate_one, explain, new_engine
from .errors import AlmguardError
from .metadata import package_of
from .policyset import PolicySet, load_policies

_TEST_RULE = re.compile(r"^(test_\w+)\b", re.M)


@dataclass
class TestReport:
    passed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    covered_lines: int = 0
    coverable_lines: int = 0
    uncovered: dict[str, list[int]] = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        return 100.0 * self.covered_lines / self.coverable_lines if self.coverable_lines else 0.0


def run_tests(policies: PolicySet, pattern: str | None = None) -> TestReport:
    report = TestReport()
    engine = new_engine(policies.modules + policies.tests, policies.data)
    engine.set_enable_coverage(True)
    for module in policies.tests:
        package = package_of(module.text)
        if package is None:
            continue
        for name in dict.fromkeys(_TEST_RULE.findall(module.text)):
            full = f"data.{package[0]}.{name}"
            if pattern and not re.search(pattern, full):
                continue
            try:
                value = evaluate_one(engine, "{}", full)
            except AlmguardError as exc:
                report.failed.append((full, str(exc)))
                continue
            except RuntimeError as exc:
                report.failed.append((full, explain(exc)[0]))
                continue
            if value is True:
                report.passed.append(full)
            else:
                report.failed.append((full, "not true" if value == {} else f"got {value!r}"))
    _coverage(engine, policies, report)
    return report


def _coverage(engine: object, policies: PolicySet, report: TestReport) -> None:
    data = json.loads(engine.get_coverage_report_as_json())  # type: ignore[attr-defined]
    files = {m.file for m in policies.modules}
    for entry in data.get("files", []):
        path = entry.get("path")
        if path not in files:
            continue
        covered = set(entry.get("covered", []))
        not_covered = set(entry.get("not_covered", [])) - covered
        report.covered_lines += len(covered)
        report.coverable_lines += len(covered) + len(not_covered)
        if not_covered:
            report.uncovered[path] = sorted(not_covered)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="almguard-regotest",
                                     description="Run Rego tests on the embedded engine.")
    parser.add_argument("dirs", nargs="*", type=Path,
                        help="extra policy directories (the bundled ones are always included)")
    parser.add_argument("--run", help="only tests whose path matches this regex")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    try:
        report = run_tests(load_policies(args.dirs), args.run)
    except AlmguardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, why in report.failed:
        print(f"FAIL {name}: {why}")
    if args.verbose:
        for name in report.passed:
            print(f"PASS {name}")
        for path, lines in report.uncovered.items():
            print(f"uncovered {path}: {', '.join(map(str, lines))}")
    print(f"coverage: {report.coverage:.1f}% of {report.coverable_lines} policy lines")
    print(f"{len(report.passed)} passed, {len(report.failed)} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
