"""Arc-flow model (Valério de Carvalho; Brandão and Pedroso's graph compression): exact on small
instances with many distinct replica sizes, where the compact MILP's symmetric slots are slow.

One directed acyclic graph per node type t. Levels are the groups allowed on t (largest first);
a vertex of level i is the room a node still has for groups i, i+1, ... and an arc from level i
to level i+1 puts k replicas of group i on the node (k = 0 is the "skip" arc). A source-to-sink
path is one node's pattern, so an integer flow is a set of nodes:

    min  sum_t p_t F_t             F_t = flow out of type t's source (its node count)
    s.t. flow conservation at every inner vertex
         sum over the arcs of group g of k f_a >= demand[g]
         pool cap (optional): F_t <= U_t z_t, sum z_t <= max_pools

Its LP relaxation is the Gilmore-Gomory pattern LP, which is tight on these instances, so HiGHS
proves the optimum quickly. The graph is kept small by *compression*: a vertex's room in each
dimension is lifted to the largest total the remaining groups can actually fill (subset sums),
which merges vertices with the same completions; sizes are divided by their common divisor.
The model is used only when the graph stays below `ARC_LIMIT` arcs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import reduce

import numpy as np

from costplan.planner._solve import Model
from costplan.planner.greedy import size_order
from costplan.planner.problem import IntArray, Packing, Problem
from costplan.plans import MONEY_SCALE

ARC_LIMIT = 8_000  # arcs over all types above which the model is not built (its LP gets slow)
CLIMB_STEPS = 3  # feasibility MILPs ("a plan at the bound?") before the optimisation MILP
TABLE_LIMIT = 4_000_000  # scaled capacity cells (per dimension) above which lifting tables are refused


@dataclass(frozen=True)
class Graph:
    """Arcs of every type's graph: tail and head vertices, group and replica count, owning type."""

    tail: IntArray
    head: IntArray
    group: IntArray  # -1 for the source arc of a type
    count: IntArray
    kind: IntArray  # the node type of each arc
    n_vertices: int
    sources: IntArray  # [T] source vertex per type (-1: type unused)
    sink: IntArray  # [T] sink vertex per type
    step: dict[tuple[int, int], int]  # (vertex, replicas of its level's group) -> the arc that takes them


@dataclass(frozen=True)
class ArcFlowResult:
    status: str
    packing: Packing | None
    cost_units: float
    bound_units: float


