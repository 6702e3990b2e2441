"""SVG charts: well-formed, titled, escaped, and drawing what the numbers say."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from costplan.report.charts import (
    CostBar,
    NodeRow,
    PricePoint,
    cost_bars,
    packing_chart,
    price_scatter,
    service_colours,
)

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script>&'


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # raises on anything not well-formed, such as an unescaped name


def test_scatter_is_well_formed_and_escapes_names() -> None:
    points = [PricePoint(EVIL, EVIL, 2, 4.0, 33.98), PricePoint("Scaleway", "DEV1-S", 2, 2.0, 6.34)]
    root = parse(price_scatter(points, "EUR"))
    assert root.find(f"{SVG}title").text == "Monthly price (EUR) against vCPUs, per provider"
    assert "2 instance types from 2 providers" in root.find(f"{SVG}desc").text
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert any(EVIL[:17] in (t or "") for t in texts)  # the legend clips long names, but shows them as text
    assert len(list(root.iter(f"{SVG}script"))) == 0


def test_scatter_skips_unpriced_rows_and_survives_empty_input() -> None:
    assert "No priced instance types" in price_scatter([], "EUR")
    root = parse(price_scatter([PricePoint("A", "x", 0, None, 5.0), PricePoint("A", "y", 4, None, 0)], "EUR"))
    assert "0 instance types" in root.find(f"{SVG}desc").text


def test_cost_bars_are_proportional() -> None:
    root = parse(cost_bars([CostBar("a", "1 x t", 100.0, 200.0), CostBar("b", "1 x u", 50.0, None)], "EUR"))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("fill") == "#2F6FA7"][1:]
    assert abs(widths[0] / widths[1] - 2.0) < 0.01
    assert "150.00\u00a0EUR" in root.find(f"{SVG}desc").text


def test_packing_chart_states_usage_per_dimension_and_flags_overcommit() -> None:
    rows = [
        NodeRow("pool", 3, 1000, 2000, {"api": (2, 500.0, 500.0), EVIL: (1, 100.0, 100.0)}),
        NodeRow("pool", 1, 1000, 2000, {"big": (1, 1500.0, 100.0)}),
    ]
    svg = packing_chart(rows, service_colours(["api", EVIL]))
    root = parse(svg)
    texts = " ".join(t.text or "" for t in root.iter(f"{SVG}text"))
    assert "CPU 60% \u00b7 600 / 1,000 MHz" in texts and "Mem 30% \u00b7 600 / 2,000 MB" in texts
    assert "\u00d73 identical nodes" in texts
    assert "CPU 150%" in texts and 'fill="#B42318"' in svg  # an impossible packing is shown in red


def test_service_colours_name_the_first_services_only() -> None:
    colours = service_colours([f"s{i}" for i in range(25)])
    assert len(colours) == 10 and "s0" in colours and "s24" not in colours
