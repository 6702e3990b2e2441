"""The plan report's content, computed from the plan-JSON dict (not the `Plan` class) so that any
plan file, old or new, renders; every optional key may be absent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from costplan.report.catalogue_view import CatalogueInput, read_input
from costplan.report.charts import CostBar, cost_bars
from costplan.report.formatting import fmt, to_float, to_int
from costplan.report.packing import packing
from costplan.report.page import Page, now_utc, oldest_collected_at, resolve_source
from costplan.report.records import as_mapping, pick, records


def headline_values(plan: Mapping[str, Any]) -> dict[str, float | None]:
    """The three headline figures as shown: cost rounded to cents, the bound rounded *down*
    (a bound rounded up could claim more than was proven), the gap in percent to 0.01."""
    cost = to_float(plan.get("monthly_cost"))
    bound = to_float(plan.get("lower_bound"))
    gap = to_float(plan.get("gap"))
    if gap is None and cost and bound is not None:
        gap = max(0.0, (cost - bound) / cost)
    shown_bound = None if bound is None else math.floor(bound * 100 + 1e-6) / 100
    return {
        "monthly_cost": None if cost is None else round(cost, 2),
        "lower_bound": shown_bound,
        "gap": gap,
        "gap_percent": None if gap is None else round(gap * 100, 2),
        # From the figures as shown, so that the reader's own subtraction agrees with the page.
        "gap_amount": None if cost is None or shown_bound is None else round(max(round(cost, 2) - shown_bound, 0.0), 2),
    }


def _catalogue_lookup(
    catalogue: CatalogueInput | None,
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    if catalogue is None:
        return {}, []
    rows = records(
        catalogue.frame, ("instance_type_uuid", "vcpus", "memory_gb", "monthly_price", "collected_at", "price_note")
    )
    by_uuid = {str(r["instance_type_uuid"]): r for r in rows if r.get("instance_type_uuid")}
    return by_uuid, rows


def _pool_rows(
    plan: Mapping[str, Any], nodes: Sequence[Mapping[str, Any]], by_uuid: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    explained = {str(e.get("pool")): e for e in records((plan.get("explanations") or {}).get("pools")) if e.get("pool")}
    on_demand = as_mapping(as_mapping(plan.get("commit")).get("on_demand_unit_prices"))
    price_notes = as_mapping(as_mapping(as_mapping(plan.get("assumptions")).get("catalogue")).get("price_notes"))
    pools = []
    for raw in records(plan.get("pools")):
        name = str(pick(raw, "name", default=""))
        listed = by_uuid.get(str(raw.get("instance_type_uuid")), {})
        unit = to_float(pick(raw, "unit_monthly_price"))
        if unit is None:
            unit = to_float(listed.get("monthly_price"))
        count_min, count_max = to_int(pick(raw, "count_min")) or 0, to_int(pick(raw, "count_max"))
        baseline = to_float(pick(raw, "monthly_cost"))
        if baseline is None and unit is not None:
            baseline = unit * count_min
        peak = unit * count_max if unit is not None and count_max is not None else None
        burst_unit = to_float(on_demand.get(name))  # --commit baseline: the burst above count_min is on demand
        if peak is not None and unit is not None and burst_unit is not None and count_max is not None:
            peak = unit * count_min + burst_unit * max(0, count_max - count_min)
        own = [n for n in nodes if str(n.get("pool", "")) == name]
        cpu_cap = sum(to_float(n.get("cpu_mhz")) or 0.0 for n in own)
        mem_cap = sum(to_float(n.get("memory_mb")) or 0.0 for n in own)
        cpu_used = sum(to_float(r.get("cpu_mhz")) or 0.0 for n in own for r in n.get("replicas") or ())
        mem_used = sum(to_float(r.get("memory_mb")) or 0.0 for n in own for r in n.get("replicas") or ())
        idle = None
        if unit is not None and own:
            idle = sum(unit * (1 - min(1.0, max(_share(n, "cpu_mhz"), _share(n, "memory_mb")))) for n in own)
        explanation = explained.get(name, {})
        cpu_util = cpu_used / cpu_cap if cpu_cap else None
        mem_util = mem_used / mem_cap if mem_cap else None
        # The planner's explanations state utilisation in percent; used only when nodes are absent.
        if cpu_util is None:
            cpu_util = _percent_to_share(explanation.get("cpu_utilisation"))
        if mem_util is None:
            mem_util = _percent_to_share(explanation.get("memory_utilisation"))
        if to_float(explanation.get("idle_monthly_cost")) is not None:
            idle = to_float(explanation["idle_monthly_cost"])  # the planner's own figure wins
        pools.append(
            {
                "name": name,
                "provider": pick(raw, "provider", "provider_uuid", default=""),
                "instance_type": pick(raw, "instance_type", "instance_type_uuid", default=""),
                "instance_type_uuid": pick(raw, "instance_type_uuid"),
                "vcpus": pick(raw, "vcpus", default=listed.get("vcpus")),
                "memory_gb": pick(raw, "memory_gb", default=listed.get("memory_gb")),
                "cpu_mhz": pick(raw, "cpu_mhz"),
                "memory_mb": pick(raw, "memory_mb"),
                "count_min": count_min,
                "count_max": count_max,
                "unit": unit,
                "burst_unit": burst_unit,
                "baseline": baseline,
                "peak": peak,
                "nodes": len(own),
                "cpu_util": cpu_util,
                "mem_util": mem_util,
                "idle": idle,
                "tags": [str(t) for t in raw.get("tags") or ()],
                "hosts": dict(explanation.get("hosts") or {}),
                "price_note": price_notes.get(str(raw.get("instance_type_uuid"))) or listed.get("price_note"),
            }
        )
    return pools


def _percent_to_share(value: Any) -> float | None:
    percent = to_float(value)
    return None if percent is None else percent / 100


def _share(node: Mapping[str, Any], key: str) -> float:
    capacity = to_float(node.get(key)) or 0.0
    used = sum(to_float(r.get(key)) or 0.0 for r in node.get("replicas") or ())
    return used / capacity if capacity else 1.0


def _diff(pools: Sequence[dict[str, Any]], current: Any, by_uuid: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Planned pools against the environment's pools, matched by instance type (uuid, else names)."""

    def key(row: Mapping[str, Any]) -> tuple[str, str]:
        uuid = pick(row, "instance_type_uuid", "instanceTypeUuid")
        if uuid:
            return ("uuid", str(uuid))
        return (
            str(pick(row, "provider", default="")).lower(),
            str(pick(row, "instance_type", default="")).lower(),
        )

    lines: dict[tuple[str, str], dict[str, Any]] = {}
    for pool in pools:
        line = lines.setdefault(key(pool), _diff_line(pool))
        line["planned"] += pool["count_min"]
        line["planned_cost"] += pool["baseline"] or 0.0
        line["planned_names"].append(pool["name"])
    units = {key(p): p["unit"] for p in pools}
    for row in records(current):
        line = lines.setdefault(key(row), _diff_line(row))
        count = to_int(pick(row, "count", "count_min", "countMin")) or 0
        cost = to_float(pick(row, "monthly_cost"))
        unit = to_float(pick(row, "unit_monthly_price")) or units.get(key(row))
        if unit is None:
            unit = to_float(
                by_uuid.get(str(pick(row, "instance_type_uuid", "instanceTypeUuid")), {}).get("monthly_price")
            )
        if cost is None and unit is not None:
            cost = unit * count
        line["current"] += count
        line["current_cost"] = None if cost is None or line["current_cost"] is None else line["current_cost"] + cost
        line["current_names"].append(str(pick(row, "name", default="")))
    rows = []
    for line in lines.values():
        if line["current_cost"] is not None:
            line["delta"] = line["planned_cost"] - line["current_cost"]
        line["change"] = (
            "new" if not line["current_names"] else
            "remove" if not line["planned_names"] else
            "keep" if line["current"] == line["planned"] else "resize"
        )  # fmt: skip
        rows.append(line)
    rows.sort(key=lambda r: ({"new": 0, "resize": 1, "remove": 2, "keep": 3}[r["change"]], str(r["provider"])))
    known = [r["current_cost"] for r in rows]
    current_total = None if any(c is None for c in known) else sum(known)
    planned_total = sum(r["planned_cost"] for r in rows)
    return {
        "rows": rows,
        "current_total": current_total,
        "planned_total": planned_total,
        "delta": None if current_total is None else planned_total - current_total,
        "fraction": (planned_total - current_total) / current_total if current_total else None,
    }


