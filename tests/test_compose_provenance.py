"""Provenance shown (issue 19): `lineage` and the report name which source said each fact
of a composed snapshot, from `--sources CONFIG` or a stored `--provenance FILE`; a plain
snapshot's answer and report are unchanged; provenance is display only, never a verdict."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
CONFIG = FIXTURES / "compose" / "compose.yaml"
ENDPOINT = "credit-risk-prod"
AT = "2026-12-01T00:00:00Z"


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal wide enough that no fact line is wrapped."""
    monkeypatch.setenv("COLUMNS", "220")


@pytest.fixture
def stored(tmp_path: Path, cli) -> tuple[Path, Path]:
    """`compose -o snapshot.json`: the snapshot and the provenance written beside it."""
    out = tmp_path / "snapshot.json"
    run = cli("compose", str(CONFIG), "-o", str(out))
    assert run.code == 0, run.stderr
    return out, tmp_path / "snapshot.provenance.json"


def serving(answer: dict, version: str) -> dict:
    return next(v for v in answer["serving"] if v["version"] == version)


def line_of(table: str, start: str, after: str | None = None) -> str:
    """The first line of the table starting with `start` (stripped), after the line that
    starts with `after`."""
    lines = [line.strip() for line in table.splitlines()]
    if after is not None:
        lines = lines[next(i for i, line in enumerate(lines) if line.startswith(after)):]
    return next(line for line in lines if line.startswith(start))


def without_sources(table: str) -> str:
    """The table with what provenance adds taken out: the `(from: …)` after a value and the
    line naming who said the Serving line's facts."""
    table = re.sub(r"  \(from: [^)]*\)", "", table)
    return re.sub(r"(?m)^  (?:traffic|environment|deployed|stage)\b[^\n]* from [^\n]*\n", "",
                  table)


def test_lineage_table_names_the_source_of_each_fact(cli, wide) -> None:
    run = cli("lineage", "--sources", str(CONFIG), "--endpoint", ENDPOINT)
    assert run.code == 1, run.stderr  # incomplete, as without provenance
    new = "Serving credit-risk-scorer@2.1.0"
    # the canary's traffic and time come from the cluster, its stage from the registry
    assert line_of(run.stdout, "traffic", after=new) == (
        "traffic, environment, deployed from cluster; stage from registry")
    assert line_of(run.stdout, "artifact", after=new).endswith("(from: registry)")
    # the training data of 2.1.0 comes from the OpenLineage run; the dataset's digest is
    # said alike by the registry file and the run events, its URI by the events only
    assert line_of(run.stdout, "training data", after=new).endswith("(from: lineage)")
    assert line_of(run.stdout, "digest", after=new).endswith("(from: registry, lineage)")
    assert line_of(run.stdout, "uri", after=new).endswith("(from: lineage)")
    assert line_of(run.stdout, "training job", after=new).endswith("(from: lineage)")
    # the old version's lineage is the registry file's
    old = "Serving credit-risk-scorer@2.0.0"
    assert line_of(run.stdout, "training job", after=old).endswith("(from: registry)")
    # a fact no source gave names none
    assert line_of(run.stdout, "environment", after=new) == "environment   -"


def test_lineage_json_has_a_provenance_object(cli, stored) -> None:
    _, provenance_file = stored
    recorded = json.loads(provenance_file.read_text())
    run = cli("lineage", "--sources", str(CONFIG), "--endpoint", ENDPOINT, "--format", "json")
    answer = json.loads(run.stdout)
    assert answer["provenance"]["snapshot"] == recorded["snapshot"]
    assert [s["name"] for s in answer["provenance"]["sources"]] == [
        "registry", "cluster", "ledger", "lineage"]
    said = serving(answer, "2.1.0")["provenance"]
    deployment = said[f"deployment:{ENDPOINT}/credit-risk-scorer@2.1.0"]
    assert deployment["traffic_percent"] == ["cluster"]
    version = said["model_version:credit-risk-scorer@2.1.0"]
    assert version["lineage.training_data"] == ["lineage"]
    assert version["artifact.digest"] == ["registry"]
    assert said["dataset:loan-applications@3"]["digest"] == ["registry", "lineage"]
    # each source named is the composition's own word for that field
    for resource, fields in said.items():
        for field, sources in fields.items():
            assert recorded["resources"][resource][field] == sources
    # only facts the answer shows: the ledger's approvals are not among them
    assert "approvals" not in version
    assert "approvals" in recorded["resources"]["model_version:credit-risk-scorer@2.1.0"]


def test_a_stored_composition_shows_the_same_provenance(cli, stored, tmp_path: Path,
                                                        wide) -> None:
    snapshot, provenance = stored
    for form in ("json", "table"):
        live = cli("lineage", "--sources", str(CONFIG), "--endpoint", ENDPOINT,
                   "--format", form)
        kept = cli("lineage", str(snapshot), "--provenance", str(provenance),
                   "--endpoint", ENDPOINT, "--format", form)
        assert kept.code == live.code == 1, kept.stderr
        assert kept.stdout == live.stdout
    # a YAML snapshot digests as its JSON form: its provenance matches it too
    yaml_out = tmp_path / "snapshot.yaml"
    assert cli("compose", str(CONFIG), "-o", str(yaml_out)).code == 0
    run = cli("lineage", str(yaml_out), "--provenance",
              str(tmp_path / "snapshot.provenance.json"), "--endpoint", ENDPOINT)
    assert run.code == 1 and "(from: lineage)" in run.stdout, run.stderr


