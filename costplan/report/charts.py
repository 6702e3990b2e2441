"""Inline SVG charts, built as strings: no JavaScript, no fonts or images to fetch, tiny output.

Every chart carries `<title>`/`<desc>` (read by screen readers), labels its axes with units and
currency, and escapes every piece of text it draws: provider, instance-type and service names
come from an API and are untrusted. Functions return `markupsafe.Markup` so templates insert
them verbatim while everything else stays autoescaped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from costplan.report.formatting import money, number, percent

# Okabe-Ito: distinguishable with the common colour-vision deficiencies; shapes double-code it.
PROVIDER_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#B8A200")
MARKERS = ("circle", "square", "triangle", "diamond", "down", "cross")
SERVICE_COLOURS = (
    "#4E79A7", "#F28E2B", "#59A14F", "#E15759", "#76B7B2",
    "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#6F4E7C",
)  # fmt: skip
OTHER_SERVICES_COLOUR = "#A0A7B4"
FREE_COLOUR = "#EEF1F5"
TEXT = "#1F2933"
MUTED = "#5F6B7A"
GRID = "#DCE1E7"
# Above this many points, per-point hover titles are dropped: they would double the file size.
MAX_POINT_TITLES = 2500


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _text(x: float, y: float, content: str, anchor: str = "start", extra: str = "") -> str:
    """A label; `content` must already be escaped."""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{content}</text>'


BOLD = ' font-weight="600"'
SMALL_MUTED = f' fill="{MUTED}" font-size="11"'
HALO = ' stroke="#fff" stroke-width="3" paint-order="stroke"'


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{_e(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{_e(chart_id)}-title {_e(chart_id)}-desc" font-size="12" fill="{TEXT}">',
        f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
        f'<desc id="{_e(chart_id)}-desc">{_e(desc)}</desc>',
    ]


def _marker(shape: str, x: float, y: float, r: float, colour: str, tip: str | None, opacity: float = 0.75) -> str:
    tip_xml = f"<title>{_e(tip)}</title>" if tip else ""
    style = f'fill="{colour}" fill-opacity="{opacity}" stroke="{colour}"'
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" {style}>{tip_xml}</circle>'
    if shape == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" {style}>{tip_xml}</rect>'
    if shape == "cross":
        x0, x1, y0, y1 = x - r, x + r, y - r, y + r
        d = f"M{x0:.1f},{y0:.1f}L{x1:.1f},{y1:.1f}M{x0:.1f},{y1:.1f}L{x1:.1f},{y0:.1f}"
        return f'<path d="{d}" stroke="{colour}" stroke-width="2" fill="none">{tip_xml}</path>'
    points = {
        "triangle": ((x, y - r * 1.2), (x + r * 1.1, y + r * 0.8), (x - r * 1.1, y + r * 0.8)),
        "down": ((x, y + r * 1.2), (x + r * 1.1, y - r * 0.8), (x - r * 1.1, y - r * 0.8)),
        "diamond": ((x, y - r * 1.3), (x + r * 1.3, y), (x, y + r * 1.3), (x - r * 1.3, y)),
    }[shape]
    coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    return f'<polygon points="{coords}" {style}>{tip_xml}</polygon>'


def _nice_log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks covering [low, high], for a log price axis."""
    ticks: list[float] = []
    for exponent in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10.0**exponent
            if low <= value <= high:
                ticks.append(value)
    return ticks


@dataclass(frozen=True)
class PricePoint:
    provider: str
    instance_type: str
    vcpus: float
    memory_gb: float | None
    monthly_price: float


