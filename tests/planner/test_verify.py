"""Verification re-derives everything from the JSON: corrupted plans are caught."""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from costplan.errors import PlanVerificationError
from costplan.planner import PlanOptions, make_plan, verify_plan
from costplan.plans import Plan
from tests.planner.conftest import catalogue, service

ROWS = [("Alpha", "g2", 2, 8.0, 50.0), ("Beta", "g4", 4, 16.0, 95.0)]


@pytest.fixture(scope="module")
def good() -> dict[str, Any]:
    services = [service("api", 3, 900, 1500, spread=True), service("worker", 5, 700, 900)]
    plan = make_plan(catalogue(ROWS), services, PlanOptions(time_limit=5, exclude_providers=("Gamma",), max_pools=2))
    return plan.to_dict()


def fails(data: dict[str, Any], match: str) -> None:
    with pytest.raises(PlanVerificationError, match=match):
        verify_plan(data)


def test_good_plan_verifies(good: dict[str, Any]) -> None:
    verify_plan(good)
    verify_plan(Plan.from_dict(good))


def test_over_packed_node(good: dict[str, Any]) -> None:
    data = copy.deepcopy(good)
    node = data["nodes"][0]
    node["replicas"].extend([{"service": "worker", "cpu_mhz": 700, "memory_mb": 900}] * 20)
    fails(data, "placed on")


def test_missing_replica(good: dict[str, Any]) -> None:
    data = copy.deepcopy(good)
    victim = next(n for n in data["nodes"] if any(r["service"] == "worker" for r in n["replicas"]))
    victim["replicas"] = [r for r in victim["replicas"] if r["service"] != "worker"][:]
    fails(data, "service worker has")


def test_tampered_total(good: dict[str, Any]) -> None:
    data = copy.deepcopy(good)
    data["monthly_cost"] = round(data["monthly_cost"] - 0.01, 4)
    fails(data, "sum of pool costs")


def test_tampered_pool_cost(good: dict[str, Any]) -> None:
    data = copy.deepcopy(good)
    data["pools"][0]["monthly_cost"] += 1.0
    data["monthly_cost"] += 1.0
    fails(data, "monthly_cost")


def test_bound_above_cost(good: dict[str, Any]) -> None:
    data = copy.deepcopy(good)
    data["lower_bound"] = data["monthly_cost"] + 1
    fails(data, "lower_bound")


def test_spread_broken(good: dict[str, Any]) -> None:
    data = copy.deepcopy(good)
    # A packing (no placement block) must keep spread; the scheduler model's placement in a plan
    # with one may break it (spread is a preference the platform may break: docs/planner.md).
    data["placement"] = None
    api = {"service": "api", "cpu_mhz": 900, "memory_mb": 1500}
    nodes = [n for n in data["nodes"] if api in n["replicas"]]
    nodes[1]["replicas"].remove(api)
    nodes[0]["replicas"].append(api)
    fails(data, "spread service api")


def test_capacity_tampered(good: dict[str, Any]) -> None:
    data = copy.deepcopy(good)
    data["pools"][0]["cpu_mhz"] *= 2
    for node in data["nodes"]:
        if node["pool"] == data["pools"][0]["name"]:
            node["cpu_mhz"] *= 2
    fails(data, "capacity model")


def test_pool_count_mismatch(good: dict[str, Any]) -> None:
    data = copy.deepcopy(good)
    data["pools"][0]["count_min"] += 1
    data["pools"][0]["count_max"] += 1
    data["pools"][0]["monthly_cost"] = round(
        data["pools"][0]["monthly_cost"] + data["pools"][0]["unit_monthly_price"], 4
    )
    data["monthly_cost"] = round(sum(p["monthly_cost"] for p in data["pools"]), 4)
    data["gap"] = 1 - data["lower_bound"] / data["monthly_cost"]
    fails(data, "count_min")


def test_excluded_provider_present(good: dict[str, Any]) -> None:
    data = copy.deepcopy(good)
    data["assumptions"]["options"]["exclude_providers"] = [data["pools"][0]["provider"]]
    fails(data, "is excluded")


