"""The pool cap holds for the whole plan: N+1 spares and adopted start plans count the peak's pools."""

from __future__ import annotations

import pytest

from costplan.planner import PlanOptions, make_plan, verify_plan
from tests.planner.conftest import catalogue, service

# Found by the property test: the baseline uses t3; N+1 made a greedy start on t1 cheaper (a third
# pool next to the peak's t3), and the peak's spare could open yet another pool.
ROWS = [
    ("Alpha", "t0", 4, 8.0, 124.1958),
    ("Alpha", "t1", 8, 64.0, 512.0845),
    ("Alpha", "t2", 4, 4.0, 79.7952),
    ("Alpha", "t3", 8, 8.0, 303.7231),
    ("Alpha", "t4", 8, 64.0, 328.6349),
]
SERVICES = [service("s0", 0, 1000, 256, count_max=1, spread=True), service("s1", 6, 2500, 3000, count_max=9)]


@pytest.mark.parametrize("max_pools", [1, 2])
@pytest.mark.parametrize("landing", [0.0, 0.99])
def test_n_plus_one_keeps_max_pools(max_pools: int, landing: float) -> None:
    options = PlanOptions(time_limit=2, n_plus_one=True, max_pools=max_pools, landing=landing)
    plan = make_plan(catalogue(ROWS), SERVICES, options)
    assert len(plan.pools) <= max_pools
    verify_plan(plan.to_dict())
