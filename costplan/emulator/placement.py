"""Nomad's service scheduler, written for the emulator from Nomad's source (pure, no I/O).

One evaluation places the missing replicas of one service (one Nomad job with one task
group). The rules, each from hashicorp/nomad:

- ``GenericStack.SetNodes`` (scheduler/feasible/stack.go) shuffles the ready nodes once per
  evaluation (``ShuffleNodes``, feasible.go: Fisher-Yates) and sets the limit to
  ``max(2, ceil(log2 N))``, N = every ready node, not only those the service may use.
- ``StaticIterator`` (feasible.go) walks the shuffled list; its offset persists between the
  replicas of one evaluation (``Reset`` clears only ``seen``), wrapping, at most N per replica.
- Nodes the service may not use (its constraints) or where the ask does not fit
  (``AllocsFit``, nomad/structs/funcs.go: node capacity minus the node's reserved resources,
  cpu checked before memory) are passed over and do not count toward the limit.
- Score (rank.go): ``ScoreFitBinPack / 18`` (funcs.go: ``clamp(20 - (10^freeCpu + 10^freeMem),
  0, 18)``, free shares of capacity minus reserved, after adding the ask); when the node
  already holds ``c > 0`` allocations of the job, ``JobAntiAffinityIterator`` appends
  ``-(c+1) / desiredCount``; ``ScoreNormalizationIterator`` takes the mean. Soft: a nearly
  full node holding a replica can beat an empty node.
- ``LimitIterator`` (select.go) takes the first ``limit`` options, skipping up to 3 whose score
  is <= 0 (used only when the walk runs out); ``MaxScoreIterator`` keeps the first strict max.
- ``computePlacements`` (scheduler/generic_sched.go): once a replica of the task group fails,
  its remaining replicas are not attempted (service preemption is off by default).

The ``best-fit`` scheduler is the deterministic comparison: every eligible node that fits
is scored (no shuffle, no limit), same score, ties to the first node in the given order.
:func:`simulate` runs whole submissions (and optional autoscaling) in-process.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

CPU = "cpu"
MEMORY = "memory"
NOMAD = "nomad"
BEST_FIT = "best-fit"
SCHEDULERS = (NOMAD, BEST_FIT)
BINPACK_MAX_FIT = 18.0  # rank.go binPackingMaxFitScore
SKIP_SCORE_THRESHOLD = 0.0  # stack.go skipScoreThreshold
MAX_SKIP = 3  # stack.go maxSkip


@dataclass
class Node:
    """One ready node: its capacity, its own reservation, and the replicas it holds."""

    uuid: str
    cpu: int
    memory: int
    reserved_cpu: int = 0  # what the node reserves for itself (Nomad's node reserved resources)
    reserved_memory: int = 0
    pool: str = ""
    used_cpu: int = 0  # the replicas' reservations
    used_memory: int = 0
    jobs: Counter[str] = field(default_factory=Counter)
    # Where the node stands in the list the nomad scheduler shuffles: (pool name, index in the
    # pool), so that a seeded shuffle does not depend on the order concurrent creations arrived.
    rank: tuple[str, int] = ("", 0)

    def exhausted(self, cpu: int, memory: int) -> str | None:
        """The dimension that cannot take the ask (cpu first, as ``Superset`` checks), or None."""
        if self.used_cpu + cpu > self.cpu - self.reserved_cpu:
            return CPU
        if self.used_memory + memory > self.memory - self.reserved_memory:
            return MEMORY
        return None

    def binpack(self, cpu: int, memory: int) -> float:
        """``ScoreFitBinPack / 18`` after adding the ask, in [0, 1]."""
        capacity_cpu = self.cpu - self.reserved_cpu
        capacity_memory = self.memory - self.reserved_memory
        if capacity_cpu <= 0 or capacity_memory <= 0:
            return 0.0
        free_cpu = 1.0 - (self.used_cpu + cpu) / capacity_cpu
        free_memory = 1.0 - (self.used_memory + memory) / capacity_memory
        fit = 20.0 - (math.pow(10.0, free_cpu) + math.pow(10.0, free_memory))
        return min(max(fit, 0.0), BINPACK_MAX_FIT) / BINPACK_MAX_FIT

    def reserve(self, job: str, cpu: int, memory: int) -> None:
        """Account one replica of ``job`` on this node."""
        self.used_cpu += cpu
        self.used_memory += memory
        self.jobs[job] += 1


@dataclass(frozen=True)
class Service:
    """One job's task group: its per-replica ask, desired count and the pools it may use.

    ``pools`` lists, in growth order, the pools the service may use (None: any pool).
    """

    name: str
    cpu: int
    memory: int
    count: int
    pools: tuple[str, ...] | None = None

    def allows(self, node: Node) -> bool:
        return self.pools is None or node.pool in self.pools


@dataclass
class Outcome:
    """What one evaluation did; the metrics are those of the failed replica (Nomad's
    ``AllocMetric``): nodes walked, nodes filtered by constraints, exhaustion per dimension."""

    placed: list[str]
    unplaced: int
    nodes_evaluated: int = 0
    nodes_filtered: int = 0
    dimension_exhausted: dict[str, int] | None = None


def limit_for(ready_nodes: int) -> int:
    """How many fitting options a service job scores: ``max(2, ceil(log2 N))``."""
    if ready_nodes <= 0:
        return 2
    return max(2, math.ceil(math.log2(ready_nodes)))


def score(node: Node, service: Service) -> float:
    """The normalized score: mean of binpack and, on a collision, the anti-affinity penalty."""
    scores = [node.binpack(service.cpu, service.memory)]
    collisions = node.jobs[service.name]
    if collisions > 0:
        scores.append(-(collisions + 1) / service.count)
    return sum(scores) / len(scores)


def shuffled(nodes: Sequence[Node], rng: random.Random) -> list[Node]:
    """Fisher-Yates, as ``ShuffleNodes`` (from the last index down)."""
    out = list(nodes)
    for i in range(len(out) - 1, 0, -1):
        j = rng.randrange(i + 1)
        out[i], out[j] = out[j], out[i]
    return out


def evaluation_rng(seed: int, evaluation: int) -> random.Random:
    """The shuffle's random source for evaluation number ``evaluation`` of a run seeded ``seed``."""
    return random.Random(f"costplan-emulator:{seed}:{evaluation}")


