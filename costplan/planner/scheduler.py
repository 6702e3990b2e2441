"""The scheduler model: where the platform puts replicas, and how sure a plan can be that they land.

LayerOps speaks Nomad's vocabulary (MHz, MB, `placementFailure`, `dimensionExhausted`), so the model
is Nomad's service scheduler, read from hashicorp/nomad at commit
aa026cc99cfb74a77e519a1c1f0c78ba1b452705 (`scheduler/feasible/{stack,feasible,rank,select}.go`,
`nomad/structs/funcs.go`, `scheduler/generic_sched.go`; ../shared/layerops/SCHEDULER.md). One service
is one job with one task group; its replicas are placed in ONE evaluation when it is submitted, the
services one after another in submission order, each evaluation seeing what the ones before reserved.

Per evaluation (mode "nomad"):
- **Shuffle** (`GenericStack.SetNodes`, `ShuffleNodes`): the ready nodes in a fresh random order.
- **Limit** = max(2, ceil(log2 N)), N = every ready node, not only those the service may use.
- **Walk** (`StaticIterator`): the shuffled list from an offset that persists across the replicas of
  the evaluation (wrapping, at most N nodes per replica). Nodes outside the service's pools
  (`constraints.instancePoolUuids`) or without room (`AllocsFit`: used + ask <= capacity after the
  node's own reservation) are passed over and do not count toward the limit. Only the order of the
  eligible nodes matters, so the model shuffles those and walks them (the same distribution).
- **Score** (`BinPackIterator`, `ScoreFitBinPack`): clamp(20 - (10^freeCpu + 10^freeMem), 0, 18) / 18,
  the free shares after adding the replica; `JobAntiAffinityIterator` appends -(c+1)/desiredCount
  when the node already holds c > 0 replicas of the service; `ScoreNormalizationIterator` averages.
  Anti-affinity is soft: no LayerOps field is known to carry `distinct_hosts`, so `spread` is only
  measured (`Landing.spread_kept`), never enforced.
- **Choose** (`LimitIterator`, `MaxScoreIterator`): the first `limit` options, skipping up to 3 whose
  score is <= 0 (used only if the walk runs out); the first strict maximum wins.
- **Fail** (`computePlacements`): the first replica that fits nowhere fails the task group; the
  service's remaining replicas are not attempted. Preemption is off for service jobs.

Mode "best-fit" is the deterministic comparison: every eligible node is scored (no shuffle, no
limit), same score, ties to the first node in plan order.

Autoscaling (the contract both the planner and the emulator follow): when a service's replicas do
not all land, the FIRST pool in its pool list with room (count < countMax) whose empty node could
host one replica grows by one node, and the blocked service is evaluated again (a new evaluation,
a new shuffle) for its missing replicas; a blocked service is also evaluated again first when nodes
were added since it failed (new capacity unblocks it). Until all land or no pool can grow.

`estimate` runs seeded evaluations (run r draws from `numpy.random.default_rng([seed, r])`, so a
run is the same whatever the run count); the walk itself is compiled (`nomad_walk`), no solver.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import numpy.typing as npt

from costplan.models import ServiceSpec
from costplan.plans import (
    Node,
    PlacementEstimate,
    Plan,
    PlannedPool,
    from_units,
    matches_provider,
    submission_key,
    to_units,
)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

SOURCE = "hashicorp/nomad@aa026cc99cfb74a77e519a1c1f0c78ba1b452705 scheduler/feasible, nomad/structs/funcs.go"
MODES = ("nomad", "best-fit")
MAX_SKIP = 3  # stack.go maxSkip
SKIP_THRESHOLD = 0.0  # stack.go skipScoreThreshold
MAX_FIT = 18.0  # rank.go binPackingMaxFitScore
_NO_NODES = np.zeros(0, dtype=np.int64)
SHUFFLE_BLOCK = 4096  # uniform keys a run draws at a time (`Shuffles`)
CONFIDENCE = 0.95
BEST_FIT_METHOD = (
    "the scheduler model's deterministic best-fit mode: services in submission order, each restricted to its "
    "pools; each replica on the node with room and the highest Nomad score (binpack averaged with the job "
    "anti-affinity penalty) over every eligible node, ties to the first node in plan order, spread services on "
    "distinct nodes (the planner's packing rule; the platform does not enforce it); the first replica that "
    "fits nowhere stops its service"
)
METHOD = (
    "Nomad's service scheduler (" + SOURCE + "): per service one evaluation over the ready nodes shuffled, "
    "at most max(2, ceil(log2 N)) fitting candidates from a persistent offset, binpack score averaged with the "
    "job anti-affinity penalty, up to 3 non-positive scores skipped, first maximum wins, the first replica that "
    "fits nowhere stops the service; services in submission order, each restricted to its pools"
)


@dataclass(frozen=True)
class Pool:
    """A pool as the scheduler and the autoscaler see it: one node's usable capacity, its price."""

    name: str
    cpu_mhz: int  # usable per node, after the node's own reservation
    memory_mb: int
    price_units: int = 0  # monthly price of one node, in 1/10 000 money units (`plans.to_units`)
    room: int = 0  # nodes it may still grow by: count_max - nodes now
    provider: str = ""
    provider_uuid: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cluster:
    """Nodes and services as the scheduler sees them.

    `node_pool[n]` is node n's pool (an index into `pools`); a node's capacity is its pool's.
    `service_pools[s]` lists, in order, the pools service s may use (what the provisioner sends as
    `constraints.instancePoolUuids`; the autoscaler grows the first one that can host a replica).
    """

    pools: tuple[Pool, ...]
    node_pool: IntArray  # [N]
    names: tuple[str, ...]  # [S]
    cpu: IntArray  # [S] per replica
    mem: IntArray  # [S]
    spread: BoolArray  # [S]
    service_pools: tuple[tuple[int, ...], ...]  # [S]
    # [S] Nomad's `distinct_hosts` constraint (`DistinctHostsIterator`): a node holding a replica of
    # the service is infeasible for another. No LayerOps field is known to send it, so a plan's model
    # leaves it off; the planner's own packing rules may switch it on for spread services.
    distinct_hosts: BoolArray | None = None

    @cached_property
    def cap_cpu(self) -> IntArray:
        return np.asarray([p.cpu_mhz for p in self.pools], dtype=np.int64)[self.node_pool]

    @cached_property
    def cap_mem(self) -> IntArray:
        return np.asarray([p.memory_mb for p in self.pools], dtype=np.int64)[self.node_pool]

    @property
    def n_nodes(self) -> int:
        return len(self.node_pool)

    @property
    def n_services(self) -> int:
        return len(self.names)

    def eligible_nodes(self, s: int) -> BoolArray:
        """[N] the nodes service s may use (its pool constraint)."""
        mask = np.zeros(self.n_nodes, dtype=bool)
        mask[self.nodes_of(s)] = True
        return mask

    def nodes_of(self, s: int) -> IntArray:
        """The nodes service s may use, ascending: O(its nodes), not O(N) (10,000 pinned services)."""
        pools = self.service_pools[s]
        if len(pools) == 1:
            return self._pool_nodes[pools[0]]
        out: IntArray = np.sort(np.concatenate([self._pool_nodes[p] for p in pools])) if pools else _NO_NODES
        return out

    @cached_property
    def _pool_nodes(self) -> list[IntArray]:
        order = np.argsort(self.node_pool, kind="stable")
        bounds = np.searchsorted(self.node_pool[order], np.arange(len(self.pools) + 1))
        return [order[bounds[p] : bounds[p + 1]] for p in range(len(self.pools))]

    @cached_property
    def eligible(self) -> BoolArray:
        """[S, N] the pool constraint of every service."""
        if not self.names:
            return np.zeros((0, self.n_nodes), dtype=bool)
        return np.stack([self.eligible_nodes(s) for s in range(self.n_services)])

    def index(self, name: str) -> int:
        return self.names.index(name)

    def with_nodes(self, pools: Sequence[int]) -> Cluster:
        """The same cluster with one more node of each of `pools` (appended: newest last)."""
        return replace(self, node_pool=np.concatenate([self.node_pool, np.asarray(pools, dtype=np.int64)]))