def price_scatter(points: Sequence[PricePoint], currency: str, chart_id: str = "price-scatter") -> Markup:
    """Monthly price against vCPUs, one colour and shape per provider, both axes logarithmic.

    Log-log makes constant price-per-vCPU a straight diagonal, so the dashed guides let a
    reader read "EUR per vCPU-month" straight off the chart.
    """
    usable = [p for p in points if p.vcpus > 0 and p.monthly_price > 0]
    providers = sorted({p.provider for p in usable})
    legend_rows = math.ceil(len(providers) / 4) or 1
    width, height = 960, 470 + legend_rows * 22
    left, right, top, bottom = 78, 112, 16 + legend_rows * 22 + 8, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    title = f"Monthly price ({currency}) against vCPUs, per provider"
    desc = (
        f"{len(usable)} instance types from {len(providers)} providers; both axes use a log scale. "
        "Dashed diagonals mark constant price per vCPU-month."
    )
    out = _open(chart_id, width, height, title, desc)
    if not usable:
        out.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">No priced instance types</text>')
        return Markup("".join(out) + "</svg>")

    x_lo = 2.0 ** math.floor(math.log2(min(p.vcpus for p in usable)))
    x_hi = 2.0 ** math.ceil(math.log2(max(p.vcpus for p in usable)))
    if x_hi <= x_lo:
        x_lo, x_hi = x_lo / 2, x_hi * 2
    prices = [p.monthly_price for p in usable]
    y_lo = 10.0 ** math.floor(math.log10(min(prices)))
    y_hi = 10.0 ** math.ceil(math.log10(max(prices)))
    if y_hi <= y_lo:
        y_lo, y_hi = y_lo / 10, y_hi * 10

    def sx(v: float) -> float:
        return left + (math.log2(v) - math.log2(x_lo)) / (math.log2(x_hi) - math.log2(x_lo)) * plot_w

    def sy(v: float) -> float:
        return top + plot_h - (math.log10(v) - math.log10(y_lo)) / (math.log10(y_hi) - math.log10(y_lo)) * plot_h

    out.append(f'<g stroke="{GRID}" stroke-width="1">')
    vcpu = x_lo
    ticks_x = []
    while vcpu <= x_hi * 1.0001:
        ticks_x.append(vcpu)
        out.append(f'<line x1="{sx(vcpu):.1f}" y1="{top}" x2="{sx(vcpu):.1f}" y2="{top + plot_h}"/>')
        vcpu *= 2
    ticks_y = _nice_log_ticks(y_lo, y_hi)
    for price in ticks_y:
        out.append(f'<line x1="{left}" y1="{sy(price):.1f}" x2="{left + plot_w}" y2="{sy(price):.1f}"/>')
    out.append("</g>")
    for vcpu in ticks_x:
        label = number(vcpu, 0) if vcpu >= 1 else f"{vcpu:g}"
        out.append(f'<text x="{sx(vcpu):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{label}</text>')
    for price in ticks_y:
        out.append(_text(left - 6, sy(price) + 4, _e(number(price, 0 if price >= 1 else 2)), "end"))
    out.append(
        f'<text x="{left + plot_w / 2}" y="{height - 14}" text-anchor="middle" font-weight="600">'
        "vCPUs per instance (log scale)</text>"
        f'<text transform="translate(16 {top + plot_h / 2}) rotate(-90)" text-anchor="middle"{BOLD}>'
        f"Price per month, {_e(currency)} (log scale)</text>"
    )
    out.extend(_guides(usable, sx, sy, (x_lo, x_hi, y_lo, y_hi), currency, (left + plot_w, top)))

    dodge = {
        name: (i - (len(providers) - 1) / 2) * min(4.0, 24.0 / max(len(providers), 1))
        for i, name in enumerate(providers)
    }
    with_titles = len(usable) <= MAX_POINT_TITLES
    opacity = 0.75 if len(usable) <= 300 else 0.4  # dense catalogues: overlaps show as darker ink
    for i, provider in enumerate(providers):
        colour, shape = PROVIDER_COLOURS[i % len(PROVIDER_COLOURS)], MARKERS[i % len(MARKERS)]
        out.append(f'<g class="series" data-provider="{_e(provider)}">')
        for p in usable:
            if p.provider != provider:
                continue
            tip = None
            if with_titles:
                memory = "" if p.memory_gb is None else f", {number(p.memory_gb, 1)} GB"
                tip = (
                    f"{p.provider} \u00b7 {p.instance_type}: {number(p.vcpus, 0)} vCPU{memory}, "
                    f"{money(p.monthly_price, currency)}/month"
                )
            x, y = sx(p.vcpus) + dodge[provider], sy(p.monthly_price)
            out.append(_marker(shape, x, y, 4, colour, tip, opacity))
        out.append("</g>")

    # Legend above the plot, four providers a row: "name (number of types)".
    column = plot_w / 4
    for i, provider in enumerate(providers):
        lx, ly = left + (i % 4) * column, 18 + (i // 4) * 22
        count = sum(1 for p in usable if p.provider == provider)
        colour, shape = PROVIDER_COLOURS[i % len(PROVIDER_COLOURS)], MARKERS[i % len(MARKERS)]
        out.append(_marker(shape, lx + 6, ly - 4, 5, colour, None, 0.9))
        out.append(_text(lx + 18, ly, f"{_e(_clip(provider, 22))} ({number(count)})"))
    out.append("</svg>")
    return Markup("".join(out))


def _guides(
    usable: Sequence[PricePoint],
    sx: Callable[[float], float],
    sy: Callable[[float], float],
    box: tuple[float, float, float, float],
    currency: str,
    corner: tuple[float, float],
) -> list[str]:
    """Dashed lines of constant price per vCPU-month at the cheap, typical and dear end of the data."""
    x_lo, x_hi, y_lo, y_hi = box
    per_vcpu = sorted(p.monthly_price / p.vcpus for p in usable)
    picks = {per_vcpu[int(q * (len(per_vcpu) - 1))] for q in (0.05, 0.5, 0.95)}
    nice: set[float] = set()
    for value in picks:
        magnitude = 10.0 ** math.floor(math.log10(value))
        nice.add(min((1, 2, 5, 10), key=lambda m: abs(math.log(m * magnitude / value))) * magnitude)
    out = []
    for k in sorted(nice):
        # y = k * x, clipped to the plot box in log space.
        x_start, x_end = max(x_lo, y_lo / k), min(x_hi, y_hi / k)
        if x_end <= x_start:
            continue
        x1, y1, x2, y2 = sx(x_start), sy(k * x_start), sx(x_end), sy(k * x_end)
        label = _e(f"{number(k, 0 if k >= 1 else 2)} {currency}/vCPU")
        right, top = corner
        # A line leaving through the right edge is labelled in the margin; through the top, just
        # inside it, on a white halo so points under it do not garble the text.
        if x_end >= x_hi:
            text = _text(right + 6, y2 + 4, label, "start", SMALL_MUTED)
        else:
            text = _text(x2 - 4, top + 12, label, "end", SMALL_MUTED + HALO)
        out.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{MUTED}" '
            'stroke-dasharray="4 4" stroke-width="1"/>' + text
        )
    return out


