"""Concurrent requests never lose or duplicate an update."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from emulator_support import AZURE, HEADERS, PROD, Serve, pool_body, pool_status, service_body, service_status


def test_twenty_threads_create_twenty_distinct_pools(serve: Serve) -> None:
    emulator, client = serve()

    def create(index: int) -> str:
        with httpx.Client(base_url=emulator.base_url, headers=HEADERS, timeout=10) as own:
            response = own.post(f"/providers/{AZURE}/instancePools", json=pool_body(name=f"pool-{index:02d}"))
            assert response.status_code == 201, response.text
            uuid: str = response.json()["uuid"]
            return uuid

    with ThreadPoolExecutor(max_workers=20) as executor:
        uuids = list(executor.map(create, range(20)))
    assert len(set(uuids)) == 20
    listed = client.get(f"/environments/{PROD}/instancePools").json()
    assert sorted(p["uuid"] for p in listed) == sorted(uuids)
    assert len({p["name"] for p in listed}) == 20


def test_racing_duplicates_create_exactly_one(serve: Serve) -> None:
    emulator, client = serve()

    def create(_: int) -> int:
        with httpx.Client(base_url=emulator.base_url, headers=HEADERS, timeout=10) as own:
            return own.post(f"/providers/{AZURE}/instancePools", json=pool_body(name="same")).status_code

    with ThreadPoolExecutor(max_workers=10) as executor:
        codes = sorted(executor.map(create, range(10)))
    assert codes == [201] + [409] * 9


def test_concurrent_services_share_capacity_without_overbooking(serve: Serve, tmp_path: Path) -> None:
    emulator, client = serve(state_file=tmp_path / "state.json")
    # countMax = countMin: autoscaling must not add room, the point is that none is overbooked.
    client.post(f"/providers/{AZURE}/instancePools", json=pool_body(countMin=2, countMax=2))

    def create(index: int) -> str:
        with httpx.Client(base_url=emulator.base_url, headers=HEADERS, timeout=10) as own:
            body = service_body(name=f"svc-{index}", memoryLimitMiB=1000)
            uuid: str = own.post(f"/environments/{PROD}/services/docker", json=body).json()["uuid"]
            return uuid

    with ThreadPoolExecutor(max_workers=8) as executor:
        services = list(executor.map(create, range(8)))
    running = sum(service_status(client, s)["countRunning"] for s in services)
    # Each B2s node has 3903 - 728 = 3175 MB free: three 1000 MB replicas per node.
    assert running == 6
    pool = client.get(f"/environments/{PROD}/instancePools").json()[0]["uuid"]
    status = pool_status(client, pool)
    assert status["totalReservedMemoryMB"] == 2 * 728 + 6 * 1000 <= status["totalMemoryMB"]
