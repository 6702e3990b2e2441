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
from fractions import Fraction

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
    """`price_units` of one node split over its services and idle ("" key); the parts sum to it exactly."""
    used_cpu, used_mem = node.used_cpu_mhz, node.used_memory_mb
    cpu_share = Fraction(used_cpu, node.cpu_mhz) if node.cpu_mhz > 0 else Fraction(0)
    mem_share = Fraction(used_mem, node.memory_mb) if node.memory_mb > 0 else Fraction(0)
    by_cpu = cpu_share >= mem_share  # ties: CPU (the shares are equal, so either split is the same)
    capacity = node.cpu_mhz if by_cpu else node.memory_mb
    used: dict[str, int] = {}
    for r in node.replicas:
        used[r.service] = used.get(r.service, 0) + (r.cpu_mhz if by_cpu else r.memory_mb)
    exact: dict[str, Fraction] = {}
    if capacity > 0:
        exact = {s: Fraction(price_units * amount, capacity) for s, amount in used.items()}
    # An over-full node (not a valid plan, but readable) has no idle share and is split pro rata.
    total = sum(exact.values(), Fraction(0))
    if total > price_units and total > 0:
        exact = {s: v * price_units / total for s, v in exact.items()}
        total = Fraction(price_units)
    exact[IDLE] = price_units - total
    return _largest_remainder(exact, price_units)


def _largest_remainder(exact: Mapping[str, Fraction], total: int) -> dict[str, int]:
    floors = {k: v.numerator // v.denominator for k, v in exact.items()}
    left = total - sum(floors.values())
    # Ties by name (idle "" first), so the split is the same on every run.
    order = sorted(exact, key=lambda k: (-(exact[k] - floors[k]), k))
    for k in order[:left]:
        floors[k] += 1
    return floors


def cost_shares(nodes: Sequence[Node], unit_prices: Mapping[str, float]) -> CostShares:
    """The baseline's cost per service and its idle cost; `unit_prices` is pool -> price per node and month."""
    units: dict[str, int] = {}
    for node in nodes:
        for key, value in node_shares(node, to_units(unit_prices[node.pool])).items():
            units[key] = units.get(key, 0) + value
    idle = units.pop(IDLE, 0)
    ordered = dict(sorted(units.items()))
    return CostShares({s: from_units(u) for s, u in ordered.items()}, from_units(idle), {**ordered, IDLE: idle})
