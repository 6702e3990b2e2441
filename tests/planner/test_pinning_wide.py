"""Wide services in the pinned replay: services on more nodes than the scheduler scores."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd

from costplan.planner import scheduler
from costplan.planner.capacity import CapacityModel, node_types
from costplan.planner.landing import _cluster, _Config, _grow, _Judge, _pinned, _trim
from costplan.planner.layout import Layout
from costplan.planner.options import PlanOptions
from costplan.planner.pinning import pin, pin_lists, replay, wide
from tests.planner.conftest import catalogue, service

CAP = [4000] * 20, [8192] * 20  # 20 identical nodes: the limit is 5


def test_a_wide_service_lands_exactly_when_its_nodes_have_the_slots() -> None:
    big = service("big", 30, 2000, 1024)  # 2 per node by CPU: 40 slots on 20 nodes
    done = replay(*CAP, [big], [list(range(20))], [0], wide=frozenset({0}))
    assert done.lands and sum(done.placed[0].values()) == 30
    short = replay(*CAP, [big], [list(range(12))], [0], wide=frozenset({0}))  # 24 slots
    assert short.missing == (6,)


def test_a_later_service_on_a_wide_service_nodes_is_a_risky_tie_unless_every_slot_is_taken() -> None:
    big, small = service("big", 30, 2000, 1024), service("small", 2, 500, 512)
    nodes = list(range(20))
    loose = replay(*CAP, [big, small], [nodes, [0, 1]], [0, 1], wide=frozenset({0}))
    assert loose.lands and loose.ties and loose.ties[0][0] == 0  # where the 10 free slots stay is random
    full = service("full", 40, 2000, 1024)  # 40 of 40 slots: one placement whatever the shuffle
    exact = replay(*CAP, [full, small], [nodes, [0, 1]], [0, 1], wide=frozenset({0}))
    assert not exact.ties and exact.missing == (0, 2)


def test_identical_wide_services_on_one_list_share_its_slots() -> None:
    one, two = service("one", 15, 2000, 1024), service("two", 25, 2000, 1024)
    nodes = list(range(20))
    done = replay(*CAP, [one, two], [nodes, nodes], [0, 1], wide=frozenset({0, 1}))
    assert done.lands and not done.ties
    over = replay(*CAP, [one, service("three", 26, 2000, 1024)], [nodes, nodes], [0, 1], wide=frozenset({0, 1}))
    assert over.missing == (0, 1)


def test_pinned_lists_with_a_wide_service_land_on_every_run_of_the_nomad_model() -> None:
    """20 nodes (limit 5); a 28-replica service spans 15 of them, sharing two with a pinned service
    that needs most of a node. Pinned first, that service leaves the wide one exactly its 28 slots;
    submitted after it, it finds its nodes taken on some runs."""
    types, _ = node_types(catalogue([("P", "n4", 4, 8, 100.0)]), CapacityModel())
    types = types.assign(cpu_mhz=4000, memory_mb=8192)  # capacity as the counts below assume
    specs = [service("wide", 28, 1500, 1024), service("a", 2, 2000, 2048), service("b", 3, 500, 1024)]
    counts = np.zeros((3, 20), dtype=np.int64)
    counts[0, :2], counts[0, 2:15] = 1, 2
    counts[1, :2] = 1
    counts[2, 15:18] = 1
    layout = Layout(np.zeros(20, dtype=np.int64), counts)
    assert wide(layout) == {0}
    pinned = pin_lists(types, specs, layout, wide={0})
    assert pinned.order[-1] == 0 and pinned.replay.lands and not pinned.replay.ties
    config = _pinned(types, pinned)
    cluster = _cluster(types, specs, config)
    demand = np.asarray([s.count_min for s in specs], dtype=np.int64)
    assert scheduler.estimate(cluster, demand, config.order, runs=50, seed=3, autoscale=False).landed == 50
    first = (0, *[s for s in config.order if s != 0])
    assert scheduler.estimate(cluster, demand, first, runs=50, seed=3, autoscale=False).landed < 50


def test_overflow_nodes_beyond_what_landing_needs_are_trimmed() -> None:
    """Ten 2000 MHz replicas need five 4000 MHz nodes: three planned plus six overflow land; trimming
    keeps two of the overflow nodes (fewer fail the screening)."""
    types, _ = node_types(catalogue([("P", "n4", 4, 8, 100.0)]), CapacityModel())
    types = types.assign(cpu_mhz=4000, memory_mb=8192)
    specs = [service("x", 10, 2000, 1024)]
    judge = _Judge(types, specs, PlanOptions(time_limit=30), deadline=float("inf"), names={0: "p-n4"})
    grown = _Config("grown", (0, 0), (0, 0, 0) + (1,) * 6, ((0, 1),), (0,), added=6, overflow=(1,))
    judged = judge.screen(grown)
    assert judge.meets(judged)
    trimmed = _trim(judge, judged)
    assert trimmed.config.node_pool.count(1) == 2 and trimmed.config.added == 2
    assert judge.meets(trimmed) and not judge.meets(judge.screen(replace(trimmed.config, node_pool=(0, 0, 0, 1))))


def test_trimming_takes_overflow_nodes_only_when_pool_names_reorder_the_pools() -> None:
    """The screening lists pools in name order; an overflow pool whose name sorts first must still be
    the one trimmed (the planned pool keeps its three nodes)."""
    types, _ = node_types(catalogue([("P", "n4", 4, 8, 100.0), ("P", "m4", 4, 8, 100.0)]), CapacityModel())
    types = types.assign(cpu_mhz=4000, memory_mb=8192)
    specs = [service("x", 10, 2000, 1024)]
    names = {0: "z-planned", 1: "a-overflow"}
    judge = _Judge(types, specs, PlanOptions(time_limit=30), deadline=float("inf"), names=names)
    grown = _Config("grown", (0, 1), (0, 0, 0) + (1,) * 6, ((0, 1),), (0,), added=6, overflow=(1,))
    trimmed = _trim(judge, judge.screen(grown))
    kept = trimmed.config
    planned = kept.pool_types.index(0)
    assert kept.node_pool.count(planned) == 3 and len(kept.node_pool) == 5 and kept.added == 2


def large_and_small() -> tuple[pd.DataFrame, int, int]:
    """A 4000 MHz type at 100 and a 2000 MHz type at 40 (the rows of each)."""
    rows = [("P", "n4", 4, 8, 100.0), ("P", "s2", 2, 4, 40.0)]
    types, _ = node_types(catalogue(rows), CapacityModel())
    large = types["instance_type"] == "n4"
    types = types.assign(cpu_mhz=np.where(large, 4000, 2000), memory_mb=np.where(large, 8192, 4096))
    return types, int(types.index[large][0]), int(types.index[~large][0])


def test_replicas_the_replay_leaves_unplaced_get_overflow_nodes_of_the_cheapest_type_per_covered_share() -> None:
    """A layout that promises three 2000 MHz replicas on a 4000 MHz node: the replay places two, and
    the third gets an overflow node; of the two types that fit it, the small one covers all that is
    unplaced for less."""
    types, big, small = large_and_small()
    specs = [service("x", 3, 2000, 1024)]
    layout = Layout(np.asarray([big]), np.asarray([[3]]))
    before = replay([4000], [8192], specs, [[0]], [0])
    assert before.missing == (1,)
    pinned = pin_lists(types, specs, layout, wide=set())
    assert pinned.replay.lands and pinned.extra == 1
    assert pinned.node_types == (big, small) and pinned.allowed[0] == (0, 1)


def test_pinning_falls_back_to_the_packed_lists_with_overflow_nodes_when_no_search_lands() -> None:
    """Two nodes promised four 2000 MHz replicas each (room for two): no pinned search with one extra
    node lands, so `pin` hands the packing's lists to `pin_lists`, whose overflow nodes take the rest
    (four small nodes: cheaper per covered share than two large ones)."""
    types, big, small = large_and_small()
    layout = Layout(np.asarray([big, big]), np.asarray([[4, 4]]))
    pinned = pin(types, [service("x", 8, 2000, 1024)], layout, seed=0, deadline=float("inf"))
    assert pinned is not None and pinned.replay.lands
    assert pinned.node_types == (big, big, small, small, small, small)


def test_trimming_drops_an_overflow_pool_the_target_does_not_need() -> None:
    """Five planned nodes hold all ten replicas; the growth's one-node overflow pool goes, pool and all."""
    types, _ = node_types(catalogue([("P", "n4", 4, 8, 100.0)]), CapacityModel())
    types = types.assign(cpu_mhz=4000, memory_mb=8192)
    specs = [service("x", 10, 2000, 1024)]
    judge = _Judge(types, specs, PlanOptions(time_limit=30), deadline=float("inf"), names={0: "p-n4"})
    grown = _Config("grown", (0, 0), (0,) * 5 + (1,), ((0, 1),), (0,), added=1, overflow=(1,))
    trimmed = _trim(judge, judge.screen(grown)).config
    assert trimmed.pool_types == (0,) and trimmed.node_pool == (0,) * 5 and trimmed.allowed == ((0,),)
    assert trimmed.added == 0 and trimmed.overflow == ()


