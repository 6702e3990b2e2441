"""What an environment holds, read through the API with patience: environment, prices, pools, statuses.

Reads only. `Provisioner` builds on it; `environment_status` uses it alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from costplan.errors import ApiError, InputError, NotFoundError
from costplan.models import Environment, InstancePool, InstanceType, PoolStatus, ServiceInfo, ServiceStatus
from costplan.plans import Plan, to_units
from costplan.provisioner.prices import PriceBook, monthly_price
from costplan.provisioner.settings import DEFAULT_RECONCILE_DELAYS
from costplan.waiter import is_transient

if TYPE_CHECKING:
    from costplan.api import Client

T = TypeVar("T")

READ_ROUNDS = 4  # a read is tried this many times (each with the client's own retries) while it fails transiently


class EnvironmentReader:
    """Reads over a sync `client`, fanned out on up to `concurrency` threads; `sleep` is injected."""

    def __init__(
        self,
        client: Client,
        *,
        sleep: Callable[[float], Any] = time.sleep,
        reconcile_delays: tuple[float, ...] = DEFAULT_RECONCILE_DELAYS,
        concurrency: int = 8,
    ) -> None:
        self.client = client
        self.reconcile_delays = tuple(reconcile_delays)
        self.concurrency = max(1, concurrency)
        self._sleep = sleep

    def _pause(self, round_: int) -> None:
        if self.reconcile_delays:
            self._sleep(self.reconcile_delays[min(round_, len(self.reconcile_delays) - 1)])

    def read_retrying(self, fn: Callable[[], T]) -> T:
        """A read that outlasts the client's own retries while the API fails transiently."""
        for round_ in range(READ_ROUNDS):
            try:
                return fn()
            except ApiError as exc:
                if not is_transient(exc) or round_ == READ_ROUNDS - 1:
                    raise
                self._pause(round_)
        raise AssertionError("unreachable")

    def environment(self, environment_uuid: str) -> Environment:
        for workspace in self.read_retrying(lambda: self.client.list_workspaces(True)):
            for env in workspace.environments:
                if env.uuid == environment_uuid and not env.deleted_at:
                    return env
        raise InputError(f"environment {environment_uuid} is not among those this API key can see")

    def price_book(self, environment: Environment) -> PriceBook:
        def one(uuid: str) -> list[InstanceType]:
            types: list[InstanceType] = self.read_retrying(lambda: self.client.list_instance_types(uuid))
            return types

        uuids = [p.uuid for p in environment.providers]
        types = {
            (uuid, t.uuid): t for uuid, listed in zip(uuids, self.fan_out(one, uuids), strict=True) for t in listed
        }
        return PriceBook(types, {p.uuid: p.platform_name for p in environment.providers})

    def inspect(self, plan: Plan, environment_uuid: str) -> tuple[PriceBook, list[str]]:
        """The environment's prices, after checking the plan's providers and types still exist there."""
        prices = self.price_book(self.environment(environment_uuid))
        notices = []
        for pool in plan.pools:
            if pool.provider_uuid not in prices.provider_names:
                raise InputError(
                    f"pool {pool.name}: provider {pool.provider} ({pool.provider_uuid}) is not in "
                    f"environment {environment_uuid}; make a new plan for this environment"
                )
            itype = prices.find(pool.provider_uuid, pool.instance_type_uuid)
            if itype is None:
                raise InputError(
                    f"pool {pool.name}: instance type {pool.instance_type} ({pool.instance_type_uuid}) no "
                    f"longer exists at {pool.provider}; make a new plan"
                )
            unit = monthly_price(itype)
            if unit is not None and to_units(unit) != to_units(pool.unit_monthly_price):
                notices.append(
                    f"pool {pool.name}: {pool.instance_type} now costs {unit} a month (the plan "
                    f"says {pool.unit_monthly_price}); the costs shown use today's price"
                )
        return prices, notices

    def live_pools(self, environment_uuid: str) -> list[InstancePool]:
        pools: list[InstancePool] = self.read_retrying(lambda: self.client.list_instance_pools(environment_uuid))
        return [p for p in pools if not p.deleted_at]

    def live_services(self, environment_uuid: str) -> list[ServiceInfo]:
        services: list[ServiceInfo] = self.read_retrying(lambda: self.client.list_services(environment_uuid))
        return [s for s in services if not s.raw.get("deletedAt")]

    def fan_out(self, fn: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        """`map(fn, items)` on up to `concurrency` threads (the sync client is thread-safe)."""
        if len(items) <= 1:
            return [fn(item) for item in items]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(items))) as executor:
            return list(executor.map(fn, items))

    def pool_statuses(self, pools: Iterable[InstancePool]) -> dict[str, PoolStatus | None]:
        """Each pool's status with its metrics (real counts and totals), fetched concurrently; None if gone."""

        def one(pool: InstancePool) -> PoolStatus | None:
            try:
                status: PoolStatus = self.read_retrying(
                    lambda: self.client.get_instance_pool_status(pool.uuid, include_metrics=True)
                )
            except NotFoundError:
                return None
            return status

        pools = list(pools)
        return dict(zip((p.uuid for p in pools), self.fan_out(one, pools), strict=True))

    def service_statuses(self, services: Iterable[ServiceInfo]) -> dict[str, ServiceStatus | None]:
        """Each service's status with its replicas' instances, fetched concurrently; None if gone."""

        def one(service: ServiceInfo) -> ServiceStatus | None:
            try:
                status: ServiceStatus = self.read_retrying(lambda: self.client.get_service_status(service.uuid))
            except NotFoundError:
                return None
            return status

        services = list(services)
        return dict(zip((s.uuid for s in services), self.fan_out(one, services), strict=True))
