"""The plan-JSON contract: round trip, atomic save, clear errors for malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from costplan.errors import InputError
from costplan.planner import PlanOptions, make_plan
from costplan.plans import Plan, bound_from_units, from_units, relative_gap, to_units
from tests.planner.conftest import catalogue, service

ROWS = [("Alpha", "g2", 2, 8.0, 50.1234), ("Beta", "g4", 4, 16.0, 95.5)]


@pytest.fixture(scope="module")
def plan() -> Plan:
    services = [service("api", 3, 900, 1500, spread=True, count_max=5), service("worker", 4, 700, 900, tags=("batch",))]
    return make_plan(catalogue(ROWS), services, PlanOptions(time_limit=5))


def test_json_round_trip(plan: Plan) -> None:
    data = json.loads(plan.to_json())
    again = Plan.from_dict(data)
    assert again == plan
    assert again.to_dict() == plan.to_dict()


def test_required_keys(plan: Plan) -> None:
    data = plan.to_dict()
    for key in (
        "monthly_cost",
        "lower_bound",
        "gap",
        "status",
        "currency",
        "environment_uuid",
        "created_at",
        "pools",
        "nodes",
        "services",
        "assumptions",
        "alternatives",
        "explanations",
        "placement_check",
    ):
        assert key in data
    pool = data["pools"][0]
    for key in (
        "name",
        "provider_uuid",
        "provider",
        "instance_type_uuid",
        "instance_type",
        "count_min",
        "count_max",
        "monthly_cost",
        "unit_monthly_price",
        "tags",
        "cpu_mhz",
        "memory_mb",
    ):
        assert key in pool
    assert set(data["nodes"][0]) == {"pool", "cpu_mhz", "memory_mb", "replicas"}
    assert set(data["nodes"][0]["replicas"][0]) == {"service", "cpu_mhz", "memory_mb"}


def test_money_is_exact(plan: Plan) -> None:
    assert to_units(plan.monthly_cost) == sum(to_units(p.monthly_cost) for p in plan.pools)
    assert from_units(3 * to_units(0.1) + to_units(0.2)) == 0.5
    assert to_units(50.1234) == 501234
    assert bound_from_units(12345.9) == 1.2345  # bounds round down, never up
    assert relative_gap(100.0, 97.0) == pytest.approx(0.03)


def test_save_is_atomic_and_loads_back(plan: Plan, tmp_path: Path) -> None:
    target = tmp_path / "sub" / "plan.json"
    plan.save(target)
    assert Plan.load(target) == plan
    assert [p.name for p in target.parent.iterdir()] == ["plan.json"]  # no temp file left behind


def test_load_errors_name_the_file_and_field(tmp_path: Path, plan: Plan) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="bad.json.*not valid JSON"):
        Plan.load(path)
    with pytest.raises(InputError, match="cannot read"):
        Plan.load(tmp_path / "missing.json")
    data = plan.to_dict()
    data["pools"][0]["count_min"] = "two"
    with pytest.raises(InputError, match=r"pools\[0\]\.count_min: expected an integer"):
        Plan.from_dict(data)
    data = plan.to_dict()
    del data["nodes"]
    with pytest.raises(InputError, match="nodes: missing"):
        Plan.from_dict(data)
    with pytest.raises(InputError, match="status must be one of"):
        Plan.from_dict({**plan.to_dict(), "status": "great"})
    with pytest.raises(InputError, match="expected an object"):
        Plan.from_dict([1, 2])


def test_repr_html_is_a_small_escaped_table(plan: Plan) -> None:
    html = plan._repr_html_()
    assert html.startswith("<table>") and html.count("<tr>") == len(plan.pools) + 2
    assert "status optimal" in html or "status feasible" in html
    assert "Plan(monthly_cost=" in repr(plan)
