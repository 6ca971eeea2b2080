"""Hostile values and document surgery shared by the fuzzing tests."""

from __future__ import annotations

from typing import Any

# Values that broke loaders and engines elsewhere: big and odd numbers, lone surrogates,
# invisible characters, times at and past the engines' range, wrong types.
HOSTILE_VALUES: list[Any] = [
    None, True, 1.0, -1, 0, 10**30, -(2**63), 2**53 + 1, 1e308, 0.1, "", " ", "\u200b",
    "\ud800", "é", "e\u0301", "x" * 10_000, "1", "2.1.0", "9999-12-31T23:59:59Z",
    "2300-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "2026-02-30T00:00:00Z",
    "2026-11-20T08:00:00-00:60", "2026-11-20T08:00:00", "2026-11-20", [], {}, [1], {"a": 1},
    "[bold]markup[/bold]", "production", "archived", 100, 101, -5, 5e-324,
]


def nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            out += nodes(child, path + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += nodes(child, path + (index,))
    return out


def replace(document: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    node = document
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return document


