"""Pools move PENDING -> PROVISIONING -> DONE (or ERROR) with the clock; PUT and DELETE."""

from __future__ import annotations

import httpx
from emulator_support import (
    AZURE,
    B2S,
    DS1_V2,
    PROD,
    Serve,
    assert_nest_error,
    create_pool,
    create_service,
    pool_status,
    service_status,
)

from costplan.emulator import ManualClock


def test_pool_goes_through_pending_and_provisioning_to_done(serve: Serve) -> None:
    clock = ManualClock()
    _, client = serve(clock=clock, provision_seconds=3)
    pool = create_pool(client, countMin=2)
    first = pool_status(client, pool)
    assert (first["status"], first["success"], first["count"], first["countRunning"]) == ("PENDING", False, 2, 0)
    assert first["totalCpuMhz"] == 0 and first["errorType"] is None and first["errorMessage"] is None
    clock.advance(1.5)
    assert pool_status(client, pool)["status"] == "PROVISIONING"
    clock.advance(1.5)
    done = pool_status(client, pool, instances=True)
    assert (done["status"], done["success"], done["countRunning"]) == ("DONE", True, 2)
    assert (done["totalCpuMhz"], done["totalMemoryMB"]) == (2 * 5586, 2 * 3903)
    assert (done["totalReservedCpuMhz"], done["totalReservedMemoryMB"]) == (2 * 650, 2 * 728)
    assert [i["isRunning"] for i in done["instances"]] == [True, True]
    assert {i["serviceCount"] for i in done["instances"]} == {0}
    kinds = [e["type"] for e in client.get(f"/instancePools/{pool}/events").json()]
    assert kinds == ["INSTANCE_POOL_CREATED", "INSTANCE_POOL_READY"]


def test_b2s_node_totals_match_the_documentation(client: httpx.Client) -> None:
    pool = create_pool(client)
    create_service(client)
    status = pool_status(client, pool, instances=True)
    assert (status["totalCpuMhz"], status["totalMemoryMB"]) == (5586, 3903)
    assert (status["totalReservedCpuMhz"], status["totalReservedMemoryMB"]) == (778, 856)
    node = status["instances"][0]
    assert (node["serviceCount"], node["totalReservedCpuMhz"], node["totalReservedMemoryMB"]) == (1, 778, 856)
    assert "serviceUuid" not in node


def test_zero_count_pool_is_done_without_instances(client: httpx.Client) -> None:
    pool = create_pool(client, countMin=0)
    status = pool_status(client, pool, instances=True)
    assert (status["status"], status["count"], status["countRunning"], status["instances"]) == ("DONE", 0, 0, [])


def test_failing_pool_by_name_reports_error(serve: Serve) -> None:
    clock = ManualClock()
    _, client = serve(clock=clock, provision_seconds=2, fail_pools=("broken",))
    pool = create_pool(client, name="web-broken-1")
    ok = create_pool(client, name="web-ok")
    assert pool_status(client, pool)["status"] == "PENDING"
    clock.advance(2)
    failed = pool_status(client, pool, instances=True)
    assert (failed["status"], failed["success"], failed["countRunning"]) == ("ERROR", False, 0)
    assert (failed["errorType"], failed["errorCode"]) == ("PROVISIONING", "QUOTA_EXCEEDED")
    assert "quota" in failed["errorMessage"] and failed["instances"] == []
    assert pool_status(client, ok)["status"] == "DONE"
    events = client.get(f"/instancePools/{pool}/events").json()
    assert events[-1]["type"] == "INSTANCE_POOL_FAILED"


def test_failure_fraction_is_seeded_and_stable(serve: Serve) -> None:
    fates = []
    for _ in range(2):
        _, client = serve(fail_pool_rate=0.5, fail_seed=3)
        pools = [create_pool(client, name=f"pool-{i}") for i in range(12)]
        fates.append([pool_status(client, p)["status"] for p in pools])
    assert fates[0] == fates[1]
    assert set(fates[0]) == {"DONE", "ERROR"}


def test_put_scales_instances_up_and_down(serve: Serve) -> None:
    clock = ManualClock()
    _, client = serve(clock=clock, provision_seconds=1)
    pool = create_pool(client, countMin=1)
    clock.advance(1)
    updated = client.put(f"/instancePools/{pool}", json={"countMin": 3, "tags": ["backend", "web"]})
    assert updated.status_code == 200
    assert (updated.json()["countMin"], updated.json()["tags"]) == (3, ["backend", "web"])
    scaling = pool_status(client, pool, instances=True)
    assert (scaling["status"], scaling["count"], scaling["countRunning"]) == ("PROVISIONING", 3, 1)
    assert sorted(i["isRunning"] for i in scaling["instances"]) == [False, False, True]
    clock.advance(1)
    assert (pool_status(client, pool)["status"], pool_status(client, pool)["countRunning"]) == ("DONE", 3)
    client.put(f"/instancePools/{pool}", json={"countMin": 1})
    status = pool_status(client, pool, instances=True)
    assert (status["status"], status["countRunning"], len(status["instances"])) == ("DONE", 1, 1)


