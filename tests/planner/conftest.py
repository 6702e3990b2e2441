"""Factories for planner tests: small catalogues and services built by hand."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import pytest

from costplan.models import CATALOGUE_DTYPES, ServiceSpec

CatalogueFactory = Callable[..., pd.DataFrame]


def catalogue(rows: Sequence[tuple[Any, ...]], *, environment: str = "env-1", currency: str = "EUR") -> pd.DataFrame:
    """Rows of (provider, instance_type, vcpus, memory_gb, monthly_price)."""
    records = []
    for provider, name, vcpus, memory, monthly in rows:
        records.append(
            {
                "environment_uuid": environment,
                "provider_uuid": f"uuid-{provider.lower()}",
                "provider": provider,
                "instance_type_uuid": f"uuid-{provider.lower()}-{name.lower()}",
                "instance_type": name,
                "vcpus": vcpus,
                "memory_gb": memory,
                "ssd_gb": 10.0,
                "hourly_price": round(monthly / 720, 4),
                "reserved_hourly_price": None,
                "monthly_price": monthly,
                "price_per_vcpu_month": monthly / vcpus,
                "price_per_gb_month": monthly / memory,
                "currency": currency,
                "collected_at": pd.Timestamp("2025-01-01", tz="UTC"),
            }
        )
    frame = pd.DataFrame(records, columns=list(CATALOGUE_DTYPES))
    return frame.astype(CATALOGUE_DTYPES)


def service(name: str, count: int, cpu: int, mem: int, **kw: Any) -> ServiceSpec:
    return ServiceSpec(
        name=name, count_min=count, count_max=kw.pop("count_max", count), cpu_mhz=cpu, memory_mb=mem, **kw
    )


@pytest.fixture
def make_catalogue() -> CatalogueFactory:
    return catalogue
