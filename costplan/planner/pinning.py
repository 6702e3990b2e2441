"""Pinned plans: pool lists small enough that the platform's scheduler has no choice to randomise.

Nomad scores at most limit = max(2, ceil(log2 N)) fitting nodes per replica, N = every ready node
(`scheduler.limit`). When a service may use at most `limit` nodes, every node with room is scored,
so the replica goes to the node with the highest score (binpack, fullest after placement, averaged
with the job anti-affinity penalty), the shuffle only breaking exact ties. Such a plan is a
deterministic function of its pool lists and its submission order, which `replay` computes exactly
(the model's best-fit mode, with ties found instead of broken).

`pin` searches, with the replay in the loop, for pool lists (each at most `limit` nodes) and a
submission order under which the replay places every replica on the packing's own nodes, with no
tie between nodes that the rest of the submission tells apart (identical nodes that every later
service lists alike are harmless ties: either choice gives the same plan up to their names). Such
a plan lands on every run at the packing's cost. The search is a seeded local search with restarts
(pool lists start as the nodes each service is packed on; moves widen or change the failing
service's nodes, submit it earlier, take a node it needs from an earlier service's list, swap two
neighbours, or drop a node from a tie), bounded by an iteration count so that it is reproducible
(the deadline is only a ceiling). Where the packing's nodes alone are not enough, one extra node of
one of the cheapest fitting types is tried (it can also raise the limit: 16 -> 17 nodes is 4 -> 5).

A service packed on more nodes than the limit (`wide`) cannot be pinned. Its identical replicas
take one slot each wherever the shuffle puts them, so it lands exactly when its nodes have slots
for all of them, and its placement is fixed when they have no more than that. `pin_lists` (any
number of nodes, no search) lists wide services on all their nodes and submits them
last, largest replicas first: the replay checks their slots and flags a later service that
lists a node where a wide service's random placement decides the room.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from costplan.models import ServiceSpec
from costplan.planner.capacity import eligible_matrix, eligible_types
from costplan.planner.layout import Layout
from costplan.planner.scheduler import limit

IntArray = npt.NDArray[np.int64]

CHUNK = 1000  # iterations of one restart (short restarts find pinned plans more often than long ones)
RESTARTS = 12  # restarts per set of nodes (medium-1: 6 left +3.54 % over its optimal packing, 12 and 24 +0.72 %)
EXTRA_TYPES = 3  # node types tried for the one extra node
BASE_SHARE = 0.7  # of the search's time, for the packing's nodes alone (medium-0 lands with one more)
MAX_NODES = 200  # larger plans get `pin_lists`, without the search (a replay costs 12-20 ms at 557 nodes)
TIE = 1e-9  # scores closer than this are a tie (the platform's shuffle breaks it)
OVERFLOW_ROUNDS = 4  # `pin_lists`: rounds of overflow nodes for what the replay leaves unplaced


@dataclass(frozen=True)
class Replay:
    """One deterministic replay: what is left per service, the risky ties, replicas per service and node."""

    missing: tuple[int, ...]  # per service
    ties: tuple[tuple[int, tuple[int, ...]], ...]  # (service, tied nodes) that the future tells apart
    spread_shared: int  # replicas of spread services beyond one per node
    room: dict[int, tuple[int, ...]]  # failing service -> nodes it may not use that had room for it
    lists: _Flat = field(compare=False, repr=False)  # the pool lists replayed
    counts: IntArray = field(compare=False, repr=False)  # replicas per entry of `lists`

    @property
    def lands(self) -> bool:
        return not any(self.missing)

    @cached_property
    def placed(self) -> tuple[dict[int, int], ...]:
        """Per service: node -> replicas."""
        return tuple(
            {n: k for n, k in zip(nodes, counts, strict=True) if k}
            for nodes, counts in zip(self.lists.split(self.lists.idx), self.lists.split(self.counts), strict=True)
        )


@dataclass(frozen=True)
class Pinned:
    """A pinned plan: node-type row per node, the nodes each service may use, the submission order."""

    node_types: tuple[int, ...]
    allowed: tuple[tuple[int, ...], ...]  # per service, node indexes
    order: tuple[int, ...]
    replay: Replay
    extra: int  # nodes added to the packing's


def warm_up() -> None:
    """Load the compiled replay now (its first compile takes ~5 s), before anything is timed."""
    replay(
        [1000], [1024], [ServiceSpec(name="warm-up", count_min=1, count_max=1, cpu_mhz=100, memory_mb=64)], [[0]], [0]
    )


def replay(
    cap_cpu: Sequence[int],
    cap_mem: Sequence[int],
    specs: Sequence[ServiceSpec],
    allowed: Sequence[Sequence[int]],
    order: Sequence[int],
    fits: Sequence[Sequence[int]] = (),
    wide: frozenset[int] = frozenset(),
) -> Replay:
    """The scheduler model's placement when every service is scored on all its nodes (module docstring):
    per replica the node with room and the highest score; a tie is recorded unless the tied nodes have
    the same capacity, free room, replicas of the service and list membership for every service still
    to come (then the choice does not matter). The first replica that fits nowhere stops its service;
    `fits[s]` (optional): the nodes it could use, to report those that had room when it failed.

    A `wide` service (more nodes than the limit: module docstring) is placed at random by the
    platform, so it lands exactly when the slots on its nodes cover its replicas; its replicas are
    put anywhere here (nodes no later service lists first), and a later service listing one of its
    nodes (other than an identical wide service with the same list, which only needs the remaining
    slots) is a risky tie. Compiled: `pinned_walk.replay`."""
    return _Specs(specs, wide).replay(cap_cpu, cap_mem, allowed, order, fits)


@dataclass(frozen=True)
class _Flat:
    """Lists flattened for the compiled replay: `idx[ptr[s]:ptr[s + 1]]` are service s's nodes."""

    ptr: IntArray
    idx: IntArray

    @classmethod
    def of(cls, lists: Sequence[Sequence[int]]) -> _Flat:
        ptr = np.fromiter(itertools.accumulate(map(len, lists), initial=0), np.int64, len(lists) + 1)
        return cls(ptr, np.fromiter(itertools.chain.from_iterable(lists), np.int64, int(ptr[-1])))

    def split(self, values: npt.NDArray[Any]) -> list[list[Any]]:
        flat, ptr = values.tolist(), self.ptr.tolist()
        return [flat[a:b] for a, b in zip(ptr[:-1], ptr[1:], strict=True)]


