"""The pinned replay (`pinning.replay`, whose docstring states the rules), compiled (numba).

The pinning search runs the replay in its loop, thousands of times per plan; in Python one replay
of a medium plan (300 replicas on 17 nodes) cost ~1.3 ms, so the search's iteration budget was cut
by its deadline and the plan depended on the machine's speed. Compiled, it costs microseconds.

Lists are passed flat (CSR: `ptr[s]:ptr[s + 1]` indexes service s's entries), and so are the
results: replicas per entry of `allowed`, room per entry of `fits`, ties as (service, nodes) runs.
Compiled on first use and cached beside the module (`cache=True`).
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from costplan.planner.nomad_walk import _score

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@numba.njit(cache=True)
def _later(m_ptr: IntArray, m_pos: IntArray, n: int, pos: int) -> int:
    """Index in m_pos of node n's first listing service at submission position >= pos."""
    i = int(m_ptr[n])
    while i < m_ptr[n + 1] and m_pos[i] < pos:
        i += 1
    return i


@numba.njit(cache=True)
def _same_future(
    cap_cpu: IntArray,
    cap_mem: IntArray,
    free_cpu: IntArray,
    free_mem: IntArray,
    here: IntArray,
    m_ptr: IntArray,
    m_pos: IntArray,
    a: int,
    b: int,
    pos: int,
) -> bool:
    """Nodes a and b alike from now on: capacity, room, the service's replicas, later listings."""
    if cap_cpu[a] != cap_cpu[b] or cap_mem[a] != cap_mem[b] or free_cpu[a] != free_cpu[b]:
        return False
    if free_mem[a] != free_mem[b] or here[a] != here[b]:
        return False
    i, j = _later(m_ptr, m_pos, a, pos), _later(m_ptr, m_pos, b, pos)
    if m_ptr[a + 1] - i != m_ptr[b + 1] - j:
        return False
    while i < m_ptr[a + 1]:
        if m_pos[i] != m_pos[j]:
            return False
        i += 1
        j += 1
    return True