@dataclass(frozen=True)
class CostBar:
    label: str
    detail: str
    baseline: float
    peak: float | None = None


def cost_bars(bars: Sequence[CostBar], currency: str, chart_id: str = "pool-costs", title: str = "") -> Markup:
    """Horizontal bars of monthly cost per pool: solid for the baseline, hatched up to the peak."""
    width = 960
    row_h, top = 40, 30
    left, value_w = 250, 230
    plot_w = width - left - value_w
    height = top + row_h * max(len(bars), 1) + 10
    biggest = max([b.baseline for b in bars] + [b.peak or 0 for b in bars] + [1e-9])
    title = title or f"Monthly cost per pool ({currency})"
    total = sum(b.baseline for b in bars)
    desc = f"{len(bars)} pools costing {money(total, currency)} a month in total at baseline."
    out = _open(chart_id, width, height, title, desc)
    out.append(
        f'<defs><pattern id="{_e(chart_id)}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#D6E4F0"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#7FA7CC" stroke-width="2"/></pattern></defs>'
    )
    out.append(
        f'<rect x="{left}" y="6" width="12" height="12" fill="#2F6FA7"/>'
        f'<text x="{left + 18}" y="16">baseline (count min)</text>'
        f'<rect x="{left + 170}" y="6" width="12" height="12" fill="url(#{_e(chart_id)}-hatch)"/>'
        f'<text x="{left + 188}" y="16">extra at peak (count max)</text>'
    )
    for i, bar in enumerate(bars):
        y = top + i * row_h
        base_w = bar.baseline / biggest * plot_w
        out.append(
            f'<g class="bar"><title>{_e(bar.label)} \u00b7 {_e(bar.detail)}: '
            f"{_e(money(bar.baseline, currency))}/month</title>"
        )
        out.append(_text(left - 8, y + 15, _e(_clip(bar.label, 34)), "end", BOLD))
        out.append(_text(left - 8, y + 30, _e(_clip(bar.detail, 40)), "end", SMALL_MUTED))
        if bar.peak and bar.peak > bar.baseline:
            peak_w = bar.peak / biggest * plot_w
            out.append(
                f'<rect x="{left + base_w:.1f}" y="{y + 6}" width="{peak_w - base_w:.1f}" height="22" '
                f'fill="url(#{_e(chart_id)}-hatch)"/>'
            )
        out.append(f'<rect x="{left}" y="{y + 6}" width="{max(base_w, 1):.1f}" height="22" fill="#2F6FA7"/>')
        end = left + (max(bar.peak or 0, bar.baseline) / biggest * plot_w)
        value = money(bar.baseline, currency)
        out.append(f'<text x="{end + 8:.1f}" y="{y + 16}" font-weight="600">{_e(value)}</text>')
        if bar.peak and bar.peak > bar.baseline:
            out.append(
                f'<text x="{end + 8:.1f}" y="{y + 30}" fill="{MUTED}" font-size="11">'
                f"peak {_e(money(bar.peak, currency))}</text>"
            )
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True)
class NodeRow:
    """One node layout (identical nodes aggregated into `count`), with reservations per service."""

    label: str
    count: int
    cpu_capacity: float
    memory_capacity: float
    # service -> (replicas on one node, CPU MHz, memory MB), per node
    services: Mapping[str, tuple[int, float, float]] = field(default_factory=dict)

    @property
    def cpu_used(self) -> float:
        return sum(cpu for _, cpu, _ in self.services.values())

    @property
    def memory_used(self) -> float:
        return sum(mem for _, _, mem in self.services.values())


