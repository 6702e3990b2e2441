"""What changes between two plans, or a plan and what an environment runs: pools, services, cost.

Pure: a `Side` is built from a plan (`side_from_plan`) or from an environment's pools and services
(`costplan.provisioner.status.environment_side`), and `diff_sides` compares two of them. Pools
are matched by name (the name the provisioner finds them by again): a name on one side only is
added or removed; on both, with another instance type, provider, count_min or count_max, resized.
A service has moved when the set of pools its replicas are on differs (compared only when both sides
know where services run: a plan written by hand without nodes does not).

The result is a frozen tree whose `to_dict()` is the diff JSON (`version` DIFF_FORMAT_VERSION):
`{"version", "currency", "old", "new", "monthly_cost", "expected_monthly_cost", "pools", "services"}`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError
from costplan.plans import from_units, to_units

if TYPE_CHECKING:
    from costplan.plans import Plan

DIFF_FORMAT_VERSION = 1
ADDED, REMOVED, RESIZED, MOVED, RESCALED = "added", "removed", "resized", "moved", "rescaled"


@dataclass(frozen=True)
class PoolState:
    """One pool on one side: what it is, its counts and what it costs a month (None: unpriced)."""

    name: str
    provider: str
    instance_type: str
    count_min: int | None
    count_max: int | None
    monthly_cost: float | None
    unit_monthly_price: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": self.provider,
            "instance_type": self.instance_type,
            "count_min": self.count_min,
            "count_max": self.count_max,
            "unit_monthly_price": self.unit_monthly_price,
            "monthly_cost": self.monthly_cost,
        }


@dataclass(frozen=True)
class Placement:
    """Where one service runs on one pool: on how many nodes, with how many replicas (None: not known,
    as for an environment: the API lists the nodes a service runs on, not its replicas per node)."""

    pool: str
    instance_type: str
    nodes: int
    replicas: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"pool": self.pool, "instance_type": self.instance_type, "nodes": self.nodes, "replicas": self.replicas}


@dataclass(frozen=True)
class Side:
    """One side of a diff: a plan file, or what an environment runs now."""

    kind: str  # "plan" | "environment"
    source: str  # the plan file, or the environment's uuid
    currency: str
    monthly_cost: float
    pools: tuple[PoolState, ...]
    services: Mapping[str, tuple[Placement, ...]] = field(default_factory=dict)
    expected_monthly_cost: float | None = None  # usage-aware estimate, when the plan has one
    unpriced: tuple[str, ...] = ()  # pools whose price is unknown: left out of monthly_cost
    placed: bool = True  # False: where services run is not known (a plan written without nodes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "currency": self.currency,
            "monthly_cost": self.monthly_cost,
            "expected_monthly_cost": self.expected_monthly_cost,
            "pools": len(self.pools),
            "nodes": sum(p.count_min or 0 for p in self.pools),
            "services": len(self.services),
            "placements_known": self.placed,
            "unpriced_pools": list(self.unpriced),
        }


@dataclass(frozen=True)
class CostChange:
    """A monthly figure before and after; `percent` is None when the old one is 0 (no base)."""

    old: float
    new: float

    @property
    def difference(self) -> float:
        return from_units(to_units(self.new) - to_units(self.old))

    @property
    def percent(self) -> float | None:
        old = to_units(self.old)
        return round(100 * (to_units(self.new) - old) / old, 2) if old else None

    @property
    def changed(self) -> bool:
        return to_units(self.new) != to_units(self.old)

    def text(self, currency: str) -> str:
        """`162.07 EUR -> 170.50 EUR (+8.43 EUR, +5.2 %)`."""
        pct = "" if self.percent is None else f", {self.percent:+.1f} %"
        return f"{self.old:,.2f} {currency} -> {self.new:,.2f} {currency} ({self.difference:+,.2f} {currency}{pct})"

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "difference": self.difference, "percent": self.percent}


@dataclass(frozen=True)
class PoolChange:
    """A pool added, removed or resized; `changes` names what differs (`count_min 1 -> 2`)."""

    change: str  # added | removed | resized
    name: str
    old: PoolState | None
    new: PoolState | None
    changes: tuple[str, ...] = ()

    @property
    def cost(self) -> CostChange:
        return CostChange(_cost(self.old), _cost(self.new))

    def to_dict(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "name": self.name,
            "old": None if self.old is None else self.old.to_dict(),
            "new": None if self.new is None else self.new.to_dict(),
            "changes": list(self.changes),
            "monthly_cost": self.cost.to_dict(),
        }


@dataclass(frozen=True)
class ServiceMove:
    """A service whose pools changed (moved), whose spread over the same pools did (rescaled), or
    that is on one side only (added, removed)."""

    change: str  # added | removed | moved | rescaled
    name: str
    old: tuple[Placement, ...]
    new: tuple[Placement, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "name": self.name,
            "old": [p.to_dict() for p in self.old],
            "new": [p.to_dict() for p in self.new],
        }


@dataclass(frozen=True)
class Diff:
    """Two sides compared: the diff JSON is `to_dict()`."""

    currency: str
    old: Side
    new: Side
    monthly_cost: CostChange
    pools: tuple[PoolChange, ...]
    services: tuple[ServiceMove, ...]
    expected_monthly_cost: CostChange | None = None  # only when both sides have one
    version: int = DIFF_FORMAT_VERSION

    def pools_of(self, change: str) -> tuple[PoolChange, ...]:
        return tuple(p for p in self.pools if p.change == change)

    @property
    def changed(self) -> bool:
        """Whether the cost or the pools changed (what `--only-if-changed` asks)."""
        return self.monthly_cost.changed or bool(self.pools)

    def summary(self) -> str:
        """One sentence for a pull request: `Monthly cost 162.07 EUR -> 170.50 EUR (+8.43 EUR, +5.2 %):
        1 pool added, 1 resized; 2 services moved.`"""
        counts = [f"{len(self.pools_of(c))} {c}" for c in (ADDED, REMOVED, RESIZED) if self.pools_of(c)]
        if counts:
            first, *rest = counts
            noun = "pool" if first.startswith("1 ") else "pools"
            pools = ", ".join([first.replace(" ", f" {noun} ", 1), *rest])
        else:
            pools = "no pool changed"
        moved = Counter(s.change for s in self.services)
        services = [
            f"{n} service{'s' if n > 1 else ''} {c}" for c in (MOVED, RESCALED, ADDED, REMOVED) if (n := moved[c])
        ]
        line = f"Monthly cost {self.monthly_cost.text(self.currency)}: {pools}"
        line += f"; {', '.join(services)}." if services else "."
        if self.expected_monthly_cost is not None:
            line += f" Expected (usage-aware) {self.expected_monthly_cost.text(self.currency)}."
        unpriced = sorted({*self.old.unpriced, *self.new.unpriced})
        if unpriced:
            line += f" Not priced (unknown type), left out: {', '.join(unpriced)}."
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "currency": self.currency,
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "monthly_cost": self.monthly_cost.to_dict(),
            "expected_monthly_cost": None
            if self.expected_monthly_cost is None
            else self.expected_monthly_cost.to_dict(),
            "changed": self.changed,
            "pools": {c: [p.to_dict() for p in self.pools_of(c)] for c in (ADDED, REMOVED, RESIZED)},
            "services": [s.to_dict() for s in self.services],
        }


def _cost(pool: PoolState | None) -> float:
    return 0.0 if pool is None or pool.monthly_cost is None else pool.monthly_cost


def side_from_plan(plan: Plan, source: str) -> Side:
    """A plan's pools (count_min nodes each, as its monthly cost counts them) and where its nodes put
    each service's replicas."""
    types = {p.name: p.instance_type for p in plan.pools}
    pools = tuple(
        PoolState(p.name, p.provider, p.instance_type, p.count_min, p.count_max, p.monthly_cost, p.unit_monthly_price)
        for p in plan.pools
    )
    replicas: dict[str, Counter[str]] = {}
    nodes: dict[str, Counter[str]] = {}
    for node in plan.nodes:
        for service, count in Counter(r.service for r in node.replicas).items():
            replicas.setdefault(service, Counter())[node.pool] += count
            nodes.setdefault(service, Counter())[node.pool] += 1
    services = {
        s.name: tuple(
            Placement(pool, types.get(pool, ""), nodes[s.name][pool], replicas[s.name][pool])
            for pool in sorted(replicas.get(s.name, {}))
        )
        for s in plan.services
    }
    expected = getattr(plan, "expected_monthly_cost", None)  # a usage-aware plan's estimate
    placed = bool(plan.nodes) or not plan.services
    return Side("plan", source, plan.currency, plan.monthly_cost, pools, services, expected, placed=placed)


