"""`AsyncClient`: the same requests, results, retries and errors as `Client`, awaited."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import httpx
import pytest

from costplan.api import AsyncClient, Client
from costplan.errors import ApiError, ApiTransportError, AuthenticationError
from costplan.models import PoolStatus, ServiceStatus

PROVIDERS = ["p1", "p2", "p3", "p4", "p5"]
POOL = "27d6c053-5eab-4838-bd14-040ed5d617d9"
SERVICE = "e07550ad-cce6-4aca-ad56-fa085f388c6f"


def catalogue(request: httpx.Request) -> httpx.Response:
    """Workspaces with five providers, two instance types each, and status endpoints."""
    path = request.url.path
    if path == "/v1/workspaces":
        providers = [{"uuid": p, "platformName": p.upper()} for p in PROVIDERS]
        environment = {"uuid": "env", "name": "Prod", "providers": providers}
        return httpx.Response(
            200, json={"workspaces": [{"uuid": "ws", "name": "A", "environments": [environment]}]}
        )
    if path.endswith("/instancesTypes"):
        provider = path.split("/")[3]
        types = [{"uuid": f"{provider}-{n}", "name": f"T{n}", "vCPUs": n, "memory": 2 * n} for n in (1, 2)]
        return httpx.Response(200, json=types)
    if path == f"/v1/instancePools/{POOL}/status":
        return httpx.Response(200, json={"uuid": POOL, "status": "DONE", "success": True, "count": 2})
    if path == f"/v1/services/{SERVICE}/status":
        return httpx.Response(
            200, json={"uuid": SERVICE, "status": "DONE", "success": True, "countRunning": 1}
        )
    return httpx.Response(404)


def unauthorized(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"message": "Unauthorized"})


def read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def no_content(request: httpx.Request) -> httpx.Response:
    return httpx.Response(204)


def test_fan_out_over_providers(make_async_client):
    async def main() -> dict[str, list[str]]:
        async with make_async_client(catalogue) as client:
            (workspace,) = await client.list_workspaces()
            providers = [p.uuid for e in workspace.environments for p in e.providers]
            lists = await asyncio.gather(*(client.list_instance_types(p) for p in providers))
            return {p: [t.uuid for t in types] for p, types in zip(providers, lists, strict=True)}

    assert asyncio.run(main()) == {p: [f"{p}-1", f"{p}-2"] for p in PROVIDERS}


def test_statuses(make_async_client):
    async def main() -> tuple[PoolStatus, ServiceStatus]:
        async with make_async_client(catalogue) as client:
            return await client.get_instance_pool_status(POOL), await client.get_service_status(SERVICE)

    pool, service = asyncio.run(main())
    assert pool.is_done and pool.count == 2
    assert service.is_done and service.count_running == 1


def test_retries_await_the_injected_sleep(make_async_client, sleeps):
    answers = [httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json=[])]

    async def main() -> Any:
        async with make_async_client(lambda request: answers.pop(0)) as client:
            return await client.list_instance_types("p1")

    assert asyncio.run(main()) == []
    assert sleeps == [3.0] and answers == []


def test_errors_are_the_same_as_the_sync_clients(make_async_client):
    async def main() -> None:
        async with make_async_client(unauthorized) as client:
            await client.list_workspaces()

    with pytest.raises(AuthenticationError, match=r"^the API key was refused \(401\) for GET /workspaces"):
        asyncio.run(main())


def test_post_is_not_retried_after_a_read_timeout(make_async_client, sleeps):
    async def main() -> None:
        async with make_async_client(read_timeout) as client:
            await client.create_instance_pool("p1", {"name": "x"})

    with pytest.raises(ApiTransportError) as caught:
        asyncio.run(main())
    assert caught.value.outcome_unknown is True and caught.value.attempts == 1 and sleeps == []
    assert caught.value.__context__ is None


PUBLIC = sorted(n for n in vars(Client) if not n.startswith("_") and n not in ("close", "from_settings"))
ARGS: dict[str, tuple[Any, ...]] = {
    "list_workspaces": (),
    "list_events": ("services", SERVICE),
    "create_instance_pool": ("p1", {"name": "x"}),
    "create_docker_service": ("env", {"name": "web"}),
    "create_service": ("env", {"name": "web"}),
    "create_workspace": ({"name": "w"},),
    "create_environment": ("ws", {"name": "e"}),
    "update_instance_pool": (POOL, {"countMax": 2}),
    "update_service": (SERVICE, {"countMin": 2}),
}


@pytest.mark.parametrize("name", PUBLIC)
def test_every_method_has_an_async_twin_that_sends_the_same_request(make_client, make_async_client, name):
    assert inspect.signature(getattr(Client, name)) == inspect.signature(getattr(AsyncClient, name))
    assert inspect.iscoroutinefunction(getattr(AsyncClient, name))
    args = ARGS.get(name, ("some-id",))
    sync_seen: list[httpx.Request] = []
    async_seen: list[httpx.Request] = []

    def recorder(seen: list[httpx.Request]) -> Any:
        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return no_content(request)

        return handler

    async def run_async() -> Any:
        async with make_async_client(recorder(async_seen)) as client:
            return await getattr(client, name)(*args)

    try:
        sync_result: Any = getattr(make_client(recorder(sync_seen)), name)(*args)
    except ApiError as exc:
        sync_result = type(exc)
    try:
        async_result: Any = asyncio.run(run_async())
    except ApiError as exc:
        async_result = type(exc)

    assert sync_result == async_result
    assert [(r.method, str(r.url), r.content) for r in sync_seen] == [
        (r.method, str(r.url), r.content) for r in async_seen
    ]
    assert len(sync_seen) == 1
