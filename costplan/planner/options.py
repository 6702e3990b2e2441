"""Planning options: one frozen value, with named defaults, recorded in every plan."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from costplan.currency import Rates
from costplan.errors import ConfigError
from costplan.planner.capacity import CapacityModel
from costplan.plans import Usage

DEFAULT_TIME_LIMIT = 30.0  # seconds for a whole planning run (baseline, peak, alternatives)
DEFAULT_POOL_PREFIX = "cp"
DEFAULT_LANDING = 0.99  # share of seeded scheduler runs on which every replica must land
DEFAULT_LANDING_RUNS = 200  # Monte Carlo runs of the scheduler model that judge the final plan
COMMIT_MODES = ("baseline",)
_PREFIX = re.compile(r"^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$")


@dataclass(frozen=True)
class PlanOptions:
    """What the planner may use and how hard it tries.

    - `time_limit`: seconds for the whole run; when it runs out the best plan so far is
      returned with its certified gap.
    - `target_gap`: stop as soon as the certified gap is at most this fraction.
    - `n_plus_one`: add spare capacity until losing any one node leaves every replica placeable.
    - `max_pools`: at most this many distinct pools (node types).
    - `providers` / `exclude_providers`: provider names (any case) or uuids.
    - `environment_uuid`: only that environment's catalogue rows are candidates.
    - `pool_prefix`: pools are named `<prefix>-<provider>-<type>`.
    - `currency` / `currency_rates`: the plan's currency (default: the candidates' only one) and the
      rates that convert candidates priced in another; without a rate, mixed currencies are refused.
    - `plan_peak`: also place the `count_max` demand to set each pool's `count_max`.
    - `landing`: the scheduler stage (`costplan.planner.landing`) searches for the cheapest plan on
      which the platform's scheduler (Nomad's, simulated `landing_runs` times from `landing_seed`)
      lands every replica on at least this share of runs; 0 turns the stage off (the packing alone).
    - `usage`: hours a month at peak, for the plan's `expected_monthly_cost` (None: not stated).
    - `commit`: "baseline" prices the always-on baseline at committed (reserved) prices where the
      catalogue has them, the burst above it on demand; None (the default): on-demand throughout.

    ```python
    PlanOptions(time_limit=10, max_pools=2, exclude_providers=("AWS",))
    ```
    """

    capacity: CapacityModel = field(default_factory=CapacityModel)
    time_limit: float = DEFAULT_TIME_LIMIT
    target_gap: float = 0.0
    n_plus_one: bool = False
    max_pools: int | None = None
    providers: tuple[str, ...] = ()
    exclude_providers: tuple[str, ...] = ()
    environment_uuid: str | None = None
    pool_prefix: str = DEFAULT_POOL_PREFIX
    currency: str | None = None
    currency_rates: Rates = field(default_factory=Rates)
    plan_peak: bool = True
    seed: int = 0
    landing: float = DEFAULT_LANDING
    landing_runs: int = DEFAULT_LANDING_RUNS
    landing_seed: int = 0
    usage: Usage | None = None
    commit: str | None = None

    def __post_init__(self) -> None:
        if not self.time_limit > 0:
            raise ConfigError(f"time_limit must be positive, got {self.time_limit!r}")
        if not 0.0 <= self.target_gap < 1.0:
            raise ConfigError(f"target_gap must be a fraction in [0, 1), got {self.target_gap!r}")
        if self.max_pools is not None and self.max_pools < 1:
            raise ConfigError(f"max_pools must be at least 1, got {self.max_pools!r}")
        if not _PREFIX.match(self.pool_prefix):
            raise ConfigError(
                f"pool_prefix must be 1-20 lowercase letters, digits or '-' (not at the ends), got {self.pool_prefix!r}"
            )
        if not (isinstance(self.landing, (int, float)) and math.isfinite(self.landing) and 0 <= self.landing <= 1):
            raise ConfigError(f"landing must be a probability in [0, 1] (0: no scheduler stage), got {self.landing!r}")
        if isinstance(self.landing_runs, bool) or not isinstance(self.landing_runs, int) or self.landing_runs < 1:
            raise ConfigError(f"landing_runs must be a whole number >= 1, got {self.landing_runs!r}")
        if self.commit is not None and self.commit not in COMMIT_MODES:
            raise ConfigError(f"commit must be one of {', '.join(COMMIT_MODES)} or None, got {self.commit!r}")
        object.__setattr__(self, "providers", tuple(self.providers))
        object.__setattr__(self, "exclude_providers", tuple(self.exclude_providers))

    def to_dict(self) -> dict[str, Any]:
        """The options as recorded in a plan's assumptions (verification rechecks them)."""
        return {
            "time_limit": self.time_limit,
            "target_gap": self.target_gap,
            "n_plus_one": self.n_plus_one,
            "max_pools": self.max_pools,
            "providers": list(self.providers),
            "exclude_providers": list(self.exclude_providers),
            "environment_uuid": self.environment_uuid,
            "pool_prefix": self.pool_prefix,
            "currency": self.currency,
            "currency_rates": {f"{a}/{b}": r for (a, b), r in sorted(self.currency_rates.pairs.items())},
            "plan_peak": self.plan_peak,
            "seed": self.seed,
            "landing": self.landing,
            "landing_runs": self.landing_runs,
            "landing_seed": self.landing_seed,
            "commit": self.commit,
        }
