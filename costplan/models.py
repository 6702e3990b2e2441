"""Value objects for what the LayerOps API returns, and the catalogue's columns.

Every resource keeps the fields costplan uses as typed attributes and the whole JSON
object in `raw`: the API is only partly documented, so unknown fields are carried,
never rejected. `status`, `errorType` and `errorCode` are open strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The catalogue: one row per provider x instance type. Declared once, with dtypes.
CATALOGUE_DTYPES: dict[str, str] = {
    "environment_uuid": "string",
    "provider_uuid": "string",
    "provider": "string",
    "instance_type_uuid": "string",
    "instance_type": "string",
    "vcpus": "Int64",
    "memory_gb": "Float64",
    "ssd_gb": "Float64",
    "hourly_price": "Float64",
    "reserved_hourly_price": "Float64",
    "monthly_price": "Float64",
    "price_per_vcpu_month": "Float64",
    "price_per_gb_month": "Float64",
    "currency": "string",
    "collected_at": "datetime64[ns, UTC]",
}
CATALOGUE_COLUMNS: tuple[str, ...] = tuple(CATALOGUE_DTYPES)

STATUS_DONE = "DONE"


def _get(data: Mapping[str, Any], key: str, default: Any = None) -> Any:
    value = data.get(key, default)
    return default if value is None else value


def _num(value: Any) -> float | None:
    """Numbers from JSON; anything else (null, strings) reads as missing."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


