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

from costplan.errors import InputError
from costplan.files import write_text_atomic
from costplan.models import ServiceSpec

PLAN_FORMAT_VERSION = 1
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
    gap: float
    status: str
    nodes: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Alternative:
    """A cheaper-looking option the planner rejected, and what it would cost more."""

    kind: str  # baseline_ffd | baseline_least_waste | single_type | single_provider
    name: str
    feasible: bool
    monthly_cost: float | None = None
    extra_cost: float | None = None
    lower_bound: float | None = None
    method: str = ""
    note: str = ""


@dataclass(frozen=True)
class PoolExplanation:
    """Why a pool is there: what it hosts, how full it is, what its idle part costs."""

    pool: str
    hosts: Mapping[str, int]
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
    source: str  # where the model's rules come from, e.g. "hashicorp/nomad@aa026cc scheduler/feasible"
    runs: int
    seed: int
    landed_runs: int
    landing_probability: float
    landing_lower_bound: float
    target: float  # the --landing target the plan was searched for (0: no scheduler stage)
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
class Plan:
    """The cheapest pools found for a demand, with the node-by-node placement and its proof.

    `lower_bound` is proven: no plan for the same demand and options costs less, so `gap`
    is how far from optimal this plan can at most be; `status` is "optimal" when it is 0.
    """

    monthly_cost: float
    lower_bound: float
    gap: float
    status: str
    currency: str
    pools: tuple[PlannedPool, ...]
    nodes: tuple[Node, ...]
    services: tuple[ServiceSpec, ...]
    environment_uuid: str | None = None
    created_at: str = ""
    assumptions: Mapping[str, Any] = field(default_factory=dict)
    alternatives: tuple[Alternative, ...] = ()
    explanations: Explanations = field(default_factory=Explanations)
    placement_check: PlacementCheck | None = None
    peak: PeakPlan | None = None
    # Service name -> names of the pools it may use: exactly what the provisioner sends as
    # constraints.instancePoolUuids. Empty (an older plan): derived with `may_use`.
    service_pools: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Service names in the order the provisioner submits them (and the scheduler model assumed).
    submission_order: tuple[str, ...] = ()
    placement: PlacementEstimate | None = None
    # The plan's identity for ownership markers (`provisioner.ownership`); empty: derived.
    name: str = ""

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
        """The plan-JSON document (docs/planner.md section 2); `from_dict` reads it back."""
        return {
            "version": PLAN_FORMAT_VERSION,
            **({"name": self.name} if self.name else {}),
            "monthly_cost": self.monthly_cost,
            "lower_bound": self.lower_bound,
            "gap": self.gap,
            "status": self.status,
            "currency": self.currency,
            "environment_uuid": self.environment_uuid,
            "created_at": self.created_at,
            "pools": [_pool_to_dict(p) for p in self.pools],
            "nodes": [_node_to_dict(n) for n in self.nodes],
            "services": [{**service_to_dict(s), "pools": list(self.pools_of(s.name))} for s in self.services],
            "submission_order": [s.name for s in self.ordered_services()],
            "placement": None if self.placement is None else _placement_estimate_to_dict(self.placement),
            "assumptions": _jsonable(self.assumptions),
            "alternatives": [_alternative_to_dict(a) for a in self.alternatives],
            "explanations": {
                "summary": self.explanations.summary,
                "bound": self.explanations.bound,
                "pools": [
                    {
                        "pool": e.pool,
                        "hosts": dict(e.hosts),
                        "cpu_utilisation": e.cpu_utilisation,
                        "memory_utilisation": e.memory_utilisation,
                        "idle_cpu_mhz": e.idle_cpu_mhz,
                        "idle_memory_mb": e.idle_memory_mb,
                        "idle_monthly_cost": e.idle_monthly_cost,
                    }
                    for e in self.explanations.pools
                ],
            },
            "placement_check": None
            if self.placement_check is None
            else {
                "succeeds": self.placement_check.succeeds,
                "failed_services": dict(self.placement_check.failed_services),
                "method": self.placement_check.method,
            },
            "peak": None
            if self.peak is None
            else {
                "monthly_cost": self.peak.monthly_cost,
                "lower_bound": self.peak.lower_bound,
                "gap": self.peak.gap,
                "status": self.peak.status,
                "nodes": [_node_to_dict(n) for n in self.peak.nodes],
            },
        }

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "plan") -> Plan:
        """Read a plan-JSON document; a malformed one raises `InputError` naming the field."""
        r = _Reader(source)
        d = r.mapping(data, "")
        version = d.get("version", PLAN_FORMAT_VERSION)
        if version != PLAN_FORMAT_VERSION:
            raise InputError(f"{source}: unsupported plan format version {version!r}")
        status = r.string(d, "status", "")
        if status not in STATUSES:
            raise InputError(f"{source}: status must be one of {', '.join(STATUSES)}, got {status!r}")
        pools = tuple(_pool_from_dict(r, p, f"pools[{i}]") for i, p in enumerate(r.seq(d, "pools", "")))
        nodes = tuple(_node_from_dict(r, n, f"nodes[{i}]") for i, n in enumerate(r.seq(d, "nodes", "")))
        raw_services = r.seq(d, "services", "", default=[])
        services = tuple(_service_from_dict(r, s, f"services[{i}]") for i, s in enumerate(raw_services))
        service_pools = {
            spec.name: r.strings(item, "pools", f"services[{i}]")
            for i, (spec, item) in enumerate(zip(services, raw_services, strict=True))
            if "pools" in item
        }
        submission = r.strings(d, "submission_order", "") if "submission_order" in d else ()
        alternatives = tuple(
            _alternative_from_dict(r, a, f"alternatives[{i}]")
            for i, a in enumerate(r.seq(d, "alternatives", "", default=[]))
        )
        return cls(
            monthly_cost=r.number(d, "monthly_cost", ""),
            lower_bound=r.number(d, "lower_bound", ""),
            gap=r.number(d, "gap", "", default=0.0),
            status=status,
            currency=r.string(d, "currency", "", default="EUR"),
            environment_uuid=r.optional_string(d, "environment_uuid", ""),
            created_at=r.string(d, "created_at", "", default=""),
            pools=pools,
            nodes=nodes,
            services=services,
            assumptions=r.mapping(d.get("assumptions", {}), "assumptions"),
            alternatives=alternatives,
            explanations=_explanations_from_dict(r, d.get("explanations") or {}),
            placement_check=_placement_from_dict(r, d.get("placement_check")),
            peak=_peak_from_dict(r, d.get("peak")),
            service_pools=service_pools,
            submission_order=submission,
            placement=_placement_estimate_from_dict(r, d.get("placement")),
            name=r.string(d, "name", "", default=""),
        )

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


