"""Plans are checked before any write: malformed, tampered, or stale plans are refused whole."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from costplan.config import Settings
from costplan.errors import ConfigError, InputError
from costplan.plans import Plan
from costplan.provisioner import PoolDefaults, check_plan, load_plan, pool_body, service_body, service_pools
from costplan.provisioner.bodies import split_image
from tests.provision.conftest import AZURE, B1S, B2S, PROD, plan_dict, pool_dict, service_dict

TYPES = [
    {
        "uuid": B2S[0],
        "name": "B2s",
        "memory": 4,
        "vCPUs": 2,
        "ssd": 8,
        "storage": None,
        "onDemandCost": 472,
        "reservedCost": None,
        "priceFactor": 10000,
        "monthlyPrice": 339840,
    },
    {
        "uuid": B1S[0],
        "name": "B1s",
        "memory": 1,
        "vCPUs": 1,
        "ssd": 4,
        "storage": None,
        "onDemandCost": 124,
        "reservedCost": None,
        "priceFactor": 10000,
        "monthlyPrice": 89280,
    },
]
WORKSPACES = {
    "workspaces": [
        {
            "uuid": "w-1",
            "name": "Client A",
            "environments": [
                {
                    "uuid": PROD,
                    "name": "Prod",
                    "deletedAt": None,
                    "providers": [{"uuid": AZURE, "platformName": "Azure", "platformIcon": "azure-icon.svg"}],
                }
            ],
        }
    ]
}


def read_only_api(types: list[dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    """An API that fails the test on anything but a GET: validation must finish before any write."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            pytest.fail(f"{request.method} {request.url.path} was sent before the plan was validated")
        path = request.url.path
        if path.endswith("/workspaces"):
            return httpx.Response(200, json=WORKSPACES)
        if path.endswith(f"/providers/{AZURE}/instancesTypes"):
            return httpx.Response(200, json=types)
        if path.endswith(("/instancePools", "/services")):
            return httpx.Response(200, json=[])
        return httpx.Response(404, json={"message": "no such thing"})

    return handler


def tampered(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    document = copy.deepcopy(plan_dict())
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(monthly_cost=d["monthly_cost"] - 10), r"monthly_cost: .* not the sum"),
        (lambda d: d["pools"][0].update(monthly_cost=1.0), r"pools\[0\] \('cp-web'\): monthly_cost: .*count_min x"),
        (
            lambda d: d["pools"][1].update(count_min=4, count_max=2, monthly_cost=4 * 8.928),
            r"pools\[1\] \('cp-db'\): count_min/count_max",
        ),
        (lambda d: d["pools"][1].update(name="cp-web"), r"pools\[1\].*name: must be non-empty and unique"),
        (
            lambda d: d["nodes"].append({"pool": "nope", "cpu_mhz": 1, "memory_mb": 1, "replicas": []}),
            r"nodes\[0\]\.pool: 'nope'",
        ),
        (lambda d: d.update(pools=[]), r"pools: the plan has no pools"),
    ],
)
def test_tampered_plans_are_refused_naming_the_field(
    write_plan: Callable[..., Path], change: Callable[[dict[str, Any]], None], message: str
) -> None:
    path = write_plan(tampered(change))
    with pytest.raises(InputError, match=message) as info:
        load_plan(path)
    assert str(path) in str(info.value)


