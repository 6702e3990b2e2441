"""Seeded planning instances for the planner benchmark (and the tests' medium smoke case).

Sizes (the benchmark issue's targets):
- small:  <= 30 replicas, <= 8 node types;
- medium: ~300 replicas, ~40 node types;
- large:  ~5,000 replicas, ~300 node types.

Catalogues have realistic shapes: several providers with their own price levels, families with
2 / 4 / 8 GB per vCPU (compute, general, memory optimised) and a cheap burstable line, sizes
1-64 vCPU, prices ~linear in vCPU and GB with provider/family factors and noise, hourly prices
with 4 decimals and monthly = hourly x 720 (as the API does). Services: many small ones, some
CPU-heavy, some memory-heavy; about a fifth spread; a few limited to one or two providers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from costplan.models import CATALOGUE_DTYPES, ServiceSpec

PROVIDERS = (
    ("Azure", 1.00),
    ("Google Cloud Platform", 0.97),
    ("Scaleway", 0.78),
    ("AWS", 1.04),
    ("Outscale", 1.10),
    ("Exoscale", 0.92),
    ("OVHcloud", 0.74),
    ("Infomaniak", 0.85),
    ("Hetzner", 0.55),
    ("UpCloud", 0.88),
)
# family: (GB per vCPU, price factor, sizes in vCPU)
FAMILIES = {
    "c": (2.0, 0.92, (2, 4, 8, 16, 32, 48, 64)),
    "g": (4.0, 1.00, (1, 2, 4, 8, 16, 32, 48, 64)),
    "m": (8.0, 1.06, (2, 4, 8, 16, 32, 64)),
    "b": (2.0, 0.80, (1, 2, 4)),
    "h": (1.0, 0.95, (2, 4, 8, 16, 32, 48, 64, 96)),
    "x": (16.0, 1.10, (2, 4, 8, 16, 32)),
}
VCPU_HOUR = 0.0205  # EUR per vCPU-hour, before factors
GB_HOUR = 0.0046  # EUR per GB-hour


@dataclass(frozen=True)
class Instance:
    name: str
    size: str
    seed: int
    catalogue: pd.DataFrame
    services: list[ServiceSpec]

    @property
    def replicas(self) -> int:
        return sum(s.count_min for s in self.services)


def synthetic_catalogue(n_types: int, n_providers: int, seed: int) -> pd.DataFrame:
    """`n_types` rows spread over `n_providers` providers, with the catalogue's columns and dtypes."""
    rng = np.random.default_rng(seed)
    shapes = [(f, v) for f, (_, _, sizes) in FAMILIES.items() for v in sizes]
    rows = []
    per_provider = -(-n_types // n_providers)
    for p, (provider, level) in enumerate(PROVIDERS[:n_providers]):
        pick = rng.choice(len(shapes), size=min(per_provider, len(shapes)), replace=False)
        burst = level * rng.uniform(0.9, 1.1)
        for i in sorted(pick):
            family, vcpus = shapes[i]
            gb_per_vcpu, factor, _ = FAMILIES[family]
            memory = vcpus * gb_per_vcpu
            noise = rng.uniform(0.93, 1.08)
            fam = factor * (burst if family == "b" else level)
            hourly = round((VCPU_HOUR * vcpus + GB_HOUR * memory) * fam * noise, 4)
            rows.append(
                {
                    "environment_uuid": "env-bench",
                    "provider_uuid": f"prov-{p:02d}",
                    "provider": provider,
                    "instance_type_uuid": f"type-{p:02d}-{family}{vcpus}",
                    "instance_type": f"{family}{vcpus}-{memory:g}g",
                    "vcpus": vcpus,
                    "memory_gb": memory,
                    "ssd_gb": float(20 * vcpus),
                    "hourly_price": hourly,
                    "reserved_hourly_price": round(hourly * 0.62, 4),
                    "monthly_price": round(hourly * 720, 4),
                    "price_per_vcpu_month": round(hourly * 720 / vcpus, 4),
                    "price_per_gb_month": round(hourly * 720 / memory, 4),
                    "currency": "EUR",
                    "collected_at": pd.Timestamp("2025-01-01", tz="UTC"),
                }
            )
    frame = pd.DataFrame(rows[:n_types]) if len(rows) >= n_types else pd.DataFrame(rows)
    return frame.astype(CATALOGUE_DTYPES)


def synthetic_services(n_services: int, replicas: int, seed: int, providers: list[str]) -> list[ServiceSpec]:
    """About `replicas` replicas over `n_services` services of realistic shapes."""
    rng = np.random.default_rng(seed + 1000)
    weights = rng.pareto(1.3, size=n_services) + 0.3
    counts = np.maximum(1, np.round(weights / weights.sum() * replicas)).astype(int)
    services = []
    for i in range(n_services):
        kind = rng.choice(["small", "cpu", "memory", "medium"], p=[0.55, 0.15, 0.15, 0.15])
        if kind == "small":
            cpu, mem = rng.choice([100, 128, 200, 250, 300, 500]), rng.choice([128, 256, 384, 512, 768, 1024])
        elif kind == "cpu":
            cpu, mem = rng.choice([1000, 1500, 2000, 3000, 4000, 6000]), rng.choice([512, 1024, 2048])
        elif kind == "memory":
            cpu, mem = rng.choice([250, 500, 1000]), rng.choice([4096, 6144, 8192, 12288, 16384])
        else:
            cpu, mem = rng.choice([500, 750, 1000, 1500]), rng.choice([1024, 1536, 2048, 3072])
        count = int(counts[i])
        spread = bool(rng.random() < 0.2) and count <= 12
        allowed: tuple[str, ...] = ()
        if providers and rng.random() < 0.05:
            allowed = tuple(rng.choice(providers, size=min(2, len(providers)), replace=False).tolist())
        services.append(
            ServiceSpec(
                name=f"svc-{i:03d}-{kind}",
                count_min=count,
                count_max=count + int(rng.integers(0, max(1, count) + 1)),
                cpu_mhz=int(cpu),
                memory_mb=int(mem),
                spread=spread,
                providers=allowed,
            )
        )
    return services


def scaling_services(n_services: int, seed: int) -> list[ServiceSpec]:
    """The scaling shape (issue 10): 1-4 replicas each, up to 6 at peak, a fifth spread."""
    rng = np.random.default_rng(seed)
    services = []
    for i in range(n_services):
        count = int(rng.integers(1, 5))
        services.append(
            ServiceSpec(
                name=f"svc-{i:05d}",
                count_min=count,
                count_max=min(6, count + int(rng.integers(0, 3))),
                cpu_mhz=int(rng.choice([100, 250, 500, 1000, 2000])),
                memory_mb=int(rng.choice([128, 256, 512, 1024, 2048, 4096])),
                spread=bool(rng.random() < 0.2),
            )
        )
    return services


def make_instance(size: str, seed: int) -> Instance:
    """One seeded instance of a named size: small, medium or large."""
    rng = np.random.default_rng(seed)
    if size == "small":
        n_prov = int(rng.integers(1, 3))
        catalogue = synthetic_catalogue(int(rng.integers(4, 9)), n_prov, seed)
        target = int(rng.integers(12, 31))
        services = synthetic_services(int(rng.integers(3, 8)), target, seed, [])
        while sum(s.count_min for s in services) > 30:
            services = [s for s in services[:-1]]
    elif size == "medium":
        catalogue = synthetic_catalogue(40, 3, seed)
        services = synthetic_services(50, 300, seed, sorted(set(catalogue["provider"].astype(str))))
    elif size == "large":
        catalogue = synthetic_catalogue(300, 10, seed)
        services = synthetic_services(600, 5000, seed, sorted(set(catalogue["provider"].astype(str))))
    else:
        raise ValueError(f"unknown size {size!r}")
    return Instance(f"{size}-{seed}", size, seed, catalogue, services)
