"""Large-neighbourhood search: remove a few nodes, re-pack their replicas exactly, keep it if cheaper.

Measured on instances of this shape (docs/planner.md section 3), this is what closes most of the
gap left by constructive packing. One move:

1. pick 2-6 nodes (by idle cost, at random, or nodes of one type);
2. their replicas are re-packed by the compact MILP (`exact.repack`) on new nodes of a few
   candidate types, and into the free room of a few kept nodes (open bins, cost 0);
3. the move is kept only when the new nodes cost strictly less than the removed ones.
"""

from __future__ import annotations

import time

import numpy as np

from costplan.planner._solve import work
from costplan.planner.exact import OpenBins, repack, slot_limits
from costplan.planner.greedy import fractional_cost
from costplan.planner.problem import IntArray, Packing, Problem

MOVE_NODES = 200  # branch-and-bound nodes per re-packing MILP (a work limit: reproducible)
MOVE_CEILING = 5.0  # seconds: only a ceiling, the node limit normally stops a move first (HiGHS's root alone
# took 2-3 s on a few medium moves: a 2 s ceiling cut them, and the plan depended on the machine's speed)
CANDIDATE_TYPES = 6
OPEN_BINS = 4


def improve(
    problem: Problem,
    packing: Packing,
    *,
    deadline: float,
    stop_below: float,
    rng: np.random.Generator,
    max_moves: int | None = None,
    work_limit: int | None = None,
) -> Packing:
    """Run moves until `work_limit` (solver work, `_solve.work`), `max_moves`, or cost <= `stop_below`
    (a target from the bound); the deadline is only a ceiling."""
    best = packing.drop_empty()
    moves = 0
    failures = 0
    while time.monotonic() < deadline and best.cost(problem) > stop_below and best.n_nodes >= 1:
        if (max_moves is not None and moves >= max_moves) or (work_limit is not None and work() >= work_limit):
            break
        moves += 1
        size = int(rng.integers(2, 7)) if failures < 50 else int(rng.integers(4, 9))
        chosen = _neighbourhood(problem, best, size, rng)
        trial = _move(problem, best, chosen, rng, deadline)
        if trial is not None and trial.cost(problem) < best.cost(problem):
            best = trial
            failures = 0
        else:
            failures += 1
    return best


def _neighbourhood(problem: Problem, packing: Packing, size: int, rng: np.random.Generator) -> IntArray:
    """Nodes to remove: weighted by idle cost, uniformly, or all of one type plus neighbours."""
    n = packing.n_nodes
    size = min(size, n)
    used_cpu, used_mem = packing.used(problem)
    fill = np.maximum(used_cpu / problem.cap_cpu[packing.types], used_mem / problem.cap_mem[packing.types])
    idle = problem.price[packing.types] * (1.0 - fill) + 1.0
    kind = rng.random()
    if kind < 0.5:
        return rng.choice(n, size=size, replace=False, p=idle / idle.sum())
    if kind < 0.8:
        return rng.choice(n, size=size, replace=False)
    # Nodes that share a group with a random node (its replicas could be consolidated).
    seed_node = int(rng.integers(n))
    shared = (packing.counts[:, packing.counts[seed_node] > 0] > 0).sum(axis=1)
    order = np.lexsort((rng.random(n), -shared))
    return order[:size]


def _move(
    problem: Problem, packing: Packing, chosen: IntArray, rng: np.random.Generator, deadline: float
) -> Packing | None:
    keep = np.setdiff1d(np.arange(packing.n_nodes), chosen)
    demand = packing.counts[chosen].sum(axis=0)
    removed_cost = int(problem.price[packing.types[chosen]].sum())

    # Open bins: kept nodes with the most room (relative), cost nothing to use.
    kept = Packing(packing.types[keep], packing.counts[keep])
    free_cpu, free_mem = kept.free(problem)
    room_share = np.minimum(free_cpu / problem.cap_cpu[kept.types], free_mem / problem.cap_mem[kept.types])
    open_idx = np.argsort(-room_share, kind="stable")[:OPEN_BINS] if kept.n_nodes else np.zeros(0, np.int64)
    open_idx = open_idx[room_share[open_idx] > 0]
    room = problem.kmax[:, kept.types[open_idx]].T - kept.counts[open_idx]
    bins = OpenBins(free_cpu[open_idx], free_mem[open_idx], np.maximum(room, 0))

    # Candidate types: those removed, plus the cheapest per capacity for these replicas.
    allowed = (problem.kmax[demand > 0] > 0).any(axis=0)
    score = np.where(allowed, fractional_cost(problem, demand), np.inf)
    extra = np.argsort(score, kind="stable")[:CANDIDATE_TYPES]
    candidates = np.union1d(packing.types[chosen], extra[np.isfinite(score[extra])])
    pools_left, counted_new = None, None
    if problem.max_pools is not None:
        free = problem.free_mask()
        in_kept = np.zeros(problem.n_types, dtype=bool)
        in_kept[kept.types] = True
        counted_new = ~free & ~in_kept
        pools_left = problem.max_pools - int((in_kept & ~free).sum())
    limits = np.minimum(slot_limits(problem, demand, removed_cost - 1), len(chosen))
    slot_types = np.repeat(candidates, limits[candidates])
    if len(slot_types) == 0:
        return None
    budget = min(MOVE_CEILING, deadline - time.monotonic())
    result = repack(
        problem,
        demand,
        slot_types,
        open_bins=bins,
        max_cost_units=removed_cost - 1,
        pools_left=pools_left,
        counted_new=counted_new,
        time_limit=budget,
        node_limit=MOVE_NODES,
        seed=int(rng.integers(1 << 30)),
    )
    if result.nodes is None or result.into_open is None or result.cost_units >= removed_cost:
        return None
    counts = kept.counts.copy()
    counts[open_idx] += result.into_open
    new = Packing(kept.types, counts).append(result.nodes.types, result.nodes.counts).drop_empty()
    return new if new.is_valid(problem) else None