def test_unknown_pool_and_malformed(good: dict[str, Any]) -> None:
    data = copy.deepcopy(good)
    data["nodes"][0]["pool"] = "nowhere"
    fails(data, "unknown pool")
    fails({"monthly_cost": 1}, "malformed")


def with_placement(good: dict[str, Any], runs: int = 40, seed: int = 3) -> dict[str, Any]:
    """The plan with a `placement` block from the scheduler model's own estimate."""
    from costplan.planner.scheduler import estimate, from_plan

    plan = Plan.from_dict(good)
    view = from_plan(plan)
    landing = estimate(view.cluster, view.count_min, view.order, runs=runs, seed=seed)
    data = copy.deepcopy(good)
    data["placement"] = Plan.to_dict(replace(plan, placement=landing.placement(target=0.99)))["placement"]
    return data


def test_placement_block_is_recomputed_to_the_run(good: dict[str, Any]) -> None:
    data = with_placement(good)
    verify_plan(data)
    assert data["placement"]["runs"] == 40 and data["placement"]["model"] == "nomad"
    tampered = copy.deepcopy(data)
    tampered["placement"]["landed_runs"] += 1
    fails(tampered, "placement.landed_runs")
    tampered = copy.deepcopy(data)
    tampered["placement"]["landing_probability"] = 1.5
    fails(tampered, "placement.landing_probability")
    tampered = copy.deepcopy(data)
    tampered["placement"]["model"] = "spread"
    fails(tampered, "placement.model")


def test_service_pools_name_existing_pools_the_service_may_use(good: dict[str, Any]) -> None:
    data = copy.deepcopy(good)
    data["services"][0]["pools"] = [*data["services"][0]["pools"], "no-such-pool"]
    fails(data, "not a pool of the plan")
    data = copy.deepcopy(good)
    data["services"][0]["pools"] = []
    fails(data, "no pool it may use")


def test_replicas_run_only_on_their_service_pools(good: dict[str, Any]) -> None:
    data = copy.deepcopy(good)
    worker = next(s for s in data["services"] if s["name"] == "worker")
    used = {n["pool"] for n in data["nodes"] if any(r["service"] == "worker" for r in n["replicas"])}
    worker["pools"] = [p["name"] for p in data["pools"] if p["name"] not in used][:1]
    fails(data, "not among its pools")


def test_submission_order_is_a_permutation_of_the_services(good: dict[str, Any]) -> None:
    data = copy.deepcopy(good)
    data["submission_order"] = data["submission_order"][:1]
    fails(data, "not a permutation")
    data["submission_order"] = [data["services"][0]["name"]] * len(data["services"])
    fails(data, "not a permutation")


def test_plan_view_builds_its_replica_counts_only_when_read(good: dict[str, Any]) -> None:
    """The estimate and the placement check use the cluster alone: the [S, N] counts (1.3 GB at
    10,000 services) are built on first read, one cell per replica the plan shows."""
    from costplan.planner.scheduler import estimate, from_plan

    plan = Plan.from_dict(good)
    view = from_plan(plan)
    estimate(view.cluster, view.count_min, view.order, runs=5, seed=1)
    assert "counts" not in view.__dict__
    names = [s.name for s in plan.services]
    want = [[sum(r.service == name for r in node.replicas) for node in plan.nodes] for name in names]
    assert view.counts.tolist() == want and view.counts.dtype.name == "int64"
    assert int(view.counts.sum()) == sum(s.count_min for s in plan.services)


def test_placement_check_is_the_best_fit_schedule_with_or_without_enough_nodes(good: dict[str, Any]) -> None:
    """`placement_of` runs best fit through `estimate` (no [S, N] placement kept): the same verdict
    and failed counts as `schedule`, on the plan and on the plan short of nodes."""
    from costplan.planner.scheduler import from_plan, schedule
    from costplan.planner.verify import placement_of

    short = copy.deepcopy(good)
    short["nodes"] = short["nodes"][:1]
    for data in (good, short):
        plan = Plan.from_dict(data)
        view = from_plan(plan, distinct_hosts=True)
        check = schedule(view.cluster, view.count_min, view.order, mode="best-fit")
        assert placement_of(plan) == (check.lands, check.failed)
    assert placement_of(Plan.from_dict(good)) == (True, {})
    assert placement_of(Plan.from_dict(short))[1]
