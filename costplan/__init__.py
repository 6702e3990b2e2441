"""costplan: what your services will cost on LayerOps, and the cheapest capacity to run them.

```
>>> import costplan
>>> catalogue = costplan.collect()                       # the sandbox emulator without a key
>>> plan = costplan.make_plan(catalogue.frame, costplan.load_services("services.yaml"))
>>> plan.monthly_cost, plan.lower_bound, plan.gap
```

The names below are loaded on first use, so `import costplan` (and `costplan --help`)
stays light: pandas and the solver are imported only when a plan or catalogue is made.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = sorted(
    [
        "CostplanError",
        "Settings",
        "collect",
        "load_catalogue",
        "load_services",
        "make_plan",
        "Plan",
    ]
)

_LAZY = {
    "CostplanError": "costplan.errors",
    "Settings": "costplan.config",
    "collect": "costplan.catalogue",
    "load_catalogue": "costplan.catalogue",
    "load_services": "costplan.demand",
    "make_plan": "costplan.planner",
    "Plan": "costplan.plans",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'costplan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
