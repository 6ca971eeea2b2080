"""Compliance-rate charts as SVG written by hand: the report's per-category bars and the
dashboard's rate-over-scans trend.

No plotting library and no browser: the SVG is a few rectangles and text elements, so
WeasyPrint draws it as vectors in the PDF and any browser shows the same picture in the
HTML form. Every piece of text is escaped, and the numbers are formatted here, so the
output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class TrendPoint:
    """One scan on a trend chart: its compliance rate, a tooltip (label), the text under
    the axis when it is the first or last point (tick) and where it links."""

    rate: float
    label: str
    tick: str = ""
    href: str | None = None


def _floor(rates: Sequence[float]) -> int:
    """The bottom of the rate axis: 0, or a multiple of 10 just under the lowest rate, so
    the small differences between good scans stay visible."""
    lowest = min(rates)
    return 0 if lowest < 50 else int((lowest - 1) // 10 * 10)


def trend_chart(points: Sequence[TrendPoint], *, width: int = 680, height: int = 150,
                compact: bool = False) -> Markup:
    """Compliance rate over scans, oldest on the left: a line with one dot per scan
    (coloured like the category bars, linked to the scan). `compact`: a sparkline without
    axes or labels, for a table cell."""
    title = f"Compliance rate over the last {len(points)} scans"
    left, right, top, bottom = (5, 5, 5, 5) if compact else (48, 14, 10, 24)
    plot_w, plot_h = width - left - right, height - top - bottom
    radius = 3.2 if compact else 4.5
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart trend'
             f'{" compact" if compact else ""}" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="10">',
             f"<title>{escape(title)}</title>"]
    if not points:
        parts.append(f'<text x="{width / 2:g}" y="{height / 2 + 4:g}" fill="{MUTED}" '
                     'text-anchor="middle">no scans</text></svg>')
        return Markup("".join(parts))
    floor = _floor([p.rate for p in points])

    def y_of(rate: float) -> float:
        return top + plot_h * (100 - max(rate, floor)) / (100 - floor)

    def x_of(i: int) -> float:
        return left + (plot_w / 2 if len(points) == 1 else plot_w * i / (len(points) - 1))

    if not compact:
        for tick in (floor, (floor + 100) / 2, 100):
            y = y_of(tick)
            parts.append(f'<line x1="{left}" y1="{_num(y)}" x2="{width - right}" '
                         f'y2="{_num(y)}" stroke="{GRID}" stroke-width="0.6"/>')
            parts.append(f'<text x="{left - 6}" y="{_num(y + 3.5)}" fill="{MUTED}" '
                         f'font-size="11" text-anchor="end">{_num(tick)} %</text>')
        for i, anchor in ((0, "start"), (len(points) - 1, "end")):
            if i == 0 and len(points) == 1:
                anchor = "middle"
            parts.append(f'<text x="{_num(x_of(i))}" y="{height - 6}" fill="{MUTED}" '
                         f'font-size="11" text-anchor="{anchor}">'
                         f'{escape(points[i].tick)}</text>')
    coords = [(x_of(i), y_of(p.rate)) for i, p in enumerate(points)]
    line = " ".join(f"{_num(x)},{_num(y)}" for x, y in coords)
    base = _num(top + plot_h)
    if len(points) > 1:
        parts.append(f'<polygon points="{_num(coords[0][0])},{base} {line} '
                     f'{_num(coords[-1][0])},{base}" fill="{TRACK}"/>')
        parts.append(f'<polyline points="{line}" fill="none" stroke="#486581" '
                     f'stroke-width="{1.2 if compact else 1.6}"/>')
    for (x, y), point in zip(coords, points):
        dot = (f'<circle class="point" cx="{_num(x)}" cy="{_num(y)}" r="{radius}" '
               f'fill="{colour(point.rate)}" stroke="#fff" stroke-width="1">'
               f"<title>{escape(point.label)}</title></circle>")
        parts.append(dot if point.href is None
                     else f'<a href="{escape(point.href)}">{dot}</a>')
    parts.append("</svg>")
    return Markup("".join(parts))