def may_host(spec: ServiceSpec, pool: Pool) -> bool:
    """The planner's eligibility rule: the service's providers and tags (as `plans.may_use`)."""
    if spec.providers and not matches_provider(spec.providers, pool.provider, pool.provider_uuid):
        return False
    return set(spec.tags) <= set(pool.tags)


def make_cluster(
    services: Sequence[ServiceSpec],
    pools: Sequence[Pool],
    node_pool: Sequence[int] | IntArray,
    service_pools: Sequence[Sequence[int]] | None = None,
    *,
    distinct_hosts: bool = False,
) -> Cluster:
    """A `Cluster`; without `service_pools`, each service may use the pools `may_host` allows, in pool
    order. `distinct_hosts`: spread services get Nomad's distinct-hosts constraint."""
    if service_pools is None:
        service_pools = [[p for p, pool in enumerate(pools) if may_host(spec, pool)] for spec in services]
    return Cluster(
        pools=tuple(pools),
        node_pool=np.asarray(node_pool, dtype=np.int64).reshape(-1),
        names=tuple(s.name for s in services),
        cpu=np.asarray([s.cpu_mhz for s in services], dtype=np.int64).reshape(-1),
        mem=np.asarray([s.memory_mb for s in services], dtype=np.int64).reshape(-1),
        spread=np.asarray([s.spread for s in services], dtype=bool).reshape(-1),
        service_pools=tuple(tuple(int(p) for p in sp) for sp in service_pools),
        distinct_hosts=np.asarray([s.spread for s in services], dtype=bool).reshape(-1) if distinct_hosts else None,
    )


