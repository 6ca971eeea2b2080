"""Source: a ledger of approvals, retirement records and deletion certificates (docs/ledger.md).

A ledger is a file kept in git and reviewed like code: YAML (or JSON) with `approvals`,
`retirements` and `dataset_deletions`, or a CSV of approvals. Every record names the model
version or dataset version it is about; it adds to what a registry source lists and never
creates a version. Validation is strict: an unknown column or key, a bad time, a missing
field is one line with the file, line and path.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .. import documents
from ..compose import Fragment, read_document, typo_first
from ..documents import DocumentError, Limits
from ..errors import SnapshotError
from ..ids import Key, dataset_id, model_version_id
from ..snapshot import DatasetRef, DeletionCertificate, Stage, Time
from ..validation import LineOf, format_loc, to_error

APPROVAL_COLUMNS = ("model", "version", "stage", "approved_by", "approved_at")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LedgerApproval(_Strict):
    model: str
    version: str
    stage: Stage
    approved_by: str = Field(min_length=1)
    approved_at: Time


class LedgerCertificate(_Strict):
    id: str
    issued_at: Time | None = None
    datasets: list[DatasetRef] = Field(default_factory=list)


class LedgerRetirement(_Strict):
    model: str
    version: str
    retired_at: Time
    reason: str | None = None
    record_uri: str | None = None
    retention_until: Time | None = None
    artifacts_deleted_at: Time | None = None
    data_deletion_certificates: list[LedgerCertificate] = Field(default_factory=list)


class LedgerDeletion(_Strict):
    dataset: str
    version: str
    deleted_at: Time
    certificate: DeletionCertificate | None = None


class Ledger(_Strict):
    ledger_version: Literal[1]
    approvals: list[LedgerApproval] = Field(default_factory=list)
    retirements: list[LedgerRetirement] = Field(default_factory=list)
    dataset_deletions: list[LedgerDeletion] = Field(default_factory=list)


def _read_csv(path: Path) -> tuple[dict[str, Any], LineOf]:
    """A CSV of approvals as a ledger document; paths `approvals[i].column` map to rows."""
    try:
        text = documents.read_text(path, Limits())
    except DocumentError as exc:
        raise SnapshotError(exc.message, file=str(path), line=exc.line) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = [(reader.line_num, row) for row in reader if row]
    if not rows or tuple(c.strip() for c in rows[0][1]) != APPROVAL_COLUMNS:
        raise SnapshotError(f"a ledger CSV starts with the header {','.join(APPROVAL_COLUMNS)}",
                            file=str(path), line=1)
    approvals: list[dict[str, str]] = []
    lines: list[int] = []
    for line, row in rows[1:]:
        if len(row) != len(APPROVAL_COLUMNS):
            raise SnapshotError(f"{len(row)} columns, expected {len(APPROVAL_COLUMNS)} "
                                f"({','.join(APPROVAL_COLUMNS)})", file=str(path), line=line)
        approvals.append(dict(zip(APPROVAL_COLUMNS, (c.strip() for c in row))))
        lines.append(line)

    def line_of(loc: tuple[str | int, ...]) -> int | None:
        if len(loc) >= 2 and loc[0] == "approvals" and isinstance(loc[1], int) \
                and loc[1] < len(lines):
            return lines[loc[1]]
        return None

    return {"ledger_version": 1, "approvals": approvals}, line_of


def read_ledger(path: Path) -> tuple[Ledger, LineOf]:
    if path.suffix.lower() == ".csv":
        document, line_of = _read_csv(path)
    else:
        document, line_of = read_document(path)
    if not isinstance(document, dict):
        raise SnapshotError("a ledger is a mapping with ledger_version: 1 and approvals, "
                            "retirements, dataset_deletions", file=str(path))
    try:
        return Ledger.model_validate(document), line_of
    except ValidationError as exc:
        raise to_error(typo_first(exc), SnapshotError, file=str(path),
                       line_of=line_of) from None


def ledger_fragment(name: str, paths: list[Path]) -> Fragment:
    """The facts of the ledger files, in order, as one fragment."""
    fragment = Fragment(source=name, kind="ledger", origin=", ".join(map(str, paths)),
                        creates=frozenset())
    versions: dict[tuple[str, str], dict[str, Any]] = {}
    datasets: dict[tuple[str, str], dict[str, Any]] = {}
    retired: set[tuple[str, str]] = set()

    def version(model: str, number: str, file: str, line: int | None) -> dict[str, Any]:
        key: Key = ("model_version", model_version_id(model, number))
        fragment.where.setdefault(key, (file, line))
        fragment.where.setdefault(("model", model), (file, line))
        return versions.setdefault((model, number), {"version": number})

    for path in paths:
        ledger, line_of = read_ledger(path)
        file = str(path)
        for i, approval in enumerate(ledger.approvals):
            entry = version(approval.model, approval.version, file, line_of(("approvals", i)))
            entry.setdefault("approvals", []).append(
                {"stage": approval.stage, "approved_by": approval.approved_by,
                 "approved_at": approval.approved_at})
        for i, record in enumerate(ledger.retirements):
            loc = ("retirements", i)
            if (record.model, record.version) in retired:
                raise SnapshotError(f"a second retirement of "
                                    f"{model_version_id(record.model, record.version)}: a "
                                    "version retires once", file=file, line=line_of(loc),
                                    path=format_loc(loc))
            retired.add((record.model, record.version))
            entry = version(record.model, record.version, file, line_of(loc))
            entry["retirement"] = record.model_dump(exclude={"model", "version"},
                                                    exclude_defaults=True)
        for i, deletion in enumerate(ledger.dataset_deletions):
            loc = ("dataset_deletions", i)
            key = (deletion.dataset, deletion.version)
            ident = dataset_id(*key)
            if key in datasets:
                raise SnapshotError(f"a second deletion of dataset {ident}", file=file,
                                    line=line_of(loc), path=format_loc(loc))
            fragment.where[("dataset", ident)] = (file, line_of(loc))
            entry = {"name": deletion.dataset, "version": deletion.version,
                     "deleted_at": deletion.deleted_at}
            if deletion.certificate is not None:
                entry["deletion_certificate"] = deletion.certificate.model_dump(
                    exclude_defaults=True)
            datasets[key] = entry
    models: dict[str, dict[str, Any]] = {}
    for (model, _), entry in versions.items():
        models.setdefault(model, {"name": model, "versions": []})["versions"].append(entry)
    fragment.models = list(models.values())
    fragment.datasets = list(datasets.values())
    return fragment
