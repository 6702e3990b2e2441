"""The scheduler stage: plans the platform's (simulated) scheduler lands, the odds stated in the plan."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from costplan.cli import cli
from costplan.errors import ConfigError
from costplan.planner import PlanOptions, make_plan, scheduler, verify_plan
from costplan.planner.assemble import part_names
from costplan.planner.landing import run_cells
from costplan.planner.layout import Layout
from costplan.planner.pinning import MAX_NODES
from costplan.planner.pipeline import _load_compiled, affordable_runs
from costplan.plans import Plan
from tests.planner.conftest import catalogue, service

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from planner_instances import make_instance  # type: ignore[import-not-found]  # noqa: E402

ROWS = [
    ("Alpha", "small", 2, 4.0, 20.0),
    ("Alpha", "large", 8, 16.0, 70.0),
    ("Beta", "mem", 2, 16.0, 40.0),
    ("Beta", "cpu", 8, 8.0, 60.0),
]
# Found by a seeded search: the optimal packing lands under a deterministic best fit over all
# nodes, but Nomad's scheduler (a few random candidates per replica) lands it on ~2 runs of 3.
SHUFFLE_SENSITIVE = [
    service("s0", 5, 1500, 1024),
    service("s1", 2, 1000, 1024),
    service("s2", 2, 250, 2048),
    service("s3", 2, 250, 1024),
    service("s4", 8, 250, 1024),
]


def landing_of(plan: Plan, mode: str = "nomad", runs: int = 200) -> float:
    """Judged from the plan JSON alone: the pools, service pool lists and order it states."""
    view = scheduler.from_plan(Plan.from_dict(json.loads(plan.to_json())))
    found = scheduler.estimate(view.cluster, view.count_min, view.order, runs=runs, mode=mode, autoscale=False)
    return found.probability


def test_a_plan_that_lands_only_under_best_fit_is_caught_and_fixed_at_no_premium() -> None:
    packing = make_plan(catalogue(ROWS), SHUFFLE_SENSITIVE, PlanOptions(time_limit=5, landing=0, plan_peak=False))
    assert packing.placement is None and packing.status == "optimal"
    assert landing_of(packing, "best-fit", 1) == 1.0
    assert landing_of(packing) < 0.9  # caught: the deterministic check would have passed it

    plan = make_plan(catalogue(ROWS), SHUFFLE_SENSITIVE, PlanOptions(time_limit=5, plan_peak=False))
    p = plan.placement
    assert p is not None and p.model == "nomad" and p.runs == 200 and p.target == 0.99
    assert p.landing_probability >= 0.99 and p.landed_runs == round(p.landing_probability * 200)
    assert 0.9 < p.landing_lower_bound < p.landing_probability
    assert landing_of(plan) == p.landing_probability  # the same seeds, judged from the JSON alone
    # Fixed with costplan's own levers (here each service's pool list), not with more nodes.
    assert plan.monthly_cost == packing.monthly_cost == plan.lower_bound and p.premium == 0.0
    assert any(len(plan.pools_of(s.name)) < len(plan.pools) for s in plan.services)
    assert "so that it lands on >= 99% of runs" in plan.explanations.summary


def test_landing_zero_is_the_packing_alone() -> None:
    options = PlanOptions(time_limit=5, landing=0, plan_peak=False)
    off = make_plan(catalogue(ROWS), SHUFFLE_SENSITIVE, options)
    assert off.placement is None and off.assumptions["scheduler_stage"]["method"].startswith("off")
    # One pool per node type, every service on every pool, the plan's nodes the packing's.
    assert len({p.instance_type for p in off.pools}) == len(off.pools)
    assert all(off.pools_of(s.name) == tuple(p.name for p in off.pools) for s in off.services)
    on = make_plan(catalogue(ROWS), SHUFFLE_SENSITIVE, PlanOptions(time_limit=5, plan_peak=False))
    assert on.lower_bound == off.lower_bound and on.monthly_cost >= off.monthly_cost


def test_the_new_fields_survive_a_json_round_trip() -> None:
    plan = make_plan(catalogue(ROWS), SHUFFLE_SENSITIVE, PlanOptions(time_limit=5))
    again = Plan.from_dict(json.loads(plan.to_json()))
    assert again.placement == plan.placement
    assert again.service_pools == plan.service_pools and again.submission_order == plan.submission_order
    assert [s.name for s in again.ordered_services()] == list(plan.submission_order)
    verify_plan(again)


def test_verification_catches_an_edited_placement_block() -> None:
    from dataclasses import replace

    from costplan.errors import PlanVerificationError

    plan = make_plan(catalogue(ROWS), SHUFFLE_SENSITIVE, PlanOptions(time_limit=5, plan_peak=False))
    assert plan.placement is not None
    edited = replace(plan, placement=replace(plan.placement, premium=plan.placement.premium + 1))
    with pytest.raises(PlanVerificationError, match="premium"):
        verify_plan(edited)
    with pytest.raises(PlanVerificationError, match="not a pool of the plan"):
        verify_plan(replace(plan, service_pools={**plan.service_pools, "s0": ("cp-nowhere",)}))


@pytest.mark.parametrize("value", ["1.5", "-1", "nan", "inf"])
def test_bad_landing_values_are_a_usage_error(value: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["plan", "examples/services.yaml", f"--landing={value}"])
    assert result.exit_code == 2, result.output
    assert "--landing" in result.output and "probability between 0 and 1" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("bad", [{"landing": 1.5}, {"landing": -0.1}, {"landing": float("nan")}, {"landing_runs": 0}])
def test_bad_landing_options_in_the_library(bad: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="landing"):
        PlanOptions(**bad)  # type: ignore[arg-type]


def test_pools_cut_from_one_type_have_distinct_deterministic_names() -> None:
    names = {0: "cp-alpha-small", 1: "cp-alpha-small-p2", 2: "cp-beta-mem"}
    cut = part_names(names, [0, 0, 2, 0, 1])
    assert cut[0] == "cp-alpha-small" and cut[2] == "cp-beta-mem"
    assert len(set(cut.values())) == 5 and cut == part_names(names, [0, 0, 2, 0, 1])
    assert cut[1] not in names.values() and all(len(n) <= 63 for n in cut.values())


def test_the_time_limit_covers_the_whole_run() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from planner_instances import make_instance

    instance = make_instance("medium", 1)
    _load_compiled()  # a first compile after an install is outside the limit (a cache load is inside)
    began = time.monotonic()
    plan = make_plan(instance.catalogue, instance.services, PlanOptions(time_limit=5))
    seconds = time.monotonic() - began
    # ~5.5 s on a quiet machine; 6.1-6.3 s measured with 6 agents on 2 cores (load ~7). Before the
    # one deadline covered every stage, a 5 s limit here ended after 20-24 s.
    assert seconds < 7.0, seconds
    assert plan.placement is not None and plan.assumptions["solver"]["seconds"] <= seconds


def test_a_fresh_process_lands_the_plan_at_the_packing_cost() -> None:
    """The compiled walk loads on a process's first estimate (~0.5 s). When the stage timed that
    first estimate with the load in it, it took runs to cost ten times more, found no time left, and
    this plan fell back to one pool per service (2.5x the cost). Here the walk is loaded already, so
    only a fresh process shows it."""
    code = (
        "import sys; sys.path.insert(0, 'benchmarks');"
        "from planner_instances import make_instance;"
        "from costplan.planner import PlanOptions, make_plan;"
        "i = make_instance('small', 173);"
        "p = make_plan(i.catalogue, i.services, PlanOptions(time_limit=5, plan_peak=False));"
        "print(p.monthly_cost, p.lower_bound, p.placement.landed_runs, p.placement.runs)"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    cost, bound, landed, runs = done.stdout.split()
    assert cost == bound and landed == runs == "200"


def test_pinned_pool_lists_land_where_every_other_candidate_paid_a_premium() -> None:
    """Seeded instance small-173 (2 nodes, 27 replicas): one pool per type, pools by packed type and
    one pool per node all land on at most ~half of the runs, so the old stage added nodes. Pinned
    pool lists (each service on at most `limit` nodes, so Nomad scores all of them) land it on every
    run at the packing's cost."""
    instance = make_instance("small", 173)
    options = PlanOptions(time_limit=5, plan_peak=False)
    plan = make_plan(instance.catalogue, instance.services, options)
    p = plan.placement
    assert p is not None and p.landed_runs == p.runs == 200
    assert plan.monthly_cost == plan.lower_bound and p.premium == 0.0
    trail = plan.assumptions["scheduler_stage"]["candidates"]
    first = next(i for i, c in enumerate(trail) if c["landing_probability"] >= 0.99)
    assert trail[first]["candidate"] == "pinned" and trail[first]["nodes_added"] == 0
    assert first >= 3 and all(c["landing_probability"] < 0.6 for c in trail[:first])  # the old candidates
    # What the plan states lands on its own (judged from the JSON), and the stage is reproducible.
    assert landing_of(plan) == 1.0
    again = make_plan(instance.catalogue, instance.services, options)
    assert again.service_pools == plan.service_pools
    assert again.submission_order == plan.submission_order and again.nodes == plan.nodes


