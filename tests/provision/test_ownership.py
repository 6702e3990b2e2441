"""Issue 11, findings 1-4 against the real emulator over HTTP: owners, duplicates, services following
their pools, and 2xx answers that cannot be parsed."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from costplan.journal import read_journal
from costplan.plans import Plan
from costplan.provisioner import ProgressEvent
from costplan.provisioner.ownership import Owner, plan_id
from tests.provision.conftest import B1S, PROD, names, plan_dict, pool_dict, service_dict


def services_plan(prefix: str, service: str, name: str | None = None) -> Plan:
    """One pool `<prefix>-web` hosting one two-replica service."""
    node = {"pool": f"{prefix}-web", "cpu_mhz": 4936, "memory_mb": 3175, "replicas": []}
    spec = {**service_dict(service, count_min=2, cpu_mhz=300, memory_mb=256), "pools": [f"{prefix}-web"]}
    document = plan_dict([pool_dict(f"{prefix}-web", count_min=1)], nodes=[node], services=[spec])
    return Plan.from_dict({**document, **({"name": name} if name else {})})


def service_names(client: Any) -> Counter[str]:
    return Counter(s.name for s in client.list_services(PROD))


def test_two_operators_of_one_plan_on_an_api_without_unique_names_keep_the_same_copies(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any], tmp_path: Path
) -> None:
    """Finding 1: both runs create, then each deduplicates; both keep the oldest, so one of each is left."""
    emulator = serve_emulator(provision_seconds=0.05, unique_names=False)
    plan = services_plan("cp", "api")
    barriers = {
        ("pool", "ready"): threading.Barrier(2, timeout=5),
        ("service", "created"): threading.Barrier(2, timeout=5),
    }

    def on_event(event: ProgressEvent) -> None:
        # Both runs list services together, and both POSTs land before either looks for duplicates
        # (when one run already sees the other's service it adopts it instead, and the barrier lets go).
        barrier = barriers.get((event.kind, event.state))
        if barrier is not None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()

    runs = [
        provisioner_for(emulator.base_url, journal_dir=tmp_path / f"machine-{i}", on_event=on_event) for i in (1, 2)
    ]
    results: dict[int, Any] = {}

    def run(i: int) -> None:
        try:
            results[i] = runs[i].apply(plan, PROD, with_services=True)
        except Exception as exc:  # shown by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(getattr(results[i], "ok", False) for i in (0, 1)), results
    assert names(emulator.base_url) == {"cp-web": 1}
    client = runs[0].client
    assert service_names(client) == {"api": 1}
    kept = {r.uuid for i in (0, 1) for r in results[i].results if r.kind == "service"}
    assert len(kept) == 1  # both runs ended on the same service
    journals = [read_journal(results[i].journal) for i in (0, 1)]
    assert any(r["event"] == "adopted" and r["key"] == "service:api" for j in journals for r in j)
    deleted = [r["uuid"] for j in journals for r in j if r["event"] == "done" and r["op"].startswith("delete")]
    assert not set(deleted) & {r.uuid for i in (0, 1) for r in results[i].results}  # nothing kept was deleted
    # A re-run by either machine changes nothing.
    again = runs[1].preview(plan, PROD, with_services=True)
    assert not again.has_writes


def test_two_plans_share_an_environment_and_destroying_one_leaves_the_other_running(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any]
) -> None:
    """Finding 2: a second plan never adopts, and its destroy never removes, what the first plan owns."""
    emulator = serve_emulator(provision_seconds=0.05)
    first, second = services_plan("cp", "api"), services_plan("cq", "worker")
    provisioner = provisioner_for(emulator.base_url)
    assert provisioner.apply(first, PROD, with_services=True).ok
    assert provisioner.apply(second, PROD, with_services=True).ok
    client = provisioner.client
    before = {p.name: p.uuid for p in client.list_instance_pools(PROD)}
    assert set(before) == {"cp-web", "cq-web"}

    # A third plan reusing the first plan's pool name is a conflict with a remedy, and writes nothing.
    clash = Plan.from_dict(plan_dict([pool_dict("cp-web")]))
    preview = provisioner.preview(clash, PROD)
    assert [c.action for c in preview.changes] == ["conflict"]
    assert "does not own" in preview.conflicts[0] and "--pool-prefix" in preview.conflicts[0]
    assert provisioner.destroy_targets(clash, PROD) == ([], [])

    result = provisioner.destroy(second, PROD)
    assert result.ok and {(r.kind, r.name) for r in result.results} == {("service", "worker"), ("pool", "cq-web")}
    after = {p.name: p.uuid for p in client.list_instance_pools(PROD)}
    assert after == {"cp-web": before["cp-web"]}
    api = {s.name: s for s in client.list_services(PROD)}
    assert set(api) == {"api"}
    status = client.get_service_status(api["api"].uuid)
    assert status.is_done and status.count_running == 2
    assert provisioner.destroy(first, PROD).ok
    assert names(client) == {} and service_names(client) == {}


def test_a_plan_named_in_the_file_or_by_plan_id_owns_what_it_made_under_that_name(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any]
) -> None:
    emulator = serve_emulator(provision_seconds=0)
    named = services_plan("cp", "api", name="shop")
    assert plan_id(named) == "shop" and plan_id(named, "other") == "other"
    assert plan_id(services_plan("cp", "api")) == plan_id(services_plan("cx", "api"))  # same services, same id
    provisioner = provisioner_for(emulator.base_url)
    assert provisioner.apply(named, PROD).ok
    pool = provisioner.client.list_instance_pools(PROD)[0]
    assert Owner("shop", PROD).marker in pool.tags
    stranger = provisioner_for(emulator.base_url, plan_id="someone-else")
    assert [c.action for c in stranger.preview(named, PROD).changes] == ["conflict"]


def test_services_follow_a_pool_that_was_recreated(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any]
) -> None:
    """Finding 3: a pool deleted out of band comes back with a new uuid, and its service is re-pointed."""
    emulator = serve_emulator(provision_seconds=0.05)
    plan = services_plan("cp", "api")
    provisioner = provisioner_for(emulator.base_url)
    assert provisioner.apply(plan, PROD, with_services=True).ok
    client = provisioner.client
    old = client.list_instance_pools(PROD)[0].uuid
    client.delete_instance_pool(old)  # out of band

    preview = provisioner.preview(plan, PROD, with_services=True)
    assert [c.action for c in preview.changes] == ["create"]
    assert [(s.name, s.action) for s in preview.services] == [("api", "update")]
    result = provisioner.apply(plan, PROD, with_services=True)
    assert result.ok, result.records()
    new = client.list_instance_pools(PROD)[0].uuid
    assert new != old
    service = client.list_services(PROD)[0]
    assert service.raw["constraints"]["instancePoolUuids"] == [new]  # verified by listing
    assert client.get_service_status(service.uuid).count_running == 2
    assert [r.action for r in result.results if r.kind == "service"] == ["update"]
    updates = [r for r in read_journal(result.journal) if r.get("op") == "update_service" and r["event"] == "done"]
    assert len(updates) == 1


@pytest.mark.parametrize("kind", ["empty", "malformed"])
def test_a_committed_post_answered_with_an_unparsable_2xx_is_listed_and_adopted(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any], kind: str
) -> None:
    """Finding 4: on an API without unique names too, each pool and service exists exactly once."""
    emulator = serve_emulator(
        provision_seconds=0.05,
        unique_names=False,
        post_commit_fault_rate=1.0,
        post_commit_fault_kind=kind,
        fault_methods=("POST",),
    )
    plan = Plan.from_dict(
        plan_dict(
            [pool_dict("cp-web", count_min=2), pool_dict("cp-db", B1S)],
            services=[{**service_dict(f"svc-{i}", cpu_mhz=100, memory_mb=64), "pools": ["cp-web"]} for i in range(4)],
        )
    )
    provisioner = provisioner_for(emulator.base_url)
    result = provisioner.apply(plan, PROD, with_services=True)
    assert result.ok, result.records()
    assert names(provisioner.client) == {"cp-web": 1, "cp-db": 1}
    assert service_names(provisioner.client) == {f"svc-{i}": 1 for i in range(4)}
    records = read_journal(result.journal)
    assert sum(r["event"] == "adopted" and r["reason"] == "listed after the doubt" for r in records) == 6
    assert sum(r["event"] == "intent" and r["op"].startswith("create") for r in records) == 6  # no second POST


def test_a_rerun_removes_duplicate_services_of_ours_and_keeps_the_oldest(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any]
) -> None:
    """Finding 1 (services): copies left by a second operator are reduced to one; a stranger's is kept."""
    from costplan.provisioner.bodies import service_body

    emulator = serve_emulator(provision_seconds=0.05, unique_names=False)
    plan = services_plan("cp", "api")
    provisioner = provisioner_for(emulator.base_url)
    assert provisioner.apply(plan, PROD, with_services=True).ok
    client = provisioner.client
    first = client.list_services(PROD)[0]
    pool = client.list_instance_pools(PROD)[0].uuid
    owner = Owner(plan_id(plan), PROD)
    copy = client.create_docker_service(PROD, service_body(plan.services[0], [pool], owner)).uuid
    stranger = client.create_docker_service(PROD, service_body(plan.services[0], [pool])).uuid

    preview = provisioner.preview(plan, PROD, with_services=True)
    assert [(s.name, s.action, s.duplicates) for s in preview.services] == [("api", "keep", 1)]
    assert provisioner.apply(plan, PROD, with_services=True).ok
    left = {s.uuid for s in client.list_services(PROD)}
    assert left == {first.uuid, stranger} and copy not in left
