"""Loading snapshots: shape checks with paths and lines, digests, and hostile input."""

from __future__ import annotations

import calendar
import json
import time as clock
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from checker import documents
from checker.documents import Limits
from checker.errors import SnapshotError
from checker.times import parse_time, time_ns
from checker.sources.file import FileSource, load_snapshot_text
from conftest import MINIMAL


def load(text: str, suffix: str = ".yaml", limits: Limits | None = None):
    return load_snapshot_text(text, origin=f"snap{suffix}", suffix=suffix, limits=limits)


def error_of(text: str, suffix: str = ".yaml", limits: Limits | None = None) -> str:
    with pytest.raises(SnapshotError) as info:
        load(text, suffix, limits)
    return str(info.value)


def test_minimal_snapshot_loads(minimal_text):
    snap = load(minimal_text)
    assert snap.model.models[0].versions[0].stage == "development"
    assert snap.digest.startswith("sha256:") and len(snap.digest) == 71


def test_yaml_and_reformatted_json_have_the_same_digest(minimal_text):
    doc = yaml.safe_load(minimal_text)
    as_json = json.dumps(doc, indent=7, sort_keys=False)
    reordered = json.dumps(dict(reversed(list(doc.items()))))
    assert load(minimal_text).digest == load(as_json, ".json").digest
    assert load(reordered, ".json").digest == load(minimal_text).digest


def test_a_changed_value_changes_the_digest(minimal_text):
    assert load(minimal_text).digest != load(minimal_text.replace('"2.1.0"', '"2.1.1"')).digest


def test_unknown_key_is_refused_with_its_path_and_line(minimal_text):
    text = minimal_text.replace("training_data:", "trainng_data:")
    assert error_of(text) == (
        "snap.yaml:12: models[0].versions[0].lineage.trainng_data: unknown field")


def test_time_without_zone_is_refused(minimal_text):
    text = minimal_text.replace('"2026-11-20T08:00:00Z"', '"2026-11-20T08:00:00"')
    message = error_of(text)
    assert "registry.captured_at" in message and "no zone" in message and ":2:" in message


def test_unquoted_yaml_time_stays_text_and_loads(minimal_text):
    snap = load(minimal_text.replace('"2026-11-20T08:00:00Z"', "2026-11-20T08:00:00Z"))
    assert snap.model.registry.captured_at == "2026-11-20T08:00:00Z"


def test_numeric_version_is_refused_with_a_hint(minimal_text):
    message = error_of(minimal_text.replace('version: "2.1.0"', "version: 2.1"))
    assert "models[0].versions[0].version" in message and "quote it" in message


def test_wrong_schema_version_is_refused(minimal_text):
    message = error_of(minimal_text.replace("schema_version: 1", "schema_version: 2"))
    assert "unsupported schema_version 2" in message


def test_duplicate_model_version_is_refused(minimal_text):
    text = minimal_text.replace("deployments: []", "") + \
        "  - name: credit-risk-scorer\n    versions: []\n"
    assert "duplicate model 'credit-risk-scorer'" in error_of(text)


def test_version_ids_that_collide_only_when_joined_are_refused():
    # "a@b" version "c" and "a" version "b@c" are both a@b@c: refused at load, whatever
    # partitions the models would be evaluated in (many models apart, as in a large registry)
    models = [{"name": "a@b", "versions": [{"version": "c"}]}]
    models += [{"name": f"m{i}", "versions": [{"version": "1"}]} for i in range(300)]
    models += [{"name": "a", "versions": [{"version": "b@c"}]}]
    document = {"schema_version": 1,
                "registry": {"name": "r", "captured_at": "2026-11-20T08:00:00Z"},
                "models": models}
    text = json.dumps(document, indent=1)
    message = error_of(text, ".json")
    line = text.splitlines().index('   "name": "a",') + 1
    assert message == (f"snap.json:{line + 2}: models[301].versions[0]: duplicate model "
                       "version 'a@b@c': each must appear once")


def test_duplicate_yaml_key_is_refused(minimal_text):
    text = minimal_text.replace("owner: risk-ml", "owner: risk-ml\n    owner: other")
    assert "duplicate key 'owner'" in error_of(text)


