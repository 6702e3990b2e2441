"""Progress: each phase reports the incumbent and the bound as they improve; only on a terminal."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from costplan.planner import CapacityModel, node_types
from costplan.planner.baselines import ffd_baseline
from costplan.planner.problem import build_problem
from costplan.planner.search import solve, stderr_progress

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from planner_instances import make_instance  # type: ignore[import-not-found]  # noqa: E402


def test_phases_report_a_falling_plan_and_a_rising_bound() -> None:
    instance = make_instance("small", 4)
    types, _ = node_types(instance.catalogue, CapacityModel())
    problem = build_problem(types, instance.services, [s.count_min for s in instance.services])
    seen: list[tuple[str, float, float]] = []
    result = solve(problem, time_limit=5, starts=[(ffd_baseline(problem), "ffd")], progress=lambda *a: seen.append(a))
    assert seen and seen[0][0].startswith("starting plans")
    costs, bounds = [c for _, c, _ in seen], [b for _, _, b in seen]
    assert costs == sorted(costs, reverse=True) and bounds == sorted(bounds)
    assert all(b <= c for c, b in zip(costs, bounds, strict=True))
    assert costs[-1] == result.cost_units


def test_no_progress_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert stderr_progress() is None


def test_progress_line_names_phase_plan_bound_and_gap(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    show = stderr_progress()
    assert show is not None
    show("node-count bound", 1_000_000.0, 990_000.0)
    line = capsys.readouterr().err
    assert "node-count bound: plan 100.00, bound 99.00, gap 1.00%" in line
