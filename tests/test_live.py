"""Demand from a live environment: per-replica reservations read back from the API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from costplan.api import Client
from costplan.errors import InputError
from costplan.live import services_from_environment
from tests.conftest import EXAMPLE_KEY

PROD = "e7b73b16-7931-4878-944f-bdb97c5b1d85"
AZURE = "d57b214f-ec43-41b9-8cf1-71329349093b"
B2S = "cc6d622a-5144-11ed-84a1-1b508e278eb5"


def client_for(server: Any) -> Client:
    return Client(httpx.Client(base_url=server.base_url, headers={"X-API-KEY": EXAMPLE_KEY}))


def test_reservations_per_replica_from_a_running_service(serve_emulator: Any) -> None:
    server = serve_emulator(provision_seconds=0)
    with client_for(server) as client:
        client.create_instance_pool(
            AZURE,
            {
                "instanceTypeUuid": B2S,
                "name": "live-pool",
                "tags": ["web"],
                "volumeSize": 0,
                "countMin": 2,
                "countMax": 4,
                "replaceInstanceDownMinutes": 5,
                "instanceUnusedMinutes": 10,
            },
        )
        client.create_docker_service(
            PROD,
            {
                "name": "web",
                "countMin": 2,
                "countMax": 3,
                "cpuLimit": 300,
                "memoryLimitMiB": 256,
                "dockerConfiguration": {"image": "nginx", "imageVersion": "latest"},
                "constraints": {"providerUuids": [AZURE], "tags": ["web"]},
            },
        )
        specs = services_from_environment(client, PROD)
    web = next(s for s in specs if s.name == "web")
    assert (web.cpu_mhz, web.memory_mb, web.count_min, web.count_max) == (300, 256, 2, 3)
    assert web.providers == ("Azure",) and web.tags == ("web",)
    assert web.image == "nginx"


def test_a_service_without_any_reservation_is_named() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/services"):
            return httpx.Response(200, json=[{"uuid": "s1", "name": "ghost", "countMin": 0}])
        if request.url.path.endswith("/status"):
            return httpx.Response(200, json={"uuid": "s1", "status": "DONE", "count": 0, "countRunning": 0})
        return httpx.Response(200, json={"uuid": PROD, "name": "Prod", "providers": []})

    client = Client(httpx.Client(base_url="http://test/v1", transport=httpx.MockTransport(handler)))
    with pytest.raises(InputError, match="'ghost'"):
        services_from_environment(client, PROD)
