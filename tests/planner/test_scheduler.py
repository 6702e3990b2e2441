"""The scheduler model against Nomad's own test cases, a literal per-node port, and hand-computed cases.

Nomad tests replayed are from hashicorp/nomad at commit aa026cc99cfb74a77e519a1c1f0c78ba1b452705
(the commit `scheduler.SOURCE` names); each test says which one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from costplan.models import ServiceSpec
from costplan.planner import scheduler
from costplan.planner.scheduler import Cluster, Pool, make_cluster
from tests.planner.conftest import service

NOMAD = "hashicorp/nomad@aa026cc99cfb74a77e519a1c1f0c78ba1b452705"


def one_pool_cluster(
    services: Sequence[ServiceSpec], caps: Sequence[tuple[int, int]], *, room: int = 0, price: int = 0
) -> Cluster:
    """A pool per distinct capacity, one node per entry of `caps`; every service may use every pool."""
    kinds = sorted(set(caps), key=caps.index)
    pools = [Pool(f"p{i}", c, m, price_units=price, room=room) for i, (c, m) in enumerate(kinds)]
    return make_cluster(services, pools, [kinds.index(c) for c in caps])


# -- nomad/structs/funcs_test.go ---------------------------------------------------------------


def test_score_fit_binpack_values() -> None:
    """funcs_test.go TestScoreFitBinPack (NOMAD): node 4096 MHz / 8192 MB with 2048 / 4096 reserved."""
    usable = (4096 - 2048, 8192 - 4096)
    assert scheduler.binpack_score(*usable, 2048, 4096) == 18.0  # almost filled node, just enough hole
    assert scheduler.binpack_score(*usable, 0, 0) == 0.0  # unutilized node
    assert scheduler.binpack_score(*usable, 1024, 2048) == pytest.approx(13.675, abs=0.001)  # mid-case


# -- scheduler/feasible/rank_test.go -----------------------------------------------------------


def test_binpack_no_existing_alloc() -> None:
    """rank_test.go TestBinPackIterator_NoExistingAlloc (NOMAD): capacity after the node's reservation;
    perfect fit scores 1.0, the overloaded node is passed over, the 50 % fit scores in [0.50, 0.60]."""
    web = service("web", 1, 1024, 1024)
    cluster = one_pool_cluster(
        [web], [(2048 - 1024, 2048 - 1024), (1024 - 512, 1024 - 512), (4096 - 1024, 4096 - 1024)]
    )
    scores = scheduler.score_nodes(cluster, 0)
    assert scores[0] == 1.0
    assert scores[1] == -np.inf
    assert 0.50 <= scores[2] <= 0.60
    placed = scheduler.schedule(cluster, [1], [0], mode="best-fit").placed
    assert placed[0].tolist() == [1, 0, 0]


def test_binpack_no_existing_alloc_mixed_reserve() -> None:
    """rank_test.go TestBinPackIterator_NoExistingAlloc_MixedReserve (NOMAD): a node with reserved
    resources scores as a smaller node: no-reserved (1100) > reserved (2000-800) > reserved2 (2000-500)."""
    web = service("web", 1, 1000, 1000)
    cluster = one_pool_cluster([web], [(1100, 1100), (1200, 1200), (1500, 1500), (900, 900)])
    scores = scheduler.score_nodes(cluster, 0)
    assert scores[0] > scores[1] > scores[2] > -np.inf
    assert scores[3] == -np.inf  # overloaded


def test_job_anti_affinity_penalty_is_averaged_in() -> None:
    """rank_test.go TestJobAntiAffinity_PlannedAlloc and TestScoreNormalizationIterator (NOMAD): a node
    with 2 allocations of the job (count 4) gets the penalty -(2+1)/4 = -0.75; the final score is the
    mean of the appended scores (here binpack and the penalty); a node without the job gets no penalty."""
    foo = service("foo", 4, 500, 512)
    cluster = one_pool_cluster([foo], [(4000, 4096), (4000, 4096)])
    present = np.asarray([[2, 0]])
    scores = scheduler.score_nodes(cluster, 0, present=present, desired=4)
    binpack_0 = scheduler.binpack_score(4000, 4096, 1500, 1536) / 18
    binpack_1 = scheduler.binpack_score(4000, 4096, 500, 512) / 18
    assert scores[0] == (binpack_0 + -0.75) / 2
    assert scores[1] == binpack_1


def test_anti_affinity_is_soft_a_full_node_with_the_job_can_win() -> None:
    """The penalty is averaged, not a filter: with count 10, a node already holding one replica that the
    next one fills exactly (binpack 1.0, penalty -0.2: mean 0.4) beats an empty node (about 0.15)."""
    svc = service("svc", 10, 1000, 1024)
    cluster = one_pool_cluster([svc], [(2000, 2048), (8000, 8192)])
    scores = scheduler.score_nodes(cluster, 0, present=np.asarray([[1, 0]]), desired=10)
    assert scores[0] == pytest.approx(0.4)
    assert scores[0] > scores[1]


# -- scheduler/feasible/select_test.go ---------------------------------------------------------


@pytest.mark.parametrize(
    ("desc", "scores", "expected"),
    [
        ("Skips one low scoring node", [-1, 2, 3], [1, 2]),
        ("Skips maxSkip scoring nodes", [-1, -2, 3, 4], [2, 3]),
        ("maxSkip limit reached", [-1, -6, -3, -4], [2, 3]),
        ("draw both from skipped nodes", [-1, -6], [0, 1]),
        ("one node above threshold, one skipped node", [-1, 5], [1, 0]),
        ("low scoring nodes interspersed", [-1, 5, -2, 2], [1, 3]),
        ("only one node, score below threshold", [-1], [0]),
        ("maxSkip is more than available nodes", [-2, 1], [1, 0]),
    ],
)
def test_limit_iterator_score_threshold(desc: str, scores: list[float], expected: list[int]) -> None:
    """select_test.go TestLimitIterator_ScoreThreshold (NOMAD): every case is built with
    NewLimitIterator(ctx, static, 1, 0, 2) then SetLimit(2): threshold 0, maxSkip 2, limit 2."""
    out, _ = scheduler.limit_options(scores, 0, 2, max_skip=2, threshold=0.0)
    assert out == expected, desc


def test_limit_iterator_offset_persists() -> None:
    """select_test.go TestLimitIterator (NOMAD): limit 2 over [1, 2, 3] returns nodes 0 and 1; after a
    Reset the static iterator goes on where it stopped: nodes 2 then 0."""
    out, offset = scheduler.limit_options([1, 2, 3], 0, 2)
    assert (out, offset) == ([0, 1], 2)
    out, offset = scheduler.limit_options([1, 2, 3], offset, 2)
    assert (out, offset) == ([2, 0], 1)


def test_max_score_iterator_keeps_the_first_strict_maximum() -> None:
    """select_test.go TestMaxScoreIterator (NOMAD): the highest of [1, 2, 3]; ties go to the first."""
    assert scheduler.nomad_select([1, 2, 3], 0, 3) == (2, 0)
    assert scheduler.nomad_select([0.5, 0.7, 0.7], 0, 3)[0] == 1


def test_skipped_nodes_are_used_only_when_the_walk_runs_out() -> None:
    """stack.go maxSkip = 3 and skipScoreThreshold = 0 (NOMAD): the first three options scoring <= 0
    are skipped while the walk has more; with limit 2, [-0.1, 0, -0.2, 0.3, 0.1] scores nodes 3 and 4."""
    assert scheduler.limit_options([-0.1, 0.0, -0.2, 0.3, 0.1], 0, 2)[0] == [3, 4]
    # Only non-positive options: the walk runs out and the skipped ones are returned after all.
    assert scheduler.nomad_select([-0.3, -0.1, -0.2], 0, 2)[0] in (0, 1, 2)
    assert scheduler.nomad_select([None, -0.1, None], 0, 2) == (1, 0)


# -- scheduler/feasible/feasible_test.go -------------------------------------------------------


@pytest.mark.parametrize("offset", [0, 1, 2])
def test_static_iterator_visits_every_node_once_from_any_offset(offset: int) -> None:
    """feasible_test.go TestStaticIterator_Reset (NOMAD): after Reset, whatever the offset, a walk
    returns every node exactly once; infeasible nodes are passed over and do not count."""
    out, _ = scheduler.limit_options([1.0, 1.0, 1.0], offset, 10)
    assert sorted(out) == [0, 1, 2]
    assert out[0] == offset
    assert scheduler.limit_options([None, 1.0, None, 1.0], offset, 10)[0] == sorted(
        [1, 3], key=lambda i: (i < offset, i)
    )


# -- the model's own rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"), [(0, 2), (1, 2), (2, 2), (4, 2), (5, 3), (16, 4), (17, 5), (100, 7), (400, 9)]
)
def test_limit_is_max_2_ceil_log2_n(n: int, expected: int) -> None:
    """stack.go GenericStack.SetNodes (NOMAD): limit = max(2, ceil(log2 N)); 16 -> 4, 100 -> 7, 400 -> 9."""
    assert scheduler.limit(n) == expected


def test_limit_counts_every_ready_node_so_few_eligible_nodes_are_all_scored() -> None:
    """N is every ready node: a service restricted to 3 of 16 nodes scores all 3 (limit 4) and always
    takes the fullest; among 3 nodes alone (limit 2) it often does not see it."""
    big = service("big", 1, 1000, 1000)
    pools = [Pool("mine", 4000, 4000), Pool("other", 4000, 4000)]
    busy = service("busy", 1, 2500, 2500)
    specs = [big, busy]

    def picks(n_other: int) -> set[int]:
        cluster = make_cluster(specs, pools, [0, 0, 0] + [1] * n_other, [[0], [0]])
        present = np.zeros((2, cluster.n_nodes), dtype=np.int64)
        present[1, 2] = 1  # node 2 is the fullest of the three
        seen = set()
        for seed in range(40):
            out = scheduler.schedule(cluster, [1, 0], [0], rng=np.random.default_rng(seed), present=present)
            seen.add(int(np.flatnonzero(out.placed[0])[0]))
        return seen

    assert picks(13) == {2}
    assert picks(0) != {2}


def test_offset_persists_across_the_replicas_of_one_evaluation() -> None:
    """feasible.go StaticIterator (NOMAD): the offset is kept between the replicas of an evaluation.
    Four equal empty nodes, limit 2: replica 1 scores walk[0], walk[1] and takes walk[0]; replica 2
    scores walk[2], walk[3] (not walk[0], walk[1] again) and takes walk[2]."""
    svc = service("svc", 2, 100, 100)
    cluster = one_pool_cluster([svc], [(4000, 4000)] * 4)
    for seed in range(10):
        walk = scheduler.Shuffles([np.random.default_rng(seed)]).walks(4)[0]
        out = scheduler.schedule(cluster, [2], [0], rng=np.random.default_rng(seed))
        assert sorted(np.flatnonzero(out.placed[0]).tolist()) == sorted([int(walk[0]), int(walk[2])])


def test_a_failing_replica_stops_its_service_and_the_next_service_is_still_placed() -> None:
    """generic_sched.go computePlacements (NOMAD): once a replica of a task group fails, its remaining
    replicas are not attempted (all reported missing); the next job has its own evaluation."""
    big = service("big", 4, 2000, 1000)
    small = service("small", 2, 500, 500)
    cluster = one_pool_cluster([big, small], [(2500, 4000), (2500, 4000)])
    for mode, rng in (("best-fit", None), ("nomad", np.random.default_rng(1))):
        out = scheduler.schedule(cluster, [4, 2], [0, 1], mode=mode, rng=rng)
        assert out.failed == {"big": 2}
        assert out.placed.sum(axis=1).tolist() == [2, 2]
        assert not out.lands


def test_seeded_runs_are_reproducible_and_depend_on_the_seed() -> None:
    cluster, demand, order = fragmenting()
    a = scheduler.estimate(cluster, demand, order, runs=60, seed=5)
    b = scheduler.estimate(cluster, demand, order, runs=60, seed=5)
    assert (a.landed, a.extra_nodes.tolist(), a.spread_kept) == (b.landed, b.extra_nodes.tolist(), b.spread_kept)
    others = {scheduler.estimate(cluster, demand, order, runs=60, seed=s).landed for s in range(6)}
    assert len(others) > 1
    one = scheduler.schedule(cluster, demand, order, rng=np.random.default_rng([5, 7]))
    again = scheduler.schedule(cluster, demand, order, rng=np.random.default_rng([5, 7]))
    assert np.array_equal(one.placed, again.placed)


def test_estimate_run_r_is_schedule_with_generator_seed_r() -> None:
    """Run r of `estimate` is `schedule(rng=default_rng([seed, r]))` (the batched runs agree with a
    single run), so a run's outcome does not depend on how many runs there are."""
    cluster, demand, order = fragmenting()
    landing = scheduler.estimate(cluster, demand, order, runs=40, seed=3, autoscale=False)
    lands = [scheduler.schedule(cluster, demand, order, rng=np.random.default_rng([3, r])).lands for r in range(40)]
    assert landing.landed == sum(lands)
    assert scheduler.estimate(cluster, demand, order, runs=20, seed=3).landed == sum(lands[:20])