class _Specs:
    """The services' sizes as arrays, built once for the many replays of a search."""

    def __init__(self, specs: Sequence[ServiceSpec], wide: frozenset[int]) -> None:
        self.specs, self.wide = specs, wide
        self.want = np.array([s.count_min for s in specs], np.int64)
        self.cpu = np.array([s.cpu_mhz for s in specs], np.int64)
        self.mem = np.array([s.memory_mb for s in specs], np.int64)
        self.spread = np.array([s.spread for s in specs], np.bool_)
        from costplan.planner import pinned_walk  # numba loads only where pinning runs

        self.kernel = pinned_walk.replay  # looked up once, not per replay (a search runs thousands)

    def replay(
        self,
        cap_cpu: Sequence[int],
        cap_mem: Sequence[int],
        allowed: Sequence[Sequence[int]],
        order: Sequence[int],
        fits: Sequence[Sequence[int]] | _Flat = (),
    ) -> Replay:
        kind = np.full(len(self.specs), -1, np.int64)
        kinds: dict[tuple[object, ...], int] = {}
        for s in sorted(self.wide):  # identical wide services on the same list share a kind
            spec = self.specs[s]
            kind[s] = kinds.setdefault((spec.cpu_mhz, spec.memory_mb, tuple(allowed[s])), len(kinds))
        lists = _Flat.of(allowed)
        fit = fits if isinstance(fits, _Flat) else _Flat.of(fits or [()] * len(self.specs))
        placed, missing, room, tie_s, tie_ptr, tie_nodes, shared = self.kernel(
            np.asarray(cap_cpu, np.int64),
            np.asarray(cap_mem, np.int64),
            self.want,
            self.cpu,
            self.mem,
            self.spread,
            kind,
            np.asarray(order, np.int64),
            lists.ptr,
            lists.idx,
            fit.ptr,
            fit.idx,
            TIE,
        )
        nodes, bounds = tie_nodes.tolist(), tie_ptr.tolist()
        ties = tuple((s, tuple(nodes[a:b])) for s, a, b in zip(tie_s.tolist(), bounds[:-1], bounds[1:], strict=True))
        fit_ptr = fit.ptr.tolist()
        had_room = {
            s: tuple(fit.idx[fit_ptr[s] : fit_ptr[s + 1]][room[fit_ptr[s] : fit_ptr[s + 1]]].tolist())
            for s in np.flatnonzero(missing).tolist()
        }
        return Replay(tuple(missing.tolist()), ties, int(shared), had_room, lists, placed)


