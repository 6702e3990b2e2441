"""`--time-limit` covers the whole `make_plan` call, scheduler stage and all, on an input too big to finish early."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from costplan.planner import PlanOptions, make_plan

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from planner_instances import scaling_services, synthetic_catalogue  # type: ignore[import-not-found]  # noqa: E402

LIMIT = 2.5
MARGIN = 1.0  # seconds beyond limit + 10 %: a loaded CI machine


def test_a_few_hundred_services_end_within_the_limit() -> None:
    catalogue = synthetic_catalogue(120, 4, 0)
    services = scaling_services(400, 0)
    began = time.monotonic()
    plan = make_plan(catalogue, services, PlanOptions(time_limit=LIMIT))
    seconds = time.monotonic() - began
    assert seconds <= 1.1 * LIMIT + MARGIN, f"{seconds:.2f} s for a {LIMIT} s limit"
    assert plan.placement is not None and plan.placement.runs >= 1  # the scheduler stage ran and says how often
    assert sum(len(n.replicas) for n in plan.nodes) == sum(s.count_min for s in services)