@pytest.mark.parametrize("pure", [False, True], ids=["libyaml", "pure-python"])
@pytest.mark.parametrize(("replace", "line", "column"), [
    (("    owner: risk-ml", "\towner: risk-ml"), 7, 1),           # a tab indents a key
    (("  - name: credit-risk-scorer", "  -\tname: credit-risk-scorer"), 6, 4),
    (("    risk_tier: high", "\t    risk_tier: high"), 8, 1),
], ids=["indent", "after-dash", "before-spaces"])
def test_a_tab_in_yaml_is_named_with_its_line_and_column(monkeypatch, minimal_text, pure,
                                                         replace, line, column):
    if pure:
        monkeypatch.setattr(documents, "_CParser", None)
    text = minimal_text.replace(*replace)
    assert text != minimal_text
    error = error_of(text)
    assert error.startswith(f"snap.yaml:{line}: invalid YAML: a tab character at column "
                            f"{column}: YAML indents with spaces"), error


def test_other_yaml_errors_give_the_column(minimal_text):
    error = error_of(minimal_text.replace("risk_tier: high", "risk_tier: [high"))
    assert error.startswith("snap.yaml:") and "(column " in error, error


def test_duplicate_json_key_is_refused():
    assert "duplicate key" in error_of('{"schema_version": 1, "schema_version": 1}', ".json")


def test_traffic_out_of_range_is_refused(minimal_text):
    text = minimal_text.replace("deployments: []", (
        "deployments:\n  - {endpoint: e, model: credit-risk-scorer, version: '2.1.0', "
        "environment: production, traffic_percent: 120}"))
    assert "deployments[0].traffic_percent" in error_of(text)


def test_size_limit_is_checked_before_reading(tmp_path: Path, minimal_text):
    path = tmp_path / "big.yaml"
    path.write_text(minimal_text)
    with pytest.raises(SnapshotError) as info:
        FileSource(path, Limits(max_bytes=100)).load()
    assert "more than the limit of 100 bytes" in str(info.value)


