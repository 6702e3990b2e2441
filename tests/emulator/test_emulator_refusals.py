"""What the real API would refuse, the emulator refuses: every violation listed, never a 500.

Also the one rule for deleted objects (reads answer with ``deletedAt`` set, every write 404)
and the endpoint whose shape is unknown (``analyze``: 501).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_support import (
    AZURE,
    CLIENT_A,
    PROD,
    assert_nest_error,
    create_pool,
    create_service,
    pool_body,
    service_body,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

POOLS = f"/providers/{AZURE}/instancePools"
DOCKER_SERVICES = f"/environments/{PROD}/services/docker"
SERVICES = f"/environments/{PROD}/services"


def post_raw(client: httpx.Client, path: str, content: str) -> httpx.Response:
    return client.post(path, content=content.encode(), headers={"Content-Type": "application/json"})


def test_every_violation_of_a_pool_body_is_listed_at_once(shared_client: httpx.Client) -> None:
    body = {"name": "", "tags": "backend", "countMin": 1.5, "volumeSize": -1}
    message = assert_nest_error(shared_client.post(POOLS, json=body), 400)["message"]
    assert message == [
        "instanceTypeUuid is required",
        "countMax is required",
        "name must be a non-empty string",
        "tags must be an array of strings",
        "volumeSize must not be less than 0",
        "countMin must be an integer",
    ]


def test_every_violation_of_a_service_body_is_listed_at_once(shared_client: httpx.Client) -> None:
    body = {
        "dockerConfiguration": {"imageVersion": 3},
        "countMin": "1",
        "cpuLimit": True,
        "ports": [{"listeningPort": 0}, "80"],
    }
    message = assert_nest_error(shared_client.post(DOCKER_SERVICES, json=body), 400)["message"]
    assert message == [
        "name is required",
        "countMin must be an integer",
        "dockerConfiguration.image must be a non-empty string",
        "dockerConfiguration.imageVersion must be a string",
        "ports[0].listeningPort must not be less than 1",
        "ports[1] must be an object",
        "cpuLimit must be a number",
    ]


@pytest.mark.parametrize("path", [SERVICES, DOCKER_SERVICES])
@pytest.mark.parametrize(
    "changes,violation",
    [
        ({"dockerConfiguration": None}, "dockerConfiguration is required"),
        ({"dockerConfiguration": {}}, "dockerConfiguration.image must be a non-empty string"),
        ({"dockerConfiguration": {"image": " "}}, "dockerConfiguration.image must be a non-empty string"),
        ({"dockerConfiguration": "nginx"}, "dockerConfiguration must be an object"),
    ],
)
def test_no_service_without_an_image_on_either_create_endpoint(
    shared_client: httpx.Client, path: str, changes: dict[str, Any], violation: str
) -> None:
    message = assert_nest_error(shared_client.post(path, json=service_body(**changes)), 400)["message"]
    assert violation in message
    assert shared_client.get(SERVICES).json() == []


def test_the_generic_service_endpoint_creates_a_service_with_an_image(client: httpx.Client) -> None:
    response = client.post(SERVICES, json=service_body(name="generic"))
    assert response.status_code == 201, response.text
    created = client.get(f"/services/{response.json()['uuid']}").json()
    assert created["dockerConfiguration"] == {"image": "nginx", "imageVersion": "latest"}


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
@pytest.mark.parametrize(
    "path,template",
    [
        (POOLS, '{"instanceTypeUuid": "x", "name": "n", "countMin": %s, "countMax": 2}'),
        (DOCKER_SERVICES, '{"name": "s", "dockerConfiguration": {"image": "nginx"}, "cpuLimit": %s}'),
        (f"/workspaces/{CLIENT_A}/environments", '{"name": "e", "limitEnvironmentNumber": %s}'),
    ],
)
def test_non_finite_numbers_are_a_400_not_a_500(
    shared_client: httpx.Client, path: str, template: str, number: str
) -> None:
    message = assert_nest_error(post_raw(shared_client, path, template % number), 400)["message"]
    assert "not valid JSON" in message[0] and number.lstrip("-") in message[0]


def test_huge_and_deeply_nested_values_are_a_400_not_a_500(shared_client: httpx.Client) -> None:
    huge = assert_nest_error(shared_client.post(DOCKER_SERVICES, json=service_body(cpuLimit=10**400)), 400)
    assert huge["message"] == ["cpuLimit must not be greater than 2147483647"]
    too_many_digits = post_raw(shared_client, POOLS, '{"countMin": 1%s}' % ("0" * 5000))
    assert "not valid JSON" in str(assert_nest_error(too_many_digits, 400)["message"])
    nested = post_raw(shared_client, POOLS, "[" * 100_000 + "]" * 100_000)
    assert "JSON" in str(assert_nest_error(nested, 400)["message"])


@pytest.mark.parametrize("kind", ["instancePools", "services"])
@pytest.mark.parametrize("body", [{}, {"futureField": 1}, {"uuid": "x", "createdAt": "y"}, {"countMin": None}])
def test_a_put_without_a_recognised_field_is_a_400_and_changes_nothing(
    client: httpx.Client, kind: str, body: dict[str, Any]
) -> None:
    create_pool(client)
    uuid = create_pool(client, name="other") if kind == "instancePools" else create_service(client)
    before = client.get(f"/{kind}/{uuid}").json()
    message = assert_nest_error(client.put(f"/{kind}/{uuid}", json=body), 400)["message"]
    assert len(message) == 1 and message[0].startswith("the body has no field to update: send at least one of")
    assert client.get(f"/{kind}/{uuid}").json() == before
    changed = client.put(f"/{kind}/{uuid}", json={**body, "countMax": 7})
    assert changed.status_code == 200 and changed.json()["countMax"] == 7


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(sorted(pool_body()) + sorted(service_body())), value=JSON_VALUES)
def test_any_json_value_in_any_field_is_answered_without_a_500(
    shared_client: httpx.Client, field: str, value: Any
) -> None:
    for kind, path, body in (("instancePools", POOLS, pool_body()), ("services", DOCKER_SERVICES, service_body())):
        response = shared_client.post(path, json={**body, field: value})
        assert response.status_code in (201, 400), response.text
        if response.status_code == 201:
            uuid = response.json()["uuid"]
            assert shared_client.put(f"/{kind}/{uuid}", json={field: value}).status_code in (200, 400)
            assert shared_client.delete(f"/{kind}/{uuid}").status_code == 200


def deleted_objects(client: httpx.Client) -> dict[str, str]:
    """One deleted object of each kind: path prefix -> uuid."""
    workspace = client.post("/workspaces", json={"name": "Gone"}).json()["uuid"]
    environment = client.post(f"/workspaces/{workspace}/environments", json={"name": "gone"}).json()["uuid"]
    pool, service = create_pool(client), create_service(client)
    for path in (f"/services/{service}", f"/instancePools/{pool}", f"/environments/{environment}"):
        assert client.delete(path).status_code == 200
    assert client.delete(f"/workspaces/{workspace}").status_code == 200
    return {"services": service, "instancePools": pool, "environments": environment, "workspaces": workspace}


def test_deleted_objects_answer_reads_with_deleted_at_and_every_write_with_404(client: httpx.Client) -> None:
    gone = deleted_objects(client)
    reads = [
        f"/services/{gone['services']}",
        f"/services/{gone['services']}/status",
        f"/services/{gone['services']}/events",
        f"/instancePools/{gone['instancePools']}",
        f"/instancePools/{gone['instancePools']}/status",
        f"/instancePools/{gone['instancePools']}/events",
        f"/environments/{gone['environments']}",
    ]
    for path in reads:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.json()
        assert isinstance(body, list) or body["deletedAt"] is not None, path
    writes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("PUT", f"/services/{gone['services']}", {"countMax": 2}),
        ("DELETE", f"/services/{gone['services']}", None),
        ("PUT", f"/instancePools/{gone['instancePools']}", {"countMax": 2}),
        ("DELETE", f"/instancePools/{gone['instancePools']}", None),
        ("DELETE", f"/environments/{gone['environments']}", None),
        ("POST", f"/environments/{gone['environments']}/services/docker", service_body(name="late")),
        ("POST", f"/environments/{gone['environments']}/services", service_body(name="late")),
        ("DELETE", f"/workspaces/{gone['workspaces']}", None),
        ("POST", f"/workspaces/{gone['workspaces']}/environments", {"name": "late"}),
    ]
    for method, path, body in writes:
        message = assert_nest_error(client.request(method, path, json=body), 404)["message"]
        assert "was deleted" in str(message), (method, path, message)


def test_analyze_answers_501_rather_than_an_invented_shape(shared_client: httpx.Client) -> None:
    response = shared_client.get(f"/environments/{PROD}/analyze", params={"startTime": "2025-01-01T00:00:00Z"})
    message = assert_nest_error(response, 501)["message"]
    assert "not emulated" in str(message) and "not documented" in str(message)
    missing = shared_client.get("/environments/00000000-0000-4000-8000-000000000000/analyze")
    assert_nest_error(missing, 404)
