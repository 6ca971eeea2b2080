"""Compliance reports (PDF/A and HTML): what an auditor reads, checked on the output itself.

The PDF is rendered once per module through the command line (a real process, as a user
runs it) and examined with pypdf and pdftoppm: the facts are in its text, page 1 is not
blank, the embedded result document is the scan's JSON byte for byte, hostile snapshot
text stays text, the metadata is set, and the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import pypdf
import pytest
from PIL import Image

from checker import __version__
from checker.sources.file import FileSource
from conftest import SAMPLES, run_cli
from reports.chart import category_chart
from reports.context import (DIGEST_SCRIPT, FRAMEWORKS, RESULT_ATTACHMENT, CategoryRow,
                             weasyprint_version)
from tool_support import missing

# Where the HarfBuzz-Subset library is missing, WeasyPrint falls back to fontTools and
# says so; the output is the same (and reproducible: see reports/pdf.py).
pytestmark = pytest.mark.filterwarnings("ignore:HarfBuzz-Subset:DeprecationWarning")

MESSY = SAMPLES / "messy.yaml"
GENERATED_AT = "2026-11-21T09:30:00Z"
HOSTILE = '<img src="file:///etc/passwd">'
HOSTILE_LINK = '<link href="http://attacker.example/x.css">'
# One accepted finding and one waiver that matches nothing, so both waiver paths render.
WAIVED = ("ALM-ROLL-001", "fraud-scoring-prod/Fraud_Detector_XGB@3.1.0")
WAIVERS = {"waivers": [
    {"rule_id": WAIVED[0], "resource": WAIVED[1],
     "justification": "Emergency fix for a false-positive spike; canary skipped (INC-4711).",
     "approved_by": "cro@contoso.com", "approved_at": "2026-11-10T09:00:00Z",
     "expires_at": "2026-12-10T09:00:00Z"},
    {"rule_id": "ALM-MON-001", "resource": "no-such-endpoint/*",
     "justification": "Left over from the 2025 migration.",
     "approved_by": "cro@contoso.com", "approved_at": "2026-11-10T09:00:00Z",
     "expires_at": "2026-12-10T09:00:00Z"}]}


@dataclass
class Rendered:
    pdf: Path
    html: Path
    pdf_bytes: bytes
    html_text: str
    waivers: Path
    stderr: str
    code: int


def _env_without_epoch() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}


def render(out: Path, waivers: Path, *extra: str) -> Rendered:
    pdf, html = out / "report.pdf", out / "report.html"
    proc = subprocess.run(
        [sys.executable, "-m", "checker", "report", str(MESSY), "-o", str(pdf), "--html",
         str(html), "--generated-at", GENERATED_AT, "--waivers", str(waivers), *extra],
        capture_output=True, timeout=300, cwd=SAMPLES.parent,
        env={**_env_without_epoch(), "NO_COLOR": "1"})
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode in (0, 1), stderr
    return Rendered(pdf, html, pdf.read_bytes(), html.read_text(encoding="utf-8"), waivers,
                    stderr, proc.returncode)


@pytest.fixture(scope="module")
def waivers_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("waivers") / "waivers.json"
    path.write_text(json.dumps(WAIVERS))
    return path


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory, waivers_file: Path) -> Rendered:
    return render(tmp_path_factory.mktemp("report"), waivers_file)


@pytest.fixture(scope="module")
def reader(messy: Rendered) -> pypdf.PdfReader:
    return pypdf.PdfReader(messy.pdf)


@pytest.fixture(scope="module")
def pdf_text(reader: pypdf.PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture(scope="module")
def snapshot_doc() -> dict:
    return FileSource(MESSY).load().document


@pytest.fixture(scope="session")
def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found is None:
        missing("pdftoppm, to look at the PDF's pages", "apt-get install poppler-utils")
    return found


def squeeze(text: str) -> str:
    """Text without whitespace: long digests and URIs wrap anywhere in the layout."""
    return re.sub(r"\s+", "", text)


def production_facts(document: dict) -> tuple[set[str], set[str]]:
    """Production endpoint names and the digests of the datasets their serving versions
    name in their lineage (what the inventory must show)."""
    endpoints = {d["endpoint"] for d in document["deployments"]
                 if d["environment"] == "production"}
    serving = {(d["model"], d["version"]) for d in document["deployments"]
               if d["endpoint"] in endpoints and d["traffic_percent"] > 0}
    datasets = {(d["name"], d["version"]): d.get("digest") for d in document["datasets"]}
    digests = set()
    for model in document["models"]:
        for version in model.get("versions", ()):
            if (model["name"], version["version"]) not in serving:
                continue
            lineage = version.get("lineage") or {}
            for ref in lineage.get("training_data", []) + lineage.get("evaluation_data", []):
                digest = datasets.get((ref["dataset"], ref["version"]))
                if digest:
                    digests.add(digest)
    return endpoints, digests


# ------------------------------------------------------------------------------- content

def test_pdf_text_has_endpoints_dataset_digests_and_finding_rules(messy: Rendered,
                                                                  pdf_text: str,
                                                                  snapshot_doc: dict):
    text = squeeze(pdf_text)
    endpoints, digests = production_facts(snapshot_doc)
    assert len(endpoints) == 8 and len(digests) >= 10
    for name in endpoints:
        assert name in text, name
    for digest in digests:
        assert digest in text, digest
    result = json.loads(run_cli("scan", str(MESSY), "--format", "json", "--waivers",
                                str(messy.waivers)).stdout)
    for finding in result["findings"]:
        assert finding["rule_id"] in text
    for needle in ("Executivesummary", "Controls", "Productioninventoryandlineage",
                   "Modellifecycle", "Findingsandremediation", "Rulecatalog", "Howtoverify",
                   "contoso-foundry-legacy", "ContosoBank", result["snapshot"]["digest"],
                   result["policies"]["digest"], f"almguard{__version__}"):
        assert needle in text, needle


def test_inventory_says_plainly_where_lineage_is_missing(pdf_text: str):
    text = squeeze(pdf_text)
    # the gap is the lineage rule's finding on that deployment, with its rule id
    assert "churn-predictor@2.0.0:ALM-LIN-001" in text and "whichhasnotraining-datalineage" in text
    assert "lineagemissing" in text.lower() and "lineagecomplete" in text.lower()
    # credit-risk-prod serves two versions: both are traced
    assert "credit-risk-scorer@1.2.0" in text and "credit-risk-scorer@1.1.0" in text


def test_running_header_footer_and_page_numbers(reader: pypdf.PdfReader):
    pages = len(reader.pages)
    second = squeeze(reader.pages[1].extract_text())
    last = squeeze(reader.pages[-1].extract_text())
    assert "contoso-foundry-legacy" in second and f"Page2of{pages}" in second
    assert f"Page{pages}of{pages}" in last
    # A4 portrait, except the lifecycle's landscape pages
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
             for p in reader.pages}
    assert (595, 842) in sizes and sizes <= {(595, 842), (842, 595)}


def test_waived_finding_is_shown_waived_with_its_waiver(pdf_text: str, messy: Rendered):
    text = squeeze(pdf_text)
    assert squeeze("Emergency fix for a false-positive spike; canary skipped (INC-4711).") in text
    assert "waived" in pdf_text.lower() and "cro@contoso.com" in text
    assert "no-such-endpoint/*" in text      # the unused waiver is listed
    assert "1 waived" in messy.stderr


def test_page_one_renders_to_a_picture_that_is_not_blank(messy: Rendered, pdftoppm: str,
                                                         tmp_path: Path):
    subprocess.run([pdftoppm, "-r", "40", "-png", "-f", "1", "-l", "1", str(messy.pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    (png,) = tmp_path.glob("page*.png")
    image = Image.open(png).convert("L")
    inked = sum(image.histogram()[:200])
    assert inked / (image.width * image.height) > 0.05, "page 1 is (nearly) blank"


# ------------------------------------------------------------------------------- integrity

def test_embedded_result_is_the_scan_json_byte_for_byte(reader: pypdf.PdfReader,
                                                        messy: Rendered, pdf_text: str):
    attachments = reader.attachments
    assert list(attachments)[0] == RESULT_ATTACHMENT   # the AI-BOM follows (test_bom.py)
    (embedded,) = attachments[RESULT_ATTACHMENT]
    scan = run_cli("scan", str(MESSY), "--format", "json", "--waivers", str(messy.waivers))
    assert scan.code == 1
    assert embedded == scan.stdout.encode("utf-8")
    assert json.loads(embedded)["summary"]["waived"] == 1
    # the report prints the attachment's SHA-256 for `sha256sum` to check
    assert hashlib.sha256(embedded).hexdigest() in squeeze(pdf_text)


def test_pdf_is_pdf_a_3b_with_the_attachment_associated(reader: pypdf.PdfReader):
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data()
    rdf = ET.fromstring(xmp.split(b"?>", 1)[1].rsplit(b"<?xpacket", 1)[0])
    ns = "{http://www.aiim.org/pdfa/ns/id/}"
    parts = [d.get(f"{ns}part") for d in rdf.iter() if d.get(f"{ns}part")]
    conformance = [d.get(f"{ns}conformance") for d in rdf.iter()
                   if d.get(f"{ns}conformance")]
    assert parts == ["3"] and conformance == ["B"]
    assert reader.pdf_header == "%PDF-1.7"
    assert "/OutputIntents" in root
    specs = [ref.get_object() for ref in root["/AF"]]
    assert len({s["/F"] for s in specs}) == len(specs) == len(reader.attachments)
    (source,) = [s for s in specs if s["/AFRelationship"] == "/Source"]
    assert source["/F"] == RESULT_ATTACHMENT


def test_pdf_metadata(reader: pypdf.PdfReader):
    meta = reader.metadata
    assert meta["/Title"] == "ALM compliance report: contoso-foundry-legacy"
    assert meta["/Subject"].startswith("Policy compliance of the model registry "
                                       "contoso-foundry-legacy")
    assert meta["/Creator"] == f"almguard {__version__} (WeasyPrint {weasyprint_version()})"
    assert meta["/Producer"].startswith("WeasyPrint")
    assert meta["/CreationDate"] == meta["/ModDate"] == "D:20261121093000Z"


def test_same_inputs_give_identical_pdf_and_html(messy: Rendered, waivers_file: Path,
                                                 tmp_path: Path):
    again = render(tmp_path, waivers_file)
    assert again.pdf_bytes == messy.pdf_bytes
    assert again.html_text == messy.html_text


def test_generated_at_changes_the_dates_and_nothing_else_of_the_result(messy: Rendered,
                                                                       tmp_path: Path):
    html = tmp_path / "r.html"
    run = run_cli("report", str(MESSY), "--html", str(html), "--waivers", str(messy.waivers),
                  "--generated-at", "2027-01-02T03:04:05+01:00")
    assert run.code == 1
    text = html.read_text(encoding="utf-8")
    assert "2027-01-02T02:04:05Z" in text and GENERATED_AT not in text
    assert text.replace("2027-01-02T02:04:05Z", GENERATED_AT).replace(
        "2027-01-02 02:04:05 UTC", "2026-11-21 09:30 UTC") == messy.html_text


def test_generation_time_from_source_date_epoch(tmp_path: Path):
    html = tmp_path / "r.html"
    proc = subprocess.run([sys.executable, "-m", "checker", "report", str(MESSY), "--html",
                           str(html)], capture_output=True, timeout=120,
                          env={**os.environ, "SOURCE_DATE_EPOCH": "1795000000"})
    assert proc.returncode == 1
    assert '<meta name="dcterms.created" content="2026-11-18T11:06:40Z">' in html.read_text()


@pytest.mark.parametrize("args, message", [
    (["--generated-at", "2026-11-21 09:30"], "not an RFC 3339 time"),
    (["--generated-at", "2026-11-21T09:30:00"], "not an RFC 3339 time"),
])
def test_bad_generation_time_is_one_line_and_exit_2(cli, tmp_path: Path, args, message):
    run = cli("report", str(MESSY), "--html", str(tmp_path / "r.html"), *args)
    assert run.code == 2 and message in run.stderr and len(run.stderr.splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


def test_bad_source_date_epoch_is_refused(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "checker", "report", str(MESSY), "--html",
                           str(tmp_path / "r.html")], capture_output=True, timeout=120,
                          env={**os.environ, "SOURCE_DATE_EPOCH": "yesterday"})
    assert proc.returncode == 2 and b"SOURCE_DATE_EPOCH" in proc.stderr


def test_report_needs_an_output_and_a_pdf_name_for_the_pdf(cli, tmp_path: Path):
    run = cli("report", str(MESSY))
    assert run.code == 2 and "-o FILE" in run.stderr
    run = cli("report", str(MESSY), "-o", str(tmp_path / "report.html"))
    assert run.code == 2 and "use --html FILE" in run.stderr


# ------------------------------------------------------------------------------- safety

def test_hostile_description_is_inert_visible_text(messy: Rendered, pdf_text: str):
    # the PDF shows the markup as text ...
    assert squeeze(HOSTILE) in squeeze(pdf_text)
    assert squeeze(HOSTILE_LINK) in squeeze(pdf_text)
    # ... and the HTML escapes it: no element came from the snapshot
    html = messy.html_text
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "&lt;link href=&#34;http://attacker.example/x.css&#34;&gt;" in html
    assert "<img" not in html and "<link" not in html and "<script" not in html
    assert re.findall(r'\ssrc="', html) == []
    assert all(href.startswith("#") for href in re.findall(r'\shref="([^"]*)"', html))


def test_pdf_rendering_of_the_hostile_sample_fetches_nothing(messy: Rendered):
    """In process, with the recording fetcher: laying out the report asks for no URL."""
    from reports import build_context, render_html
    from reports.pdf import AssetFetcher, render_pdf
    from reports.timestamp import parse_rfc3339
    from checker.policyset import load_policies
    from checker.results import parse_result

    result = parse_result(run_cli("scan", str(MESSY), "--format", "json", "--waivers",
                                  str(messy.waivers)).stdout)
    snapshot = FileSource(MESSY).load()
    policies = load_policies([], [])
    context = build_context(result, snapshot, tuple(policies.rules.values()),
                            generated_at=parse_rfc3339(GENERATED_AT))
    html = render_html(context)
    assert html == messy.html_text       # the CLI renders exactly this view model
    from checker.resources import templates_dir
    fetcher = AssetFetcher(templates_dir())
    output = render_pdf(html, generated_at=parse_rfc3339(GENERATED_AT),
                        result_json=result.to_json(), attachment_name=RESULT_ATTACHMENT,
                        fetcher=fetcher)
    assert fetcher.attempts == [] and fetcher.refused == []
    # the same pages as the CLI's (which also attaches the AI-BOM)
    assert [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(output.data)).pages] == [
        p.extract_text() for p in pypdf.PdfReader(messy.pdf).pages]


def test_url_fetcher_serves_only_packaged_assets(tmp_path: Path):
    """Defence in depth: even markup that escaped escaping cannot read files or the net."""
    from checker.resources import templates_dir
    from reports.pdf import AssetFetcher, render_pdf
    from reports.timestamp import parse_rfc3339

    outside = tmp_path / "secret.css"
    outside.write_text("body { color: red }")
    root = templates_dir()
    html = (f'<html><head><link rel="stylesheet" href="report.css">'
            f'<link rel="stylesheet" href="http://attacker.example/x.css">'
            f'<link rel="stylesheet" href="{outside.as_uri()}">'
            f'<link rel="stylesheet" href="../reports/__init__.py">'
            f'</head><body>{HOSTILE}<img src="https://attacker.example/pixel.png">'
            f'<img src="data:image/png;base64,iVBORw0KGgo="><p>hello</p></body></html>')
    fetcher = AssetFetcher(root)
    output = render_pdf(html, generated_at=parse_rfc3339(GENERATED_AT), result_json="{}\n",
                        attachment_name=RESULT_ATTACHMENT, fetcher=fetcher)
    assert output.pages >= 1
    assert (root / "report.css").as_uri() in fetcher.attempts
    assert set(fetcher.attempts) - set(fetcher.refused) == {(root / "report.css").as_uri()}
    refused = " ".join(fetcher.refused)
    for url in ("file:///etc/passwd", "http://attacker.example/x.css", outside.as_uri(),
                "https://attacker.example/pixel.png", "data:image/png"):
        assert url in refused, url
    assert "__init__.py" in refused


# ------------------------------------------------------------------------------- HTML form

def test_html_form_has_the_same_facts(messy: Rendered, snapshot_doc: dict):
    html = messy.html_text
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    endpoints, digests = production_facts(snapshot_doc)
    for fact in endpoints | digests:
        assert fact in html
    for section in ("Executive summary", "Controls", "Production inventory and lineage",
                    "Model lifecycle", "Findings and remediation", "Rule catalog",
                    "How to verify this report", "<svg"):
        assert section in html
    assert f'content="almguard {__version__} (WeasyPrint' in html


def test_scan_report_option_writes_the_report_and_keeps_the_scan(cli, tmp_path: Path):
    html = tmp_path / "scan-report.html"
    run = cli("scan", str(MESSY), "--format", "json", "--report", str(html),
              "--generated-at", GENERATED_AT)
    assert run.code == 1
    assert json.loads(run.stdout)["summary"]["verdict"] == "fail"
    assert "contoso-foundry-legacy" in html.read_text(encoding="utf-8")
    bad = cli("scan", str(MESSY), "--report", str(tmp_path / "report.txt"))
    assert bad.code == 2 and "name a .pdf or .html file" in bad.stderr


def test_compliant_registry_reads_pass(cli, tmp_path: Path):
    html = tmp_path / "ok.html"
    run = cli("report", str(SAMPLES / "compliant.yaml"), "--html", str(html),
              "--generated-at", GENERATED_AT)
    assert run.code == 0
    text = html.read_text(encoding="utf-8")
    assert "PASS" in text and "No findings" in text
    assert "Every version serving a production endpoint traces" in text
    assert "lineage complete" in text and "lineage missing</span>" not in text


def _framework_headings(html: str) -> list[str]:
    return [h.strip() for h in re.findall(r'<h2 class="framework">([^<]*)<', html)]


def _controls_shown(html: str) -> list[str]:
    chapter = html.split('id="controls"')[1].split("</section>")[0]
    return [re.sub(r"<[^>]+>", "", cell)
            for cell in re.findall(r'<td class="control-name">(.*?)</td>', chapter)]


def test_controls_view_groups_by_framework_and_includes_the_bank_frameworks(messy: Rendered):
    # every framework the rules cite, in order; no control is left under "Other"
    assert _framework_headings(messy.html_text) == [f.title for f in FRAMEWORKS]
    shown = _controls_shown(messy.html_text)
    assert {"SR 11-7 §IV", "SR 11-7 §V", "SR 11-7 §VI", "PRA SS1/23 Principle 1",
            "PRA SS1/23 Principle 2", "PRA SS1/23 Principle 3"} <= set(shown)
    # within a framework in natural order: Art. 9 before Art. 10, §IV before §V before §VI
    assert shown.index("EU AI Act Art. 9") < shown.index("EU AI Act Art. 10")
    assert shown.index("SR 11-7 §IV") < shown.index("SR 11-7 §V") < shown.index("SR 11-7 §VI")


def test_controls_view_can_be_limited_to_chosen_frameworks(cli, tmp_path: Path):
    html = tmp_path / "banks.html"
    run = cli("report", str(MESSY), "--html", str(html), "--generated-at", GENERATED_AT,
              "--frameworks", "pra-ss1-23,sr-11-7")
    assert run.code == 1, run.stderr
    text = html.read_text(encoding="utf-8")
    assert _framework_headings(text) == [f.title for f in FRAMEWORKS
                                         if f.key in ("sr-11-7", "pra-ss1-23")]
    assert all(c.startswith(("SR 11-7 ", "PRA SS1/23 ")) for c in _controls_shown(text))
    # the rest of the report is unchanged: the findings still cite every framework
    assert "EU AI Act Art. 10" in re.sub(r"<[^>]+>", "", text)
    bad = cli("report", str(MESSY), "--html", str(tmp_path / "x.html"), "--frameworks", "sox")
    assert bad.code == 2
    assert bad.stderr.strip().splitlines()[-1] == (
        "almguard: error: --frameworks: unknown framework 'sox' (known: eu-ai-act, "
        "nist-ai-rmf, iso-42001, sr-11-7, pra-ss1-23, other)")
    assert not (tmp_path / "x.html").exists()


# ------------------------------------------------------------------------------- layout
# What a reader sees on the page (issue #16.8): pdftotext's lines are the lines as laid out.

@pytest.fixture(scope="session")
def pdftotext() -> str:
    found = shutil.which("pdftotext")
    if found is None:
        missing("pdftotext, to read the PDF's lines", "apt-get install poppler-utils")
    return found


@pytest.fixture(scope="module")
def pdf_lines(messy: Rendered, pdftotext: str) -> list[str]:
    text = subprocess.run([pdftotext, "-enc", "UTF-8", str(messy.pdf), "-"], check=True,
                          capture_output=True, timeout=60).stdout.decode("utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def catalog() -> list:
    from checker.policyset import load_policies
    return list(load_policies([], []).rules.values())


def _split_across(lines: list[str], text: str, allowed: set[int]) -> list[tuple[str, str]]:
    """Places where `text` is cut between one line and the next at a position not in
    `allowed` (character offsets into `text` where a line may end)."""
    cuts = []
    for first, second in zip(lines, lines[1:]):
        for k in range(1, len(text)):
            if k in allowed:
                continue
            head, tail = text[:k].rstrip(), text[k:].lstrip()
            if head and tail and first.endswith(head) and second.startswith(tail):
                cuts.append((first, second))
    return cuts


def test_control_clause_ids_never_break_across_lines(pdf_lines: list[str], catalog: list):
    from reports.context import framework_of

    controls = sorted({c for rule in catalog for c in rule.controls})
    assert any(c.startswith("ISO/IEC 42001 A.") for c in controls)
    text = "\n".join(pdf_lines)
    for control in controls:
        prefix = framework_of(control).prefix
        # a line may end only between the framework and the clause ('ISO/IEC 42001' |
        # 'A.6.2.3'), never inside either ('ISO/IEC 42001 A.' | '6.2.3')
        allowed = {len(prefix), len(prefix) + 1} if prefix else set()
        assert _split_across(pdf_lines, control, allowed) == [], control
        clause = control[len(prefix):].strip()
        assert clause in text, control


def test_rule_counts_stay_with_their_labels(pdf_lines: list[str]):
    start = next(i for i, line in enumerate(pdf_lines)
                 if line.startswith("Each regulatory control cited by the rules"))
    controls = pdf_lines[start:pdf_lines.index("Production inventory and lineage", start)]
    counts = [line for line in controls if re.search(r"· \d+ of \d+", line)]
    assert len(counts) > 100
    for line in controls:
        # '· 1 of 14' is never alone, cut in two, or left behind by its rule's title
        assert not re.match(r"^(· )?\d+ of \d+|^of \d+", line), line
        assert not re.search(r"(·|· \d+| of)$", line), line


def test_remediation_code_spans_are_code_not_backticks(messy: Rendered, pdf_lines: list[str],
                                                        catalog: list):
    quoted = {w for rule in catalog for text in (rule.remediation, rule.description or "")
              for w in re.findall(r"`([^`]+)`", text)}
    assert "evaluations" in quoted
    assert not any("`" in line for line in pdf_lines)
    html = messy.html_text
    assert "<code>evaluations</code>" in html and "`" not in html.split('id="findings"')[1]
    assert "resultsunderevaluations(metric" in squeeze("".join(pdf_lines))  # word kept


def test_code_spans_escape_everything_else():
    from reports.text import code_spans
    assert code_spans("use `a<b>` & <i>`c`</i> `") == (
        "use <code>a&lt;b&gt;</code> &amp; &lt;i&gt;<code>c</code>&lt;/i&gt; `")
    # snapshot text is not rule metadata: a backtick in a description stays as written
    assert "`" in (SAMPLES / "compliant.yaml").read_text()


def test_email_addresses_break_only_after_the_at_sign(messy: Rendered, pdf_lines: list[str],
                                                      snapshot_doc: dict):
    models = snapshot_doc["models"]
    versions = [v for m in models for v in m.get("versions", ())]
    emails = ({m["owner"] for m in models if m.get("owner")}
              | {v["created_by"] for v in versions if v.get("created_by")}
              | {a["approved_by"] for v in versions for a in v.get("approvals", ())})
    assert len(emails) > 10 and all("@" in e for e in emails)
    text = "\n".join(pdf_lines)
    broken = 0
    for email in sorted(emails):
        at = email.index("@") + 1
        assert _split_across(pdf_lines, email, {at}) == [], email
        broken += text.count(email[:at] + "\n" + email[at:])
    assert broken > 0            # narrow columns do break some, and only there
    # copying still gives the address: the break point is an element, not a character
    assert "alice.nguyen@<wbr>contoso.com" in messy.html_text
    assert not re.search("[\u00ad\u200b\u2060]", messy.html_text)


def test_no_page_is_left_mostly_blank_by_a_chapter_break(messy: Rendered, pdftoppm: str,
                                                          reader: pypdf.PdfReader,
                                                          tmp_path: Path):
    """Chapters follow each other on the same page; only the switch to and from the
    lifecycle's landscape pages (and the end) may leave a page part-filled."""
    subprocess.run([pdftoppm, "-r", "30", "-gray", "-png", str(messy.pdf),
                    str(tmp_path / "p")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("p*.png"))
    shapes, filled = [], []
    for png in pages:
        image = Image.open(png).convert("L")
        width, height = image.size
        long_mm = 297 if height > width else 210
        top, bottom = round(height * 21 / long_mm), height - round(height * 18 / long_mm)
        body = image.crop((0, top + 2, width, bottom - 2))
        inked = [y for y in range(body.height)
                 if body.crop((0, y, width, y + 1)).getextrema()[0] < 200]
        shapes.append(height > width)
        filled.append((max(inked) + 1) / body.height if inked else 0.0)
    assert len(pages) == len(reader.pages)
    for i in range(1, len(pages) - 1):             # the cover and the last page aside
        if shapes[i] != shapes[i + 1]:
            continue                              # the orientation changes after it
        assert filled[i] > 0.6, f"page {i + 1} is {filled[i]:.0%} filled"


# ------------------------------------------------------------------------------- content

def _lifecycle_and_facts(html: str) -> tuple[dict[str, str], dict[str, str]]:
    """Each model's part of the lifecycle chapter, and appendix A.4's line of each
    version (by 'model@version')."""
    chapter = html.split('id="lifecycle"')[1].split("</section>")[0]
    parts = {}
    for body in chapter.split('<tbody class="model">')[1:]:
        parts[re.search(r"<h3>([^<]+?) <span", body).group(1)] = body
    facts = dict(re.findall(r'<p class="facts-line"><b>([^<]+)</b>(.*?)</p>', html))
    return parts, facts


def _every_version_is_shown_once(html: str, document: dict) -> int:
    parts, facts = _lifecycle_and_facts(html)
    assert sorted(parts) == sorted(m["name"] for m in document["models"])
    listed = 0
    for model in document["models"]:
        for v in model.get("versions", ()):
            key = f"{model['name']}@{v['version']}"
            in_table = f"<td><b>{v['version']}</b> " in parts[model["name"]]
            assert in_table != (key in facts), key
            if key in facts:
                listed += 1
                # named under its model, and its recorded facts written out in A.4
                assert f"{v['version']} ({v['stage']})" in parts[model["name"]], key
                for a in v.get("approvals", ()):
                    assert a["approved_by"] in facts[key], key
    return listed


def test_versions_without_traffic_or_findings_keep_their_facts_in_the_appendix(
        cli, tmp_path: Path):
    html = tmp_path / "ok.html"
    assert cli("report", str(SAMPLES / "compliant.yaml"), "--html", str(html),
               "--generated-at", GENERATED_AT).code == 0
    text = html.read_text(encoding="utf-8")
    document = FileSource(SAMPLES / "compliant.yaml").load().document
    assert _every_version_is_shown_once(text, document) == 2
    assert "A.4 Recorded facts of the other versions" in text
    assert "credit-risk-scorer@1.0.0</b> retired" in text
    assert "deletion certificate DDC-2026-0117" in text


def test_report_of_a_generated_registry_keeps_every_finding_and_every_lineage(
        cli, tmp_path: Path):
    """The content a large registry's report must keep (issue #15.4), on a small one."""
    from checker.generate import generate

    document = generate(60, violations=0.3, seed=7)
    snapshot = tmp_path / "registry.json"
    snapshot.write_text(json.dumps(document))
    html = tmp_path / "r.html"
    run = cli("report", str(snapshot), "--html", str(html), "--generated-at", GENERATED_AT)
    assert run.code == 1, run.stderr
    text = html.read_text(encoding="utf-8")
    result = json.loads(run_cli("scan", str(snapshot), "--format", "json").stdout)
    findings = text.split('id="findings"')[1].split("</section>")[0]
    assert result["findings"]
    for f in result["findings"]:
        assert f["rule_id"] in findings and f["resource"]["id"] in findings, f
    endpoints, digests = production_facts(document)
    inventory = text.split('id="inventory"')[1].split("</section>")[0]
    assert endpoints and digests
    for fact in endpoints | digests:
        assert fact in inventory, fact
    assert _every_version_is_shown_once(text, document) > 0


# ------------------------------------------------------------------------------- pieces

def test_digest_recipe_in_the_report_recomputes_the_snapshot_digest(messy: Rendered):
    assert DIGEST_SCRIPT in messy.html_text.replace("&#34;", '"').replace("&#39;", "'")
    proc = subprocess.run([sys.executable, "-", str(MESSY)], input=DIGEST_SCRIPT.encode(),
                          capture_output=True, check=True, timeout=60)
    digest = "sha256:" + hashlib.sha256(proc.stdout).hexdigest()
    assert digest == FileSource(MESSY).load().digest
    assert digest in messy.html_text


def test_chart_is_deterministic_escaped_svg():
    rows = [CategoryRow("lineage", 2, 0, 50, 2), CategoryRow("<script>", 0, 0, 0, 0),
            CategoryRow("approval", 0, 1, 10, 0)]
    svg = category_chart(rows)
    assert svg == category_chart(rows)
    root = ET.fromstring(str(svg))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "<script>" in texts and "96 %  (2 of 50 checks failing)" in texts
    assert "no resources to check" in texts and "100 %  (0 of 10 checks failing)" in texts
    assert "<script>" not in str(svg)
