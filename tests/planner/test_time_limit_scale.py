"""`--time-limit` covers the whole `make_plan` call, scheduler stage and all, on an input too big to finish early."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from costplan.models import ServiceSpec
from costplan.planner import PlanOptions, make_plan

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from planner_instances import synthetic_catalogue  # type: ignore[import-not-found]  # noqa: E402

LIMIT = 2.5
MARGIN = 1.0  # seconds beyond limit + 10 %: a loaded CI machine


def _services(n: int, seed: int) -> list[ServiceSpec]:
    """The scaling benchmark's shape: 1-4 replicas each (up to 6 at peak), a fifth spread."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        count = int(rng.integers(1, 5))
        out.append(
            ServiceSpec(
                name=f"svc-{i:04d}",
                count_min=count,
                count_max=min(6, count + int(rng.integers(0, 3))),
                cpu_mhz=int(rng.choice([100, 250, 500, 1000, 2000])),
                memory_mb=int(rng.choice([128, 256, 512, 1024, 2048, 4096])),
                spread=bool(rng.random() < 0.2),
            )
        )
    return out


def test_a_few_hundred_services_end_within_the_limit() -> None:
    catalogue = synthetic_catalogue(120, 4, 0)
    services = _services(400, 0)
    began = time.monotonic()
    plan = make_plan(catalogue, services, PlanOptions(time_limit=LIMIT))
    seconds = time.monotonic() - began
    assert seconds <= 1.1 * LIMIT + MARGIN, f"{seconds:.2f} s for a {LIMIT} s limit"
    assert plan.placement is not None and plan.placement.runs >= 1  # the scheduler stage ran and says how often
    assert sum(len(n.replicas) for n in plan.nodes) == sum(s.count_min for s in services)
