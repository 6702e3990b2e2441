"""404 names the resource, 400 names the field, 409 on clashes: all in the NestJS shape."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_support import (
    AZURE,
    B2S,
    CLIENT_A,
    GCP,
    PROD,
    assert_nest_error,
    create_pool,
    create_service,
    pool_body,
    service_body,
)

MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    "method,path,kind",
    [
        ("GET", f"/providers/{MISSING}/instancesTypes", "provider"),
        ("POST", f"/providers/{MISSING}/instancePools", "provider"),
        ("GET", f"/instancePools/{MISSING}", "instance pool"),
        ("PUT", f"/instancePools/{MISSING}", "instance pool"),
        ("DELETE", f"/instancePools/{MISSING}", "instance pool"),
        ("GET", f"/instancePools/{MISSING}/status", "instance pool"),
        ("GET", f"/instancePools/{MISSING}/events", "instance pool"),
        ("GET", f"/services/{MISSING}", "service"),
        ("PUT", f"/services/{MISSING}", "service"),
        ("DELETE", f"/services/{MISSING}", "service"),
        ("GET", f"/services/{MISSING}/status", "service"),
        ("GET", f"/environments/{MISSING}", "environment"),
        ("DELETE", f"/environments/{MISSING}", "environment"),
        ("GET", f"/environments/{MISSING}/instancePools", "environment"),
        ("GET", f"/environments/{MISSING}/services", "environment"),
        ("POST", f"/environments/{MISSING}/services/docker", "environment"),
        ("GET", f"/workspaces/{MISSING}/environments", "workspace"),
        ("DELETE", f"/workspaces/{MISSING}", "workspace"),
    ],
)
def test_unknown_ids_are_404_naming_the_resource(
    shared_client: httpx.Client, method: str, path: str, kind: str
) -> None:
    body: dict[str, Any] | None = None
    if method in ("POST", "PUT"):
        body = service_body() if "services" in path else pool_body()
    response = shared_client.request(method, path, json=body)
    message = assert_nest_error(response, 404)["message"]
    assert kind in str(message) and MISSING in str(message)


def test_unknown_route_is_404(shared_client: httpx.Client) -> None:
    body = assert_nest_error(shared_client.get("/instances"), 404)
    assert body["message"] == "Cannot GET /v1/instances"
    assert_nest_error(shared_client.patch(f"/instancePools/{MISSING}", json={}), 404)


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"name": None}, "name"),
        ({"instanceTypeUuid": None}, "instanceTypeUuid"),
        ({"countMin": None}, "countMin"),
        ({"countMax": None}, "countMax"),
        ({"countMin": "1"}, "countMin"),
        ({"countMin": True}, "countMin"),
        ({"countMin": 1.5}, "countMin"),
        ({"countMin": -1}, "countMin"),
        ({"countMax": -2, "countMin": 0}, "countMax"),
        ({"countMin": 5, "countMax": 2}, "countMin"),
        ({"tags": "backend"}, "tags"),
        ({"tags": [1]}, "tags"),
        ({"volumeSize": -5}, "volumeSize"),
        ({"replaceInstanceDownMinutes": "5"}, "replaceInstanceDownMinutes"),
        ({"name": ""}, "name"),
        ({"instanceTypeUuid": MISSING}, "instanceTypeUuid"),
        ({"instanceTypeUuid": "cc6d622a"}, "instanceTypeUuid"),
    ],
)
def test_invalid_pool_bodies_are_400_naming_the_field(
    shared_client: httpx.Client, changes: dict[str, Any], field: str
) -> None:
    body = pool_body(**changes)
    for key, value in changes.items():
        if value is None:
            del body[key]
    message = assert_nest_error(shared_client.post(f"/providers/{AZURE}/instancePools", json=body), 400)["message"]
    assert field in str(message)
    assert shared_client.get(f"/environments/{PROD}/instancePools").json() == []


def test_type_of_another_provider_is_rejected(shared_client: httpx.Client) -> None:
    response = shared_client.post(f"/providers/{GCP}/instancePools", json=pool_body())
    assert "instanceTypeUuid" in str(assert_nest_error(response, 400)["message"])


@pytest.mark.parametrize("content", [b"", b"not json", b"[1, 2]", b'"text"', b"{bad"])
def test_non_json_bodies_are_400(shared_client: httpx.Client, content: bytes) -> None:
    response = shared_client.post(
        f"/providers/{AZURE}/instancePools", content=content, headers={"Content-Type": "application/json"}
    )
    assert "JSON" in str(assert_nest_error(response, 400)["message"])


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"name": None}, "name"),
        ({"dockerConfiguration": None}, "dockerConfiguration"),
        ({"dockerConfiguration": {"imageVersion": "1"}}, "dockerConfiguration.image"),
        ({"countMin": 3, "countMax": 1}, "countMin"),
        ({"countMin": -1}, "countMin"),
        ({"cpuLimit": 0}, "cpuLimit"),
        ({"cpuLimit": "500"}, "cpuLimit"),
        ({"memoryLimitMiB": 0}, "memoryLimitMiB"),
        ({"ports": [{"loadBalancerRules": []}]}, "ports[0].listeningPort"),
        ({"ports": [{"listeningPort": 70000}]}, "ports[0].listeningPort"),
        ({"constraints": {"tags": "backend"}}, "constraints.tags"),
        ({"constraints": {"providerUuids": [MISSING]}}, "constraints.providerUuids"),
        ({"constraints": {"instancePoolUuids": [MISSING]}}, "constraints.instancePoolUuids"),
    ],
)
def test_invalid_service_bodies_are_400_naming_the_field(
    shared_client: httpx.Client, changes: dict[str, Any], field: str
) -> None:
    body = service_body(**changes)
    for key, value in changes.items():
        if value is None:
            del body[key]
    response = shared_client.post(f"/environments/{PROD}/services/docker", json=body)
    assert field in str(assert_nest_error(response, 400)["message"])
    assert shared_client.get(f"/environments/{PROD}/services").json() == []


def test_unknown_body_fields_are_ignored(client: httpx.Client) -> None:
    pool = create_pool(client, futureField={"x": 1}, autoScaling=True)
    service = create_service(client, environmentVariables=[{"key": "A", "value": "b"}], sideTasks=[])
    assert client.get(f"/instancePools/{pool}").status_code == 200
    assert client.get(f"/services/{service}").status_code == 200


def test_bad_query_flag_is_400(shared_client: httpx.Client) -> None:
    response = shared_client.get("/workspaces", params={"includeEnvironmentAndProviders": "maybe"})
    assert "includeEnvironmentAndProviders" in str(assert_nest_error(response, 400)["message"])


def test_duplicate_names_are_409(client: httpx.Client) -> None:
    create_pool(client, name="dup")
    again = client.post(f"/providers/{AZURE}/instancePools", json=pool_body(name="dup"))
    assert "dup" in str(assert_nest_error(again, 409)["message"])
    create_service(client, name="svc")
    again = client.post(f"/environments/{PROD}/services/docker", json=service_body(name="svc"))
    assert_nest_error(again, 409)
    again = client.post(f"/workspaces/{CLIENT_A}/environments", json={"name": "Prod"})
    assert_nest_error(again, 409)


def test_pool_type_cannot_change_and_counts_stay_consistent(client: httpx.Client) -> None:
    pool = create_pool(client)
    other = client.get(f"/providers/{AZURE}/instancesTypes").json()[1]["uuid"]
    response = client.put(f"/instancePools/{pool}", json={"instanceTypeUuid": other})
    assert "instanceTypeUuid" in str(assert_nest_error(response, 400)["message"])
    response = client.put(f"/instancePools/{pool}", json={"countMin": 11})
    assert "countMin" in str(assert_nest_error(response, 400)["message"])
    assert client.put(f"/instancePools/{pool}", json={"instanceTypeUuid": B2S}).status_code == 200
