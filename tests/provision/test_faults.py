"""Apply under injected faults: 503/429 storms, creates whose outcome is unknown, an API without unique names."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest

from costplan.journal import read_journal
from costplan.plans import Plan
from costplan.provisioner.ownership import Owner, plan_id
from tests.provision.conftest import AZURE, B1S, B2S, PROD, names, plan_dict, pool_dict
from tests.provision.test_plan_checks import TYPES, WORKSPACES

PLAN = plan_dict([pool_dict(f"cp-{i}", B2S if i % 2 else B1S) for i in range(6)])


class LaxApi:
    """A LayerOps double that, like an API without unique names, lets two pools share a name.

    `commit_then_fail` POSTs are applied but answered 502 (the caller cannot know it worked);
    `drop_first` POSTs fail with 502 *before* being applied. Everything is DONE at once.
    """

    def __init__(self, commit_then_fail: int = 0, drop_first: int = 0) -> None:
        self.pools: dict[str, dict[str, Any]] = {}
        self.commit_then_fail = commit_then_fail
        self.drop_first = drop_first
        self.posts = 0

    def add(self, name: str, type_uuid: str = B2S[0], tags: Sequence[str] = (), created: str = "") -> str:
        pool_uuid = str(uuid.uuid4())
        self.pools[pool_uuid] = {
            "uuid": pool_uuid,
            "name": name,
            "providerUuid": AZURE,
            "environmentUuid": PROD,
            "instanceTypeUuid": type_uuid,
            "tags": list(tags),
            "createdAt": created or f"2024-01-01T00:00:{len(self.pools):02d}.000Z",
            "countMin": 1,
            "countMax": 3,
            "deletedAt": None,
        }
        return pool_uuid

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if method == "GET" and path.endswith("/workspaces"):
            return httpx.Response(200, json=WORKSPACES)
        if method == "GET" and path.endswith("/instancesTypes"):
            return httpx.Response(200, json=TYPES)
        if method == "GET" and path.endswith(f"/environments/{PROD}/instancePools"):
            return httpx.Response(200, json=[p for p in self.pools.values() if p["deletedAt"] is None])
        if method == "POST" and path.endswith(f"/providers/{AZURE}/instancePools"):
            self.posts += 1
            if self.posts <= self.drop_first:
                return httpx.Response(502, json={"message": "bad gateway"})
            body = json.loads(request.content)
            pool_uuid = self.add(body["name"], body["instanceTypeUuid"], body["tags"])
            self.pools[pool_uuid].update(countMin=body["countMin"], countMax=body["countMax"])
            if self.posts <= self.drop_first + self.commit_then_fail:
                return httpx.Response(502, json={"message": "bad gateway"})
            return httpx.Response(201, json={"uuid": pool_uuid, "name": body["name"]})
        pool_uuid = path.split("/instancePools/")[-1].split("/")[0]
        pool = self.pools.get(pool_uuid)
        if pool is None or (pool["deletedAt"] and method == "DELETE"):
            return httpx.Response(404, json={"message": "not found"})
        if method == "DELETE":
            pool["deletedAt"] = "2024-01-01T00:00:00.000Z"
            return httpx.Response(200, json=pool)
        if method == "GET" and path.endswith("/status"):
            gone = pool["deletedAt"] is not None
            return httpx.Response(
                200,
                json={
                    "uuid": pool_uuid,
                    "status": "DELETED" if gone else "DONE",
                    "success": not gone,
                    "count": pool["countMin"],
                    "countRunning": pool["countMin"],
                    "deletedAt": pool["deletedAt"],
                    "errorType": None,
                    "errorCode": None,
                },
            )
        return httpx.Response(405, json={"message": f"{method} {path} not in this double"})

    def live_names(self) -> list[str]:
        return sorted(p["name"] for p in self.pools.values() if p["deletedAt"] is None)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_storm_of_503_and_429_still_completes_without_duplicates(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any], seed: int
) -> None:
    emulator = serve_emulator(
        provision_seconds=0.05, error_rate=0.2, error_statuses=(503, 429), retry_after_seconds=0, fault_seed=seed
    )
    provisioner = provisioner_for(emulator.base_url)
    result = provisioner.apply(Plan.from_dict(PLAN), PROD)
    assert result.ok, result.records()
    assert names(provisioner.client) == {f"cp-{i}": 1 for i in range(6)}


@pytest.mark.parametrize("kind", ["502", "hang"])
def test_creates_whose_outcome_is_unknown_are_reconciled_not_repeated(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any], kind: str
) -> None:
    emulator = serve_emulator(
        provision_seconds=0.05,
        post_commit_fault_rate=0.5,
        post_commit_fault_kind=kind,
        hang_seconds=1.0,
        fault_methods=("POST",),
        fault_seed=4,
    )
    provisioner = provisioner_for(emulator.base_url)
    if kind == "hang":  # the client gives up before the server answers
        provisioner.client._http.timeout = httpx.Timeout(0.3)
    result = provisioner.apply(Plan.from_dict(PLAN), PROD)
    assert result.ok, result.records()
    assert names(provisioner.client) == {f"cp-{i}": 1 for i in range(6)}
    events = read_journal(result.journal)
    adopted = [r for r in events if r["event"] == "adopted"]
    assert adopted, "the fault should have hit at least one create"
    assert not [r for r in events if r.get("status") == 409], "a create was repeated for a pool that existed"


def test_on_an_api_without_unique_names_an_unknown_outcome_is_adopted_not_duplicated(
    provisioner_for: Callable[..., Any],
) -> None:
    api = LaxApi(commit_then_fail=3)
    provisioner = provisioner_for("https://api.layerops.test/v1", transport=httpx.MockTransport(api))
    result = provisioner.apply(Plan.from_dict(PLAN), PROD)
    assert result.ok, result.records()
    assert api.live_names() == sorted(f"cp-{i}" for i in range(6))  # each exactly once
    assert api.posts == 6
    assert sum(r["event"] == "adopted" for r in read_journal(result.journal)) == 3


def test_a_create_that_failed_before_being_applied_is_sent_again_only_once_seen_absent(
    provisioner_for: Callable[..., Any],
) -> None:
    api = LaxApi(drop_first=2)
    provisioner = provisioner_for("https://api.layerops.test/v1", transport=httpx.MockTransport(api))
    result = provisioner.apply(Plan.from_dict(PLAN), PROD)
    assert result.ok
    assert api.live_names() == sorted(f"cp-{i}" for i in range(6)) and api.posts == 8
    events = [r["event"] for r in read_journal(result.journal) if r.get("key") == "pool:cp-0"]
    assert events[:5] == ["intent", "unknown", "absent", "intent", "unknown"]


def test_duplicates_left_by_another_run_of_the_plan_are_reduced_to_the_oldest(
    provisioner_for: Callable[..., Any],
) -> None:
    api = LaxApi()
    plan = Plan.from_dict(PLAN)
    marker = Owner(plan_id(plan), PROD).marker
    api.add("cp-0", B1S[0], [marker], created="2024-01-01T00:00:09.000Z")
    first = api.add("cp-0", B1S[0], [marker], created="2024-01-01T00:00:01.000Z")  # listed second, but older
    stranger = api.add("cp-0", B1S[0])  # same name, no marker: not ours, never touched
    provisioner = provisioner_for("https://api.layerops.test/v1", transport=httpx.MockTransport(api))
    preview = provisioner.preview(plan, PROD)
    assert preview.changes[0].action == "keep" and len(preview.changes[0].extras) == 1
    assert preview.changes[0].existing is not None and preview.changes[0].existing.uuid == first
    assert provisioner.apply(plan, PROD).ok
    assert api.live_names() == sorted(["cp-0", *(f"cp-{i}" for i in range(6))])
    assert api.pools[first]["deletedAt"] is None  # the oldest copy was kept
    assert api.pools[stranger]["deletedAt"] is None