def _diff_line(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "provider": pick(row, "provider", "provider_uuid", default=""),
        "instance_type": pick(row, "instance_type", "instance_type_uuid", default=""),
        "current": 0,
        "planned": 0,
        "current_cost": 0.0,
        "planned_cost": 0.0,
        "delta": None,
        "current_names": [],
        "planned_names": [],
    }


def plan_context(
    plan: Mapping[str, Any] | Any,
    *,
    catalogue: Any = None,
    current: Any = None,
    source: str | None,
    title: str | None,
    generated_at: datetime | None,
) -> dict[str, Any]:
    """Everything `plan.html` shows, as plain values."""
    data = as_mapping(plan)
    cat = read_input(catalogue) if catalogue is not None else None
    by_uuid, cat_rows = _catalogue_lookup(cat)
    currency = str(data.get("currency") or (cat.currency if cat else None) or "EUR")
    page = Page(
        kind="plan",
        title=title or "Capacity plan",
        source=resolve_source(source, cat.source if cat else None),
        currency=currency,
        generated_at=now_utc(generated_at),
        catalogue_collected_at=oldest_collected_at(cat_rows, cat.collected_at if cat else None)
        or oldest_collected_at([], (data.get("assumptions") or {}).get("catalogue_collected_at")),
        environment_uuid=data.get("environment_uuid"),
    )
    nodes = [as_mapping(n) for n in data.get("nodes") or ()]
    pools = _pool_rows(data, nodes, by_uuid)
    headline = headline_values(data)
    cost = to_float(data.get("monthly_cost")) or 0.0

    peak_data = as_mapping(data.get("peak")) if data.get("peak") else {}
    peak_cost = to_float(peak_data.get("monthly_cost"))
    if peak_cost is None and pools and all(p["peak"] is not None for p in pools):
        peak_cost = sum(p["peak"] for p in pools)
    capacity_cpu = sum(to_float(n.get("cpu_mhz")) or 0.0 for n in nodes)
    capacity_mem = sum(to_float(n.get("memory_mb")) or 0.0 for n in nodes)
    used_cpu = sum(to_float(r.get("cpu_mhz")) or 0.0 for n in nodes for r in n.get("replicas") or ())
    used_mem = sum(to_float(r.get("memory_mb")) or 0.0 for n in nodes for r in n.get("replicas") or ())
    idles = [p["idle"] for p in pools]

    alternatives = []
    for alt in records(data.get("alternatives")):
        monthly = to_float(alt.get("monthly_cost"))
        extra = to_float(alt.get("extra_cost"))
        if extra is None and monthly is not None:
            extra = monthly - cost
        feasible = alt.get("feasible", True) is not False
        alternatives.append(
            {
                "name": pick(alt, "name", "kind", "description", default="alternative"),
                "kind": alt.get("kind"),
                "feasible": feasible,
                "monthly_cost": monthly,
                "extra": extra,
                "fraction": extra / cost if extra is not None and cost else None,
                "lower_bound": to_float(alt.get("lower_bound")),
                "note": pick(alt, "note", "reason", default=""),
                "method": alt.get("method") or "",
            }
        )
    alternatives.sort(key=lambda a: (not a["feasible"], a["extra"] if a["extra"] is not None else math.inf))

    check = as_mapping(data.get("placement_check")) if data.get("placement_check") else None
    placement = None
    if check is not None:
        failed = {str(k): to_int(v) or 0 for k, v in as_mapping(check.get("failed_services") or {}).items()}
        succeeds = check.get("succeeds")
        placement = {
            "succeeds": bool(succeeds) if succeeds is not None else not failed,
            "failed": failed,
            "failed_replicas": sum(failed.values()),
            "method": str(check.get("method") or ""),
            "other": {k: v for k, v in check.items() if k not in ("succeeds", "failed_services", "method")},
        }

    landing = _landing(data.get("placement"))

    services = []
    service_total = to_float(data.get("monthly_cost"))
    for svc in records(data.get("services")):
        cpu, mem = to_float(svc.get("cpu_mhz")), to_float(svc.get("memory_mb"))
        cmin, cmax = to_int(pick(svc, "count_min", "countMin")), to_int(pick(svc, "count_max", "countMax"))
        share_cost = to_float(svc.get("monthly_cost"))
        services.append(
            {
                "name": str(pick(svc, "name", default="")),
                "count_min": cmin,
                "count_max": cmax,
                "cpu_mhz": cpu,
                "memory_mb": mem,
                "total_cpu": cpu * cmin if cpu is not None and cmin is not None else None,
                "total_mem": mem * cmin if mem is not None and cmin is not None else None,
                "spread": bool(svc.get("spread")),
                "monthly_cost": share_cost,
                "share": share_cost / service_total if service_total and share_cost is not None else None,
                "constraints": ", ".join(
                    [
                        *(f"provider {p}" for p in svc.get("providers") or ()),
                        *(f"tag {t}" for t in svc.get("tags") or ()),
                    ]
                ),
            }
        )

    assumptions = _readable_money(dict(data.get("assumptions") or {}), currency)
    usage = _usage(data, assumptions, cost, peak_cost)
    diff = _diff(pools, current, by_uuid) if current is not None else None
    explanations = as_mapping(data.get("explanations")) if isinstance(data.get("explanations"), Mapping) else {}
    return {
        "page": page,
        "plan": data,
        "currency": currency,
        "status": str(data.get("status") or "feasible"),
        "headline": headline,
        "landing": landing,
        "pools": pools,
        "pool_chart": cost_bars(
            [CostBar(p["name"], _pool_detail(p), p["baseline"] or 0.0, p["peak"]) for p in pools], currency
        )
        if pools
        else None,
        "packing": packing(nodes, pools),
        "facts": {
            "pools": len(pools),
            "nodes": len(nodes) or sum(p["count_min"] for p in pools),
            "nodes_peak": sum(p["count_max"] or 0 for p in pools),
            "peak_cost": peak_cost,
            "peak_gap": to_float(peak_data.get("gap")),
            "peak_status": peak_data.get("status"),
            "cpu_util": used_cpu / capacity_cpu if capacity_cpu else None,
            "mem_util": used_mem / capacity_mem if capacity_mem else None,
            "idle": None if not idles or any(i is None for i in idles) else sum(idles),
            "replicas": sum(len(n.get("replicas") or ()) for n in nodes),
        },
        "services": services,
        "usage": usage,
        "alternatives": alternatives,
        "placement": placement,
        "summary": str(explanations.get("summary") or ""),
        "conversions": [
            str(v) for v in as_mapping(as_mapping(assumptions.get("catalogue")).get("currency_conversion")).values()
        ],
        "bound_explanation": str(explanations.get("bound") or ""),
        "assumptions": assumptions,
        "extra_assumptions": None,
        "header_assumptions": header_assumptions(assumptions),
        "diff": diff,
        "nav": [
            (anchor, label)
            for anchor, label, shown in (
                ("headline", "Headline", True),
                ("pools", "Pools", True),
                ("diff", "Change vs now", diff is not None),
                ("packing", "Packing", True),
                ("services", "Services", bool(services)),
                ("alternatives", "Alternatives", True),
                ("proof", "Placement check", True),
                ("assumptions", "Assumptions", True),
            )
            if shown
        ],
    }


