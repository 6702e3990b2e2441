"""Each fault kind: latency, 5xx, 429 + Retry-After, hangs, and POSTs that commit then fail."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from emulator_support import AZURE, PROD, Serve, assert_nest_error, pool_body

from costplan.emulator import EmulatorConfig
from costplan.emulator.faults import FaultInjector


def test_latency_is_added_to_every_request(serve: Serve) -> None:
    _, client = serve(latency=0.2)
    started = time.perf_counter()
    assert client.get("/workspaces").status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_error_rate_answers_5xx_in_the_error_shape(serve: Serve) -> None:
    _, client = serve(error_rate=1.0, fault_seed=1)
    statuses = set()
    for _ in range(30):
        response = client.get("/workspaces")
        assert_nest_error(response, response.status_code)
        statuses.add(response.status_code)
        if response.status_code == 503:
            assert response.headers["Retry-After"] == "1"
    assert statuses == {500, 502, 503}


def test_error_rate_is_a_seeded_fraction(serve: Serve) -> None:
    runs = []
    for _ in range(2):
        _, client = serve(error_rate=0.3, fault_seed=42)
        runs.append([client.get("/workspaces").status_code for _ in range(40)])
    assert runs[0] == runs[1]
    failures = sum(code != 200 for code in runs[0])
    assert 4 <= failures <= 24


def test_every_nth_request_is_rate_limited(serve: Serve) -> None:
    _, client = serve(rate_limit_every=3, retry_after_seconds=2)
    codes = [client.get("/workspaces") for _ in range(6)]
    assert [r.status_code for r in codes] == [200, 200, 429, 200, 200, 429]
    limited = codes[2]
    assert limited.headers["Retry-After"] == "2"
    assert assert_nest_error(limited, 429)["error"] == "Too Many Requests"


def test_token_bucket_limits_bursts() -> None:
    injector = FaultInjector(app=None, config=EmulatorConfig(rate_limit_per_second=0.5, rate_limit_burst=3))  # type: ignore[arg-type]
    decisions = [injector.decide("GET") for _ in range(5)]
    assert [d.retry_after for d in decisions[:3]] == [None, None, None]
    assert decisions[3].retry_after == 2 and decisions[4].retry_after == 2


def test_hang_triggers_client_timeouts(serve: Serve) -> None:
    _, client = serve(hang_rate=1.0, hang_seconds=1.0, timeout=0.2)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/workspaces")


def test_post_commit_fault_creates_the_pool_but_answers_502(serve: Serve) -> None:
    _, client = serve(post_commit_fault_rate=1.0)
    response = client.post(f"/providers/{AZURE}/instancePools", json=pool_body(name="maybe"))
    assert_nest_error(response, 502)
    pools = client.get(f"/environments/{PROD}/instancePools").json()
    assert [p["name"] for p in pools] == ["maybe"]
    retry = client.post(f"/providers/{AZURE}/instancePools", json=pool_body(name="maybe"))
    assert_nest_error(retry, 409)  # a failed request is passed through untouched
    assert client.get("/workspaces").status_code == 200  # GETs are never post-commit faults


def test_post_commit_hang_ends_in_a_client_timeout_after_commit(serve: Serve) -> None:
    _, client = serve(post_commit_fault_rate=1.0, post_commit_fault_kind="hang", hang_seconds=1.0, timeout=0.3)
    with pytest.raises(httpx.ReadTimeout):
        client.post(f"/providers/{AZURE}/instancePools", json=pool_body(name="ghost"))
    assert [p["name"] for p in client.get(f"/environments/{PROD}/instancePools").json()] == ["ghost"]


def test_fault_methods_limits_which_requests_are_hit(serve: Serve) -> None:
    _, client = serve(error_rate=1.0, fault_methods=("POST",))
    assert all(client.get("/workspaces").status_code == 200 for _ in range(5))
    assert client.post(f"/providers/{AZURE}/instancePools", json=pool_body()).status_code >= 500


def test_health_is_never_faulted(serve: Serve) -> None:
    emulator, _ = serve(error_rate=1.0)
    assert httpx.get(f"http://{emulator.host}:{emulator.port}/_emulator/health").status_code == 200


def test_faulty_emulator_still_serves_the_lifecycle(serve: Serve) -> None:
    _, client = serve(error_rate=0.5, fault_seed=5)
    for _ in range(20):
        if client.post(f"/providers/{AZURE}/instancePools", json=pool_body()).status_code == 201:
            break
    pools = client.get(f"/environments/{PROD}/instancePools")
    while pools.status_code != 200:
        pools = client.get(f"/environments/{PROD}/instancePools")
    assert len(pools.json()) == 1


def test_duplicate_names_mode_and_unparsable_committed_answers(serve_emulator: Any, example_key: str) -> None:
    """Issue 11: COSTPLAN_EMULATOR_UNIQUE_NAMES=false allows same-name pools; the empty/malformed
    post-commit faults apply the POST and answer its own 2xx status with an unusable body."""
    assert EmulatorConfig.from_env({"COSTPLAN_EMULATOR_UNIQUE_NAMES": "false"}).unique_names is False
    body = {"instanceTypeUuid": "e25908b3-dcf7-5de6-bc3c-ec3a7db7974a", "name": "twin", "countMin": 1, "countMax": 1}
    for kind, expected in (("empty", b""), ("malformed", b'{"uuid": "')):
        emulator = serve_emulator(
            provision_seconds=0,
            unique_names=False,
            post_commit_fault_rate=1.0,
            post_commit_fault_kind=kind,
            fault_methods=("POST",),
        )
        with httpx.Client(base_url=emulator.base_url, headers={"x-api-key": example_key}) as http:
            answers = [http.post(f"/providers/{AZURE}/instancePools", json=body) for _ in range(2)]
            assert [(a.status_code, a.content) for a in answers] == [(201, expected)] * 2
            pools = http.get(f"/environments/{PROD}/instancePools").json()
            assert [p["name"] for p in pools].count("twin") == 2