@dataclass(frozen=True)
class PlanView:
    """A saved plan as the scheduler sees it: judged from the plan JSON alone."""

    cluster: Cluster
    order: tuple[int, ...]  # service indexes in submission order
    count_min: IntArray  # [S]
    count_max: IntArray  # [S]
    nodes: tuple[Node, ...]  # the cluster's nodes, in its node order (their replicas are `counts`)

    @cached_property
    def counts(self) -> IntArray:
        """[S, N] the replicas the plan shows on each node; built on first read: at 10,000 services x
        16,000 nodes it is 1.3 GB, and the placement checks and the estimate never read it."""
        names = {name: s for s, name in enumerate(self.cluster.names)}
        cells = [
            (names[r.service], n) for n, node in enumerate(self.nodes) for r in node.replicas if r.service in names
        ]
        counts = np.zeros((self.cluster.n_services, self.cluster.n_nodes), dtype=np.int64)
        np.add.at(counts, tuple(np.asarray(cells, dtype=np.int64).reshape(-1, 2).T), 1)
        return counts


def from_plan(plan: Plan, *, peak: bool = False, distinct_hosts: bool = False) -> PlanView:
    """The plan's nodes (or its peak nodes), pools, `Plan.pools_of` and `Plan.ordered_services()`.

    A pool's room is count_max minus its nodes in that list; pool names a service lists that the
    plan does not have are ignored here (`verify` reports them)."""
    nodes = plan.peak.nodes if peak and plan.peak is not None else plan.nodes
    index = {p.name: i for i, p in enumerate(plan.pools)}
    kept = tuple(n for n in nodes if n.pool in index)
    node_pool = [index[n.pool] for n in kept]
    per_pool = np.bincount(np.asarray(node_pool, dtype=np.int64), minlength=len(plan.pools))
    pools = [_pool(p, int(per_pool[i])) for i, p in enumerate(plan.pools)]
    service_pools = [[index[name] for name in plan.pools_of(s.name) if name in index] for s in plan.services]
    cluster = make_cluster(plan.services, pools, node_pool, service_pools, distinct_hosts=distinct_hosts)
    names = {s.name: i for i, s in enumerate(plan.services)}
    order = tuple(names[s.name] for s in plan.ordered_services())
    return PlanView(
        cluster=cluster,
        order=order,
        count_min=np.asarray([s.count_min for s in plan.services], dtype=np.int64),
        count_max=np.asarray([s.count_max for s in plan.services], dtype=np.int64),
        nodes=kept,
    )


def _pool(p: PlannedPool, nodes: int) -> Pool:
    return Pool(
        name=p.name,
        cpu_mhz=p.cpu_mhz,
        memory_mb=p.memory_mb,
        price_units=to_units(p.unit_monthly_price),
        room=max(0, p.count_max - nodes),
        provider=p.provider,
        provider_uuid=p.provider_uuid,
        tags=tuple(p.tags),
    )


def submission_indexes(services: Sequence[ServiceSpec], cluster: Cluster) -> list[int]:
    """Service indexes in the provisioner's default submission order (`plans.submission_key` over
    these nodes), for layouts that have no plan yet."""
    largest = (int(cluster.cap_cpu.max(initial=1)), int(cluster.cap_mem.max(initial=1)))
    return sorted(
        range(len(services)),
        key=lambda s: submission_key(
            services[s].cpu_mhz,
            services[s].memory_mb,
            services[s].name,
            largest,
            pinned=bool(services[s].providers),
            spread=services[s].spread,
        ),
    )


def limit(n_ready: int) -> int:
    """How many fitting options a service evaluation scores (`GenericStack.SetNodes`)."""
    return max(2, math.ceil(math.log2(n_ready))) if n_ready > 0 else 2


# -- one Select, literally (the reference the compiled walk is tested against) -----------------


def limit_options(
    scores: Sequence[float | None],
    offset: int,
    limit: int,
    *,
    max_skip: int = MAX_SKIP,
    threshold: float = SKIP_THRESHOLD,
) -> tuple[list[int], int]:
    """The options `LimitIterator` returns, in order, over a `StaticIterator` walk of `scores` from
    `offset` (None: the node is filtered out), and the walk's offset afterwards. A port of select.go."""
    return _limit(scores.__getitem__, len(scores), offset, limit, max_skip=max_skip, threshold=threshold)