class _Search:
    """The local search over pool lists and submission order, for one set of nodes."""

    def __init__(
        self,
        types: pd.DataFrame,
        specs: Sequence[ServiceSpec],
        node_types: Sequence[int],
        wide: frozenset[int] = frozenset(),
        *,
        moves: bool = True,
    ) -> None:
        """`moves`: the search will move services to other nodes, so it needs every node each may
        use (`fits`: services x nodes entries, the bulk of the memory beyond MAX_NODES)."""
        self.specs, self.node_types, self.wide = specs, list(node_types), wide
        self.cap_cpu = types["cpu_mhz"].to_numpy(dtype=np.int64)[self.node_types]
        self.cap_mem = types["memory_mb"].to_numpy(dtype=np.int64)[self.node_types]
        self.limit = limit(len(self.node_types))
        self.fits = [
            search_fits(types, spec, self.node_types) if moves and spec.count_min > 0 else [] for spec in specs
        ]
        big_cpu, big_mem = max(self.cap_cpu), max(self.cap_mem)
        self.weight = np.array([s.cpu_mhz / big_cpu + s.memory_mb / big_mem for s in specs])
        self.arrays, self.flat_fits = _Specs(specs, wide), _Flat.of(self.fits)

    def judge(self, allowed: list[list[int]], order: list[int]) -> tuple[tuple[float, int, int], Replay]:
        done = self.arrays.replay(self.cap_cpu, self.cap_mem, allowed, order, self.flat_fits)
        left = round(float(np.dot(done.missing, self.weight)), 9)
        return (left, len(done.ties), done.spread_shared), done

    def run(
        self, allowed: list[list[int]], order: list[int], rng: random.Random, iterations: int, deadline: float
    ) -> tuple[tuple[float, int, int], list[list[int]], list[int], Replay]:
        score, done = self.judge(allowed, order)
        best = (score, allowed, order, done)
        for it in range(iterations):
            if score[:2] == (0.0, 0) or (it % 64 == 0 and time.monotonic() > deadline):
                break
            moved = self.move(allowed, order, done, rng)
            if moved is None:
                continue
            new_score, new_done = self.judge(*moved)
            if new_score <= score:
                score, (allowed, order), done = new_score, moved, new_done
                if score < best[0]:
                    best = (score, allowed, order, done)
        return best

    def move(
        self, allowed: list[list[int]], order: list[int], done: Replay, rng: random.Random
    ) -> tuple[list[list[int]], list[int]] | None:
        lists, order = [list(a) for a in allowed], list(order)
        failing = [s for s in order if done.missing[s]]
        if not failing and done.ties:  # only risky ties: drop a tied node, or submit the service elsewhere
            s, nodes = done.ties[0] if rng.random() < 0.7 else rng.choice(done.ties)
            if rng.random() < 0.5 and len(lists[s]) > 1:
                lists[s].remove(rng.choice(nodes))
            else:
                order.remove(s)
                order.insert(rng.randrange(len(order) + 1), s)
            return lists, order
        s = (failing[0] if rng.random() < 0.7 else rng.choice(failing)) if failing else rng.randrange(len(order))
        kind = rng.random()
        if kind < 0.35:  # another node for it (one of its nodes out when it has `limit`)
            other = [n for n in done.room.get(s, ()) if n not in lists[s]]
            if not other or rng.random() < 0.2:
                other = [n for n in self.fits[s] if n not in lists[s]]
            if not other:
                return None
            if len(lists[s]) >= self.limit:
                lists[s].remove(rng.choice(lists[s]))
            lists[s].append(rng.choice(other))
        elif kind < 0.55:  # submitted earlier
            i = order.index(s)
            if i == 0:
                return None
            order.insert(rng.randrange(i), order.pop(i))
        elif kind < 0.8:  # an earlier service that took room on its nodes loses (or swaps) that node
            i = order.index(s)
            mine = set(lists[s])
            takers = [(t, n) for t in order[:i] for n in lists[t] if n in mine and done.placed[t].get(n, 0)]
            if not takers:
                return None
            t, n = rng.choice(takers)
            lists[t].remove(n)
            other = [x for x in self.fits[t] if x not in lists[t] and x != n]
            if other and (not lists[t] or rng.random() < 0.5):
                lists[t].append(rng.choice(other))
            if not lists[t]:
                return None
        else:  # two neighbours swap
            i = rng.randrange(max(len(order) - 1, 1))
            order[i : i + 2] = order[i : i + 2][::-1]
        return lists, order


