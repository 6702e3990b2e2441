"""The two-dimensional bounded knapsack of value correction's patterns, by a compiled branch and bound.

One node type, the replicas left: how many of each group to put on one node for the most value,
within its CPU and its memory. Value correction solves thousands of these per plan. HiGHS needed a
time limit per knapsack (its root took 7-12 ms on these, 0.2 s on some, and no count limit stops
the root), which made the plan depend on the machine's speed. This search is limited by a count
instead, cells (a group visited by a fill or a bound: the work grows with the groups, ~12 at 300
replicas, ~2,000 at 10,000 services), so the same inputs give the same patterns on any machine.

The two rows are combined into one surrogate row with the weights whose Lagrangian bound is least
(a grid search): it orders the groups and gives the main bound. The incumbent is the best of a
greedy fill in three density orders (surrogate, CPU, memory), of each group placed first and the
rest filled, and of drop-and-refill moves (measured: depth-first from one greedy fill missed the
optimum by up to 70 % on real knapsacks). Then depth-first, most replicas first at each depth; a
subtree is pruned when the least of three fractional bounds cannot beat the incumbent: the linear
relaxation of the surrogate row, of the CPU row alone and of the memory row alone (each a Dantzig
bound: greedy in its own density order, every group also capped by what fits in the room left).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

EPS = 1e-9
_GRID = np.linspace(0.0, 2.0, 17)  # the surrogate multipliers tried, times the groups' best density


@njit(cache=True)
def _fit(k: int, cpu: int, mem: int, room_cpu: int, room_mem: int) -> int:
    if cpu > 0:
        k = min(k, room_cpu // cpu)
    if mem > 0:
        k = min(k, room_mem // mem)
    return max(k, 0)


@njit(cache=True)
def _relaxed(
    order: IntArray,
    depth: int,
    value: FloatArray,
    weight: FloatArray,
    cpu: IntArray,
    mem: IntArray,
    upper: IntArray,
    room: float,
    room_cpu: int,
    room_mem: int,
) -> float:
    """Dantzig bound over the groups from `depth` on (groups are indexed by depth): greedy in `order`
    (by value / weight)."""
    total = 0.0
    for j in order:
        if j < depth:
            continue
        k = _fit(upper[j], cpu[j], mem[j], room_cpu, room_mem)
        if k == 0:
            continue
        if weight[j] <= 0.0:
            total += value[j] * k
            continue
        if weight[j] * k <= room:
            total += value[j] * k
            room -= weight[j] * k
        else:
            total += value[j] * room / weight[j]
            break
    return total


@njit(cache=True)
def _refill(
    counts: IntArray,
    order: IntArray,
    skip: int,
    v: FloatArray,
    c: IntArray,
    m: IntArray,
    u: IntArray,
    cap_cpu: int,
    cap_mem: int,
) -> float:
    """Fill `counts` greedily in `order` (group `skip` left as it is) with as many as fit; its value."""
    room_cpu, room_mem, total = cap_cpu, cap_mem, 0.0
    for j in range(len(v)):
        room_cpu -= counts[j] * c[j]
        room_mem -= counts[j] * m[j]
        total += counts[j] * v[j]
    for j in order:
        if j == skip:
            continue
        k = _fit(u[j] - counts[j], c[j], m[j], room_cpu, room_mem)
        counts[j] += k
        room_cpu -= k * c[j]
        room_mem -= k * m[j]
        total += k * v[j]
    return total


@njit(cache=True)
def _multipliers(value: FloatArray, w_cpu: FloatArray, w_mem: FloatArray, upper: IntArray) -> tuple[float, float]:
    """Weights (a, b) of the CPU and memory rows whose Lagrangian bound a + b + sum of each group's
    upper x max(0, value - a w_cpu - b w_mem) is least, over a grid scaled to the values' density:
    the surrogate row a w_cpu + b w_mem then bounds (and orders the search) nearly as the LP does."""
    scale = 0.0
    for j in range(len(value)):
        scale = max(scale, value[j] / max(w_cpu[j] + w_mem[j], 1e-12))
    best, best_a, best_b = np.inf, 1.0, 1.0
    for a in _GRID * scale:
        for b in _GRID * scale:
            bound = a + b
            for j in range(len(value)):
                bound += upper[j] * max(0.0, value[j] - a * w_cpu[j] - b * w_mem[j])
            if bound < best:
                best, best_a, best_b = bound, a, b
    return max(best_a, 1e-9 * scale + 1e-12), max(best_b, 1e-9 * scale + 1e-12)


@njit(cache=True)
def solve(
    value: FloatArray,
    cpu: IntArray,
    mem: IntArray,
    upper: IntArray,
    cap_cpu: int,
    cap_mem: int,
    cell_limit: int,
) -> tuple[IntArray, int]:
    """(replicas per group, cells): the best pattern found within `cell_limit` cells, a cell being
    one group visited by a fill or a bound (the work grows with the groups: at 10,000 services a
    knapsack has ~2,000 of them, at 300 replicas ~12)."""
    n = len(value)
    cells = (len(_GRID) ** 2 + 3) * n  # the multipliers' grid, the three greedy fills
    a, b = _multipliers(value, cpu / max(cap_cpu, 1), mem / max(cap_mem, 1), upper)
    share = a * cpu / max(cap_cpu, 1) + b * mem / max(cap_mem, 1)
    by_share = np.argsort(-(value / np.maximum(share, 1e-12)), kind="mergesort")
    v, c, m, u = value[by_share], cpu[by_share], mem[by_share], upper[by_share]
    w_sum = share[by_share]
    w_cpu = c / max(cap_cpu, 1)
    w_mem = m / max(cap_mem, 1)
    order_sum = np.arange(n)  # groups are indexed by their depth: the order of `by_share`
    order_cpu = np.argsort(-(v / np.maximum(w_cpu, 1e-12)), kind="mergesort")
    order_mem = np.argsort(-(v / np.maximum(w_mem, 1e-12)), kind="mergesort")

    # Incumbent: the best greedy fill of the three orders, then improved by dropping replicas of
    # one group and filling again (what the depth-first search alone was measured to miss).
    best = np.zeros(n, np.int64)
    best_value = -1.0
    trial = np.zeros(n, np.int64)
    for order in (order_sum, order_cpu, order_mem):
        trial[:] = 0
        got = _refill(trial, order, -1, v, c, m, u, cap_cpu, cap_mem)
        if got > best_value + EPS:
            best_value = got
            best[:] = trial
    for i in range(n):  # each group first (a big valuable replica that density order leaves out)
        if cells > cell_limit // 4:
            break
        for first in (1, u[i]):
            cells += n
            trial[:] = 0
            trial[i] = _fit(min(first, u[i]), c[i], m[i], cap_cpu, cap_mem)
            got = _refill(trial, order_sum, i, v, c, m, u, cap_cpu, cap_mem)
            if got > best_value + EPS:
                best_value = got
                best[:] = trial
    improved = True
    sweeps = 0
    while improved and sweeps < 4 * n + 4 and cells <= cell_limit // 2:
        improved = False
        sweeps += 1
        for i in range(n):
            if best[i] == 0:
                continue
            for drop in (1, best[i]):
                cells += n
                trial[:] = best
                trial[i] -= drop
                got = _refill(trial, order_sum, i, v, c, m, u, cap_cpu, cap_mem)
                if got > best_value + EPS:
                    best_value = got
                    best[:] = trial
                    improved = True
                    break
            if improved:
                break

    current = np.zeros(n, np.int64)
    room_cpu, room_mem, acc = cap_cpu, cap_mem, 0.0
    depth, entering = 0, True
    while depth >= 0:
        if entering:
            if depth == n:
                if acc > best_value + EPS:
                    best_value = acc
                    best[:] = current
                depth -= 1
                entering = False
                continue
            cells += n
            if cells > cell_limit:
                break
            room = a * room_cpu / max(cap_cpu, 1) + b * room_mem / max(cap_mem, 1)
            bound = _relaxed(order_sum, depth, v, w_sum, c, m, u, room, room_cpu, room_mem)
            if acc + bound > best_value + EPS:
                cells += n
                alone = room_cpu / max(cap_cpu, 1)
                bound = min(bound, _relaxed(order_cpu, depth, v, w_cpu, c, m, u, alone, room_cpu, room_mem))
            if acc + bound > best_value + EPS:
                cells += n
                alone = room_mem / max(cap_mem, 1)
                bound = min(bound, _relaxed(order_mem, depth, v, w_mem, c, m, u, alone, room_cpu, room_mem))
            if acc + bound <= best_value + EPS:
                depth -= 1
                entering = False
                continue
            k = _fit(u[depth], c[depth], m[depth], room_cpu, room_mem)
            current[depth] = k
            room_cpu -= k * c[depth]
            room_mem -= k * m[depth]
            acc += k * v[depth]
            depth += 1
            continue
        # Back at `depth`: one replica fewer of its group, or up another level.
        if current[depth] > 0:
            current[depth] -= 1
            room_cpu += c[depth]
            room_mem += m[depth]
            acc -= v[depth]
            depth += 1
            entering = True
        else:
            depth -= 1
    out = np.zeros(n, np.int64)
    out[by_share] = best
    return out, cells


def warm_up() -> None:
    """Load the compiled search now (its first compile takes ~10 s), before anything is timed."""
    one = np.ones(1, np.int64)
    solve(np.ones(1), one, one, one, 1, 1, 1)
