"""Nomad-style placement of service replicas on instances (pure, no I/O).

Nomad's ``binpack`` scheduler scores each feasible node by how full it would be after
the placement (``20 - (10^freeCpu + 10^freeMem)``) and picks the best. As in Nomad's
``computeFreePercentage``, the free shares are taken of the node's capacity *minus what
the node itself reserves* (here the platform's per-node overhead, ``base_cpu`` /
``base_memory``), not of its raw total. Its job anti-affinity pushes replicas of one job
onto distinct nodes; the emulator mirrors that: fullest feasible node wins, nodes without
a replica of the same service are preferred, and co-location happens only when no other
node fits. Ties go to the node created first. When a replica does not fit anywhere, the
failure is reported like Nomad's ``AllocationMetric``: how many nodes were evaluated and,
per dimension, how many nodes ran out of it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

CPU = "cpu"
MEMORY = "memory"


@dataclass
class Node:
    """One running instance's capacity and what is already reserved on it."""

    uuid: str
    total_cpu: int
    total_memory: int
    reserved_cpu: int
    reserved_memory: int
    order: tuple[float, str] = (0.0, "")  # ties: the smaller (created first) wins
    services: Counter[str] = field(default_factory=Counter)
    base_cpu: int = 0  # what the node reserves for itself (counted in reserved_cpu too)
    base_memory: int = 0

    def exhausted_dimension(self, cpu: int, memory: int) -> str | None:
        """The first dimension (cpu, then memory, as Nomad checks) that cannot take the ask."""
        if self.reserved_cpu + cpu > self.total_cpu:
            return CPU
        if self.reserved_memory + memory > self.total_memory:
            return MEMORY
        return None

    def score(self, cpu: int, memory: int) -> float:
        """Nomad's binpack score after adding the ask: higher means fuller.

        The free shares are of the capacity left after the node's own reservation, computed
        as one exact division each (costplan's planner simulates the same arithmetic).
        """
        capacity_cpu = self.total_cpu - self.base_cpu
        capacity_memory = self.total_memory - self.base_memory
        if capacity_cpu <= 0 or capacity_memory <= 0:
            return 0.0
        free_cpu = (self.total_cpu - self.reserved_cpu - cpu) / capacity_cpu
        free_memory = (self.total_memory - self.reserved_memory - memory) / capacity_memory
        return 20.0 - (math.pow(10.0, free_cpu) + math.pow(10.0, free_memory))

    def reserve(self, service_uuid: str, cpu: int, memory: int) -> None:
        """Account one replica on this node."""
        self.reserved_cpu += cpu
        self.reserved_memory += memory
        self.services[service_uuid] += 1


@dataclass
class Outcome:
    """What happened to the replicas of one placement request."""

    placed: list[str]
    unplaced: int
    nodes_evaluated: int
    dimension_exhausted: dict[str, int] | None


def place(nodes: list[Node], service_uuid: str, cpu: int, memory: int, count: int) -> Outcome:
    """Place ``count`` replicas of (``cpu`` MHz, ``memory`` MB) on ``nodes``, in place.

    ``nodes`` must already be filtered to those the service may use; their reservations
    are updated for every replica placed. Placement stops at the first replica that fits
    nowhere (the rest cannot fit either: they are identical).
    """
    placed: list[str] = []
    for index in range(count):
        feasible = [n for n in nodes if n.exhausted_dimension(cpu, memory) is None]
        if not feasible:
            exhausted: Counter[str] = Counter()
            for node in nodes:
                dimension = node.exhausted_dimension(cpu, memory)
                if dimension is not None:
                    exhausted[dimension] += 1
            return Outcome(placed, count - index, len(nodes), dict(exhausted) or None)
        spread = [n for n in feasible if n.services[service_uuid] == 0]
        candidates = spread or feasible
        best = min(candidates, key=lambda n: (-n.score(cpu, memory), n.order))
        best.reserve(service_uuid, cpu, memory)
        placed.append(best.uuid)
    return Outcome(placed, 0, len(nodes), None)
