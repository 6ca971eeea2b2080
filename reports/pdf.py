"""The PDF form of a report: WeasyPrint, PDF/A-3b, the result document attached.

Three promises are kept here:

* Safe rendering. WeasyPrint would otherwise follow any URL in the document (file://,
  http://) while laying it out. The HTML is autoescaped, so snapshot text cannot become an
  element; as a second line of defence the URL fetcher serves only regular files inside
  the packaged templates directory and refuses everything else (other files, the
  network, data: URLs), and it records every attempt so tests can prove none happened.
* Archival. PDF/A-3b (ISO 19005-3) with the JSON result document embedded as an
  associated file (relationship Source): the machine-readable result travels inside the
  human-readable one, and an auditor can recompute its digest.
* Reproducibility. Every date in the file is the report's generation time, and the PDF
  file identifier WeasyPrint writes for PDF/A is a hash of the content (pydyf), so the
  same inputs and the same generation time give byte-identical files. One clock hides in
  the font subsetter: where HarfBuzz-Subset is missing, WeasyPrint subsets with fontTools,
  which stamps each embedded font's `head.modified` with the time of saving unless
  $SOURCE_DATE_EPOCH is set; we set it to the generation time while the PDF is written.
"""

from __future__ import annotations

import gc
import mimetypes
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint import HTML, Attachment
from weasyprint.urls import URLFetcher, URLFetcherResponse

from checker.resources import templates_dir

PDF_VARIANT = "pdf/a-3b"


class AssetFetcher(URLFetcher):
    """Serves file: URLs inside one directory (our templates); refuses all else."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False,
                         fail_on_errors=False)
        self.root = root.resolve()
        self.attempts: list[str] = []
        self.refused: list[str] = []

    def _local(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(parts.path)).resolve()   # decodes %xx once
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        self.attempts.append(url)
        path = self._local(url)
        if path is None:
            self.refused.append(url)
            raise ValueError(f"almguard reports fetch only packaged assets; refused {url!r}")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                  headers={"Content-Type": kind})


@contextmanager
def _font_clock(moment: datetime) -> Iterator[None]:
    """$SOURCE_DATE_EPOCH = moment while fonts are subset (fontTools reads it), then
    restore whatever was there: the process environment is shared state."""
    key = "SOURCE_DATE_EPOCH"
    before = os.environ.get(key)
    os.environ[key] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if before is None:
            del os.environ[key]
        else:
            os.environ[key] = before


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Rare garbage collections while WeasyPrint works: laying out a long report creates
    millions of short-lived objects, and at Python's default thresholds the collector took
    about a fifth of the time of a 150-page report (peak memory the same either way). The
    thresholds are process-wide state: restored afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _unique_associated_files(document: object, pdf: Any) -> None:
    """WeasyPrint 70 lists each attachment twice in the catalog's /AF array (once from the
    EmbeddedFiles name tree, once from the file specification); list each once."""
    associated = pdf.catalog.get("AF")
    if associated:
        unique = list(dict.fromkeys(associated))
        associated.clear()
        associated.extend(unique)


@dataclass(frozen=True)
class ExtraAttachment:
    """A file embedded beside the result document (e.g. the AI-BOM): name, bytes, what it
    is. Its relationship to the report is Supplement: another machine-readable form of
    facts the report shows."""

    name: str
    data: bytes
    description: str
    relationship: str = "Supplement"


@dataclass(frozen=True)
class PdfOutput:
    data: bytes
    pages: int
    fetched: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def render_pdf(html: str, *, generated_at: datetime, result_json: str,
               attachment_name: str, fetcher: AssetFetcher | None = None,
               extra_attachments: Sequence[ExtraAttachment] = ()) -> PdfOutput:
    """Lay out the report HTML as a PDF/A-3b with the result JSON attached, then any extra
    attachments (same dates; names must sort after the result's, so the embedded-files
    name tree, which lists them in this order, stays sorted).

    The title, subject, generator and dates come from the HTML's <title> and <meta>
    elements (one source for both forms); here we add the attachments and the variant.
    """
    root = templates_dir()
    fetcher = fetcher or AssetFetcher(root)
    with _fewer_collections():
        document = HTML(string=html, base_url=root.as_uri() + "/",
                        url_fetcher=fetcher).render()
    attachment = Attachment(string=result_json.encode("utf-8"), name=attachment_name,
                            description="almguard result document (results-v1 JSON) this "
                            "report was rendered from",
                            created=generated_at, modified=generated_at,
                            relationship="Source", url_fetcher=fetcher)
    attachments = [attachment]
    for extra in extra_attachments:
        if extra.name <= attachments[-1].name:
            raise ValueError(f"attachment {extra.name!r} must sort after "
                             f"{attachments[-1].name!r}")
        attachments.append(Attachment(string=extra.data, name=extra.name,
                                      description=extra.description, created=generated_at,
                                      modified=generated_at,
                                      relationship=extra.relationship, url_fetcher=fetcher))
    with _font_clock(generated_at), _fewer_collections():
        data = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments,
                                  finisher=_unique_associated_files)
    assert isinstance(data, bytes)
    return PdfOutput(data, len(document.pages), list(fetcher.attempts), list(fetcher.refused))