def test_growth_gives_services_with_no_common_node_type_overflow_pools_of_their_own() -> None:
    """x may only use provider A, y only B: each short of a node, each gets an overflow pool of its
    own provider's type (one type for every failing service would not exist)."""
    rows = [("A", "a4", 4, 8, 100.0), ("B", "b4", 4, 8, 100.0)]
    types, _ = node_types(catalogue(rows), CapacityModel())
    types = types.assign(cpu_mhz=4000, memory_mb=8192)
    a = int(types.index[types["instance_type"] == "a4"][0])
    b = int(types.index[types["instance_type"] == "b4"][0])
    specs = [service("x", 3, 2000, 1024, providers=("A",)), service("y", 3, 2000, 1024, providers=("B",))]
    names = {a: "p-a4", b: "p-b4"}
    judge = _Judge(types, specs, PlanOptions(time_limit=30), deadline=float("inf"), names=names)
    start = judge.screen(_Config("start", (a, b), (0, 1), ((0,), (1,)), (0, 1)))
    assert not judge.meets(start)
    grown = _grow(judge, start)
    assert grown is not None and judge.meets(grown)
    config = grown.config
    extra = {config.pool_types[p]: p for p in config.overflow}
    assert set(extra) == {a, b}
    x_types = {config.pool_types[p] for p in config.allowed[0]}
    y_types = {config.pool_types[p] for p in config.allowed[1]}
    assert x_types == {a} and y_types == {b}


