"""Lower bounds: what no plan can beat, each derived from something we can check.

Every packing has integer node counts x_t and, for the replicas, satisfies

- capacity per class: for each set K of types that some group is limited to, the nodes of K
  hold at least the CPU (and memory) of every group that may only use types of K;
- granularity: one node of type t holds at most kmax[g, t] replicas of group g (this is where
  spread and "big replicas" enter): sum_t kmax[g, t] x_t >= demand[g];
- with per-group flows f[g, t] (replicas of g on type t), the same per type and group.

Relaxing the placement to these rows keeps every packing feasible, so the optimum of the
relaxation is a valid bound. The LP version is certified by its dual values (re-checked and
scaled to dual feasibility here, not taken on trust); the integer version (integer x: "you
cannot buy 2.3 nodes") is used only when HiGHS proves optimality to a gap we set, or, at a
time limit, when its dual bound lies between the certified LP bound and a known plan's cost.
Money is integral in 1/10 000 units, so a bound b proves ceil(b) (`integral`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from costplan.planner._solve import Model
from costplan.planner.problem import Problem
from costplan.plans import MONEY_SCALE

FloatArray = npt.NDArray[np.float64]
FLOW_LIMIT = 15_000  # group x type pairs above which the flow model is too slow for a bound
DFF_ORDERS = (1, 2, 3)


def dff(share: FloatArray, k: int) -> FloatArray:
    """Fekete-Schepers dual-feasible function u_k: sizes summing to <= 1 keep summing to <= 1."""
    scaled = (k + 1) * share
    whole = np.abs(scaled - np.round(scaled)) < 1e-9
    return np.where(whole, share, np.floor(scaled + 1e-12) / k)


@dataclass(frozen=True)
class Bound:
    """A proven lower bound in money units, how it was proven, and the relaxation's node counts."""

    units: float
    method: str
    x: FloatArray | None = None  # node counts per type
    flows: FloatArray | None = None  # [G, T] replicas per group and type, when modelled
    proven_optimal: bool = False  # the relaxation was solved to optimality
    values: FloatArray | None = None  # [G] replica values from the LP duals (`group_values`)
    reduced: FloatArray | None = None  # [T] price minus the duals' value of a node's capacity (>= 0)


def integral(units: float) -> float:
    """Costs are whole money units: a bound b on them proves ceil(b) (guarding float error)."""
    if not math.isfinite(units):
        return units
    return float(math.ceil(units - 1e-6 - 1e-13 * abs(units)))


def reachable_fill(sizes: np.ndarray, counts: np.ndarray, capacity: int) -> int:
    """The largest total <= capacity of a sub-multiset of the replicas (subset sum, as a bitset).

    No node can use more of a dimension than this, so it replaces the raw capacity in every
    bound: with reservations in multiples of 128 MB, a 7271 MB node holds at most 7168 MB.
    """
    if capacity <= 0:
        return 0
    by_size: dict[int, int] = {}
    for size, count in zip(sizes.tolist(), counts.tolist(), strict=True):
        if count > 0 and 0 < size <= capacity:
            by_size[size] = by_size.get(size, 0) + count
    mask = (1 << (capacity + 1)) - 1
    reach = 1
    for size, count in by_size.items():
        count = min(count, capacity // size)
        step = 1
        while count > 0:  # binary splitting of the multiplicity
            take = min(step, count)
            reach = (reach | (reach << (size * take))) & mask
            count -= take
            step *= 2
        if reach >> capacity & 1:
            return capacity
    return reach.bit_length() - 1


def effective_capacity(problem: Problem) -> tuple[FloatArray, FloatArray]:
    """Per type, the most CPU and memory the allowed replicas can actually fill on one node."""
    cpu = np.empty(problem.n_types)
    mem = np.empty(problem.n_types)
    for t in range(problem.n_types):
        k = np.minimum(problem.kmax[:, t], problem.demand)
        cpu[t] = reachable_fill(problem.cpu, k, int(problem.cap_cpu[t]))
        mem[t] = reachable_fill(problem.mem, k, int(problem.cap_mem[t]))
    return cpu, mem


def covering_rows(
    problem: Problem, capacity: tuple[FloatArray, FloatArray] | None = None
) -> tuple[FloatArray, FloatArray, list[str]]:
    """The aggregate rows A x >= b over node counts x (nonnegative A)."""
    cap_cpu, cap_mem = capacity if capacity is not None else (problem.cap_cpu, problem.cap_mem)
    rows: list[FloatArray] = []
    rhs: list[float] = []
    labels: list[str] = []
    for types, inside in _classes(problem):
        # The nodes of K hold all CPU / memory of the groups limited to K.
        rows.append(np.where(types, cap_cpu, 0).astype(np.float64))
        rhs.append(float(problem.demand[inside] @ problem.cpu[inside]))
        rows.append(np.where(types, cap_mem, 0).astype(np.float64))
        rhs.append(float(problem.demand[inside] @ problem.mem[inside]))
        labels += ["cpu", "memory"]
    # One node of type t holds at most kmax[g, t] replicas of group g.
    for g in range(problem.n_groups):
        rows.append(problem.kmax[g].astype(np.float64))
        rhs.append(float(problem.demand[g]))
        labels.append("granularity")
    return np.asarray(rows), np.asarray(rhs), labels


def _classes(problem: Problem) -> list[tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]]:
    """The classes K of `covering_rows`, in row order: (types of K, groups that may only use K)."""
    allowed = problem.allowed
    classes = {allowed[g].tobytes(): allowed[g] for g in range(problem.n_groups)}
    classes[b"all"] = allowed.any(axis=0)
    return [(types, (allowed & ~types[None, :]).sum(axis=1) == 0) for types in classes.values()]