Option = tuple[float, Node]


class _Metrics:
    def __init__(self) -> None:
        self.evaluated = 0
        self.filtered = 0
        self.exhausted: Counter[str] = Counter()

    def outcome(self, placed: list[str], unplaced: int) -> Outcome:
        return Outcome(placed, unplaced, self.evaluated, self.filtered, dict(self.exhausted) or None)


class _Walk:
    """``StaticIterator``: the offset survives ``reset``; ``seen`` does not."""

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes
        self.offset = 0
        self.seen = 0

    def next(self) -> Node | None:
        n = len(self.nodes)
        if self.offset == n or self.seen == n:
            if self.seen == n:
                return None
            self.offset = 0
        node = self.nodes[self.offset]
        self.offset += 1
        self.seen += 1
        return node

    def reset(self) -> None:
        self.seen = 0


class Limit:
    """``LimitIterator``, step for step (its skip bookkeeping included), over ``source``."""

    def __init__(
        self,
        source: Callable[[], Option | None],
        limit: int,
        threshold: float = SKIP_SCORE_THRESHOLD,
        max_skip: int = MAX_SKIP,
    ) -> None:
        self.source = source
        self.limit = limit
        self.threshold = threshold
        self.max_skip = max_skip
        self.seen = 0
        self.skipped: list[Option] = []
        self.skipped_index = 0

    def _next_option(self) -> Option | None:
        option = self.source()
        if option is None and self.skipped_index < len(self.skipped):
            option = self.skipped[self.skipped_index]
            self.skipped_index += 1
        return option

    def next(self) -> Option | None:
        if self.seen == self.limit:
            return None
        option = self._next_option()
        if option is None:
            return None
        while option is not None and option[0] <= self.threshold and len(self.skipped) < self.max_skip:
            self.skipped.append(option)
            option = self.source()
        self.seen += 1
        if option is None:
            return self._next_option()
        return option


def first_max(options: Callable[[], Option | None]) -> Option | None:
    """``MaxScoreIterator``: consume everything, keep the first strict maximum."""
    best: Option | None = None
    while (option := options()) is not None:
        if best is None or option[0] > best[0]:
            best = option
    return best


def _fitting(nodes: Callable[[], Node | None], service: Service, metrics: _Metrics) -> Callable[[], Option | None]:
    """The feasibility and binpack stages: the next allowed node where the ask fits, scored."""

    def next_option() -> Option | None:
        while (node := nodes()) is not None:
            metrics.evaluated += 1
            if not service.allows(node):
                metrics.filtered += 1
                continue
            dimension = node.exhausted(service.cpu, service.memory)
            if dimension is not None:
                metrics.exhausted[dimension] += 1
                continue
            return score(node, service), node
        return None

    return next_option


def place_nomad(order: list[Node], service: Service, missing: int) -> Outcome:
    """One evaluation on all ready nodes, already in walk order (see :func:`shuffled`);
    reserves in place. N for the limit is ``len(order)``."""
    walk = _Walk(order)
    limit = limit_for(len(order))
    placed: list[str] = []
    for index in range(missing):
        walk.reset()
        metrics = _Metrics()
        best = first_max(Limit(_fitting(walk.next, service, metrics), limit).next)
        if best is None:
            return metrics.outcome(placed, missing - index)
        best[1].reserve(service.name, service.cpu, service.memory)
        placed.append(best[1].uuid)
    return Outcome(placed, 0)


