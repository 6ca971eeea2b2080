"""The HTML form of a report: one Jinja template set, autoescaped, self-contained.

The same HTML string is the `--html` output and the input WeasyPrint lays out as PDF, so
the two forms cannot drift apart. Autoescaping is on for every template whatever its file
name: snapshot text (descriptions, URIs, messages that quote them) is data and must come
out as visible text, never as markup. Undefined variables are errors, so a typo in a
template fails the tests instead of printing nothing. The stylesheet and the chart are
inlined: the HTML file needs nothing beside it, and the PDF renderer fetches nothing.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from checker.resources import templates_dir

from .context import ReportContext
from .text import compact_time, number, percent, short_time

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
    return env


def render_html(context: ReportContext) -> str:
    """The report as one HTML document (UTF-8 text, deterministic for one context)."""
    return environment().get_template(TEMPLATE).render(r=context)
