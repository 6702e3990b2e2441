"""`what_if`: one row per scenario, deltas against the first, infeasible ones with their reason."""

from __future__ import annotations

import math

from costplan.planner import PlanOptions, make_plan, what_if
from costplan.planner.what_if import WHAT_IF_COLUMNS
from tests.planner.conftest import catalogue, service

ROWS = [("Alpha", "a", 2, 8.0, 50.0), ("Beta", "b", 2, 8.0, 40.0), ("Beta", "big", 8, 32.0, 150.0)]
SERVICES = [service("db", 1, 500, 1024, providers=("Alpha",)), service("web", 3, 800, 512, spread=True)]


def test_rows_in_order_with_deltas_against_the_first() -> None:
    base = PlanOptions(time_limit=3)
    table = what_if(
        catalogue(ROWS),
        SERVICES,
        {
            "baseline": base,
            "N+1": PlanOptions(time_limit=3, n_plus_one=True),
            "without Alpha": PlanOptions(time_limit=3, exclude_providers=("Alpha",)),
            "max 1 pool": PlanOptions(time_limit=3, max_pools=1),
        },
    )
    assert list(table.index) == ["baseline", "N+1", "without Alpha", "max 1 pool"]
    assert table.index.name == "scenario" and tuple(table.columns) == WHAT_IF_COLUMNS
    plan = make_plan(catalogue(ROWS), SERVICES, base)
    first = table.loc["baseline"]
    assert first["monthly_cost"] == plan.monthly_cost and first["delta"] == 0 and first["delta_pct"] == 0
    assert first["nodes"] == len(plan.nodes) and first["status"] == plan.status
    n1 = table.loc["N+1"]
    assert n1["delta"] == n1["monthly_cost"] - plan.monthly_cost >= 0
    assert n1["lower_bound"] <= n1["monthly_cost"]
    gone = table.loc["without Alpha"]
    assert gone["status"] == "infeasible" and "may only run on Alpha" in gone["pools"]
    assert math.isnan(gone["monthly_cost"]) and math.isnan(gone["delta"])
    assert "x Alpha a" in first["pools"]


def test_a_plan_can_stand_for_its_scenario() -> None:
    plan = make_plan(catalogue(ROWS), SERVICES, PlanOptions(time_limit=3))
    table = what_if(catalogue(ROWS), SERVICES, {"as planned": plan, "N+1": PlanOptions(time_limit=3, n_plus_one=True)})
    assert table.loc["as planned", "monthly_cost"] == plan.monthly_cost
    assert table.loc["N+1", "delta"] == table.loc["N+1", "monthly_cost"] - plan.monthly_cost


def test_an_infeasible_first_scenario_leaves_deltas_empty() -> None:
    table = what_if(
        catalogue(ROWS),
        SERVICES,
        {"only Beta": PlanOptions(time_limit=3, providers=("Beta",)), "all": PlanOptions(time_limit=3)},
    )
    assert table.loc["only Beta", "status"] == "infeasible"
    assert math.isnan(table.loc["all", "delta"]) and table.loc["all", "monthly_cost"] > 0