def _limit(
    score_at: Callable[[int], float | None],
    n: int,
    offset: int,
    limit: int,
    *,
    max_skip: int = MAX_SKIP,
    threshold: float = SKIP_THRESHOLD,
) -> tuple[list[int], int]:
    """`limit_options` over positions 0..n-1 whose scores `score_at` computes when the walk gets there."""
    state = {"offset": offset, "seen": 0}
    known: dict[int, float] = {}

    def source() -> int | None:  # StaticIterator.Next, then the filters (infeasible nodes passed over)
        while True:
            if state["offset"] == n or state["seen"] == n:
                if state["seen"] != n:
                    state["offset"] = 0
                else:
                    return None
            i = state["offset"]
            state["offset"] += 1
            state["seen"] += 1
            value = score_at(i)
            if value is not None:
                known[i] = value
                return i

    seen, skipped_index = 0, 0
    skipped: list[int] = []
    out: list[int] = []

    def next_option() -> int | None:
        nonlocal skipped_index
        option = source()
        if option is None and skipped_index < len(skipped):
            option = skipped[skipped_index]
            skipped_index += 1
        return option

    while seen != limit:
        option = next_option()
        if option is None:
            break
        if len(skipped) < max_skip:
            while option is not None and known[option] <= threshold and len(skipped) < max_skip:
                skipped.append(option)
                option = source()
        seen += 1
        if option is None:
            option = next_option()
            if option is None:
                break
        out.append(option)
    return out, state["offset"] % n if n else 0


def nomad_select(scores: Sequence[float | None], offset: int, limit: int) -> tuple[int | None, int]:
    """`MaxScoreIterator` over `limit_options`: the chosen position (first strict maximum) and the new offset."""
    return _select(scores.__getitem__, len(scores), offset, limit)


def _select(score_at: Callable[[int], float | None], n: int, offset: int, limit: int) -> tuple[int | None, int]:
    scores: dict[int, float] = {}

    def remembered(i: int) -> float | None:
        value = score_at(i)
        if value is not None:
            scores[i] = value
        return value

    options, offset = _limit(remembered, n, offset, limit)
    best: int | None = None
    for i in options:
        if best is None or scores[i] > scores[best]:
            best = i
    return best, offset


def binpack_score(cap_cpu: int, cap_mem: int, used_cpu: int, used_mem: int) -> float:
    """`ScoreFitBinPack` for a node whose usable capacity is `cap_*` and whose use after placement is `used_*`."""
    free_cpu = 1.0 - used_cpu / max(cap_cpu, 1)
    free_mem = 1.0 - used_mem / max(cap_mem, 1)
    return float(min(MAX_FIT, max(0.0, 20.0 - (math.pow(10.0, free_cpu) + math.pow(10.0, free_mem)))))


# -- one evaluation in every run -------------------------------------------------------------


@dataclass
class _State:
    """R runs' free capacity on N nodes."""

    free_cpu: IntArray  # [R, N]
    free_mem: IntArray  # [R, N]


def _scores(
    cluster: Cluster | _Caps, nodes: IntArray, fc: IntArray, fm: IntArray, here: IntArray, c: int, m: int, desired: int
) -> FloatArray:
    """Final scores of placing (c, m) on `nodes` (free fc, fm, holding `here` replicas of the job)."""
    cap_c = cluster.cap_cpu[nodes]
    cap_m = cluster.cap_mem[nodes]
    free_c = 1.0 - (cap_c - fc + c) / np.maximum(cap_c, 1)
    free_m = 1.0 - (cap_m - fm + m) / np.maximum(cap_m, 1)
    fit = np.clip(20.0 - (np.power(10.0, free_c) + np.power(10.0, free_m)), 0.0, MAX_FIT) / MAX_FIT
    penalty = -(here + 1) / max(desired, 1)
    out: FloatArray = np.where(here > 0, (fit + penalty) / 2.0, fit)
    return out


def _evaluate(
    cluster: Cluster,
    s: int,
    nodes: IntArray,
    want: IntArray,
    desired: int,
    state: _State,
    here: IntArray,
    n_ready: int,
    shuffles: Shuffles | None,
) -> IntArray:
    """One evaluation of service s in every run (`want[r]` replicas) on `nodes` (its eligible ready
    nodes, ascending); updates `state` ([R, N]) and `here` ([R, len(nodes)] replicas of s on those
    nodes) in place and returns the replicas that did not land, per run. The work is on those
    nodes alone (a pinned service lists a few of thousands); the limit counts every ready node."""
    runs = len(want)
    missing = np.zeros(runs, dtype=np.int64)
    c, m = int(cluster.cpu[s]), int(cluster.mem[s])
    if len(nodes) == 0:
        return want.copy()
    distinct = cluster.distinct_hosts is not None and bool(cluster.distinct_hosts[s])
    caps = _Caps(cluster.cap_cpu[nodes], cluster.cap_mem[nodes])
    # C order (a gather may come out in Fortran order): one compiled signature of the walk.
    local = _State(np.ascontiguousarray(state.free_cpu[:, nodes]), np.ascontiguousarray(state.free_mem[:, nodes]))
    from costplan.planner import nomad_walk  # numba loads only where the model runs (0.3 s)

    want = np.ascontiguousarray(want, dtype=np.int64)
    free_cpu, free_mem = local.free_cpu, local.free_mem
    if shuffles is None:
        nomad_walk.best_fit(
            caps.cap_cpu, caps.cap_mem, want, desired, c, m, distinct, free_cpu, free_mem, here, missing
        )
    else:
        walk, limit_ = shuffles.walks(len(nodes)), limit(n_ready)
        nomad_walk.evaluate(
            caps.cap_cpu, caps.cap_mem, walk, limit_, want, desired, c, m, distinct, free_cpu, free_mem, here, missing
        )
    state.free_cpu[:, nodes] = local.free_cpu
    state.free_mem[:, nodes] = local.free_mem
    return missing


