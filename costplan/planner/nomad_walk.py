"""One evaluation of Nomad's select over shuffled nodes, run by run, compiled (numba); and the best fit.

The scheduler model (`scheduler.py`, whose docstring states the rules) spends its time here: every
replica of every service in every seeded run walks the service's shuffled nodes. In Python, even
vectorised over the runs, each replica cost ~0.3 ms of interpreter overhead (10,000 services,
25,000 replicas: 7 s per estimate, whatever the run count); compiled, the walk is the literal port
(`scheduler._limit` and `_select`: StaticIterator, LimitIterator with the skip rule,
MaxScoreIterator's first strict maximum) at a few microseconds per replica and run. The
deterministic mode (`best_fit`: every node scored) is compiled beside it: in numpy it took 4.4 s
per run of a 10,000-service plan, and the stage and the plan's checks each run it.

Compiled on first use and cached beside the module (`cache=True`), so later processes load it.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

MAX_SKIP = 3  # stack.go maxSkip
SKIP_THRESHOLD = 0.0  # stack.go skipScoreThreshold
MAX_FIT = 18.0  # rank.go binPackingMaxFitScore
_NONE = -1


@numba.njit(cache=True)
def _score(cap_cpu: int, cap_mem: int, free_cpu: int, free_mem: int, held: int, c: int, m: int, desired: int) -> float:
    """ScoreFitBinPack / 18, averaged with the job anti-affinity penalty when the node holds some."""
    share_cpu = 1.0 - (cap_cpu - free_cpu + c) / max(cap_cpu, 1)
    share_mem = 1.0 - (cap_mem - free_mem + m) / max(cap_mem, 1)
    fit = min(MAX_FIT, max(0.0, 20.0 - (math.pow(10.0, share_cpu) + math.pow(10.0, share_mem)))) / MAX_FIT
    if held > 0:
        return (fit + -(held + 1) / max(desired, 1)) / 2.0
    return fit


@numba.njit(cache=True)
def _next_fit(
    cap_cpu: IntArray,
    cap_mem: IntArray,
    walk: IntArray,
    free_cpu: IntArray,
    free_mem: IntArray,
    here: IntArray,
    c: int,
    m: int,
    desired: int,
    distinct: bool,
    offset: int,
    seen: int,
    score: npt.NDArray[np.float64],
) -> tuple[int, int, int]:
    """StaticIterator and the feasibility filters: the next walk position from `offset` whose node
    has room (its score recorded), wrapping, at most once around: (position or -1, offset, seen)."""
    n = len(walk)
    while seen < n:
        if offset == n:
            offset = 0
        i = offset
        offset += 1
        seen += 1
        node = walk[i]
        if free_cpu[node] >= c and free_mem[node] >= m and not (distinct and here[node] > 0):
            score[i] = _score(cap_cpu[node], cap_mem[node], free_cpu[node], free_mem[node], here[node], c, m, desired)
            return i, offset, seen
    return _NONE, offset, seen


@numba.njit(cache=True)
def evaluate(
    cap_cpu: IntArray,
    cap_mem: IntArray,
    walk: IntArray,
    limit: int,
    want: IntArray,
    desired: int,
    c: int,
    m: int,
    distinct: bool,
    free_cpu: IntArray,
    free_mem: IntArray,
    here: IntArray,
    missing: IntArray,
) -> None:
    """Place `want[r]` replicas of (c, m) in every run r: `walk[r]` is the run's shuffle of the E
    nodes (indexes into `cap_*` and the [R, E] `free_*`, `here`, which it updates); `missing[r]`
    gets the replicas that did not land (the first that fits nowhere stops the evaluation)."""
    runs, n = walk.shape
    score = np.empty(n)
    skipped = np.empty(MAX_SKIP, dtype=np.int64)
    for r in range(runs):
        fc, fm, held, order = free_cpu[r], free_mem[r], here[r], walk[r]
        offset = 0
        for k in range(want[r]):
            # LimitIterator: `limit` options, up to MAX_SKIP non-positive ones set aside (returned
            # after the source runs out); MaxScoreIterator: the first strict maximum of them.
            seen_nodes, seen, n_skipped, used_skipped = 0, 0, 0, 0
            best, best_score = _NONE, -np.inf
            while seen != limit:
                option, offset, seen_nodes = _next_fit(
                    cap_cpu, cap_mem, order, fc, fm, held, c, m, desired, distinct, offset, seen_nodes, score
                )
                if option == _NONE and used_skipped < n_skipped:
                    option = skipped[used_skipped]
                    used_skipped += 1
                if option == _NONE:
                    break
                while option != _NONE and score[option] <= SKIP_THRESHOLD and n_skipped < MAX_SKIP:
                    skipped[n_skipped] = option
                    n_skipped += 1
                    option, offset, seen_nodes = _next_fit(
                        cap_cpu, cap_mem, order, fc, fm, held, c, m, desired, distinct, offset, seen_nodes, score
                    )
                seen += 1
                if option == _NONE:
                    if used_skipped == n_skipped:
                        break
                    option = skipped[used_skipped]
                    used_skipped += 1
                if best == _NONE or score[option] > best_score:
                    best, best_score = option, score[option]
            offset = offset % n if n else 0
            if best == _NONE:
                missing[r] = want[r] - k
                break
            node = order[best]
            fc[node] -= c
            fm[node] -= m
            held[node] += 1


@numba.njit(cache=True)
def best_fit(
    cap_cpu: IntArray,
    cap_mem: IntArray,
    want: IntArray,
    desired: int,
    c: int,
    m: int,
    distinct: bool,
    free_cpu: IntArray,
    free_mem: IntArray,
    here: IntArray,
    missing: IntArray,
) -> None:
    """The deterministic mode: every one of the E nodes scored, each replica on the first node of
    highest score, `want[r]` replicas in every run r ([R, E] `free_*`, `here`, updated in place).
    A placement changes only its own node's score, so each further replica rescores that one."""
    runs, n = free_cpu.shape
    score = np.empty(n)
    for r in range(runs):
        fc, fm, held = free_cpu[r], free_mem[r], here[r]
        for e in range(n):
            score[e] = _fitting(cap_cpu[e], cap_mem[e], fc[e], fm[e], held[e], c, m, desired, distinct)
        for k in range(want[r]):
            pick = 0
            for e in range(1, n):
                if score[e] > score[pick]:
                    pick = e
            if n == 0 or score[pick] == -np.inf:
                missing[r] = want[r] - k
                break
            fc[pick] -= c
            fm[pick] -= m
            held[pick] += 1
            score[pick] = _fitting(
                cap_cpu[pick], cap_mem[pick], fc[pick], fm[pick], held[pick], c, m, desired, distinct
            )


@numba.njit(cache=True)
def _fitting(
    cap_cpu: int, cap_mem: int, free_cpu: int, free_mem: int, held: int, c: int, m: int, desired: int, distinct: bool
) -> float:
    """`_score` where (c, m) fits (and distinct hosts allow it), -inf elsewhere."""
    if free_cpu < c or free_mem < m or (distinct and held > 0):
        return -np.inf
    return _score(cap_cpu, cap_mem, free_cpu, free_mem, held, c, m, desired)
