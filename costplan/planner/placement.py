"""A simulated Nomad-style placement: would the platform's own greedy scheduler land every replica?

The services are taken in the order the provisioner submits them (`plans.submission_key`: those
pinned to providers first, then spread ones, then the largest replica first, ties by name); each replica goes, one
by one, to the eligible node that will be the fullest after placing it: Nomad's bin-packing score
20 - (10^freeCPU + 10^freeMemory), the free shares taken of the node's capacity after the
platform's own reservation. Job anti-affinity as the emulator applies it: nodes without a replica
of the service come first, and a node that already has one is used only when no other fits
(never for a `spread` service). Ties go to the first node in plan order. Eligible = it fits both
dimensions and the provider and tag constraints hold.

The same routine checks N+1 (re-place a lost node's replicas on the others' free room) in the
planner and in `verify`, so both always agree. No solver here: numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from costplan.plans import submission_key

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

METHOD = (
    "services in submission order (pinned to providers first, then spread ones, then largest replica first: "
    "CPU + memory share of the largest node, ties by name); each replica on the eligible node fullest after placement "
    "(Nomad bin-packing score 20 - (10^freeCPU + 10^freeMemory)), nodes without a replica of the same "
    "service first (job anti-affinity; spread services never share a node), ties to the first node in "
    "plan order"
)


@dataclass(frozen=True)
class Cluster:
    """Nodes and services as the scheduler sees them."""

    cap_cpu: IntArray  # [N]
    cap_mem: IntArray  # [N]
    cpu: IntArray  # [S] per replica
    mem: IntArray  # [S]
    spread: BoolArray  # [S]
    eligible: BoolArray  # [S, N] provider and tag constraints
    names: Sequence[str]  # [S]
    pinned: BoolArray | None = None  # [S] limited to some providers: submitted first


def best_fit(
    cluster: Cluster,
    replicas: IntArray,
    *,
    used_cpu: IntArray | None = None,
    used_mem: IntArray | None = None,
    present: IntArray | None = None,
    nodes: BoolArray | None = None,
) -> tuple[IntArray, dict[str, int]]:
    """Place `replicas[s]` copies of each service on top of the current use; returns the counts
    placed per (service, node) and the replicas that found no node, by service name."""
    n_nodes = len(cluster.cap_cpu)
    free_cpu = cluster.cap_cpu - (0 if used_cpu is None else used_cpu)
    free_mem = cluster.cap_mem - (0 if used_mem is None else used_mem)
    here = np.zeros((len(cluster.cpu), n_nodes), dtype=np.int64) if present is None else present.copy()
    usable = np.ones(n_nodes, dtype=bool) if nodes is None else nodes
    placed = np.zeros((len(cluster.cpu), n_nodes), dtype=np.int64)
    failed: dict[str, int] = {}
    largest = (int(cluster.cap_cpu.max()), int(cluster.cap_mem.max())) if n_nodes else (1, 1)
    pinned = np.zeros(len(cluster.cpu), dtype=bool) if cluster.pinned is None else cluster.pinned
    order = sorted(
        (int(s) for s in np.flatnonzero(replicas > 0)),
        key=lambda s: submission_key(
            int(cluster.cpu[s]),
            int(cluster.mem[s]),
            cluster.names[s],
            largest,
            pinned=bool(pinned[s]),
            spread=bool(cluster.spread[s]),
        ),
    )
    cap_cpu = np.maximum(cluster.cap_cpu, 1).astype(np.float64)
    cap_mem = np.maximum(cluster.cap_mem, 1).astype(np.float64)
    for s in order:
        c, m = int(cluster.cpu[s]), int(cluster.mem[s])
        base = usable & cluster.eligible[s]
        for _ in range(int(replicas[s])):
            fits = base & (free_cpu >= c) & (free_mem >= m)
            ok = fits & (here[s] == 0)
            if not cluster.spread[s] and not ok.any():
                ok = fits  # anti-affinity is a preference, except for spread services
            if not ok.any():
                failed[cluster.names[s]] = failed.get(cluster.names[s], 0) + 1
                continue
            # Same arithmetic as the emulator's Node.score: exact free shares, then 20 - (a + b).
            score = 20.0 - (np.power(10.0, (free_cpu - c) / cap_cpu) + np.power(10.0, (free_mem - m) / cap_mem))
            score = np.where(ok, score, -np.inf)
            n = int(np.argmax(score))
            free_cpu[n] -= c
            free_mem[n] -= m
            here[s, n] += 1
            placed[s, n] += 1
    return placed, failed


def placement_check(cluster: Cluster, replicas: IntArray) -> tuple[bool, dict[str, int]]:
    """Greedy placement of the whole demand onto empty nodes."""
    _, failed = best_fit(cluster, replicas)
    return not failed, failed


def lost_node_failures(cluster: Cluster, counts: IntArray) -> list[int]:
    """Nodes whose loss leaves some replica unplaceable (their replicas re-placed by best fit on
    the others' free room). `counts[s, n]` is the planned placement."""
    used_cpu = cluster.cpu @ counts
    used_mem = cluster.mem @ counts
    failing = []
    for n in range(counts.shape[1]):
        lost = counts[:, n]
        if not lost.any():
            continue
        others = np.ones(counts.shape[1], dtype=bool)
        others[n] = False
        _, failed = best_fit(cluster, lost, used_cpu=used_cpu, used_mem=used_mem, present=counts, nodes=others)
        if failed:
            failing.append(n)
    return failing
