"""The planning problem in arrays, and a packing (a solution) of it.

Replicas of one service are identical, so the model works on *groups*: `demand[g]` replicas
of size (`cpu[g]`, `mem[g]`). Identical non-spread services with the same allowed node types
share one group. Node types carry usable capacity and a price in integer money units.
`kmax[g, t]` is how many replicas of group g one node of type t can hold (capacity, spread,
provider constraints; 0 = not allowed): it states every per-node constraint of one group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from costplan.errors import InfeasiblePlan
from costplan.models import ServiceSpec
from costplan.planner.capacity import matches_provider

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
BIG = np.int64(1) << 40  # "no limit" for a replica count


@dataclass(frozen=True)
class Problem:
    """Groups g (replicas), node types t, and which group fits which type how often."""

    cpu: IntArray  # [G] MHz per replica
    mem: IntArray  # [G] MB per replica
    demand: IntArray  # [G] replicas to place
    spread: BoolArray  # [G]
    cap_cpu: IntArray  # [T] usable MHz per node
    cap_mem: IntArray  # [T] usable MB per node
    price: IntArray  # [T] money units per node and month
    kmax: IntArray  # [G, T] replicas of g per node of t (0 = not allowed)
    type_ids: IntArray  # [T] rows of the node-type table
    members: tuple[tuple[int, ...], ...]  # services (indices into the spec list) of each group
    max_pools: int | None = None
    cap_free: BoolArray | None = None  # [T] types that do not count towards max_pools

    @property
    def n_groups(self) -> int:
        return len(self.cpu)

    @property
    def n_types(self) -> int:
        return len(self.price)

    @property
    def allowed(self) -> BoolArray:
        return self.kmax > 0

    def free_mask(self) -> BoolArray:
        return self.cap_free if self.cap_free is not None else np.zeros(self.n_types, dtype=bool)

    def restrict(self, keep: BoolArray | IntArray) -> Problem:
        """The same demand over a subset of the node types."""
        idx = np.flatnonzero(keep) if np.asarray(keep).dtype == bool else np.asarray(keep, dtype=np.int64)
        return replace(
            self,
            cap_cpu=self.cap_cpu[idx],
            cap_mem=self.cap_mem[idx],
            price=self.price[idx],
            kmax=self.kmax[:, idx],
            type_ids=self.type_ids[idx],
            cap_free=None if self.cap_free is None else self.cap_free[idx],
        )


def per_node(cpu: IntArray, mem: IntArray, spread: BoolArray, cap_cpu: IntArray, cap_mem: IntArray) -> IntArray:
    """How many replicas of each group fit one node of each type by capacity and spread alone."""
    with np.errstate(divide="ignore"):
        by_cpu = np.where(cpu[:, None] > 0, cap_cpu[None, :] // np.maximum(cpu, 1)[:, None], BIG)
        by_mem = np.where(mem[:, None] > 0, cap_mem[None, :] // np.maximum(mem, 1)[:, None], BIG)
    per = np.minimum(by_cpu, by_mem)
    return np.where(spread[:, None], np.minimum(per, 1), per).astype(np.int64)


def build_problem(
    types: pd.DataFrame,
    services: Sequence[ServiceSpec],
    counts: Sequence[int],
    *,
    max_pools: int | None = None,
) -> Problem:
    """Groups and types for `counts[i]` replicas of `services[i]`; raises `InfeasiblePlan`
    naming the service when some replica fits no allowed node type."""
    provider = types["provider"].tolist()
    provider_uuid = types["provider_uuid"].tolist()
    cap_cpu = types["cpu_mhz"].to_numpy(dtype=np.int64)
    cap_mem = types["memory_mb"].to_numpy(dtype=np.int64)
    n_types = len(types)

    # Which types each service may use (provider constraint) and how many replicas fit per node:
    # one mask per distinct provider list, the fits of every service at once (10,000 services).
    active = [(i, int(count)) for i, (s, count) in enumerate(zip(services, counts, strict=True)) if count > 0]
    specs = [services[i] for i, _ in active]
    masks: dict[tuple[str, ...], tuple[BoolArray, bytes]] = {}  # providers -> allowed types, as bytes too
    for s in specs:
        wanted = tuple(s.providers)
        if wanted not in masks:
            ok = np.asarray(
                [not wanted or matches_provider(wanted, p, u) for p, u in zip(provider, provider_uuid, strict=True)],
                dtype=bool,
            ).reshape(n_types)
            masks[wanted] = (ok, ok.tobytes())
    per = per_node(
        np.asarray([s.cpu_mhz for s in specs], dtype=np.int64),
        np.asarray([s.memory_mb for s in specs], dtype=np.int64),
        np.asarray([s.spread for s in specs], dtype=bool),
        cap_cpu,
        cap_mem,
    )
    allowed = np.asarray([masks[tuple(s.providers)][0] for s in specs], dtype=bool).reshape(len(specs), n_types)
    fits: list[bool] = ((allowed & (per > 0)).sum(axis=1) > 0).tolist()  # some allowed type holds one replica
    any_allowed: list[bool] = (allowed.sum(axis=1) > 0).tolist()
    rows: list[tuple[int, int, bool, BoolArray, bytes]] = []
    for (i, count), s, ok_any, fit in zip(active, specs, any_allowed, fits, strict=True):
        if s.providers and not ok_any:
            raise InfeasiblePlan(  # also the note of a per-provider alternative: name the service's providers
                f"service {s.name!r} may only run on {' or '.join(s.providers)}, "
                "and no candidate node type is from there"
            )
        ok, ok_bytes = masks[tuple(s.providers)]
        if not fit:
            largest = np.flatnonzero(ok)
            best_cpu = int(cap_cpu[largest].max()) if len(largest) else 0
            best_mem = int(cap_mem[largest].max()) if len(largest) else 0
            raise InfeasiblePlan(
                f"service {s.name!r}: one replica needs {s.cpu_mhz} MHz and {s.memory_mb} MB, but no allowed node "
                f"type offers both (largest usable: {best_cpu} MHz, {best_mem} MB after overhead and headroom)"
            )
        rows.append((i, count, bool(s.spread), ok, ok_bytes))

    # Group identical non-spread services with the same allowed types: one model variable each.
    members: list[list[int]] = []
    slot_of: dict[tuple[int, int, bytes], int] = {}
    for i, _, spread, _, allowed_key in rows:
        key = (services[i].cpu_mhz, services[i].memory_mb, allowed_key)
        if not spread and key in slot_of:
            members[slot_of[key]].append(i)
            continue
        if not spread:
            slot_of[key] = len(members)
        members.append([i])

    counts_of = {i: count for i, count, *_ in rows}
    ok_of = {i: ok for i, _, _, ok, _ in rows}
    cpu = np.asarray([services[m[0]].cpu_mhz for m in members], dtype=np.int64)
    mem = np.asarray([services[m[0]].memory_mb for m in members], dtype=np.int64)
    demand = np.asarray([sum(counts_of[i] for i in m) for m in members], dtype=np.int64)
    spread_of = np.asarray([services[m[0]].spread for m in members], dtype=bool)
    ok_matrix = np.asarray([ok_of[m[0]] for m in members], dtype=bool).reshape(len(members), n_types)
    per = per_node(cpu, mem, spread_of, cap_cpu, cap_mem)
    kmax = np.where(ok_matrix, np.minimum(per, np.maximum(demand, 1)[:, None]), 0).astype(np.int64)
    return Problem(
        cpu=cpu,
        mem=mem,
        demand=demand,
        spread=spread_of,
        cap_cpu=cap_cpu,
        cap_mem=cap_mem,
        price=types["price_units"].to_numpy(dtype=np.int64),
        kmax=kmax,
        type_ids=np.arange(n_types, dtype=np.int64),
        members=tuple(tuple(m) for m in members),
        max_pools=max_pools,
    )


def dominated_types(problem: Problem) -> BoolArray:
    """Types never needed: another type is no dearer, at least as large in both dimensions and
    allowed for every group the first one is (so swapping nodes over loses nothing, even under a
    pool cap). Ties keep the lower index."""
    p = problem.price
    c, m = problem.cap_cpu, problem.cap_mem
    allowed = problem.allowed.T  # [T, G]
    free = problem.free_mask()
    n = problem.n_types
    out = np.zeros(n, dtype=bool)
    idx = np.arange(n)
    for t in range(n):
        better = (p <= p[t]) & (c >= c[t]) & (m >= m[t]) & (free | ~free[t])
        better &= (allowed | ~allowed[t]).all(axis=1)  # allowed for every group t is allowed for
        strictly = (p < p[t]) | (c > c[t]) | (m > m[t]) | (idx < t)
        better &= strictly
        better[t] = False
        out[t] = bool(better.any())
    # Never prune every type (identical duplicates are resolved by index, so one survives).
    return out


@dataclass
class Packing:
    """Nodes (their type) and how many replicas of each group each node hosts."""

    types: IntArray  # [N]
    counts: IntArray  # [N, G]

    @classmethod
    def empty(cls, n_groups: int) -> Packing:
        return cls(np.zeros(0, dtype=np.int64), np.zeros((0, n_groups), dtype=np.int64))

    def copy(self) -> Packing:
        return Packing(self.types.copy(), self.counts.copy())

    @property
    def n_nodes(self) -> int:
        return len(self.types)

    def cost(self, problem: Problem) -> int:
        return int(problem.price[self.types].sum())

    def used(self, problem: Problem) -> tuple[IntArray, IntArray]:
        return self.counts @ problem.cpu, self.counts @ problem.mem

    def free(self, problem: Problem) -> tuple[IntArray, IntArray]:
        cpu, mem = self.used(problem)
        return problem.cap_cpu[self.types] - cpu, problem.cap_mem[self.types] - mem

    def placed(self) -> IntArray:
        placed: IntArray = self.counts.sum(axis=0)
        return placed

    def drop_empty(self) -> Packing:
        keep = self.counts.sum(axis=1) > 0
        return Packing(self.types[keep], self.counts[keep])

    def append(self, types: IntArray, counts: IntArray) -> Packing:
        return Packing(np.concatenate([self.types, types]), np.vstack([self.counts, counts]))

    def n_pools(self, problem: Problem) -> int:
        used = np.unique(self.types)
        return int((~problem.free_mask()[used]).sum())

    def is_valid(self, problem: Problem, demand: IntArray | None = None) -> bool:
        """Every node within capacity and kmax, every replica placed, pool cap kept."""
        want = problem.demand if demand is None else demand
        if self.n_nodes == 0:
            return bool((want == 0).all())
        cpu_free, mem_free = self.free(problem)
        ok = bool((cpu_free >= 0).all() and (mem_free >= 0).all())
        ok = ok and bool((self.counts <= problem.kmax[:, self.types].T).all()) and bool((self.counts >= 0).all())
        ok = ok and bool((self.placed() == want).all())
        if problem.max_pools is not None:
            ok = ok and self.n_pools(problem) <= problem.max_pools
        return ok
