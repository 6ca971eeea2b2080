"""The ledger (docs/ledger.md): approvals, retirements and dataset deletions by version, in
YAML or a CSV of approvals; strict, with file, line and path in every error."""

from __future__ import annotations

from pathlib import Path

import pytest

from checker.errors import SnapshotError
from checker.sources.ledger import ledger_fragment

LEDGER = Path(__file__).parent / "fixtures" / "ledger"


def test_records_attach_to_the_versions_and_datasets_they_name() -> None:
    fragment = ledger_fragment("l", [LEDGER / "ledger.yaml", LEDGER / "approvals.csv"])
    [model] = fragment.models
    versions = {v["version"]: v for v in model["versions"]}
    assert [a["stage"] for a in versions["2.1.0"]["approvals"]] == ["staging", "production"]
    # the CSV's approval follows the YAML's for the same version, in file order
    assert [a["stage"] for a in versions["2.0.0"]["approvals"]] == ["production", "staging"]
    assert versions["1.0.0"]["retirement"] == {
        "retired_at": "2026-07-01T00:00:00Z", "reason": "superseded by 2.0.0",
        "record_uri": "https://tickets.contoso.com/CHG-1041",
        "retention_until": "2033-07-01T00:00:00Z"}
    [dataset] = fragment.datasets
    assert dataset["deletion_certificate"]["id"] == "DEL-2026-07-002"
    assert fragment.creates == frozenset()  # a ledger never creates a version


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


HEAD = "ledger_version: 1\napprovals:\n"


@pytest.mark.parametrize("text, line, path, words", [
    (HEAD + "  - {model: m, version: '1', stage: production, approved_by: a,\n"
     "     approved_at: '2026-01-01T00:00:00Z', ticket: CHG-1}\n", 4, "approvals[0].ticket",
     "unknown field"),
    (HEAD + "  - {model: m, version: '1', stage: prod, approved_by: a,\n"
     "     approved_at: '2026-01-01T00:00:00Z'}\n", 3, "approvals[0].stage", "input should be"),
    (HEAD + "  - {model: m, version: '1', stage: production, approved_by: a,\n"
     "     approved_at: '2026-02-30T00:00:00Z'}\n", 4, "approvals[0].approved_at",
     "day 30 does not exist"),
    (HEAD + "  - {model: m, version: 1, stage: production, approved_by: a,\n"
     "     approved_at: '2026-01-01T00:00:00Z'}\n", 3, "approvals[0].version",
     "valid string"),
    ("ledger_version: 2\n", 1, "ledger_version", "input should be 1"),
    ("ledger_version: 1\nretirements:\n  - {model: m, version: '1', retired_at: "
     "'2026-01-01T00:00:00Z'}\n  - {model: m, version: '1', retired_at: "
     "'2026-02-01T00:00:00Z'}\n", 4, "retirements[1]", "a version retires once"),
])
def test_yaml_errors_name_line_and_path(tmp_path: Path, text: str, line: int, path: str,
                                        words: str) -> None:
    file = write(tmp_path, "ledger.yaml", text)
    with pytest.raises(SnapshotError) as caught:
        ledger_fragment("l", [file])
    error = caught.value
    assert (error.file, error.line, error.path) == (str(file), line, path)
    assert words in error.message


@pytest.mark.parametrize("text, line, words", [
    ("model,version,stage,approver,approved_at\n", 1, "starts with the header"),
    ("model,version,stage,approved_by,approved_at\nm,1,production,a\n", 2, "4 columns"),
    ("model,version,stage,approved_by,approved_at\nm,1,production,a,2026-01-01T00:00:00Z\n"
     "m,1,production,a,2026-01-01 00:00\n", 3, "not an RFC 3339 time"),
])
def test_csv_errors_name_the_row(tmp_path: Path, text: str, line: int, words: str) -> None:
    file = write(tmp_path, "approvals.csv", text)
    with pytest.raises(SnapshotError) as caught:
        ledger_fragment("l", [file])
    assert (caught.value.file, caught.value.line) == (str(file), line)
    assert words in caught.value.message