def test_get_pool_shape_and_partial_put_ignores_read_only_fields(client: httpx.Client) -> None:
    pool = create_pool(client, type_uuid=DS1_V2, tags=["a"])
    body = client.get(f"/instancePools/{pool}").json()
    assert set(body) == {
        "uuid",
        "name",
        "environmentUuid",
        "providerUuid",
        "instanceTypeUuid",
        "tags",
        "volumeSize",
        "countMin",
        "countMax",
        "replaceInstanceDownMinutes",
        "instanceUnusedMinutes",
        "createdAt",
        "deletedAt",
    }
    assert (body["environmentUuid"], body["providerUuid"], body["instanceTypeUuid"]) == (PROD, AZURE, DS1_V2)
    body["environmentUuid"] = "ignored"
    body["name"] = "renamed"
    put = client.put(f"/instancePools/{pool}", json=body).json()
    assert (put["name"], put["environmentUuid"]) == ("renamed", PROD)


def test_delete_pool_removes_it_and_unplaces_services(client: httpx.Client) -> None:
    pool = create_pool(client)
    service = create_service(client)
    assert service_status(client, service)["status"] == "DONE"
    deleted = client.delete(f"/instancePools/{pool}")
    assert deleted.status_code == 200 and deleted.json()["deletedAt"] is not None
    assert client.get(f"/environments/{PROD}/instancePools").json() == []
    assert client.get(f"/instancePools/{pool}").json()["deletedAt"] is not None
    status = pool_status(client, pool, instances=True)
    assert (status["status"], status["countRunning"], status["instances"]) == ("DELETED", 0, [])
    assert status["deletedAt"] is not None
    unplaced = service_status(client, service)
    assert (unplaced["status"], unplaced["countRunning"], unplaced["placementFailure"]) == ("ERROR", 0, True)
    assert "was deleted" in str(assert_nest_error(client.delete(f"/instancePools/{pool}"), 404)["message"])
    assert "was deleted" in str(assert_nest_error(client.put(f"/instancePools/{pool}", json={"countMin": 2}), 404))


def test_service_put_and_delete(client: httpx.Client) -> None:
    create_pool(client, countMin=2)
    service = create_service(client, countMin=1, countMax=4)
    got = client.get(f"/services/{service}").json()
    assert (got["cpuLimit"], got["memoryLimitMiB"], got["countMin"]) == (128, 128, 1)
    assert got["environmentUuid"] == PROD and got["deletedAt"] is None
    put = client.put(f"/services/{service}", json={"countMin": 2, "cpuLimit": 1000})
    assert put.status_code == 200 and put.json()["cpuLimit"] == 1000
    status = service_status(client, service)
    assert (status["count"], status["countRunning"], status["totalReservedCpuMhz"]) == (2, 2, 2000)
    assert [e["type"] for e in client.get(f"/services/{service}/events").json()][:2] == [
        "SERVICE_CREATED",
        "SERVICE_PLACED",
    ]
    assert client.delete(f"/services/{service}").status_code == 200
    assert client.get(f"/environments/{PROD}/services").json() == []
    gone = service_status(client, service)
    assert (gone["status"], gone["countRunning"], gone["count"]) == ("DELETED", 0, 0)


def test_workspaces_and_environments(client: httpx.Client) -> None:
    created = client.post("/workspaces", json={"name": "Client B"})
    assert created.status_code == 201
    ws = created.json()
    assert set(ws) == {"uuid", "name", "createdAt", "limitEnvironmentNumber"}
    env = client.post(
        f"/workspaces/{ws['uuid']}/environments", json={"name": "Dev", "platformNames": ["Exoscale", "Azure"]}
    )
    assert env.status_code == 201, env.text
    env_body = env.json()
    assert [p["platformName"] for p in env_body["providers"]] == ["Exoscale", "Azure"]
    listed = client.get(f"/workspaces/{ws['uuid']}/environments").json()
    assert [e["uuid"] for e in listed] == [env_body["uuid"]]
    azure = env_body["providers"][1]["uuid"]
    pool = create_pool(client, provider=azure, type_uuid=B2S)
    assert_nest_error(client.delete(f"/workspaces/{ws['uuid']}"), 409)
    assert client.delete(f"/environments/{env_body['uuid']}").status_code == 200
    assert client.get(f"/instancePools/{pool}").json()["deletedAt"] is not None
    assert client.get(f"/environments/{env_body['uuid']}").json()["deletedAt"] is not None
    assert client.delete(f"/workspaces/{ws['uuid']}").status_code == 200
    names = [w["name"] for w in client.get("/workspaces").json()["workspaces"]]
    assert "Client B" not in names and "Client A" in names
    bad = client.post(f"/workspaces/{ws['uuid']}/environments", json={"name": "X"})
    assert_nest_error(bad, 404)


def test_environment_limit_is_enforced(client: httpx.Client) -> None:
    ws = client.post("/workspaces", json={"name": "Small", "limitEnvironmentNumber": 1}).json()
    assert client.post(f"/workspaces/{ws['uuid']}/environments", json={"name": "one"}).status_code == 201
    response = client.post(f"/workspaces/{ws['uuid']}/environments", json={"name": "two"})
    assert "limit" in str(assert_nest_error(response, 409)["message"])