def pin(
    types: pd.DataFrame, specs: Sequence[ServiceSpec], layout: Layout, *, seed: int, deadline: float
) -> Pinned | None:
    """A pinned plan on the packing's nodes (or with one extra node) whose replay lands with no risky
    tie, else the best found whose replay lands (risky ties left: the Monte Carlo estimate judges it),
    else `pin_lists` (module docstring); None for a single node. Beyond MAX_NODES nodes: `pin_lists`,
    without the search."""
    n_nodes = len(layout.types)
    if n_nodes > MAX_NODES:
        return pin_lists(types, specs, layout, wide=wide(layout))
    if n_nodes <= 1:
        return None
    base = [int(t) for t in layout.types]
    search = _Search(types, specs, base)
    allowed = _packed_lists(specs, layout, search.limit, frozenset())
    order = _first_order(specs, allowed, frozenset())
    price = types["price_units"].to_numpy(dtype=np.int64)
    now = time.monotonic()  # the packing's nodes alone get BASE_SHARE of the time: the rest is for one extra node
    tried = [(_restarts(search, allowed, order, seed, 0, now + BASE_SHARE * max(0.0, deadline - now)), search, 0)]
    first = tried[0][0]
    if first[0][:2] != (0.0, 0):
        for t in _extra_types(types, specs, first[3], search.limit, n_nodes):
            if time.monotonic() > deadline:
                break
            grown = _Search(types, specs, [*base, t])
            lists = [list(a) for a in first[1]]
            for s in (s for s in range(len(specs)) if first[3].missing[s] and n_nodes in grown.fits[s]):
                if len(lists[s]) >= grown.limit:
                    lists[s].pop()
                lists[s].append(n_nodes)
            tried.append((_restarts(grown, lists, list(first[2]), seed, 1 + t, deadline), grown, int(price[t])))
            if tried[-1][0][0][:2] == (0.0, 0):
                break
    landing = [x for x in tried if x[0][0][0] == 0.0]
    if not landing:  # the packing's own lists, with overflow nodes for what their replay leaves
        return pin_lists(types, specs, layout, wide=wide(layout))
    # No risky tie first (the cheapest such), else the fewest risky ties.
    (score, lists, order, done), search, _ = min(landing, key=lambda x: (x[0][0][1] > 0, x[0][0][1], x[2]))
    return _result(types, specs, search, lists, order, done, n_nodes)


