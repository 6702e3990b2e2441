"""Column generation (Gilmore-Gomory) over node patterns, its bound, and the restricted master MILP.

A *pattern* is one node: a type t and how many replicas of each group it hosts. The master LP

    min sum_j p_j lam_j   s.t.  sum_j a[g, j] lam_j >= demand[g],  lam >= 0

is solved over a growing set of patterns; new ones come from pricing each type against the
duals pi (a greedy 2-dimensional knapsack: fill by value density). Bound (Farley): for duals
pi >= 0 and an upper bound v_t on every type-t pattern's value sum_g pi_g a_g, pi / max_t(v_t/p_t)
is dual feasible, so sum_g demand_g pi_g / max(1, max_t v_t / p_t) bounds every plan. v_t is
the Lagrangian (LP) bound of the type's knapsack, valid for any multipliers, so the bound
holds whatever the greedy pricing missed. The restricted master MILP (integer lam over the
generated patterns) then picks a good whole set of nodes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from costplan.planner._solve import Model, work
from costplan.planner.problem import IntArray, Packing, Problem
from costplan.plans import MONEY_SCALE

MAX_ROUNDS = 200
COLUMNS_PER_ROUND = 60
EXACT_PRICING = 4  # types priced exactly per round, besides the focus types
PRICING_NODES = 100  # branch-and-bound nodes per exact pricing knapsack
PRICING_CEILING = 1.0  # seconds: only a ceiling
MASTER_NODES = 2_000  # branch-and-bound nodes of the restricted master MILP


@dataclass
class ColumnGeneration:
    packing: Packing | None
    bound_units: float
    bound_method: str
    stats: dict[str, Any] = field(default_factory=dict)


def generate(
    problem: Problem,
    *,
    deadline: float,
    incumbent: Packing | None,
    focus: IntArray | None = None,
    work_limit: float = math.inf,
) -> ColumnGeneration:
    """Column generation until no improving pattern is found (or `work_limit`, solver work, is
    used up; the deadline is a ceiling), then the RMP."""
    types: list[int] = []
    columns: list[IntArray] = []
    seen: set[bytes] = set()

    def add(t: int, a: IntArray) -> None:
        key = np.int64(t).tobytes() + a.tobytes()
        if a.any() and key not in seen:
            seen.add(key)
            types.append(t)
            columns.append(a.astype(np.int64))

    # Data: start from the incumbent's nodes and one full node per group (always feasible).
    if incumbent is not None:
        for n in range(incumbent.n_nodes):
            add(int(incumbent.types[n]), incumbent.counts[n])
    for g in range(problem.n_groups):
        k = np.minimum(problem.kmax[g], problem.demand[g])
        per = np.where(k > 0, problem.price / np.maximum(k, 1), np.inf)
        t = int(np.argmin(per))
        a = np.zeros(problem.n_groups, dtype=np.int64)
        a[g] = k[t]
        add(t, a)

    bound = -math.inf
    rounds = 0
    duals = np.zeros(problem.n_groups)
    while rounds < MAX_ROUNDS and time.monotonic() < deadline and work() < work_limit:
        rounds += 1
        lp = _master(problem, types, columns, integer=False, time_limit=max(0.05, deadline - time.monotonic()))
        if lp is None:
            break
        duals = lp
        bound = max(bound, farley_bound(problem, duals))
        found = 0
        priced = _price(problem, duals)
        # Exact pricing (a small knapsack MILP) on the most promising types: greedy patterns
        # alone stall far from the LP optimum in two dimensions.
        promising = sorted(priced, key=lambda item: item[2])[:EXACT_PRICING]
        chosen = {t for t, _, _ in promising} | (set(focus.tolist()) if focus is not None else set())
        for t in sorted(chosen):
            if time.monotonic() >= deadline:
                break
            exact = _price_exact(problem, duals, t, min(PRICING_CEILING, deadline - time.monotonic()))
            if exact is not None:
                priced.append((t, exact, float(problem.price[t] - duals @ exact)))
        for t, a, reduced in sorted(priced, key=lambda item: item[2])[:COLUMNS_PER_ROUND]:
            if reduced < -1e-6:
                before = len(columns)
                add(t, a)
                found += len(columns) - before
        if found == 0:
            break

    packing = None
    left = deadline - time.monotonic()
    if left > 0.05:
        values = _master(problem, types, columns, integer=True, time_limit=left)
        if values is not None:
            packing = _to_packing(problem, types, columns, values)
    stats = {"rounds": rounds, "patterns": len(columns), "bound_units": bound}
    return ColumnGeneration(packing, bound, "column generation (Farley bound)", stats)


def _master(problem: Problem, types: list[int], columns: list[IntArray], *, integer: bool, time_limit: float) -> Any:
    """Master over the patterns: LP -> row duals; MILP -> pattern counts (None if no answer)."""
    a = np.asarray(columns).T  # [G, J]
    price = problem.price[np.asarray(types)].astype(np.float64)
    # Variables: how many nodes of each pattern.
    m = Model()
    lam = m.add_vars(len(types), cost=price / MONEY_SCALE, integer=integer)
    # Every group's demand is covered by the patterns.
    rows = m.add_rows(problem.n_groups, lo=problem.demand)
    g, j = np.nonzero(a)
    m.add_coeffs(rows[g], lam[j], a[g, j])
    sol = m.solve(time_limit=time_limit, mip_abs_gap=0.5 / MONEY_SCALE, mip_rel_gap=1e-4, node_limit=MASTER_NODES)
    if integer:
        return None if sol.x is None else np.round(sol.x).astype(np.int64)
    if sol.status != "optimal" or sol.row_duals is None:
        return None
    return np.maximum(sol.row_duals * MONEY_SCALE, 0.0)


def _price(problem: Problem, duals: np.ndarray) -> list[tuple[int, IntArray, float]]:
    """Per type, a greedy high-value pattern (fill by value per unit of capacity used)."""
    out = []
    positive = np.flatnonzero(duals > 1e-9)
    for t in range(problem.n_types):
        ub = np.minimum(problem.kmax[positive, t], problem.demand[positive])
        ok = ub > 0
        if not ok.any():
            continue
        g_ok, ub_ok = positive[ok], ub[ok]
        use = problem.cpu[g_ok] / problem.cap_cpu[t] + problem.mem[g_ok] / problem.cap_mem[t]
        density = duals[g_ok] / np.maximum(use, 1e-12)
        a = np.zeros(problem.n_groups, dtype=np.int64)
        free_cpu, free_mem = int(problem.cap_cpu[t]), int(problem.cap_mem[t])
        for i in np.argsort(-density, kind="stable"):
            g = int(g_ok[i])
            c, mm = int(problem.cpu[g]), int(problem.mem[g])
            take = int(ub_ok[i])
            if c > 0:
                take = min(take, free_cpu // c)
            if mm > 0:
                take = min(take, free_mem // mm)
            if take > 0:
                a[g] = take
                free_cpu -= take * c
                free_mem -= take * mm
        out.append((t, a, float(problem.price[t] - duals @ a)))
    return out


def _price_exact(problem: Problem, duals: np.ndarray, t: int, time_limit: float) -> IntArray | None:
    """The most valuable pattern of type t: max pi.a, a within the node's CPU and memory."""
    groups = np.flatnonzero((duals > 1e-9) & (problem.kmax[:, t] > 0))
    if len(groups) == 0:
        return None
    ub = np.minimum(problem.kmax[groups, t], problem.demand[groups]).astype(np.float64)
    # Variables: replicas of each group on the node (maximise value = minimise -value).
    m = Model()
    a = m.add_vars(len(groups), cost=-duals[groups] / MONEY_SCALE, ub=ub, integer=True)
    # The node's CPU and memory hold them.
    rows = m.add_rows(2, hi=[float(problem.cap_cpu[t]), float(problem.cap_mem[t])])
    m.add_coeffs(rows[0], a, problem.cpu[groups])
    m.add_coeffs(rows[1], a, problem.mem[groups])
    sol = m.solve(time_limit=max(0.01, time_limit), mip_rel_gap=1e-3, node_limit=PRICING_NODES)
    if sol.x is None:
        return None
    pattern = np.zeros(problem.n_groups, dtype=np.int64)
    pattern[groups] = np.round(sol.x).astype(np.int64)
    return pattern


