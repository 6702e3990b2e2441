"""Monthly prices of an environment's instance types, for the preview's and status's costs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from costplan.models import InstancePool, InstanceType
from costplan.plans import from_units, to_units

HOURS_PER_MONTH = 720


def monthly_price(itype: InstanceType) -> float | None:
    """`monthlyPrice / priceFactor` (else hourly x 720); None when the row has no usable price."""
    factor = itype.price_factor
    if not factor or factor <= 0:
        return None
    if itype.monthly_price is not None:
        return round(itype.monthly_price / factor, 4)
    if itype.on_demand_cost is not None:
        return round(itype.on_demand_cost / factor * HOURS_PER_MONTH, 4)
    return None


@dataclass(frozen=True)
class PriceBook:
    """The instance types of an environment's providers, keyed by (provider uuid, type uuid)."""

    types: Mapping[tuple[str, str], InstanceType]
    provider_names: Mapping[str, str]

    def find(self, provider_uuid: str | None, type_uuid: str | None) -> InstanceType | None:
        if provider_uuid:
            return self.types.get((provider_uuid, type_uuid or ""))
        return next((t for (_, u), t in self.types.items() if u == type_uuid), None)

    def provider_of(self, pool: InstancePool) -> str | None:
        """The pool's provider: as listed, else the one offering its instance type."""
        return pool.provider_uuid or next((p for (p, u) in self.types if u == pool.instance_type_uuid), None)

    def unit_price(self, provider_uuid: str | None, type_uuid: str | None) -> float | None:
        found = self.find(provider_uuid, type_uuid)
        return None if found is None else monthly_price(found)

    def cost(self, pool: InstancePool, count: int | None = None) -> float | None:
        """`count` (default count_min) x the pool's unit price; None if either is unknown."""
        unit = self.unit_price(self.provider_of(pool), pool.instance_type_uuid)
        count = pool.count_min if count is None else count
        return None if unit is None or count is None else from_units(to_units(unit) * count)
