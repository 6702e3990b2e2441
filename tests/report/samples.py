"""Small hand-built inputs for the report tests: a catalogue frame, a plan dict, a status.

Built by hand (not by the planner or the collector) so the report tests fail only for the
report's own reasons. The hostile names are the point of several tests.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from costplan.models import CATALOGUE_DTYPES

GENERATED_AT = datetime(2025, 11, 27, 12, 0, tzinfo=UTC)
COLLECTED_AT = datetime(2025, 11, 27, 9, 0, tzinfo=UTC)
HOSTILE_TYPE = "<script>alert(1)</script>"
HOSTILE_SERVICE = '"><img src=x onerror=alert(1)>'

# provider, type uuid, type, vCPUs, memory GB, hourly price
_TYPES = [
    ("Azure", "az-b1s", "B1s", 1, 1.0, 0.0124),
    ("Azure", "az-b2s", "B2s", 2, 4.0, 0.0472),
    ("Azure", "az-b4ms", "B4ms", 4, 16.0, 0.198),
    ("Azure", "az-hostile", HOSTILE_TYPE, 8, 32.0, 0.38),
    ("Scaleway", "scw-dev1-s", "DEV1-S", 2, 2.0, 0.0088),
    ("Scaleway", "scw-gp1-xs", "GP1-XS", 4, 16.0, 0.091),
    ("Scaleway", "scw-gp1-l", "GP1-L", 32, 128.0, 0.78),
    ("Google Cloud", "gcp-e2-standard-2", "e2-standard-2", 2, 8.0, 0.0737),
    ("Google Cloud", "gcp-e2-standard-16", "e2-standard-16", 16, 64.0, 0.5899),
]


def catalogue_frame(rows: list[tuple[str, str, str, int, float, float]] | None = None) -> pd.DataFrame:
    """A catalogue DataFrame with exactly `models.CATALOGUE_COLUMNS` (plus the price-note columns)."""
    records = []
    for provider, uuid, name, vcpus, memory, hourly in rows or _TYPES:
        monthly = round(hourly * 720, 4)
        records.append(
            {
                "environment_uuid": "env-1",
                "provider_uuid": f"prov-{provider.lower().replace(' ', '-')}",
                "provider": provider,
                "instance_type_uuid": uuid,
                "instance_type": name,
                "vcpus": vcpus,
                "memory_gb": memory,
                "ssd_gb": 16.0,
                "hourly_price": hourly,
                "reserved_hourly_price": None,
                "monthly_price": monthly,
                "price_per_vcpu_month": monthly / vcpus,
                "price_per_gb_month": monthly / memory,
                "currency": "EUR",
                "collected_at": COLLECTED_AT,
                "list_monthly_price": monthly,
                "price_note": None,
            }
        )
    frame = pd.DataFrame(records)
    return frame.astype({k: v for k, v in CATALOGUE_DTYPES.items() if k in frame.columns})


def quality_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "provider_uuid": "prov-azure",
                "provider": "Azure",
                "instance_type_uuid": "az-broken",
                "instance_type": "Broken<b>Type</b>",
                "check": "price_factor",
                "problem": "priceFactor is 0: the price cannot be scaled",
                "raw": "{}",
            }
        ]
    )


def missing_frame() -> pd.DataFrame:
    return pd.DataFrame([{"provider_uuid": "prov-aws", "provider": "AWS", "reason": "HTTP 503 after 4 attempts"}])


def changelog_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"change": "added", "provider": "Scaleway", "instance_type": "GP1-L", "old_monthly_price": None,
             "new_monthly_price": 561.6, "change_pct": None},
            {"change": "price", "provider": "Azure", "instance_type": "B2s", "old_monthly_price": 30.0,
             "new_monthly_price": 33.984, "change_pct": 13.28},
        ]
    )  # fmt: skip


def _node(pool: str, cpu: int, mem: int, replicas: list[tuple[str, int, int]]) -> dict[str, Any]:
    return {
        "pool": pool,
        "cpu_mhz": cpu,
        "memory_mb": mem,
        "replicas": [{"service": s, "cpu_mhz": c, "memory_mb": m} for s, c, m in replicas],
    }


PLAN: dict[str, Any] = {
    "version": 1,
    "monthly_cost": 203.9904,
    "lower_bound": 198.4567,
    "gap": 0.027124,
    "status": "feasible",
    "currency": "EUR",
    "environment_uuid": "env-1",
    "created_at": "2025-11-27T11:00:00+00:00",
    "pools": [
        {
            "name": "costplan-azure-b2s",
            "provider_uuid": "prov-azure",
            "provider": "Azure",
            "instance_type_uuid": "az-b2s",
            "instance_type": "B2s",
            "vcpus": 2,
            "memory_gb": 4.0,
            "count_min": 2,
            "count_max": 4,
            "unit_monthly_price": 33.984,
            "monthly_cost": 67.968,
            "tags": ["backend"],
            "cpu_mhz": 4936,
            "memory_mb": 3175,
        },
        {
            "name": "costplan-scaleway-gp1-xs",
            "provider_uuid": "prov-scaleway",
            "provider": "Scaleway",
            "instance_type_uuid": "scw-gp1-xs",
            "instance_type": HOSTILE_TYPE,
            "vcpus": 4,
            "memory_gb": 16.0,
            "count_min": 2,
            "count_max": 3,
            "unit_monthly_price": 68.0112,
            "monthly_cost": 136.0224,
            "tags": [],
            "cpu_mhz": 10522,
            "memory_mb": 15656,
        },
    ],
    "nodes": [
        _node(
            "costplan-azure-b2s",
            4936,
            3175,
            [("api", 1000, 1024), ("api", 1000, 1024), (HOSTILE_SERVICE, 500, 256)],
        ),
        _node(
            "costplan-azure-b2s",
            4936,
            3175,
            [("api", 1000, 1024), ("api", 1000, 1024), (HOSTILE_SERVICE, 500, 256)],
        ),
        _node(
            "costplan-scaleway-gp1-xs",
            10522,
            15656,
            [("db", 4000, 8192), ("worker", 2000, 2048), ("worker", 2000, 2048)],
        ),
        _node("costplan-scaleway-gp1-xs", 10522, 15656, [("db", 4000, 8192), ("worker", 2000, 2048)]),
    ],
    "services": [
        {
            "name": "api",
            "count_min": 4,
            "count_max": 8,
            "cpu_mhz": 1000,
            "memory_mb": 1024,
            "spread": False,
            "providers": [],
            "tags": ["backend"],
            "image": None,
        },
        {
            "name": HOSTILE_SERVICE,
            "count_min": 2,
            "count_max": 2,
            "cpu_mhz": 500,
            "memory_mb": 256,
            "spread": True,
            "providers": ["Azure"],
            "tags": [],
            "image": None,
        },
        {
            "name": "db",
            "count_min": 2,
            "count_max": 2,
            "cpu_mhz": 4000,
            "memory_mb": 8192,
            "spread": True,
            "providers": [],
            "tags": [],
            "image": None,
        },
        {
            "name": "worker",
            "count_min": 3,
            "count_max": 6,
            "cpu_mhz": 2000,
            "memory_mb": 2048,
            "spread": False,
            "providers": [],
            "tags": [],
            "image": None,
        },
    ],
    "assumptions": {
        "headroom": 0.1,
        "hours_per_month": 720,
        "overhead": {"cpu_mhz": 650, "memory_mb": 728},
        "catalogue_collected_at": COLLECTED_AT.isoformat(),
        "providers": ["Azure", "Scaleway"],
    },
    "alternatives": [
        {
            "kind": "single_type",
            "name": "only B2s",
            "feasible": True,
            "monthly_cost": 271.872,
            "extra_cost": 67.8816,
            "lower_bound": None,
            "method": "first-fit decreasing",
            "note": "db replicas need 8 GB: B2s is too small",
        },
        {
            "kind": "single_provider",
            "name": "Scaleway only",
            "feasible": False,
            "monthly_cost": None,
            "extra_cost": None,
            "lower_bound": None,
            "method": "",
            "note": f"{HOSTILE_SERVICE} must run on Azure",
        },
    ],
    "explanations": {
        "summary": "Two pools: small Azure nodes for the spread front end, larger Scaleway nodes for db and workers.",
        "bound": "Bound from the aggregate-capacity LP relaxation.",
        "pools": [],
    },
    "placement_check": {"succeeds": True, "failed_services": {}, "method": "best-fit"},
    "peak": None,
}


def plan(**changes: Any) -> dict[str, Any]:
    """A deep copy of PLAN with top-level keys replaced (or removed when the value is ...)."""
    data = copy.deepcopy(PLAN)
    for key, value in changes.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    return data


CURRENT_POOLS = [
    {"name": "legacy-b4ms", "provider": "Azure", "instance_type_uuid": "az-b4ms", "instance_type": "B4ms",
     "count": 3, "monthly_cost": 427.68},
    {"name": "front", "provider": "Azure", "instance_type_uuid": "az-b2s", "instance_type": "B2s", "count": 2,
     "monthly_cost": 67.968},
]  # fmt: skip

STATUS_POOLS = [
    {"name": "front", "provider": "Azure", "instance_type": "B2s", "instance_type_uuid": "az-b2s", "count": 2,
     "countRunning": 2, "totalCpuMhz": 11172, "totalReservedCpuMhz": 4556, "totalMemoryMB": 7806,
     "totalReservedMemoryMB": 3760, "status": "DONE"},
    {"name": HOSTILE_TYPE, "provider": "Scaleway", "instance_type": "GP1-XS",
     "instance_type_uuid": "scw-gp1-xs", "count": 3, "countRunning": 2, "totalCpuMhz": 33000,
     "totalReservedCpuMhz": 30000, "totalMemoryMB": 48000, "totalReservedMemoryMB": 20000,
     "status": "SCALING"},
]  # fmt: skip

STATUS_SERVICES = [
    {"name": "api", "count": 4, "countRunning": 4, "placementFailure": False},
    {"name": HOSTILE_SERVICE, "count": 2, "countRunning": 1, "placementFailure": True,
     "dimensionExhausted": {"memory": 1}},
]  # fmt: skip
