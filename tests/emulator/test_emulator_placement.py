"""Placement over HTTP: replicas spread, honest failures, constraints, capacity that arrives.

Pools whose test is about a failure set ``countMax`` to ``countMin``: otherwise autoscaling
grows them (see test_emulator_scheduler.py for autoscaling itself).
"""

from __future__ import annotations

import httpx
from emulator_support import AZURE, DS1_V2, GCP, PROD, Serve, create_pool, create_service, service_status

from costplan.emulator import ManualClock


def test_replicas_land_on_distinct_nodes(client: httpx.Client) -> None:
    create_pool(client, countMin=3)
    service = create_service(client, countMin=3, countMax=3)
    status = service_status(client, service)
    assert (status["status"], status["success"], status["countRunning"]) == ("DONE", True, 3)
    assert len({n["uuid"] for n in status["instances"]}) == 3
    assert status["dimensionExhausted"] is None and status["placementFailure"] is False


def test_memory_exhaustion_is_reported_honestly(client: httpx.Client) -> None:
    create_pool(client, countMin=2, countMax=2)  # B2s: 3903 MB, 728 reserved -> 3175 MB free per node
    service = create_service(client, countMin=3, countMax=3, memoryLimitMiB=2000)
    status = service_status(client, service)
    assert (status["status"], status["success"], status["runningSuccess"]) == ("ERROR", False, "FAILURE")
    assert (status["count"], status["countRunning"]) == (3, 2)
    assert status["placementFailure"] is True
    assert status["dimensionExhausted"] == {"memory": 2}
    assert status["errorType"] == "PLACEMENT_FAILURE"
    assert "1 of 3" in status["errorMessage"] and "memory" in status["errorMessage"]
    assert status["totalReservedMemoryMB"] == 4000
    events = [e["type"] for e in client.get(f"/services/{service}/events").json()]
    assert events == ["SERVICE_CREATED", "SERVICE_PLACEMENT_FAILED"]


def test_cpu_exhaustion_and_recovery_when_capacity_arrives(client: httpx.Client) -> None:
    create_pool(client, name="small", countMin=1, countMax=1)
    service = create_service(client, countMin=2, countMax=2, cpuLimit=3000)
    status = service_status(client, service)
    assert status["dimensionExhausted"] == {"cpu": 1} and status["countRunning"] == 1
    create_pool(client, name="more", countMin=1)
    healed = service_status(client, service)
    assert (healed["status"], healed["countRunning"], healed["placementFailure"]) == ("DONE", 2, False)
    assert healed["dimensionExhausted"] is None and healed["errorMessage"] is None


def test_pending_while_pools_provision_then_placed(serve: Serve) -> None:
    clock = ManualClock()
    _, client = serve(clock=clock, provision_seconds=2)
    create_pool(client)
    service = create_service(client)
    waiting = service_status(client, service)
    assert (waiting["status"], waiting["placementFailure"], waiting["countRunning"]) == ("PENDING", False, 0)
    clock.advance(2)
    assert service_status(client, service)["status"] == "DONE"


def test_no_matching_pool_fails_without_dimension(client: httpx.Client) -> None:
    create_pool(client, tags=["frontend"])
    service = create_service(client, constraints={"tags": ["backend"]})
    status = service_status(client, service)
    assert (status["status"], status["placementFailure"], status["dimensionExhausted"]) == ("ERROR", True, None)
    assert "constraints" in status["errorMessage"]


def test_constraints_pick_pools_by_tag_provider_and_uuid(client: httpx.Client) -> None:
    gcp_type = client.get(f"/providers/{GCP}/instancesTypes").json()[0]["uuid"]
    azure_pool = create_pool(client, name="az", tags=["backend", "eu"])
    gcp_pool = create_pool(client, provider=GCP, name="gc", type_uuid=gcp_type, tags=["batch"])
    other_azure = create_pool(client, name="az2", type_uuid=DS1_V2, tags=["eu"])
    by_tag = create_service(client, name="a", constraints={"tags": ["backend"]})
    by_provider = create_service(client, name="b", constraints={"providerUuids": [GCP]})
    by_pool = create_service(client, name="c", constraints={"instancePoolUuids": [other_azure]})
    for service, pool in ((by_tag, azure_pool), (by_provider, gcp_pool), (by_pool, other_azure)):
        status = service_status(client, service)
        assert status["status"] == "DONE"
        assert {n["instancePoolUuid"] for n in status["instances"]} == {pool}
    moved = client.put(f"/services/{by_tag}", json={"constraints": {"instancePoolUuids": [gcp_pool]}})
    assert moved.status_code == 200
    assert service_status(client, by_tag)["instances"][0]["instancePoolUuid"] == gcp_pool


def test_other_environments_pools_are_not_used(client: httpx.Client) -> None:
    staging = next(
        e
        for e in client.get("/workspaces", params={"includeEnvironmentAndProviders": "true"}).json()["workspaces"][0][
            "environments"
        ]
        if e["name"] == "Staging"
    )
    aws = next(p for p in staging["providers"] if p["platformName"] == "AWS")["uuid"]
    aws_type = client.get(f"/providers/{aws}/instancesTypes").json()[5]["uuid"]
    create_pool(client, provider=aws, type_uuid=aws_type)
    service = create_service(client)
    assert service_status(client, service)["status"] == "ERROR"
    assert client.get(f"/environments/{PROD}/instancePools").json() == []
    assert len(client.get(f"/environments/{staging['uuid']}/instancePools").json()) == 1


def test_binpack_fills_one_node_before_the_next(client: httpx.Client) -> None:
    create_pool(client, countMin=2)
    first = create_service(client, name="one")
    second = create_service(client, name="two")
    node_one = service_status(client, first)["instances"][0]
    node_two = service_status(client, second)["instances"][0]
    assert node_one["uuid"] == node_two["uuid"]
    assert (node_two["serviceCount"], node_two["totalReservedCpuMhz"]) == (2, 650 + 256)


def test_scaling_a_service_down_frees_capacity_for_others(client: httpx.Client) -> None:
    create_pool(client, countMin=1, countMax=1)
    big = create_service(client, name="big", countMin=2, countMax=2, memoryLimitMiB=1500)
    late = create_service(client, name="late", memoryLimitMiB=1000)
    assert service_status(client, late)["status"] == "ERROR"
    client.put(f"/services/{big}", json={"countMin": 1})
    assert service_status(client, late)["status"] == "DONE"
    assert client.get(f"/providers/{AZURE}/instancesTypes").status_code == 200


def test_services_waiting_for_capacity_are_placed_in_creation_order(serve: Serve) -> None:
    clock = ManualClock()
    _, client = serve(clock=clock, provision_seconds=2)
    create_pool(client, countMin=1, countMax=1)  # B2s: 3175 MB free, room for one of the two
    first = create_service(client, name="zz-first", memoryLimitMiB=2000)  # same instant, names reversed
    second = create_service(client, name="aa-second", memoryLimitMiB=2000)
    assert service_status(client, first)["status"] == service_status(client, second)["status"] == "PENDING"
    clock.advance(2)  # the node comes up: both are placed in one pass, in the order they were created
    assert service_status(client, first)["status"] == "DONE"
    assert service_status(client, second)["status"] == "ERROR"