HOSTILE = {
    "alias-bomb.yaml": (
        "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n"
                  for i in range(9)),
        "alias"),
    "deep.yaml": ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper"),
    "deep.json": ("[" * 100000 + "]" * 100000, "nested deeper"),
    "python-tag.yaml": ("schema_version: 1\nregistry: !!python/object/apply:os.system [id]\n",
                        "explicit YAML tag"),
    "garbage.yaml": (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not UTF-8"),
    "empty.yaml": ("", "is empty"),
    "blank.json": ("   \n\n", "is empty"),
    "wrong-version.yaml": (("schema_version: 7\nregistry: {name: r, captured_at: "
                            "'2026-01-01T00:00:00Z'}\n"), "unsupported schema_version 7"),
    "not-a-mapping.yaml": ("- 1\n- 2\n", "a snapshot is a mapping"),
    "invalid.json": ('{"schema_version": 1,', "invalid JSON"),
    "nul.yaml": ("schema_version: 1\x00\n", "NUL"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_exits_2_with_one_line(cli, tmp_path: Path, name: str):
    content, expected = HOSTILE[name]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    run = cli("scan", str(path), timeout=30)
    assert run.code == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert expected in lines[0] and str(path) in lines[0]


def test_missing_file_exits_2(cli, tmp_path: Path):
    run = cli("scan", str(tmp_path / "nope.yaml"))
    assert run.code == 2 and "no such file" in run.stderr


def test_snapshot_from_stdin(cli, minimal_text):
    run = cli("scan", "-", "--format", "json", stdin=minimal_text.encode())
    assert run.code in (0, 1), run.stderr
    assert json.loads(run.stdout)["snapshot"]["registry"] == "contoso-foundry"


def test_unknown_key_with_null_value_is_still_refused(minimal_text):
    text = minimal_text.replace("owner: risk-ml", "owner: risk-ml\n    gender):")
    assert "models[0].gender)" in error_of(text) and "unknown field" in error_of(text)


def test_optional_field_written_as_null_is_absent(minimal_text):
    with_null = load(minimal_text.replace("owner: risk-ml", "owner: risk-ml\n    type: null"))
    assert "type" not in with_null.document["models"][0]
    assert with_null.digest == load(minimal_text).digest


# --- bad input: times, numbers, strings (issue #13) ----------------------------------------

def with_version_time(text: str, time: str) -> str:
    """MINIMAL with a second version whose created_at (line 14) is `time`."""
    return text.replace("deployments: []\n", "") + (
        f'      - version: "2.2.0"\n        created_at: {json.dumps(time)}\ndeployments: []\n')


def as_json(text: str) -> str:
    """A YAML snapshot as indented JSON (one key per line)."""
    return json.dumps(yaml.safe_load(text), indent=1)


CREATED_AT = "models[0].versions[1].created_at"

BAD_TIMES = {
    "2026-11-20T08:00:00-00:60": "offset -00:60 is not a UTC offset",
    "2026-11-20T08:00:00+24:00": "offset +24:00 is not a UTC offset",
    "2026-11-20T08:00:00+05:99": "offset +05:99 is not a UTC offset",
    "2016-12-31T23:59:60Z": "leap seconds (second 60) are not supported",
    "2026-02-30T08:00:00Z": "day 30 does not exist in February 2026",
    "2025-02-29T08:00:00Z": "day 29 does not exist in February 2025",
    "2026-13-01T08:00:00Z": "month 13 does not exist",
    "0000-01-01T00:00:00Z": "the earliest supported year is 0001",
    "2026-11-20T24:00:00Z": "hour 24 does not exist",
    "2026-11-20t08:00:00z": "upper-case T and Z",
    "2026-11-20T08:00:00.1234567890Z": "not an RFC 3339 time",
    "2026-11-20T08:00:00Z\n": "not an RFC 3339 time",
    "٢٠٢٦-11-20T08:00:00Z": "not an RFC 3339 time",
}


@pytest.mark.parametrize("time", sorted(BAD_TIMES))
def test_impossible_time_exits_2_naming_path_and_line(cli, tmp_path: Path, minimal_text,
                                                      time: str):
    path = tmp_path / "times.yaml"
    path.write_text(with_version_time(minimal_text, time), encoding="utf-8")
    run = cli("scan", str(path))
    assert run.code == 2 and run.stdout == ""
    assert run.stderr.splitlines() == [run.stderr.strip()] and "Traceback" not in run.stderr
    assert run.stderr.startswith(f"almguard: error: {path}:14: {CREATED_AT}: "), run.stderr
    assert BAD_TIMES[time] in run.stderr


FOREVER = ["9999-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00",
           "9999-12-31T23:59:59.999999999-23:59", "0001-01-01T00:00:00+23:59",
           "0001-01-01T00:00:00Z", "2024-02-29T12:00:00+05:30", "2026-11-20T08:00:00-00:00"]


@pytest.mark.parametrize("time", FOREVER)
def test_extreme_real_times_load_and_compare_without_overflow(minimal_text, time: str):
    snap = load(with_version_time(minimal_text, time))
    assert snap.document["models"][0]["versions"][1]["created_at"] == time
    moment = parse_time(time)           # aware, in its own offset: never converted to UTC
    captured = parse_time("2026-11-20T08:00:00Z")
    assert (moment > captured) == (time_ns(time) > time_ns("2026-11-20T08:00:00Z"))
    assert (moment - captured) // timedelta(microseconds=1) == \
        (time_ns(time) - time_ns("2026-11-20T08:00:00Z")) // 1000
    assert snap.model.models[0].versions[1].created_at == time


def test_year_10000_in_utc_is_an_exact_instant():
    # 9999-12-31T23:59:59-01:00 is 10000-01-01T00:59:59Z: beyond datetime, not beyond time_ns
    assert time_ns("9999-12-31T23:59:59-01:00") - time_ns("9999-12-31T23:59:59Z") == 3600 * 10**9
    assert parse_time("9999-12-31T23:59:59-01:00") > parse_time("9999-12-31T23:59:59Z")
    assert time_ns("1970-01-01T00:00:00.000000001Z") == 1
    assert time_ns("1970-01-01T01:00:00+01:00") == 0


def test_parse_time_refuses_what_the_loader_refuses():
    for time in BAD_TIMES:
        with pytest.raises(ValueError):
            parse_time(time)


# Hypothesis: every real instant of years 0001-9999 loads; each impossible variant of one is
# refused naming the field's path and line.

@st.composite
def instants(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    year = draw(st.integers(1, 9999))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(1, calendar.monthrange(year, month)[1]))
    parts = {"year": f"{year:04d}", "month": f"{month:02d}", "day": f"{day:02d}",
             "hour": f"{draw(st.integers(0, 23)):02d}",
             "minute": f"{draw(st.integers(0, 59)):02d}",
             "second": f"{draw(st.integers(0, 59)):02d}",
             "fraction": draw(st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,9}",
                                                                     fullmatch=True))),
             "zone": draw(st.one_of(st.just("Z"), st.builds(
                 lambda sign, h, m: f"{sign}{h:02d}:{m:02d}", st.sampled_from("+-"),
                 st.integers(0, 23), st.integers(0, 59))))}
    return render(parts), parts