@dataclass(frozen=True)
class Provider:
    uuid: str
    platform_name: str
    platform_icon: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Provider:
        return cls(
            uuid=str(data["uuid"]),
            platform_name=str(_get(data, "platformName", "")),
            platform_icon=str(_get(data, "platformIcon", "")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Environment:
    uuid: str
    name: str
    providers: tuple[Provider, ...] = ()
    deleted_at: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Environment:
        return cls(
            uuid=str(data["uuid"]),
            name=str(_get(data, "name", "")),
            providers=tuple(Provider.from_json(p) for p in _get(data, "providers", [])),
            deleted_at=data.get("deletedAt"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Workspace:
    uuid: str
    name: str
    environments: tuple[Environment, ...] = ()
    created_at: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Workspace:
        return cls(
            uuid=str(data["uuid"]),
            name=str(_get(data, "name", "")),
            environments=tuple(Environment.from_json(e) for e in _get(data, "environments", [])),
            created_at=data.get("createdAt"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class InstanceType:
    """One row of `GET /providers/{uuid}/instancesTypes`; prices are integers scaled by `price_factor`."""

    uuid: str
    name: str
    vcpus: float | None
    memory_gb: float | None
    ssd_gb: float | None
    on_demand_cost: float | None
    reserved_cost: float | None
    price_factor: float | None
    monthly_price: float | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InstanceType:
        return cls(
            uuid=str(data["uuid"]),
            name=str(_get(data, "name", "")),
            vcpus=_num(data.get("vCPUs")),
            memory_gb=_num(data.get("memory")),
            ssd_gb=_num(data.get("ssd")),
            on_demand_cost=_num(data.get("onDemandCost")),
            reserved_cost=_num(data.get("reservedCost")),
            price_factor=_num(data.get("priceFactor")),
            monthly_price=_num(data.get("monthlyPrice")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class Ref:
    """What a create call answers: the new resource's uuid and name."""

    uuid: str
    name: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Ref:
        return cls(uuid=str(data["uuid"]), name=str(_get(data, "name", "")), raw=dict(data))


@dataclass(frozen=True)
class InstancePool:
    uuid: str
    name: str
    provider_uuid: str | None = None
    instance_type_uuid: str | None = None
    environment_uuid: str | None = None
    tags: tuple[str, ...] = ()
    count_min: int | None = None
    count_max: int | None = None
    deleted_at: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InstancePool:
        return cls(
            uuid=str(data["uuid"]),
            name=str(_get(data, "name", "")),
            provider_uuid=data.get("providerUuid"),
            instance_type_uuid=data.get("instanceTypeUuid"),
            environment_uuid=data.get("environmentUuid"),
            tags=tuple(str(t) for t in _get(data, "tags", [])),
            count_min=data.get("countMin"),
            count_max=data.get("countMax"),
            deleted_at=data.get("deletedAt"),
            raw=dict(data),
        )


@dataclass(frozen=True)
class NodeInstance:
    """One instance (node) as the status endpoints show it."""

    uuid: str
    instance_pool_uuid: str | None
    instance_pool_name: str
    total_cpu_mhz: int
    total_memory_mb: int
    total_reserved_cpu_mhz: int
    total_reserved_memory_mb: int
    is_running: bool
    service_count: int = 0
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NodeInstance:
        return cls(
            uuid=str(_get(data, "uuid", "")),
            instance_pool_uuid=data.get("instancePoolUuid"),
            instance_pool_name=str(_get(data, "instancePoolName", "")),
            total_cpu_mhz=int(_get(data, "totalCpuMhz", 0)),
            total_memory_mb=int(_get(data, "totalMemoryMB", 0)),
            total_reserved_cpu_mhz=int(_get(data, "totalReservedCpuMhz", 0)),
            total_reserved_memory_mb=int(_get(data, "totalReservedMemoryMB", 0)),
            is_running=bool(_get(data, "isRunning", False)),
            service_count=int(_get(data, "serviceCount", 0)),
            raw=dict(data),
        )


@dataclass(frozen=True)
class PoolStatus:
    """`GET /instancePools/{uuid}/status`. `status` is an open string; only DONE is known."""

    uuid: str
    status: str
    success: bool
    count: int
    count_running: int
    total_cpu_mhz: int = 0
    total_reserved_cpu_mhz: int = 0
    total_memory_mb: int = 0
    total_reserved_memory_mb: int = 0
    error_type: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    deleted_at: str | None = None
    instances: tuple[NodeInstance, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_done(self) -> bool:
        return self.status == STATUS_DONE and self.success

    @property
    def is_failed(self) -> bool:
        return bool(self.error_type or self.error_code)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PoolStatus:
        return cls(
            uuid=str(_get(data, "uuid", "")),
            status=str(_get(data, "status", "")),
            success=bool(_get(data, "success", False)),
            count=int(_get(data, "count", 0)),
            count_running=int(_get(data, "countRunning", 0)),
            total_cpu_mhz=int(_get(data, "totalCpuMhz", 0)),
            total_reserved_cpu_mhz=int(_get(data, "totalReservedCpuMhz", 0)),
            total_memory_mb=int(_get(data, "totalMemoryMB", 0)),
            total_reserved_memory_mb=int(_get(data, "totalReservedMemoryMB", 0)),
            error_type=data.get("errorType"),
            error_code=data.get("errorCode"),
            error_message=data.get("errorMessage"),
            deleted_at=data.get("deletedAt"),
            instances=tuple(NodeInstance.from_json(i) for i in _get(data, "instances", [])),
            raw=dict(data),
        )


@dataclass(frozen=True)
class ServiceInfo:
    """A service as `GET /services/{uuid}` or the environment's service list shows it."""

    uuid: str
    name: str
    count_min: int | None = None
    count_max: int | None = None
    cpu_limit: float | None = None
    memory_limit_mib: float | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServiceInfo:
        return cls(
            uuid=str(data["uuid"]),
            name=str(_get(data, "name", "")),
            count_min=data.get("countMin"),
            count_max=data.get("countMax"),
            cpu_limit=_num(data.get("cpuLimit")),
            memory_limit_mib=_num(data.get("memoryLimitMiB")),
            raw=dict(data),
        )


@dataclass(frozen=True)
class ServiceStatus:
    """`GET /services/{uuid}/status`; `dimension_exhausted` is kept as the API sends it."""

    uuid: str
    status: str
    success: bool
    count: int
    count_running: int
    total_reserved_cpu_mhz: int = 0
    total_reserved_memory_mb: int = 0
    placement_failure: bool = False
    dimension_exhausted: Any = None
    error_type: str | None = None
    error_message: str | None = None
    instances: tuple[NodeInstance, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_done(self) -> bool:
        return self.status == STATUS_DONE and self.success and not self.placement_failure

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServiceStatus:
        return cls(
            uuid=str(_get(data, "uuid", "")),
            status=str(_get(data, "status", "")),
            success=bool(_get(data, "success", False)),
            count=int(_get(data, "count", 0)),
            count_running=int(_get(data, "countRunning", 0)),
            total_reserved_cpu_mhz=int(_get(data, "totalReservedCpuMhz", 0)),
            total_reserved_memory_mb=int(_get(data, "totalReservedMemoryMB", 0)),
            placement_failure=bool(_get(data, "placementFailure", False)),
            dimension_exhausted=data.get("dimensionExhausted"),
            error_type=data.get("errorType"),
            error_message=data.get("errorMessage"),
            instances=tuple(NodeInstance.from_json(i) for i in _get(data, "instances", [])),
            raw=dict(data),
        )


@dataclass(frozen=True)
class ServiceSpec:
    """One service of a services spec: the demand the planner covers.

    `cpu_mhz` / `memory_mb` are reservations per replica; `count_min` replicas always run
    (the baseline plan), `count_max` at peak.
    """

    name: str
    count_min: int
    count_max: int
    cpu_mhz: int
    memory_mb: int
    spread: bool = False
    providers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    image: str | None = None