def fragmenting() -> tuple[Cluster, list[int], list[int]]:
    """Four 4000/4000 nodes; four half-node services one replica each, then `full` (two whole nodes).
    Best fit pairs the halves (fullest node first) and lands; Nomad scores 2 random nodes per replica,
    often puts a half on an empty node, and then `full` finds only one empty node."""
    halves = [service(f"half-{i}", 1, 2000, 2000) for i in range(4)]
    full = service("full", 2, 4000, 4000, spread=True)
    cluster = one_pool_cluster([*halves, full], [(4000, 4000)] * 4, room=4, price=100_000)
    return cluster, [1, 1, 1, 1, 2], [0, 1, 2, 3, 4]


def test_lands_under_best_fit_but_often_not_under_nomad() -> None:
    cluster, demand, order = fragmenting()
    assert scheduler.schedule(cluster, demand, order, mode="best-fit").lands
    deterministic = scheduler.estimate(cluster, demand, order, runs=200, mode="best-fit")
    assert (deterministic.landed, deterministic.probability, deterministic.extra_nodes_expected) == (200, 1.0, 0.0)
    nomad = scheduler.estimate(cluster, demand, order, runs=200, seed=0)
    assert nomad.probability < 0.8
    assert nomad.lower_bound < nomad.probability
    assert nomad.failures == {"full": 200 - nomad.landed}
    # Autoscaling grows the pool by the empty nodes `full` still needs: 1 or 2 per failing run.
    assert set(nomad.extra_nodes.tolist()) <= {0, 1, 2} and nomad.extra_nodes.sum() > 0
    assert nomad.stuck == 0
    assert np.array_equal(nomad.extra_cost_units, nomad.extra_nodes * 100_000)
    assert nomad.spread_kept == {"full": 1.0}