class Shuffles:
    """Each run's shuffles, from its own generator: an evaluation's walk over E nodes is the order
    of E uniform keys. Keys are drawn in blocks (one generator call per run and block, not per
    evaluation: 10,000 services x 200 runs were 2 million calls), the same blocks however many runs
    share the batch, so run r draws the same walks alone (`schedule`) as among others (`estimate`)."""

    def __init__(self, gens: Sequence[np.random.Generator]) -> None:
        self.gens = gens
        self.keys = np.zeros((len(gens), 0))
        self.at = 0

    def walks(self, size: int) -> IntArray:
        """[R, size] one shuffle of positions 0..size-1 per run."""
        if self.at + size > self.keys.shape[1]:
            fresh = np.stack([g.random(max(SHUFFLE_BLOCK, size)) for g in self.gens])
            self.keys, self.at = np.hstack([self.keys[:, self.at :], fresh]), 0
        keys = self.keys[:, self.at : self.at + size]
        self.at += size
        out: IntArray = np.argsort(keys, axis=1, kind="stable")
        return out


@dataclass(frozen=True)
class _Caps:
    """The capacities of the nodes an evaluation works on (indexed as its walk is)."""

    cap_cpu: IntArray
    cap_mem: IntArray


# -- public: one run, and the Monte Carlo estimate ---------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One run of the scheduler: what it placed, and what did not land."""

    placed: IntArray  # [S, N] replicas placed by these evaluations
    missing: IntArray  # [S] replicas that did not land (the failing replica stops its service)
    names: tuple[str, ...]

    @property
    def lands(self) -> bool:
        return not bool(self.missing.any())

    @property
    def failed(self) -> dict[str, int]:
        return {self.names[s]: int(k) for s, k in enumerate(self.missing) if k}


def schedule(
    cluster: Cluster,
    demand: Sequence[int] | IntArray,
    order: Sequence[int],
    *,
    mode: str = "nomad",
    rng: np.random.Generator | None = None,
    present: IntArray | None = None,
    desired: Sequence[int] | IntArray | None = None,
    ready: BoolArray | None = None,
) -> Outcome:
    """Submit the services of `order` one after another, `demand[s]` replicas each, onto the nodes.

    `present[s, n]`: replicas already running (they use capacity and count for anti-affinity);
    `desired[s]`: the task group's count (default: demand + present); `ready`: the nodes that are
    up (default all; the limit counts only those). Mode "nomad" needs `rng` (one shuffle per evaluation).
    """
    _check_mode(mode, rng is not None)
    want = np.asarray(demand, dtype=np.int64)
    up = np.ones(cluster.n_nodes, dtype=bool) if ready is None else ready
    if present is None:  # empty nodes: no [S, N] matrix of zeros to read (10,000 services x 4,000 nodes)
        count = want if desired is None else np.asarray(desired, dtype=np.int64)
        state = _State(np.where(up, cluster.cap_cpu, -1)[None, :], np.where(up, cluster.cap_mem, -1)[None, :])
    else:
        count = want + present.sum(axis=1) if desired is None else np.asarray(desired, dtype=np.int64)
        state = _State(*_free(cluster, present, up))
    placed = np.zeros((cluster.n_services, cluster.n_nodes), dtype=np.int64)
    missing = np.zeros(cluster.n_services, dtype=np.int64)
    n_ready = int(up.sum())
    shuffles = None if rng is None else Shuffles([rng])
    for s in order:
        if want[s] <= 0:
            continue
        nodes = cluster.nodes_of(s)
        nodes = nodes if ready is None else nodes[up[nodes]]
        before = np.zeros(len(nodes), dtype=np.int64) if present is None else present[s, nodes]
        here = before[None, :].copy()
        missing[s] = _evaluate(cluster, s, nodes, want[s : s + 1], int(count[s]), state, here, n_ready, shuffles)[0]
        placed[s, nodes] = here[0] - before
    return Outcome(placed=placed, missing=missing, names=cluster.names)


