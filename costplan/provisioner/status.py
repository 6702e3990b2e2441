"""What an environment runs now: pools with reserved vs total capacity and cost, services with replicas."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from costplan.diff import Placement, PoolState, Side
from costplan.models import InstancePool, PoolStatus, ServiceInfo, ServiceStatus
from costplan.plans import from_units, to_units
from costplan.provisioner import states
from costplan.provisioner.prices import PriceBook

if TYPE_CHECKING:
    from costplan.provisioner.reader import EnvironmentReader

POOL_COLUMNS = (
    "pool",
    "uuid",
    "provider",
    "instance_type",
    "status",
    "count",
    "running",
    "cpu_reserved_mhz",
    "cpu_total_mhz",
    "cpu_used_pct",
    "memory_reserved_mb",
    "memory_total_mb",
    "memory_used_pct",
    "unit_monthly_price",
    "monthly_cost",
)
SERVICE_COLUMNS = (
    "service",
    "uuid",
    "status",
    "count",
    "running",
    "cpu_reserved_mhz",
    "memory_reserved_mb",
    "pools",
    "problem",
)


@dataclass(frozen=True)
class EnvironmentStatus:
    environment_uuid: str
    currency: str
    pools: list[dict[str, Any]]
    services: list[dict[str, Any]]
    monthly_cost: float
    unpriced: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment_uuid": self.environment_uuid,
            "currency": self.currency,
            "monthly_cost": self.monthly_cost,
            "unpriced_pools": list(self.unpriced),
            "pools": self.pools,
            "services": self.services,
        }

    def summary(self) -> str:
        line = (
            f"{len(self.pools)} pools, {len(self.services)} services; monthly cost now "
            f"{self.monthly_cost:,.4f} {self.currency}"
        )
        return line + (f" (not priced: {', '.join(self.unpriced)})" if self.unpriced else "")


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class _Reading:
    """What `costplan status` and `costplan diff --environment` read of one environment, once."""

    pool_rows: list[dict[str, Any]]  # `_pool_row` per live pool, in the API's order
    pools: list[InstancePool]
    services: list[ServiceInfo]
    service_statuses: Mapping[str, ServiceStatus | None]

    @property
    def monthly_cost(self) -> float:
        return from_units(sum(to_units(row["monthly_cost"] or 0.0) for row in self.pool_rows))

    @property
    def unpriced(self) -> tuple[str, ...]:
        return tuple(row["pool"] for row in self.pool_rows if row["monthly_cost"] is None)


def _read(reader: EnvironmentReader, environment_uuid: str) -> _Reading:
    prices = reader.price_book(reader.environment(environment_uuid))
    pools = reader.live_pools(environment_uuid)
    statuses = reader.pool_statuses(pools)
    services = reader.live_services(environment_uuid)
    rows = [_pool_row(pool, statuses.get(pool.uuid), prices) for pool in pools]
    return _Reading(rows, list(pools), list(services), reader.service_statuses(services))


def environment_status(reader: EnvironmentReader, environment_uuid: str, *, currency: str) -> EnvironmentStatus:
    """Pools (count x the type's monthly price) and services of one environment; reads only."""
    read = _read(reader, environment_uuid)
    service_rows = [_service_row(s, read.service_statuses.get(s.uuid)) for s in read.services]
    return EnvironmentStatus(environment_uuid, currency, read.pool_rows, service_rows, read.monthly_cost, read.unpriced)


def _pool_row(pool: InstancePool, status: PoolStatus | None, prices: PriceBook) -> dict[str, Any]:
    count = status.count if status is not None else pool.count_min
    provider = prices.provider_of(pool)
    itype = prices.find(provider, pool.instance_type_uuid)
    row: dict[str, Any] = {
        "pool": pool.name,
        "uuid": pool.uuid,
        "provider": prices.provider_names.get(provider or "", provider),
        "instance_type": itype.name if itype else pool.instance_type_uuid,
        "status": status.status if status else "gone",
        "count": count,
        "running": None,
        "cpu_reserved_mhz": None,
        "cpu_total_mhz": None,
        "cpu_used_pct": None,
        "memory_reserved_mb": None,
        "memory_total_mb": None,
        "memory_used_pct": None,
        "unit_monthly_price": prices.unit_price(provider, pool.instance_type_uuid),
        "monthly_cost": prices.cost(pool, count),
    }
    if status is not None:
        row.update(
            running=status.count_running,
            cpu_reserved_mhz=status.total_reserved_cpu_mhz,
            cpu_total_mhz=status.total_cpu_mhz,
            cpu_used_pct=_pct(status.total_reserved_cpu_mhz, status.total_cpu_mhz),
            memory_reserved_mb=status.total_reserved_memory_mb,
            memory_total_mb=status.total_memory_mb,
            memory_used_pct=_pct(status.total_reserved_memory_mb, status.total_memory_mb),
        )
    return row


def _service_row(service: ServiceInfo, status: ServiceStatus | None) -> dict[str, Any]:
    if status is None:
        return {
            "service": service.name,
            "uuid": service.uuid,
            "status": "gone",
            "count": service.count_min,
            "running": None,
            "cpu_reserved_mhz": None,
            "memory_reserved_mb": None,
            "pools": "",
            "problem": "",
        }
    return {
        "service": service.name,
        "uuid": service.uuid,
        "status": status.status,
        "count": status.count,
        "running": status.count_running,
        "cpu_reserved_mhz": status.total_reserved_cpu_mhz,
        "memory_reserved_mb": status.total_reserved_memory_mb,
        "pools": ", ".join(sorted({i.instance_pool_name for i in status.instances})),
        "problem": states.failure_text(status) if states.service_failed(status) else "",
    }


def environment_side(reader: EnvironmentReader, environment_uuid: str, *, currency: str) -> Side:
    """What an environment runs now, as one side of `costplan diff`: each pool with its instance count
    now (count x its type's monthly price, as `costplan status` counts it) and the pools each
    service's replicas are on (from its status's instances). Reads only."""
    read = _read(reader, environment_uuid)
    states_ = tuple(
        PoolState(
            pool.name,
            str(row["provider"] or ""),
            str(row["instance_type"] or ""),
            pool.count_min,
            pool.count_max,
            row["monthly_cost"],
            row["unit_monthly_price"],
        )
        for pool, row in zip(read.pools, read.pool_rows, strict=True)
    )
    types = {p.name: p.instance_type for p in states_}
    placements: dict[str, tuple[Placement, ...]] = {}
    for service in read.services:
        status = read.service_statuses.get(service.uuid)
        nodes = Counter(i.instance_pool_name for i in (status.instances if status else ()))
        placements[service.name] = tuple(Placement(p, types.get(p, ""), n) for p, n in sorted(nodes.items()))
    return Side(
        "environment", environment_uuid, currency, read.monthly_cost, states_, placements, unpriced=read.unpriced
    )
