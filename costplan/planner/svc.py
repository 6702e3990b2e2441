"""Sequential value correction (SVC): node-by-node packing with exact knapsacks, repeated with
corrected replica values. The large-instance workhorse.

Every replica has a *value* in money units (at first: the aggregate LP's dual prices, with a
small premium for big replicas). One *sequential* pass builds the plan a node pattern at a time:

1. for each node type, the most valuable pattern that fits one node (a two-dimensional bounded
   knapsack: `knapsack.solve`, a compiled branch and bound limited by a work count) among the
   replicas left;
2. the pattern with the highest value per unit of price is bought as many times as the
   replicas left allow (patterns repeat: replicas of one group are identical);
3. until every replica is placed.

Patterns are re-solved lazily: the best pattern of a type stays the best while every replica
it uses is still left (the choice only shrinks), and a stale pattern's value bounds the new one
from above, so only the types that can win are re-solved.

The first nodes bought are nearly waste-free; the waste collects in the last ones, on replicas
that were left without good partners. *Value correction* (Belov and Scheithauer's SVC for
cutting stock) raises the value of each group by the waste of the nodes it ended up on, so the
next pass packs those replicas earlier, while their partners are still there. The best pass is
kept. Measured on the ~5,000-replica benchmark instances (2-core machine, ~2-3.5 s per pass with
the compiled knapsack, 5 s with HiGHS's): the best of ~15-30 s of passes is 0.5-1.5 % above the LP
bound, where constructive packing along the bound's node counts is 10-15 % above it and LNS from
there gained ~0.4 % in 30 s. Its work is counted by knapsack cells (`KNAPSACK_CELLS_PER_WORK`), so
the passes end on a work limit, not the clock: the same inputs give the same plan.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from costplan.planner._solve import add_work, work
from costplan.planner.greedy import class_types, place
from costplan.planner.problem import BoolArray, IntArray, Packing, Problem

FloatArray = npt.NDArray[np.float64]

KNAPSACK_CELLS = 4_000_000  # work limit of one knapsack (`knapsack.solve`): ~20,000 nodes at the ~67 groups of
# the large instances (a near-optimal pattern is enough: 2,000 nodes gave more passes and worse plans)...
KNAPSACK_NODE_CELLS = 60_000  # ... and at most this many cells per group (~20,000 nodes at any size: medium
# knapsacks, ~12 groups, searched deeper gave no better plans, and packings the pinning search landed at +2-3 %)
KNAPSACK_CELLS_PER_WORK = 15_000  # knapsack cells per unit of solver work (`_solve.work`: ~70 us, measured on large)
BIG_PREMIUM = 0.5  # first pass: value x (1 + premium x its share of the cheapest efficient node)
CORRECTION = 0.5  # weight of the newest pass in the corrected values
WASTE_POWER = 1.0  # how strongly a node's waste raises its replicas' values
MAX_WASTE_FACTOR = 3.0  # a node's price / value, capped (guards near-zero values)
_MULTIPLIERS = np.linspace(0.0, 1.2, 13)  # Lagrangian grid for the pattern value bounds


@dataclass
class Result:
    """The best packing found, and how many passes it took."""

    packing: Packing | None
    passes: int
    history: list[int]  # cost of each pass (money units)


def improve(
    problem: Problem,
    values: FloatArray,
    *,
    deadline: float,
    reduced: FloatArray | None = None,
    types: BoolArray | None = None,
    max_passes: int | None = None,
    stop_below: float = -math.inf,
    work_limit: int | None = None,
) -> Result:
    """Sequential passes with value correction until the deadline; the cheapest packing found.

    `values[g]` is what one replica of group g is worth and `reduced[t]` what a node of type t
    costs beyond the value of its capacity (LP duals: no node is worth more than its price).
    `types` limits the node types used (all by default). Stops early at cost <= `stop_below`, and
    before a pass that would not fit in `work_limit` (solver work, `_solve.work`); the deadline is
    only a ceiling (a pass it cuts is dropped: None when it cuts the first).
    """
    base = _floor_values(problem, values)
    usable = np.ones(problem.n_types, dtype=bool) if types is None else np.asarray(types, dtype=bool)
    current = base * (1.0 + BIG_PREMIUM * base / _typical_node(problem, base, usable, reduced))
    best: Packing | None = None
    history: list[int] = []
    took, seconds = 0, 0.0
    limit = work_limit if work_limit is not None else math.inf
    while time.monotonic() < deadline and (max_passes is None or len(history) < max_passes):
        late = deadline - time.monotonic() < 0.8 * seconds  # the ceiling: a pass that would not finish
        if best is not None and (best.cost(problem) <= stop_below or work() + 0.8 * took > limit or late):
            break  # good enough, or another pass would not fit (its greedy rest is never better)
        started, clock = work(), time.monotonic()
        packing = sequential(
            problem,
            current,
            deadline=deadline,
            types=usable,
            work_limit=limit,
            finish_late=False,  # the caller has its starting plans: a pass past the deadline is dropped
        )
        took, seconds = work() - started, time.monotonic() - clock
        if packing is None:
            break
        cost = packing.cost(problem)
        history.append(cost)
        if best is None or cost < best.cost(problem):
            best = packing
        current = corrected(problem, base, current, packing)
    return Result(best, len(history), history)


def corrected(problem: Problem, base: FloatArray, current: FloatArray, packing: Packing) -> FloatArray:
    """New values: each group's base value times the mean waste factor (price / value) of the
    nodes its replicas went to, blended with the current values."""
    worth = packing.counts @ base
    factor = np.clip(problem.price[packing.types] / np.maximum(worth, 1e-9), 1.0, MAX_WASTE_FACTOR)
    weighted = (packing.counts * (factor[:, None] ** WASTE_POWER)).sum(axis=0)
    placed = np.maximum(packing.counts.sum(axis=0), 1)
    estimate = base * weighted / placed
    new: FloatArray = (1.0 - CORRECTION) * current + CORRECTION * estimate
    return new


def sequential(
    problem: Problem,
    values: FloatArray,
    *,
    deadline: float,
    types: BoolArray | None = None,
    work_limit: float = math.inf,
    finish_late: bool = True,
) -> Packing | None:
    """One pass: buy the best pattern (value per price) as often as the replicas left allow,
    until all are placed. If the work limit (or the deadline) comes first, the rest is packed
    greedily; with `finish_late` False a pass the deadline cuts returns None instead (the greedy rest
    took ~4 s at 10,000 services, past the deadline, for a plan no cheaper than the starting plans)."""
    from costplan.planner.knapsack import solve as knapsack  # numba loads only where value correction runs

    left = problem.demand.copy()
    usable = np.ones(problem.n_types, dtype=bool) if types is None else types
    bounds = _pattern_bounds(problem, values) / np.maximum(problem.price, 1)
    # Heap of (-value per price, type, tiebreak, pattern or None): a None or stale pattern's key
    # is an upper bound on what the type can do now.
    heap: list[tuple[float, int, int, IntArray | None]] = [
        (-float(bounds[t]), int(t), 0, None) for t in np.flatnonzero(usable & (bounds > 0))
    ]
    heapq.heapify(heap)
    tick = 0
    node_types: list[IntArray] = []
    node_counts: list[IntArray] = []
    while left.any():
        chosen = None
        while heap and time.monotonic() < deadline and work() < work_limit:
            key, t, _, pattern = heapq.heappop(heap)
            if pattern is not None and (pattern <= left).all():
                chosen = (key, t, pattern)
                break
            pattern = _knapsack(problem, values, t, left, knapsack)
            if pattern is not None:
                tick += 1
                heapq.heappush(heap, (-float(values @ pattern) / max(int(problem.price[t]), 1), t, tick, pattern))
        if chosen is None:
            if not finish_late and time.monotonic() >= deadline:
                return None
            break  # out of time (or of patterns): the rest goes greedily
        key, t, pattern = chosen
        used = pattern > 0
        times = int((left[used] // pattern[used]).min())
        node_types.append(np.full(times, t, dtype=np.int64))
        node_counts.append(np.repeat(pattern[None, :], times, axis=0))
        left -= times * pattern
        tick += 1
        heapq.heappush(heap, (key, t, tick, pattern))
    packing = Packing(
        np.concatenate(node_types) if node_types else np.zeros(0, dtype=np.int64),
        np.vstack(node_counts) if node_counts else np.zeros((0, problem.n_groups), dtype=np.int64),
    )
    if left.any():
        new_type = class_types(problem)
        packing, unplaced = place(problem, packing, left, new_type, best_fit=True)
        if unplaced.any():
            return None
    return packing


def _knapsack(
    problem: Problem, values: FloatArray, t: int, left: IntArray, solve: Callable[..., tuple[IntArray, int]]
) -> IntArray | None:
    """The most valuable pattern of type t from the replicas left (None: nothing fits), by `solve`
    (`knapsack.solve`, looked up once per pass)."""
    groups = np.flatnonzero((problem.kmax[:, t] > 0) & (left > 0))
    if len(groups) == 0:
        return None
    counts, cells = solve(
        values[groups].astype(np.float64),
        problem.cpu[groups].astype(np.int64),
        problem.mem[groups].astype(np.int64),
        np.minimum(problem.kmax[groups, t], left[groups]).astype(np.int64),
        int(problem.cap_cpu[t]),
        int(problem.cap_mem[t]),
        min(KNAPSACK_CELLS, KNAPSACK_NODE_CELLS * len(groups)),
    )
    add_work(1 + cells // KNAPSACK_CELLS_PER_WORK)
    pattern = np.zeros(problem.n_groups, dtype=np.int64)
    pattern[groups] = counts
    return pattern if pattern.any() else None


def _pattern_bounds(problem: Problem, values: FloatArray) -> FloatArray:
    """Per type, an upper bound on any pattern's value (Lagrangian relaxation of its two
    capacities, best over a grid of multipliers scaled to the type's price)."""
    upper = np.minimum(problem.kmax, problem.demand[:, None]).astype(np.float64)
    share_cpu = problem.cpu[:, None] / problem.cap_cpu[None, :]
    share_mem = problem.mem[:, None] / problem.cap_mem[None, :]
    price = problem.price.astype(np.float64)
    best = np.full(problem.n_types, math.inf)
    for level_cpu in _MULTIPLIERS:
        cpu_part = values[:, None] - level_cpu * price[None, :] * share_cpu
        for level_mem in _MULTIPLIERS:
            gain = np.maximum(0.0, cpu_part - level_mem * price[None, :] * share_mem)
            best = np.minimum(best, (level_cpu + level_mem) * price + (upper * gain).sum(axis=0))
    return best


