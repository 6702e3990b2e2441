"""Plans built by hand (independent of the planner), fast clients, and provisioner factories."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import EXAMPLE_KEY

PROD = "e7b73b16-7931-4878-944f-bdb97c5b1d85"
AZURE = "d57b214f-ec43-41b9-8cf1-71329349093b"
B2S = ("cc6d622a-5144-11ed-84a1-1b508e278eb5", "B2s", 33.984)
DS1 = ("cc6d6261-5144-11ed-84a1-1b508e278eb5", "DS1 v2", 63.144)
B1S = ("e25908b3-dcf7-5de6-bc3c-ec3a7db7974a", "B1s", 8.928)
# Usable capacity of one node after the platform's overhead (emulator defaults, B2s).
B2S_CPU, B2S_MEMORY = 2 * 2793 - 650, 4096 - 193 - 728


def pool_dict(
    name: str, itype: tuple[str, str, float] = B2S, count_min: int = 1, count_max: int = 3, tags: Sequence[str] = ()
) -> dict[str, Any]:
    uuid, type_name, unit = itype
    return {
        "name": name,
        "provider_uuid": AZURE,
        "provider": "Azure",
        "instance_type_uuid": uuid,
        "instance_type": type_name,
        "count_min": count_min,
        "count_max": count_max,
        "unit_monthly_price": unit,
        "monthly_cost": round(unit * count_min, 4),
        "cpu_mhz": B2S_CPU,
        "memory_mb": B2S_MEMORY,
        "tags": list(tags),
    }


def plan_dict(
    pools: Sequence[dict[str, Any]] | None = None,
    services: Sequence[dict[str, Any]] = (),
    nodes: Sequence[dict[str, Any]] = (),
    environment_uuid: str | None = PROD,
) -> dict[str, Any]:
    """A plan-JSON document satisfying the contract (DESIGN.md section 4)."""
    pools = list(pools if pools is not None else [pool_dict("cp-web", count_min=2), pool_dict("cp-db", B1S)])
    total = round(sum(p["monthly_cost"] for p in pools), 4)
    return {
        "version": 1,
        "status": "optimal",
        "monthly_cost": total,
        "lower_bound": total,
        "gap": 0.0,
        "currency": "EUR",
        "environment_uuid": environment_uuid,
        "pools": pools,
        "nodes": list(nodes),
        "services": list(services),
        "assumptions": {},
    }


def service_dict(
    name: str, count_min: int = 1, cpu_mhz: int = 200, memory_mb: int = 256, image: str | None = None
) -> dict[str, Any]:
    return {
        "name": name,
        "count_min": count_min,
        "count_max": count_min + 1,
        "cpu_mhz": cpu_mhz,
        "memory_mb": memory_mb,
        "spread": False,
        "providers": [],
        "tags": [],
        "image": image,
    }


def no_sleep(seconds: float) -> None:
    """Injected instead of time.sleep: tests never wait for a backoff."""


def make_client(base_url: str, *, transport: httpx.BaseTransport | None = None) -> Any:
    """A Client with the example key, no real sleeps, and a few fast retries."""
    from costplan.api import Client
    from costplan.retry import RetryPolicy

    http = httpx.Client(
        base_url=base_url, headers={"x-api-key": EXAMPLE_KEY}, transport=transport, timeout=httpx.Timeout(10.0)
    )
    return Client(http, retry=RetryPolicy(max_retries=4, backoff_base=0.0, backoff_max=0.0), sleep=no_sleep)


def names(client: Any, environment_uuid: str = PROD) -> Counter[str]:
    """Live pools per name, straight from the API: the duplicate check every reliability test ends with.

    `client` is a Client, or a base URL (a client is then opened and closed for the call).
    """
    if isinstance(client, str):
        with make_client(client) as own:
            return names(own, environment_uuid)
    return Counter(p.name for p in client.list_instance_pools(environment_uuid) if not p.deleted_at)


@pytest.fixture
def write_plan(tmp_path: Path) -> Callable[..., Path]:
    def write(document: dict[str, Any], name: str = "plan.json") -> Path:
        path = tmp_path / name
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
        return path

    return write


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    return tmp_path / "journals"


@pytest.fixture
def provisioner_for(journal_dir: Path) -> Iterator[Callable[..., Any]]:
    """Factory: `provisioner_for(base_url, **Provisioner kwargs)` with a fast client and no sleeping."""
    from costplan.provisioner import Provisioner
    from costplan.waiter import WaiterConfig

    clients: list[Any] = []

    def make(base_url: str, transport: httpx.BaseTransport | None = None, **kwargs: Any) -> Any:
        client = make_client(base_url, transport=transport)
        clients.append(client)
        kwargs.setdefault("journal_dir", journal_dir)
        kwargs.setdefault("sleep", time.sleep)  # only the waiter's 10-20 ms polls: reconcile pauses are 0
        kwargs.setdefault("reconcile_delays", (0.0, 0.0))
        kwargs.setdefault("wait", WaiterConfig(delay=0.01, max_delay=0.02, timeout=20.0))
        return Provisioner(client, **kwargs)

    yield make
    for client in clients:
        client.close()
