"""VPSolver's instance formats (`.vbp`, `.mvp`) read into costplan's `Problem`.

Formats (whitespace-separated integers, as in the VPSolver repository):

- `.vbp` (vector bin packing): `d`, the `d` capacities of the one bin type, `m`, then per item
  its `d` weights and its demand. Bins cost 1.
- `.mvp` (multiple-choice vector bin packing): `d`, the number of bin types, per type its `d`
  capacities, its cost and how many are available (-1: unlimited); `m`, then per item the
  number of its alternative weight vectors and its demand, and those vectors.

costplan's model has two dimensions (CPU, memory), one size per replica and unlimited nodes of
every type, so instances with more than two dimensions, alternative item sizes or limited bin
counts are refused with a `ValueError` that says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from costplan.planner.problem import Problem, per_node


@dataclass(frozen=True)
class Instance:
    """Capacities per bin type (d columns), costs, item weights (d columns) and demands."""

    capacities: np.ndarray  # [T, d]
    costs: np.ndarray  # [T]
    weights: np.ndarray  # [G, d]
    demand: np.ndarray  # [G]


def _numbers(text: str) -> list[int]:
    try:
        return [int(token) for token in text.split()]
    except ValueError as exc:
        raise ValueError(f"not a VPSolver instance: {exc}") from None


def parse_vbp(text: str) -> Instance:
    """A `.vbp` instance: one bin type of cost 1."""
    it = iter(_numbers(text))
    try:
        d = next(it)
        capacity = [next(it) for _ in range(d)]
        m = next(it)
        items = [[next(it) for _ in range(d + 1)] for _ in range(m)]
    except StopIteration:
        raise ValueError("not a VPSolver instance: the .vbp text ends early") from None
    rows = np.asarray(items, dtype=np.int64).reshape(m, d + 1)
    return Instance(np.asarray([capacity], dtype=np.int64), np.ones(1, np.int64), rows[:, :d], rows[:, d])


def parse_mvp(text: str) -> Instance:
    """A `.mvp` instance whose items have one size each and whose bin types are unlimited."""
    it = iter(_numbers(text))
    try:
        d = next(it)
        n_types = next(it)
        capacities, costs = [], []
        for t in range(n_types):
            capacities.append([next(it) for _ in range(d)])
            costs.append(next(it))
            if next(it) != -1:
                raise ValueError(f"bin type {t} has a limited count: costplan's node types are unlimited")
        m = next(it)
        weights, demand = [], []
        for i in range(m):
            choices, b = next(it), next(it)
            vectors = [[next(it) for _ in range(d)] for _ in range(choices)]
            if choices != 1:
                raise ValueError(f"item {i} has {choices} alternative sizes: a costplan replica has one")
            weights.append(vectors[0])
            demand.append(b)
    except StopIteration:
        raise ValueError("not a VPSolver instance: the .mvp text ends early") from None
    return Instance(
        np.asarray(capacities, dtype=np.int64),
        np.asarray(costs, dtype=np.int64),
        np.asarray(weights, dtype=np.int64).reshape(m, d),
        np.asarray(demand, dtype=np.int64),
    )


def read(path: str | Path) -> Instance:
    """`.vbp` or `.mvp` by the file's suffix."""
    p = Path(path)
    parse = {".vbp": parse_vbp, ".mvp": parse_mvp}.get(p.suffix)
    if parse is None:
        raise ValueError(f"{p.name}: expected a .vbp or .mvp file")
    return parse(p.read_text(encoding="utf-8"))


def to_problem(instance: Instance) -> Problem:
    """The instance as a planning problem: dimension 1 is CPU, dimension 2 (if any) memory."""
    d = instance.capacities.shape[1]
    if d > 2:
        raise ValueError(f"{d} dimensions: costplan packs two (CPU and memory)")
    if (instance.costs <= 0).any():
        raise ValueError("bin costs must be positive")

    def column(a: np.ndarray, k: int, empty: int) -> np.ndarray:
        return a[:, k].astype(np.int64) if k < d else np.full(len(a), empty, dtype=np.int64)

    cpu, mem = column(instance.weights, 0, 0), column(instance.weights, 1, 0)
    cap_cpu, cap_mem = column(instance.capacities, 0, 1), column(instance.capacities, 1, 1)
    spread = np.zeros(len(cpu), dtype=bool)
    kmax = np.minimum(per_node(cpu, mem, spread, cap_cpu, cap_mem), np.maximum(instance.demand, 1)[:, None])
    if (kmax.max(axis=1, initial=0) == 0).any():
        raise ValueError("an item fits no bin type")
    return Problem(
        cpu=cpu,
        mem=mem,
        demand=instance.demand.astype(np.int64),
        spread=spread,
        cap_cpu=cap_cpu,
        cap_mem=cap_mem,
        price=instance.costs.astype(np.int64),
        kmax=kmax.astype(np.int64),
        type_ids=np.arange(len(cap_cpu), dtype=np.int64),
        members=tuple((g,) for g in range(len(cpu))),
    )