def diff_sides(old: Side, new: Side) -> Diff:
    """Compare `old` with `new`; InputError when they are in different currencies (no silent mix)."""
    if old.currency != new.currency:
        raise InputError(
            f"cannot compare {old.kind} {old.source} in {old.currency} with {new.kind} {new.source} in "
            f"{new.currency}: plan both in one currency (--currency) first"
        )
    before = {p.name: p for p in old.pools}
    after = {p.name: p for p in new.pools}
    pools: list[PoolChange] = []
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a is None:
            pools.append(PoolChange(ADDED, name, None, b))
        elif b is None:
            pools.append(PoolChange(REMOVED, name, a, None))
        elif changes := _pool_changes(a, b):
            pools.append(PoolChange(RESIZED, name, a, b, changes))
    services: list[ServiceMove] = []
    for name in sorted(old.services.keys() | new.services.keys()):
        if name not in new.services:
            services.append(ServiceMove(REMOVED, name, old.services[name], ()))
        elif name not in old.services:
            services.append(ServiceMove(ADDED, name, (), new.services[name]))
        elif old.placed and new.placed and (change := _service_change(old.services[name], new.services[name])):
            services.append(ServiceMove(change, name, old.services[name], new.services[name]))
    expected = None
    if old.expected_monthly_cost is not None and new.expected_monthly_cost is not None:
        expected = CostChange(old.expected_monthly_cost, new.expected_monthly_cost)
    return Diff(
        old.currency,
        old,
        new,
        CostChange(old.monthly_cost, new.monthly_cost),
        tuple(pools),
        tuple(services),
        expected,
    )


