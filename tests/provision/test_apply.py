"""Apply against the emulator: create, wait, re-run as a no-op, update, replace failed pools, services, destroy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from costplan.errors import ProvisioningError, ResourceFailed
from costplan.journal import read_journal
from costplan.plans import Plan
from costplan.provisioner import ProgressEvent, environment_status
from costplan.provisioner.ownership import plan_tags
from tests.provision.conftest import B1S, B2S_CPU, B2S_MEMORY, DS1, PROD, names, plan_dict, pool_dict, service_dict


def test_apply_creates_every_pool_waits_for_done_and_a_rerun_changes_nothing(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any]
) -> None:
    emulator = serve_emulator(provision_seconds=0.1)
    events: list[ProgressEvent] = []
    provisioner = provisioner_for(emulator.base_url, on_event=events.append)
    plan = Plan.from_dict(plan_dict())

    result = provisioner.apply(plan, PROD)
    assert result.ok, result.records()
    assert [(r.name, r.action, r.state) for r in result.results] == [
        ("cp-web", "create", "ready"),
        ("cp-db", "create", "ready"),
    ]
    assert names(provisioner.client) == {"cp-web": 1, "cp-db": 1}
    assert {e.state for e in events if e.name == "cp-web"} >= {"creating", "created", "ready"}

    again = provisioner.preview(plan, PROD)
    assert [c.action for c in again.changes] == ["keep", "keep"] and not again.has_writes
    assert again.cost_before == again.cost_after == round(2 * 33.984 + 8.928, 4)
    rerun = provisioner.apply(plan, PROD)
    assert rerun.ok and [r.action for r in rerun.results] == ["keep", "keep"]
    creates = [r for r in read_journal(result.journal) if r["event"] == "intent" and r["op"] == "create_pool"]
    assert len(creates) == 2  # the second run sent no create at all
    assert names(provisioner.client) == {"cp-web": 1, "cp-db": 1}


def test_changed_counts_and_tags_are_updated_in_place(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any]
) -> None:
    emulator = serve_emulator(provision_seconds=0.05)
    provisioner = provisioner_for(emulator.base_url)
    assert provisioner.apply(Plan.from_dict(plan_dict()), PROD).ok
    bigger = plan_dict([pool_dict("cp-web", count_min=3, count_max=5, tags=["web"]), pool_dict("cp-db", B1S)])
    preview = provisioner.preview(Plan.from_dict(bigger), PROD)
    web = preview.changes[0]
    assert web.action == "update"
    assert web.changes == ("count_min 2 -> 3", "count_max 3 -> 5", "tags [] -> ['web']")
    assert (preview.cost_before, preview.cost_after) == (round(2 * 33.984 + 8.928, 4), round(3 * 33.984 + 8.928, 4))
    assert (preview.difference, preview.difference_pct) == (33.984, round(100 * 33.984 / 76.896, 2))
    result = provisioner.apply(Plan.from_dict(bigger), PROD)
    assert result.ok
    pools = {p.name: p for p in provisioner.client.list_instance_pools(PROD)}
    web_pool = pools["cp-web"]
    assert (web_pool.count_min, web_pool.count_max, plan_tags(web_pool.tags)) == (3, 5, ("web",))
    assert names(provisioner.client) == {"cp-web": 1, "cp-db": 1}


def test_a_pool_of_another_type_with_the_plans_name_is_a_conflict_and_nothing_is_written(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any]
) -> None:
    emulator = serve_emulator(provision_seconds=0)
    provisioner = provisioner_for(emulator.base_url)
    assert provisioner.apply(Plan.from_dict({**plan_dict([pool_dict("cp-web")]), "name": "web"}), PROD).ok
    other = Plan.from_dict({**plan_dict([pool_dict("cp-web", DS1), pool_dict("cp-new")]), "name": "web"})
    with pytest.raises(ProvisioningError, match="nothing was changed: a pool named cp-web exists with B2s"):
        provisioner.apply(other, PROD)
    assert names(provisioner.client) == {"cp-web": 1}


def test_a_failed_pool_is_reported_others_are_unaffected_and_a_rerun_replaces_only_it(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any], tmp_path: Path
) -> None:
    state = tmp_path / "emulator-state.json"
    plan = Plan.from_dict(plan_dict([pool_dict("cp-web"), pool_dict("cp-doomed"), pool_dict("cp-db")]))
    broken = serve_emulator(provision_seconds=0.05, state_file=state, fail_pools=("doomed",))
    provisioner = provisioner_for(broken.base_url)
    result = provisioner.apply(plan, PROD)
    assert not result.ok
    assert {r.name: r.state for r in result.results} == {"cp-web": "ready", "cp-doomed": "failed", "cp-db": "ready"}
    with pytest.raises(ResourceFailed) as info:
        result.raise_for_failures(resume="costplan provision plan.json --apply --yes")
    message = str(info.value)
    assert "pool cp-doomed" in message and "PROVISIONING/QUOTA_EXCEEDED" in message and "vCPU quota" in message
    assert "costplan provision plan.json --apply --yes" in message
    before = {p.name: p.uuid for p in provisioner.client.list_instance_pools(PROD)}

    # The quota is raised (a second emulator on the same state, without the fault): run again.
    fixed = serve_emulator(provision_seconds=0.05, state_file=state)
    provisioner = provisioner_for(fixed.base_url)
    preview = provisioner.preview(plan, PROD)
    assert [c.action for c in preview.changes] == ["keep", "recreate", "keep"]
    assert "QUOTA_EXCEEDED" in preview.changes[1].reason
    assert provisioner.apply(plan, PROD).ok
    after = {p.name: p.uuid for p in provisioner.client.list_instance_pools(PROD)}
    assert after["cp-web"] == before["cp-web"] and after["cp-db"] == before["cp-db"]
    assert after["cp-doomed"] != before["cp-doomed"]
    assert names(provisioner.client) == {"cp-web": 1, "cp-doomed": 1, "cp-db": 1}


def test_services_are_created_on_their_pools_and_checked_running(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any]
) -> None:
    emulator = serve_emulator(provision_seconds=0.05)
    provisioner = provisioner_for(emulator.base_url)
    node = {
        "pool": "cp-web",
        "cpu_mhz": B2S_CPU,
        "memory_mb": B2S_MEMORY,
        "replicas": [{"service": "api", "cpu_mhz": 500, "memory_mb": 512}] * 2,
    }
    api = {**service_dict("api", count_min=2, cpu_mhz=500, memory_mb=512), "tags": ["web"]}
    plan = Plan.from_dict(
        plan_dict([pool_dict("cp-web", tags=["web"]), pool_dict("cp-db")], nodes=[node], services=[api])
    )
    result = provisioner.apply(plan, PROD, with_services=True)
    assert result.ok, result.records()
    assert [(r.kind, r.name, r.state) for r in result.results][-1] == ("service", "api", "ready")
    service = {s.name: s for s in provisioner.client.list_services(PROD)}["api"]
    pools = {p.name: p.uuid for p in provisioner.client.list_instance_pools(PROD)}
    assert service.raw["constraints"]["instancePoolUuids"] == [pools["cp-web"]]
    status = provisioner.client.get_service_status(service.uuid)
    assert status.count_running == 2 and {i.instance_pool_name for i in status.instances} == {"cp-web"}
    assert provisioner.apply(plan, PROD, with_services=True).ok  # again: nothing new
    assert [s.name for s in provisioner.client.list_services(PROD)] == ["api"]

    report = environment_status(provisioner, PROD, currency="EUR")
    rows = {r["pool"]: r for r in report.pools}
    assert rows["cp-web"]["cpu_reserved_mhz"] == 650 + 2 * 500 and rows["cp-web"]["cpu_total_mhz"] == 5586
    assert rows["cp-web"]["monthly_cost"] == 33.984 and report.monthly_cost == round(2 * 33.984, 4)
    assert report.services[0]["running"] == 2 and report.services[0]["pools"] == "cp-web"


def test_a_service_that_cannot_be_placed_names_the_exhausted_dimension(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any]
) -> None:
    emulator = serve_emulator(provision_seconds=0.05)
    provisioner = provisioner_for(emulator.base_url)
    plan = Plan.from_dict(
        plan_dict([pool_dict("cp-small")], services=[service_dict("hog", count_min=1, cpu_mhz=100, memory_mb=64_000)])
    )
    result = provisioner.apply(plan, PROD, with_services=True)
    hog = result.results[-1]
    assert (hog.kind, hog.name, hog.state) == ("service", "hog", "failed")
    assert "placement failed, dimension exhausted" in hog.detail and "memory" in hog.detail.lower()
    with pytest.raises(ResourceFailed, match="service hog"):
        result.raise_for_failures()


def test_destroy_removes_only_what_the_plan_names(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any]
) -> None:
    emulator = serve_emulator(provision_seconds=0.05)
    provisioner = provisioner_for(emulator.base_url)
    keep = Plan.from_dict(plan_dict([pool_dict("someone-else")]))
    assert provisioner.apply(keep, PROD).ok
    plan = Plan.from_dict(plan_dict([pool_dict("cp-web")], services=[service_dict("api")]))
    assert provisioner.apply(plan, PROD, with_services=True).ok
    pools, services = provisioner.destroy_targets(plan, PROD)
    assert [p.name for p in pools] == ["cp-web"] and [s.name for s in services] == ["api"]
    result = provisioner.destroy(plan, PROD)
    assert result.ok and [(r.kind, r.state) for r in result.results] == [("service", "deleted"), ("pool", "deleted")]
    assert names(provisioner.client) == {"someone-else": 1}
    assert provisioner.client.list_services(PROD) == []
    assert provisioner.destroy(plan, PROD).results == []  # again: nothing left to do


def test_a_plan_made_by_the_planner_passes_the_checks_and_provisions_with_its_services(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any], tmp_path: Path
) -> None:
    from costplan.catalogue import collect
    from costplan.config import Secret, Settings
    from costplan.models import ServiceSpec
    from costplan.planner import PlanOptions, make_plan
    from costplan.provisioner import load_plan
    from tests.conftest import EXAMPLE_KEY

    emulator = serve_emulator(provision_seconds=0.05)
    settings = Settings(api_url=emulator.base_url, api_key=Secret(EXAMPLE_KEY), data_dir=tmp_path)
    services = [ServiceSpec("api", 3, 5, 500, 512, spread=True), ServiceSpec("db", 1, 1, 1500, 2048)]
    options = PlanOptions(time_limit=5, environment_uuid=PROD, providers=("Azure",))
    plan = load_plan(make_plan(collect(settings).frame, services, options).save(tmp_path / "plan.json"))
    provisioner = provisioner_for(emulator.base_url)
    assert provisioner.preview(plan, PROD).cost_after == plan.monthly_cost
    result = provisioner.apply(plan, PROD, with_services=True)
    assert result.ok, result.records()
    assert names(provisioner.client) == {p.name: 1 for p in plan.pools}
    assert {s.name for s in provisioner.client.list_services(PROD)} == {"api", "db"}


def test_a_pool_still_provisioning_at_the_deadline_times_out_with_its_last_state(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any]
) -> None:
    from costplan.errors import WaitTimeout
    from costplan.waiter import WaiterConfig

    emulator = serve_emulator(provision_seconds=30)
    provisioner = provisioner_for(emulator.base_url, wait=WaiterConfig(delay=0.02, max_delay=0.05, timeout=0.3))
    result = provisioner.apply(Plan.from_dict(plan_dict([pool_dict("cp-slow")])), PROD)
    assert [(r.name, r.state) for r in result.results] == [("cp-slow", "timeout")]
    with pytest.raises(WaitTimeout) as info:
        result.raise_for_failures()
    assert info.value.attempts >= 2 and info.value.last_status.status in ("PENDING", "PROVISIONING")
    assert "timeout (0.3 s) reached" in str(info.value)
    assert [c.action for c in provisioner.preview(Plan.from_dict(plan_dict([pool_dict("cp-slow")])), PROD).changes] == [
        "keep"
    ]  # a re-run waits for it again rather than creating anything
