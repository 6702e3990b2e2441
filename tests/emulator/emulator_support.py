"""Constants and helpers shared by the emulator tests (imported by conftest and tests)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from costplan.emulator import RunningEmulator

Serve = Callable[..., tuple[RunningEmulator, httpx.Client]]
"""The ``serve`` fixture: ``serve(config=None, *, timeout=5.0, **config_fields)``."""

# The documentation's example key: fine in tests, never under costplan/ or scripts/.
EXAMPLE_KEY = "LYPFNN8BTS9GBQFRIXCHGWJXU:789f7b2f-b1f4-456e-83da-56184a01c2d3"
EXAMPLE_SECRET = EXAMPLE_KEY.split(":", 1)[1]
HEADERS = {"X-API-KEY": EXAMPLE_KEY}

PROD = "e7b73b16-7931-4878-944f-bdb97c5b1d85"
AZURE = "d57b214f-ec43-41b9-8cf1-71329349093b"
GCP = "62ae1fd9-b355-4d3c-a05e-3a0e23497855"
SCALEWAY = "8bd4754c-1392-4d79-b3d7-32eed491e90c"
B2S = "cc6d622a-5144-11ed-84a1-1b508e278eb5"
DS1_V2 = "cc6d6261-5144-11ed-84a1-1b508e278eb5"
CLIENT_A = "ada681e6-b50e-434b-a6cf-4e9b4db2019a"


def pool_body(name: str = "vmAzure", type_uuid: str = B2S, **changes: Any) -> dict[str, Any]:
    """The documented create-pool body, with overrides."""
    body: dict[str, Any] = {
        "instanceTypeUuid": type_uuid,
        "name": name,
        "tags": ["backend"],
        "volumeSize": 0,
        "countMin": 1,
        "countMax": 10,
        "replaceInstanceDownMinutes": 5,
        "instanceUnusedMinutes": 10,
    }
    body.update(changes)
    return body


def service_body(name: str = "myservice", **changes: Any) -> dict[str, Any]:
    """The documented create-docker-service body, with overrides."""
    body: dict[str, Any] = {
        "dockerConfiguration": {"image": "nginx", "imageVersion": "latest"},
        "name": name,
        "countMin": 1,
        "countMax": 1,
        "ports": [
            {
                "healthCheckType": "HTTP",
                "healthCheckMethod": "GET",
                "listeningPort": 80,
                "loadBalancerRules": [{"publicPort": 443}],
                "healthCheckEnabled": True,
                "healthCheckTimeoutSeconds": 30,
                "healthCheckPath": "/",
                "healthCheckIntervalSeconds": 60,
            }
        ],
    }
    body.update(changes)
    return body


def create_pool(client: httpx.Client, provider: str = AZURE, **body: Any) -> str:
    """Create a pool (documented body + overrides) and return its uuid."""
    response = client.post(f"/providers/{provider}/instancePools", json=pool_body(**body))
    assert response.status_code == 201, response.text
    uuid: str = response.json()["uuid"]
    return uuid


def create_service(client: httpx.Client, env: str = PROD, **body: Any) -> str:
    """Create a docker service (documented body + overrides) and return its uuid."""
    response = client.post(f"/environments/{env}/services/docker", json=service_body(**body))
    assert response.status_code == 201, response.text
    uuid: str = response.json()["uuid"]
    return uuid


def service_status(client: httpx.Client, uuid: str) -> dict[str, Any]:
    """Service status with the instance distribution."""
    response = client.get(f"/services/{uuid}/status", params={"includeInstancesDistribution": "true"})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_nest_error(response: httpx.Response, status: int) -> dict[str, object]:
    """Check ``status`` and the NestJS error shape (a 400 lists its violations); return the body."""
    assert response.status_code == status, response.text
    body: dict[str, object] = response.json()
    assert set(body) == {"statusCode", "message", "error"}
    assert body["statusCode"] == status
    message = body["message"]
    if status == 400:
        assert isinstance(message, list) and message and all(isinstance(m, str) and m for m in message), message
    else:
        assert isinstance(message, str) and message
    return body


def pool_status(client: httpx.Client, uuid: str, instances: bool = False) -> dict[str, Any]:
    """Pool status with its metrics (real counts), optionally with the instance distribution."""
    params = {"includeInstancesDistribution": str(instances).lower(), "includeMetrics": "true"}
    response = client.get(f"/instancePools/{uuid}/status", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
