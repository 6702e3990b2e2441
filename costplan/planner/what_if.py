"""What-ifs: the same demand planned under several options, side by side in one DataFrame."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from costplan.errors import InfeasiblePlan
from costplan.models import ServiceSpec
from costplan.planner.options import PlanOptions
from costplan.planner.pipeline import make_plan
from costplan.plans import Plan

WHAT_IF_COLUMNS = (
    "monthly_cost",
    "delta",
    "delta_pct",
    "lower_bound",
    "gap",
    "status",
    "nodes",
    "peak_cost",
    "pools",
)


def what_if(
    catalogue: pd.DataFrame, services: Iterable[ServiceSpec], scenarios: Mapping[str, PlanOptions | Plan]
) -> pd.DataFrame:
    """One row per scenario (index `scenario`, in the given order), each planned from scratch
    (a `Plan` given instead of options is taken as it is: a baseline you already have).

    Columns: `monthly_cost`, `delta` and `delta_pct` against the *first* scenario, `lower_bound`,
    `gap`, `status`, `nodes`, `peak_cost` (what the pools cost at `count_max`; the baseline cost
    when there is no peak), and `pools` (`"2x Azure B2s, ..."`). A scenario that cannot be planned
    has status `infeasible`, the `InfeasiblePlan` reason in `pools` and the numbers missing.

    ```python
    what_if(catalogue.frame, services, {
        "baseline": PlanOptions(time_limit=5),
        "N+1": PlanOptions(time_limit=5, n_plus_one=True),
        "without AWS": PlanOptions(time_limit=5, exclude_providers=("AWS",)),
    })
    ```
    """
    specs = list(services)
    rows: list[dict[str, Any]] = []
    reference: float | None = None
    for position, (name, options) in enumerate(scenarios.items()):
        try:
            plan = options if isinstance(options, Plan) else make_plan(catalogue, specs, options)
        except InfeasiblePlan as error:
            rows.append({"scenario": name, "status": "infeasible", "pools": str(error)})
            continue
        if position == 0:
            reference = plan.monthly_cost
        delta = None if reference is None else plan.monthly_cost - reference
        rows.append(
            {
                "scenario": name,
                "monthly_cost": plan.monthly_cost,
                "delta": delta,
                "delta_pct": None if delta is None or not reference else delta / reference,
                "lower_bound": plan.lower_bound,
                "gap": plan.gap,
                "status": plan.status,
                "nodes": len(plan.nodes),
                "peak_cost": plan.peak.monthly_cost if plan.peak is not None else plan.monthly_cost,
                "pools": ", ".join(f"{p.count_min}x {p.provider} {p.instance_type}" for p in plan.pools),
            }
        )
    frame = pd.DataFrame(rows, columns=["scenario", *WHAT_IF_COLUMNS]).set_index("scenario")
    for column in ("monthly_cost", "delta", "delta_pct", "lower_bound", "gap", "peak_cost"):
        frame[column] = frame[column].astype("float64")
    frame["nodes"] = frame["nodes"].astype("Int64")
    return frame