@numba.njit(cache=True)
def replay(
    cap_cpu: IntArray,
    cap_mem: IntArray,
    want: IntArray,
    cpu: IntArray,
    mem: IntArray,
    spread: BoolArray,
    kind: IntArray,
    order: IntArray,
    a_ptr: IntArray,
    a_idx: IntArray,
    f_ptr: IntArray,
    f_idx: IntArray,
    tie: float,
) -> tuple[IntArray, IntArray, BoolArray, IntArray, IntArray, IntArray, int]:
    """(replicas per `allowed` entry, missing per service, room per `fits` entry, tie services,
    tie pointers, tie nodes, spread replicas shared). `kind[s]` >= 0 marks a wide service, equal
    kinds are identical wide services on the same list; -1 a service the replay scores."""
    n_nodes, n_services = len(cap_cpu), len(want)
    free_cpu, free_mem = cap_cpu.copy(), cap_mem.copy()
    position = np.empty(n_services, np.int64)
    for p in range(n_services):
        position[order[p]] = p
    # node -> sorted positions of the services listing it
    m_ptr = np.zeros(n_nodes + 1, np.int64)
    for s in range(n_services):
        for i in range(a_ptr[s], a_ptr[s + 1]):
            m_ptr[a_idx[i] + 1] += 1
    for n in range(n_nodes):
        m_ptr[n + 1] += m_ptr[n]
    m_pos = np.empty(m_ptr[n_nodes], np.int64)
    fill = m_ptr.copy()
    for p in range(n_services):
        s = order[p]
        for i in range(a_ptr[s], a_ptr[s + 1]):
            n = a_idx[i]
            m_pos[fill[n]] = p
            fill[n] += 1

    placed = np.zeros(len(a_idx), np.int64)
    missing = np.zeros(n_services, np.int64)
    room = np.zeros(len(f_idx), np.bool_)
    bound = 0
    for s in range(n_services):
        span = a_ptr[s + 1] - a_ptr[s]
        bound += span * (1 if kind[s] >= 0 else max(want[s], 0))
    tie_s = np.empty(bound + 1, np.int64)
    tie_ptr = np.zeros(bound + 2, np.int64)
    tie_nodes = np.empty(bound + 1, np.int64)
    n_ties = 0
    here = np.zeros(n_nodes, np.int64)  # the current service's replicas per node
    tied = np.empty(n_nodes, np.int64)
    shared = 0

    for p in range(n_services):
        s = order[p]
        c, m, k = cpu[s], mem[s], want[s]
        lo, hi = a_ptr[s], a_ptr[s + 1]
        if kind[s] >= 0:  # wide: slots, nodes no later service lists first
            slots_total, left = 0, k
            for i in range(lo, hi):
                n = a_idx[i]
                slots_total += min(free_cpu[n] // max(c, 1), free_mem[n] // max(m, 1))
            for later_first in range(2):
                for i in range(lo, hi):
                    n = a_idx[i]
                    listed_later = _later(m_ptr, m_pos, n, p + 1) < m_ptr[n + 1]
                    if listed_later != (later_first == 1):
                        continue
                    take = min(left, min(free_cpu[n] // max(c, 1), free_mem[n] // max(m, 1)))
                    if take > 0:
                        free_cpu[n] -= take * c
                        free_mem[n] -= take * m
                        placed[i] = take
                        left -= take
            missing[s] = left
            if slots_total == k:  # saturated: the same placement whatever the shuffle
                continue
            start = tie_ptr[n_ties]
            count = 0
            for i in range(lo, hi):
                n = a_idx[i]
                for j in range(_later(m_ptr, m_pos, n, p + 1), m_ptr[n + 1]):
                    if kind[order[m_pos[j]]] != kind[s]:
                        tied[count] = n
                        count += 1
                        break
            if count:
                for j in range(1, count):  # ascending (insertion sort: np.sort costs seconds to compile)
                    n, i = tied[j], j
                    while i > 0 and tied[i - 1] > n:
                        tied[i] = tied[i - 1]
                        i -= 1
                    tied[i] = n
                for j in range(count):
                    tie_nodes[start + j] = tied[j]
                tie_s[n_ties] = s
                n_ties += 1
                tie_ptr[n_ties] = start + count
            continue
        for r in range(k):
            best, pick, n_tied = -np.inf, -1, 0
            for i in range(lo, hi):
                n = a_idx[i]
                if free_cpu[n] < c or free_mem[n] < m:
                    continue
                score = _score(cap_cpu[n], cap_mem[n], free_cpu[n], free_mem[n], here[n], c, m, k)
                if score > best + tie:
                    best, pick, n_tied = score, n, 0
                elif score > best - tie:
                    tied[n_tied] = n
                    n_tied += 1
            if pick < 0:
                missing[s] = k - r
                for i in range(f_ptr[s], f_ptr[s + 1]):
                    n = f_idx[i]
                    room[i] = free_cpu[n] >= c and free_mem[n] >= m
                break
            risky = False
            for j in range(n_tied):
                if not _same_future(cap_cpu, cap_mem, free_cpu, free_mem, here, m_ptr, m_pos, tied[j], pick, p):
                    risky = True
                    break
            if risky:
                start = tie_ptr[n_ties]
                tie_nodes[start] = pick
                for j in range(n_tied):
                    tie_nodes[start + 1 + j] = tied[j]
                tie_s[n_ties] = s
                n_ties += 1
                tie_ptr[n_ties] = start + 1 + n_tied
            free_cpu[pick] -= c
            free_mem[pick] -= m
            here[pick] += 1
        for i in range(lo, hi):
            placed[i] = here[a_idx[i]]
        for i in range(lo, hi):
            n = a_idx[i]
            if spread[s] and here[n] > 1:
                shared += here[n] - 1
            here[n] = 0
    return placed, missing, room, tie_s[:n_ties], tie_ptr[: n_ties + 1], tie_nodes[: tie_ptr[n_ties]], shared