def test_autoscale_extra_nodes_hand_computed() -> None:
    """Two 2000 MHz / 2048 MB nodes hold 4 replicas of 1000/1024; the 5th and 6th fail. The pool list
    is [small, large]: `small`'s node cannot host a replica, so `large` (room 1, 7.5/month) grows by one
    node and the re-evaluation places both there: 1 extra node, 75,000 units, in every run."""
    svc = service("svc", 6, 1000, 1024)
    pools = [Pool("base", 2000, 2048), Pool("small", 500, 512, room=5), Pool("large", 4000, 4096, 75_000, room=1)]
    cluster = make_cluster([svc], pools, [0, 0], [[0, 1, 2]])
    landing = scheduler.estimate(cluster, [6], [0], runs=30, seed=1)
    assert landing.landed == 0 and landing.stuck == 0
    assert landing.extra_nodes.tolist() == [1] * 30
    assert landing.extra_cost_units.tolist() == [75_000] * 30
    assert (landing.extra_nodes_expected, landing.extra_nodes_p95, landing.extra_cost_expected) == (1.0, 1, 7.5)
    # With 9 replicas the grown node takes 4, one is still missing and no pool can grow: stuck.
    stuck = scheduler.estimate(cluster, [9], [0], runs=10, seed=1)
    assert stuck.stuck == 10 and stuck.extra_nodes.tolist() == [1] * 10


