"""Node-by-node packing for the plan report: identical nodes aggregated, thousands sampled fairly.

A plan of 5,000 replicas has hundreds of nodes; drawing each would bury the reader. Nodes with
the same pool, capacity and replica mix are one row with a count, and beyond `MAX_NODE_ROWS`
layouts a sample is drawn that every pool appears in and that spans the range of fill.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from costplan.report.charts import NodeRow, packing_chart, service_colours
from costplan.report.formatting import to_float

# Distinct node layouts drawn; beyond this a sample is drawn, and the page says so.
MAX_NODE_ROWS = 40


def _node_key(node: Mapping[str, Any]) -> tuple[Any, ...]:
    replicas = Counter(
        (str(r.get("service", "")), to_float(r.get("cpu_mhz")) or 0.0, to_float(r.get("memory_mb")) or 0.0)
        for r in node.get("replicas") or ()
    )
    return (
        str(node.get("pool", "")),
        to_float(node.get("cpu_mhz")) or 0.0,
        to_float(node.get("memory_mb")) or 0.0,
        tuple(sorted(replicas.items())),
    )


Layout = tuple[tuple[Any, ...], int]  # (node key, how many nodes have it)


def _fill(layout: Layout) -> float:
    """How full a node of this layout is in its fuller dimension (1.0 = no room left)."""
    (_, cpu_cap, mem_cap, replicas), _ = layout
    cpu = sum(c * n for (_, c, _), n in replicas)
    mem = sum(m * n for (_, _, m), n in replicas)
    return max(cpu / cpu_cap if cpu_cap else 1.0, mem / mem_cap if mem_cap else 1.0)


def _sample(layouts: Sequence[Layout], pool_order: Mapping[str, int], limit: int) -> list[Layout]:
    """At most `limit` layouts, shared between pools by node count (every pool gets one).

    Within a pool the layouts many nodes share come first; the remaining slots take an even
    spread of the one-off layouts from the least full to the fullest, so the sample shows the
    range of fill (and where idle capacity sits) rather than one end of it.
    """
    by_pool: dict[str, list[Layout]] = {}
    for layout in layouts:
        by_pool.setdefault(layout[0][0], []).append(layout)
    total = sum(count for _, count in layouts)
    pools = sorted(by_pool, key=lambda name: pool_order.get(name, len(pool_order)))
    quota = {name: max(1, limit * sum(c for _, c in by_pool[name]) // total) for name in pools}
    while sum(quota.values()) > limit and max(quota.values()) > 1:
        quota[max(quota, key=lambda name: quota[name])] -= 1
    spare = limit - sum(quota.values())
    for name in sorted(pools, key=lambda name: -len(by_pool[name])):  # hand leftovers to the most varied
        extra = min(spare, len(by_pool[name]) - quota[name])
        if extra > 0:
            quota[name], spare = quota[name] + extra, spare - extra
    chosen: list[Layout] = []
    for name in pools:
        shared = sorted((kv for kv in by_pool[name] if kv[1] > 1), key=lambda kv: -kv[1])[: quota[name]]
        single = sorted((kv for kv in by_pool[name] if kv[1] == 1), key=_fill)
        slots = quota[name] - len(shared)
        if slots >= len(single):
            picks = single
        elif slots == 1:
            picks = single[:1]
        else:
            picks = [single[round(i * (len(single) - 1) / (slots - 1))] for i in range(slots)] if slots else []
        chosen += shared + picks
    return chosen


def packing(nodes: Sequence[Mapping[str, Any]], pools: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Identical nodes (same pool, capacity and replica mix) become one row with a count."""
    groups: Counter[tuple[Any, ...]] = Counter(_node_key(n) for n in nodes)
    order = {p["name"]: i for i, p in enumerate(pools)}
    layouts: list[Layout] = list(groups.items())
    shown = layouts if len(layouts) <= MAX_NODE_ROWS else _sample(layouts, order, MAX_NODE_ROWS)
    # Drawn per pool, most common first, then fullest first: each pool reads as a fill profile.
    shown = sorted(shown, key=lambda kv: (order.get(kv[0][0], len(order)), kv[0][0], -kv[1], -_fill(kv)))
    demand: Counter[str] = Counter()
    for (_, _, _, replicas), count in layouts:
        for (service, cpu, _), n in replicas:
            demand[service] += cpu * n * count
    colours = service_colours([name for name, _ in demand.most_common()])
    rows = []
    for (pool, cpu_cap, mem_cap, replicas), count in shown:
        services: dict[str, tuple[int, float, float]] = {}
        for (service, cpu, mem), n in replicas:
            k, c, m = services.get(service, (0, 0.0, 0.0))
            services[service] = (k + n, c + cpu * n, m + mem * n)
        ordered = dict(sorted(services.items(), key=lambda kv: -demand[kv[0]]))
        rows.append(NodeRow(pool, count, cpu_cap, mem_cap, ordered))
    return {
        "chart": packing_chart(rows, colours) if rows else None,
        "layouts": len(layouts),
        "shown_layouts": len(shown),
        "nodes": len(nodes),
        "shown_nodes": sum(count for _, count in shown),
        "capped": len(shown) < len(layouts),
    }