def test_runs_are_afforded_by_the_node_visits_of_the_candidates_the_stage_judges() -> None:
    """Up to MAX_NODES every service may walk every node; beyond it the stage judges pinned lists,
    so a run visits the nodes each service is packed on and about `limit` per replica."""
    small = Layout(np.zeros(10, dtype=np.int64), np.ones((3, 10), dtype=np.int64))
    assert run_cells(small, PlanOptions()) == 3 * 10
    n = MAX_NODES + 50
    counts = np.zeros((1000, n), dtype=np.int64)
    counts[np.arange(1000), np.arange(1000) % n] = 2  # each service packed on one node, two replicas
    big = Layout(np.zeros(n, dtype=np.int64), counts)
    assert run_cells(big, PlanOptions()) == 1000 + 2000 * scheduler.limit(n)
    assert run_cells(big, PlanOptions(max_pools=3)) == 1000 * n  # no pinned lists under a pool cap
    runs, _ = affordable_runs(run_cells(big, PlanOptions()), PlanOptions(time_limit=30))
    assert runs == 200 and affordable_runs(10_000 * 3_600, PlanOptions(time_limit=30))[0] < 10  # 10k x 3.6k


def test_the_plan_shows_the_estimates_first_landing_run_which_alone_places_the_same() -> None:
    """The plan's nodes come from one run scheduled alone (not from trying runs one by one): the
    estimate's per-run outcomes say which, and that run alone lands exactly where it said."""
    packing = make_plan(catalogue(ROWS), SHUFFLE_SENSITIVE, PlanOptions(time_limit=5, landing=0, plan_peak=False))
    view = scheduler.from_plan(packing)
    found = scheduler.estimate(view.cluster, view.count_min, view.order, runs=30, seed=4, autoscale=False)
    assert 0 < found.landed < 30 and found.run_lands.sum() == found.landed
    alone = [
        scheduler.schedule(view.cluster, view.count_min, view.order, rng=np.random.default_rng([4, r])).lands
        for r in range(30)
    ]
    assert alone == found.run_lands.tolist()
    assert found.first_run() == alone.index(True)


def test_the_search_leaves_the_stage_time_sized_by_the_input() -> None:
    """The stage's reserve is counted from the input (node visits and services), not the clock: a
    few milliseconds on a small plan, seconds at 10,000 services, none with the stage off."""
    from costplan.planner.pipeline import _stage_reserve, _Starts
    from costplan.planner.problem import Packing

    def reserve(n_services: int, n_nodes: int, landing: float = 0.99) -> float:
        specs = [service(f"s{i}", 2, 500, 512) for i in range(n_services)]
        nodes = Packing(np.zeros(n_nodes, dtype=np.int64), np.zeros((n_nodes, 1), dtype=np.int64))
        starts = _Starts({"ffd": nodes}, None)
        return _stage_reserve(specs, starts, PlanOptions(time_limit=30, landing=landing))

    assert reserve(10, 4) < 0.01
    assert reserve(1_000, 300) < reserve(3_000, 900) < reserve(10_000, 3_000)
    assert 3.0 < reserve(10_000, 3_000) < 15.0
    assert reserve(10_000, 3_000, landing=0) == 0.0
