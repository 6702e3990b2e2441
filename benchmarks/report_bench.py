"""Render time of the HTML reports at the sizes the issue names: prints the figures.

    python benchmarks/report_bench.py [--repeat 3]

A 5,000-row catalogue (8 providers) and a plan with ~5,000 replicas (40 services on ~800 nodes
in 6 pools), both synthetic and seeded, so runs compare. The first render includes compiling
the templates; the best of the rest is the steady state.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from costplan.models import CATALOGUE_DTYPES
from costplan.report import render_catalogue_report, render_plan_report

PROVIDERS = ("Azure", "Google Cloud", "Scaleway", "AWS", "Outscale", "Exoscale", "OVH", "Hetzner")
NOW = datetime(2025, 11, 27, 12, tzinfo=UTC)


def catalogue(rows: int, rng: random.Random) -> pd.DataFrame:
    records = []
    for i in range(rows):
        provider = PROVIDERS[i % len(PROVIDERS)]
        vcpus = rng.choice((1, 2, 4, 8, 16, 32, 48, 64, 96))
        memory = vcpus * rng.choice((1, 2, 4, 8))
        hourly = round(vcpus * rng.uniform(0.008, 0.05) + memory * rng.uniform(0.001, 0.004), 4)
        monthly = hourly * 720
        records.append(
            {
                "environment_uuid": "env",
                "provider_uuid": f"prov-{provider}",
                "provider": provider,
                "instance_type_uuid": f"type-{i}",
                "instance_type": f"{provider[:3].lower()}-{vcpus}x{memory}-{i}",
                "vcpus": vcpus,
                "memory_gb": float(memory),
                "ssd_gb": 20.0,
                "hourly_price": hourly,
                "reserved_hourly_price": None,
                "monthly_price": monthly,
                "price_per_vcpu_month": monthly / vcpus,
                "price_per_gb_month": monthly / memory,
                "currency": "EUR",
                "collected_at": NOW,
            }
        )
    return pd.DataFrame(records).astype(CATALOGUE_DTYPES)


def plan(replicas: int, rng: random.Random) -> dict[str, Any]:
    services = [
        {"name": f"svc-{s}", "count_min": 0, "count_max": 0, "cpu_mhz": rng.choice((100, 250, 500, 1000, 2000)),
         "memory_mb": rng.choice((128, 256, 512, 1024, 2048)), "spread": s % 5 == 0, "providers": [], "tags": []}
        for s in range(40)
    ]  # fmt: skip
    pools = [
        {"name": f"pool-{p}", "provider_uuid": f"prov-{p}", "provider": PROVIDERS[p], "instance_type_uuid": f"t-{p}",
         "instance_type": f"type-{p}", "count_min": 0, "count_max": 0, "unit_monthly_price": 40.0 + 25 * p,
         "monthly_cost": 0.0, "tags": [], "cpu_mhz": 4000 * (p + 1), "memory_mb": 4096 * (p + 1)}
        for p in range(6)
    ]  # fmt: skip
    nodes: list[dict[str, Any]] = []
    placed = 0
    while placed < replicas:
        pool = rng.choice(pools)
        node = {"pool": pool["name"], "cpu_mhz": pool["cpu_mhz"], "memory_mb": pool["memory_mb"], "replicas": []}
        cpu, mem = pool["cpu_mhz"], pool["memory_mb"]
        for _ in range(50):
            service = rng.choice(services)
            if service["cpu_mhz"] <= cpu and service["memory_mb"] <= mem and placed < replicas:
                node["replicas"].append(
                    {"service": service["name"], "cpu_mhz": service["cpu_mhz"], "memory_mb": service["memory_mb"]}
                )
                cpu, mem, placed = cpu - service["cpu_mhz"], mem - service["memory_mb"], placed + 1
                service["count_min"] += 1
                service["count_max"] += 1
        pool["count_min"] += 1
        nodes.append(node)
    for pool in pools:
        pool["count_max"] = pool["count_min"] + 2
        pool["monthly_cost"] = pool["count_min"] * pool["unit_monthly_price"]
    cost = sum(p["monthly_cost"] for p in pools)
    return {
        "monthly_cost": cost, "lower_bound": cost * 0.975, "gap": 0.025, "status": "feasible", "currency": "EUR",
        "pools": pools, "nodes": nodes, "services": services, "assumptions": {"headroom": 0.1},
    }  # fmt: skip


def timed(label: str, render: Any, repeat: int) -> None:
    times, html = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        html = render()
        times.append(time.perf_counter() - start)
    print(
        f"{label:<44} first {times[0] * 1000:7.0f} ms   best {min(times[1:] or times) * 1000:7.0f} ms   "
        f"{len(html.encode()) / 1024:7.0f} KiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(20251127)
    frame = catalogue(5000, rng)
    big_plan = plan(5000, rng)
    replicas = sum(len(n["replicas"]) for n in big_plan["nodes"])
    timed("catalogue report, 5,000 rows", lambda: render_catalogue_report(frame, generated_at=NOW), args.repeat)
    timed(
        f"plan report, {replicas:,} replicas on {len(big_plan['nodes']):,} nodes",
        lambda: render_plan_report(big_plan, generated_at=NOW),
        args.repeat,
    )


if __name__ == "__main__":
    main()