def render(p: dict[str, str]) -> str:
    return (f"{p['year']}-{p['month']}-{p['day']}T{p['hour']}:{p['minute']}:{p['second']}"
            f"{p['fraction']}{p['zone']}")


@settings(max_examples=300, deadline=None)
@given(instants())
def test_every_real_instant_loads(drawn: tuple[str, dict[str, str]]):
    time, parts = drawn
    snap = load(with_version_time(MINIMAL, time))
    assert snap.document["models"][0]["versions"][1]["created_at"] == time
    moment = parse_time(time)
    assert moment.year == int(parts["year"]) and moment.second == int(parts["second"])
    epoch = parse_time("1970-01-01T00:00:00Z")
    assert (moment - epoch) // timedelta(microseconds=1) == time_ns(time) // 1000


def _mutations(parts: dict[str, str]) -> st.SearchStrategy[tuple[dict[str, str], str]]:
    year, month = int(parts["year"]), int(parts["month"])
    days = calendar.monthrange(year, month)[1]
    def two(lo: int, hi: int) -> st.SearchStrategy[str]:
        return st.integers(lo, hi).map(lambda n: f"{n:02d}")

    zone_sign = st.sampled_from("+-")
    return st.one_of(
        st.just(({"year": "0000"}, "earliest supported year is 0001")),
        st.one_of(st.just("00"), two(13, 99)).map(lambda m: ({"month": m}, "does not exist")),
        st.one_of(st.just("00"), two(days + 1, 99)).map(lambda d: ({"day": d},
                                                                    "does not exist")),
        two(24, 99).map(lambda h: ({"hour": h}, "does not exist")),
        two(60, 99).map(lambda m: ({"minute": m}, "does not exist")),
        st.just(({"second": "60"}, "leap seconds")),
        two(61, 99).map(lambda s: ({"second": s}, "does not exist")),
        st.builds(lambda s, h, m: ({"zone": f"{s}{h}:{m}"}, "is not a UTC offset"),
                  zone_sign, two(24, 99), two(0, 99)),
        st.builds(lambda s, h, m: ({"zone": f"{s}{h}:{m}"}, "is not a UTC offset"),
                  zone_sign, two(0, 23), two(60, 99)),
        st.just(({"zone": ""}, "no zone")),
        st.just(({"zone": "z"}, "not an RFC 3339 time")),
        st.just(({"fraction": ".1234567890"}, "not an RFC 3339 time")),
        st.just(({"fraction": "."}, "not an RFC 3339 time")),
        st.just(({"second": ""}, "not an RFC 3339 time")),
    )


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_impossible_variant_is_refused_with_path_and_line(data: st.DataObject):
    _, parts = data.draw(instants())
    change, expected = data.draw(_mutations(parts))
    time = render({**parts, **change})
    message = error_of(with_version_time(MINIMAL, time))
    assert message.startswith(f"snap.yaml:14: {CREATED_AT}: "), message
    assert expected in message, (time, message)


EVALUATED = MINIMAL.replace('version: "2.1.0"\n', (
    'version: "2.1.0"\n        evaluations: [{metric: auc, value: 0.5}]\n'
    '        tags: {team: risk}\n'))
VALUE = "models[0].versions[0].evaluations[0].value"


def _json_with(old: str, new: str) -> str:
    return as_json(EVALUATED).replace(old, new, 1)