def score_nodes(cluster: Cluster, s: int, *, present: IntArray | None = None, desired: int | None = None) -> FloatArray:
    """[N] the final score each node gets for one more replica of service s on top of `present`
    (-inf: outside its pools or no room). `desired`: the task group's count (default: present + 1)."""
    start = np.zeros((cluster.n_services, cluster.n_nodes), dtype=np.int64) if present is None else present
    free_cpu, free_mem = _free(cluster, start, np.ones(cluster.n_nodes, dtype=bool))
    c, m = int(cluster.cpu[s]), int(cluster.mem[s])
    count = int(start[s].sum()) + 1 if desired is None else desired
    nodes = np.arange(cluster.n_nodes)
    score = _scores(cluster, nodes, free_cpu[0], free_mem[0], start[s], c, m, count)
    fit = cluster.eligible_nodes(s) & (free_cpu[0] >= c) & (free_mem[0] >= m)
    if cluster.distinct_hosts is not None and cluster.distinct_hosts[s]:
        fit &= start[s] == 0
    out: FloatArray = np.where(fit, score, -np.inf)
    return out


def _free(cluster: Cluster, present: IntArray, ready: BoolArray) -> tuple[IntArray, IntArray]:
    """[1, N] free capacity after `present`; nodes not ready have none."""
    free_cpu = np.where(ready, cluster.cap_cpu - cluster.cpu @ present, -1)[None, :]
    free_mem = np.where(ready, cluster.cap_mem - cluster.mem @ present, -1)[None, :]
    return free_cpu.astype(np.int64), free_mem.astype(np.int64)


