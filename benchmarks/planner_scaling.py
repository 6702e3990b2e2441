"""Planner scaling: wall time and peak memory of whole `make_plan` runs at 1k / 3k / 10k / 30k services.

    python benchmarks/planner_scaling.py                          # 1000 3000 10000 30000, 30 s limit
    python benchmarks/planner_scaling.py --services 1000 3000 --time-limit 10
    python benchmarks/planner_scaling.py --landing 0 --catalogue synthetic   # packing alone, 300 types

Services have 1-4 replicas each (up to 6 at peak), on the sandbox catalogue (what `costplan plan`
uses without an API key, at the sandbox's illustrative rates) or a 300-type synthetic one
(`planner_instances`), with the scheduler stage at `--landing` (default 0.99, the CLI's). Each size
runs in its own process, so its peak RSS (getrusage) is its own; the time is the whole `make_plan`
call. The promise checked: time within the limit + 10 %, peak memory under 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_one(n_services: int, time_limit: float, seed: int, landing: float, source: str) -> dict[str, object]:
    """One plan in this process (called in a child process by `main`)."""
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    from planner_instances import scaling_services, synthetic_catalogue

    from costplan.planner import PlanOptions, make_plan

    extra: dict[str, object] = {}
    if source == "sandbox":
        from costplan.catalogue import collect
        from costplan.sandbox import sandbox_rates

        catalogue = collect().frame
        extra = {"currency": "EUR", "currency_rates": sandbox_rates()}
    else:
        catalogue = synthetic_catalogue(300, 10, seed)
    services = scaling_services(n_services, seed)
    began = time.perf_counter()
    options = PlanOptions(time_limit=time_limit, landing=landing, seed=seed, **extra)  # type: ignore[arg-type]
    plan = make_plan(catalogue, services, options)
    seconds = time.perf_counter() - began
    return {
        "services": n_services,
        "replicas": sum(s.count_min for s in services),
        "seconds": seconds,
        "cost": plan.monthly_cost,
        "gap": plan.gap,
        "time_limit_bound": plan.assumptions["solver"]["stats"].get("time_limit_bound"),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "runs": plan.placement.runs if plan.placement else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, nargs="*", default=[1000, 3000, 10000, 30000])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--landing", type=float, default=0.99, help="scheduler stage target (0: off)")
    parser.add_argument("--catalogue", choices=("sandbox", "synthetic"), default="sandbox")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(run_one(args.child, args.time_limit, args.seed, args.landing, args.catalogue)))
        return
    print(f"catalogue {args.catalogue}, landing {args.landing:g}, time limit {args.time_limit:g} s")
    print(
        f"{'services':>8} {'replicas':>8} {'time s':>8} {'/limit':>6} {'peak MB':>8} {'gap':>7} {'runs':>5} "
        f"{'clock bound':>11} {'ok':>3}"
    )
    for n in args.services:
        cmd = [
            sys.executable,
            __file__,
            "--child",
            str(n),
            "--time-limit",
            str(args.time_limit),
            "--seed",
            str(args.seed),
            "--landing",
            str(args.landing),
            "--catalogue",
            args.catalogue,
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            print(f"{n:>8} failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        ok = r["seconds"] <= 1.1 * args.time_limit and r["peak_mb"] < 1536
        print(
            f"{r['services']:>8} {r['replicas']:>8} {r['seconds']:>8.1f} {r['seconds'] / args.time_limit:>6.2f} "
            f"{r['peak_mb']:>8.0f} {r['gap']:>7.2%} {r['runs']:>5} {str(r['time_limit_bound']):>11} "
            f"{'yes' if ok else 'NO':>3}",
            flush=True,
        )


if __name__ == "__main__":
    main()
