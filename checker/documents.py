"""Reading YAML and JSON documents from untrusted files, safely and quickly.

Everything almguard reads from a user (snapshots, policy data, waivers) comes through here:
- a size cap is checked before reading;
- YAML is parsed by libyaml when available, composed by our own composer that refuses
  explicit tags (``!!python/object`` and friends), nesting deeper than a limit and aliases
  that expand past a budget (alias bombs), and that keeps times as strings;
- duplicate mapping keys are an error in both YAML and JSON (a compliance input must not
  silently lose a value);
- on request, a document path such as ``('models', 2, 'name')`` is mapped back to its line.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from .canonical import gc_paused
from .errors import AlmguardError


@dataclass(frozen=True)
class Limits:
    """Bounds on what a document may cost to read."""

    max_bytes: int = 768 * 1024 * 1024
    max_depth: int = 64
    max_alias_nodes: int = 100_000


class DocumentError(AlmguardError):
    """A document could not be parsed; subclasses of AlmguardError re-raise it with their type."""


class _Resolver(Resolver):
    """YAML 1.1 resolution without timestamps: times stay strings, validated as RFC 3339."""

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in Resolver.yaml_implicit_resolvers.items()
    }


class _GuardedComposer(Composer):
    """Composer that bounds depth and alias expansion and refuses explicit tags."""

    def _init_guard(self, limits: Limits) -> None:
        self._limits = limits
        self._depth = 0
        self._alias_nodes = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            node = super().compose_node(parent, index)
            self._alias_nodes += getattr(node, "_size", 1)
            if self._alias_nodes > self._limits.max_alias_nodes:
                raise DocumentError(
                    f"YAML aliases expand to more than {self._limits.max_alias_nodes} nodes "
                    "(alias bomb?)", line=event.start_mark.line + 1)
            return node
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise DocumentError(f"explicit YAML tag {tag!r} is not allowed",
                                line=event.start_mark.line + 1)
        self._depth += 1
        if self._depth > self._limits.max_depth:
            raise DocumentError(f"document nested deeper than {self._limits.max_depth} levels",
                                line=event.start_mark.line + 1)
        node = super().compose_node(parent, index)
        self._depth -= 1
        if isinstance(node, SequenceNode):
            node._size = 1 + sum(getattr(c, "_size", 1) for c in node.value)  # type: ignore[attr-defined]
        elif isinstance(node, MappingNode):
            node._size = 1 + sum(getattr(k, "_size", 1) + getattr(v, "_size", 1)  # type: ignore[attr-defined]
                                 for k, v in node.value)
        return node


@dataclass
class NullSeen:
    """Set while parsing when some mapping holds a null value (so callers can skip a pass)."""

    seen: bool = False


class _Constructor(SafeConstructor):
    null_seen: NullSeen | None = None

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:  # type: ignore[override]
        assert isinstance(node, MappingNode)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode):
                if key_node.value in seen:
                    raise DocumentError(f"duplicate key {key_node.value!r}",
                                        line=key_node.start_mark.line + 1)
                seen.add(key_node.value)
        mapping = super().construct_mapping(node, deep=deep)
        if self.null_seen is not None and None in mapping.values():
            self.null_seen.seen = True
        return mapping  # type: ignore[no-any-return]


try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None


def _loader_class(fast: bool) -> type:
    if fast and _CParser is not None:
        # libyaml scans and parses (the slow part in pure Python); our composer composes.
        return type("_FastLoader", (_GuardedComposer, _CParser, _Constructor, _Resolver), {})
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner
    return type("_PureLoader", (Reader, Scanner, Parser, _GuardedComposer, _Constructor,
                                _Resolver), {})


def _make_loader(text: str, limits: Limits) -> Any:
    cls = _loader_class(fast=True)
    loader = cls.__new__(cls)
    if _CParser is None:
        from yaml.parser import Parser
        from yaml.reader import Reader
        from yaml.scanner import Scanner
        Reader.__init__(loader, text)
        Scanner.__init__(loader)
        Parser.__init__(loader)
    else:
        _CParser.__init__(loader, text)
    Composer.__init__(loader)
    _Constructor.__init__(loader)
    _Resolver.__init__(loader)
    loader._init_guard(limits)
    return loader


def compose(text: str, limits: Limits) -> Node | None:
    """The YAML node tree of a text (JSON too), with line marks; guarded like parse."""
    loader = _make_loader(text, limits)
    try:
        return loader.get_single_node()  # type: ignore[no-any-return]
    finally:
        loader.dispose()


def parse_yaml(text: str, limits: Limits, null_seen: NullSeen | None = None) -> Any:
    loader = _make_loader(text, limits)
    loader.null_seen = null_seen
    try:
        node = loader.get_single_node()
        return None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in problem:  # libyaml's own limit, met before ours
            raise DocumentError(f"document nested deeper than {limits.max_depth} levels",
                                line=mark.line + 1 if mark else None) from None
        raise DocumentError(f"invalid YAML: {problem}",
                            line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise DocumentError(f"invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise DocumentError(f"document nested deeper than {limits.max_depth} levels") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise DocumentError(f"invalid YAML: {_value_problem(exc)}") from None
    finally:
        loader.dispose()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DocumentError(f"duplicate key {key!r}")
            seen.add(key)
    return result


def _tracking_nulls(null_seen: NullSeen) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = _no_duplicates(pairs)
        if None in result.values():
            null_seen.seen = True
        return result
    return hook


def _json_depth_line(text: str, max_depth: int) -> int | None:
    """Return the line where nesting first exceeds max_depth, ignoring brackets in strings."""
    depth = 0
    in_string = escaped = False
    line = 1
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                return line
        elif ch in "]}":
            depth -= 1
        if ch == "\n":
            line += 1
    return None


def parse_json(text: str, limits: Limits, null_seen: NullSeen | None = None) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_tracking_nulls(null_seen) if null_seen
                          else _no_duplicates,
                          parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"invalid JSON: {exc.msg} (column {exc.colno})",
                            line=exc.lineno) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise DocumentError(f"invalid JSON: {_value_problem(exc)}") from None
    except RecursionError:
        line = _json_depth_line(text, limits.max_depth)
        raise DocumentError(f"document nested deeper than {limits.max_depth} levels",
                            line=line) from None


def _value_problem(exc: ValueError) -> str:
    text = str(exc)
    if "integer string conversion" in text:
        return f"a number has more than {sys.get_int_max_str_digits()} digits"
    return text.splitlines()[0] if text else "invalid value"


def _refuse_constant(name: str) -> Any:
    raise DocumentError(f"invalid JSON: {name} is not a number")


def read_text(path: Path, limits: Limits) -> str:
    """Read a file as UTF-8 text within the size limit."""
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise DocumentError(f"file is {size} bytes, more than the limit of "
                                f"{limits.max_bytes} bytes")
        data = path.read_bytes()
    except FileNotFoundError:
        raise DocumentError("no such file") from None
    except IsADirectoryError:
        raise DocumentError("is a directory, not a file") from None
    except PermissionError:
        raise DocumentError("permission denied") from None
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc.strerror}") from None
    return decode(data, limits)


def decode(data: bytes, limits: Limits) -> str:
    if len(data) > limits.max_bytes:
        raise DocumentError(f"document is {len(data)} bytes, more than the limit of "
                            f"{limits.max_bytes} bytes")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DocumentError(f"not UTF-8 text (byte {exc.start})", line=line) from None
    if "\x00" in text:
        raise DocumentError("contains NUL bytes: not a YAML or JSON text file",
                            line=text[: text.index("\x00")].count("\n") + 1)
    if not text.strip():
        raise DocumentError("is empty")
    return text


def without_nulls(value: Any) -> Any:
    """Drop null-valued keys at every level: an optional field written as null is absent."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def looks_like_json(text: str, suffix: str) -> bool:
    if suffix.lower() == ".json":
        return True
    if suffix.lower() in (".yaml", ".yml"):
        return False
    return text.lstrip()[:1] in ("{", "[")


