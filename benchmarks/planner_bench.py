"""Planner benchmark: cost, proven lower bound, gap, time and both baselines, per seeded instance.

    python benchmarks/planner_bench.py                 # small x5, medium x3, large x2
    python benchmarks/planner_bench.py --sizes medium --seeds 5
    python benchmarks/planner_bench.py --sizes large --seeds 2 --first-seed 2

Targets (2-core machine): small proven optimal in < 1 s; medium gap <= 3 % in < 10 s;
large gap <= 2 % in < 60 s; never more expensive than either baseline. Times are whole
`make_plan` runs (baseline and peak plans, alternatives, verification). The targets are about
the search, so placeability repair (which adds the nodes the platform's greedy scheduler needs
on top of the optimised packing) is off unless `--ensure-placement` is given.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner_instances import make_instance  # noqa: E402

from costplan.planner import PlanOptions, make_plan  # noqa: E402

TIME_LIMITS = {"small": 5.0, "medium": 10.0, "large": 60.0}
SEEDS = {"small": 5, "medium": 3, "large": 2}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=["small", "medium", "large"])
    parser.add_argument("--seeds", type=int, default=None, help="instances per size (default: 5 / 3 / 2)")
    parser.add_argument("--first-seed", type=int, default=0, help="seed of the first instance of each size")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per instance (default per size)")
    parser.add_argument("--ensure-placement", action="store_true", help="also repair plans for the scheduler")
    args = parser.parse_args()

    header = (
        f"{'instance':<10} {'replicas':>8} {'types':>5} {'cost':>12} {'lower bound':>12} {'gap':>7} "
        f"{'status':>8} {'time s':>7} {'FFD':>12} {'least-waste':>12} {'<=both':>6}"
    )
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        for seed in range(args.first_seed, args.first_seed + (args.seeds or SEEDS[size])):
            instance = make_instance(size, seed)
            options = PlanOptions(
                time_limit=args.time_limit or TIME_LIMITS[size], ensure_placement=args.ensure_placement
            )
            began = time.perf_counter()
            plan = make_plan(instance.catalogue, instance.services, options)
            seconds = time.perf_counter() - began
            baseline = {a.kind: a.monthly_cost for a in plan.alternatives}
            ffd, waste = baseline.get("baseline_ffd"), baseline.get("baseline_least_waste")
            beats = all(b is None or plan.monthly_cost <= b for b in (ffd, waste))
            print(
                f"{instance.name:<10} {instance.replicas:>8} {len(instance.catalogue):>5} {plan.monthly_cost:>12,.2f} "
                f"{plan.lower_bound:>12,.2f} {plan.gap:>7.2%} {plan.status:>8} {seconds:>7.2f} "
                f"{_money(ffd):>12} {_money(waste):>12} {'yes' if beats else 'NO':>6}",
                flush=True,
            )


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


if __name__ == "__main__":
    main()
