"""A client nobody here wrote: the calls of `gplanchat/server-layerops`, replayed against the emulator.

`src/api/client.ts` at commit bfa7b1dda330bc29f5097c0ce4cbb09e20194af1 (MIT; its author checked
paths and methods against the live Swagger, API-NOTES.md G1) sends every request to
`{baseUrl}/v1{endpoint}` with `Content-Type: application/json` and `X-API-KEY: keyId:secret`
(also on GETs and DELETEs, which carry no body), and bodies as `JSON.stringify(data)`: compact,
with `undefined` members dropped. `ThirdPartyClient` below sends exactly that, one method per
method of client.ts (same names), over a real socket. Only its requests are reproduced here, not
its code.

What does not work, and why (asserted below):
- `getProject` lists workspaces and looks for an *array*; the documented `GET /workspaces` answer
  is an object (`{globalLimitEnvironmentNumber, totalAssociatedEnvironments, workspaces}`), so it
  can never find one, against the real API too: a client bug.
- `getAnalytics` (`GET /environments/{uuid}/analyze`): its answer's shape is not documented, so
  the emulator answers 501 rather than invent one.
- The MCP tool layer (src/tools/index.ts, same commit) sends guessed field names (`instanceType`,
  `minInstances`, a top-level `image`, `replicas`): those bodies are refused with a 400 that lists
  the documented fields they lack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator_support import AZURE, B2S, EXAMPLE_KEY, PROD, Serve, pool_body, service_body

Answer = tuple[int, Any]


class ThirdPartyClient:
    """The requests `LayerOpsApiClient` (client.ts) sends, method for method."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def request(self, endpoint: str, method: str = "GET", data: dict[str, Any] | None = None) -> Answer:
        headers = {"Content-Type": "application/json", "X-API-KEY": EXAMPLE_KEY}
        content = None if data is None else json.dumps(data, separators=(",", ":")).encode()
        response = self.http.request(method, f"/v1{endpoint}", headers=headers, content=content)
        return response.status_code, response.json()

    def getProjects(self) -> Answer:  # noqa: N802 - client.ts's names, so the two can be compared
        return self.request("/workspaces")

    def createProject(self, data: dict[str, Any]) -> Answer:  # noqa: N802
        return self.request("/workspaces", "POST", data)

    def deleteProject(self, project_id: str) -> Answer:  # noqa: N802
        return self.request(f"/workspaces/{project_id}", "DELETE")

    def getEnvironments(self, project_id: str) -> Answer:  # noqa: N802
        return self.request(f"/workspaces/{project_id}/environments")

    def createEnvironment(self, data: dict[str, Any]) -> Answer:  # noqa: N802
        return self.request(f"/workspaces/{data['projectId']}/environments", "POST", data)

    def getEnvironment(self, environment_id: str) -> Answer:  # noqa: N802
        return self.request(f"/environments/{environment_id}")

    def deleteEnvironment(self, environment_id: str) -> Answer:  # noqa: N802
        return self.request(f"/environments/{environment_id}", "DELETE")

    def getInstancePools(self, environment_id: str) -> Answer:  # noqa: N802
        return self.request(f"/environments/{environment_id}/instancePools")

    def createInstancePool(self, data: dict[str, Any]) -> Answer:  # noqa: N802
        return self.request(f"/providers/{data['providerUuid']}/instancePools", "POST", data)

    def getInstancePool(self, pool_id: str) -> Answer:  # noqa: N802
        return self.request(f"/instancePools/{pool_id}")

    def updateInstancePool(self, pool_id: str, data: dict[str, Any]) -> Answer:  # noqa: N802
        return self.request(f"/instancePools/{pool_id}", "PUT", data)

    def deleteInstancePool(self, pool_id: str) -> Answer:  # noqa: N802
        return self.request(f"/instancePools/{pool_id}", "DELETE")

    def getServices(self, environment_id: str) -> Answer:  # noqa: N802
        return self.request(f"/environments/{environment_id}/services")

    def createService(self, data: dict[str, Any]) -> Answer:  # noqa: N802
        return self.request(f"/environments/{data['environmentId']}/services", "POST", data)

    def getService(self, service_id: str) -> Answer:  # noqa: N802
        return self.request(f"/services/{service_id}")

    def updateService(self, service_id: str, data: dict[str, Any]) -> Answer:  # noqa: N802
        return self.request(f"/services/{service_id}", "PUT", data)

    def scaleService(self, service_id: str, count_min: int, count_max: int) -> Answer:  # noqa: N802
        return self.updateService(service_id, {"countMin": count_min, "countMax": count_max})

    def deleteService(self, service_id: str) -> Answer:  # noqa: N802
        return self.request(f"/services/{service_id}", "DELETE")

    def getEvents(self, resource_type: str, resource_id: str) -> Answer:  # noqa: N802
        collection = {"environment": "environments", "service": "services", "instancePool": "instancePools"}
        return self.request(f"/{collection[resource_type]}/{resource_id}/events")

    def getAnalytics(self, environment_id: str, start: str, end: str) -> Answer:  # noqa: N802
        return self.request(f"/environments/{environment_id}/analyze?startTime={start}&endTime={end}")