def pin_lists(
    types: pd.DataFrame,
    specs: Sequence[ServiceSpec],
    layout: Layout,
    *,
    wide: set[int],
) -> Pinned:
    """Pinned lists on `layout`'s nodes for any number of nodes, `wide` services (more nodes than
    the limit) listed on all their nodes and submitted last, largest replicas first (module
    docstring). No search (measured at 557 nodes: 2,000 iterations took 30 s and still left
    hundreds of replicas unplaced); the replay may leave some unplaced: the caller's estimate judges."""
    apart = frozenset(wide)
    node_types = [int(t) for t in layout.types]
    search = _Search(types, specs, node_types, apart, moves=False)
    allowed = _packed_lists(specs, layout, search.limit, apart)
    order = _first_order(specs, allowed, apart, (max(search.cap_cpu), max(search.cap_mem)))
    _, done = search.judge(allowed, order)
    for _ in range(OVERFLOW_ROUNDS):  # the replicas the replay leaves unplaced get overflow nodes
        if done.lands:
            break
        overflow = overflow_nodes(types, specs, done.missing)
        lists = [list(a) for a in allowed]
        for i, (_, hosted) in enumerate(overflow):
            for s in hosted:
                lists[s].append(len(node_types) + i)
        grown = _Search(types, specs, node_types + [t for t, _ in overflow], apart, moves=False)
        _, again = grown.judge(lists, order)
        if sum(again.missing) >= sum(done.missing):
            break
        node_types, search, allowed, done = grown.node_types, grown, lists, again
    return _result(types, specs, search, allowed, order, done, len(layout.types))


def overflow_nodes(
    types: pd.DataFrame, specs: Sequence[ServiceSpec], missing: Sequence[int]
) -> list[tuple[int, set[int]]]:
    """New nodes (type, services listing it) for `missing[s]` replicas of each service: first fit,
    largest replicas first, spread services one per node; a node is opened of the type with the least
    price per share it covers of the CPU and memory still unplaced (the last nodes cover what is
    left, so they are smaller). Replicas no node type fits are left out."""
    failing = [s for s, k in enumerate(missing) if k]
    cap_cpu = types["cpu_mhz"].to_numpy(dtype=np.int64)
    cap_mem = types["memory_mb"].to_numpy(dtype=np.int64)
    price = types["price_units"].to_numpy(dtype=np.float64)
    need_cpu = sum(missing[s] * specs[s].cpu_mhz for s in failing)  # what is still unplaced
    need_mem = sum(missing[s] * specs[s].memory_mb for s in failing)
    eligible = dict(zip(failing, eligible_matrix(types, [specs[s] for s in failing]), strict=True))
    big_cpu, big_mem = int(cap_cpu.max()), int(cap_mem.max())
    size = {s: specs[s].cpu_mhz / big_cpu + specs[s].memory_mb / big_mem for s in failing}
    nodes: list[tuple[int, set[int]]] = []
    free: list[list[int]] = []
    for s in sorted(failing, key=lambda s: (-size[s], s)):
        spec = specs[s]
        for _ in range(missing[s]):
            spot = next(
                (
                    i
                    for i, (t, hosted) in enumerate(nodes)
                    if eligible[s][t]
                    and free[i][0] >= spec.cpu_mhz
                    and free[i][1] >= spec.memory_mb
                    and not (spec.spread and s in hosted)
                ),
                None,
            )
            if spot is None:
                fits = eligible[s] & (cap_cpu >= spec.cpu_mhz) & (cap_mem >= spec.memory_mb)
                if not fits.any():
                    break
                cover = np.minimum(1.0, np.minimum(cap_cpu / max(need_cpu, 1), cap_mem / max(need_mem, 1)))
                t = int(np.argmin(np.where(fits, price / np.maximum(cover, 1e-9), np.inf)))
                nodes.append((t, set()))
                free.append([int(cap_cpu[t]), int(cap_mem[t])])
                spot = len(nodes) - 1
            nodes[spot][1].add(s)
            free[spot][0] -= spec.cpu_mhz
            free[spot][1] -= spec.memory_mb
            need_cpu, need_mem = need_cpu - spec.cpu_mhz, need_mem - spec.memory_mb
    return nodes


def _packed_lists(
    specs: Sequence[ServiceSpec], layout: Layout, limit_now: int, wide: frozenset[int]
) -> list[list[int]]:
    """Each service's nodes in the packing, most replicas first, at most `limit_now`; a wide
    service lists every node of the wide services identical to it (one list: the slots add up)."""
    lists = [
        sorted(np.flatnonzero(layout.counts[s]).tolist(), key=lambda n: (-int(layout.counts[s, n]), n))
        for s in range(len(specs))
    ]
    same: dict[tuple[object, ...], set[int]] = {}
    for s in wide:
        same.setdefault(_kind(specs[s], s), set()).update(lists[s])
    return [sorted(same[_kind(specs[s], s)]) if s in wide else nodes[:limit_now] for s, nodes in enumerate(lists)]