def _fill_table(sizes: IntArray, counts: IntArray, capacity: int) -> IntArray:
    """`table[r]`: the largest total <= r that some sub-multiset of the items fills."""
    reach = 1
    mask = (1 << (capacity + 1)) - 1
    for size, count in zip(sizes.tolist(), counts.tolist(), strict=True):
        if size <= 0 or count <= 0:
            continue
        left, step = min(count, capacity // size), 1
        while left > 0:  # binary splitting of the multiplicity
            take = min(step, left)
            reach = (reach | (reach << (size * take))) & mask
            left -= take
            step *= 2
    bits = np.unpackbits(np.frombuffer(reach.to_bytes((capacity + 8) // 8, "little"), np.uint8), bitorder="little")
    idx = np.where(bits[: capacity + 1] > 0, np.arange(capacity + 1), 0)
    table: IntArray = np.maximum.accumulate(idx).astype(np.int64)
    return table


def _scale(sizes: IntArray, capacity: int) -> tuple[IntArray, int]:
    """Sizes and capacity divided by the sizes' common divisor (same feasible fills)."""
    positive = [int(s) for s in sizes if s > 0]
    g = reduce(math.gcd, positive, 0) or 1
    return sizes // g, capacity // g


def build_graph(problem: Problem, demand: IntArray | None = None) -> Graph | None:
    """The compressed graphs of every type, or None when they would exceed `ARC_LIMIT` arcs."""
    want = problem.demand if demand is None else demand
    tails: list[IntArray] = []
    heads: list[IntArray] = []
    groups: list[IntArray] = []
    counts: list[IntArray] = []
    kinds: list[IntArray] = []
    sources = np.full(problem.n_types, -1, dtype=np.int64)
    sinks = np.full(problem.n_types, -1, dtype=np.int64)
    n_vertices = 0
    n_arcs = 0
    step: dict[tuple[int, int], int] = {}
    rank = np.empty(problem.n_groups, dtype=np.int64)
    rank[size_order(problem)] = np.arange(problem.n_groups)  # largest first
    for t in range(problem.n_types):
        order = np.flatnonzero((problem.kmax[:, t] > 0) & (want > 0))
        if len(order) == 0:
            continue
        order = order[np.argsort(rank[order], kind="stable")]
        kmax = np.minimum(problem.kmax[order, t], want[order])
        cpu, cap_c = _scale(problem.cpu[order], int(problem.cap_cpu[t]))
        mem, cap_m = _scale(problem.mem[order], int(problem.cap_mem[t]))
        if cap_c > TABLE_LIMIT or cap_m > TABLE_LIMIT:
            return None
        # Lifting tables per level: what groups i.. can fill, per dimension.
        lift_c = [_fill_table(cpu[i:], kmax[i:], cap_c) for i in range(len(order) + 1)]
        lift_m = [_fill_table(mem[i:], kmax[i:], cap_m) for i in range(len(order) + 1)]
        source = n_vertices
        n_vertices += 1
        level = np.asarray([[lift_c[0][cap_c], lift_m[0][cap_m]]], dtype=np.int64)
        ids = np.asarray([source], dtype=np.int64)
        for i in range(len(order)):
            last = i == len(order) - 1
            tail_l, rc_l, rm_l, k_l = [], [], [], []
            for k in range(int(kmax[i]) + 1):
                rc = level[:, 0] - k * cpu[i]
                rm = level[:, 1] - k * mem[i]
                ok = (rc >= 0) & (rm >= 0)
                if not ok.any():
                    break
                tail_l.append(ids[ok])
                rc_l.append(lift_c[i + 1][rc[ok]])
                rm_l.append(lift_m[i + 1][rm[ok]])
                k_l.append(np.full(int(ok.sum()), k, dtype=np.int64))
            tail = np.concatenate(tail_l)
            nxt = np.stack([np.concatenate(rc_l), np.concatenate(rm_l)], axis=1)
            k_all = np.concatenate(k_l)
            states, head_local = np.unique(nxt, axis=0, return_inverse=True)
            head_local = head_local.reshape(-1)
            head = n_vertices + head_local
            # Two arcs between the same vertices: the one with more replicas covers more.
            key = tail * (len(states) + 1) + head_local
            order_k = np.lexsort((-k_all, key))
            first = np.r_[True, key[order_k][1:] != key[order_k][:-1]]
            pick = order_k[first]
            chosen = n_arcs + np.cumsum(first) - 1  # the kept arc of each arc's (tail, head) pair
            pairs = zip(tail[order_k].tolist(), k_all[order_k].tolist(), strict=True)
            step.update(zip(pairs, chosen.tolist(), strict=True))
            tails.append(tail[pick])
            heads.append(head[pick])
            groups.append(np.full(len(pick), int(order[i]), dtype=np.int64))
            counts.append(k_all[pick])
            kinds.append(np.full(len(pick), t, dtype=np.int64))
            n_arcs += len(pick)
            if n_arcs > ARC_LIMIT:
                return None
            ids = n_vertices + np.arange(len(states), dtype=np.int64)
            n_vertices += len(states)
            level = states
            if last:
                sinks[t] = int(ids[0]) if len(ids) == 1 else -1
        sources[t] = source
        if sinks[t] < 0:  # the last level always lifts to a single empty room; guard anyway
            return None
    return Graph(
        _cat(tails),
        _cat(heads),
        _cat(groups),
        _cat(counts),
        _cat(kinds),
        n_vertices,
        sources,
        sinks,
        step,
    )


def solve(
    problem: Problem,
    graph: Graph,
    *,
    start: Packing | None = None,
    time_limit: float,
    node_limit: int | None = None,
    seed: int = 0,
) -> ArcFlowResult:
    """The optimum over `graph` (or the best plan found within the limits) and a proven bound.

    Steps: the LP relaxation, whose value rounded up to the prices' step is a bound B (it is
    the Gilmore-Gomory bound, usually the optimum); then "is there a plan of cost <= B?" as a
    feasibility MILP, which HiGHS answers much faster than the optimisation: a plan proves
    optimality, infeasibility raises B by one step (a proof too), a few times; last, the
    optimisation MILP, warm-started from the best plan, for whatever is left.
    """
    began = time.monotonic()
    used = np.flatnonzero(graph.sources >= 0)
    step = price_step(problem.price[used])
    lp = _model(problem, graph, integer=False).solve(time_limit=time_limit, seed=seed)
    bound = on_step(lp.objective * MONEY_SCALE, step) if lp.status == "optimal" else -math.inf
    best = start if start is not None and start.is_valid(problem) else None

    def cost() -> float:
        return math.inf if best is None else float(best.cost(problem))

    for _ in range(CLIMB_STEPS if math.isfinite(bound) else 0):
        if cost() <= bound:
            break
        left = time_limit - (time.monotonic() - began)
        sol = _model(problem, graph, integer=True, target=bound).solve(
            time_limit=left, seed=seed, node_limit=node_limit
        )
        if sol.status == "infeasible":
            bound += step
        elif sol.x is not None:
            best = _decompose(problem, graph, np.round(sol.x[: len(graph.tail)]).astype(np.int64))
        else:
            break
    if cost() > bound:
        hint = _flows(problem, graph, best) if best is not None else None
        left = time_limit - (time.monotonic() - began)
        # Every plan costs a multiple of the prices' step: a gap below it proves optimality.
        sol = _model(problem, graph, integer=True).solve(
            time_limit=left, mip_abs_gap=(step - 0.5) / MONEY_SCALE, seed=seed, node_limit=node_limit, start=hint
        )
        if math.isfinite(sol.proven_bound):
            bound = max(bound, on_step(sol.proven_bound * MONEY_SCALE, step))
        if sol.x is not None:
            found = _decompose(problem, graph, np.round(sol.x[: len(graph.tail)]).astype(np.int64))
            if found.cost(problem) < cost():
                best = found
    if best is None:
        return ArcFlowResult("limit", None, math.inf, bound)
    return ArcFlowResult("optimal" if cost() <= bound else "limit", best, cost(), min(bound, cost()))


def _model(problem: Problem, graph: Graph, *, integer: bool, target: float | None = None) -> Model:
    """The arc-flow model: arc flows first, then node counts per used type (and pool switches).
    With a `target` it is a feasibility model: no objective, cost at most `target`."""
    used = np.flatnonzero(graph.sources >= 0)
    price = problem.price.astype(np.float64)
    m = Model()
    # Variables: flow on each arc; node count per type (the flow out of its source).
    f = m.add_vars(len(graph.tail), integer=integer)
    upper = (problem.allowed * problem.demand[:, None]).sum(axis=0).astype(np.float64)
    cost = price[used] / MONEY_SCALE
    n = m.add_vars(len(used), cost=0.0 if target is not None else cost, ub=upper[used], integer=integer)
    if target is not None:
        r = m.add_rows(1, hi=(target + 0.5) / MONEY_SCALE)
        m.add_coeffs(r[0], n, cost)
    # Flow conservation: into a vertex equals out of it; a source emits F_t, a sink absorbs it.
    rows = m.add_rows(graph.n_vertices, lo=0.0, hi=0.0)
    m.add_coeffs(rows[graph.head], f, 1.0)
    m.add_coeffs(rows[graph.tail], f, -1.0)
    m.add_coeffs(rows[graph.sources[used]], n, 1.0)
    m.add_coeffs(rows[graph.sink[used]], n, -1.0)
    # Every replica is on some node: arcs of group g carry k replicas each.
    demand_rows = m.add_rows(problem.n_groups, lo=problem.demand.astype(np.float64))
    m.add_coeffs(demand_rows[graph.group], f, graph.count.astype(np.float64))
    if problem.max_pools is not None:
        # At most max_pools counted types have nodes.
        counted = np.flatnonzero(~problem.free_mask()[used])
        z = m.add_vars(len(counted), ub=1.0, integer=True)
        link = m.add_rows(len(counted), hi=0.0)
        m.add_coeffs(link, n[counted], 1.0)
        m.add_coeffs(link, z, -upper[used][counted])
        cap = m.add_rows(1, hi=float(problem.max_pools))
        m.add_coeffs(cap[0], z, 1.0)
    return m


def _flows(problem: Problem, graph: Graph, packing: Packing) -> np.ndarray | None:
    """A packing written as arc flows (each node one path), for a MILP start; None if a node's
    pattern has no path (it is not in the compressed graph's pattern set)."""
    used = np.flatnonzero(graph.sources >= 0)
    position = {int(t): i for i, t in enumerate(used)}
    n_extra = len(used) + (len(np.flatnonzero(~problem.free_mask()[used])) if problem.max_pools is not None else 0)
    vec = np.zeros(len(graph.tail) + n_extra)
    for node in range(packing.n_nodes):
        t = int(packing.types[node])
        if t not in position:
            return None
        v = int(graph.sources[t])
        while v != int(graph.sink[t]):
            a = graph.step.get((v, int(packing.counts[node, _level_group(graph, v)])))
            if a is None:
                return None
            vec[a] += 1
            v = int(graph.head[a])
        vec[len(graph.tail) + position[t]] += 1
    if problem.max_pools is not None:
        counted = np.flatnonzero(~problem.free_mask()[used])
        vec[len(graph.tail) + len(used) :] = (vec[len(graph.tail) + counted] > 0).astype(np.float64)
    return vec


def _level_group(graph: Graph, vertex: int) -> int:
    """The group decided by the arcs leaving `vertex` (every arc out of it has the same group)."""
    return int(graph.group[graph.step[(vertex, 0)]])


def price_step(price: IntArray) -> int:
    """The common divisor of the prices: every plan's cost is a multiple of it."""
    return reduce(math.gcd, (int(p) for p in price), 0) or 1


def on_step(units: float, step: int) -> float:
    """A bound b on costs that are multiples of `step` proves the next multiple at or above b."""
    return float(step * math.ceil(units / step - 1e-9))


def _decompose(problem: Problem, graph: Graph, flow: IntArray) -> Packing:
    """Paths of the integer flow, one node each; replicas beyond the demand are taken off."""
    left = flow.copy()
    out_arcs: dict[int, list[int]] = {}
    for a in np.flatnonzero(left > 0).tolist():
        out_arcs.setdefault(int(graph.tail[a]), []).append(a)
    types: list[int] = []
    rows: list[IntArray] = []
    for t in np.flatnonzero(graph.sources >= 0).tolist():
        sink = int(graph.sink[t])
        while True:
            v = int(graph.sources[t])
            pattern = np.zeros(problem.n_groups, dtype=np.int64)
            arcs = out_arcs.get(v, [])
            while arcs and left[arcs[-1]] == 0:
                arcs.pop()
            if not arcs:
                break
            while v != sink:
                arcs = out_arcs[v]
                while left[arcs[-1]] == 0:
                    arcs.pop()
                a = arcs[-1]
                left[a] -= 1
                pattern[graph.group[a]] += graph.count[a]
                v = int(graph.head[a])
            types.append(t)
            rows.append(pattern)
    counts = np.asarray(rows, dtype=np.int64).reshape(len(rows), problem.n_groups)
    return _trim(problem, Packing(np.asarray(types, dtype=np.int64), counts))


def _trim(problem: Problem, packing: Packing) -> Packing:
    """Replicas beyond the demand taken off (the model covers the demand, it may exceed it)."""
    counts = packing.counts.copy()
    surplus = counts.sum(axis=0) - problem.demand
    for g in np.flatnonzero(surplus > 0):
        extra = int(surplus[g])
        for node in np.flatnonzero(counts[:, g]):
            drop = min(extra, int(counts[node, g]))
            counts[node, g] -= drop
            extra -= drop
            if extra == 0:
                break
    return Packing(packing.types, counts).drop_empty()


def _cat(parts: list[IntArray]) -> IntArray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
