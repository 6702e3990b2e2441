"""The status report's content: the environment as it runs now, pools and services, and its cost.

Rows may use the API's camelCase (`countRunning`, `totalReservedCpuMhz`) or snake_case, and may be
`models.PoolStatus`/`ServiceStatus` objects: whoever gathers the status need not reshape it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from costplan.report.catalogue_view import read_input
from costplan.report.formatting import to_float, to_int
from costplan.report.page import Page, now_utc, oldest_collected_at, resolve_source
from costplan.report.records import pick, records


def _share(used: float | None, total: float | None) -> float | None:
    return used / total if used is not None and total else None


def status_context(
    pools: Any,
    services: Any,
    *,
    catalogue: Any = None,
    currency: str | None,
    environment: str | None,
    source: str | None,
    title: str | None,
    generated_at: datetime | None,
) -> dict[str, Any]:
    """Everything `status.html` shows, as plain values."""
    cat = read_input(catalogue) if catalogue is not None else None
    wanted = ("instance_type_uuid", "provider", "instance_type", "monthly_price", "collected_at")
    cat_rows = records(cat.frame, wanted) if cat is not None else []
    prices = {str(r["instance_type_uuid"]): r for r in cat_rows if r.get("instance_type_uuid")}
    page = Page(
        kind="status",
        title=title or "Environment status",
        source=resolve_source(source, cat.source if cat else None),
        currency=str(currency or (cat.currency if cat else None) or "EUR"),
        generated_at=now_utc(generated_at),
        catalogue_collected_at=oldest_collected_at(cat_rows, cat.collected_at if cat else None),
        environment_uuid=environment,
    )

    pool_rows: list[dict[str, Any]] = []
    for row in records(pools):
        uuid = pick(row, "instance_type_uuid", "instanceTypeUuid")
        listed = prices.get(str(uuid), {})
        count = to_int(pick(row, "count")) or 0
        # Also the column names of `provisioner.environment_status` (pool, running, cpu_total_mhz ...).
        running = to_int(pick(row, "count_running", "countRunning", "running"))
        cpu_total = to_float(pick(row, "total_cpu_mhz", "totalCpuMhz", "cpu_total_mhz", "cpu_mhz"))
        cpu_used = to_float(
            pick(row, "total_reserved_cpu_mhz", "totalReservedCpuMhz", "reserved_cpu_mhz", "cpu_reserved_mhz")
        )
        mem_total = to_float(pick(row, "total_memory_mb", "totalMemoryMB", "memory_total_mb", "memory_mb"))
        mem_used = to_float(
            pick(row, "total_reserved_memory_mb", "totalReservedMemoryMB", "reserved_memory_mb", "memory_reserved_mb")
        )
        cost = to_float(pick(row, "monthly_cost"))
        unit = to_float(pick(row, "unit_monthly_price", default=listed.get("monthly_price")))
        if cost is None and unit is not None:
            cost = unit * count
        error = pick(row, "error_message", "errorMessage", "error_type", "errorType", "error_code", "errorCode")
        pool_rows.append(
            {
                "name": str(pick(row, "name", "instancePoolName", "pool", "uuid", default="")),
                "provider": pick(row, "provider", "providerName", default=listed.get("provider", "")),
                "instance_type": pick(row, "instance_type", "instanceType", default=listed.get("instance_type", "")),
                "status": str(pick(row, "status", default="")),
                "error": error,
                "count": count,
                "running": running,
                "cpu_used": cpu_used,
                "cpu_total": cpu_total,
                "cpu_share": _share(cpu_used, cpu_total),
                "mem_used": mem_used,
                "mem_total": mem_total,
                "mem_share": _share(mem_used, mem_total),
                "cost": cost,
            }
        )

    service_rows: list[dict[str, Any]] = []
    for row in records(services):
        count = to_int(pick(row, "count", "count_max", "countMax")) or 0
        running = to_int(pick(row, "count_running", "countRunning", "running"))
        failure = bool(pick(row, "placement_failure", "placementFailure", default=False))
        failure = failure or bool(pick(row, "problem", default=""))  # environment_status says it in words
        exhausted = pick(row, "dimension_exhausted", "dimensionExhausted")
        service_rows.append(
            {
                "name": str(pick(row, "name", "service", "uuid", default="")),
                "status": str(pick(row, "status", default="")),
                "count": count,
                "running": running,
                "placement_failure": failure,
                "exhausted": ", ".join(f"{k}: {v}" for k, v in exhausted.items())
                if isinstance(exhausted, dict)
                else (str(exhausted) if exhausted else ""),
                "cpu": to_float(
                    pick(row, "total_reserved_cpu_mhz", "totalReservedCpuMhz", "cpu_reserved_mhz", "cpu_mhz")
                ),
                "mem": to_float(
                    pick(row, "total_reserved_memory_mb", "totalReservedMemoryMB", "memory_reserved_mb", "memory_mb")
                ),
                "healthy": not failure and (running is None or running >= count),
            }
        )

    costs = [p["cost"] for p in pool_rows]
    totals = {
        "cost": None if any(c is None for c in costs) else sum(c for c in costs if c is not None),
        "cost_known": sum(c for c in costs if c is not None),
        "cost_unknown": sum(1 for c in costs if c is None),
        "nodes": sum(p["count"] for p in pool_rows),
        "nodes_running": sum(p["running"] or 0 for p in pool_rows),
        "cpu_share": _share(sum(p["cpu_used"] or 0 for p in pool_rows), sum(p["cpu_total"] or 0 for p in pool_rows)),
        "mem_share": _share(sum(p["mem_used"] or 0 for p in pool_rows), sum(p["mem_total"] or 0 for p in pool_rows)),
        "services": len(service_rows),
        "services_healthy": sum(1 for s in service_rows if s["healthy"]),
        "replicas": sum(s["count"] for s in service_rows),
        "replicas_running": sum(s["running"] or 0 for s in service_rows),
        "placement_failures": sum(1 for s in service_rows if s["placement_failure"]),
    }
    return {
        "page": page,
        "currency": page.currency,
        "pools": pool_rows,
        "services": service_rows,
        "totals": totals,
        "nav": [
            ("headline", "Headline"),
            ("pools", "Pools"),
            ("services", "Services"),
            ("assumptions", "Assumptions"),
        ],
        "header_assumptions": ["cost = nodes \u00d7 monthly price"],
        "assumptions": {},
        "extra_assumptions": {
            "cost now": "nodes in each pool \u00d7 the instance type's monthly price (on demand), "
            "unless the pool row states its own",
            "reserved": "what services reserve on the nodes (MHz, MB), not what they use",
            "healthy service": "no placement failure and as many replicas running as wanted",
        },
    }
