"""Same inputs, options and seed: the same plan (the search's work is limited by counts, not by the clock)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from costplan.planner import CapacityModel, PlanOptions, _solve, lns, make_plan, node_types
from costplan.planner.baselines import ffd_baseline
from costplan.planner.problem import build_problem
from costplan.planner.search import solve

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from planner_instances import make_instance  # type: ignore[import-not-found]  # noqa: E402


def _without_clock(plan: Any) -> str:
    data = plan.to_dict()
    data.pop("created_at")
    data["assumptions"]["solver"].pop("seconds")
    return json.dumps(data, sort_keys=True)


def test_two_runs_give_the_same_plan_json() -> None:
    instance = make_instance("small", 1)
    options = PlanOptions(time_limit=5, n_plus_one=True, seed=3)
    first = make_plan(instance.catalogue, instance.services, options)
    second = make_plan(instance.catalogue, instance.services, options)
    assert first.assumptions["solver"]["stats"]["time_limit_bound"] is False
    assert _without_clock(first) == _without_clock(second)


def test_large_neighbourhood_search_is_reproducible_when_the_work_limit_decides() -> None:
    """LNS on a medium instance runs until its work limit, with the clock far away (a ceiling
    only): two runs from the same packing and seed make the same moves."""
    instance = make_instance("medium", 1)
    types, _ = node_types(instance.catalogue, CapacityModel())
    problem = build_problem(types, instance.services, [s.count_min for s in instance.services])
    start = ffd_baseline(problem)
    assert start is not None
    runs = [
        lns.improve(
            problem,
            start,
            deadline=time.monotonic() + 300,
            stop_below=0.0,
            rng=np.random.default_rng(7),
            work_limit=_solve.work() + 2_000,
        )
        for _ in range(2)
    ]
    a, b = runs
    assert a.cost(problem) < start.cost(problem)  # the moves did something
    assert np.array_equal(a.types, b.types) and np.array_equal(a.counts, b.counts)


def test_the_search_is_reproducible_when_the_work_limit_decides() -> None:
    """A medium instance that the search does not prove: value correction (its knapsacks limited by
    node counts) and LNS run until their work limits, with the clock far away (a ceiling only)."""
    instance = make_instance("medium", 1)
    types, _ = node_types(instance.catalogue, CapacityModel())
    problem = build_problem(types, instance.services, [s.count_min for s in instance.services])
    runs = [
        solve(problem, time_limit=300, effort=0.3, seed=7, starts=[(ffd_baseline(problem), "ffd")]) for _ in range(2)
    ]
    a, b = runs
    assert not a.optimal and a.stats["time_limit_bound"] is False and a.stats["svc_passes"] > 0
    assert (a.cost_units, a.bound_units, a.method, a.stats) == (b.cost_units, b.bound_units, b.method, b.stats)
    assert np.array_equal(a.packing.types, b.packing.types) and np.array_equal(a.packing.counts, b.packing.counts)
