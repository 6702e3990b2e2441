"""What the platform made of a plan: the placement the API reports, compared with the plan's.

After `apply --with-services`, the service status endpoints list the instances (nodes) each
service's replicas run on (`instances[]`; `serviceCount` counts every replica on that node), and
the pool status endpoints how many instances each pool has now (`count`: more than the plan's
`count_min` when the pool autoscaled because replicas did not land). `realised` reads both and
compares them with the plan: replicas running per service and the nodes they use, replicas per
node, pools grown, and the monthly cost that results.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from costplan.plans import Plan, from_units, to_units

if TYPE_CHECKING:
    from costplan.provisioner.reader import EnvironmentReader

COLUMNS = ("kind", "name", "planned", "realised", "as_planned", "detail")


@dataclass(frozen=True)
class Realised:
    """The comparison, one row per pool and per service, and the two monthly costs."""

    rows: tuple[dict[str, Any], ...]
    planned_cost: float
    realised_cost: float | None  # None when some pool's price is unknown
    currency: str

    @property
    def replicas_missing(self) -> int:
        return sum(max(0, r["planned"] - (r["realised"] or 0)) for r in self.rows if r["kind"] == "service")

    @property
    def pools_grown(self) -> dict[str, int]:
        return {r["name"]: r["realised"] - r["planned"] for r in self.rows if r["kind"] == "pool" and r["grown"]}

    def records(self) -> list[dict[str, Any]]:
        return [{k: r[k] for k in COLUMNS} for r in self.rows]

    def summary(self) -> str:
        """`realised: every replica runs (42 of 42), no pool grew, 165.10 EUR/month as planned`."""
        services = [r for r in self.rows if r["kind"] == "service"]
        planned = sum(r["planned"] for r in services)
        running = sum(r["realised"] or 0 for r in services)
        lands = "every replica runs" if not self.replicas_missing else f"{self.replicas_missing} replica(s) do not run"
        grown = self.pools_grown
        growth = "no pool grew" if not grown else "pools grew: " + ", ".join(f"{k} +{v}" for k, v in grown.items())
        moved = sum(1 for r in services if not r["as_planned"])
        same = all(r["as_planned"] for r in self.rows if r["kind"] == "nodes")
        as_planned = not moved and same
        layout = ", replicas per node as planned" if as_planned else ", placed differently from the plan's nodes"
        if self.realised_cost is None:
            cost = "cost unknown (a pool's price is missing)"
        elif to_units(self.realised_cost) == to_units(self.planned_cost):
            cost = f"{self.realised_cost:,.2f} {self.currency}/month as planned"
        else:
            delta = self.realised_cost - self.planned_cost
            cost = f"{self.realised_cost:,.2f} {self.currency}/month ({delta:+,.2f} over the plan)"
        return f"realised: {lands} ({running} of {planned}), {growth}{layout}; {cost}"


def realised(reader: EnvironmentReader, plan: Plan, environment_uuid: str) -> Realised:
    """Read the environment's pools and services (reads only) and compare them with `plan`."""
    environment = reader.environment(environment_uuid)
    prices = reader.price_book(environment)
    live_pools = {p.name: p for p in reader.live_pools(environment_uuid)}
    wanted_pools = [live_pools[p.name] for p in plan.pools if p.name in live_pools]
    pool_status = reader.pool_statuses(wanted_pools)
    live_services = {s.name: s for s in reader.live_services(environment_uuid)}
    wanted_services = [live_services[s.name] for s in plan.services if s.name in live_services]
    service_status = reader.service_statuses(wanted_services)

    rows: list[dict[str, Any]] = []
    total: int | None = 0
    for pool in plan.pools:
        live = live_pools.get(pool.name)
        status = pool_status.get(live.uuid) if live is not None else None
        count = status.count if status is not None else None
        grown = count is not None and count > pool.count_min
        detail = "missing" if live is None else (f"autoscaled +{(count or 0) - pool.count_min}" if grown else "")
        cost = prices.cost(live, count) if live is not None and count is not None else None
        total = None if total is None or cost is None else total + to_units(cost)
        rows.append(
            {
                "kind": "pool",
                "name": pool.name,
                "planned": pool.count_min,
                "realised": count,
                "as_planned": count == pool.count_min,
                "grown": grown,
                "detail": detail,
            }
        )
    planned_nodes = _planned_nodes(plan)
    per_node: dict[str, int] = {}  # instance uuid -> replicas on it (all services: `serviceCount`)
    for spec in plan.services:
        live_service = live_services.get(spec.name)
        service = service_status.get(live_service.uuid) if live_service is not None else None
        running = service.count_running if service is not None else None
        nodes = {i.uuid for i in service.instances} if service is not None else set()
        by_pool: Counter[str] = Counter()
        for i in service.instances if service is not None else ():
            per_node[i.uuid] = i.service_count
            by_pool[i.instance_pool_name] += 1
        want = planned_nodes.get(spec.name, 0)
        same = running == spec.count_min and len(nodes) == want
        rows.append(
            {
                "kind": "service",
                "name": spec.name,
                "planned": spec.count_min,
                "realised": running,
                "as_planned": same,
                "grown": False,
                "detail": f"on {len(nodes)} node(s), plan {want}"
                + (f": {', '.join(f'{k} x{v}' for k, v in sorted(by_pool.items()))}" if by_pool else ""),
            }
        )
    planned_load = sorted((len(n.replicas) for n in plan.nodes if n.replicas), reverse=True)
    load = sorted((k for k in per_node.values() if k), reverse=True)
    rows.append(
        {
            "kind": "nodes",
            "name": "replicas per node",
            "planned": len(planned_load),
            "realised": len(load),
            "as_planned": load == planned_load,
            "grown": False,
            "detail": f"realised {_pattern_text(load)}, plan {_pattern_text(planned_load)}",
        }
    )
    return Realised(
        rows=tuple(rows),
        planned_cost=plan.monthly_cost,
        realised_cost=None if total is None else from_units(total),
        currency=plan.currency,
    )


def _planned_nodes(plan: Plan) -> dict[str, int]:
    """Service -> how many of the plan's nodes hold at least one of its replicas."""
    out: Counter[str] = Counter()
    for node in plan.nodes:
        out.update({r.service for r in node.replicas})
    return dict(out)


def _pattern_text(pattern: list[int]) -> str:
    return "[" + " ".join(str(k) for k in pattern) + "]" if pattern else "[]"
