"""What the provisioner sends is what the plan says: each service's `pools` (in order) as
`constraints.instancePoolUuids`, and the services in the plan's `submission_order`. Read from the
requests themselves, recorded on their way to a real emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.provision.conftest import PROD


class Recording(httpx.HTTPTransport):
    """The ordinary transport, keeping every request that goes through it."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return super().handle_request(request)


def test_the_service_requests_carry_the_plan_pools_and_order(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any], tmp_path: Path
) -> None:
    from costplan.catalogue import collect
    from costplan.config import Secret, Settings
    from costplan.demand import example_services
    from costplan.planner import PlanOptions, make_plan
    from costplan.sandbox import sandbox_rates
    from tests.conftest import EXAMPLE_KEY

    emulator = serve_emulator(provision_seconds=0.02)
    settings = Settings(api_url=emulator.base_url, api_key=Secret(EXAMPLE_KEY), data_dir=tmp_path)
    options = PlanOptions(time_limit=5, environment_uuid=PROD, currency="EUR", currency_rates=sandbox_rates())
    plan = make_plan(collect(settings).frame, example_services(), options)
    recording = Recording()
    provisioner = provisioner_for(emulator.base_url, transport=recording)
    assert provisioner.apply(plan, PROD, with_services=True).ok

    uuid_of = {p.name: p.uuid for p in provisioner.client.list_instance_pools(PROD)}
    posted = [
        json.loads(r.content)
        for r in recording.sent
        if r.method == "POST" and r.url.path.endswith(f"/environments/{PROD}/services/docker")
    ]
    assert [body["name"] for body in posted] == list(plan.submission_order)
    for body in posted:
        wanted = [uuid_of[name] for name in plan.pools_of(body["name"])]
        assert body["constraints"]["instancePoolUuids"] == wanted, body["name"]
    assert len(posted) == len(plan.services)
