"""The demo plan provisioned into the emulator once per emulator seed: does every replica land?

    python benchmarks/demo_landing.py              # 50 seeds of the nomad scheduler, 1 of best-fit
    python benchmarks/demo_landing.py --seeds 200

The demo's plan (examples/services.yaml for Prod, CLI defaults) is made once; then, for every
seed, a fresh emulator scheduling like Nomad (`COSTPLAN_EMULATOR_SEED` = that seed) receives its
pools and services through the provisioner, and `provisioner.realised` compares what the API
reports with the plan: replicas running, pools grown by autoscaling, the resulting cost.
Prints how many seeds landed every replica without any pool growing, and the realised costs.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from costplan.catalogue import collect  # noqa: E402
from costplan.config import Secret, Settings  # noqa: E402
from costplan.demand import example_services  # noqa: E402
from costplan.emulator import EmulatorConfig, serve_in_thread  # noqa: E402
from costplan.planner import PlanOptions, make_plan  # noqa: E402
from costplan.provisioner import Provisioner  # noqa: E402
from costplan.provisioner.realised import realised  # noqa: E402
from costplan.sandbox import sandbox_rates  # noqa: E402
from costplan.waiter import WaiterConfig  # noqa: E402
from tests.conftest import EXAMPLE_KEY  # noqa: E402
from tests.provision.conftest import PROD, make_client  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="demo-landing-"))
    with serve_in_thread(EmulatorConfig(provision_seconds=0)) as emulator:
        settings = Settings(api_url=emulator.base_url, api_key=Secret(EXAMPLE_KEY), data_dir=work)
        options = PlanOptions(time_limit=10, environment_uuid=PROD, currency="EUR", currency_rates=sandbox_rates())
        plan = make_plan(collect(settings).frame, example_services(), options)
    estimate = plan.placement
    print(f"plan: {plan.monthly_cost:,.2f} {plan.currency}/month, {len(plan.nodes)} nodes in {len(plan.pools)} pools")
    if estimate is not None:
        print(f"planner's model: {estimate.landed_runs} of {estimate.runs} runs land")
    for scheduler, seeds in (("nomad", range(args.seeds)), ("best-fit", range(1))):
        landed, costs, began = 0, [], time.perf_counter()
        for seed in seeds:
            config = EmulatorConfig(provision_seconds=0, seed=seed, scheduler=scheduler)
            with serve_in_thread(config) as emulator:
                client = make_client(emulator.base_url)
                provisioner = Provisioner(
                    client,
                    journal_dir=work / f"{scheduler}-{seed}",
                    sleep=time.sleep,
                    reconcile_delays=(0.0, 0.0),
                    wait=WaiterConfig(delay=0.01, max_delay=0.02, timeout=20.0),
                )
                result = provisioner.apply(plan, PROD, with_services=True)
                outcome = realised(provisioner, plan, PROD)
                client.close()
            landed += result.ok and not outcome.replicas_missing and not outcome.pools_grown
            costs.append(outcome.realised_cost)
        spent = time.perf_counter() - began
        known = [c for c in costs if c is not None]
        print(
            f"emulator {scheduler}: every replica landed, no pool grew, on {landed} of {len(seeds)} seeds; "
            f"realised cost {min(known):,.2f}..{max(known):,.2f} {plan.currency}/month ({spent:.0f} s)"
        )


if __name__ == "__main__":
    main()