def _check_mode(mode: str, seeded: bool) -> None:
    if mode not in MODES:
        raise ValueError(f"scheduler mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "nomad" and not seeded:
        raise ValueError("the nomad mode shuffles: pass rng (a numpy Generator)")
    if mode == "best-fit" and seeded:
        raise ValueError("the best-fit mode is deterministic: pass no rng")


@dataclass(frozen=True)
class Landing:
    """Monte Carlo estimate of how a plan's nodes fare under the scheduler model."""

    mode: str
    runs: int
    seed: int
    landed: int  # runs in which every replica landed on the plan's nodes
    extra_nodes: IntArray  # [runs] nodes autoscaling added in each run
    extra_cost_units: IntArray  # [runs] their monthly price, money units
    stuck: int  # runs in which even autoscaling could not land everything
    spread_kept: dict[str, float] = field(default_factory=dict)  # spread service -> share of runs, one per node
    failures: dict[str, int] = field(default_factory=dict)  # service -> runs in which it did not land
    unplaced: dict[str, int] = field(default_factory=dict)  # service -> most replicas left in one run
    # [runs] per run: every replica landed on the plan's nodes; and every spread service kept one per node
    run_lands: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    run_spread_kept: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def first_run(self) -> int | None:
        """The first run that lands with every spread service one replica per node, else the first
        that lands (None: none does): the run whose placement a plan shows."""
        for runs in (self.run_lands & self.run_spread_kept, self.run_lands):
            if runs.any():
                return int(np.argmax(runs))
        return None

    @property
    def probability(self) -> float:
        return self.landed / self.runs if self.runs else 0.0

    @property
    def lower_bound(self) -> float:
        """One-sided 95 % Clopper-Pearson lower bound on the landing probability."""
        return clopper_pearson_lower(self.landed, self.runs)

    @property
    def extra_nodes_expected(self) -> float:
        return float(self.extra_nodes.mean()) if self.runs else 0.0

    @property
    def extra_nodes_p95(self) -> int:
        return _p95(self.extra_nodes)

    @property
    def extra_cost_expected(self) -> float:
        """Monthly money (4 decimals)."""
        return from_units(round(float(self.extra_cost_units.mean()))) if self.runs else 0.0

    @property
    def extra_cost_p95(self) -> float:
        return from_units(_p95(self.extra_cost_units))

    def placement(
        self,
        *,
        target: float,
        packing_cost: float = 0.0,
        premium: float = 0.0,
        deterministic_lands: bool | None = None,
        note: str = "",
    ) -> PlacementEstimate:
        """The plan's `placement` block for this estimate (`verify` recomputes it to the run)."""
        return PlacementEstimate(
            model=self.mode,
            source=SOURCE,
            runs=self.runs,
            seed=self.seed,
            landed_runs=self.landed,
            landing_probability=self.probability,
            landing_lower_bound=self.lower_bound,
            target=target,
            extra_nodes_expected=self.extra_nodes_expected,
            extra_nodes_p95=self.extra_nodes_p95,
            extra_monthly_cost_expected=self.extra_cost_expected,
            extra_monthly_cost_p95=self.extra_cost_p95,
            spread_kept=dict(self.spread_kept),
            spread_enforced=False,
            packing_cost=packing_cost,
            premium=premium,
            deterministic_lands=deterministic_lands,
            note=note,
        )


def _p95(values: IntArray) -> int:
    """The smallest value at least 95 % of the runs do not exceed."""
    if not len(values):
        return 0
    ordered = np.sort(values)
    return int(ordered[max(0, math.ceil(CONFIDENCE * len(values)) - 1)])


def warm_up() -> None:
    """Load the compiled walk and best fit now (numba's cache, ~0.5 s; a compile on a fresh install,
    ~4 s), so that what a caller times next is the walk itself: a stage that timed its first estimate
    with the load in it took runs to cost ten times more and ended at once (in a fresh process a
    small plan fell back to one pool per service)."""
    spec = ServiceSpec(name="warm-up", count_min=2, count_max=2, cpu_mhz=100, memory_mb=64)
    cluster = make_cluster([spec], [Pool("warm-up", 1000, 1024)], [0, 0])
    for mode in MODES:
        estimate(cluster, [2], [0], runs=1, mode=mode, autoscale=False)


def estimate(
    cluster: Cluster,
    demand: Sequence[int] | IntArray,
    order: Sequence[int],
    *,
    runs: int = 200,
    seed: int = 0,
    mode: str = "nomad",
    autoscale: bool = True,
) -> Landing:
    """`runs` seeded evaluations of the whole submission from empty nodes, with autoscaling.

    Run r is `schedule(..., rng=numpy.random.default_rng([seed, r]))` followed, if it does not land,
    by the autoscaling rule (module docstring): its extra nodes and their cost. Mode "best-fit" is
    deterministic: one run stands for all."""
    if runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs}")
    _check_mode(mode, mode == "nomad")
    want = np.asarray(demand, dtype=np.int64)
    width = runs if mode == "nomad" else 1
    gens = [np.random.default_rng([seed, r]) for r in range(runs)] if mode == "nomad" else None
    shuffles = None if gens is None else Shuffles(gens)
    state = _State(
        np.repeat(cluster.cap_cpu[None, :], width, axis=0), np.repeat(cluster.cap_mem[None, :], width, axis=0)
    )
    missing = np.zeros((width, cluster.n_services), dtype=np.int64)
    kept: dict[int, BoolArray] = {}
    held: dict[int, IntArray] = {}  # service -> [width, N] its replicas per node, when some run failed it
    for s in order:
        if want[s] <= 0:
            continue
        nodes = cluster.nodes_of(s)
        here = np.zeros((width, len(nodes)), dtype=np.int64)
        missing[:, s] = _evaluate(
            cluster, s, nodes, np.full(width, want[s]), int(want[s]), state, here, cluster.n_nodes, shuffles
        )
        if cluster.spread[s]:
            kept[s] = here.max(axis=1, initial=0) <= 1
        if missing[:, s].any():
            held[s] = np.zeros((width, cluster.n_nodes), dtype=np.int64)
            held[s][:, nodes] = here
    extra = np.zeros(width, dtype=np.int64)
    cost = np.zeros(width, dtype=np.int64)
    stuck = 0
    failing = np.flatnonzero(missing.any(axis=1))
    for r in (int(x) for x in failing):
        if not autoscale:
            stuck += 1
            continue
        grown, still, spread_ok = _autoscale(
            cluster,
            want,
            order,
            missing[r],
            {s: h[r] for s, h in held.items()},
            state,
            r,
            None if gens is None else Shuffles([gens[r]]),
        )
        extra[r] = len(grown)
        cost[r] = sum(cluster.pools[p].price_units for p in grown)
        stuck += int(still)
        for s, ok in spread_ok.items():
            kept[s][r] = ok
    landed = width - len(failing)
    run_lands = np.asarray(~missing.any(axis=1), dtype=bool)
    run_spread_kept = np.logical_and.reduce(list(kept.values())) if kept else np.ones(width, dtype=bool)
    if mode == "best-fit":  # one deterministic run stands for all
        landed, stuck = landed * runs, stuck * runs
        extra, cost = np.repeat(extra, runs), np.repeat(cost, runs)
        kept = {s: np.repeat(k, runs) for s, k in kept.items()}
        missing = np.repeat(missing, runs, axis=0)
        run_lands, run_spread_kept = np.repeat(run_lands, runs), np.repeat(run_spread_kept, runs)
    return Landing(
        mode=mode,
        runs=runs,
        seed=seed,
        landed=int(landed),
        extra_nodes=extra,
        extra_cost_units=cost,
        stuck=int(stuck),
        spread_kept={cluster.names[s]: float(k.mean()) for s, k in sorted(kept.items())},
        failures={cluster.names[s]: int(k) for s in order if (k := int((missing[:, s] > 0).sum()))},
        unplaced={cluster.names[s]: int(k) for s in order if (k := int(missing[:, s].max(initial=0)))},
        run_lands=run_lands,
        run_spread_kept=run_spread_kept,
    )


