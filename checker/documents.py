"""Reading YAML and JSON documents from untrusted files, safely and quickly.

Everything almguard reads from a user (snapshots, policy data, waivers) comes through here:
- a size cap is checked before reading;
- YAML is parsed by libyaml when available, composed by our own composer that refuses
  explicit tags (``!!python/object`` and friends), nesting deeper than a limit and aliases
  that expand past a budget (alias bombs), and that keeps times as strings. A plain
  document (no tag, anchor or alias, no duplicate key, within the depth) is built straight
  from libyaml's events instead, to the same value; anything else, and every error, goes
  the composer's way, which decides and words it;
- duplicate mapping keys are an error in both YAML and JSON (a compliance input must not
  silently lose a value);
- strings are Unicode text: an escaped lone UTF-16 surrogate (JSON ``"\\ud800"``) is an
  error naming its path, since it is no character (and no UTF-8 can carry it);
- on request, a document path such as ``('models', 2, 'name')`` is mapped back to its line.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from .canonical import gc_paused
from .errors import DocumentError


@dataclass(frozen=True)
class Limits:
    """Bounds on what a document may cost to read."""

    max_bytes: int = 768 * 1024 * 1024
    max_depth: int = 64
    max_alias_nodes: int = 100_000


def format_path(loc: Sequence[str | int]) -> str:
    """A document path as ``models[0].versions[1].created_at`` (printable: a key holding a
    lone surrogate is shown escaped)."""
    out = ""
    for step in loc:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            text = _printable(str(step))
            out += f".{text}" if out else text
    return out


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8") \
        if _LONE_SURROGATE.search(text) else text


# A lone surrogate in a parsed string; and the escapes that can produce one in the text
# (JSON's \uD800-\uDFFF, YAML's also \U0000D800): decoded UTF-8 never holds a surrogate.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # escaped in JSON as a surrogate pair
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}")


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
    cls: Any = _loader_class(fast=True)
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
    """Parse YAML: from libyaml's events when the document is plain, else (and for every
    error) by the guarded composer, which is the reference for values and messages."""
    if _CParser is not None:
        try:
            value, nulls = _events_to_value(text, limits.max_depth)
        except _NotPlain:
            pass
        else:
            if nulls and null_seen is not None:
                null_seen.seen = True
            return value
    return parse_yaml_composed(text, limits, null_seen)


class _NotPlain(Exception):
    """The fast path leaves this document to the composer (a guard or an error is near)."""


_TAG = "tag:yaml.org,2002:"
_NO_KEY: Any = object()


class _PlainScalars:
    """The values of plain (unquoted) scalars, as the composer's resolver and constructor
    make them, remembered by text: a registry repeats its keys and values many times."""

    def __init__(self) -> None:
        self._resolver = _Resolver()
        constructor = _Constructor()
        self._build = {_TAG + "int": constructor.construct_yaml_int,
                       _TAG + "float": constructor.construct_yaml_float,
                       _TAG + "bool": constructor.construct_yaml_bool,
                       _TAG + "null": constructor.construct_yaml_null}
        self.seen: dict[str, Any] = {}

    def value(self, text: str) -> Any:
        tag = self._resolver.resolve(ScalarNode, text, (True, False))
        if tag == _TAG + "str":
            value: Any = text
        else:  # merge keys (<<) and value (=) scalars are the composer's to handle
            build = self._build.get(tag)
            if build is None:
                raise _NotPlain
            try:
                value = build(ScalarNode(tag, text))
            except (ValueError, ArithmeticError):  # e.g. an integer of too many digits
                raise _NotPlain from None
        self.seen[text] = value
        return value


def _events_to_value(text: str, max_depth: int) -> tuple[Any, bool]:
    """The document of a plain YAML text built from libyaml's events in one loop, and
    whether some mapping holds a null; raises _NotPlain at anything the guarded composer
    must judge: a tag, an anchor or alias, a key that is not a string or is repeated, nesting
    near the depth limit, more or fewer than one document, a YAML error. What it returns
    equals what the composer and constructor build (same resolver, same constructors)."""
    assert _CParser is not None
    parser = _CParser(text)
    next_event = parser.get_event
    plain = _PlainScalars()
    seen, resolve = plain.seen, plain.value
    stack: list[tuple[Any, bool, Any]] = []
    container: Any = None
    in_mapping = False
    key = _NO_KEY
    nulls = False
    value: Any = None
    try:
        if next_event().__class__ is not StreamStartEvent or \
                next_event().__class__ is not DocumentStartEvent:
            raise _NotPlain  # an empty stream: the composer says what it is
        while True:
            event = next_event()
            kind = event.__class__
            if kind is ScalarEvent:
                if event.anchor is not None or event.tag is not None:
                    raise _NotPlain
                value = event.value
                if event.implicit[0]:  # plain: typed by the resolver
                    try:
                        value = seen[value]
                    except KeyError:
                        value = resolve(value)
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.anchor is not None or event.tag is not None or \
                        len(stack) >= max_depth - 1:
                    raise _NotPlain
                stack.append((container, in_mapping, key))
                in_mapping = kind is MappingStartEvent
                container = {} if in_mapping else []
                key = _NO_KEY
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                value = container
                container, in_mapping, key = stack.pop()
            elif kind is DocumentEndEvent:
                break
            else:  # an alias
                raise _NotPlain
            if container is None:  # the document's root
                pass
            elif not in_mapping:
                container.append(value)
            elif key is _NO_KEY:
                if value.__class__ is not str or value in container:
                    raise _NotPlain
                key = value
            else:
                container[key] = value
                if value is None:
                    nulls = True
                key = _NO_KEY
        if next_event().__class__ is not StreamEndEvent:
            raise _NotPlain  # a second document
    except _NotPlain:
        raise
    except Exception:  # noqa: BLE001 - any YAML (or encoding) error: the composer words it
        raise _NotPlain from None
    finally:
        parser.dispose()
    return value, nulls


def parse_yaml_composed(text: str, limits: Limits, null_seen: NullSeen | None = None) -> Any:
    """Parse YAML by the guarded composer and the constructor (the reference path)."""
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
        if "invalid Unicode character escape" in problem and exc.context_mark is not None \
                and _SURROGATE_ESCAPE.search(text):
            start = exc.context_mark  # the scalar's start; problem_mark is inside it
            where = path_at(text, start.line, start.column, limits)
            raise DocumentError(
                "a UTF-16 surrogate escape (\\uD800-\\uDFFF) is no Unicode character: write "
                "the character itself, or escape it whole (\\U0001F600)",
                line=start.line + 1, path=format_path(where) if where else None) from None
        if mark is None:
            raise DocumentError(f"invalid YAML: {problem}") from None
        raise DocumentError(_tab_problem(text, mark.line, mark.column, problem)
                            or f"invalid YAML: {problem} (column {mark.column + 1})",
                            line=mark.line + 1) from None
    except yaml.YAMLError as exc:
        raise DocumentError(f"invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise DocumentError(f"document nested deeper than {limits.max_depth} levels") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise _value_error("YAML", exc, text, limits) from None
    finally:
        loader.dispose()


def _tab_problem(text: str, line: int, column: int, problem: str) -> str | None:
    """A YAML error caused by a tab, said as such with its column (libyaml says "found
    character that cannot start any token"): YAML indents with spaces only. None if the
    error is not about a tab. Error path only: finding the line walks the text."""
    start = 0
    for _ in range(line):
        start = text.find("\n", start) + 1
        if start == 0:
            return None
    end = text.find("\n", start)
    row = text[start:] if end < 0 else text[start:end]
    if column < len(row) and row[column] == "\t":
        at = column + 1
    elif "tab" in problem and "\t" in row:
        at = row.index("\t") + 1
    else:
        return None
    return (f"invalid YAML: a tab character at column {at}: YAML indents with spaces, "
            "never tabs (replace the tab with spaces)")


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
        raise _value_error("JSON", exc, text, limits) from None
    except RecursionError:
        line = _json_depth_line(text, limits.max_depth)
        raise DocumentError(f"document nested deeper than {limits.max_depth} levels",
                            line=line) from None


def _value_error(syntax: str, exc: ValueError, text: str, limits: Limits) -> DocumentError:
    message = str(exc)
    if "integer string conversion" not in message:
        return DocumentError(f"invalid {syntax}: "
                             f"{message.splitlines()[0] if message else 'invalid value'}")
    most = sys.get_int_max_str_digits()
    found = re.search(f"[0-9_]{{{most + 1},}}", text)  # error path only: find where it is
    line = column = None
    if found is not None:
        line = text.count("\n", 0, found.start())
        column = found.start() - (text.rfind("\n", 0, found.start()) + 1)
    where = path_at(text, line, column, limits) if line is not None and column is not None \
        else None
    return DocumentError(f"a number has more than {most} digits (integers must be within "
                         "±2^53)", line=None if line is None else line + 1,
                         path=format_path(where) if where else None)


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


_LOW_SURROGATE_ESCAPE = re.compile(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _lone_surrogate_escape(text: str) -> bool:
    """Whether parsed JSON text holds a \\u escape of a surrogate that is not one half of a
    pair (JSON decodes a pair to one character). Backslashes are escapes or escaped
    backslashes here (the text parsed), so an odd run of them before one makes it real."""
    paired_to = -1
    for match in _SURROGATE_ESCAPE.finditer(text):
        at = match.start()
        if at < paired_to or text[at + 1] != "u":
            continue
        start = at
        while start and text[start - 1] == "\\":
            start -= 1
        if (at - start) % 2:
            continue  # an escaped backslash, then text
        if text[at + 3] in "89abAB" and _LOW_SURROGATE_ESCAPE.match(text, at + 6):
            paired_to = at + 12
            continue
        return True
    return False


@dataclass(frozen=True)
class Surrogate:
    """Where a lone surrogate is: the path, whether in a key, and its code point."""

    path: tuple[str | int, ...]
    in_key: bool
    code: int


def lone_surrogate(value: Any) -> Surrogate | None:
    """The first string (value or key, in document order) holding a lone surrogate."""
    return _lone_surrogate(value, [])


def _lone_surrogate(value: Any, path: list[str | int]) -> Surrogate | None:
    if isinstance(value, str):
        found = _LONE_SURROGATE.search(value)
        return None if found is None else Surrogate(tuple(path), False, ord(found.group()))
    if isinstance(value, dict):
        for key, item in value.items():
            path.append(key)
            if isinstance(key, str) and (bad := _LONE_SURROGATE.search(key)):
                return Surrogate(tuple(path), True, ord(bad.group()))
            if (inner := _lone_surrogate(item, path)) is not None:
                return inner
            path.pop()
    elif isinstance(value, list):
        for index, item in enumerate(value):
            path.append(index)
            if (inner := _lone_surrogate(item, path)) is not None:
                return inner
            path.pop()
    return None


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
    # Only an escape makes a surrogate (libyaml refuses them itself): a search for a
    # backslash (memchr, ~1 ms on 17 MB) and, if there is one, for surrogate escapes
    # (~6 ms); the document is walked (to name the path) only when one is lone, or for
    # PyYAML's own parser, which makes a lone surrogate of each half of a pair too.
    if "\\" in text and (_lone_surrogate_escape(text) if json_syntax else
                          _CParser is None and _SURROGATE_ESCAPE.search(text)):
        found = lone_surrogate(value)
        if found is not None:
            raise DocumentError(
                f"{'key' if found.in_key else 'string'} holds a lone UTF-16 surrogate "
                f"\\u{found.code:04x}, which is no Unicode character: write the character "
                "itself (or both halves of a surrogate pair)",
                line=line_of(text, found.path, limits), path=format_path(found.path) or None)
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

    JSON is (nearly) YAML, so one parser serves both. Returns None if it cannot tell. The
    path is followed through libyaml's events (no node tree: a 100,000-version registry's
    would take gigabytes); a text with anchors or aliases is walked as its node tree.
    """
    lenient = _SURROGATE_ESCAPE.search(text) is not None
    steps = [_ASTRAL.sub("  ", _LONE_SURROGATE.sub(" ", step))  # as the keys then read
             if lenient and isinstance(step, str) else step for step in doc_path]
    try:
        return _line_in_events(node_events(_lenient_text(text) if lenient else text, limits),
                               steps)
    except NotComposed:
        return None
    except NeedsTree:
        node, _ = _compose_lenient(text, limits)
        return None if node is None else _line_in_tree(node, steps)


def _line_in_tree(node: Node | None, steps: Sequence[str | int]) -> int | None:
    line = None
    for step in steps:
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


def _line_in_events(events: Iterator[Any], steps: Sequence[str | int]) -> int | None:
    """_line_in_tree on the events of the tree; reads them all (the text must compose)."""
    try:
        return _walk_to_line(events, steps)
    finally:
        for _ in events:
            pass


def _walk_to_line(events: Iterator[Any], steps: Sequence[str | int]) -> int | None:
    node = next(events, None)
    if node is None:
        return None
    line = None
    for step in steps:
        line = node.start_mark.line + 1
        kind = node.__class__
        if kind is MappingStartEvent:
            while True:
                key = next(events)
                if key.__class__ is MappingEndEvent:
                    return line
                if key.__class__ is ScalarEvent and key.value == step:
                    break
                skip_node(events, key)
                skip_node(events, next(events))
            line = key.start_mark.line + 1
            node = next(events)
        elif kind is SequenceStartEvent and isinstance(step, int):
            if step < 0:  # counted from the end, as a list index is
                raise NeedsTree
            for _ in range(step):
                item = next(events)
                if item.__class__ is SequenceEndEvent:
                    return line
                skip_node(events, item)
            node = next(events)
            if node.__class__ is SequenceEndEvent:
                return line
            line = node.start_mark.line + 1
        else:
            return line
    return line


class NeedsTree(Exception):
    """An anchor or an alias: only the node tree (compose) can say what the text holds."""


class NotComposed(Exception):
    """compose() would fail on this text (a YAML error, a tag, nesting past the limit)."""


def node_events(text: str, limits: Limits) -> Iterator[Any]:
    """The events of the nodes of a text's one document (none for an empty stream), checked
    as compose() checks the nodes it builds: raises NotComposed where compose would fail and
    NeedsTree at an anchor or alias (and without libyaml). Read to the end, the events say
    what compose's tree would, at a fraction of its time and memory."""
    if _CParser is None:
        raise NeedsTree
    parser = _CParser(text)
    try:
        next_event = parser.get_event
        next_event()  # the stream's start
        if next_event().__class__ is StreamEndEvent:
            return
        depth, max_depth = 0, limits.max_depth
        while True:
            event = next_event()
            kind = event.__class__
            if kind is MappingEndEvent or kind is SequenceEndEvent:
                depth -= 1
            elif kind is DocumentEndEvent:
                break
            else:
                if kind is AliasEvent or event.anchor is not None:
                    raise NeedsTree
                if event.tag not in (None, "!") or depth >= max_depth:
                    raise NotComposed
                if kind is not ScalarEvent:
                    depth += 1
            yield event
        if next_event().__class__ is not StreamEndEvent:
            raise NotComposed  # a second document
    except (yaml.YAMLError, ValueError):
        raise NotComposed from None
    finally:
        parser.dispose()


def skip_node(events: Iterator[Any], first: Any) -> None:
    """Read the rest of the node that starts with event `first`."""
    if first.__class__ is MappingStartEvent or first.__class__ is SequenceStartEvent:
        depth = 1
        for event in events:
            kind = event.__class__
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                depth += 1
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                depth -= 1
                if not depth:
                    return


def _lenient_text(text: str) -> str:
    return _SURROGATE_ESCAPE.sub(lambda m: m.group()[:-4] + "0020", text)


def _compose_lenient(text: str, limits: Limits) -> tuple[Node | None, bool]:
    """The node tree for locating things (None if there is none), and whether surrogate
    escapes (which libyaml refuses) were first replaced by a space escape of the same
    length, which keeps every mark: a key then reads with a space for each surrogate."""
    lenient = _SURROGATE_ESCAPE.search(text) is not None
    if lenient:
        text = _lenient_text(text)
    try:
        return compose(text, limits), lenient
    except (yaml.YAMLError, DocumentError, RecursionError, ValueError):
        return None, lenient


def path_at(text: str, line: int, column: int, limits: Limits) -> tuple[str | int, ...] | None:
    """The path of the innermost node at a 0-based line and column (best effort)."""
    node, _ = _compose_lenient(text, limits)
    if node is None:
        return None
    where = (line, column)

    def within(n: Node) -> bool:
        start, end = n.start_mark, n.end_mark
        return (start.line, start.column) <= where < (end.line, end.column) or \
            (start.line, start.column) == where

    path: list[str | int] = []
    while isinstance(node, (MappingNode, SequenceNode)):
        if isinstance(node, MappingNode):
            for key, value in node.value:
                step = key.value if isinstance(key, ScalarNode) else "?"
                if within(key):
                    return (*path, step)
                if within(value):
                    path.append(step)
                    node = value
                    break
            else:
                break
        else:
            for index, item in enumerate(node.value):
                if within(item):
                    path.append(index)
                    node = item
                    break
            else:
                break
    return tuple(path)
