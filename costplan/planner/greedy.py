"""Greedy packing: first-fit / best-fit decreasing, and cheap local repairs of a packing.

Replicas of one group are identical, so "place each replica on the first (or fullest) node
with room" places them node by node in that order: each step below handles a whole group
with numpy instead of one replica at a time.
"""

from __future__ import annotations

import math
import time

import numpy as np

from costplan.planner.problem import BIG, IntArray, Packing, Problem


def size_order(problem: Problem) -> IntArray:
    """Groups largest first: by the larger of their CPU and memory share of the biggest node."""
    share = np.maximum(
        problem.cpu / max(int(problem.cap_cpu.max()), 1), problem.mem / max(int(problem.cap_mem.max()), 1)
    )
    order: IntArray = np.lexsort((np.arange(problem.n_groups), -share)).astype(np.int64)
    return order


def room_for(
    problem: Problem, kinds: IntArray, held: IntArray, g: int, free_cpu: IntArray, free_mem: IntArray
) -> IntArray:
    """How many more replicas of group g each node (of type `kinds[n]`, holding `held[n]` of g) can
    take: capacity, spread, constraints."""
    by_cpu = free_cpu // problem.cpu[g] if problem.cpu[g] > 0 else np.full(len(kinds), BIG)
    by_mem = free_mem // problem.mem[g] if problem.mem[g] > 0 else np.full(len(kinds), BIG)
    room = np.minimum(np.minimum(by_cpu, by_mem), problem.kmax[g, kinds] - held)
    fits: IntArray = np.maximum(room, 0).astype(np.int64)
    return fits


class _Nodes:
    """A packing that grows node by node in amortised O(1) per node (capacity doubles), with its
    free room kept alongside: `Packing.append` copies the whole [N, G] matrix, quadratic at scale.
    Replicas are kept by group, [G, N] (a group's row is contiguous: a column of a 10,000-group
    [N, G] matrix is one cache line per node)."""

    def __init__(self, problem: Problem, packing: Packing) -> None:
        self.problem, self.n = problem, packing.n_nodes
        size = max(16, 2 * self.n)
        self.types = np.zeros(size, dtype=np.int64)
        self.held = np.zeros((problem.n_groups, size), dtype=np.int64)
        self.types[: self.n], self.held[:, : self.n] = packing.types, packing.counts.T
        free_cpu, free_mem = packing.free(problem)
        self.free_cpu, self.free_mem = np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64)
        self.free_cpu[: self.n], self.free_mem[: self.n] = free_cpu, free_mem

    def room(self, g: int) -> IntArray:
        """`room_for` group g on the nodes so far."""
        n = self.n
        return room_for(self.problem, self.types[:n], self.held[g, :n], g, self.free_cpu[:n], self.free_mem[:n])

    def add(self, t: int, g: int, counts: IntArray) -> None:
        """New nodes of type t holding `counts[i]` replicas of group g each."""
        k = len(counts)
        if self.n + k > len(self.types):
            size = max(2 * len(self.types), self.n + k)
            self.types = np.resize(self.types, size)
            grown = np.zeros((self.problem.n_groups, size), dtype=np.int64)
            grown[:, : self.n] = self.held[:, : self.n]
            self.held = grown
            self.free_cpu, self.free_mem = np.resize(self.free_cpu, size), np.resize(self.free_mem, size)
        new = slice(self.n, self.n + k)
        self.types[new], self.held[g, new] = t, counts
        self.free_cpu[new] = self.problem.cap_cpu[t] - counts * self.problem.cpu[g]
        self.free_mem[new] = self.problem.cap_mem[t] - counts * self.problem.mem[g]
        self.n += k

    def packing(self) -> Packing:
        return Packing(self.types[: self.n].copy(), np.ascontiguousarray(self.held[:, : self.n].T))


