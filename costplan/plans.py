"""The Plan value objects and the plan-JSON contract.

A plan file is the input of `provision` and `report`, so this module stays light (stdlib
only) and owns the money arithmetic: prices carry at most 4 decimals, so every total is
computed in integer units of 1/10 000 (`to_units`) and stored rounded to 4 decimals. The
provisioner rechecks `monthly_cost == sum(pool costs)` with the same helpers to detect tampering.

```python
plan = Plan.load("plan.json")
print(plan.monthly_cost, plan.status, [p.name for p in plan.pools])
plan.save("copy.json")
```
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costplan import codec
from costplan.errors import InputError
from costplan.files import write_text_atomic
from costplan.models import ServiceSpec

PLAN_FORMAT_VERSION = 1
PLAN_VERSIONS = (1,)  # the formats `Plan.from_dict` reads, oldest first
MONEY_SCALE = 10_000  # prices carry at most 4 decimals: money is exact in these units
STATUSES = ("optimal", "feasible")


def to_units(amount: float) -> int:
    """Money as an exact integer count of 1/10 000 (the catalogue's price resolution)."""
    return int(round(float(amount) * MONEY_SCALE))


def from_units(units: int) -> float:
    """The float to store for `units`, rounded to 4 decimals."""
    return round(units / MONEY_SCALE, 4)


def bound_from_units(units: float) -> float:
    """A lower bound rounded *down* to 4 decimals, so rounding never makes it invalid."""
    return math.floor(units + 1e-9) / MONEY_SCALE


def relative_gap(cost: float, lower_bound: float) -> float:
    """(cost - bound) / cost, the usual MIP gap; 0 for a free plan."""
    if cost <= 0:
        return 0.0
    return max(0.0, (to_units(cost) - to_units(lower_bound)) / to_units(cost))


def matches_provider(names: Sequence[str], provider: str, provider_uuid: str) -> bool:
    """Providers are named by display name (any case) or uuid."""
    wanted = {n.casefold() for n in names}
    return provider.casefold() in wanted or provider_uuid.casefold() in wanted


def may_use(service: ServiceSpec, pool: PlannedPool) -> bool:
    """Whether the scheduler simulation lets `service` run on `pool`: its providers and its tags."""
    if service.providers and not matches_provider(service.providers, pool.provider, pool.provider_uuid):
        return False
    return set(service.tags) <= set(pool.tags)


def submission_key(
    cpu_mhz: int,
    memory_mb: int,
    name: str,
    largest: tuple[int, int],
    *,
    pinned: bool = False,
    spread: bool = False,
) -> tuple[bool, bool, float, str]:
    """Sort key of the order services are submitted to the platform (and simulated) in.

    Most constrained first: services pinned to some providers (fewest nodes to choose from), then
    spread services (one replica per node: they need many nodes with room), then the largest
    replica first (its CPU share plus its memory share of the largest node, `largest` = (MHz, MB)
    over the nodes), ties by service name. The planner's scheduler simulation and the provisioner
    both use this key, so they agree on the order.
    """
    big_cpu, big_mem = max(int(largest[0]), 1), max(int(largest[1]), 1)
    return not pinned, not spread, -(int(cpu_mhz) / big_cpu + int(memory_mb) / big_mem), name


def submission_order(services: Sequence[ServiceSpec], nodes: Sequence[Node]) -> list[ServiceSpec]:
    """`services` in the order the provisioner submits them: `submission_key` over the plan's nodes."""
    largest = (max((n.cpu_mhz for n in nodes), default=1), max((n.memory_mb for n in nodes), default=1))

    def key(s: ServiceSpec) -> tuple[bool, bool, float, str]:
        return submission_key(s.cpu_mhz, s.memory_mb, s.name, largest, pinned=bool(s.providers), spread=s.spread)

    return sorted(services, key=key)


@dataclass(frozen=True)
class Replica:
    """One running copy of a service with its reservation."""

    service: str
    cpu_mhz: int
    memory_mb: int


@dataclass(frozen=True)
class Node:
    """One planned instance: its pool, usable capacity and the replicas placed on it."""

    pool: str
    cpu_mhz: int
    memory_mb: int
    replicas: tuple[Replica, ...] = ()

    @property
    def used_cpu_mhz(self) -> int:
        return sum(r.cpu_mhz for r in self.replicas)

    @property
    def used_memory_mb(self) -> int:
        return sum(r.memory_mb for r in self.replicas)


@dataclass(frozen=True)
class PlannedPool:
    """An instance pool to create: `count_min` nodes now, up to `count_max` at peak."""

    name: str
    provider_uuid: str
    provider: str
    instance_type_uuid: str
    instance_type: str
    count_min: int
    count_max: int
    unit_monthly_price: float
    monthly_cost: float
    cpu_mhz: int  # usable per node, after overhead and headroom
    memory_mb: int
    vcpus: float | None = None
    memory_gb: float | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeakPlan:
    """The `count_max` demand placed on at most `count_max` nodes per pool."""

    monthly_cost: float
    lower_bound: float
    gap: float = field(metadata=codec.json(missing=0.0))
    status: str = field(metadata=codec.json(missing="feasible"))
    nodes: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Alternative:
    """A cheaper-looking option the planner rejected, and what it would cost more."""

    kind: str  # baseline_ffd | baseline_least_waste | single_type | single_provider
    name: str = field(metadata=codec.json(missing=""))
    feasible: bool = field(metadata=codec.json(missing=True))
    monthly_cost: float | None = None
    extra_cost: float | None = None
    lower_bound: float | None = None
    method: str = ""
    note: str = ""


@dataclass(frozen=True)
class PoolExplanation:
    """Why a pool is there: what it hosts, how full it is, what its idle part costs."""

    pool: str
    hosts: Mapping[str, int] = field(metadata=codec.json(missing={}))
    cpu_utilisation: float  # percent of usable capacity
    memory_utilisation: float
    idle_cpu_mhz: int
    idle_memory_mb: int
    idle_monthly_cost: float


@dataclass(frozen=True)
class Explanations:
    summary: str = ""
    bound: str = ""
    pools: tuple[PoolExplanation, ...] = ()


@dataclass(frozen=True)
class PlacementCheck:
    """Whether the platform's greedy (best-fit) placement would land every replica."""

    succeeds: bool
    failed_services: Mapping[str, int] = field(default_factory=dict)
    method: str = ""


@dataclass(frozen=True)
class PlacementEstimate:
    """What the platform's scheduler makes of the plan: seeded Monte Carlo runs of its model.

    A run *lands* when every replica of every service is placed on the plan's nodes (submitted in
    `Plan.submission_order`, each service restricted to its `Plan.service_pools`). When a run does not
    land, the platform's pools autoscale: `extra_*` are the nodes (and their monthly cost) the model
    needs to add until it does. `landing_lower_bound` is a one-sided 95 % confidence bound on the
    landing probability (Clopper-Pearson), so "lands on >= 99 %" is claimed only when it holds.
    """

    model: str  # "nomad" (Nomad's service scheduler, faithful) or "best-fit" (deterministic, every node scored)
    # Where the model's rules come from, e.g. "hashicorp/nomad@aa026cc scheduler/feasible".
    source: str = field(metadata=codec.json(missing=""))
    runs: int
    seed: int = field(metadata=codec.json(missing=0))
    landed_runs: int
    landing_probability: float
    landing_lower_bound: float
    # The --landing target the plan was searched for (0: no scheduler stage).
    target: float = field(metadata=codec.json(missing=0.0))
    extra_nodes_expected: float = 0.0
    extra_nodes_p95: int = 0
    extra_monthly_cost_expected: float = 0.0
    extra_monthly_cost_p95: float = 0.0
    spread_kept: Mapping[str, float] = field(default_factory=dict)  # spread service -> share of runs, one per node
    spread_enforced: bool = False  # no known LayerOps service field carries a distinct-hosts rule
    packing_cost: float = 0.0  # monthly cost of the packing before the scheduler stage
    premium: float = 0.0  # monthly_cost - packing_cost: what landing costs
    deterministic_lands: bool | None = None  # the same plan under the "best-fit" model, for comparison
    note: str = ""


@dataclass(frozen=True)
class Usage:
    """The stated usage assumption: how many hours a month the pools run at peak (`count_max`)."""

    peak_hours_per_month: float
    source: str  # where the figure comes from, in words (the flag, the services file, a weekly profile)


@dataclass(frozen=True)
class Commitment:
    """`--commit baseline`: the always-on baseline at committed prices, the burst above it on demand.

    `on_demand_monthly_cost` is the same baseline nodes at on-demand prices; `saving` the difference.
    `on_demand_unit_prices` (pool -> on-demand price per node and month) prices the burst nodes.
    """

    mode: str  # "baseline"
    committed_monthly_cost: float
    on_demand_monthly_cost: float
    saving: float
    on_demand_unit_prices: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """The cheapest pools found for a demand, with the node-by-node placement and its proof.

    `lower_bound` is proven: no plan for the same demand and options costs less, so `gap`
    is how far from optimal this plan can at most be; `status` is "optimal" when it is 0.
    """

    monthly_cost: float
    lower_bound: float
    gap: float = field(metadata=codec.json(missing=0.0))
    status: str = field(metadata=codec.json(choices=STATUSES))
    currency: str = field(metadata=codec.json(missing="EUR"))
    pools: tuple[PlannedPool, ...] = field()
    nodes: tuple[Node, ...] = field()
    services: tuple[ServiceSpec, ...] = field(metadata=codec.json(missing=()))
    environment_uuid: str | None = None
    created_at: str = ""
    assumptions: Mapping[str, Any] = field(default_factory=dict)
    alternatives: tuple[Alternative, ...] = ()
    explanations: Explanations = field(default_factory=Explanations)
    placement_check: PlacementCheck | None = None
    peak: PeakPlan | None = None
    # Service name -> names of the pools it may use: exactly what the provisioner sends as
    # constraints.instancePoolUuids. Empty (an older plan): derived with `may_use`.
    # In the JSON each `services[]` entry holds its own `pools`.
    service_pools: Mapping[str, tuple[str, ...]] = field(
        default_factory=dict, metadata=codec.json(inside=("services", "name", "pools"))
    )
    # Service names in the order the provisioner submits them (and the scheduler model assumed).
    submission_order: tuple[str, ...] = ()
    placement: PlacementEstimate | None = None
    # The plan's identity for ownership markers (`provisioner.ownership`); empty: derived.
    name: str = field(default="", metadata=codec.json(omit=""))
    # Usage-aware figures (issue 13): expected = baseline + (peak - baseline) x H / 720, None without
    # a usage assumption; the baseline's cost split over the services (binding dimension per node) and
    # the idle rest; the committed-price block of `--commit baseline`. Older plans: None / empty.
    expected_monthly_cost: float | None = None
    usage: Usage | None = None
    commit: Commitment | None = None
    service_costs: Mapping[str, float] = field(
        default_factory=dict, metadata=codec.json(inside=("services", "name", "monthly_cost"))
    )
    idle_monthly_cost: float | None = None

    def __post_init__(self) -> None:
        # A plan without its own pools per service or submission order (an older plan file) gets
        # the ones the provisioner always derived, so every plan states what will be sent.
        given = self.service_pools
        pools = {
            s.name: tuple(given[s.name]) if s.name in given else tuple(p.name for p in self.pools if may_use(s, p))
            for s in self.services
        }
        pools.update({k: tuple(v) for k, v in given.items()})
        object.__setattr__(self, "service_pools", pools)
        if not self.submission_order:
            order = tuple(s.name for s in submission_order(self.services, self.nodes))
            object.__setattr__(self, "submission_order", order)

    def pools_of(self, service: str) -> tuple[str, ...]:
        """The pools `service` may use, as the provisioner sends them."""
        return tuple(self.service_pools.get(service, ()))

    def ordered_services(self) -> list[ServiceSpec]:
        """The services in the order the provisioner submits them."""
        rank = {name: i for i, name in enumerate(self.submission_order)}
        return sorted(self.services, key=lambda s: rank.get(s.name, len(rank)))

    def __repr__(self) -> str:
        return (
            f"Plan(monthly_cost={self.monthly_cost} {self.currency}, status={self.status!r}, "
            f"gap={self.gap:.4f}, pools={len(self.pools)}, nodes={len(self.nodes)})"
        )

    def pool(self, name: str) -> PlannedPool:
        for pool in self.pools:
            if pool.name == name:
                return pool
        raise KeyError(name)

    # -- JSON ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The plan-JSON document (docs/planner.md section 2, `costplan schema plan`); `from_dict` reads it."""
        return codec.dump_document(self, PLAN_FORMAT_VERSION)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "plan") -> Plan:
        """Read a plan-JSON document; every problem (a field named by its path) in one `InputError`."""
        return codec.load_document(cls, data, source=source, kind="plan", versions=PLAN_VERSIONS)

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the plan JSON atomically: a crash never leaves a half-written plan behind."""
        return write_text_atomic(path, self.to_json() + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Plan:
        """Read a plan file; unreadable or malformed files raise `InputError` naming the file."""
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{source}: cannot read the plan file: {exc.strerror or exc}") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from exc
        return cls.from_dict(data, source=source)

    # -- Jupyter ------------------------------------------------------------------------

    def _repr_html_(self) -> str:
        """A small table for notebooks: one row per pool, then the totals and the proof."""
        e = html.escape
        rows = "".join(
            f"<tr><td>{e(p.name)}</td><td>{e(p.provider)}</td><td>{e(p.instance_type)}</td>"
            f"<td style='text-align:right'>{p.count_min}</td><td style='text-align:right'>{p.count_max}</td>"
            f"<td style='text-align:right'>{p.unit_monthly_price:,.4f}</td>"
            f"<td style='text-align:right'>{p.monthly_cost:,.4f}</td></tr>"
            for p in self.pools
        )
        return (
            "<table>"
            "<thead><tr><th>pool</th><th>provider</th><th>type</th><th>count min</th><th>count max</th>"
            f"<th>unit / month</th><th>{e(self.currency)} / month</th></tr></thead>"
            f"<tbody>{rows}</tbody>"
            f"<tfoot><tr><td colspan='6'><b>total</b> ({len(self.nodes)} nodes, status {e(self.status)}, "
            f"gap {self.gap:.2%}, lower bound {self.lower_bound:,.4f})</td>"
            f"<td style='text-align:right'><b>{self.monthly_cost:,.4f}</b></td></tr></tfoot>"
            "</table>"
        )