def _kind(spec: ServiceSpec, s: int) -> tuple[object, ...]:
    return (spec.cpu_mhz, spec.memory_mb, spec.providers, s if spec.spread else -1)


def _first_order(
    specs: Sequence[ServiceSpec], allowed: list[list[int]], wide: frozenset[int], largest: tuple[int, int] = (1, 1)
) -> list[int]:
    """Services on one node first (their place is fixed), then by nodes used, largest memory first;
    wide services last, largest replicas (relative to the `largest` node) first, identical ones together."""
    narrow = sorted(
        (s for s in range(len(specs)) if s not in wide), key=lambda s: (len(allowed[s]), -specs[s].memory_mb, s)
    )
    size = {s: specs[s].cpu_mhz / largest[0] + specs[s].memory_mb / largest[1] for s in wide}
    return narrow + sorted(wide, key=lambda s: (-size[s], _kind(specs[s], s), s))


def _result(
    types: pd.DataFrame,
    specs: Sequence[ServiceSpec],
    search: _Search,
    lists: list[list[int]],
    order: list[int],
    done: Replay,
    n_nodes: int,
) -> Pinned:
    node_types = tuple(search.node_types)
    allowed_out = tuple(
        tuple(lists[s]) if specs[s].count_min > 0 else tuple(search_fits(types, specs[s], node_types))
        for s in range(len(specs))
    )
    return Pinned(node_types, allowed_out, tuple(order), done, len(node_types) - n_nodes)


def wide(layout: Layout) -> set[int]:
    """The services packed on more nodes than the scheduler scores (`scheduler.limit`): not pinnable."""
    spans = (layout.counts > 0).sum(axis=1)
    return {int(s) for s in np.flatnonzero(spans > limit(len(layout.types)))}


def search_fits(types: pd.DataFrame, spec: ServiceSpec, node_types: Sequence[int]) -> list[int]:
    """Every node the service may use (for services with no baseline replica: their peak pools)."""
    return np.flatnonzero(eligible_types(types, spec)[list(node_types)]).tolist()


def _restarts(
    search: _Search, allowed: list[list[int]], order: list[int], seed: int, stream: int, deadline: float
) -> tuple[tuple[float, int, int], list[list[int]], list[int], Replay]:
    best = None
    for r in range(RESTARTS):
        found = search.run(allowed, order, random.Random(f"{seed}-{stream}-{r}"), CHUNK, deadline)
        if best is None or found[0] < best[0]:
            best = found
        if best[0][:2] == (0.0, 0) or time.monotonic() > deadline:
            break
    assert best is not None
    return best


def _extra_types(
    types: pd.DataFrame, specs: Sequence[ServiceSpec], done: Replay, limit_now: int, n_nodes: int
) -> list[int]:
    """Node types for one extra node, cheapest first: those that can host a replica of a service the
    replay leaves unplaced, and (when one more node raises the limit) the cheapest type any service may use."""
    price = types["price_units"].to_numpy(dtype=np.int64)
    failing = [s for s, k in enumerate(done.missing) if k] or [s for s, _ in done.ties]
    hosts = np.flatnonzero(np.logical_or.reduce([eligible_types(types, specs[s]) for s in failing])).tolist()
    out = sorted(hosts, key=lambda t: (int(price[t]), t))[:EXTRA_TYPES]
    if limit(n_nodes + 1) > limit_now:
        baseline = [eligible_types(types, s) for s in specs if s.count_min > 0]
        usable = np.flatnonzero(np.logical_or.reduce(baseline)).tolist() if baseline else []
        if usable:
            out = sorted({*out, min(usable, key=lambda t: (int(price[t]), t))}, key=lambda t: (int(price[t]), t))
    return out[:EXTRA_TYPES]