def test_malformed_plans_name_the_file_and_field(write_plan: Callable[..., Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="broken.json: not valid JSON"):
        load_plan(broken)
    path = write_plan(tampered(lambda d: d["pools"][0].pop("instance_type_uuid")))
    with pytest.raises(InputError, match=r"pools\[0\]\.instance_type_uuid: missing"):
        load_plan(path)
    path = write_plan(tampered(lambda d: d["pools"][0].update(count_min="2")))
    with pytest.raises(InputError, match=r"pools\[0\]\.count_min: expected an integer"):
        load_plan(path)


def test_a_consistent_plan_passes(write_plan: Callable[..., Path]) -> None:
    plan = load_plan(write_plan(plan_dict()))
    assert [p.name for p in plan.pools] == ["cp-web", "cp-db"]
    check_plan(plan)


@pytest.mark.parametrize("vanished", ["type", "provider"])
def test_vanished_types_or_providers_are_refused_before_any_write(
    provisioner_for: Callable[..., Any], vanished: str
) -> None:
    types = [t for t in TYPES if t["uuid"] != B2S[0]] if vanished == "type" else TYPES
    document = plan_dict()
    if vanished == "provider":
        document["pools"][1]["provider_uuid"] = "0e6b5e0a-0000-4000-8000-000000000000"
    provisioner = provisioner_for("https://api.layerops.test/v1", transport=httpx.MockTransport(read_only_api(types)))
    plan = Plan.from_dict(document)
    expected = "instance type B2s .* no longer exists" if vanished == "type" else "provider Azure .* is not in"
    with pytest.raises(InputError, match=expected):
        provisioner.preview(plan, PROD)
    with pytest.raises(InputError, match=expected):
        provisioner.apply(plan, PROD)


def test_the_preview_prices_before_and_after_with_todays_prices(provisioner_for: Callable[..., Any]) -> None:
    provisioner = provisioner_for("https://api.layerops.test/v1", transport=httpx.MockTransport(read_only_api(TYPES)))
    document = plan_dict()
    document["pools"][1].update(unit_monthly_price=9.0, monthly_cost=9.0)  # the plan's price is stale
    document["monthly_cost"] = round(2 * 33.984 + 9.0, 4)
    preview = provisioner.preview(Plan.from_dict(document), PROD)
    assert [c.action for c in preview.changes] == ["create", "create"]
    assert (preview.cost_before, preview.cost_after) == (0.0, round(2 * 33.984 + 8.928, 4))
    assert preview.difference_pct is None and preview.has_writes
    assert any("B1s now costs 8.928" in n for n in preview.notices)


def test_bodies_follow_the_documented_shapes() -> None:
    plan = Plan.from_dict(
        plan_dict([pool_dict("web", tags=["backend"])], services=[service_dict("api", image="ghcr.io/acme/api:1.2")])
    )
    assert pool_body(plan.pools[0], PoolDefaults()) == {
        "instanceTypeUuid": B2S[0],
        "name": "web",
        "tags": ["backend"],
        "volumeSize": 0,
        "countMin": 1,
        "countMax": 3,
        "replaceInstanceDownMinutes": 5,
        "instanceUnusedMinutes": 10,
    }
    body = service_body(plan.services[0], ["pool-uuid"])
    assert body["dockerConfiguration"] == {"image": "ghcr.io/acme/api", "imageVersion": "1.2"}
    assert (body["cpuLimit"], body["memoryLimitMiB"], body["countMin"]) == (200, 256, 1)
    assert body["constraints"]["instancePoolUuids"] == ["pool-uuid"]
    assert split_image("nginx") == ("nginx", "latest")
    assert split_image("registry:5000/app") == ("registry:5000/app", "latest")


def test_service_pools_are_the_pools_the_placement_simulation_allows() -> None:
    """Providers and tags decide, as in the planner's simulation; where replicas sit does not."""
    node = {
        "pool": "b",
        "cpu_mhz": 100,
        "memory_mb": 100,
        "replicas": [{"service": "api", "cpu_mhz": 1, "memory_mb": 1}],
    }
    web = {**service_dict("web"), "tags": ["public"]}
    pinned = {**service_dict("db"), "providers": ["azure"]}
    elsewhere = {**service_dict("gpu"), "providers": ["Google Cloud Platform"]}
    plan = Plan.from_dict(
        plan_dict(
            [pool_dict("a"), pool_dict("b", tags=["public"])],
            nodes=[node],
            services=[service_dict("api"), web, pinned, elsewhere],
        )
    )
    assert service_pools(plan) == {"api": ["a", "b"], "web": ["b"], "db": ["a", "b"], "gpu": []}


def test_pool_defaults_come_from_the_provision_section_then_flags() -> None:
    settings = Settings(sections={"provision": {"volume_size": 20, "instance_unused_minutes": 30}})
    defaults = PoolDefaults.from_settings(settings, instance_unused_minutes=15, replace_instance_down_minutes=None)
    assert defaults == PoolDefaults(volume_size=20, replace_instance_down_minutes=5, instance_unused_minutes=15)
    with pytest.raises(ConfigError, match="volume_size must be a whole number"):
        PoolDefaults.from_settings(Settings(sections={"provision": {"volume_size": "big"}}))


def test_plans_written_by_the_plan_module_round_trip(tmp_path: Path) -> None:
    plan = Plan.from_dict(plan_dict())
    path = plan.save(tmp_path / "saved.json")
    assert load_plan(path) == plan
    assert json.loads(path.read_text())["pools"][0]["name"] == "cp-web"


def test_a_provisioner_without_a_journal_reads_and_previews_but_will_not_write() -> None:
    from costplan.provisioner import Provisioner
    from tests.provision.conftest import make_client

    with make_client("https://api.layerops.test/v1", transport=httpx.MockTransport(read_only_api(TYPES))) as client:
        provisioner = Provisioner(client)
        assert [c.action for c in provisioner.preview(Plan.from_dict(plan_dict()), PROD).changes] == ["create"] * 2
        with pytest.raises(ValueError, match="without journal_dir"):
            provisioner.apply(Plan.from_dict(plan_dict()), PROD)