def _floor_values(problem: Problem, values: FloatArray) -> FloatArray:
    """Values with a small positive floor (a replica the duals price at zero still has to go somewhere)."""
    share = np.maximum(
        problem.cpu / max(int(problem.cap_cpu.max()), 1), problem.mem / max(int(problem.cap_mem.max()), 1)
    )
    floor = 1e-3 * float(problem.price.min()) * np.maximum(share, 1e-6)
    out: FloatArray = np.maximum(np.nan_to_num(values, nan=0.0), floor)
    return out


def _typical_node(problem: Problem, values: FloatArray, usable: BoolArray, reduced: FloatArray | None) -> FloatArray:
    """Per group, the price of the cheapest efficient type (zero reduced cost) that holds one of
    its replicas, or of the cheapest usable one when no efficient type does."""
    hosts = (problem.kmax > 0) & usable[None, :]
    price = problem.price.astype(np.float64)
    cheapest = np.where(hosts, price[None, :], np.inf).min(axis=1)
    if reduced is not None:
        efficient = hosts & (reduced <= 1e-6 * price + 1e-9)[None, :]
        cheapest = np.where(efficient.any(axis=1), np.where(efficient, price[None, :], np.inf).min(axis=1), cheapest)
    out: FloatArray = np.maximum(np.where(np.isfinite(cheapest), cheapest, 1.0), values)
    return out