def farley_bound(problem: Problem, duals: np.ndarray) -> float:
    """sum demand.pi / max(1, max_t v_t / p_t), with v_t a Lagrangian bound on type t's patterns."""
    pi = np.maximum(duals, 0.0)
    if not pi.any():
        return 0.0
    ub = np.minimum(problem.kmax, problem.demand[:, None]).astype(np.float64)  # [G, T]
    # Multipliers mu (per unit of CPU share and memory share of the node): any mu >= 0 is valid.
    grid = np.linspace(0.0, 1.0, 21)
    best = np.full(problem.n_types, np.inf)
    share_cpu = problem.cpu[:, None] / problem.cap_cpu[None, :]
    share_mem = problem.mem[:, None] / problem.cap_mem[None, :]
    scale = float((pi[:, None] * ub).sum(axis=0).max()) or 1.0
    for level in (0.0, *np.geomspace(1e-3, 1.0, 12)):
        for w in grid:
            mu_c, mu_m = level * scale * w, level * scale * (1 - w)
            gain = np.maximum(0.0, pi[:, None] - mu_c * share_cpu - mu_m * share_mem)
            value = mu_c + mu_m + (ub * gain).sum(axis=0)
            best = np.minimum(best, value)
    price = problem.price.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(price > 0, best / price, np.where(best > 0, np.inf, 0.0))
    theta = max(1.0, float(ratio.max()))
    if not math.isfinite(theta):
        return 0.0
    return float(problem.demand @ pi) / theta


def _to_packing(problem: Problem, types: list[int], columns: list[IntArray], counts: IntArray) -> Packing:
    """Nodes from pattern counts, with replicas beyond the demand taken off (the master covers)."""
    chosen = np.repeat(np.arange(len(types)), np.maximum(counts, 0))
    node_types = np.asarray(types, dtype=np.int64)[chosen]
    node_counts = (
        np.asarray(columns, dtype=np.int64)[chosen].copy() if len(chosen) else np.zeros((0, problem.n_groups), np.int64)
    )
    surplus = node_counts.sum(axis=0) - problem.demand
    for g in np.flatnonzero(surplus > 0):
        extra = int(surplus[g])
        for n in np.argsort(node_counts[:, g], kind="stable"):
            if extra == 0:
                break
            drop = min(extra, int(node_counts[n, g]))
            node_counts[n, g] -= drop
            extra -= drop
    return Packing(node_types, node_counts).drop_empty()