def test_without_provenance_the_answer_is_unchanged(cli, stored, wide) -> None:
    snapshot, provenance = stored
    shown = {form: cli("lineage", str(snapshot), "--provenance", str(provenance),
                       "--endpoint", ENDPOINT, "--format", form) for form in ("json", "table")}
    plain = {form: cli("lineage", str(snapshot), "--endpoint", ENDPOINT, "--format", form)
             for form in ("json", "table")}
    # the JSON form: the same document without any provenance key
    answer = json.loads(shown["json"].stdout)
    del answer["provenance"]
    for version in answer["serving"]:
        del version["provenance"]
    assert json.dumps(answer, indent=2, ensure_ascii=False) + "\n" == plain["json"].stdout
    assert "provenance" not in plain["json"].stdout
    # the table: the same lines without the sources
    assert "(from:" not in plain["table"].stdout
    assert without_sources(shown["table"].stdout) == plain["table"].stdout
    assert without_sources(shown["table"].stdout) != shown["table"].stdout
    # one judge: the same verdict and the same gaps, with or without provenance
    assert shown["json"].code == plain["json"].code == 1
    assert [v["missing"] for v in answer["serving"]] == [
        v["missing"] for v in json.loads(plain["json"].stdout)["serving"]]


def test_a_provenance_of_another_snapshot_is_refused(cli, stored, tmp_path: Path) -> None:
    snapshot, provenance = stored
    other = Path("samples/messy.yaml")
    run = cli("lineage", str(other), "--provenance", str(provenance), "--endpoint", ENDPOINT)
    assert run.code == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    recorded = json.loads(provenance.read_text())["snapshot"]
    assert f"{provenance}:" in run.stderr and recorded in run.stderr
    assert "not the provenance of this snapshot" in run.stderr
    # the report refuses it too, and writes nothing
    html = tmp_path / "report.html"
    run = cli("report", str(other), "--provenance", str(provenance), "--html", str(html))
    assert run.code == 2 and "not the provenance" in run.stderr and not html.exists()
    # a provenance file that is not one: file, line and path
    broken = tmp_path / "broken.json"
    document = json.loads(provenance.read_text())
    document["resources"]["registry"]["name"] = "config"  # a list of sources, not a name
    text = json.dumps(document, indent=2)
    broken.write_text(text)
    run = cli("lineage", str(snapshot), "--provenance", str(broken), "--endpoint", ENDPOINT)
    assert run.code == 2 and run.stderr.count("\n") == 1
    line = text.splitlines().index('      "name": "config",') + 1
    assert f"broken.json:{line}: resources.registry.name:" in run.stderr, run.stderr
    # a composition brings its own
    run = cli("lineage", "--sources", str(CONFIG), "--provenance", str(provenance),
              "--endpoint", ENDPOINT)
    assert run.code == 2 and "--provenance" in run.stderr


def _report(cli, tmp_path: Path, name: str, *args: str) -> str:
    out = tmp_path / name
    run = cli("report", *args, "--html", str(out), "--generated-at", AT)
    assert run.code == 1, run.stderr  # the composition has findings
    return out.read_text()


def strip_provenance(html: str) -> str:
    """The report with what provenance adds taken out (see templates/macros.html.j2)."""
    html = re.sub(r' <span class="muted small">from [^<]*</span>', "", html)
    html = re.sub(r'<div class="muted small">[^<]* from [^<]*</div>', "", html)
    html = re.sub(r" The snapshot\s+was composed from several sources:.*?Sources</a>\)\.", "",
                  html, flags=re.S)
    return re.sub(r'\n  <h2 id="sources">.*?</table>', "", html, flags=re.S)


def test_report_names_each_fact_s_source_and_lists_the_sources(cli, stored,
                                                                tmp_path: Path) -> None:
    _, provenance_file = stored
    recorded = json.loads(provenance_file.read_text())
    html = _report(cli, tmp_path, "live.html", "--sources", str(CONFIG))
    inventory = html[html.index('id="inventory"'):html.index('id="lifecycle"')]
    assert "traffic, environment, deployed from cluster; stage, artifact from registry" in (
        inventory)
    assert '<span class="muted small">from registry, lineage</span>' in inventory
    # the appendix: every source, with the fields it gave (alone or alike with another)
    appendix = html[html.index('<h2 id="sources">'):]
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td class=\"mono\">([^<]*)</td>"
                      r"<td class=\"num\">(\d+)</td></tr>", appendix)
    given = {name: sum(name in sources for fields in recorded["resources"].values()
                       for sources in fields.values())
             for name in ["config"] + [s["name"] for s in recorded["sources"]]}
    assert [(name, int(n)) for name, _, _, n in rows] == list(given.items())
    assert [(kind, where) for _, kind, where, _ in rows[1:]] == [
        (s["kind"], s["origin"]) for s in recorded["sources"]]
    assert all(n > 0 for n in given.values())


def test_report_without_provenance_is_unchanged(cli, stored, tmp_path: Path) -> None:
    snapshot, provenance = stored
    plain = _report(cli, tmp_path, "plain.html", str(snapshot))
    shown = _report(cli, tmp_path, "shown.html", str(snapshot), "--provenance",
                    str(provenance))
    assert 'id="sources"' not in plain and "muted small\">from" not in plain
    assert shown != plain
    assert strip_provenance(shown) == plain
    # one judge: the same result document is embedded (its SHA-256 is printed)
    digest = re.compile(r"SHA-256 <span class=\"mono\">([0-9a-f]{64})</span>")
    assert digest.findall(shown) == digest.findall(plain) != []


@pytest.mark.slow
def test_pdf_report_of_a_composition_shows_the_sources(cli, tmp_path: Path) -> None:
    import pypdf
    pdf = tmp_path / "report.pdf"
    run = cli("report", "--sources", str(CONFIG), "-o", str(pdf), "--generated-at", AT)
    assert run.code == 1, run.stderr
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    assert re.search(r"A\.\d Sources", text)
    assert "from cluster" in text and "from registry, lineage" in text