# name: (content, document path, text on the line the error names, expected words)
BAD_VALUES: dict[str, tuple[str, str, str, str]] = {
    "integer-beyond-2^53.json": (_json_with("0.5", "123456789012345678901234567890"), VALUE,
                                 "1234567890123",
                                 "integer 123456789012345678901234567890 is beyond ±2^53"),
    "integer-beyond-2^53.yaml": (EVALUATED.replace("0.5", "-9007199254740993"), VALUE,
                                 "9007199254740993", "beyond ±2^53"),
    "float-overflow.json": (_json_with("0.5", "1e400"), VALUE, "1e400", "not finite"),
    "float-overflow.yaml": (EVALUATED.replace("0.5", "1.0e+400"), VALUE, "1.0e+400",
                            "not finite"),
    "5000-digits.json": (_json_with("0.5", "9" * 5000), VALUE, "99999",
                         "more than 4300 digits"),
    "lone-surrogate.json": (_json_with('"contoso-foundry"', '"contoso\\ud800"'),
                            "registry.name", "contoso",
                            "string holds a lone UTF-16 surrogate \\ud800"),
    "lone-low-surrogate.json": (_json_with('"risk"', '"risk\\uDC00\\uDC00"'),
                                "models[0].versions[0].tags.team", "risk\\uDC00",
                                "surrogate \\udc00"),
    "surrogate-in-key.json": (_json_with('"team"', '"te\\udfffam"'),
                              "models[0].versions[0].tags.te\\udfffam", "te\\udfffam",
                              "key holds a lone UTF-16 surrogate \\udfff"),
    "surrogate-escape.yaml": (EVALUATED.replace("name: credit-risk-scorer",
                                                'name: "credit\\ud800"'),
                              "models[0].name", "credit", "surrogate escape"),
    "schema-version-1.0.json": (_json_with('"schema_version": 1', '"schema_version": 1.0'),
                                "schema_version", "schema_version",
                                "must be the integer 1, not 1.0"),
    "schema-version-1.0.yaml": (EVALUATED.replace("schema_version: 1", "schema_version: 1.0"),
                                "schema_version", "schema_version",
                                "must be the integer 1, not 1.0"),
    "schema-version-true.yaml": (EVALUATED.replace("schema_version: 1", "schema_version: true"),
                                 "schema_version", "schema_version",
                                 "must be the integer 1, not true"),
}


@pytest.mark.parametrize("name", sorted(BAD_VALUES))
def test_bad_number_or_string_exits_2_naming_path_and_line(cli, tmp_path: Path, name: str):
    content, doc_path, on_line, expected = BAD_VALUES[name]
    line = next(i for i, text in enumerate(content.splitlines(), 1) if on_line in text)
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    run = cli("scan", str(path))
    assert run.code == 2 and run.stdout == ""
    assert run.stderr.splitlines() == [run.stderr.strip()] and "Traceback" not in run.stderr
    assert run.stderr.startswith(f"almguard: error: {path}:{line}: {doc_path}: "), run.stderr
    assert expected in run.stderr, run.stderr


@pytest.mark.parametrize(("in_json", "in_yaml"), [
    ("9007199254740992", "9007199254740992"), ("-9007199254740992", "-9007199254740992"),
    ("1e300", "1.0e+300"), ("1.5e29", "1.5e+29"), ("-0", "-0"), ("0.1", "0.1")])
def test_numbers_exact_as_doubles_load(in_json: str, in_yaml: str):
    for snap in (load(_json_with("0.5", in_json), ".json"),
                 load(EVALUATED.replace("0.5", in_yaml))):
        value = snap.document["models"][0]["versions"][0]["evaluations"][0]["value"]
        assert value == json.loads(in_json) and type(value) is type(json.loads(in_json))


def test_an_integer_past_2_53_is_refused_wherever_a_number_is():
    text = MINIMAL.replace("deployments: []", (
        "deployments:\n  - {endpoint: e, model: credit-risk-scorer, version: '2.1.0', "
        "environment: production, traffic_percent: 50,\n"
        "     monitoring: {baseline_metrics: {auc: 9007199254740993}}}"))
    assert "deployments[0].monitoring.baseline_metrics.auc: integer 9007199254740993" in \
        error_of(text)


def test_a_huge_integer_where_a_string_belongs_is_named_briefly():
    message = error_of(EVALUATED.replace("team: risk", "team: " + "7" * 200))
    assert "tags.team: input should be a valid string (got an integer of 200 digits" \
        in message and len(message) < 200


def test_surrogate_pairs_and_escaped_backslashes_are_text(minimal_text):
    doc = yaml.safe_load(minimal_text)
    doc["registry"]["name"] = "contoso \U0001F600"
    literal = json.dumps(doc, ensure_ascii=False)
    escaped = json.dumps(doc, ensure_ascii=True)
    assert "\\ud83d\\ude00" in escaped
    assert load(escaped, ".json").digest == load(literal, ".json").digest
    backslash = as_json(minimal_text).replace('"contoso-foundry"', '"contoso\\\\ud800"')
    assert load(backslash, ".json").document["registry"]["name"] == "contoso\\ud800"