def group_values(problem: Problem, y: FloatArray) -> FloatArray:
    """What one replica of each group is worth under duals `y` of the covering rows (money units).

    For dual-feasible y (A^T y <= price) no node's replicas are worth more than its price, so
    price - value is the node's waste and the plan's cost minus the LP bound is the total waste.
    """
    values = np.zeros(problem.n_groups)
    i = 0
    for _types, inside in _classes(problem):
        values += inside * (y[i] * problem.cpu + y[i + 1] * problem.mem)
        i += 2
    values += y[i : i + problem.n_groups]
    return values


def covering_dual_bound(a: FloatArray, b: FloatArray, price: FloatArray, y: FloatArray) -> float:
    """Weak duality by hand: any y >= 0 scaled so that A^T y <= price proves b.y."""
    return max(0.0, float(b @ feasible_duals(a, price, y)))


def feasible_duals(a: FloatArray, price: FloatArray, y: FloatArray) -> FloatArray:
    """`y` clipped to >= 0 and scaled down until A^T y <= price (dual feasible)."""
    y = np.maximum(np.nan_to_num(y, nan=0.0), 0.0)
    load = a.T @ y
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(load > 0, price / load, np.inf)
    theta = min(1.0, float(ratio.min())) if len(ratio) else 1.0
    scaled: FloatArray = theta * y
    return scaled


def lp_bound(problem: Problem, capacity: tuple[FloatArray, FloatArray] | None = None) -> Bound:
    """The aggregate-capacity LP (min p.x, A x >= b, x >= 0), certified from its duals."""
    if not problem.demand.any():
        return Bound(0.0, "empty demand", proven_optimal=True)
    a, b, _ = covering_rows(problem, capacity)
    price = problem.price.astype(np.float64)

    # Variables: fractional node counts per type.
    m = Model()
    x = m.add_vars(problem.n_types, cost=price / MONEY_SCALE)
    # Constraints: every aggregate row.
    rows = m.add_rows(len(b), lo=b)
    r, t = np.nonzero(a)
    m.add_coeffs(rows[r], x[t], a[r, t])
    sol = m.solve(time_limit=30.0)
    if sol.status != "optimal" or sol.row_duals is None:
        return Bound(0.0, "none (aggregate LP not solved)")
    y = feasible_duals(a, price, sol.row_duals * MONEY_SCALE)
    units = max(0.0, float(b @ y))
    return Bound(
        units,
        "aggregate-capacity LP (dual certificate)",
        x=sol.x,
        proven_optimal=True,
        values=group_values(problem, y),
        reduced=price - a.T @ y,
    )


