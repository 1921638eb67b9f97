"""Server-drawn SVG charts: well-formed, proportional, and every caller's text escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from markupsafe import Markup

from shop.services.charts import bar_line_chart, bar_list_chart, nice_step
from shop.services.money import format_rupiah

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & "Tom\'s"'


def parsed(markup: Markup) -> ET.Element:
    """The chart as XML: raises if any text broke out of its element."""
    return ET.fromstring(str(markup))  # noqa: S314 - our own output, parsed to check it


def test_list_chart_escapes_labels_in_text_and_tooltips():
    chart = bar_list_chart([(HOSTILE, 3), ("Es Teh", 1)], title=f"Produk {HOSTILE}")
    assert isinstance(chart, Markup)
    assert "<script>" not in chart and "&lt;script&gt;" in chart
    root = parsed(chart)
    tips = [t.text for t in root.iter(f"{SVG}title")]
    assert tips[0] == f"Produk {HOSTILE}"  # the chart's own title, read back as text
    assert f"{HOSTILE}: 3" in tips
    assert root.get("aria-label") == f"Produk {HOSTILE}"


def test_list_chart_bars_are_proportional_to_their_values():
    chart = bar_list_chart([("Nasi Goreng", 4), ("Es Teh", 2), ("Kerupuk", 1)], title="Jumlah")
    widths = [float(r.get("width")) for r in parsed(chart).iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1] == 4 * widths[2]


def test_list_chart_formats_values_with_the_given_function():
    chart = bar_list_chart([("Tumpeng", Decimal("500000.00"))], title="Nilai",
                           value_format=format_rupiah)
    texts = [t.text for t in parsed(chart).iter(f"{SVG}text")]
    assert texts == ["Tumpeng", "Rp 500.000"]


def test_long_labels_are_cut_but_kept_whole_in_the_tooltip():
    name = "Paket Nasi Goreng Spesial Ayam Bakar Sambal Matah Jumbo"
    root = parsed(bar_list_chart([(name, 1)], title="Jumlah"))
    shown = next(root.iter(f"{SVG}text")).text
    assert shown.endswith("…") and len(shown) < len(name)
    assert f"{name}: 1" in [t.text for t in root.iter(f"{SVG}title")]


def test_empty_list_chart_says_so_escaped():
    empty = bar_list_chart([], title="Jumlah", empty="<b>Belum</b> ada")
    assert empty == Markup('<p class="text-muted small mb-0">&lt;b&gt;Belum&lt;/b&gt; ada</p>')


def test_daily_chart_draws_one_bar_and_one_line_point_per_day():
    labels = [f"{d} Jan" for d in range(1, 31)]
    bars = [d % 4 for d in range(30)]
    line = [Decimal(1000 * d) for d in range(30)]
    root = parsed(bar_line_chart(labels, bars, line, title="30 hari", bar_name="pesanan",
                                 line_name="pendapatan", line_format=format_rupiah))
    day_bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(day_bars) == 30
    assert len(root.find(f"{SVG}polyline").get("points").split()) == 30
    tips = [r.find(f"{SVG}title").text for r in day_bars]
    assert tips[5] == "6 Jan: 1 pesanan, Rp 5.000"


def test_daily_chart_scales_the_tallest_bar_to_its_round_axis_maximum():
    # 8 orders on an axis of 4 steps of 2: the bar is as tall as the plot.
    root = parsed(bar_line_chart(["1", "2"], [8, 4], [Decimal(0), Decimal(0)], title="t",
                                 bar_name="pesanan", line_name="pendapatan"))
    heights = [float(r.get("height")) for r in root.iter(f"{SVG}rect")
               if r.find(f"{SVG}title") is not None]
    assert heights[0] == 2 * heights[1] == 260 - 28 - 30


def test_daily_chart_escapes_labels_and_names():
    chart = bar_line_chart([HOSTILE], [1], [Decimal(5)], title=HOSTILE, bar_name=HOSTILE,
                           line_name="<i>x</i>")
    assert "<script>" not in chart and "<i>" not in chart
    texts = [t.text for t in parsed(chart).iter(f"{SVG}text")]
    assert HOSTILE in texts and "<i>x</i>" in texts


def test_daily_chart_with_no_orders_still_draws_its_axes():
    root = parsed(bar_line_chart(["1 Jan", "2 Jan"], [0, 0], [Decimal(0), Decimal(0)],
                                 title="t", bar_name="pesanan", line_name="pendapatan"))
    assert len(list(root.iter(f"{SVG}line"))) >= 5


def test_nice_steps_are_round_and_cover_the_largest_value():
    assert nice_step(7, whole=True) == 2  # 0, 2, 4, 6, 8
    assert nice_step(1, whole=True) == 1
    assert nice_step(0) == 1
    assert nice_step(65000) == 20000
    assert nice_step(Decimal("1250000")) == 500000
    for largest in (3, 17, 99, 101, 123456):
        assert 4 * nice_step(largest) >= largest
    assert not re.search(r"\d\.\d{3,}", str(nice_step(0.3)))
