"""The HTML form of a report: one Jinja template set, autoescaped, self-contained.

The same HTML string is the `--html` output and the input WeasyPrint lays out as PDF, so
the two forms cannot drift apart. Autoescaping is on for every template whatever its file
name: snapshot text (descriptions, URIs, messages that quote them) is data and must come
out as visible text, never as markup. Undefined variables are errors, so a typo in a
template fails the tests instead of printing nothing. The stylesheet and the chart are
inlined: the HTML file needs nothing beside it, and the PDF renderer fetches nothing.

WeasyPrint's cost grows with the number of elements and laid-out lines far more than with
pages, so the big parts (inventory, lifecycle, appendix A.4) are one table each with plain
text in their cells: facts separated by newline characters (`lines`, in cells styled
white-space: pre-line) rather than an element per fact.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from checker.resources import templates_dir

from .context import Evidence, ReportContext, framework_of
from .text import clause, code_spans, compact_time, number, percent, short_time, wrap_emails

TEMPLATE = "report.html.j2"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment: autoescape always, strict undefined, our filters."""
    env = Environment(loader=FileSystemLoader(str(templates_dir())), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["short_time"] = short_time
    env.filters["percent"] = percent
    env.filters["number"] = number
    env.filters["compact_time"] = compact_time
    env.filters["code_spans"] = code_spans
    env.filters["emails"] = wrap_emails
    env.filters["control"] = control
    env.filters["lines"] = evidence_lines
    env.filters["inline"] = evidence_inline
    return env


def control(reference: str) -> Markup:
    """A control reference with its framework and its clause each unbreakable."""
    return clause(reference, framework_of(reference).prefix)


def evidence_lines(items: Sequence[Evidence]) -> Markup:
    """Recorded facts one per line ('• ' first), for a cell styled white-space: pre-line:
    the line breaks are characters, not elements, which keeps big tables cheap to lay out."""
    return Markup("\n").join(Markup("• ") + e.text for e in items)


def evidence_inline(items: Sequence[Evidence]) -> Markup:
    """Recorded facts in one run of text, separated by semicolons."""
    return Markup("; ").join(e.text for e in items)


def render_html(context: ReportContext) -> str:
    """The report as one HTML document (UTF-8 text, deterministic for one context)."""
    return environment().get_template(TEMPLATE).render(r=context)