def _usage(data: Mapping[str, Any], assumptions: Mapping[str, Any], cost: float, peak: float | None) -> dict[str, Any]:
    """Expected cost (with its stated assumption), the committed-price block and the idle cost."""
    usage = as_mapping(data.get("usage"))
    commit = as_mapping(data.get("commit"))
    idle = to_float(data.get("idle_monthly_cost"))
    return {
        "expected": to_float(data.get("expected_monthly_cost")),
        "hours": to_float(usage.get("peak_hours_per_month")),
        "source": str(usage.get("source") or ""),
        "statement": str(assumptions.get("usage") or ""),
        "baseline": cost,
        "peak": peak,
        "commit": None
        if not commit
        else {
            "mode": str(commit.get("mode") or ""),
            "committed": to_float(commit.get("committed_monthly_cost")),
            "on_demand": to_float(commit.get("on_demand_monthly_cost")),
            "saving": to_float(commit.get("saving")),
        },
        "idle": idle,
        "idle_share": idle / cost if idle is not None and cost else None,
        "split_method": str(assumptions.get("cost_per_service") or ""),
    }


def _landing(raw: Any) -> dict[str, Any] | None:
    """The scheduler stage's promise (`placement`): landing share, its bound, the premium."""
    if not isinstance(raw, Mapping):
        return None
    packing, premium = to_float(raw.get("packing_cost")), to_float(raw.get("premium"))
    probability, target = to_float(raw.get("landing_probability")), to_float(raw.get("target"))
    kept = as_mapping(raw.get("spread_kept") or {})
    numbers = (packing, premium, probability, target, to_float(raw.get("landing_lower_bound")))
    if any(x is None for x in numbers) or not to_int(raw.get("runs")):
        return None  # an incomplete block is not shown rather than shown wrong
    return {
        "model": str(raw.get("model") or ""),
        "runs": to_int(raw.get("runs")),
        "landed": to_int(raw.get("landed_runs")),
        "probability": probability,
        "lower_bound": to_float(raw.get("landing_lower_bound")),
        "target": target,
        "met": probability is not None and target is not None and probability >= target,
        "packing_cost": packing,
        "premium": premium,
        "premium_share": premium / packing if premium is not None and packing else None,
        "extra_nodes_expected": to_float(raw.get("extra_nodes_expected")),
        "extra_cost_expected": to_float(raw.get("extra_monthly_cost_expected")),
        "extra_cost_p95": to_float(raw.get("extra_monthly_cost_p95")),
        "spread_kept": {str(k): to_float(v) for k, v in kept.items()},
        "deterministic_lands": raw.get("deterministic_lands"),
        "note": str(raw.get("note") or ""),
    }


