"""Shared data for the catalogue tests: the documentation's example, bad rows, and mock API clients."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from costplan.api import Client
from tests.conftest import documented_response

AZURE = "d57b214f-ec43-41b9-8cf1-71329349093b"
GCP = "62ae1fd9-b355-4d3c-a05e-3a0e23497855"
SCALEWAY = "8bd4754c-1392-4d79-b3d7-32eed491e90c"
PROD = "e7b73b16-7931-4878-944f-bdb97c5b1d85"
STAGING = "11111111-2222-3333-4444-555555555555"
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

# api-examples.txt, verbatim.
B2S, DS1 = documented_response("list_instance_types")


def instance_type(uuid: str, name: str, vcpus: Any = 2, memory: Any = 8, cost: Any = 1000, **extra: Any) -> dict:
    """A well-formed instance type (hourly = cost / 10000, monthly = hourly x 720) unless overridden."""
    row = {
        "uuid": uuid,
        "name": name,
        "memory": memory,
        "vCPUs": vcpus,
        "ssd": 10,
        "storage": None,
        "onDemandCost": cost,
        "reservedCost": None,
        "priceFactor": 10000,
        "monthlyPrice": cost * 720 if isinstance(cost, int) else None,
    }
    row.update(extra)
    return row


GCP_TYPES = [
    instance_type("g-1", "e2-standard-2", 2, 8, 670),
    instance_type("g-2", "e2-standard-4", 4, 16, 1340),
    instance_type("g-3", "n2-highmem-8", 8, 64, 5000),
]
SCALEWAY_TYPES = [instance_type("s-1", "DEV1-S", 2, 2, 100), instance_type("s-2", "GP1-XS", 4, 16, 1000)]


def workspaces(*environments: Mapping[str, Any]) -> dict:
    return {
        "globalLimitEnvironmentNumber": 4,
        "totalAssociatedEnvironments": len(environments),
        "workspaces": [{"uuid": "ada681e6", "name": "Client A", "environments": list(environments)}],
    }


def environment(uuid: str, *providers: tuple[str, str], deleted: bool = False) -> dict:
    return {
        "uuid": uuid,
        "name": uuid[:4],
        "deletedAt": "2024-01-01T00:00:00.000Z" if deleted else None,
        "providers": [{"uuid": u, "platformName": n, "platformIcon": ""} for u, n in providers],
    }


DEFAULT_WORKSPACES = workspaces(
    environment(PROD, (AZURE, "Azure"), (GCP, "Google Cloud Platform"), (SCALEWAY, "Scaleway"))
)
DEFAULT_TYPES = {AZURE: [B2S, DS1], GCP: GCP_TYPES, SCALEWAY: SCALEWAY_TYPES}


def api_handler(
    types: Mapping[str, Any] | None = None,
    workspace_doc: Mapping[str, Any] | None = None,
    down: frozenset[str] = frozenset(),
) -> Callable[[httpx.Request], httpx.Response]:
    """A MockTransport handler: the workspaces document, each provider's types, 503 forever for `down`."""
    types = DEFAULT_TYPES if types is None else types
    workspace_doc = DEFAULT_WORKSPACES if workspace_doc is None else workspace_doc

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/workspaces":
            return httpx.Response(200, json=workspace_doc)
        parts = path.split("/")
        if len(parts) == 5 and parts[2] == "providers" and parts[4] == "instancesTypes":
            if parts[3] in down:
                return httpx.Response(503, json={"message": "provider API unavailable"})
            if parts[3] in types:
                return httpx.Response(200, json=types[parts[3]])
        return httpx.Response(404, json={"message": "not found"})

    return handler


def no_sleep(seconds: float) -> None:
    """Injected instead of time.sleep: tests never wait for a backoff."""


def mock_client(handler: Callable[[httpx.Request], Any]) -> Client:
    http = httpx.Client(transport=httpx.MockTransport(handler), base_url="http://127.0.0.1/v1")
    return Client(http, sleep=no_sleep)


@pytest.fixture
def run_collect() -> Callable[..., Any]:
    """`run_collect(handler, **options)`: collect_from over a MockTransport, at a fixed instant."""
    from costplan.catalogue import collect_from

    def run(handler: Callable[[httpx.Request], Any], **options: Any) -> Any:
        with mock_client(handler) as client:
            return collect_from(client, now=lambda: NOW, **options)

    return run