@pytest.fixture
def third_party(serve: Serve) -> Iterator[ThirdPartyClient]:
    emulator, _ = serve()
    with httpx.Client(base_url=f"http://{emulator.host}:{emulator.port}", timeout=5) as http:
        yield ThirdPartyClient(http)


def test_its_list_get_create_update_delete_calls_with_documented_fields_succeed(third_party: ThirdPartyClient) -> None:
    c = third_party
    status, listing = c.getProjects()
    assert status == 200 and "Client A" in [w["name"] for w in listing["workspaces"]]
    status, project = c.createProject({"name": "Client B"})
    assert status == 201
    status, environment = c.createEnvironment({"name": "Dev", "projectId": project["uuid"]})
    assert status == 201
    assert c.getEnvironments(project["uuid"]) == (
        200,
        [{k: environment[k] for k in ("uuid", "name", "deletedAt")} | {"providers": []}],
    )
    assert c.getEnvironment(environment["uuid"])[1]["name"] == "Dev"

    status, pool = c.createInstancePool({"providerUuid": AZURE, **pool_body(name="mcp-pool")})
    assert status == 201 and pool["name"] == "mcp-pool"
    assert [p["uuid"] for p in c.getInstancePools(PROD)[1]] == [pool["uuid"]]
    assert c.getInstancePool(pool["uuid"])[1]["instanceTypeUuid"] == B2S
    status, updated = c.updateInstancePool(pool["uuid"], {"countMin": 2, "countMax": 4})
    assert status == 200 and (updated["countMin"], updated["countMax"]) == (2, 4)

    status, service = c.createService({"environmentId": PROD, **service_body(name="mcp-service")})
    assert status == 201 and service["name"] == "mcp-service"
    assert [s["uuid"] for s in c.getServices(PROD)[1]] == [service["uuid"]]
    assert c.getService(service["uuid"])[1]["dockerConfiguration"]["image"] == "nginx"
    assert c.updateService(service["uuid"], {"name": "mcp-renamed"})[1]["name"] == "mcp-renamed"
    status, scaled = c.scaleService(service["uuid"], 2, 3)
    assert status == 200 and (scaled["countMin"], scaled["countMax"]) == (2, 3)

    for kind, uuid in (("environment", PROD), ("service", service["uuid"]), ("instancePool", pool["uuid"])):
        status, events = c.getEvents(kind, uuid)
        assert status == 200 and events and all(set(e) == {"uuid", "type", "message", "createdAt"} for e in events)
    # getEvent lists, then picks by uuid: works whenever getEvents does.
    first = c.getEvents("service", service["uuid"])[1][0]
    assert next(e for e in c.getEvents("service", service["uuid"])[1] if e["uuid"] == first["uuid"]) == first

    assert c.deleteService(service["uuid"])[0] == 200
    assert c.deleteInstancePool(pool["uuid"])[0] == 200
    assert c.deleteEnvironment(environment["uuid"])[0] == 200
    assert c.deleteProject(project["uuid"])[0] == 200
    assert "Client B" not in [w["name"] for w in c.getProjects()[1]["workspaces"]]


def test_what_fails_fails_for_a_stated_reason(third_party: ThirdPartyClient) -> None:
    c = third_party
    # getProject: `Array.isArray(allWorkspaces.data)` is false for the documented object answer.
    assert not isinstance(c.getProjects()[1], list)
    status, error = c.getAnalytics(PROD, "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z")
    assert status == 501 and "not documented" in error["message"]


def test_its_tool_layer_guesses_are_refused_listing_the_documented_fields(third_party: ThirdPartyClient) -> None:
    c = third_party
    status, error = c.createInstancePool(
        {"providerUuid": AZURE, "name": "guess", "instanceType": B2S, "minInstances": 1, "maxInstances": 3}
    )
    assert status == 400
    assert error["message"] == ["instanceTypeUuid is required", "countMin is required", "countMax is required"]
    status, error = c.createService({"name": "guess", "image": "nginx:latest", "environmentId": PROD, "replicas": 2})
    assert status == 400 and error["message"] == ["dockerConfiguration is required"]
    assert c.getInstancePools(PROD) == (200, []) and c.getServices(PROD) == (200, [])
