"""Straightforward Python versions of what is compiled (numba) in the planner: the oracles the
compiled code is checked against on random instances.

- `python_replay`: the pinned replay as first written, line by line from its rules
  (`costplan.planner.pinned_walk.replay`).
- `python_best_fit`: the scheduler model's deterministic mode, one replica at a time from the
  public per-node scores (`costplan.planner.nomad_walk.best_fit`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from costplan.models import ServiceSpec
from costplan.planner.pinning import TIE
from costplan.planner.scheduler import MAX_FIT, Cluster, score_nodes


def python_replay(
    cap_cpu: Sequence[int],
    cap_mem: Sequence[int],
    specs: Sequence[ServiceSpec],
    allowed: Sequence[Sequence[int]],
    order: Sequence[int],
    fits: Sequence[Sequence[int]] = (),
    wide: frozenset[int] = frozenset(),
) -> tuple[
    tuple[dict[int, int], ...],
    tuple[int, ...],
    tuple[tuple[int, tuple[int, ...]], ...],
    int,
    dict[int, tuple[int, ...]],
]:
    """The scheduler model's placement when every service is scored on all its nodes (module docstring):
    per replica the node with room and the highest score; a tie is recorded unless the tied nodes have
    the same capacity, free room, replicas of the service and list membership for every service still
    to come (then the choice does not matter). The first replica that fits nowhere stops its service;
    `fits[s]` (optional): the nodes it could use, to report those that had room when it failed.

    A `wide` service (more nodes than the limit: module docstring) is placed at random by the
    platform, so it lands exactly when the slots on its nodes cover its replicas; its replicas are
    put anywhere here, and a later service listing one of its nodes (other than an identical wide
    service with the same list, which only needs the remaining slots) is a risky tie."""
    n_nodes = len(cap_cpu)
    free_cpu, free_mem = [float(c) for c in cap_cpu], [float(m) for m in cap_mem]
    position = {s: i for i, s in enumerate(order)}
    members: list[set[int]] = [set() for _ in range(n_nodes)]  # node -> positions of the services listing it
    for s in order:
        for n in allowed[s]:
            members[n].add(position[s])
    placed: list[dict[int, int]] = [{} for _ in specs]
    missing = [0] * len(specs)
    ties: list[tuple[int, tuple[int, ...]]] = []
    room: dict[int, tuple[int, ...]] = {}
    fits = fits or [()] * len(specs)
    shared = 0

    def state(n: int, s: int) -> tuple[object, ...]:  # what tells node n apart from now on
        later = frozenset(p for p in members[n] if p >= position[s])
        return (cap_cpu[n], cap_mem[n], free_cpu[n], free_mem[n], placed[s].get(n, 0), later)

    for s in order:
        spec = specs[s]
        want, c, m, here = spec.count_min, spec.cpu_mhz, spec.memory_mb, placed[s]
        if s in wide:
            slots = {n: int(min(free_cpu[n] // max(c, 1), free_mem[n] // max(m, 1))) for n in allowed[s]}
            saturated, left = sum(slots.values()) == want, want
            # Nodes no later service lists first: what is left random then matters least.
            for n in sorted(allowed[s], key=lambda n: any(p > position[s] for p in members[n])):
                take = min(left, slots[n])
                if take > 0:
                    free_cpu[n] -= take * c
                    free_mem[n] -= take * m
                    here[n] = take
                    left -= take
            missing[s] = left
            if left:
                room[s] = ()
            if saturated:  # every slot taken: the placement is the same whatever the shuffle
                continue
            mine = (c, m, allowed[s])  # an identical wide service on the same list only takes slots
            alike = {t for t in wide if (specs[t].cpu_mhz, specs[t].memory_mb, allowed[t]) == mine}
            others = {n for n in allowed[s] for p in members[n] if p > position[s] and order[p] not in alike}
            if others:
                ties.append((s, tuple(sorted(others))))
            continue
        for k in range(want):
            best, pick, tied = -np.inf, -1, list[int]()
            for n in allowed[s]:
                if free_cpu[n] < c or free_mem[n] < m:
                    continue
                fit = 20.0 - (10.0 ** ((free_cpu[n] - c) / cap_cpu[n]) + 10.0 ** ((free_mem[n] - m) / cap_mem[n]))
                score = min(MAX_FIT, max(0.0, fit)) / MAX_FIT
                if here.get(n, 0):
                    score = (score - (here[n] + 1) / max(want, 1)) / 2.0
                if score > best + TIE:
                    best, pick, tied = score, n, []
                elif score > best - TIE:
                    tied.append(n)
            if pick < 0:
                missing[s] = want - k
                room[s] = tuple(n for n in fits[s] if free_cpu[n] >= c and free_mem[n] >= m)
                break
            if tied and any(state(n, s) != state(pick, s) for n in tied):
                ties.append((s, (pick, *tied)))
            free_cpu[pick] -= c
            free_mem[pick] -= m
            here[pick] = here.get(pick, 0) + 1
        if spec.spread:
            shared += sum(v - 1 for v in here.values() if v > 1)
    return tuple(placed), tuple(missing), tuple(ties), shared, room


def python_best_fit(cluster: Cluster, demand: Sequence[int], order: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(placed [S, N], missing [S]): each replica on the first node of highest score."""
    placed = np.zeros((cluster.n_services, cluster.n_nodes), dtype=np.int64)
    missing = np.zeros(cluster.n_services, dtype=np.int64)
    for s in order:
        for k in range(demand[s]):
            score = score_nodes(cluster, s, present=placed, desired=demand[s])
            n = int(np.argmax(score))
            if score[n] == -np.inf:
                missing[s] = demand[s] - k
                break
            placed[s, n] += 1
    return placed, missing
