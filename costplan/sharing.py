"""Cost per service: every node's monthly price split over the services it hosts, the idle rest apart.

On each node the *binding dimension* is the one (CPU or memory) with the larger used share of the
node's usable capacity: it is what fills the node, so it is what a service is charged by. A service
pays the node's price x its replicas' reservation in that dimension / the node's capacity in it; the
share the binding dimension leaves free is the node's idle cost. The split is exact in the plan's
money units (1/10 000): each node's shares are rounded by largest remainder, so services + idle add
up to the node's price, and over the plan to its `monthly_cost`, to the unit.

It splits the baseline plan (`count_min` nodes, the plan's `monthly_cost`), at the prices the plan
pays for them (committed prices under `--commit baseline`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from costplan.models import ServiceSpec
from costplan.plans import Node, from_units, to_units

IDLE = ""  # the idle share's key in `node_shares`
METHOD = (
    "each node's monthly price split over its services by their share of the node's binding dimension "
    "(CPU or memory, whichever has the larger used share of the node's usable capacity); the share it "
    "leaves free is idle cost; exact in 1/10000 units (largest remainder per node)"
)


@dataclass(frozen=True)
class CostShares:
    """Monthly cost per service and the idle cost, in the plan's currency."""

    services: Mapping[str, float]
    idle: float
    units: Mapping[str, int]  # the same, exact: service -> 1/10 000 units ("" = idle)

    def of(self, services: Sequence[ServiceSpec]) -> dict[str, float]:
        """Every service's cost, 0 for one with no replica in the baseline (the plan's `services[]`)."""
        return {s.name: self.services.get(s.name, 0.0) for s in services}


def node_shares(node: Node, price_units: int) -> dict[str, int]:
    """`price_units` of one node split over its services and idle ("" key); the parts sum to it exactly.

    In integers: each part is a numerator over one common denominator (a node's capacity in its
    binding dimension), so the split costs a few integer operations per service, not fractions."""
    used_cpu = used_mem = 0
    for r in node.replicas:
        used_cpu += r.cpu_mhz
        used_mem += r.memory_mb
    cpu_share = (used_cpu, node.cpu_mhz) if node.cpu_mhz > 0 else (0, 1)  # (numerator, denominator > 0)
    mem_share = (used_mem, node.memory_mb) if node.memory_mb > 0 else (0, 1)
    by_cpu = cpu_share[0] * mem_share[1] >= mem_share[0] * cpu_share[1]  # ties: CPU (either split is the same)
    capacity = node.cpu_mhz if by_cpu else node.memory_mb
    if capacity <= 0:
        return {IDLE: price_units}
    used: dict[str, int] = {}
    for r in node.replicas:
        used[r.service] = used.get(r.service, 0) + (r.cpu_mhz if by_cpu else r.memory_mb)
    # Service s's exact share is price x used[s] / capacity; the idle share is the rest.
    parts = {s: price_units * amount for s, amount in used.items()}
    total = sum(parts.values())
    if total > price_units * capacity and total > 0:  # over-full (not a valid plan, but readable): pro rata
        parts = {s: price_units * part for s, part in parts.items()}
        parts[IDLE] = 0
        return _largest_remainder(parts, total, price_units)
    parts[IDLE] = price_units * capacity - total
    return _largest_remainder(parts, capacity, price_units)


def _largest_remainder(numerators: Mapping[str, int], denominator: int, total: int) -> dict[str, int]:
    """Parts numerator / denominator rounded to integers that sum to `total`: the floors, plus one
    for the parts with the largest remainders."""
    floors = {k: v // denominator for k, v in numerators.items()}
    left = total - sum(floors.values())
    # Ties by name (idle "" first), so the split is the same on every run.
    order = sorted(numerators, key=lambda k: (-(numerators[k] % denominator), k))
    for k in order[:left]:
        floors[k] += 1
    return floors


def cost_shares(nodes: Sequence[Node], unit_prices: Mapping[str, float]) -> CostShares:
    """The baseline's cost per service and its idle cost; `unit_prices` is pool -> price per node and month."""
    units: dict[str, int] = {}
    price_units = {pool: to_units(price) for pool, price in unit_prices.items()}
    for node in nodes:
        for key, value in node_shares(node, price_units[node.pool]).items():
            units[key] = units.get(key, 0) + value
    idle = units.pop(IDLE, 0)
    ordered = dict(sorted(units.items()))
    return CostShares({s: from_units(u) for s, u in ordered.items()}, from_units(idle), {**ordered, IDLE: idle})