def node_count_bound(
    problem: Problem,
    *,
    time_limit: float,
    known_bound: float = 0.0,
    incumbent: float = math.inf,
    flows: bool | None = None,
    capacity_scale: float = 1.0,
    capacity: tuple[FloatArray, FloatArray] | None = None,
    integer: bool = True,
    node_limit: int | None = None,
) -> Bound:
    """The same relaxation with integer node counts (and, when small enough, per-group flows).

    With `capacity_scale` < 1 it is a heuristic model (room to spare for whole replicas), not a
    bound: then `units` is -inf and only `x` / `flows` are meant to be used.
    """
    if not problem.demand.any():
        return Bound(0.0, "empty demand", proven_optimal=True)
    use_flows = problem.allowed.sum() <= FLOW_LIMIT if flows is None else flows
    price = problem.price.astype(np.float64)
    base_cpu, base_mem = capacity if capacity is not None else (problem.cap_cpu, problem.cap_mem)
    cap_cpu = base_cpu * capacity_scale
    cap_mem = base_mem * capacity_scale
    upper: FloatArray = (problem.allowed * problem.demand[:, None]).sum(axis=0).astype(np.float64)

    # Variables: whole node counts per type.
    m = Model()
    x = m.add_vars(problem.n_types, cost=price / MONEY_SCALE, ub=upper, integer=integer)
    a, b, labels = covering_rows(problem, capacity)
    a = np.where(np.asarray(labels)[:, None] == "cpu", a * capacity_scale, a)
    a = np.where(np.asarray(labels)[:, None] == "memory", a * capacity_scale, a)
    # Constraints: the aggregate rows (capacity per class, granularity per group).
    rows = m.add_rows(len(b), lo=b)
    r, t = np.nonzero(a)
    m.add_coeffs(rows[r], x[t], a[r, t])
    f = None
    pairs = np.argwhere(problem.allowed)
    if use_flows:
        g_of, t_of = pairs[:, 0], pairs[:, 1]
        f = m.add_vars(len(pairs), ub=problem.demand[g_of].astype(np.float64))
        # Each replica is hosted on some allowed type.
        demand_rows = m.add_rows(problem.n_groups, lo=problem.demand, hi=problem.demand)
        m.add_coeffs(demand_rows[g_of], f, 1.0)
        # Nodes of type t hold the CPU and the memory of the replicas sent to t.
        cpu_rows = m.add_rows(problem.n_types, hi=0.0)
        m.add_coeffs(cpu_rows[t_of], f, problem.cpu[g_of])
        m.add_coeffs(cpu_rows, x, -cap_cpu)
        mem_rows = m.add_rows(problem.n_types, hi=0.0)
        m.add_coeffs(mem_rows[t_of], f, problem.mem[g_of])
        m.add_coeffs(mem_rows, x, -cap_mem)
        # At most kmax[g, t] replicas of g per node of t (spread: one).
        tight = problem.kmax[g_of, t_of] < problem.demand[g_of]
        link_rows = m.add_rows(int(tight.sum()), hi=0.0)
        m.add_coeffs(link_rows, f[tight], 1.0)
        m.add_coeffs(link_rows, x[t_of[tight]], -problem.kmax[g_of[tight], t_of[tight]])
        # Big replicas do not share a node freely: for the dual-feasible functions u_k of
        # Fekete-Schepers, sum_g u_k(size_g / capacity_t) f[g, t] <= x_t (per dimension).
        for size, cap in ((problem.cpu, cap_cpu), (problem.mem, cap_mem)):
            share = np.divide(size[g_of], cap[t_of], out=np.zeros(len(g_of)), where=cap[t_of] > 0)
            for k in DFF_ORDERS:
                u = dff(share, k)
                useful = np.bincount(t_of, weights=(u > share + 1e-9), minlength=problem.n_types) > 0
                if not useful.any():
                    continue
                sel = useful[t_of]
                r = m.add_rows(problem.n_types, hi=0.0)
                m.add_coeffs(r[t_of[sel]], f[sel], u[sel])
                m.add_coeffs(r, x, -useful.astype(np.float64))
    if problem.max_pools is not None:
        # At most max_pools distinct (counted) types have nodes.
        counted = np.flatnonzero(~problem.free_mask())
        z = m.add_vars(len(counted), ub=1.0, integer=integer)
        link = m.add_rows(len(counted), hi=0.0)
        m.add_coeffs(link, x[counted], 1.0)
        m.add_coeffs(link, z, -upper[counted])
        cap_row = m.add_rows(1, hi=float(problem.max_pools))
        m.add_coeffs(cap_row[0], z, 1.0)

    # Objective: the monthly price of the nodes; solve with the gap we can certify (half a unit).
    sol = m.solve(time_limit=time_limit, mip_abs_gap=0.5 / MONEY_SCALE, node_limit=node_limit)
    x_val = sol.x[x] if sol.x is not None else None
    flow_val = None
    if sol.x is not None and f is not None:
        flow_val = np.zeros(problem.kmax.shape)
        flow_val[pairs[:, 0], pairs[:, 1]] = sol.x[f]
    if capacity_scale != 1.0 or not integer:
        return Bound(-math.inf, "heuristic", x=x_val, flows=flow_val)
    name = "node-count MILP" + (" with per-service flows" if use_flows else "")
    if sol.status == "optimal":
        return Bound(sol.proven_bound * MONEY_SCALE, name + " (proven optimal)", x_val, flow_val, True)
    dual = sol.dual_bound * MONEY_SCALE
    if known_bound <= dual <= incumbent:
        return Bound(dual, name + " (dual bound at time limit)", x_val, flow_val)
    return Bound(-math.inf, name + " (not proven)", x_val, flow_val)