def place_best_fit(nodes: list[Node], service: Service, missing: int) -> Outcome:
    """The deterministic comparison: score every eligible fitting node; ties to the first."""
    placed: list[str] = []
    for index in range(missing):
        metrics = _Metrics()
        best = first_max(_fitting(functools.partial(next, iter(nodes), None), service, metrics))
        if best is None:
            return metrics.outcome(placed, missing - index)
        best[1].reserve(service.name, service.cpu, service.memory)
        placed.append(best[1].uuid)
    return Outcome(placed, 0)


def evaluate(
    nodes: list[Node], service: Service, missing: int, *, scheduler: str, seed: int, evaluation: int
) -> Outcome:
    """Place up to ``missing`` replicas of ``service`` on the ready ``nodes`` (creation order)."""
    if scheduler == BEST_FIT:
        return place_best_fit(nodes, service, missing)
    if scheduler != NOMAD:
        raise ValueError(f"unknown scheduler {scheduler!r} (known: {', '.join(SCHEDULERS)})")
    base = sorted(nodes, key=lambda n: n.rank)  # stable: equal ranks keep the given order
    return place_nomad(shuffled(base, evaluation_rng(seed, evaluation)), service, missing)


@dataclass
class Pool:
    """A pool that can grow: its node template, current instance count and ``countMax``."""

    name: str
    cpu: int
    memory: int
    reserved_cpu: int
    reserved_memory: int
    count: int
    count_max: int

    def could_host(self, service: Service) -> bool:
        """Whether an empty node of this pool fits one replica."""
        empty = Node("", self.cpu, self.memory, self.reserved_cpu, self.reserved_memory, self.name)
        return empty.exhausted(service.cpu, service.memory) is None


def growable(pools: Sequence[Pool], service: Service) -> Pool | None:
    """The pool autoscaling grows for a replica that fit nowhere: the first of the service's
    pools (its list's order; all pools in the given order when it lists none) with room
    (count < countMax) whose empty node could host the replica."""
    by_name = {p.name: p for p in pools}
    ordered = pools if service.pools is None else [by_name[n] for n in service.pools if n in by_name]
    return next((p for p in ordered if p.count < p.count_max and p.could_host(service)), None)


@dataclass
class Result:
    """Per service (by name) the nodes its replicas landed on and how many did not land;
    ``nodes``: every node in creation order (autoscaled ones appended, named ``<pool>+<n>``)."""

    placed: dict[str, list[str]]
    unplaced: dict[str, int]
    grown: dict[str, int]  # pool name -> instances autoscaling added
    nodes: list[str]
    evaluations: int = 0

    @property
    def landed(self) -> bool:
        return not any(self.unplaced.values())


def simulate(
    nodes: Sequence[Node],
    services: Sequence[Service],
    seed: int,
    *,
    scheduler: str = NOMAD,
    pools: Sequence[Pool] = (),
) -> Result:
    """Submit ``services`` in order on copies of ``nodes``, as the emulator does for services
    created one after another on ready pools (evaluations numbered 0, 1, ... as in a fresh
    emulator), and return where every replica landed.

    To reproduce the emulator's shuffles exactly, give each node ``rank=(pool name, index of
    the node in its pool)``, as the emulator does. Each submission is one evaluation. With
    ``pools`` (names matching ``Node.pool``), a replica that fits nowhere grows
    :func:`growable`'s pool by one node, ready at once (the emulator with
    ``provision_seconds=0``); once the round's growth is done, every submitted service still
    missing replicas is evaluated again, in submission order, until all land or no pool can grow.
    """
    cluster = [dataclasses.replace(n, jobs=Counter(n.jobs)) for n in nodes]
    room = [dataclasses.replace(p) for p in pools]
    result = Result({}, {}, {}, [n.uuid for n in cluster])
    for index, service in enumerate(services):
        result.placed[service.name], result.unplaced[service.name] = [], service.count
        due = [service]
        while due:
            fresh: list[Node] = []
            for s in due:
                outcome = evaluate(
                    cluster, s, result.unplaced[s.name], scheduler=scheduler, seed=seed, evaluation=result.evaluations
                )
                result.evaluations += 1
                result.placed[s.name] += outcome.placed
                result.unplaced[s.name] = outcome.unplaced
                pool = growable(room, s) if outcome.unplaced else None
                if pool is not None:
                    pool.count += 1
                    result.grown[pool.name] = result.grown.get(pool.name, 0) + 1
                    name = f"{pool.name}+{result.grown[pool.name]}"
                    rank = (pool.name, pool.count - 1)
                    fresh.append(
                        Node(name, pool.cpu, pool.memory, pool.reserved_cpu, pool.reserved_memory, pool.name, rank=rank)
                    )
            cluster += fresh
            result.nodes += [n.uuid for n in fresh]
            due = [s for s in services[: index + 1] if result.unplaced[s.name]] if fresh else []
    return result