def test_surrogate_escape_in_yaml_without_libyaml_is_refused_too(monkeypatch, minimal_text):
    monkeypatch.setattr(documents, "_CParser", None)     # PyYAML's pure-Python parser
    text = minimal_text.replace("name: credit-risk-scorer", 'name: "credit\\ud83d\\ude00"')
    assert error_of(text).startswith(
        "snap.yaml:6: models[0].name: string holds a lone UTF-16 surrogate \\ud83d")


def test_schema_version_must_be_the_integer_1(minimal_text):
    for written in ("1.0", "true", "'1'", "1e0"):
        message = error_of(minimal_text.replace("schema_version: 1", f"schema_version: {written}"))
        assert message.startswith("snap.yaml:1: schema_version: "), message
    assert "not 1.0" in error_of(as_json(minimal_text).replace(
        '"schema_version": 1', '"schema_version": 1.0'), ".json")


def test_load_checks_cost_no_second_pass(tmp_path: Path, minimal_text, record_figure):
    """The surrogate check is a search of the text (a walk of the document only when a
    lone surrogate escape is there: an error); times and numbers are checked by the
    validation that runs anyway."""
    doc = yaml.safe_load(minimal_text)
    doc["models"][0]["versions"] = [
        {"version": f"1.{i}", "created_at": "2026-01-01T00:00:00.123456789+05:30",
         "evaluations": [{"metric": "auc", "value": 0.5 + i / 10**6}]} for i in range(20000)]
    path = tmp_path / "big.json"

    def load_time() -> float:
        best = float("inf")
        for _ in range(3):
            start = clock.process_time()
            FileSource(path).load()
            best = min(best, clock.process_time() - start)
        return best

    path.write_text(json.dumps(doc))
    plain = load_time()
    doc["registry"]["name"] = "contoso \U0001F600 \u00e9"   # escaped: a pair, and \u00e9
    path.write_text(json.dumps(doc))
    escaped = load_time()
    record_figure(f"load 20,000 versions: {plain:.2f} s; with \\u escapes (a surrogate "
                  f"pair) {escaped:.2f} s")
    assert escaped < plain * 1.5 + 0.1


# JSON string bodies: whether each decodes to a string holding a lone surrogate is what
# json.loads says; the loader's text check (no walk unless one is lone) must agree.
SURROGATE_ESCAPES = ["\\ud800", "\\ud83d\\ude00", "\\\\ud800", "\\\\\\ud800", "\\udc00",
                     "\\ud83d\\ude00\\udc00", "\\ud800\\ud800\\udc00", "\\\"\\\\ud800",
                     "\\\"\\ud800", "\\\\\\\\ud800", "\\ud800\\\\udc00", "\\\\ud800\\udc00",
                     "x\\uD83D\\uDE00y", "\\uDBFF\\uDFFF", "\\uDBFF\\uE000",
                     "\\ud83d\\ude00\\ud83d\\ude00", "\\ud83d\\\\\\ude00", "\\u00e9\\n\\t"]


@pytest.mark.parametrize("body", SURROGATE_ESCAPES)
def test_json_surrogate_escapes_are_judged_as_json_decodes_them(minimal_text, body: str):
    text = as_json(minimal_text).replace('"contoso-foundry"', f'"{body}"')
    decoded = json.loads(f'"{body}"')
    lone = any(0xD800 <= ord(c) <= 0xDFFF for c in decoded)
    assert documents._lone_surrogate_escape(text) is lone
    if lone:
        assert error_of(text, ".json").startswith("snap.json:4: registry.name: string holds "
                                                  "a lone UTF-16 surrogate")
    else:
        assert load(text, ".json").document["registry"]["name"] == decoded


def test_a_lone_surrogate_from_a_source_without_text_is_an_error_not_a_crash():
    from checker.sources.interface import validate
    doc = yaml.safe_load(MINIMAL)
    doc["models"][0]["owner"] = "risk\udfff"
    with pytest.raises(SnapshotError) as info:
        validate(doc, origin="import", text=None)
    assert str(info.value) == ("import: models[0].owner: string holds a lone UTF-16 surrogate "
                               "\\udfff, which is no Unicode character")
