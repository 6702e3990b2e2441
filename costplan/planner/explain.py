"""Why this plan: what each pool hosts and wastes, and what the rejected alternatives would cost."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from costplan.plans import Alternative, Node, PlacementEstimate, PlannedPool, PoolExplanation, from_units, to_units


def pool_explanations(pools: Sequence[PlannedPool], nodes: Sequence[Node]) -> tuple[PoolExplanation, ...]:
    """Per pool: replicas by service, utilisation, idle capacity and the monthly cost of the idle part.

    A node's idle share is what its binding dimension leaves free (1 - max(CPU use, memory use)),
    since the other dimension's slack cannot be sold separately.
    """
    by_pool: dict[str, list[Node]] = {}
    for n in nodes:
        by_pool.setdefault(n.pool, []).append(n)
    out = []
    for pool in pools:
        mine = by_pool.get(pool.name, [])
        hosts: Counter[str] = Counter(r.service for n in mine for r in n.replicas)
        cap_cpu = pool.cpu_mhz * len(mine)
        cap_mem = pool.memory_mb * len(mine)
        used_cpu = sum(n.used_cpu_mhz for n in mine)
        used_mem = sum(n.used_memory_mb for n in mine)
        idle_units = 0.0
        for n in mine:
            share = max(n.used_cpu_mhz / max(pool.cpu_mhz, 1), n.used_memory_mb / max(pool.memory_mb, 1))
            idle_units += to_units(pool.unit_monthly_price) * max(0.0, 1.0 - share)
        out.append(
            PoolExplanation(
                pool=pool.name,
                hosts=dict(sorted(hosts.items())),
                cpu_utilisation=round(100.0 * used_cpu / cap_cpu, 2) if cap_cpu else 0.0,
                memory_utilisation=round(100.0 * used_mem / cap_mem, 2) if cap_mem else 0.0,
                idle_cpu_mhz=cap_cpu - used_cpu,
                idle_memory_mb=cap_mem - used_mem,
                idle_monthly_cost=from_units(round(idle_units)),
            )
        )
    return tuple(out)


def alternative(
    kind: str,
    name: str,
    cost_units: int | None,
    plan_units: int,
    *,
    method: str,
    bound_units: float | None = None,
    note: str = "",
) -> Alternative:
    """A rejected option with its extra monthly cost over the plan (None when infeasible)."""
    if cost_units is None:
        return Alternative(kind, name, False, method=method, note=note or "infeasible")
    return Alternative(
        kind=kind,
        name=name,
        feasible=True,
        monthly_cost=from_units(cost_units),
        extra_cost=from_units(cost_units - plan_units),
        lower_bound=None if bound_units is None else from_units(int(bound_units)),
        method=method,
        note=note,
    )


def summary(
    cost_units: int,
    bound_units: int,
    currency: str,
    pools: Sequence[PlannedPool],
    n_nodes: int,
    baseline: Alternative | None,
    placement: PlacementEstimate | None = None,
) -> str:
    """One paragraph a person can read in a review."""
    gap = 0.0 if cost_units <= 0 else (cost_units - bound_units) / cost_units
    parts = [
        f"{n_nodes} node(s) in {len(pools)} pool(s) cost {from_units(cost_units):,.2f} {currency} per month.",
        "No cheaper plan exists (proven)."
        if gap <= 0
        else f"At most {gap:.2%} above the cheapest possible plan "
        f"(proven lower bound {bound_units // 100 / 100:,.2f} {currency}).",  # to the cent, rounded down
    ]
    if (
        baseline is not None
        and baseline.monthly_cost is not None
        and baseline.extra_cost is not None
        and baseline.extra_cost > 0
    ):
        share = baseline.extra_cost / baseline.monthly_cost if baseline.monthly_cost else 0.0
        parts.append(f"That is {share:.1%} less than {baseline.name} ({baseline.monthly_cost:,.2f} {currency}).")
    if placement is not None:
        parts.append(landing_line(placement, from_units(cost_units), currency, from_units(bound_units)) + ".")
    return " ".join(parts)


def landing_line(placement: PlacementEstimate, monthly_cost: float, currency: str, lower_bound: float) -> str:
    """`packing optimum 162.07, plan 165.10: +1.9 % so that it lands on >= 99 % of runs (200 runs, ...)`."""
    premium = monthly_cost - placement.packing_cost
    share = premium / placement.packing_cost if placement.packing_cost else 0.0
    runs = (
        f"{placement.landed_runs} of {placement.runs} seeded runs of the {placement.model} scheduler model land, "
        f"95 % lower bound {placement.landing_lower_bound:.1%}"
    )
    met = placement.landing_probability >= placement.target
    target = f"{placement.target:.0%}"
    promise = f"so that it lands on >= {target} of runs" if met else f"target {target} NOT met"
    packing = "Packing optimum" if to_units(placement.packing_cost) <= to_units(lower_bound) else "Best packing"
    return (
        f"{packing} {placement.packing_cost:,.2f}, plan {monthly_cost:,.2f} {currency}: {share:+.1%} {promise} ({runs})"
    )