def test_autoscale_retries_a_blocked_service_on_nodes_grown_for_an_earlier_one() -> None:
    """`a` and `b` both fail on the small base node; the node grown for `a` has room for `b` too, so
    `b` lands on it without another node (new capacity unblocks it): one extra node, not two."""
    a, b = service("a", 1, 1000, 1000), service("b", 1, 1000, 1000)
    pools = [Pool("base", 500, 500), Pool("grow", 4000, 4000, 10, room=3)]
    cluster = make_cluster([a, b], pools, [0], [[0, 1], [0, 1]])
    landing = scheduler.estimate(cluster, [1, 1], [0, 1], runs=5)
    assert landing.failures == {"a": 5, "b": 5}
    assert landing.extra_nodes.tolist() == [1] * 5 and landing.stuck == 0


def test_spread_is_measured_not_enforced() -> None:
    """No distinct-hosts rule: a spread service whose replicas must share (one node) still lands, and
    the estimate says it kept one replica per node in no run."""
    svc = service("svc", 3, 100, 100, spread=True)
    cluster = one_pool_cluster([svc], [(4000, 4000)])
    landing = scheduler.estimate(cluster, [3], [0], runs=20)
    assert landing.landed == 20 and landing.spread_kept == {"svc": 0.0}


def test_compiled_walk_equals_the_literal_port() -> None:
    """The fast path (all runs at once, the first limit + 3 nodes with room from windows of the walk)
    places exactly as a per-node port of the iterators (`nomad_select` at every replica, as `schedule`
    does for one run), over random clusters small and large."""
    for seed in range(24):
        cluster, demand, order = random_cluster(seed, n_nodes=[3, 12, 90][seed % 3])
        placed, missing = literal_schedule(cluster, demand, order, np.random.default_rng(seed))
        single = scheduler.schedule(cluster, demand, order, rng=np.random.default_rng(seed))
        assert np.array_equal(single.placed, placed) and np.array_equal(single.missing, missing), seed
        fast_placed, fast_missing = batched_schedule(cluster, demand, order, seed)
        assert np.array_equal(fast_placed, placed) and np.array_equal(fast_missing, missing), seed