MONEY_UNITS = 10_000  # the solver's figures are in 1/10,000 of the currency (plans.MONEY_SCALE)


def _readable_money(assumptions: dict[str, Any], currency: str) -> dict[str, Any]:
    """The solver's bounds (`lp_bound`, `bound_units`, ...) are integers of 1/10,000: shown as money per month."""

    def convert(value: Any, key: str = "") -> Any:
        if isinstance(value, Mapping):
            return {k: convert(v, str(k)) for k, v in value.items()}
        number = to_float(value)
        if key.endswith(("_bound", "_units")) and number is not None:
            return f"{number / MONEY_UNITS:,.2f} {currency}/month"
        return value

    solver = assumptions.get("solver")
    if isinstance(solver, Mapping):
        assumptions["solver"] = convert(solver)
    return assumptions


def header_assumptions(assumptions: Mapping[str, Any], limit: int = 4) -> list[str]:
    """A few scalar assumptions for the page header; the full (nested) set is at the end."""
    items = [
        f"{key.replace('_', ' ')}: {fmt(value, 'auto')}"
        for key, value in sorted(assumptions.items())
        if isinstance(value, (int, float, str))
        and not isinstance(value, bool)
        and 0 < len(str(value)) <= 24
        and not key.endswith("_at")  # timestamps are in the header already, better formatted
    ]
    return items[:limit]


def _pool_detail(pool: Mapping[str, Any]) -> str:
    counts = (
        str(pool["count_min"])
        if pool["count_max"] in (None, pool["count_min"])
        else f"{pool['count_min']}\u2013{pool['count_max']}"
    )
    return f"{counts} \u00d7 {pool['instance_type']} \u00b7 {pool['provider']}"