def parse(text: str, *, json_syntax: bool, limits: Limits,
          null_seen: NullSeen | None = None) -> Any:
    """Parse YAML or JSON; null_seen, if given, records whether any mapping holds a null."""
    with gc_paused():
        value = (parse_json(text, limits, null_seen) if json_syntax
                 else parse_yaml(text, limits, null_seen))
    # JSON nesting is bounded by the parser's recursion limit (refused above) and, below it,
    # by the schema: no valid document nests deeper than a few levels, so a deep one fails
    # validation with its path. Walking a 200 MB document again to count levels would cost
    # seconds for nothing.
    return value


def load(path: Path, limits: Limits) -> Any:
    """Read and parse a YAML or JSON file; raises DocumentError with the line when known."""
    return load_with_text(path, limits)[1]


def load_with_text(path: Path, limits: Limits) -> tuple[str, Any]:
    """Like load, and also the text (to locate validation errors by line)."""
    text = read_text(path, limits)
    return text, parse(text, json_syntax=looks_like_json(text, path.suffix), limits=limits)


def line_of(text: str, doc_path: Sequence[str | int], limits: Limits) -> int | None:
    """Find the line of a node given its path into the document (best effort).

    JSON is (nearly) YAML, so one composer serves both. Returns None if it cannot tell.
    """
    try:
        node = compose(text, limits)
    except (yaml.YAMLError, DocumentError, RecursionError):
        return None
    line = None
    for step in doc_path:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, MappingNode):
            match = [(k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == step]
            if not match:
                return line
            key, node = match[0]
            line = key.start_mark.line + 1
        elif isinstance(node, SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            return line
    return line
