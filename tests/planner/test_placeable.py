"""Placeability: plans the platform's own greedy scheduler can realise, and nodes that say what it does."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import given

from costplan.errors import InfeasiblePlan
from costplan.models import ServiceSpec
from costplan.planner import PlanOptions, make_plan, verify_plan
from costplan.planner.scheduler import from_plan, lost_node_failures, schedule, submission_indexes
from costplan.plans import Node, Plan, relative_gap, submission_order, to_units
from tests.planner.conftest import catalogue, service
from tests.planner.test_properties import instances

# One node type: 2 vCPU / 4 GB, 4936 MHz and 3175 MB usable. Three nodes hold the demand (12,500 MHz)
# when packed by hand, but the scheduler spreads `batch` over all three nodes first, after which
# the third `encode` replica (2000 MHz) fits nowhere: every 3-node plan fails, whatever the packing.
ONE_TYPE = [("Alpha", "m", 2, 4.0, 36.0)]
TIGHT = [
    service("batch", 3, 1500, 1024),
    service("cron", 1, 500, 256),
    service("report", 1, 1500, 1024),
    service("encode", 3, 2000, 256),
]


def simulated(plan: Plan, *, peak: bool = False) -> tuple[Any, Any, dict[str, int]]:
    """The plan's nodes as counts, and what the scheduler model's best-fit mode does on the same
    (empty) nodes, in the order the planner simulated them."""
    view = from_plan(plan, peak=peak, distinct_hosts=True)
    order = submission_indexes(plan.services, view.cluster)
    outcome = schedule(view.cluster, view.counts.sum(axis=1), order, mode="best-fit")
    return view.counts, outcome.placed, outcome.failed


def test_an_unplaceable_optimum_is_repaired_and_the_bound_kept() -> None:
    raw = make_plan(catalogue(ONE_TYPE), TIGHT, PlanOptions(time_limit=5, ensure_placement=False))
    assert raw.status == "optimal" and raw.monthly_cost == 108.0 and len(raw.nodes) == 3
    assert raw.placement_check is not None and not raw.placement_check.succeeds
    assert raw.placement_check.failed_services == {"encode": 1}

    plan = make_plan(catalogue(ONE_TYPE), TIGHT, PlanOptions(time_limit=5))
    assert plan.placement_check is not None and plan.placement_check.succeeds
    assert plan.monthly_cost == 144.0 and len(plan.nodes) == 4
    assert plan.lower_bound == raw.lower_bound == 108.0  # the bound is the packing's, still valid
    assert plan.status == "feasible" and plan.gap == relative_gap(144.0, 108.0)
    repair = plan.assumptions["placeability"]["baseline"]
    assert repair["added"] == {"Alpha m": 1} and repair["succeeds"] is True
    assert "Placeability: +1 × Alpha m, +36.00 EUR/month" in plan.explanations.summary
    verify_plan(plan.to_dict())
    counts, placed, failed = simulated(plan)
    assert failed == {} and (counts == placed).all()  # the nodes are what the scheduler does


def test_a_placeable_optimum_is_unchanged() -> None:
    rows = [("Alpha", "small", 1, 2.0, 40.0), ("Alpha", "big", 8, 32.0, 300.0)]
    plan = make_plan(catalogue(rows), [service("web", 3, 100, 128, spread=True)], PlanOptions(time_limit=5))
    assert plan.status == "optimal" and plan.monthly_cost == 120.0
    assert plan.assumptions["placeability"]["baseline"]["added"] == {}
    assert plan.assumptions["placeability"]["summary"] == ""


def test_peak_nodes_are_placeable_too() -> None:
    services = [replace(s, count_max=s.count_min + 2) for s in TIGHT]
    plan = make_plan(catalogue(ONE_TYPE), services, PlanOptions(time_limit=5))
    assert plan.peak is not None and plan.assumptions["placeability"]["peak"]["succeeds"] is True
    counts, placed, failed = simulated(plan, peak=True)
    assert failed == {} and (counts == placed).all()
    assert all(p.count_max >= sum(n.pool == p.name for n in plan.peak.nodes) for p in plan.pools)


def test_baselines_are_priced_placeable_and_never_beat_the_plan() -> None:
    rows = [*ONE_TYPE, ("Alpha", "s", 1, 2.0, 20.0)]
    plan = make_plan(catalogue(rows), TIGHT, PlanOptions(time_limit=5))
    baselines = [a for a in plan.alternatives if a.kind.startswith("baseline") or a.kind == "single_type"]
    assert baselines and all("made placeable" in a.note for a in baselines if a.feasible)
    assert all(a.monthly_cost is None or a.monthly_cost >= plan.monthly_cost for a in baselines)


def test_n_plus_one_holds_on_the_placement_the_scheduler_makes() -> None:
    rows = [("Alpha", "g2", 2, 8.0, 50.0), ("Alpha", "g4", 4, 16.0, 95.0)]
    services = [service("api", 5, 900, 1500, spread=True), service("worker", 6, 700, 900)]
    plan = make_plan(catalogue(rows), services, PlanOptions(time_limit=5, n_plus_one=True))
    view = from_plan(plan, distinct_hosts=True)
    assert lost_node_failures(view.cluster, view.counts, submission_indexes(plan.services, view.cluster)) == []
    counts, placed, failed = simulated(plan)
    assert failed == {} and (placed == counts).all()


@given(instances())
def test_every_repaired_plan_is_placed_as_its_nodes_say(instance: tuple[Any, list[Any], PlanOptions]) -> None:
    cat, services, options = instance
    try:
        plan = make_plan(cat, services, options)
    except InfeasiblePlan:
        return
    assert plan.placement_check is not None and plan.placement_check.succeeds
    counts, placed, failed = simulated(plan)
    assert failed == {} and (counts == placed).all()
    assert to_units(plan.lower_bound) <= to_units(plan.monthly_cost)
    for alt in plan.alternatives:
        if alt.kind.startswith("baseline") and alt.monthly_cost is not None:
            assert plan.monthly_cost <= alt.monthly_cost


def test_submission_order_is_most_constrained_then_largest_then_name() -> None:
    services = [
        ServiceSpec("small", 1, 1, 100, 100),
        ServiceSpec("big", 1, 1, 2000, 2000),
        ServiceSpec("also-big", 1, 1, 2000, 2000),
        ServiceSpec("spread", 1, 1, 50, 50, spread=True),
        ServiceSpec("pinned", 1, 1, 10, 10, providers=("Azure",)),
    ]
    nodes = [Node("a", 4000, 4000), Node("b", 8000, 2000)]
    assert [s.name for s in submission_order(services, nodes)] == ["pinned", "spread", "also-big", "big", "small"]


def test_submission_order_is_the_order_the_simulation_places_in() -> None:
    # Two services competing for one node: whichever is submitted first gets it.
    rows = [("Alpha", "one", 1, 2.0, 10.0)]
    services = [service("b-late", 1, 1500, 600), service("a-first", 1, 1500, 600)]
    plan = make_plan(catalogue(rows), services, PlanOptions(time_limit=5, ensure_placement=False))
    view = from_plan(plan)
    one = replace(view.cluster, node_pool=view.cluster.node_pool[:1])
    outcome = schedule(one, np.asarray([1, 1]), view.order, mode="best-fit")
    first = submission_order(plan.services, plan.nodes)[0].name
    assert first == "a-first" and outcome.failed == {"b-late": 1}
    assert outcome.placed[[s.name for s in plan.services].index(first), 0] == 1


def test_excluding_the_only_provider_of_a_service_says_so() -> None:
    rows = [("Alpha", "a", 2, 8.0, 50.0), ("Beta", "b", 2, 8.0, 40.0)]
    services = [service("db", 1, 100, 100, providers=("Alpha",)), service("web", 1, 100, 100)]
    with pytest.raises(InfeasiblePlan, match="service 'db' may only run on Alpha, which the options exclude"):
        make_plan(catalogue(rows), services, PlanOptions(time_limit=3, exclude_providers=("alpha",)))
    with pytest.raises(InfeasiblePlan, match="may only run on Alpha, which the options do not allow"):
        make_plan(catalogue(rows), services, PlanOptions(time_limit=3, providers=("Beta",)))
    with pytest.raises(InfeasiblePlan, match="may only run on .*no candidate node type is from there"):
        make_plan(catalogue(rows), [service("x", 1, 100, 100, providers=("Gamma",))], PlanOptions(time_limit=3))
