"""The compliance-rate chart of the executive summary, as SVG written by hand.

No plotting library and no browser: the SVG is a few rectangles and text elements, so
WeasyPrint draws it as vectors in the PDF and any browser shows the same picture in the
HTML form. Every piece of text is escaped, and the numbers are formatted here, so the
output is deterministic.
"""

from __future__ import annotations

from typing import Protocol, Sequence

from markupsafe import Markup, escape

FONT = "DejaVu Sans, sans-serif"
GOOD, FAIR, POOR, NONE = "#2e7d32", "#e0a100", "#c62828", "#9e9e9e"
TRACK, GRID, INK, MUTED = "#eceff1", "#cfd8dc", "#263238", "#607d8b"


class RateRow(Protocol):
    """What the chart needs of a category row (reports.context.CategoryRow)."""

    @property
    def category(self) -> str: ...
    @property
    def checks(self) -> int: ...
    @property
    def failing(self) -> int: ...
    @property
    def rate(self) -> float | None: ...


def colour(rate: float | None) -> str:
    """Green only when everything passed; amber from 90 %; red below."""
    if rate is None:
        return NONE
    if rate >= 100:
        return GOOD
    return FAIR if rate >= 90 else POOR


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def category_chart(rows: Sequence[RateRow], *, width: int = 680) -> Markup:
    """Horizontal bars, one per category: share of checks without an unwaived finding."""
    label_w, value_w, row_h, top, bottom = 110, 190, 24, 8, 26
    bar_x, bar_w = label_w + 10, width - label_w - value_w - 20
    height = top + row_h * len(rows) + bottom
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'font-family="{FONT}" font-size="11">',
             "<title>Compliance rate per category</title>"]
    for tick in range(0, 101, 25):
        x = bar_x + bar_w * tick / 100
        parts.append(f'<line x1="{_num(x)}" y1="{top}" x2="{_num(x)}" '
                     f'y2="{height - bottom + 4}" stroke="{GRID}" stroke-width="0.6"/>')
        parts.append(f'<text x="{_num(x)}" y="{height - 8}" fill="{MUTED}" font-size="9" '
                     f'text-anchor="middle">{tick} %</text>')
    for i, row in enumerate(rows):
        y = top + i * row_h
        mid = y + row_h / 2 + 4
        rate = row.rate
        parts.append(f'<text x="{label_w}" y="{_num(mid)}" fill="{INK}" '
                     f'text-anchor="end">{escape(row.category)}</text>')
        parts.append(f'<rect x="{bar_x}" y="{y + 5}" width="{bar_w}" height="{row_h - 10}" '
                     f'fill="{TRACK}"/>')
        if rate is not None and rate > 0:
            parts.append(f'<rect x="{bar_x}" y="{y + 5}" width="{_num(bar_w * rate / 100)}" '
                         f'height="{row_h - 10}" fill="{colour(rate)}"/>')
        if rate is None:
            label = "no resources to check"
        else:
            label = (f"{_num(rate)} %  ({row.failing} of {row.checks} checks "
                     f"failing)")
        parts.append(f'<text x="{bar_x + bar_w + 8}" y="{_num(mid)}" fill="{INK}">'
                     f'{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