def test_the_pinning_search_gets_a_share_of_the_stage_time_and_the_growth_the_rest() -> None:
    types, _ = node_types(catalogue([("P", "n4", 4, 8, 100.0)]), CapacityModel())
    now = time.monotonic()
    judge = _Judge(types, [service("x", 1, 100, 100)], PlanOptions(), deadline=now + 10.0, names={0: "p"})
    assert now + 10.0 - 0.1 <= judge.until() <= now + 10.0  # nothing measured yet: no reserve
    assert now + 4.9 <= judge.until(0.5) <= now + 5.1
    late = _Judge(types, [service("x", 1, 100, 100)], PlanOptions(), deadline=now - 1.0, names={0: "p"})
    assert late.until(0.5) <= time.monotonic() and late.until() < now and not late.time_left()


def test_a_trimmed_candidate_that_fails_the_full_runs_is_tried_untrimmed_even_out_of_time() -> None:
    """Trimming uses the stage's time up to its reserve; the untrimmed candidate's full run then
    costs what the fallback's (one pool per service) would, so it is tried rather than given up."""
    from costplan.planner.landing import _confirm, _Judged, _per_service

    types, _ = node_types(catalogue([("P", "n4", 4, 8, 100.0)]), CapacityModel())
    specs = [service("a", 3, 1000, 1024), service("b", 4, 1500, 2048)]
    untrimmed = _per_service(types, specs)
    trimmed = replace(untrimmed, label="trimmed", node_pool=untrimmed.node_pool[:-1])  # a node short
    judge = _Judge(types, specs, PlanOptions(time_limit=30), deadline=time.monotonic() - 1.0, names={0: "p-n4"})
    assert not judge.time_left()
    screened = judge.screen(untrimmed).landing  # 40 runs: the full runs are still to come
    looser = _Judged(untrimmed, screened, judge.cost(untrimmed))
    candidate = _Judged(trimmed, screened, judge.cost(trimmed), looser=looser)
    kept = _confirm(judge, [candidate])
    assert kept is not None and kept.config.label == untrimmed.label and kept.landing.runs == 200
    assert [c["candidate"] for c in judge.trail[-2:]] == ["trimmed", untrimmed.label]


def test_one_measured_run_count_is_extrapolated_by_the_runs_nominal_cost() -> None:
    """With one run count measured, the runs' share of it is their nominal cost (node visits), the
    rest fixed: at 10,000 services a 40-run screen is mostly fixed cost, and taking half of it per
    run made a 200-run estimate look 2x dearer, which ended the growth rounds early."""
    types, _ = node_types(catalogue([("P", "n4", 4, 8, 100.0)]), CapacityModel())
    specs = [service("x", 1, 100, 100)]
    cheap = _Judge(types, specs, PlanOptions(), deadline=float("inf"), names={0: "p"}, per_run=0.002)
    cheap.timings.append((40, 1.0))
    assert abs(cheap.seconds(240) - 1.4) < 1e-9
    dear = _Judge(types, specs, PlanOptions(), deadline=float("inf"), names={0: "p"}, per_run=0.1)
    dear.timings.append((40, 1.0))
    assert abs(dear.seconds(240) - 6.0) < 1e-9  # at most all of the measured time is the runs'