def service_colours(names: Sequence[str]) -> dict[str, str]:
    """The first services (by demand) get their own colour; the rest share one, named 'other'."""
    return {name: SERVICE_COLOURS[i] for i, name in enumerate(names[: len(SERVICE_COLOURS)])}


def packing_chart(rows: Sequence[NodeRow], colours: Mapping[str, str], chart_id: str = "packing") -> Markup:
    """Node by node: a CPU bar and a memory bar, filled per service, the unreserved rest pale."""
    width = 960
    left, bar_w, row_h = 210, 480, 46
    legend_rows = math.ceil((len(colours) + 2) / 5)
    top = 12 + legend_rows * 20
    height = top + row_h * max(len(rows), 1) + 8
    title = "Node-by-node packing: CPU and memory reserved per node"
    desc = (
        f"{len(rows)} node layouts. For each, the upper bar is CPU (MHz) and the lower bar memory (MB); "
        "coloured segments are services' reservations, the pale rest is free capacity."
    )
    out = _open(chart_id, width, height, title, desc)
    legend = [*colours.items(), ("other services", OTHER_SERVICES_COLOUR), ("free", FREE_COLOUR)]
    for i, (name, colour) in enumerate(legend):
        lx, ly = 10 + (i % 5) * 190, 8 + (i // 5) * 20
        out.append(
            f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{colour}" stroke="{GRID}"/>'
            f'<text x="{lx + 17}" y="{ly + 10}">{_e(_clip(name, 24))}</text>'
        )
    for i, row in enumerate(rows):
        y = top + i * row_h
        out.append('<g class="node">')
        out.append(_text(left - 10, y + 16, _e(_clip(row.label, 28)), "end", BOLD))
        nodes = f"\u00d7{number(row.count)} identical nodes" if row.count > 1 else "1 node"
        out.append(_text(left - 10, y + 31, nodes, "end", SMALL_MUTED))
        for offset, dim, capacity, unit, index in (
            (4, "CPU", row.cpu_capacity, "MHz", 1),
            (21, "Mem", row.memory_capacity, "MB", 2),
        ):
            out.extend(_stacked(row, colours, left, y + offset, bar_w, capacity, index, dim))
            used = row.cpu_used if index == 1 else row.memory_used
            share = used / capacity if capacity else 0.0
            weight = ' font-weight="600" fill="#B42318"' if share > 1.0001 else ""
            out.append(
                f'<text x="{left + bar_w + 10}" y="{y + offset + 11}" font-size="11"{weight}>'
                f"{dim} {percent(share, 0)} \u00b7 {number(used)} / {number(capacity)} {unit}</text>"
            )
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def _stacked(
    row: NodeRow,
    colours: Mapping[str, str],
    x: float,
    y: float,
    bar_w: float,
    capacity: float,
    index: int,
    dim: str,
) -> list[str]:
    out = [f'<rect x="{x}" y="{y}" width="{bar_w}" height="13" fill="{FREE_COLOUR}" stroke="{GRID}"/>']
    scale = bar_w / max(capacity, 1e-9)
    cursor = x
    other = 0.0
    for service, values in row.services.items():
        amount = values[index]
        if service not in colours:
            other += amount
            continue
        cursor = _segment(
            out,
            cursor,
            y,
            amount * scale,
            x + bar_w,
            colours[service],
            f"{service} \u00d7{values[0]}: {number(amount)} {'MHz' if index == 1 else 'MB'} {dim}",
        )
    if other:
        _segment(
            out,
            cursor,
            y,
            other * scale,
            x + bar_w,
            OTHER_SERVICES_COLOUR,
            f"other services: {number(other)} {'MHz' if index == 1 else 'MB'} {dim}",
        )
    return out


def _segment(out: list[str], cursor: float, y: float, w: float, limit: float, colour: str, tip: str) -> float:
    w = max(0.0, min(w, limit - cursor))
    if w > 0:
        out.append(
            f'<rect x="{cursor:.1f}" y="{y}" width="{w:.1f}" height="13" fill="{colour}">'
            f"<title>{_e(tip)}</title></rect>"
        )
    return cursor + w