def batched_schedule(cluster: Cluster, demand: Sequence[int], order: Sequence[int], seed: int) -> tuple[Any, Any]:
    """Run 0 of a batch of two runs (both seeded alike), as `estimate` evaluates them."""
    gens = scheduler.Shuffles([np.random.default_rng(seed), np.random.default_rng(seed)])
    state = scheduler._State(
        np.repeat(cluster.cap_cpu[None, :], 2, axis=0).copy(), np.repeat(cluster.cap_mem[None, :], 2, axis=0).copy()
    )
    placed = np.zeros((cluster.n_services, cluster.n_nodes), dtype=np.int64)
    missing = np.zeros(cluster.n_services, dtype=np.int64)
    ready = np.ones(cluster.n_nodes, dtype=bool)
    for s in order:
        if not demand[s]:
            continue
        nodes = cluster.nodes_of(s)
        here = np.zeros((2, len(nodes)), dtype=np.int64)
        lost = scheduler._evaluate(cluster, s, nodes, np.full(2, demand[s]), demand[s], state, here, len(ready), gens)
        assert lost[0] == lost[1] and np.array_equal(here[0], here[1])
        placed[s, nodes], missing[s] = here[0], lost[0]
    return placed, missing


def random_cluster(seed: int, n_nodes: int) -> tuple[Cluster, list[int], list[int]]:
    rng = np.random.default_rng(seed)
    n_pools = int(rng.integers(1, 4))
    pools = [
        Pool(f"p{i}", int(rng.choice([1000, 2000, 4000])), int(rng.choice([1024, 2048, 8192])), room=1)
        for i in range(n_pools)
    ]
    specs = [
        service(f"s{j}", int(rng.integers(1, 3 * max(1, n_nodes // 3))), int(rng.choice([100, 500, 1000])), 256)
        for j in range(int(rng.integers(2, 9)))
    ]
    allowed = [
        sorted(rng.choice(n_pools, size=int(rng.integers(1, n_pools + 1)), replace=False).tolist()) for _ in specs
    ]
    cluster = make_cluster(specs, pools, rng.integers(0, n_pools, n_nodes), allowed)
    return cluster, [s.count_min for s in specs], [int(s) for s in rng.permutation(len(specs))]


def literal_schedule(
    cluster: Cluster, demand: Sequence[int], order: Sequence[int], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Node by node, replica by replica: score every node of the walk, then `nomad_select`."""
    free_cpu, free_mem = cluster.cap_cpu.copy(), cluster.cap_mem.copy()
    placed = np.zeros((cluster.n_services, cluster.n_nodes), dtype=np.int64)
    missing = np.zeros(cluster.n_services, dtype=np.int64)
    limit = scheduler.limit(cluster.n_nodes)
    shuffles = scheduler.Shuffles([rng])
    for s in order:
        eligible = np.flatnonzero(cluster.eligible_nodes(s))
        if not demand[s] or not len(eligible):
            missing[s] = demand[s]
            continue
        walk, offset = eligible[shuffles.walks(len(eligible))[0]], 0
        c, m = int(cluster.cpu[s]), int(cluster.mem[s])
        for k in range(demand[s]):
            scores: list[float | None] = []
            for n in walk:
                if free_cpu[n] < c or free_mem[n] < m:
                    scores.append(None)
                    continue
                used = (int(cluster.cap_cpu[n] - free_cpu[n]) + c, int(cluster.cap_mem[n] - free_mem[n]) + m)
                fit = scheduler.binpack_score(int(cluster.cap_cpu[n]), int(cluster.cap_mem[n]), *used) / 18
                held = int(placed[s, n])
                scores.append((fit - (held + 1) / demand[s]) / 2 if held else fit)
            pick, offset = scheduler.nomad_select(scores, offset, limit)
            if pick is None:
                missing[s] = demand[s] - k
                break
            n = walk[pick]
            free_cpu[n] -= c
            free_mem[n] -= m
            placed[s, n] += 1
    return placed, missing


def test_clopper_pearson_lower_bound() -> None:
    assert scheduler.clopper_pearson_lower(0, 200) == 0.0
    assert scheduler.clopper_pearson_lower(10, 10) == pytest.approx(0.05**0.1)  # 0.7411
    assert scheduler.clopper_pearson_lower(200, 200) == pytest.approx(0.985133, abs=1e-6)
    # Textbook exact two-sided 95 % intervals (alpha 0.025 per side): 9/10 -> [0.5550, 0.9975],
    # 5/10 -> [0.1871, 0.8129].
    assert scheduler.clopper_pearson_lower(9, 10, alpha=0.025) == pytest.approx(0.5550, abs=1e-4)
    assert scheduler.clopper_pearson_lower(5, 10, alpha=0.025) == pytest.approx(0.1871, abs=1e-4)
    # One-sided 95 %: P(X >= k | n, bound) = 0.05 exactly.
    for k, n in ((9, 10), (190, 200), (97, 100)):
        p = scheduler.clopper_pearson_lower(k, n)
        tail = sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))
        assert tail == pytest.approx(0.05, abs=1e-9) and p < k / n
    assert scheduler.clopper_pearson_lower(9, 10) == pytest.approx(0.6058, abs=1e-4)


def test_modes_and_arguments_are_checked() -> None:
    cluster, demand, order = fragmenting()
    with pytest.raises(ValueError, match="mode"):
        scheduler.schedule(cluster, demand, order, mode="spread")
    with pytest.raises(ValueError, match="rng"):
        scheduler.schedule(cluster, demand, order)
    with pytest.raises(ValueError, match="runs"):
        scheduler.estimate(cluster, demand, order, runs=0)


def test_lost_node_failures_re_places_on_the_others() -> None:
    """N+1, deterministically: losing node 0 (one 3000 MHz replica) is absorbed by node 1's room;
    losing node 1 is not, once node 0 has no room left."""
    svc = service("svc", 2, 3000, 1000)
    cluster = one_pool_cluster([svc], [(4000, 4000), (7000, 4000)])
    assert scheduler.lost_node_failures(cluster, np.asarray([[1, 1]])) == [1]
    assert scheduler.lost_node_failures(cluster, np.asarray([[0, 2]])) == [1]
    roomy = one_pool_cluster([svc], [(7000, 4000), (7000, 4000)])
    assert scheduler.lost_node_failures(roomy, np.asarray([[1, 1]])) == []


def test_distinct_hosts_when_asked_for_keeps_spread_replicas_apart() -> None:
    """feasible.go DistinctHostsIterator (NOMAD): with `distinct_hosts`, a node that holds a replica
    of the job is infeasible for the next one; so 3 replicas need 3 nodes. The planner's own
    deterministic checks switch it on for spread services; the platform's model leaves it off."""
    svc = service("svc", 3, 100, 100, spread=True)
    pools = [Pool("p", 4000, 4000)]
    strict = make_cluster([svc], pools, [0, 0, 0], distinct_hosts=True)
    assert scheduler.schedule(strict, [3], [0], mode="best-fit").placed.tolist() == [[1, 1, 1]]
    assert scheduler.estimate(strict, [3], [0], runs=20).spread_kept == {"svc": 1.0}
    short = make_cluster([svc], pools, [0, 0], distinct_hosts=True)
    assert scheduler.schedule(short, [3], [0], mode="best-fit").failed == {"svc": 1}
    assert scheduler.schedule(make_cluster([svc], pools, [0, 0]), [3], [0], mode="best-fit").lands


def test_the_pinned_replay_is_the_nomad_model_when_every_list_is_within_the_limit() -> None:
    """Each service on at most limit nodes: the exact replay (ties found, none risky here) is what
    every seeded Nomad run places, replica for replica."""
    from costplan.models import ServiceSpec
    from costplan.planner.pinning import replay

    cap_cpu, cap_mem = [4000, 6000, 3000, 8000], [4096, 8192, 2048, 6144]  # 4 nodes: limit 2
    specs = [
        ServiceSpec(name=f"s{i}", count_min=k, count_max=k, cpu_mhz=c, memory_mb=m)
        for i, (k, c, m) in enumerate([(3, 700, 900), (4, 500, 700), (2, 1200, 512), (5, 300, 400)])
    ]
    allowed = [[0, 1], [1, 3], [2, 3], [0, 2]]
    order = [2, 0, 3, 1]
    done = replay(cap_cpu, cap_mem, specs, allowed, order)
    assert done.lands and not done.ties
    capacities = enumerate(zip(cap_cpu, cap_mem, strict=True))
    pools = [scheduler.Pool(name=str(n), cpu_mhz=c, memory_mb=m) for n, (c, m) in capacities]
    cluster = scheduler.make_cluster(specs, pools, [0, 1, 2, 3], allowed)
    expected = np.zeros((4, 4), dtype=np.int64)
    for s, where in enumerate(done.placed):
        for n, k in where.items():
            expected[s, n] = k
    for r in range(20):
        out = scheduler.schedule(cluster, [s.count_min for s in specs], order, rng=np.random.default_rng([0, r]))
        assert out.lands and (out.placed == expected).all()


def test_the_estimate_records_the_most_replicas_one_run_left_unplaced() -> None:
    """What the growth rounds size their nodes by: per service, the worst run's unplaced replicas."""
    big, small = service("big", 3, 2000, 100), service("small", 1, 100, 100)
    cluster = one_pool_cluster([big, small], [(4500, 4000)])  # two of big, then room for small
    landing = scheduler.estimate(cluster, np.asarray([3, 1]), [0, 1], runs=20, seed=0, autoscale=False)
    assert landing.landed == 0 and landing.unplaced == {"big": 1} and landing.failures == {"big": 20}
