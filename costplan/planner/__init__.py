"""The planner: the cheapest instance pools for a demand, with a proven lower bound.

A pure pipeline (catalogue DataFrame + services + options -> `Plan`); the solver (HiGHS) is
imported in `costplan.planner._solve` only.

```python
from costplan.planner import PlanOptions, make_plan, what_if
plan = make_plan(catalogue, services, PlanOptions(time_limit=10, n_plus_one=True))
table = what_if(catalogue, services, {"baseline": PlanOptions(), "N+1": PlanOptions(n_plus_one=True)})
```
"""

from __future__ import annotations

from costplan.planner.baselines import best_single_type as best_single_type
from costplan.planner.baselines import ffd_baseline as ffd_baseline
from costplan.planner.baselines import least_waste_baseline as least_waste_baseline
from costplan.planner.capacity import CapacityModel as CapacityModel
from costplan.planner.capacity import ProviderCapacity as ProviderCapacity
from costplan.planner.capacity import node_types as node_types
from costplan.planner.options import PlanOptions as PlanOptions
from costplan.planner.pipeline import make_plan as make_plan
from costplan.planner.verify import verify_plan as verify_plan
from costplan.planner.what_if import what_if as what_if

__all__ = [
    "CapacityModel",
    "PlanOptions",
    "ProviderCapacity",
    "best_single_type",
    "ffd_baseline",
    "least_waste_baseline",
    "make_plan",
    "node_types",
    "verify_plan",
    "what_if",
]