def place(
    problem: Problem,
    packing: Packing,
    remaining: IntArray,
    new_type: IntArray | None,
    *,
    order: IntArray | None = None,
    best_fit: bool = False,
) -> tuple[Packing, IntArray]:
    """Place `remaining[g]` replicas: on existing nodes first (first fit in node order, or best
    fit: fullest node first), then on new nodes of type `new_type[g]` (none when it is None or
    -1). Returns the packing and what could not be placed."""
    nodes = _Nodes(problem, packing)
    left = np.asarray(remaining, dtype=np.int64).copy()
    for g in size_order(problem) if order is None else order:
        if left[g] <= 0:
            continue
        n = nodes.n
        if n:
            free_cpu, free_mem = nodes.free_cpu[:n], nodes.free_mem[:n]
            room = nodes.room(g)
            if best_fit:
                kinds = nodes.types[:n]
                fullness = 2.0 - free_cpu / problem.cap_cpu[kinds] - free_mem / problem.cap_mem[kinds]
                seq = np.argsort(-fullness, kind="stable")
            else:
                seq = np.arange(n)
            r = room[seq]
            before = np.cumsum(r) - r
            take = np.clip(left[g] - before, 0, r)
            if take.any():
                nodes.held[g, seq] += take
                free_cpu[seq] -= take * problem.cpu[g]
                free_mem[seq] -= take * problem.mem[g]
                left[g] -= int(take.sum())
        if left[g] > 0 and new_type is not None and new_type[g] >= 0:
            t = int(new_type[g])
            k = int(problem.kmax[g, t])
            if k <= 0:
                continue
            n_new = -(-int(left[g]) // k)
            counts = np.full(n_new, k, dtype=np.int64)
            counts[-1] = int(left[g]) - k * (n_new - 1)
            nodes.add(t, g, counts)
            left[g] = 0
    return nodes.packing(), left


def fractional_cost(problem: Problem, demand: IntArray | None = None) -> np.ndarray:
    """Per type: the cost of covering the demand's CPU and memory with that type alone, in
    fractional nodes (a lower bound on any single-type packing onto it)."""
    d = problem.demand if demand is None else demand
    total_cpu, total_mem = float(d @ problem.cpu), float(d @ problem.mem)
    nodes = np.maximum(total_cpu / problem.cap_cpu, total_mem / problem.cap_mem)
    spread_need = np.where(problem.spread[:, None], d[:, None], 0).max(axis=0) if problem.n_groups else 0
    return problem.price * np.maximum(nodes, spread_need)


def class_types(problem: Problem) -> IntArray:
    """For each group, the cheapest-per-capacity type for its class (groups allowed on the same
    types), judged on the class's demand shape: what a 'cheapest type' baseline would buy."""
    allowed = problem.allowed
    new_type = np.full(problem.n_groups, -1, dtype=np.int64)
    keys: dict[bytes, list[int]] = {}
    for g in range(problem.n_groups):
        keys.setdefault(allowed[g].tobytes(), []).append(g)
    for groups in keys.values():
        mask = np.zeros(problem.n_groups, dtype=bool)
        mask[groups] = True
        d = np.where(mask, problem.demand, 0)
        hosts_all = (problem.kmax[groups] > 0).all(axis=0)
        score = np.where(hosts_all, fractional_cost(problem, d), np.inf)
        new_type[groups] = int(np.argmin(score)) if np.isfinite(score).any() else -1
    return new_type


def ffd(problem: Problem, t: int | IntArray) -> Packing | None:
    """First-fit decreasing onto new nodes of type `t` (one type, or one per group)."""
    new_type = np.full(problem.n_groups, t, dtype=np.int64) if np.isscalar(t) else np.asarray(t, dtype=np.int64)
    packing, left = place(problem, Packing.empty(problem.n_groups), problem.demand, new_type)
    return packing if not left.any() else None


def downsize(problem: Problem, packing: Packing) -> Packing:
    """Move each node to the cheapest type that still holds its replicas (keeping the pool cap)."""
    packing = packing.copy()
    used_cpu, used_mem = packing.used(problem)
    free = problem.free_mask()
    for n in np.argsort(-problem.price[packing.types], kind="stable"):
        counts = packing.counts[n]
        fits = (problem.cap_cpu >= used_cpu[n]) & (problem.cap_mem >= used_mem[n])
        fits &= (problem.kmax >= counts[:, None]).all(axis=0)
        if problem.max_pools is not None:
            in_use = np.bincount(packing.types, minlength=problem.n_types)
            alone = in_use[packing.types[n]] == 1 and not free[packing.types[n]]
            pools = int(((in_use > 0) & ~free).sum())
            fits &= (in_use > 0) | free | (pools < problem.max_pools) | alone
        price = np.where(fits, problem.price, np.iinfo(np.int64).max)
        best = int(np.argmin(price))
        if fits[best] and problem.price[best] < problem.price[packing.types[n]]:
            packing.types[n] = best
    return packing


def empty_nodes(problem: Problem, packing: Packing, *, tries: int | None = None, deadline: float = math.inf) -> Packing:
    """Try to empty nodes (dearest idle first) into the free room of the others; keep each success.
    `tries` is the work limit; the deadline is only a ceiling (81 tries took 5 s at 10,000 services)."""
    packing = packing.drop_empty()
    used_cpu, used_mem = packing.used(problem)
    fill = np.maximum(used_cpu / problem.cap_cpu[packing.types], used_mem / problem.cap_mem[packing.types])
    waste = problem.price[packing.types] * (1.0 - fill)
    candidates = list(np.argsort(-waste, kind="stable"))[: tries or packing.n_nodes]
    removed: set[int] = set()
    for n in candidates:
        if time.monotonic() > deadline:
            break
        keep = np.asarray([i for i in range(packing.n_nodes) if i != n and i not in removed], dtype=np.int64)
        if len(keep) == 0:
            continue
        sub = Packing(packing.types[keep], packing.counts[keep])
        trial, left = place(problem, sub, packing.counts[n], None, best_fit=True)
        if not left.any():
            packing.counts[keep] = trial.counts
            packing.counts[n] = 0
            removed.add(int(n))
    return packing.drop_empty()


def round_flows(flows: np.ndarray, demand: IntArray) -> IntArray:
    """Whole replicas per (group, type) summing to the demand: floors, then largest remainders."""
    base = np.floor(flows + 1e-9).astype(np.int64)
    base = np.minimum(base, demand[:, None])
    for g in np.flatnonzero(base.sum(axis=1) < demand):
        short = int(demand[g] - base[g].sum())
        rest = flows[g] - base[g]
        order = np.argsort(-rest, kind="stable")[:short]
        order = order[flows[g, order] > 0]
        base[g, order] += 1
    return base


def pack_targeted(problem: Problem, node_types: IntArray, target: IntArray | None) -> Packing:
    """Pack every replica onto the given nodes, following `target[g, t]` (replicas of g meant for
    type t) when given; best fit inside each type, then anywhere, then on the cheapest new node."""
    types = np.asarray(node_types, dtype=np.int64)
    nodes = _Nodes(problem, Packing(types, np.zeros((len(types), problem.n_groups), np.int64)))
    for g in size_order(problem):
        left = int(problem.demand[g])
        steps: list[tuple[int, int]] = []
        if target is not None:
            steps = [(int(t), int(target[g, t])) for t in np.argsort(-target[g], kind="stable") if target[g, t] > 0]
        for t, quota in steps + [(-1, left)]:
            n = nodes.n
            if left == 0 or n == 0:
                break
            kinds, free_cpu, free_mem = nodes.types[:n], nodes.free_cpu[:n], nodes.free_mem[:n]
            room = nodes.room(g)
            if t >= 0:
                room = np.where(kinds == t, room, 0)
            fullness = 2.0 - free_cpu / problem.cap_cpu[kinds] - free_mem / problem.cap_mem[kinds]
            seq = np.argsort(-fullness, kind="stable")
            r = room[seq]
            want = min(quota, left)
            take = np.clip(want - (np.cumsum(r) - r), 0, r)
            nodes.held[g, seq] += take
            free_cpu[seq] -= take * problem.cpu[g]
            free_mem[seq] -= take * problem.mem[g]
            left -= int(take.sum())
        while left > 0:
            # The cheapest way to host what is left of g on new nodes of one type.
            k = np.minimum(problem.kmax[g], left)
            per = np.where(k > 0, problem.price * np.ceil(left / np.maximum(k, 1)), np.inf)
            t = int(np.argmin(per))
            put = int(min(k[t], left))
            nodes.add(t, g, np.asarray([put], dtype=np.int64))
            left -= put
    return nodes.packing().drop_empty()


def pack_node_by_node(problem: Problem, quota: IntArray, target: IntArray | None = None) -> Packing:
    """Bin-centric packing: open the nodes of `quota` (per type) one at a time, interleaving the
    types in proportion, and fill each with the replica that best matches its remaining room
    (largest dot product of the replica's and the room's capacity shares). Replicas left over
    go first-fit onto the cheapest-per-capacity types. `target[g, t]`, when given, caps how
    many replicas of g go to type t (a fractional plan's split of the demand between types).
    """
    left = problem.demand.copy()
    room_target = None if target is None else target.copy()
    quota = np.asarray(quota, dtype=np.int64).copy()
    total = quota.copy()
    types_out: list[int] = []
    counts_out: list[IntArray] = []
    cpu, mem = problem.cpu.astype(np.float64), problem.mem.astype(np.float64)
    while quota.any() and left.any():
        # The type furthest behind its share of the nodes opened so far.
        done = total - quota
        t = int(np.argmin(np.where(quota > 0, done / np.maximum(total, 1), np.inf)))
        quota[t] -= 1
        cap_c, cap_m = float(problem.cap_cpu[t]), float(problem.cap_mem[t])
        free_c, free_m = cap_c, cap_m
        here = np.zeros(problem.n_groups, dtype=np.int64)
        limit = np.minimum(problem.kmax[:, t], left)
        if room_target is not None:
            limit = np.minimum(limit, room_target[:, t])
        while True:
            ok = (limit - here > 0) & (cpu <= free_c) & (mem <= free_m)
            if not ok.any():
                break
            score = np.where(ok, cpu / cap_c * free_c / cap_c + mem / cap_m * free_m / cap_m, -np.inf)
            g = int(np.argmax(score))
            fit = limit[g] - here[g]
            if cpu[g] > 0:
                fit = min(fit, int(free_c // cpu[g]))
            if mem[g] > 0:
                fit = min(fit, int(free_m // mem[g]))
            take = max(1, min(fit, 1 + fit // 4))  # a few at a time keeps the match adaptive
            here[g] += take
            free_c -= take * cpu[g]
            free_m -= take * mem[g]
        if here.any():
            types_out.append(t)
            counts_out.append(here)
            left -= here
            if room_target is not None:
                room_target[:, t] -= here
    packing = Packing(
        np.asarray(types_out, dtype=np.int64), np.asarray(counts_out, dtype=np.int64).reshape(-1, problem.n_groups)
    )
    if left.any():
        rest, unplaced = place(problem, packing, left, class_types(problem), best_fit=True)
        if not unplaced.any():
            packing = rest
        else:
            packing = pack_targeted(problem, packing.types, None)
    return packing
