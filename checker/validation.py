"""Pydantic's validation errors as our one-line messages: the one converter.

Every place that validates with pydantic (the snapshot, waivers and deployment settings,
rule METADATA, the service config, an MLflow tag, a request) says a problem the same way:
the path into the document, then what is wrong, with the value when it helps and the line
when the caller can locate the path:

    registry.yaml:14: models[0].versions[0].lineage.trainng_data: unknown field
    models[0].owner: input should be a valid string (got 123: quote it in YAML)
    query.limit: input should be greater than or equal to 1 (got '0') (and 1 more)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence, TypeVar

from pydantic import ValidationError

from .documents import format_path
from .errors import AlmguardError

Loc = tuple[str | int, ...]
LineOf = Callable[[Loc], int | None]
E = TypeVar("E", bound=AlmguardError)

# pydantic names the member of a union it tried (value.float, value.int): not a path step
_UNION_MEMBERS = frozenset({"float", "int"})

_FIXED = {
    "extra_forbidden": "unknown field",
    "missing": "required field missing",
    "finite_number": ("number is not finite: infinite, NaN, or beyond the range of an IEEE "
                      "754 double (about ±1.8e308; 1e400 overflows)"),
}

# Messages that already say what the value is wrong about (our validators': they name the
# value where it helps), so "(got ...)" is not added to them.
_OWN = frozenset({"value_error", "assertion_error"})


def integer_text(value: int) -> str:
    """An integer for a message: its digits, or how many there are when that is long."""
    if abs(value) < 10**40:
        return str(value)
    try:
        return f"of {len(str(abs(value)))} digits"
    except ValueError:  # more digits than Python converts
        return f"of about {int(value.bit_length() * 0.30103) + 1} digits"


def shown(value: Any) -> str:
    """A scalar as the document would write it (true, 1.0, 'text'), kept short."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int) and abs(value) >= 10**40:
        return f"an integer {integer_text(value)}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def format_loc(loc: Sequence[str | int]) -> str:
    """A path into a document as ``models[0].versions[1].created_at``."""
    return format_path(loc)


def clean_loc(loc: Sequence[str | int]) -> Loc:
    """pydantic's location without the union members it names."""
    return tuple(s for s in loc if not (isinstance(s, str) and s in _UNION_MEMBERS))


def describe(error: Mapping[str, Any]) -> str:
    """What one pydantic error says is wrong, in our words (no path)."""
    kind = str(error.get("type") or "")
    if kind in _FIXED:
        return _FIXED[kind]
    value = error.get("input")
    if kind == "literal_error" and tuple(error.get("loc") or ()) == ("schema_version",):
        return f"unsupported schema_version {shown(value)}: this almguard reads version 1"
    msg = str(error.get("msg") or "").removeprefix("Value error, ")
    if not msg:
        msg = kind or "invalid value"
    elif not msg[1:2].isupper():  # "Input should ..." reads on after a path; "SQLite" stays
        msg = msg[:1].lower() + msg[1:]
    if kind not in _OWN and "input" in error and (value is None or isinstance(
            value, (bool, int, float, str))):
        hint = ": quote it in YAML" if kind == "string_type" and value is not None else ""
        msg += f" (got {shown(value)}{hint})"
    return msg


@dataclass(frozen=True)
class Problem:
    """The first problem of a failed validation: where, and what (with how many more)."""

    loc: Loc
    message: str

    @property
    def path(self) -> str | None:
        return format_loc(self.loc) or None

    @property
    def text(self) -> str:
        """``path: message``, or the message alone for the document as a whole."""
        return f"{self.path}: {self.message}" if self.path else self.message


def first_problem(errors: ValidationError | Sequence[Mapping[str, Any]], *,
                  prefix: Loc = (), drop: int = 0) -> Problem:
    """The first error of a validation as a Problem. `prefix` is where the validated value
    lies in its document; `drop` leading location steps are not path (FastAPI's "query",
    "body"). Errors at the same place (a union's members) count once in "(and N more)"."""
    listed = errors.errors(include_url=False) if isinstance(errors, ValidationError) \
        else list(errors)
    if not listed:
        return Problem(prefix, "invalid value")
    places = {clean_loc(tuple(e.get("loc") or ())[drop:]) for e in listed}
    first = listed[0]
    loc = prefix + clean_loc(tuple(first.get("loc") or ())[drop:])
    more = f" (and {len(places) - 1} more)" if len(places) > 1 else ""
    return Problem(loc, describe(first) + more)


def to_error(errors: ValidationError | Sequence[Mapping[str, Any]], kind: type[E], *,
             file: str | None = None, line_of: LineOf | None = None, prefix: Loc = (),
             drop: int = 0) -> E:
    """The first problem as our exception `kind`, with the file, the path and (when
    `line_of` locates paths in the file's text) the line."""
    problem = first_problem(errors, prefix=prefix, drop=drop)
    line = line_of(problem.loc) if line_of is not None else None
    return kind(problem.message, file=file, line=line, path=problem.path)
