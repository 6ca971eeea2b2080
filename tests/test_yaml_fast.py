"""The fast YAML path (a plain document built from libyaml's events) against its reference,
the guarded composer: the same document, digest and null flag for every plain document, and
for anything else — every guard, every error — the composer's own answer, word for word."""

from __future__ import annotations

import json
import math
import time as clock
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import documents, locate
from checker.documents import DocumentError, Limits, NullSeen
from checker.errors import SnapshotError
from checker.generate import generate
from checker.locate import resource_lines
from checker.sources.interface import LoadedSnapshot
from checker.sources.file import load_snapshot_text
from conftest import MINIMAL, SAMPLE_SNAPSHOTS

LIMITS = Limits()


def same(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (Python has 1 == 1.0 == True) and floats
    by their bits (-0.0, nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a) and \
            all(type(k) is type(j) for k, j in zip(a, b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) ==
                                                      math.copysign(1, b))
    return bool(a == b)


def outcome(parse: Any, text: str) -> tuple[str, Any, Any]:
    """("value", document, nulls seen) or ("error", message, line) of one parse function."""
    seen = NullSeen()
    try:
        return "value", parse(text, LIMITS, seen), seen.seen
    except DocumentError as exc:
        return "error", exc.message, exc.line


def assert_as_composed(text: str) -> tuple[str, Any, Any]:
    fast, reference = (outcome(documents.parse_yaml, text),
                       outcome(documents.parse_yaml_composed, text))
    assert fast[0] == reference[0], (text[:300], fast, reference)
    if fast[0] == "value":
        assert same(fast[1], reference[1]), text[:300]
        assert fast[2] == reference[2], text[:300]
    else:
        assert fast[1:] == reference[1:], text[:300]
    return fast


def takes_fast_path(text: str) -> bool:
    try:
        documents._events_to_value(text, LIMITS.max_depth)
    except documents._NotPlain:
        return False
    return True


# --- generated registries: YAML and its JSON twin --------------------------------------

@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(versions=st.integers(1, 60), seed=st.integers(0, 10_000),
       violations=st.floats(0, 1), flow=st.sampled_from([False, None, True]),
       unicode=st.booleans(), width=st.sampled_from([20, 80, 4096]),
       indent=st.integers(2, 6), start=st.booleans())
def test_a_generated_registry_loads_from_yaml_as_from_its_json_twin(
        versions: int, seed: int, violations: float, flow: bool | None, unicode: bool,
        width: int, indent: int, start: bool) -> None:
    document = generate(versions, violations=violations, seed=seed)
    document["registry"]["organization"] = "Contoso \u00e9\U0001F600 yes: no # not a comment"
    as_yaml = yaml.dump(document, Dumper=yaml.CSafeDumper, sort_keys=False,
                        default_flow_style=flow, allow_unicode=unicode, width=width,
                        indent=indent, explicit_start=start)
    as_json = json.dumps(document)
    assert takes_fast_path(as_yaml)
    from_yaml = load_snapshot_text(as_yaml, origin="r.yaml", suffix=".yaml")
    from_json = load_snapshot_text(as_json, origin="r.json", suffix=".json")
    assert same(from_yaml.document, from_json.document)
    assert from_yaml.digest == from_json.digest
    assert_as_composed(as_yaml)


@pytest.mark.parametrize("path", SAMPLE_SNAPSHOTS, ids=lambda p: p.name)
def test_every_sample_takes_the_fast_path_to_the_composed_document(path) -> None:
    text = path.read_text(encoding="utf-8")
    assert takes_fast_path(text)
    assert assert_as_composed(text)[0] == "value"


# --- plain scalars as the YAML 1.1 resolver types them ---------------------------------

PLAIN = ["yes", "No", "ON", "off", "y", "n", "true", "False", "TRUE", "null", "Null", "~", "",
         "0", "-0", "+1", "012", "0o17", "0x1F", "0x_1f", "0b101", "1_000", "1:30", "-1:30:00",
         "190:20:30.15", "1.5", "-.5", "1.", "1e3", "1.5e+3", "1.0e-400", "1.0e+400", ".inf",
         "-.Inf", ".NaN", ".nan", "+.inf", "9007199254740993", "9" * 4301, "2026-11-20",
         "2026-11-20T08:00:00Z", "2026-11-20 08:00:00", "12:30:00", "<<", "=", "0.", "._",
         "1__0", "-", "+", ".", "0x", "08", "0o", "1,000", "∞", "٣", "NULL", "nULL", "Yes!",
         "a b", "tag:x", "sha256:ab", "-1_0.5e+1_0"]
QUOTED = ["'{}'", '"{}"']


@pytest.mark.parametrize("token", PLAIN)
def test_each_plain_scalar_reads_as_the_composer_reads_it(token: str) -> None:
    for text in (f"k: {token}\n", f"- {token}\n", f"[{token}]\n", f"{{k: {token}}}\n",
                 f"{token}\n" if token else "k:\n", f"{token}: v\n" if token else "? ''\n",
                 *(f"k: {q.format(token)}\n" for q in QUOTED)):
        assert_as_composed(text)


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """Block and flow YAML made of plain and quoted scalars, nested a few levels."""
    def scalar() -> str:
        token = draw(st.sampled_from(PLAIN[:-1]) | st.text(
            "abn0123456789.:-_ +eE", max_size=6))
        style = draw(st.sampled_from(["plain", "plain", "'", '"']))
        return token if style == "plain" else f"{style}{token}{style}"

    def block(depth: int, indent: int) -> list[str]:
        pad = " " * indent
        lines: list[str] = []
        for _ in range(draw(st.integers(1, 4))):
            shape = draw(st.sampled_from(["scalar", "flow", "map", "seq"] if depth < 3
                                         else ["scalar", "flow"]))
            key = draw(st.sampled_from(["name", "name", "v", "1", "'1'", "yes", "x y", "<<"]))
            if shape == "scalar":
                lines.append(f"{pad}{key}: {scalar()}")
            elif shape == "flow":
                items = ", ".join(scalar() or "''" for _ in range(draw(st.integers(0, 3))))
                lines.append(f"{pad}{key}: [{items}]")
            elif shape == "map":
                lines += [f"{pad}{key}:", *block(depth + 1, indent + 2)]
            else:
                lines.append(f"{pad}{key}:")
                for _ in range(draw(st.integers(1, 3))):
                    inner = block(depth + 1, indent + 4)
                    lines.append(f"{pad}  - {inner[0].lstrip()}")
                    lines += inner[1:]
        return lines

    return "\n".join(block(0, 0)) + "\n"


@settings(max_examples=150, deadline=None)
@given(yaml_texts())
def test_random_yaml_reads_as_the_composer_reads_it(text: str) -> None:
    assert_as_composed(text)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_mutated_yaml_samples_read_or_fail_as_the_composer_says(data: st.DataObject) -> None:
    """Raw edits to a sample's YAML text: the same value, or the same message and line."""
    path = data.draw(st.sampled_from(SAMPLE_SNAPSHOTS))
    chars = list(path.read_text(encoding="utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(chars)))
        op = data.draw(st.sampled_from(["insert", "insert", "delete", "truncate"]))
        if op == "insert":
            chars.insert(at, data.draw(st.sampled_from(
                list("{}[]\"',:-?#&*!|>%@`\\ \t\n\u200b") + ["&a ", "*a", "!!str ", "<<: ",
                                                             "\n- ", "\n---\n", "\\ud800"])))
        elif op == "delete" and chars:
            del chars[min(at, len(chars) - 1)]
        else:
            chars = chars[:at]
    assert_as_composed("".join(chars))


# --- every guard: the composer's message and line, word for word -----------------------

def _nested(depth: int) -> str:
    """Block mappings nested so that the innermost scalars lie `depth` levels deep."""
    return "".join(f"{' ' * 2 * i}k:\n" for i in range(depth - 2)) + \
        f"{' ' * 2 * (depth - 2)}k: v\n"


GUARDS: dict[str, tuple[str, str]] = {
    "python-tag": ("registry: !!python/object/apply:os.system [id]\n", "explicit YAML tag"),
    "local-tag": ("a: !x 1\n", "explicit YAML tag"),
    "tagged-mapping": ("a: !!map {b: 1}\n", "explicit YAML tag"),
    "alias-bomb": ("a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n"
        for i in range(9)), "alias bomb"),
    "depth-65": (_nested(65), "nested deeper than 64"),
    "flow-depth-65": ("[" * 64 + "x" + "]" * 64, "nested deeper than 64"),
    "deep-flow": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper"),
    "duplicate-key": ("a: 1\nb: 2\na: 3\n", "duplicate key 'a'"),
    "duplicate-plain-and-quoted": ("1: a\n'1': b\n", "duplicate key '1'"),
    "duplicate-nested": ("m:\n  - {x: 1, x: 1}\n", "duplicate key 'x'"),
    "tab": ("a:\n\tb: 1\n", "tab character"),
    "surrogate-escape": ('a: "x\\ud800"\n', "surrogate escape"),
    "surrogate-pair-escape": ('a: "\\ud83d\\ude00"\n', "surrogate escape"),
    "5000-digits": ("a: " + "9" * 5000 + "\n", "more than 4300 digits"),
    "second-document": ("a: 1\n---\nb: 2\n", "found another document"),
    "value-scalar": ("a: =\n", "invalid YAML"),
    "unhashable-key": ("? [a]\n: b\n", "invalid YAML"),
    "unclosed-flow": ("a: [b\n", "invalid YAML"),
    "bad-indentation": ("a:\n  b: 1\n c: 2\n", "invalid YAML"),
}


@pytest.mark.parametrize("name", sorted(GUARDS))
def test_each_guard_answers_as_the_composer_does(name: str) -> None:
    text, expected = GUARDS[name]
    assert not takes_fast_path(text)
    kind, message, line = assert_as_composed(text)
    assert kind == "error" and expected in message, (name, message)
    assert line is not None, name


VALID_BUT_NOT_PLAIN = {
    "anchor-and-alias": "a: &x {b: 1}\nc: *x\n",
    "merge-key": "base: &b {x: 1, y: 2}\nitem: {<<: *b, y: 3}\n",
    "merge-without-alias": "item: {<<: {x: 1}, y: 3}\n",
    "non-specific-tag": "a: ! 12\n",
    "bool-keys": "true: a\nTrue: b\non: c\n",
    "integer-keys": "1: a\n01: b\n",
    "depth-64": _nested(64),
    "comment-only": "# nothing here\n",
    "explicit-end": "a: 1\n...\n",
}


@pytest.mark.parametrize("name", sorted(VALID_BUT_NOT_PLAIN))
def test_documents_left_to_the_composer_load_as_before(name: str) -> None:
    text = VALID_BUT_NOT_PLAIN[name]
    assert assert_as_composed(text)[0] == "value"


def test_the_depth_limit_is_the_same_on_both_paths() -> None:
    assert assert_as_composed(_nested(64))[0] == "value"
    assert assert_as_composed("[" * 63 + "x" + "]" * 63)[0] == "value"
    assert assert_as_composed(_nested(65))[0] == "error"
    tight = Limits(max_depth=3)
    for text, kind in (("a: {b: c}\n", "value"), ("a: {b: {c: d}}\n", "error"),
                       ("a: {b: []}\n", "value")):
        got = [documents.parse_yaml, documents.parse_yaml_composed]
        results = []
        for parse in got:
            try:
                results.append(("value", parse(text, tight)))
            except DocumentError as exc:
                results.append(("error", str(exc)))
        assert results[0] == results[1] and results[0][0] == kind, (text, results)


def test_nulls_are_flagged_as_the_composer_flags_them() -> None:
    for text, nulls in (("a: 1\n", False), ("a:\n", True), ("a: [~, null]\n", False),
                        ("a: {b: ~}\n", True), ("- ~\n", False), ("a: 'null'\n", False)):
        kind, _, seen = assert_as_composed(text)
        assert kind == "value" and seen is nulls, text


def test_a_lone_surrogate_escape_in_yaml_is_named_with_path_and_line() -> None:
    text = MINIMAL.replace("owner: risk-ml", 'owner: "risk\\udfff"')
    with pytest.raises(SnapshotError) as info:
        load_snapshot_text(text, origin="snap.yaml", suffix=".yaml")
    assert str(info.value).startswith("snap.yaml:7: models[0].owner: a UTF-16 surrogate "
                                      "escape"), str(info.value)


# --- hostile input is refused quickly ---------------------------------------------------

@pytest.mark.parametrize("name", ["alias-bomb", "deep-flow", "python-tag"])
def test_hostile_yaml_is_refused_quickly(name: str) -> None:
    padding = "x: " + json.dumps(generate(500))  # a large document after the hostile part
    text = GUARDS[name][0] + padding + "\n"
    started = clock.process_time()
    with pytest.raises(DocumentError):
        documents.parse_yaml(text, LIMITS)
    assert clock.process_time() - started < 2.0


# --- lines: followed through the events, as the node tree would say ----------------------

def tree_lines(text: str) -> Any:
    """The node tree's answers for one text (the reference, and the walk for texts with
    aliases): a function of a path."""
    node, lenient = documents._compose_lenient(text, LIMITS)

    def line(path: tuple[str | int, ...]) -> int | None:
        steps = [documents._ASTRAL.sub("  ", documents._LONE_SURROGATE.sub(" ", s))
                 if lenient and isinstance(s, str) else s for s in path]
        return None if node is None else documents._line_in_tree(node, steps)
    return line


def some(paths: list[Any], most: int = 150) -> list[Any]:
    return paths[:: max(1, len(paths) // most)]


def paths_of(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path into a document, and beside each a few that lead nowhere."""
    found = [prefix, (*prefix, "nowhere"), (*prefix, 7)]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        found.append((*prefix, len(value)))
        for index, item in enumerate(value):
            found += paths_of(item, (*prefix, index))
    return found


def as_json_text(path) -> str:
    return json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), indent=1)


@pytest.mark.parametrize("path", SAMPLE_SNAPSHOTS, ids=lambda p: p.name)
def test_every_line_of_a_sample_is_the_node_trees_line(path) -> None:
    for text in (path.read_text(encoding="utf-8"), as_json_text(path)):
        tree_line = tree_lines(text)
        for doc_path in some(paths_of(yaml.safe_load(text))):
            assert documents.line_of(text, doc_path, LIMITS) == tree_line(doc_path), doc_path


@pytest.mark.parametrize("path", SAMPLE_SNAPSHOTS, ids=lambda p: p.name)
def test_resource_lines_of_a_sample_are_the_node_trees(path) -> None:
    for text in (path.read_text(encoding="utf-8"), as_json_text(path)):
        snapshot = LoadedSnapshot(document={}, digest="", text=text)
        lines = resource_lines(snapshot)
        assert lines and list(lines.items()) == \
            list(locate._lines_from_tree(text, LIMITS).items())


LINE_CASES: dict[str, tuple[str, list[tuple[str | int, ...]]]] = {
    "alias": ("a: &x {b: 1}\nc: *x\nd: [1, *x]\n", [("c", "b"), ("d", 1), ("d", 1, "b")]),
    "negative-index": ("a: [1, 2]\n", [("a", -1)]),
    "tag": ("a: !!str x\nb: 1\n", [("b",)]),
    "too-deep": (_nested(65), [("k",)]),
    "second-document": ("a: 1\n---\nb: 2\n", [("a",)]),
    "broken": ("a: [1\nb: 2\n", [("a",)]),
    "empty": ("# nothing\n", [("a",), ()]),
    "scalar-root": ("just text\n", [("a",), (0,)]),
    "complex-key": ("? [a]\n: 1\nb: {c: 2}\n", [("b", "c"), ("a",)]),
    "surrogate-escape": ('a:\n  "k\\ud800": 1\n  b: "\\udfff"\n', [("a", "k\udc00"),
                                                                  ("a", "b")]),
    "duplicate-keys": ("a: 1\na: {b: 2}\n", [("a", "b"), ("a",)]),
}


@pytest.mark.parametrize("name", sorted(LINE_CASES))
def test_lines_in_odd_texts_are_the_node_trees(name: str) -> None:
    text, doc_paths = LINE_CASES[name]
    tree_line = tree_lines(text)
    for doc_path in doc_paths:
        assert documents.line_of(text, doc_path, LIMITS) == tree_line(doc_path), doc_path
    snapshot = LoadedSnapshot(document={}, digest="", text=text)
    assert resource_lines(snapshot) == locate._lines_from_tree(text, LIMITS)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_lines_in_mutated_samples_are_the_node_trees(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(SAMPLE_SNAPSHOTS))
    text = path.read_text(encoding="utf-8") if data.draw(st.booleans()) else as_json_text(path)
    chars = list(text)
    for _ in range(data.draw(st.integers(0, 3))):
        at = data.draw(st.integers(0, len(chars)))
        chars.insert(at, data.draw(st.sampled_from(
            ["&a ", "*a", "!!str ", "- ", "\n", " ", "[", "]", "{", "}", ":", ",", "#",
             "? ", "'", '"', "\t", "x"])))
    text = "".join(chars)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    tree_line = tree_lines(text)
    for doc_path in data.draw(st.lists(st.sampled_from(paths_of(document)), min_size=1,
                                       max_size=3)):
        assert documents.line_of(text, doc_path, LIMITS) == tree_line(doc_path)
    snapshot = LoadedSnapshot(document={}, digest="", text=text)
    assert list(resource_lines(snapshot).items()) == \
        list(locate._lines_from_tree(text, LIMITS).items())


def test_the_line_of_an_error_deep_in_a_large_snapshot_is_the_node_trees() -> None:
    """Naming the line of an error reads events (their cost is in bench.py --yaml); the
    answer is the node tree's."""
    document = generate(300, seed=5)
    text = json.dumps(document, indent=1)
    doc_path = ("deployments", len(document["deployments"]) - 1, "environment")
    line = documents.line_of(text, doc_path, LIMITS)
    assert line is not None and tree_lines(text)(doc_path) == line
