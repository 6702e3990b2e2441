"""The plan lands on the platform: the emulator's scheduler (written separately from the planner's
model) runs every replica of a planned service, each only on the pools the plan lets it use, and
no pool grows. The plan's nodes are one landing run of the model, so node-by-node agreement is not
promised (the scheduler shuffles); what runs where is compared with `provisioner.realised`."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from costplan.demand import example_services
from costplan.models import ServiceSpec
from tests.provision.conftest import PROD


def random_services(seed: int) -> list[ServiceSpec]:
    rng = random.Random(seed)
    out = []
    for j in range(rng.randint(4, 8)):
        count = rng.randint(1, 5)
        out.append(
            ServiceSpec(
                f"svc-{j}",
                count,
                count + rng.randint(0, 2),
                rng.choice([100, 250, 500, 1000, 2000, 3000]),
                rng.choice([128, 256, 512, 1024, 2048, 4096]),
                spread=rng.random() < 0.4,
                providers=rng.choice([(), (), ("Azure",), ("Scaleway",)]),
                tags=rng.choice([(), ("edge",)]),
            )
        )
    return out


def running_pools(client: Any) -> dict[str, set[str]]:
    """Service name -> the pools its replicas run on, read back from the service status."""
    return {
        service.name: {node.instance_pool_name for node in client.get_service_status(service.uuid).instances}
        for service in client.list_services(PROD)
    }


@pytest.mark.parametrize("demand", ["example", "seed-3", "seed-11", "seed-17"])  # 11: order, 17: scoring
def test_the_emulator_lands_every_replica_on_the_plan_pools(
    demand: str, serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any], tmp_path: Path
) -> None:
    from costplan.catalogue import collect
    from costplan.config import Secret, Settings
    from costplan.planner import PlanOptions, make_plan
    from costplan.provisioner.realised import realised
    from costplan.sandbox import sandbox_rates
    from tests.conftest import EXAMPLE_KEY

    # The emulator's default scheduler, nomad (seeded): every replica must land there.
    emulator = serve_emulator(provision_seconds=0.02)
    settings = Settings(api_url=emulator.base_url, api_key=Secret(EXAMPLE_KEY), data_dir=tmp_path)
    services: Sequence[ServiceSpec] = (
        example_services() if demand == "example" else random_services(int(demand.split("-")[1]))
    )
    options = PlanOptions(time_limit=5, environment_uuid=PROD, currency="EUR", currency_rates=sandbox_rates())
    plan = make_plan(collect(settings).frame, services, options)
    assert plan.placement_check is not None and plan.placement_check.succeeds
    provisioner = provisioner_for(emulator.base_url)
    result = provisioner.apply(plan, PROD, with_services=True)
    assert result.ok, result.records()
    placed = realised(provisioner, plan, PROD)
    assert placed.replicas_missing == 0, placed.records()
    assert placed.pools_grown == {}, placed.records()
    assert placed.realised_cost == plan.monthly_cost
    for name, pools in running_pools(provisioner.client).items():
        assert pools <= set(plan.pools_of(name)), (name, pools)
