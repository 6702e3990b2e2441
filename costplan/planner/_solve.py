"""The one place the solver is imported: a small sparse model builder over HiGHS.

Planner modules state their models with `Model` (variables, rows, coefficients as numpy
arrays, the way the maths reads) and get back a `Solution`. Bounds are reported only from
what the status proves: an LP at optimality, or a MIP whose optimality certificate we set
ourselves (`mip_abs_gap`); a time-limited MIP's dual bound is passed on as `dual_bound`
and never trusted here, since the HiGHS field has been seen stale (docs/planner.md section 3).
Each solve uses a fresh solver instance, so no state leaks from one model to the next.

Reproducibility: with one thread and a fixed seed HiGHS gives the same answer for the same model
unless a *time* limit stops it. The search therefore limits its work by counts (branch-and-bound
nodes per MILP, simplex iterations over a phase, read from `work()`), and passes time limits only
as ceilings; `timeouts()` counts the solves a ceiling stopped, so a plan can say when the clock,
not the work limit, decided it.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

INF = math.inf
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _silence_banner() -> None:
    """HiGHS prints a copyright banner on the C-level stdout at its first instance; stdout is
    for data (`costplan plan --output json`), so that first instance is made with fd 1 muted."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):
        highspy.Highs()  # type: ignore[no-untyped-call]
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
            highspy.Highs()  # type: ignore[no-untyped-call]
        finally:
            os.dup2(saved, 1)
            os.close(devnull)
    finally:
        os.close(saved)


_silence_banner()

_LIMIT_STATUSES = {
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
    highspy.HighsModelStatus.kInterrupt,
    highspy.HighsModelStatus.kObjectiveBound,
    highspy.HighsModelStatus.kObjectiveTarget,
}


class _Meter(threading.local):
    """Per-thread totals of solver work (deterministic) and of time-limited solves."""

    iterations = 0
    timeouts = 0


_METER = _Meter()


def work() -> int:
    """Simplex iterations (plus 10 per branch-and-bound node) of every solve so far in this thread."""
    return _METER.iterations


def add_work(units: int) -> None:
    """Work done outside the solver (compiled searches limited by counts), in the same units."""
    _METER.iterations += units


def timeouts() -> int:
    """Solves so far in this thread that a time limit stopped."""
    return _METER.timeouts


@dataclass(frozen=True)
class Solution:
    """What a solve proved. `status`: optimal | infeasible | limit | error."""

    status: str
    is_mip: bool
    x: FloatArray | None  # column values when a feasible point is known
    objective: float  # of `x`; inf when there is none
    proven_bound: float  # a valid lower bound on the model's optimum (-inf when nothing is proven)
    dual_bound: float  # the solver's own MIP dual bound, untrusted
    row_duals: FloatArray | None  # LP only

    @property
    def has_solution(self) -> bool:
        return self.x is not None