# -- (de)serialisation helpers ---------------------------------------------------------


def service_to_dict(s: ServiceSpec) -> dict[str, Any]:
    return {
        "name": s.name,
        "count_min": s.count_min,
        "count_max": s.count_max,
        "cpu_mhz": s.cpu_mhz,
        "memory_mb": s.memory_mb,
        "spread": s.spread,
        "providers": list(s.providers),
        "tags": list(s.tags),
        "image": s.image,
    }


def _pool_to_dict(p: PlannedPool) -> dict[str, Any]:
    return {
        "name": p.name,
        "provider_uuid": p.provider_uuid,
        "provider": p.provider,
        "instance_type_uuid": p.instance_type_uuid,
        "instance_type": p.instance_type,
        "vcpus": p.vcpus,
        "memory_gb": p.memory_gb,
        "count_min": p.count_min,
        "count_max": p.count_max,
        "unit_monthly_price": p.unit_monthly_price,
        "monthly_cost": p.monthly_cost,
        "tags": list(p.tags),
        "cpu_mhz": p.cpu_mhz,
        "memory_mb": p.memory_mb,
    }


def _node_to_dict(n: Node) -> dict[str, Any]:
    return {
        "pool": n.pool,
        "cpu_mhz": n.cpu_mhz,
        "memory_mb": n.memory_mb,
        "replicas": [{"service": r.service, "cpu_mhz": r.cpu_mhz, "memory_mb": r.memory_mb} for r in n.replicas],
    }


def _alternative_to_dict(a: Alternative) -> dict[str, Any]:
    return {
        "kind": a.kind,
        "name": a.name,
        "feasible": a.feasible,
        "monthly_cost": a.monthly_cost,
        "extra_cost": a.extra_cost,
        "lower_bound": a.lower_bound,
        "method": a.method,
        "note": a.note,
    }


def _placement_estimate_to_dict(p: PlacementEstimate) -> dict[str, Any]:
    return {
        "model": p.model,
        "source": p.source,
        "runs": p.runs,
        "seed": p.seed,
        "landed_runs": p.landed_runs,
        "landing_probability": p.landing_probability,
        "landing_lower_bound": p.landing_lower_bound,
        "target": p.target,
        "extra_nodes_expected": p.extra_nodes_expected,
        "extra_nodes_p95": p.extra_nodes_p95,
        "extra_monthly_cost_expected": p.extra_monthly_cost_expected,
        "extra_monthly_cost_p95": p.extra_monthly_cost_p95,
        "spread_kept": dict(p.spread_kept),
        "spread_enforced": p.spread_enforced,
        "packing_cost": p.packing_cost,
        "premium": p.premium,
        "deterministic_lands": p.deterministic_lands,
        "note": p.note,
    }


