"""The compact assignment MILP: exact on small instances, and the re-packing step of the LNS.

Data: groups g with `demand[g]` replicas; *slots* b (a node that may be bought, of type t_b);
optionally *open bins* e (the free room left on nodes we keep, cost 0).

    min  sum_b p[t_b] y[b]
    s.t. sum_b x[g,b] + sum_e w[g,e] = demand[g]          every replica placed
         sum_g cpu[g] x[g,b] <= C[t_b] y[b]  (and memory)  slot capacity
         sum_g cpu[g] w[g,e] <= free_cpu[e] (and memory)   open-bin room
         x[g,b] <= kmax[g,t_b] y[b]                        per-node limit (spread: 1)
         y[b] >= y[b+1] for slots of one type              symmetry
         pool cap, optional cost cap
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from costplan.planner._solve import Model, Solution
from costplan.planner.problem import BoolArray, IntArray, Packing, Problem
from costplan.plans import MONEY_SCALE


@dataclass(frozen=True)
class OpenBins:
    """Room left on kept nodes: free CPU / memory and how many more of each group fit (kmax)."""

    free_cpu: IntArray  # [E]
    free_mem: IntArray  # [E]
    room: IntArray  # [E, G]

    @classmethod
    def none(cls, n_groups: int) -> OpenBins:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, n_groups), np.int64))


@dataclass(frozen=True)
class Repack:
    """A solved compact model: new nodes, what goes into the open bins, and what was proven."""

    status: str
    nodes: Packing | None
    into_open: IntArray | None  # [E, G]
    cost_units: float
    bound_units: float


def slot_limits(problem: Problem, demand: IntArray, upper_units: float) -> IntArray:
    """How many nodes of each type some optimal solution may use (at most).

    - cost: k nodes of type t cost k p_t <= the best known plan;
    - no empty node: at most the replicas that may go on t;
    - no two mergeable nodes: at most one node of a type is at most half full in both
      dimensions, the others exceed half in one, so k <= 1 + 2 CPU/C + 2 MEM/M of the groups
      allowed there, plus one node per spread replica (spread conflicts also prevent merging).
    """
    allowed = (problem.kmax > 0) & (demand[:, None] > 0)
    replicas = (allowed * demand[:, None]).sum(axis=0)
    cpu = (allowed * (demand * problem.cpu)[:, None]).sum(axis=0)
    mem = (allowed * (demand * problem.mem)[:, None]).sum(axis=0)
    spread = (allowed * (demand * problem.spread)[:, None]).sum(axis=0)
    merge = 1 + np.floor(2 * cpu / problem.cap_cpu) + np.floor(2 * mem / problem.cap_mem) + spread
    with np.errstate(divide="ignore"):
        by_cost = np.where(problem.price > 0, np.floor(upper_units / np.maximum(problem.price, 1)), replicas)
    limits: IntArray = np.minimum(np.minimum(replicas, merge), by_cost).clip(min=0).astype(np.int64)
    return limits


def repack(
    problem: Problem,
    demand: IntArray,
    slot_types: IntArray,
    *,
    open_bins: OpenBins | None = None,
    max_cost_units: float | None = None,
    pools_left: int | None = None,
    counted_new: BoolArray | None = None,
    start: Packing | None = None,
    time_limit: float,
    seed: int = 0,
    node_limit: int | None = None,
) -> Repack:
    """Solve the compact model for `demand` over `slot_types` (sorted, one entry per slot)."""
    bins = open_bins or OpenBins.none(problem.n_groups)
    groups = np.flatnonzero(demand > 0)
    n_slots = len(slot_types)
    price = problem.price[slot_types].astype(np.float64)

    # Variables: y[b] a slot is bought; x[g,b] replicas of g on slot b; w[g,e] on open bin e.
    m = Model()
    y = m.add_vars(n_slots, cost=price / MONEY_SCALE, ub=1.0, integer=True)
    kx = problem.kmax[np.ix_(groups, slot_types)]
    gx, bx = np.nonzero(kx > 0)
    ub_x = np.minimum(kx[gx, bx], demand[groups][gx])
    x = m.add_vars(len(gx), ub=ub_x, integer=True)
    kw = bins.room[:, groups].T if len(bins.free_cpu) else np.zeros((len(groups), 0), np.int64)
    gw, ew = np.nonzero(kw > 0)
    w = m.add_vars(len(gw), ub=np.minimum(kw[gw, ew], demand[groups][gw]), integer=True)

    # Every replica is placed on a slot or in an open bin.
    rows = m.add_rows(len(groups), lo=demand[groups], hi=demand[groups])
    m.add_coeffs(rows[gx], x, 1.0)
    m.add_coeffs(rows[gw], w, 1.0)
    # A bought slot holds its replicas' CPU and memory.
    for size, cap in ((problem.cpu, problem.cap_cpu), (problem.mem, problem.cap_mem)):
        r = m.add_rows(n_slots, hi=0.0)
        m.add_coeffs(r[bx], x, size[groups][gx])
        m.add_coeffs(r, y, -cap[slot_types])
    # An open bin holds what is added to it within its free room.
    for size, free in ((problem.cpu, bins.free_cpu), (problem.mem, bins.free_mem)):
        if len(free):
            r = m.add_rows(len(free), hi=free)
            m.add_coeffs(r[ew], w, size[groups][gw])
    # Nothing on a slot that is not bought; at most kmax replicas of a group per node.
    link = m.add_rows(len(gx), hi=0.0)
    m.add_coeffs(link, x, 1.0)
    m.add_coeffs(link, y[bx], -ub_x)
    # Slots of one type are bought in order (symmetry).
    same = np.flatnonzero(slot_types[1:] == slot_types[:-1])
    sym = m.add_rows(len(same), lo=0.0)
    m.add_coeffs(sym, y[same], 1.0)
    m.add_coeffs(sym, y[same + 1], -1.0)
    # At most `pools_left` new counted types (the first slot of a type stands for it).
    if pools_left is not None and counted_new is not None:
        firsts = np.flatnonzero(np.r_[True, slot_types[1:] != slot_types[:-1]])
        firsts = firsts[counted_new[slot_types[firsts]]]
        r = m.add_rows(1, hi=float(pools_left))
        m.add_coeffs(r[0], y[firsts], 1.0)
    # Strictly cheaper than what it replaces (when re-packing).
    if max_cost_units is not None:
        r = m.add_rows(1, hi=max_cost_units / MONEY_SCALE + 1e-9)
        m.add_coeffs(r[0], y, price / MONEY_SCALE)

    hint = None
    if start is not None and not len(bins.free_cpu):
        hint = _start_vector(m.num_vars, start, slot_types, groups, gx, bx, y, x)
    sol = m.solve(time_limit=time_limit, mip_abs_gap=0.5 / MONEY_SCALE, start=hint, seed=seed, node_limit=node_limit)
    return _read(problem, sol, slot_types, groups, gx, bx, gw, ew, y, x, w, len(bins.free_cpu))


def _start_vector(
    n: int, start: Packing, slot_types: IntArray, groups: IntArray, gx: IntArray, bx: IntArray, y: IntArray, x: IntArray
) -> np.ndarray | None:
    """The incumbent written in slot variables (first slots of each type), if it fits the slots."""
    vec = np.zeros(n)
    index = {(int(g), int(b)): i for i, (g, b) in enumerate(zip(gx, bx, strict=True))}
    group_pos = {int(g): i for i, g in enumerate(groups)}
    next_slot: dict[int, int] = {}
    for node in range(start.n_nodes):
        t = int(start.types[node])
        candidates = np.flatnonzero(slot_types == t)
        k = next_slot.get(t, 0)
        if k >= len(candidates):
            return None
        b = int(candidates[k])
        next_slot[t] = k + 1
        vec[y[b]] = 1.0
        for g in np.flatnonzero(start.counts[node]):
            key = (group_pos.get(int(g), -1), b)
            if key not in index:
                return None
            vec[x[index[key]]] = float(start.counts[node, g])
    return vec


def _read(
    problem: Problem,
    sol: Solution,
    slot_types: IntArray,
    groups: IntArray,
    gx: IntArray,
    bx: IntArray,
    gw: IntArray,
    ew: IntArray,
    y: IntArray,
    x: IntArray,
    w: IntArray,
    n_open: int,
) -> Repack:
    bound = sol.proven_bound * MONEY_SCALE if math.isfinite(sol.proven_bound) else -math.inf
    if sol.x is None:
        return Repack(sol.status, None, None, math.inf, bound)
    bought = np.flatnonzero(np.round(sol.x[y]) > 0.5)
    counts = np.zeros((len(slot_types), problem.n_groups), dtype=np.int64)
    np.add.at(counts, (bx, groups[gx]), np.round(sol.x[x]).astype(np.int64))
    nodes = Packing(slot_types[bought].astype(np.int64), counts[bought])
    into_open = np.zeros((n_open, problem.n_groups), dtype=np.int64)
    if n_open:
        np.add.at(into_open, (ew, groups[gw]), np.round(sol.x[w]).astype(np.int64))
    cost = float(problem.price[nodes.types].sum())
    return Repack(sol.status, nodes, into_open, cost, bound)