class Model:
    """A minimisation model built column by column and row by row (coordinate format).

    ```python
    m = Model()
    x = m.add_vars(3, cost=[1, 2, 3], integer=True)   # variables
    r = m.add_rows(1, lo=4)                             # Σ x >= 4
    m.add_coeffs(r[0], x, 1.0)
    sol = m.solve(time_limit=1.0)                       # status check by the caller
    ```
    """

    def __init__(self) -> None:
        self._cost: list[FloatArray] = []
        self._lb: list[FloatArray] = []
        self._ub: list[FloatArray] = []
        self._int: list[npt.NDArray[np.bool_]] = []
        self._row_lo: list[FloatArray] = []
        self._row_hi: list[FloatArray] = []
        self._r: list[IntArray] = []
        self._c: list[IntArray] = []
        self._v: list[FloatArray] = []
        self.num_vars = 0
        self.num_rows = 0

    def add_vars(
        self,
        n: int,
        *,
        cost: float | npt.ArrayLike = 0.0,
        lb: float | npt.ArrayLike = 0.0,
        ub: float | npt.ArrayLike = INF,
        integer: bool = False,
    ) -> IntArray:
        """`n` new columns; returns their indices."""
        idx = np.arange(self.num_vars, self.num_vars + n, dtype=np.int64)
        self._cost.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), (n,)).copy())
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=np.float64), (n,)).copy())
        self._ub.append(np.broadcast_to(np.asarray(ub, dtype=np.float64), (n,)).copy())
        self._int.append(np.full(n, integer, dtype=bool))
        self.num_vars += n
        return idx

    def add_rows(self, n: int, *, lo: float | npt.ArrayLike = -INF, hi: float | npt.ArrayLike = INF) -> IntArray:
        """`n` new rows lo <= a.x <= hi; coefficients come from `add_coeffs`."""
        idx = np.arange(self.num_rows, self.num_rows + n, dtype=np.int64)
        self._row_lo.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (n,)).copy())
        self._row_hi.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (n,)).copy())
        self.num_rows += n
        return idx

    def add_coeffs(self, rows: npt.ArrayLike, cols: npt.ArrayLike, vals: npt.ArrayLike) -> None:
        """Matrix entries (broadcast together); repeated (row, col) pairs are summed."""
        r, c, v = np.broadcast_arrays(
            np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), np.asarray(vals, dtype=np.float64)
        )
        self._r.append(r.ravel().copy())
        self._c.append(c.ravel().copy())
        self._v.append(v.ravel().copy())

    def solve(
        self,
        *,
        time_limit: float = INF,
        mip_abs_gap: float = 1e-6,
        mip_rel_gap: float = 0.0,
        start: npt.ArrayLike | None = None,
        objective_cutoff: float | None = None,
        seed: int = 0,
        node_limit: int | None = None,
    ) -> Solution:
        """Solve; the caller checks `status` before reading anything else. `node_limit` (branch-and-
        bound nodes) is a work limit: unlike the time limit it gives the same answer on any machine."""
        n, m = self.num_vars, self.num_rows
        cost = _cat(self._cost, np.float64)
        integrality = _cat(self._int, np.bool_)
        is_mip = bool(integrality.any())
        if time_limit <= 0:
            _METER.timeouts += 1
            return Solution("limit", is_mip, None, INF, -INF, -INF, None)

        lp: Any = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = m
        lp.col_cost_ = cost
        lp.col_lower_ = _cat(self._lb, np.float64)
        lp.col_upper_ = _cat(self._ub, np.float64)
        lp.row_lower_ = _cat(self._row_lo, np.float64)
        lp.row_upper_ = _cat(self._row_hi, np.float64)
        rows, cols, vals = _cat(self._r, np.int64), _cat(self._c, np.int64), _cat(self._v, np.float64)
        keep = vals != 0.0
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        order = np.lexsort((rows, cols))
        rows, cols, vals = rows[order], cols[order], vals[order]
        if len(rows):
            # Sum duplicate (row, col) entries: HiGHS rejects repeated indices in a column.
            new = np.ones(len(rows), dtype=bool)
            new[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
            groups = np.cumsum(new) - 1
            vals = np.bincount(groups, weights=vals)
            rows, cols = rows[new], cols[new]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.concatenate(([0], np.cumsum(np.bincount(cols, minlength=n)))).astype(np.int32)
        lp.a_matrix_.index_ = rows.astype(np.int32)
        lp.a_matrix_.value_ = vals
        if is_mip:
            lp.integrality_ = [
                highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in integrality
            ]

        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.setOptionValue("output_flag", False)
        h.setOptionValue("random_seed", int(seed))
        h.setOptionValue("threads", 1)
        if math.isfinite(time_limit):
            h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
        h.setOptionValue("mip_abs_gap", float(mip_abs_gap))
        h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
        if node_limit is not None:
            h.setOptionValue("mip_max_nodes", int(node_limit))
        if objective_cutoff is not None:
            h.setOptionValue("objective_bound", float(objective_cutoff))
        h.passModel(lp)
        if start is not None and is_mip:
            hint = highspy.HighsSolution()
            hint.col_value = np.asarray(start, dtype=np.float64).tolist()
            hint.value_valid = True
            h.setSolution(hint)
        h.run()
        return _read(h, is_mip, mip_abs_gap, mip_rel_gap)


def _read(h: highspy.Highs, is_mip: bool, abs_gap: float, rel_gap: float) -> Solution:
    """Translate the solver's answer; only a proven status yields a proven bound."""
    status = h.getModelStatus()
    info = h.getInfo()
    _METER.iterations += max(0, int(info.simplex_iteration_count)) + 10 * max(0, int(info.mip_node_count))
    if status == highspy.HighsModelStatus.kTimeLimit:
        _METER.timeouts += 1
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    solution = h.getSolution()
    x = np.asarray(solution.col_value, dtype=np.float64) if has_x else None
    objective = float(info.objective_function_value) if has_x else INF
    dual_bound = float(info.mip_dual_bound) if is_mip else -INF
    if not math.isfinite(dual_bound) or (has_x and dual_bound > objective + 1e-9 * max(1.0, abs(objective))):
        dual_bound = -INF
    if status == highspy.HighsModelStatus.kOptimal and has_x:
        # Optimality means objective - optimum <= max(abs_gap, rel_gap * |objective|), as we asked.
        slack = max(abs_gap, rel_gap * abs(objective)) if is_mip else 0.0
        duals = None if is_mip else np.asarray(solution.row_dual, dtype=np.float64)
        return Solution("optimal", is_mip, x, objective, objective - slack, dual_bound, duals)
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return Solution("infeasible", is_mip, None, INF, INF, INF, None)
    if status in _LIMIT_STATUSES:
        return Solution("limit", is_mip, x, objective, -INF, dual_bound, None)
    return Solution("error", is_mip, x, objective, -INF, -INF, None)


def _cat(parts: Sequence[npt.NDArray[Any]], dtype: type) -> npt.NDArray[Any]:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)
