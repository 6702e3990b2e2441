"""The arc-flow model: VPSolver's instances reach their known optima, and it agrees with the
compact MILP on the benchmark's small instances."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

from costplan.planner import CapacityModel, arcflow, node_types
from costplan.planner.baselines import ffd_baseline
from costplan.planner.exact import repack, slot_limits
from costplan.planner.problem import build_problem, dominated_types
from costplan.planner.search import solve

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import vpsolver_format  # type: ignore[import-not-found]  # noqa: E402
from planner_instances import make_instance  # type: ignore[import-not-found]  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data" / "vpsolver"
KNOWN_OPTIMA = {"vsbpp.mvp": 1280, "example_vbp.vbp": 33}  # stated in VPSolver's examples (NOTICE)


@pytest.mark.parametrize("name", sorted(KNOWN_OPTIMA))
def test_vpsolver_instances_reach_their_known_optimum(name: str) -> None:
    problem = vpsolver_format.to_problem(vpsolver_format.read(DATA / name))
    began = time.monotonic()
    result = solve(problem, time_limit=20, starts=[(ffd_baseline(problem), "ffd")])
    assert result.cost_units == KNOWN_OPTIMA[name]
    assert result.optimal and result.bound_units == KNOWN_OPTIMA[name]
    assert result.packing.is_valid(problem)
    assert time.monotonic() - began < 15


def test_vsbpp_is_read_as_published() -> None:
    instance = vpsolver_format.read(DATA / "vsbpp.mvp")
    assert instance.capacities.ravel().tolist() == [100, 120, 150]
    assert instance.costs.tolist() == [100, 120, 150]
    assert len(instance.demand) == 23 and int(instance.demand.sum()) == 25


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3\n10 10 10\n1\n1 1 1 1\n", "3 dimensions"),
        ("1\n1\n10 5 2\n1\n1 1\n3\n", "limited count"),
        ("1\n1\n10 5 -1\n1\n2 1\n3\n4\n", "alternative sizes"),
        ("1\n1\n10", "ends early"),
        ("1 x", "not a VPSolver instance"),
    ],
)
def test_unsupported_instances_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse = vpsolver_format.parse_vbp if text.startswith("3") else vpsolver_format.parse_mvp
        vpsolver_format.to_problem(parse(text))


@pytest.mark.parametrize("seed", [0, 1, 4, 7])
def test_arcflow_optimum_matches_the_compact_milp(seed: int) -> None:
    """Two exact models, one answer (on the benchmark's small instances)."""
    instance = make_instance("small", seed)
    types, _ = node_types(instance.catalogue, CapacityModel())
    problem = build_problem(types, instance.services, [s.count_min for s in instance.services])
    problem = problem.restrict(np.flatnonzero(~dominated_types(problem)))
    graph = arcflow.build_graph(problem)
    assert graph is not None
    flow = arcflow.solve(problem, graph, time_limit=10)
    assert flow.status == "optimal" and flow.packing is not None and flow.packing.is_valid(problem)
    start = ffd_baseline(problem)
    assert start is not None
    limits = slot_limits(problem, problem.demand, start.cost(problem))
    compact = repack(problem, problem.demand, np.repeat(np.arange(problem.n_types), limits), time_limit=20)
    assert compact.status == "optimal"
    assert flow.cost_units == compact.cost_units == flow.bound_units


def test_every_path_of_the_graph_fits_one_node() -> None:
    """Compression never admits a pattern that overfills a node (all paths, enumerated)."""
    instance = make_instance("small", 1)
    types, _ = node_types(instance.catalogue, CapacityModel())
    problem = build_problem(types, instance.services, [s.count_min for s in instance.services])
    graph = arcflow.build_graph(problem)
    assert graph is not None
    out: dict[int, list[int]] = {}
    for a in range(len(graph.tail)):
        out.setdefault(int(graph.tail[a]), []).append(a)
    checked = 0
    for t in np.flatnonzero(graph.sources >= 0):
        stack = [(int(graph.sources[t]), np.zeros(problem.n_groups, dtype=np.int64))]
        while stack:
            v, pattern = stack.pop()
            if v == graph.sink[t]:
                assert pattern @ problem.cpu <= problem.cap_cpu[t] and pattern @ problem.mem <= problem.cap_mem[t]
                assert (pattern <= problem.kmax[:, t]).all()
                checked += 1
                continue
            for a in out[v]:
                nxt = pattern.copy()
                nxt[graph.group[a]] += graph.count[a]
                stack.append((int(graph.head[a]), nxt))
    assert checked > 10
