"""From layouts to the plan's pools and nodes: deterministic pool names (generated here only), exact money."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from costplan.models import ServiceSpec
from costplan.planner.layout import Layout
from costplan.plans import Node, PlannedPool, Replica, from_units

MAX_NAME = 63  # a DNS label: valid wherever the API may use the name
POOL_COLUMNS = (
    "price_units",
    "provider_uuid",
    "provider",
    "instance_type_uuid",
    "instance_type",
    "cpu_mhz",
    "memory_mb",
    "vcpus",
    "memory_gb",
)


def slug(text: str) -> str:
    """Lowercase letters, digits and single dashes: `Standard_B2s v2` -> `standard-b2s-v2`."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.casefold())).strip("-") or "x"


def pool_names(prefix: str, rows: pd.DataFrame, type_ids: Sequence[int]) -> dict[int, str]:
    """`<prefix>-<provider>-<type>`, unique (a numeric suffix breaks ties), at most 63 characters."""
    names: dict[int, str] = {}
    taken: set[str] = set()
    row = _columns(rows, ("provider", "instance_type"))
    provider, kind = row["provider"], row["instance_type"]
    for t in sorted(type_ids, key=lambda t: (str(provider[t]), str(kind[t]), t)):
        base = f"{prefix}-{slug(str(provider[t]))}-{slug(str(kind[t]))}"
        base = base[:MAX_NAME].rstrip("-")
        name, k = base, 2
        while name in taken:
            suffix = f"-{k}"
            name = base[: MAX_NAME - len(suffix)].rstrip("-") + suffix
            k += 1
        taken.add(name)
        names[int(t)] = name
    return names


def part_names(names: Mapping[int, str], pool_types: Sequence[int]) -> dict[int, str]:
    """Names of pools cut from node types: pool p is of node-type row `pool_types[p]`; the first
    pool of a type keeps the type's name (`pool_names`), the others get `-p2`, `-p3`, ... (unique
    among every name in `names`, at most 63 characters), in pool order: deterministic."""
    taken = set(names.values())
    seen: dict[int, int] = {}
    out: dict[int, str] = {}
    for p, t in enumerate(pool_types):
        k = seen.get(int(t), 0) + 1
        seen[int(t)] = k
        name, n = names[int(t)], k
        while k > 1 and (name == names[int(t)] or name in taken):
            suffix = f"-p{n}"
            name = names[int(t)][: MAX_NAME - len(suffix)].rstrip("-") + suffix
            n += 1
        taken.add(name)
        out[p] = name
    return out


def build_pools(
    rows: pd.DataFrame,
    base: Layout,
    names: dict[int, str],
    tags: Mapping[int, set[str]],
    count_max: Mapping[int, int],
) -> tuple[PlannedPool, ...]:
    """One pool per row of `rows` used by `base` or named in `count_max` (rows may repeat a node
    type: pools cut from one type); `count_max[row]` is at least the baseline count."""
    kinds = set(base.types.tolist()) | set(count_max)
    used = sorted(kinds, key=lambda t: names[t])
    row = _columns(rows, POOL_COLUMNS)
    counts = Counter(base.types.tolist())
    pools = []
    for t in used:
        count_min = counts.get(t, 0)
        unit = int(row["price_units"][t])
        pools.append(
            PlannedPool(
                name=names[t],
                provider_uuid=str(row["provider_uuid"][t]),
                provider=str(row["provider"][t]),
                instance_type_uuid=str(row["instance_type_uuid"][t]),
                instance_type=str(row["instance_type"][t]),
                count_min=count_min,
                count_max=max(count_min, int(count_max.get(t, count_min))),
                unit_monthly_price=from_units(unit),
                monthly_cost=from_units(unit * count_min),
                cpu_mhz=int(row["cpu_mhz"][t]),
                memory_mb=int(row["memory_mb"][t]),
                vcpus=_number(row["vcpus"][t]),
                memory_gb=_number(row["memory_gb"][t]),
                tags=tuple(sorted(tags.get(t, set()))),
            )
        )
    return tuple(pools)


def build_nodes(
    rows: pd.DataFrame, layout: Layout, names: dict[int, str], services: Sequence[ServiceSpec]
) -> tuple[Node, ...]:
    """Nodes grouped by pool (name order), each listing its replicas by service name."""
    order = sorted(range(len(layout.types)), key=lambda n: (names[int(layout.types[n])], n))
    size = _columns(rows, ("cpu_mhz", "memory_mb"))
    replica = [Replica(s.name, s.cpu_mhz, s.memory_mb) for s in services]  # values: one per service will do
    # The cells that hold replicas, by node then service: one pass over the [S, N] counts (a
    # column at a time was 16,000 strided passes over 1.3 GB at 10,000 services).
    service_of, node_of = np.nonzero(layout.counts)
    by_node = np.lexsort((service_of, node_of))
    service_of, node_of = service_of[by_node], node_of[by_node]
    bounds = np.searchsorted(node_of, np.arange(len(layout.types) + 1)).tolist()
    nodes = []
    for n in order:
        t = int(layout.types[n])
        cells = service_of[bounds[n] : bounds[n + 1]].tolist()
        replicas = tuple(replica[s] for s in cells for _ in range(int(layout.counts[s, n])))
        nodes.append(Node(names[t], int(size["cpu_mhz"][t]), int(size["memory_mb"][t]), replicas))
    return tuple(nodes)


def _columns(rows: pd.DataFrame, columns: Sequence[str]) -> dict[str, dict[int, Any]]:
    """Columns by row label, read once (a pandas scalar lookup costs ~80 us: thousands per plan)."""
    labels = rows.index.tolist()
    return {c: dict(zip(labels, rows[c].tolist(), strict=True)) for c in columns}


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number
