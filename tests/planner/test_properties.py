"""Property tests on small random instances: every plan verifies, is bounded and beats the baselines."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from costplan.errors import InfeasiblePlan
from costplan.planner import PlanOptions, make_plan, verify_plan
from costplan.plans import to_units
from tests.planner.conftest import catalogue, service

PROVIDERS = ("Alpha", "Beta")


@st.composite
def instances(draw: Any) -> tuple[Any, list[Any], PlanOptions]:
    n_types = draw(st.integers(1, 5))
    rows = []
    for i in range(n_types):
        vcpus = draw(st.sampled_from([1, 2, 4, 8]))
        gb = vcpus * draw(st.sampled_from([1.0, 2.0, 4.0, 8.0]))
        price = round(draw(st.floats(5, 60)) * vcpus + draw(st.floats(0, 4)) * gb, 4)
        rows.append((draw(st.sampled_from(PROVIDERS)), f"t{i}", vcpus, gb, price))
    services = []
    for j in range(draw(st.integers(1, 4))):
        count = draw(st.integers(0, 6))
        services.append(
            service(
                f"s{j}",
                count,
                draw(st.sampled_from([100, 250, 500, 1000, 2500])),
                draw(st.sampled_from([128, 256, 512, 1024, 3000])),
                count_max=count + draw(st.integers(0, 3)),
                spread=draw(st.booleans()),
                providers=draw(st.sampled_from([(), ("Alpha",)])),
                tags=draw(st.sampled_from([(), ("edge",)])),
            )
        )
    options = PlanOptions(
        time_limit=3,
        n_plus_one=draw(st.booleans()),
        max_pools=draw(st.sampled_from([None, None, 1, 2])),
    )
    return catalogue(rows), services, options


@given(instances())
def test_every_plan_verifies_and_is_bounded(instance: tuple[Any, list[Any], PlanOptions]) -> None:
    cat, services, options = instance
    try:
        plan = make_plan(cat, services, options)
    except InfeasiblePlan:
        return
    verify_plan(plan.to_dict())
    assert to_units(plan.lower_bound) <= to_units(plan.monthly_cost)
    # The search's packing is never dearer than a greedy one (priced as packings, as the baselines
    # are); the scheduler stage's premium comes on top of it and is stated.
    packing = plan.placement.packing_cost if plan.placement is not None else plan.monthly_cost
    for alt in plan.alternatives:
        if alt.kind.startswith("baseline") and alt.monthly_cost is not None:
            assert packing <= alt.monthly_cost
    if plan.status == "optimal":
        assert plan.lower_bound == plan.monthly_cost


@given(instances())
def test_bound_never_exceeds_a_longer_search(instance: tuple[Any, list[Any], PlanOptions]) -> None:
    """A bound is a bound: no plan, however found, costs less than any proven bound."""
    cat, services, options = instance
    try:
        quick = make_plan(cat, services, PlanOptions(time_limit=0.5, max_pools=options.max_pools, plan_peak=False))
        thorough = make_plan(cat, services, PlanOptions(time_limit=4, max_pools=options.max_pools, plan_peak=False))
    except InfeasiblePlan:
        return
    assert to_units(quick.lower_bound) <= to_units(thorough.monthly_cost)
    assert to_units(thorough.lower_bound) <= to_units(quick.monthly_cost)