def _autoscale(
    cluster: Cluster,
    demand: IntArray,
    order: Sequence[int],
    missing: IntArray,
    held: dict[int, IntArray],
    state: _State,
    r: int,
    shuffles: Shuffles | None,
) -> tuple[list[int], bool, dict[int, bool]]:
    """Grow pools for one run's blocked services (module docstring); returns the pools grown (one
    entry per node), whether some replica still does not land, and the spread kept per blocked service."""
    room = [p.room for p in cluster.pools]
    grown: list[int] = []
    free_cpu, free_mem = state.free_cpu[r].copy(), state.free_mem[r].copy()
    here_of = {s: h.copy() for s, h in held.items()}
    spread_ok: dict[int, bool] = {}
    stuck = False
    current = cluster
    for s in [s for s in order if missing[s] > 0]:
        left = int(missing[s])
        seen_nodes = cluster.n_nodes  # a blocked evaluation is retried when nodes were added since
        while left:
            if current.n_nodes == seen_nodes:
                pool = next(
                    (
                        p
                        for p in cluster.service_pools[s]
                        if room[p] > 0
                        and cluster.pools[p].cpu_mhz >= cluster.cpu[s]
                        and cluster.pools[p].memory_mb >= cluster.mem[s]
                    ),
                    None,
                )
                if pool is None:
                    stuck = True
                    break
                room[pool] -= 1
                grown.append(pool)
                current = cluster.with_nodes(grown)
                free_cpu = np.append(free_cpu, cluster.pools[pool].cpu_mhz)
                free_mem = np.append(free_mem, cluster.pools[pool].memory_mb)
                for key in here_of:
                    here_of[key] = np.append(here_of[key], 0)
            seen_nodes = current.n_nodes
            one = _State(free_cpu[None, :], free_mem[None, :])
            nodes = current.nodes_of(s)
            here = here_of[s][None, nodes]
            left = int(
                _evaluate(current, s, nodes, np.asarray([left]), int(demand[s]), one, here, current.n_nodes, shuffles)[
                    0
                ]
            )
            free_cpu, free_mem = one.free_cpu[0], one.free_mem[0]
            here_of[s][nodes] = here[0]
        if cluster.spread[s]:
            spread_ok[s] = bool(here_of[s].max(initial=0) <= 1)
    return grown, stuck, spread_ok


def lost_node_failures(cluster: Cluster, counts: IntArray, order: Sequence[int] | None = None) -> list[int]:
    """N+1: the nodes whose loss leaves some replica unplaceable, their replicas re-placed by the
    deterministic (best-fit) model on the other nodes' free room (services in `order`, default:
    largest replica first)."""
    failing = []
    if order is None:
        share = cluster.cpu / max(int(cluster.cap_cpu.max(initial=1)), 1) + cluster.mem / max(
            int(cluster.cap_mem.max(initial=1)), 1
        )
        order = sorted(range(cluster.n_services), key=lambda s: (-float(share[s]), cluster.names[s]))
    for n in range(counts.shape[1]):
        lost = counts[:, n]
        if not lost.any():
            continue
        ready = np.ones(counts.shape[1], dtype=bool)
        ready[n] = False
        rest = counts.copy()
        rest[:, n] = 0
        outcome = schedule(cluster, lost, order, mode="best-fit", present=rest, desired=counts.sum(axis=1), ready=ready)
        if not outcome.lands:
            failing.append(n)
    return failing


def clopper_pearson_lower(successes: int, trials: int, alpha: float = 1 - CONFIDENCE) -> float:
    """One-sided (1 - alpha) Clopper-Pearson lower bound on a binomial proportion: the p with
    P(X >= successes | trials, p) = alpha (exact binomial tail, bisection); 0 for no success."""
    if trials <= 0 or successes <= 0:
        return 0.0
    if successes >= trials:
        return float(alpha ** (1.0 / trials))
    lo, hi = 0.0, successes / trials
    for _ in range(200):
        mid = (lo + hi) / 2
        if _upper_tail(successes, trials, mid) < alpha:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-15:
            break
    return lo


def _upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed in log space (exact to float precision)."""
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    lp, lq = math.log(p), math.log1p(-p)
    head = math.lgamma(n + 1)
    logs = [head - math.lgamma(j + 1) - math.lgamma(n - j + 1) + j * lp + (n - j) * lq for j in range(k, n + 1)]
    top = max(logs)
    return math.exp(top) * sum(math.exp(x - top) for x in logs)
