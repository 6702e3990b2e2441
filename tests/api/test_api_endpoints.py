"""Every endpoint: its method, path, query string and body on the wire, and the typed result.

The canned answers are the documentation's examples (api-examples.txt) where it has one.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from costplan.models import (
    Environment,
    InstancePool,
    InstanceType,
    PoolStatus,
    Ref,
    ServiceInfo,
    ServiceStatus,
    Workspace,
)
from tests.conftest import documented_response

WORKSPACE = "ada681e6-b50e-434b-a6cf-4e9b4db2019a"
ENV = "e7b73b16-7931-4878-944f-bdb97c5b1d85"
AZURE = "d57b214f-ec43-41b9-8cf1-71329349093b"
POOL = "27d6c053-5eab-4838-bd14-040ed5d617d9"
SERVICE = "e07550ad-cce6-4aca-ad56-fa085f388c6f"

WORKSPACES = {
    "globalLimitEnvironmentNumber": 4,
    "totalAssociatedEnvironments": 4,
    "workspaces": [
        {
            "uuid": WORKSPACE,
            "name": "Client A",
            "createdAt": "2023-09-12T10:17:58.000Z",
            "limitEnvironmentNumber": 4,
            "environments": [
                {
                    "uuid": ENV,
                    "name": "Prod",
                    "deletedAt": None,
                    "providers": [
                        {"uuid": AZURE, "platformName": "Azure", "platformIcon": "azure-icon.svg"},
                        {
                            "uuid": "62ae1fd9-b355-4d3c-a05e-3a0e23497855",
                            "platformName": "Google Cloud Platform",
                            "platformIcon": "gcp-icon.svg",
                        },
                    ],
                }
            ],
        }
    ],
}
INSTANCE_TYPES = documented_response("list_instance_types")
POOL_BODY = {
    "instanceTypeUuid": "cc6d622a-5144-11ed-84a1-1b508e278eb5",
    "name": "vmAzure",
    "tags": ["backend"],
    "volumeSize": 0,
    "countMin": 1,
    "countMax": 10,
    "replaceInstanceDownMinutes": 5,
    "instanceUnusedMinutes": 10,
}
POOL_JSON = {"uuid": POOL, "providerUuid": AZURE, "environmentUuid": ENV, **POOL_BODY}
POOL_STATUS = {
    "uuid": POOL,
    "status": "DONE",
    "success": True,
    "alerts": [],
    "count": 1,
    "countRunning": 0,
    "totalCpuMhz": 0,
    "totalReservedCpuMhz": 0,
    "totalMemoryMB": 0,
    "totalReservedMemoryMB": 0,
    "deletedAt": None,
    "errorType": None,
    "errorCode": None,
}
SERVICE_BODY = {
    "dockerConfiguration": {"image": "nginx", "imageVersion": "latest"},
    "name": "myservice",
    "countMin": 1,
    "countMax": 1,
    "ports": [{"listeningPort": 80, "loadBalancerRules": [{"publicPort": 443}]}],
}
SERVICE_CREATED = {
    "name": "myservice",
    "uuid": SERVICE,
    "environmentLbDns": "lb-02eae809.layerops.com",
    "ports": [{"uuid": "564b6913-18bc-4e21-a193-bd00d697a270", "listeningPort": 80}],
}
SERVICE_JSON = {"uuid": SERVICE, "name": "myservice", "countMin": 1, "countMax": 1, "cpuLimit": 128}
SERVICE_STATUS = {
    "uuid": SERVICE,
    "status": "DONE",
    "success": True,
    "alerts": [],
    "runningSuccess": "SUCCESS",
    "runHistory": [],
    "count": 1,
    "countRunning": 1,
    "totalUsedCpuMhz": 0,
    "totalReservedCpuMhz": 128,
    "totalUsedMemoryMB": 0,
    "totalReservedMemoryMB": 128,
    "instances": [
        {
            "serviceUuid": SERVICE,
            "uuid": "b727c4f2-8b2d-4234-ac66-992aeace0765",
            "totalCpuMhz": 5586,
            "totalMemoryMB": 3903,
            "serviceCount": 1,
            "isRunning": True,
            "totalReservedCpuMhz": 778,
            "totalReservedMemoryMB": 856,
            "instancePoolUuid": POOL,
            "createdAt": "2023-10-16T15:33:56.000Z",
            "instancePoolName": "vmAzure",
            "provider": {"uuid": AZURE, "platformName": "Azure", "regionName": "France Central"},
        }
    ],
    "deletedAt": None,
    "pausedAt": None,
    "errorType": None,
    "dimensionExhausted": None,
    "placementFailure": False,
    "errorMessage": None,
}
ENVIRONMENT = WORKSPACES["workspaces"][0]["environments"][0]  # type: ignore[index]
EVENTS = [{"type": "POOL_CREATED", "createdAt": "2023-10-16T15:30:00.000Z", "instancePoolUuid": POOL}]

ROUTES: dict[tuple[str, str], Any] = {
    ("GET", "/v1/workspaces"): WORKSPACES,
    ("GET", f"/v1/workspaces/{WORKSPACE}/environments"): [ENVIRONMENT],
    ("POST", "/v1/workspaces"): {"uuid": WORKSPACE, "name": "Client A"},
    ("DELETE", f"/v1/workspaces/{WORKSPACE}"): None,
    ("POST", f"/v1/workspaces/{WORKSPACE}/environments"): ENVIRONMENT,
    ("POST", f"/v1/environments/{ENV}/services"): SERVICE_CREATED,
    ("GET", f"/v1/environments/{ENV}"): ENVIRONMENT,
    ("DELETE", f"/v1/environments/{ENV}"): None,
    ("GET", f"/v1/providers/{AZURE}/instancesTypes"): INSTANCE_TYPES,
    ("GET", f"/v1/environments/{ENV}/instancePools"): [POOL_JSON],
    ("POST", f"/v1/providers/{AZURE}/instancePools"): {"uuid": POOL, "name": "vmAzure"},
    ("GET", f"/v1/instancePools/{POOL}"): POOL_JSON,
    ("PUT", f"/v1/instancePools/{POOL}"): POOL_JSON,
    ("DELETE", f"/v1/instancePools/{POOL}"): {"success": True},
    ("GET", f"/v1/instancePools/{POOL}/status"): POOL_STATUS,
    ("GET", f"/v1/environments/{ENV}/services"): [SERVICE_JSON],
    ("POST", f"/v1/environments/{ENV}/services/docker"): SERVICE_CREATED,
    ("GET", f"/v1/services/{SERVICE}"): SERVICE_JSON,
    ("PUT", f"/v1/services/{SERVICE}"): None,
    ("DELETE", f"/v1/services/{SERVICE}"): None,
    ("GET", f"/v1/services/{SERVICE}/status"): SERVICE_STATUS,
    ("GET", f"/v1/environments/{ENV}/events"): EVENTS,
    ("GET", f"/v1/services/{SERVICE}/events"): {"events": EVENTS},
    ("GET", f"/v1/instancePools/{POOL}/events"): {"items": EVENTS},
}


def api(request: httpx.Request) -> httpx.Response:
    """The documented API in miniature: canned answers by method and raw path; 204 for `None`."""
    key = (request.method, request.url.raw_path.decode().partition("?")[0])
    if key not in ROUTES:
        return httpx.Response(404, json={"statusCode": 404, "message": f"Cannot {key[0]} {key[1]}"})
    answer = ROUTES[key]
    return httpx.Response(204) if answer is None else httpx.Response(200, json=answer)


def recording(seen: list[httpx.Request]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return api(request)

    return handler


# method name, args, kwargs -> HTTP method, path (under /v1), query string, JSON body sent
WIRE = [
    ("list_workspaces", (), {}, "GET", "/workspaces", "includeEnvironmentAndProviders=true", None),
    (
        "list_workspaces",
        (),
        {"include_environments_and_providers": False},
        "GET",
        "/workspaces",
        "includeEnvironmentAndProviders=false",
        None,
    ),
    ("list_environments", (WORKSPACE,), {}, "GET", f"/workspaces/{WORKSPACE}/environments", "", None),
    ("create_workspace", ({"name": "Client A"},), {}, "POST", "/workspaces", "", {"name": "Client A"}),
    ("delete_workspace", (WORKSPACE,), {}, "DELETE", f"/workspaces/{WORKSPACE}", "", None),
    (
        "create_environment",
        (WORKSPACE, {"name": "Prod"}),
        {},
        "POST",
        f"/workspaces/{WORKSPACE}/environments",
        "",
        {"name": "Prod"},
    ),
    ("create_service", (ENV, SERVICE_BODY), {}, "POST", f"/environments/{ENV}/services", "", SERVICE_BODY),
    ("get_environment", (ENV,), {}, "GET", f"/environments/{ENV}", "", None),
    ("delete_environment", (ENV,), {}, "DELETE", f"/environments/{ENV}", "", None),
    ("list_instance_types", (AZURE,), {}, "GET", f"/providers/{AZURE}/instancesTypes", "", None),
    ("list_instance_pools", (ENV,), {}, "GET", f"/environments/{ENV}/instancePools", "", None),
    (
        "create_instance_pool",
        (AZURE, POOL_BODY),
        {},
        "POST",
        f"/providers/{AZURE}/instancePools",
        "",
        POOL_BODY,
    ),
    ("get_instance_pool", (POOL,), {}, "GET", f"/instancePools/{POOL}", "", None),
    (
        "update_instance_pool",
        (POOL, {"countMax": 3}),
        {},
        "PUT",
        f"/instancePools/{POOL}",
        "",
        {"countMax": 3},
    ),
    ("delete_instance_pool", (POOL,), {}, "DELETE", f"/instancePools/{POOL}", "", None),
    (
        "get_instance_pool_status",
        (POOL,),
        {},
        "GET",
        f"/instancePools/{POOL}/status",
        "includeInstancesDistribution=false&includeMetrics=false&includeAlerts=false",
        None,
    ),
    (
        "get_instance_pool_status",
        (POOL,),
        {"include_instances_distribution": True, "include_metrics": True, "include_alerts": True},
        "GET",
        f"/instancePools/{POOL}/status",
        "includeInstancesDistribution=true&includeMetrics=true&includeAlerts=true",
        None,
    ),
    ("list_services", (ENV,), {}, "GET", f"/environments/{ENV}/services", "", None),
    (
        "create_docker_service",
        (ENV, SERVICE_BODY),
        {},
        "POST",
        f"/environments/{ENV}/services/docker",
        "",
        SERVICE_BODY,
    ),
    ("get_service", (SERVICE,), {}, "GET", f"/services/{SERVICE}", "", None),
    ("update_service", (SERVICE, {"countMin": 2}), {}, "PUT", f"/services/{SERVICE}", "", {"countMin": 2}),
    ("delete_service", (SERVICE,), {}, "DELETE", f"/services/{SERVICE}", "", None),
    (
        "get_service_status",
        (SERVICE,),
        {},
        "GET",
        f"/services/{SERVICE}/status",
        "includeInstancesDistribution=true&includeAlerts=false&includeStats=true&onlyStats=false",
        None,
    ),
    (
        "get_service_status",
        (SERVICE,),
        {
            "include_instances_distribution": False,
            "include_alerts": True,
            "include_stats": False,
            "only_stats": True,
        },
        "GET",
        f"/services/{SERVICE}/status",
        "includeInstancesDistribution=false&includeAlerts=true&includeStats=false&onlyStats=true",
        None,
    ),
    ("list_events", ("environments", ENV), {}, "GET", f"/environments/{ENV}/events", "", None),
    ("list_events", ("services", SERVICE), {}, "GET", f"/services/{SERVICE}/events", "", None),
    ("list_events", ("instancePools", POOL), {}, "GET", f"/instancePools/{POOL}/events", "", None),
]


@pytest.mark.parametrize(
    ("name", "args", "kwargs", "method", "path", "query", "body"),
    WIRE,
    ids=[f"{w[0]}-{i}" for i, w in enumerate(WIRE)],
)
def test_each_method_sends_the_documented_request(make_client, name, args, kwargs, method, path, query, body):
    seen: list[httpx.Request] = []
    client = make_client(recording(seen))

    getattr(client, name)(*args, **kwargs)

    (request,) = seen
    assert request.method == method
    assert request.url.raw_path.decode() == "/v1" + path + (f"?{query}" if query else "")
    if body is None:
        assert request.content == b""
    else:
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.content) == body


def test_every_public_method_is_covered_by_the_wire_table():
    from costplan.api import Client

    public = {n for n in vars(Client) if not n.startswith("_") and n not in ("close", "from_settings")}
    assert public == {w[0] for w in WIRE}


def test_list_workspaces_reads_the_documented_object(make_client):
    (workspace,) = make_client(api).list_workspaces()

    assert isinstance(workspace, Workspace)
    assert (workspace.uuid, workspace.name, workspace.created_at) == (
        WORKSPACE,
        "Client A",
        "2023-09-12T10:17:58.000Z",
    )
    (environment,) = workspace.environments
    assert environment.name == "Prod"
    assert [p.platform_name for p in environment.providers] == ["Azure", "Google Cloud Platform"]
    assert workspace.raw["limitEnvironmentNumber"] == 4  # unknown fields are carried


def test_list_workspaces_tolerates_a_bare_array(make_client):
    def bare(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=WORKSPACES["workspaces"])

    assert [w.uuid for w in make_client(bare).list_workspaces()] == [WORKSPACE]


def test_instance_types_keep_prices_and_units(make_client):
    b2s, ds1 = make_client(api).list_instance_types(AZURE)

    assert isinstance(b2s, InstanceType)
    assert (b2s.name, b2s.vcpus, b2s.memory_gb, b2s.on_demand_cost, b2s.price_factor) == (
        "B2s",
        2,
        4,
        472,
        10000,
    )
    assert b2s.monthly_price == 339840 and b2s.reserved_cost is None
    assert ds1.memory_gb == 3.5


@pytest.mark.parametrize("wrapper", ["items", "data", "instancesTypes", "instanceTypes"])
def test_lists_wrapped_in_an_object_are_unwrapped(make_client, wrapper):
    def wrapped(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={wrapper: INSTANCE_TYPES, "total": 2})

    assert [t.name for t in make_client(wrapped).list_instance_types(AZURE)] == ["B2s", "DS1 v2"]


def test_unknown_fields_are_tolerated_and_kept(make_client):
    def extra(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={**POOL_JSON, "brandNewField": {"nested": [1, 2]}, "status": "WHATEVER"})

    pool = make_client(extra).get_instance_pool(POOL)

    assert pool.uuid == POOL and pool.raw["brandNewField"] == {"nested": [1, 2]}


def test_pool_calls_return_typed_results(make_client):
    client = make_client(api)

    ref = client.create_instance_pool(AZURE, POOL_BODY)
    assert isinstance(ref, Ref) and (ref.uuid, ref.name) == (POOL, "vmAzure")
    (listed,) = client.list_instance_pools(ENV)
    assert isinstance(listed, InstancePool) and listed.tags == ("backend",) and listed.count_max == 10
    assert client.get_instance_pool(POOL) == listed
    assert client.update_instance_pool(POOL, {"countMax": 10}) == listed
    assert client.delete_instance_pool(POOL) is None

    status = client.get_instance_pool_status(POOL)
    assert isinstance(status, PoolStatus)
    assert status.is_done and status.count == 1 and status.count_running == 0 and not status.is_failed


def test_service_calls_return_typed_results(make_client):
    client = make_client(api)

    ref = client.create_docker_service(ENV, SERVICE_BODY)
    assert (ref.uuid, ref.name, ref.raw["environmentLbDns"]) == (
        SERVICE,
        "myservice",
        "lb-02eae809.layerops.com",
    )
    (listed,) = client.list_services(ENV)
    assert isinstance(listed, ServiceInfo) and listed.cpu_limit == 128
    assert client.get_service(SERVICE) == listed
    assert client.update_service(SERVICE, {"countMin": 2}) is None  # 204: nothing echoed
    assert client.delete_service(SERVICE) is None

    status = client.get_service_status(SERVICE)
    assert isinstance(status, ServiceStatus) and status.is_done
    (node,) = status.instances
    assert (node.total_cpu_mhz, node.total_reserved_memory_mb, node.instance_pool_uuid) == (5586, 856, POOL)


def test_environment_calls_return_typed_results(make_client):
    client = make_client(api)

    (listed,) = client.list_environments(WORKSPACE)
    assert isinstance(listed, Environment) and listed.uuid == ENV
    assert client.get_environment(ENV) == listed
    assert client.delete_environment(ENV) is None


@pytest.mark.parametrize(("kind", "uuid"), [("environments", ENV), ("services", SERVICE), ("instancePools", POOL)])
def test_events_come_back_as_raw_dicts(make_client, kind, uuid):
    assert make_client(api).list_events(kind, uuid) == EVENTS


def test_list_events_refuses_an_unknown_kind_before_sending(make_client):
    seen: list[httpx.Request] = []
    with pytest.raises(ValueError, match="environments, services, instancePools"):
        make_client(recording(seen)).list_events("workspaces", WORKSPACE)
    assert seen == []


@pytest.mark.parametrize(
    ("uuid", "raw_path"),
    [
        ("a/b", "/v1/instancePools/a%2Fb"),
        ("...", "/v1/instancePools/..."),
        ("x?y=1#z", "/v1/instancePools/x%3Fy%3D1%23z"),
        ("é space", "/v1/instancePools/%C3%A9%20space"),
    ],
)
def test_ids_are_quoted_into_one_path_segment(make_client, uuid, raw_path):
    seen: list[httpx.Request] = []

    def echo(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"uuid": uuid})

    make_client(echo).get_instance_pool(uuid)

    assert seen[0].url.raw_path.decode() == raw_path


@pytest.mark.parametrize("uuid", ["", ".", ".."])
def test_ids_that_would_change_the_path_are_refused(make_client, uuid):
    seen: list[httpx.Request] = []
    with pytest.raises(ValueError, match="must not be empty, '.' or '..'"):
        make_client(recording(seen)).get_service(uuid)
    assert seen == []


def test_requests_carry_the_key_header_from_the_injected_client(make_client, example_key):
    seen: list[httpx.Request] = []
    make_client(recording(seen)).list_workspaces()

    assert seen[0].headers["x-api-key"] == example_key
