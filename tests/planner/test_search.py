"""The search's building blocks: dual replica values, sequential value correction, the large path."""

from __future__ import annotations

import itertools
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from costplan.planner import CapacityModel, node_types
from costplan.planner.bounds import effective_capacity, lp_bound
from costplan.planner.problem import Problem, build_problem, dominated_types
from costplan.planner.search import solve
from costplan.planner.svc import improve, sequential
from tests.planner.conftest import catalogue, service

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from planner_instances import make_instance  # type: ignore[import-not-found]  # noqa: E402

ROWS = [
    ("Alpha", "c4", 4, 8.0, 120.0),  # 10522 MHz, 7271 MB
    ("Alpha", "m2", 2, 16.0, 110.0),  # 4936 MHz, 15463 MB
    ("Beta", "g2", 2, 8.0, 70.0),  # 4936 MHz, 7271 MB
]


def _problem(rows: list[tuple[Any, ...]], services: list[Any]) -> Problem:
    types, _ = node_types(catalogue(rows), CapacityModel())
    return build_problem(types, services, [s.count_min for s in services])


def _instance(size: str, seed: int) -> Problem:
    instance = make_instance(size, seed)
    types, _ = node_types(instance.catalogue, CapacityModel())
    problem = build_problem(types, instance.services, [s.count_min for s in instance.services])
    return problem.restrict(np.flatnonzero(~dominated_types(problem)))


def test_dual_values_price_no_node_above_its_price() -> None:
    """Every pattern that fits one node is worth at most the node's price (brute force)."""
    services = [
        service("a", 5, 3000, 512),
        service("b", 4, 500, 4096),
        service("c", 3, 1000, 1024, spread=True),
        service("d", 2, 250, 2048, providers=("Beta",)),
    ]
    problem = _problem(ROWS, services)
    bound = lp_bound(problem, effective_capacity(problem))
    assert bound.values is not None and bound.reduced is not None
    assert float(problem.demand @ bound.values) == pytest.approx(bound.units, rel=1e-9)
    assert (bound.reduced >= -1e-6).all()
    for t in range(problem.n_types):
        ranges = [range(int(k) + 1) for k in np.minimum(problem.kmax[:, t], problem.demand)]
        for counts in itertools.product(*ranges):
            a = np.asarray(counts)
            if a @ problem.cpu <= problem.cap_cpu[t] and a @ problem.mem <= problem.cap_mem[t]:
                assert a @ bound.values <= problem.price[t] + 1e-6


def test_sequential_pass_places_every_replica() -> None:
    problem = _instance("medium", 1)
    values = lp_bound(problem, effective_capacity(problem)).values
    assert values is not None
    packing = sequential(problem, values, deadline=time.monotonic() + 30)
    assert packing is not None and packing.is_valid(problem)


def test_sequential_pass_out_of_time_still_places_everything() -> None:
    """At the deadline the rest is packed greedily: a valid packing, never a partial one."""
    problem = _instance("medium", 2)
    values = lp_bound(problem, effective_capacity(problem)).values
    assert values is not None
    packing = sequential(problem, values, deadline=time.monotonic())
    assert packing is not None and packing.is_valid(problem)


def test_value_correction_stays_above_the_bound_and_within_the_types() -> None:
    problem = _instance("medium", 0)
    bound = lp_bound(problem, effective_capacity(problem))
    assert bound.values is not None
    cheapest_host = np.where(problem.kmax > 0, problem.price[None, :], np.iinfo(np.int64).max).argmin(axis=1)
    types = np.zeros(problem.n_types, dtype=bool)
    types[np.argsort(problem.price)[: problem.n_types // 2]] = True
    types[cheapest_host] = True
    result = improve(
        problem,
        bound.values,
        reduced=bound.reduced,
        deadline=time.monotonic() + 20,
        types=types,
        max_passes=3,
    )
    assert result.packing is not None and result.packing.is_valid(problem)
    assert result.passes == 3 and len(result.history) == 3
    assert result.packing.cost(problem) == min(result.history)
    assert result.packing.cost(problem) >= bound.units - 1e-6
    assert types[result.packing.types].all()


def _mid_instance(max_pools: int | None = None) -> Problem:
    """~2,000 replicas on 120 types: few enough nodes to test quickly, enough for the large path."""
    instance = make_instance("large", 3)
    rows = instance.catalogue.iloc[:120].reset_index(drop=True)
    names = set(rows["provider"].astype(str))
    services = [s if set(s.providers) <= names else replace(s, providers=()) for s in instance.services[:200]]
    types, _ = node_types(rows, CapacityModel())
    return build_problem(types, services, [s.count_min for s in services], max_pools=max_pools)


def test_large_path_keeps_the_time_limit_and_a_sound_bound() -> None:
    problem = _mid_instance()
    began = time.monotonic()
    result = solve(problem, time_limit=5.0)
    assert time.monotonic() - began < 5.0
    assert result.packing.is_valid(problem)
    assert result.cost_units == result.packing.cost(problem)
    assert result.bound_units <= result.cost_units
    assert result.stats.get("svc_passes", 0) >= 1
    assert result.gap <= 0.02


def test_large_path_keeps_the_pool_cap() -> None:
    problem = _mid_instance(max_pools=2)
    result = solve(problem, time_limit=3.0)
    assert result.packing.is_valid(problem) and result.packing.n_pools(problem) <= 2
    assert result.stats.get("svc_passes", 0) >= 1
    assert result.bound_units <= result.cost_units


def test_a_pass_cut_by_the_deadline_is_dropped_when_asked() -> None:
    """Value correction's passes run with starting plans in hand: one the deadline cuts is dropped
    rather than finished greedily past the deadline."""
    problem = _instance("medium", 2)
    values = lp_bound(problem, effective_capacity(problem)).values
    assert values is not None
    assert sequential(problem, values, deadline=time.monotonic(), finish_late=False) is None
    assert sequential(problem, values, deadline=time.monotonic() + 30, finish_late=False) is not None
