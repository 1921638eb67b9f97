"""Charts drawn on the server as inline SVG: no JavaScript, no chart library, no CDN.

Pure functions of plain values returning `markupsafe.Markup`, built only with
`Markup(...).format(...)`, which escapes every piece of text that comes from the caller
(labels, titles, formatted values); numbers only shape the geometry. Each chart has a
<title> for screen readers and a tooltip on every bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal

from markupsafe import Markup

Number = int | float | Decimal
BAR_COLOUR = "#4e79a7"
LINE_COLOUR = "#e15759"
GRID_COLOUR = "#e3e6ea"
TEXT_COLOUR = "#495057"
GRID_STEPS = 4


def nice_step(largest: Number, steps: int = GRID_STEPS, *, whole: bool = False) -> float:
    """A round grid step (1, 2 or 5 times a power of ten) so that `steps` of it cover
    `largest`; at least 1 for whole numbers (counts)."""
    rough = float(largest) / steps
    if rough <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    return max(step, 1.0) if whole else step


def _svg(width: int, height: int, title: str, body: list[Markup]) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" '
        'role="img" aria-label="{title}" class="chart-svg"><title>{title}</title>{body}</svg>'
    ).format(w=width, h=height, title=title, body=Markup("").join(body))


def _text(x: float, y: float, content: str, anchor: str = "start") -> Markup:
    return Markup(
        '<text x="{:.1f}" y="{:.1f}" text-anchor="{}" fill="{}" font-size="11">{}</text>'
    ).format(x, y, anchor, TEXT_COLOUR, content)


def _line(x1: float, x2: float, y1: float, y2: float, colour: str, stroke: int = 1) -> Markup:
    return Markup(
        '<line x1="{:.1f}" x2="{:.1f}" y1="{:.1f}" y2="{:.1f}" stroke="{}" stroke-width="{}"/>'
    ).format(x1, x2, y1, y2, colour, stroke)


def _bar(x: float, y: float, width: float, height: float, tip: str | None = None) -> Markup:
    """A bar; its tooltip (a <title>) is the caller's text, escaped."""
    if tip is None:
        return Markup('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"/>'
                      ).format(x, y, width, height, BAR_COLOUR)
    return Markup('<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                  '<title>{}</title></rect>').format(x, y, width, height, BAR_COLOUR, tip)


def _shorten(text: str, limit: int) -> str:
    """Cut a label to `limit` characters (before escaping, so no entity is ever cut)."""
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def bar_line_chart(
    labels: Sequence[str], bars: Sequence[Number], line: Sequence[Number], *, title: str,
    bar_name: str, line_name: str, bar_format: Callable[[Number], str] = str,
    line_format: Callable[[Number], str] = str, width: int = 720, height: int = 260,
) -> Markup:
    """Bars on the left axis (e.g. orders per day) and a line on the right axis (revenue)."""
    left, right, top, bottom = 44, 110, 28, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    bar_step = nice_step(max(bars, default=0), whole=True)
    line_step = nice_step(max(line, default=0))
    slot = plot_w / max(len(labels), 1)
    body = _legend(left, bar_name, line_name)
    for i in range(GRID_STEPS + 1):
        y = top + plot_h - plot_h * i / GRID_STEPS
        body.append(_line(left, left + plot_w, y, y, GRID_COLOUR))
        body.append(_text(left - 6, y + 4, bar_format(_tick(bar_step * i)), "end"))
        body.append(_text(left + plot_w + 6, y + 4, line_format(_tick(line_step * i))))
    points = []
    every = max(math.ceil(len(labels) / 10), 1)
    for i, (label, bar, value) in enumerate(zip(labels, bars, line, strict=True)):
        x = left + slot * i
        bar_h = plot_h * float(bar) / (bar_step * GRID_STEPS)
        tip = f"{label}: {bar_format(bar)} {bar_name}, {line_format(value)}"
        body.append(_bar(x + slot * 0.15, top + plot_h - bar_h, slot * 0.7, bar_h, tip))
        points.append(f"{x + slot / 2:.1f},"
                      f"{top + plot_h - plot_h * float(value) / (line_step * GRID_STEPS):.1f}")
        if i % every == 0 or i == len(labels) - 1:
            body.append(_text(x + slot / 2, height - 10, label, "middle"))
    if points:
        body.append(Markup('<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>'
                           ).format(" ".join(points), LINE_COLOUR))
    return _svg(width, height, title, body)


def _tick(value: float) -> Number:
    """A grid value as a whole number when it is one (counts, rupiah)."""
    return int(value) if float(value).is_integer() else round(value, 2)


def _legend(left: int, bar_name: str, line_name: str) -> list[Markup]:
    return [_bar(left, 6, 12, 12), _text(left + 16, 16, bar_name),
            _line(left + 140, left + 156, 12, 12, LINE_COLOUR, 2),
            _text(left + 160, 16, line_name)]


def bar_list_chart(
    rows: Sequence[tuple[str, Number]], *, title: str,
    value_format: Callable[[Number], str] = str, width: int = 420, empty: str = "Belum ada data.",
) -> Markup:
    """Horizontal bars, one per (label, value) row, longest value first as given."""
    if not rows:
        return Markup('<p class="text-muted small mb-0">{}</p>').format(empty)
    row_h, label_w, value_w = 24, width * 0.38, 96
    bar_w = width - label_w - value_w
    largest = max((float(value) for _label, value in rows), default=0) or 1.0
    body = []
    for i, (label, value) in enumerate(rows):
        y = 4 + i * row_h
        length = bar_w * float(value) / largest
        tip = f"{label}: {value_format(value)}"
        body.append(_text(label_w - 6, y + 15, _shorten(label, int(label_w / 6.5)), "end"))
        body.append(_bar(label_w, y + 3, max(length, 1), 16, tip))
        body.append(_text(label_w + length + 6, y + 15, value_format(value)))
    return _svg(width, 8 + len(rows) * row_h, title, body)
