"""Landing benchmark: each seeded planner instance planned with the scheduler stage (default
`--landing 0.99`) and without it (`--landing 0`, the packing alone), side by side.

    python benchmarks/landing_bench.py                      # small x3, medium x3
    python benchmarks/landing_bench.py --sizes large --seeds 1 --runs 100

Columns per run: cost, proven lower bound, gap, landing share under the Nomad model (the stage's
own estimate; for the packing alone, the same model run on its plan JSON), its 95 % lower bound,
whether the deterministic best fit lands it, the premium over the packing, and seconds. Times are
whole `make_plan` runs on a shared 2-core machine: compare ratios measured in one run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner_instances import make_instance  # noqa: E402

from costplan.planner import PlanOptions, make_plan, scheduler  # noqa: E402
from costplan.plans import Plan  # noqa: E402

TIME_LIMITS = {"small": 2.0, "medium": 20.0, "large": 60.0}
SEEDS = {"small": 3, "medium": 3, "large": 1}


def judged(plan: Plan, runs: int) -> tuple[float, float, bool]:
    """Landing share, its 95 % lower bound, and whether best fit lands: from the plan JSON alone."""
    view = scheduler.from_plan(plan)
    nomad = scheduler.estimate(view.cluster, view.count_min, view.order, runs=runs, autoscale=False)
    best = scheduler.estimate(view.cluster, view.count_min, view.order, runs=1, mode="best-fit", autoscale=False)
    return nomad.probability, nomad.lower_bound, best.landed > 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=["small", "medium"])
    parser.add_argument("--seeds", type=int, default=None, help="instances per size (default: 3 / 3 / 1)")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per plan (default per size)")
    parser.add_argument("--runs", type=int, default=None, help="scheduler runs (default 200; 100 for large)")
    args = parser.parse_args()

    header = (
        f"{'instance':<10} {'landing':>7} {'cost':>11} {'bound':>11} {'gap':>7} {'lands':>6} {'lb95':>6} "
        f"{'bestfit':>7} {'premium':>8} {'time s':>7}"
    )
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        runs = args.runs or (100 if size == "large" else 200)
        for seed in range(args.seeds or SEEDS[size]):
            instance = make_instance(size, seed)
            for landing in (0.99, 0.0):
                options = PlanOptions(
                    time_limit=args.time_limit or TIME_LIMITS[size], landing=landing, landing_runs=runs
                )
                began = time.perf_counter()
                plan = make_plan(instance.catalogue, instance.services, options)
                seconds = time.perf_counter() - began
                share, bound, best = judged(plan, runs)
                premium = plan.placement.premium / plan.placement.packing_cost if plan.placement else 0.0
                print(
                    f"{instance.name:<10} {landing:>7g} {plan.monthly_cost:>11,.2f} {plan.lower_bound:>11,.2f} "
                    f"{plan.gap:>7.2%} {share:>6.1%} {bound:>6.1%} {'yes' if best else 'no':>7} "
                    f"{premium:>8.2%} {seconds:>7.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