def _pool_changes(a: PoolState, b: PoolState) -> tuple[str, ...]:
    fields = ("provider", "instance_type", "count_min", "count_max")
    return tuple(f"{f} {getattr(a, f)} -> {getattr(b, f)}" for f in fields if getattr(a, f) != getattr(b, f))


def _service_change(a: tuple[Placement, ...], b: tuple[Placement, ...]) -> str | None:
    if {(p.pool, p.instance_type) for p in a} != {(p.pool, p.instance_type) for p in b}:
        return MOVED
    # Same pools: a different number of nodes (or, where both sides know them, replicas) on them.
    known = all(p.replicas is not None for p in (*a, *b))
    key = (lambda p: (p.pool, p.nodes, p.replicas)) if known else (lambda p: (p.pool, p.nodes))
    return RESCALED if sorted(map(key, a)) != sorted(map(key, b)) else None


def placements_text(placements: tuple[Placement, ...]) -> str:
    """`cp-web (B2s) x3 on 2 nodes, cp-db (B1s) on 1 node`, for tables."""
    parts = []
    for p in placements:
        replicas = "" if p.replicas is None else f" x{p.replicas}"
        parts.append(f"{p.pool} ({p.instance_type}){replicas} on {p.nodes} node{'s' if p.nodes != 1 else ''}")
    return ", ".join(parts)