def _jsonable(value: Any) -> Any:
    """Assumptions are free-form: make sure they survive a JSON round trip unchanged."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    return str(value)


class _Reader:
    """Typed field access that names the file and the field in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, key: str, expected: str, value: Any) -> InputError:
        path = f"{where}.{key}" if where else key
        return InputError(f"{self.source}: {path}: expected {expected}, got {value!r}")

    def mapping(self, value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            label = where or "the document"
            raise InputError(f"{self.source}: {label}: expected an object, got {type(value).__name__}")
        return dict(value)

    def _get(self, d: Mapping[str, Any], key: str, where: str, default: Any) -> Any:
        if key in d:
            return d[key]
        if default is _MISSING:
            path = f"{where}.{key}" if where else key
            raise InputError(f"{self.source}: {path}: missing")
        return default

    def seq(self, d: Mapping[str, Any], key: str, where: str, default: Any = None) -> Sequence[Any]:
        value = self._get(d, key, where, _MISSING if default is None else default)
        if not isinstance(value, (list, tuple)):
            raise self.fail(where, key, "a list", value)
        return value

    def string(self, d: Mapping[str, Any], key: str, where: str, default: Any = None) -> str:
        value = self._get(d, key, where, _MISSING if default is None else default)
        if not isinstance(value, str):
            raise self.fail(where, key, "a string", value)
        return value

    def optional_string(self, d: Mapping[str, Any], key: str, where: str) -> str | None:
        value = d.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(where, key, "a string or null", value)
        return value

    def integer(self, d: Mapping[str, Any], key: str, where: str, default: Any = None) -> int:
        value = self._get(d, key, where, _MISSING if default is None else default)
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise self.fail(where, key, "an integer", value)
        return value

    def number(self, d: Mapping[str, Any], key: str, where: str, default: Any = None) -> float:
        value = self._get(d, key, where, _MISSING if default is None else default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(where, key, "a number", value)
        return float(value)

    def optional_number(self, d: Mapping[str, Any], key: str, where: str) -> float | None:
        if d.get(key) is None:
            return None
        return self.number(d, key, where)

    def boolean(self, d: Mapping[str, Any], key: str, where: str, default: Any = None) -> bool:
        value = self._get(d, key, where, _MISSING if default is None else default)
        if not isinstance(value, bool):
            raise self.fail(where, key, "true or false", value)
        return value

    def strings(self, d: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
        value = self.seq(d, key, where, default=[])
        if not all(isinstance(v, str) for v in value):
            raise self.fail(where, key, "a list of strings", value)
        return tuple(value)


_MISSING = object()


def _pool_from_dict(r: _Reader, data: Any, where: str) -> PlannedPool:
    d = r.mapping(data, where)
    return PlannedPool(
        name=r.string(d, "name", where),
        provider_uuid=r.string(d, "provider_uuid", where),
        provider=r.string(d, "provider", where),
        instance_type_uuid=r.string(d, "instance_type_uuid", where),
        instance_type=r.string(d, "instance_type", where),
        count_min=r.integer(d, "count_min", where),
        count_max=r.integer(d, "count_max", where),
        unit_monthly_price=r.number(d, "unit_monthly_price", where),
        monthly_cost=r.number(d, "monthly_cost", where),
        cpu_mhz=r.integer(d, "cpu_mhz", where),
        memory_mb=r.integer(d, "memory_mb", where),
        vcpus=r.optional_number(d, "vcpus", where),
        memory_gb=r.optional_number(d, "memory_gb", where),
        tags=r.strings(d, "tags", where),
    )


def _node_from_dict(r: _Reader, data: Any, where: str) -> Node:
    d = r.mapping(data, where)
    replicas = []
    for i, item in enumerate(r.seq(d, "replicas", where)):
        rw = f"{where}.replicas[{i}]"
        rd = r.mapping(item, rw)
        replicas.append(
            Replica(
                service=r.string(rd, "service", rw),
                cpu_mhz=r.integer(rd, "cpu_mhz", rw),
                memory_mb=r.integer(rd, "memory_mb", rw),
            )
        )
    return Node(
        pool=r.string(d, "pool", where),
        cpu_mhz=r.integer(d, "cpu_mhz", where),
        memory_mb=r.integer(d, "memory_mb", where),
        replicas=tuple(replicas),
    )


def _service_from_dict(r: _Reader, data: Any, where: str) -> ServiceSpec:
    d = r.mapping(data, where)
    return ServiceSpec(
        name=r.string(d, "name", where),
        count_min=r.integer(d, "count_min", where),
        count_max=r.integer(d, "count_max", where),
        cpu_mhz=r.integer(d, "cpu_mhz", where),
        memory_mb=r.integer(d, "memory_mb", where),
        spread=r.boolean(d, "spread", where, default=False),
        providers=r.strings(d, "providers", where),
        tags=r.strings(d, "tags", where),
        image=r.optional_string(d, "image", where),
    )


def _alternative_from_dict(r: _Reader, data: Any, where: str) -> Alternative:
    d = r.mapping(data, where)
    return Alternative(
        kind=r.string(d, "kind", where),
        name=r.string(d, "name", where, default=""),
        feasible=r.boolean(d, "feasible", where, default=True),
        monthly_cost=r.optional_number(d, "monthly_cost", where),
        extra_cost=r.optional_number(d, "extra_cost", where),
        lower_bound=r.optional_number(d, "lower_bound", where),
        method=r.string(d, "method", where, default=""),
        note=r.string(d, "note", where, default=""),
    )


def _explanations_from_dict(r: _Reader, data: Any) -> Explanations:
    d = r.mapping(data, "explanations")
    pools = []
    for i, item in enumerate(r.seq(d, "pools", "explanations", default=[])):
        w = f"explanations.pools[{i}]"
        e = r.mapping(item, w)
        hosts = r.mapping(e.get("hosts", {}), f"{w}.hosts")
        pools.append(
            PoolExplanation(
                pool=r.string(e, "pool", w),
                hosts={str(k): r.integer(hosts, k, f"{w}.hosts") for k in hosts},
                cpu_utilisation=r.number(e, "cpu_utilisation", w),
                memory_utilisation=r.number(e, "memory_utilisation", w),
                idle_cpu_mhz=r.integer(e, "idle_cpu_mhz", w),
                idle_memory_mb=r.integer(e, "idle_memory_mb", w),
                idle_monthly_cost=r.number(e, "idle_monthly_cost", w),
            )
        )
    return Explanations(
        summary=r.string(d, "summary", "explanations", default=""),
        bound=r.string(d, "bound", "explanations", default=""),
        pools=tuple(pools),
    )


def _placement_from_dict(r: _Reader, data: Any) -> PlacementCheck | None:
    if data is None:
        return None
    d = r.mapping(data, "placement_check")
    failed = r.mapping(d.get("failed_services", {}), "placement_check.failed_services")
    return PlacementCheck(
        succeeds=r.boolean(d, "succeeds", "placement_check"),
        failed_services={str(k): r.integer(failed, k, "placement_check.failed_services") for k in failed},
        method=r.string(d, "method", "placement_check", default=""),
    )


def _peak_from_dict(r: _Reader, data: Any) -> PeakPlan | None:
    if data is None:
        return None
    d = r.mapping(data, "peak")
    return PeakPlan(
        monthly_cost=r.number(d, "monthly_cost", "peak"),
        lower_bound=r.number(d, "lower_bound", "peak"),
        gap=r.number(d, "gap", "peak", default=0.0),
        status=r.string(d, "status", "peak", default="feasible"),
        nodes=tuple(_node_from_dict(r, n, f"peak.nodes[{i}]") for i, n in enumerate(r.seq(d, "nodes", "peak"))),
    )


def _placement_estimate_from_dict(r: _Reader, data: Any) -> PlacementEstimate | None:
    if data is None:
        return None
    w = "placement"
    d = r.mapping(data, w)
    kept = r.mapping(d.get("spread_kept", {}), f"{w}.spread_kept")
    lands = d.get("deterministic_lands")
    return PlacementEstimate(
        model=r.string(d, "model", w),
        source=r.string(d, "source", w, default=""),
        runs=r.integer(d, "runs", w),
        seed=r.integer(d, "seed", w, default=0),
        landed_runs=r.integer(d, "landed_runs", w),
        landing_probability=r.number(d, "landing_probability", w),
        landing_lower_bound=r.number(d, "landing_lower_bound", w),
        target=r.number(d, "target", w, default=0.0),
        extra_nodes_expected=r.number(d, "extra_nodes_expected", w, default=0.0),
        extra_nodes_p95=r.integer(d, "extra_nodes_p95", w, default=0),
        extra_monthly_cost_expected=r.number(d, "extra_monthly_cost_expected", w, default=0.0),
        extra_monthly_cost_p95=r.number(d, "extra_monthly_cost_p95", w, default=0.0),
        spread_kept={str(k): r.number(kept, k, f"{w}.spread_kept") for k in kept},
        spread_enforced=r.boolean(d, "spread_enforced", w, default=False),
        packing_cost=r.number(d, "packing_cost", w, default=0.0),
        premium=r.number(d, "premium", w, default=0.0),
        deterministic_lands=None if lands is None else r.boolean(d, "deterministic_lands", w),
        note=r.string(d, "note", w, default=""),
    )
