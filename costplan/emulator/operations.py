"""What each endpoint does to the state: look-ups, checks, mutations, rendered results.

Every function runs one :meth:`Store.transaction` and validates before it mutates, so a
rejected request changes nothing. Names are unique among live objects of one parent
(pools and services per environment, environments per workspace): a retried POST whose
first attempt did commit gets a 409 instead of a duplicate. With ``unique_names`` off
(``COSTPLAN_EMULATOR_UNIQUE_NAMES=false``) pools and services may share names, as nothing
documents that the real API forbids it.
"""

from __future__ import annotations

from typing import Any

from costplan.emulator import catalogue, lifecycle, scheduling, validation, views
from costplan.emulator.errors import bad_request, conflict, deleted, not_found
from costplan.emulator.seed import (
    DEFAULT_LIMIT_ENVIRONMENT_NUMBER,
    documented_uuid,
    environment_record,
    provider_record,
)
from costplan.emulator.store import Store, new_uuid

Doc = dict[str, Any]


def _get(state: Doc, table: str, kind: str, uuid: str) -> Doc:
    item: Doc | None = state[table].get(uuid)
    if item is None:
        raise not_found(kind, uuid)
    return item


def _live(item: Doc, kind: str) -> Doc:
    """``item`` if it may be written to: a deleted object only answers reads."""
    if item["deletedAt"] is not None:
        raise deleted(kind, item["uuid"])
    return item


def _unique(items: Any, name: str, kind: str, where: str, *, enforced: bool = True) -> None:
    if enforced and any(i["name"] == name and i["deletedAt"] is None for i in items):
        raise conflict(f"{kind} named {name!r} already exists in {where}")


# -- workspaces and environments --------------------------------------------------------


def list_workspaces(store: Store, with_environments: bool) -> Doc:
    with store.transaction() as (state, _):
        return views.workspaces(state, with_environments=with_environments)


def create_workspace(store: Store, body: Doc) -> Doc:
    fields = validation.named_fields(body, required=("name",))
    with store.transaction() as (state, now):
        _unique(state["workspaces"].values(), fields["name"], "workspace", "this account")
        uuid = new_uuid()
        state["workspaces"][uuid] = {
            "uuid": uuid,
            "name": fields["name"],
            "createdAt": now,
            "deletedAt": None,
            "limitEnvironmentNumber": fields.get("limitEnvironmentNumber", DEFAULT_LIMIT_ENVIRONMENT_NUMBER),
        }
        store.mark_changed()
        return views.workspace(state, state["workspaces"][uuid], with_environments=False)


def delete_workspace(store: Store, uuid: str) -> Doc:
    with store.transaction() as (state, now):
        ws = _live(_get(state, "workspaces", "workspace", uuid), "workspace")
        if any(e["workspaceUuid"] == uuid and e["deletedAt"] is None for e in state["environments"].values()):
            raise conflict(f"workspace {uuid} still has environments: delete them first")
        ws["deletedAt"] = now
        store.mark_changed()
        return views.workspace(state, ws, with_environments=False)


def list_environments(store: Store, workspace_uuid: str) -> list[Doc]:
    with store.transaction() as (state, _):
        ws = _get(state, "workspaces", "workspace", workspace_uuid)
        return [
            views.environment(state, e)
            for e in state["environments"].values()
            if e["workspaceUuid"] == ws["uuid"] and e["deletedAt"] is None
        ]


def create_environment(store: Store, workspace_uuid: str, body: Doc) -> Doc:
    """Body ``{name, platformNames?: ["Azure", "Exoscale", ...]}`` (undocumented: our guess);
    each platform gets a new provider in the environment."""
    fields = validation.named_fields(body, required=("name",))
    platforms = []
    for name in fields.get("platformNames", []):
        found = catalogue.platform_for_name(name)
        if found is None:
            known = ", ".join(p.platform_name for p in catalogue.PLATFORMS.values())
            raise bad_request(f"platformNames: unknown platform {name!r} (known: {known})")
        platforms.append(found)
    with store.transaction() as (state, now):
        ws = _live(_get(state, "workspaces", "workspace", workspace_uuid), "workspace")
        siblings = [e for e in state["environments"].values() if e["workspaceUuid"] == ws["uuid"]]
        _unique(siblings, fields["name"], "environment", f"workspace {ws['uuid']}")
        if sum(e["deletedAt"] is None for e in siblings) >= ws["limitEnvironmentNumber"]:
            raise conflict(f"workspace {ws['uuid']} reached its limit of {ws['limitEnvironmentNumber']} environments")
        uuid = new_uuid()
        state["environments"][uuid] = environment_record(uuid, fields["name"], ws["uuid"], now)
        for plat in platforms:
            provider_uuid = new_uuid()
            state["providers"][provider_uuid] = provider_record(provider_uuid, plat.key, uuid)
        store.mark_changed()
        return views.environment(state, state["environments"][uuid], detail=True)


def get_environment(store: Store, uuid: str) -> Doc:
    with store.transaction() as (state, _):
        return views.environment(state, _get(state, "environments", "environment", uuid), detail=True)


def delete_environment(store: Store, uuid: str) -> Doc:
    """Deletes the environment's pools and services with it."""
    with store.transaction() as (state, now):
        env = _live(_get(state, "environments", "environment", uuid), "environment")
        for s in state["services"].values():
            if s["environmentUuid"] == uuid and s["deletedAt"] is None:
                _delete_service(store, state, s, now)
        for p in state["pools"].values():
            if p["environmentUuid"] == uuid and p["deletedAt"] is None:
                _delete_pool(store, state, p, now)
        env["deletedAt"] = now
        store.record("ENVIRONMENT_DELETED", f"Environment {env['name']} deleted", now, environment=uuid)
        return views.environment(state, env, detail=True)


# -- catalogue and pools ------------------------------------------------------------------


def instance_types_json(store: Store, provider_uuid: str) -> bytes:
    with store.transaction() as (state, _):
        provider = _get(state, "providers", "provider", provider_uuid)
        return catalogue.instance_types_json(provider["catalogue"], store.config.include_bad_rows)


def list_pools(store: Store, environment_uuid: str) -> list[Doc]:
    with store.transaction() as (state, _):
        _get(state, "environments", "environment", environment_uuid)
        pools = [
            p for p in state["pools"].values() if p["environmentUuid"] == environment_uuid and p["deletedAt"] is None
        ]
        return [views.pool(p) for p in sorted(pools, key=lambda p: p["createdAt"])]


def create_pool(store: Store, provider_uuid: str, body: Doc) -> Doc:
    fields = validation.pool_fields(body, partial=False)
    config = store.config
    with store.transaction() as (state, now):
        provider = _get(state, "providers", "provider", provider_uuid)
        env = _live(state["environments"][provider["environmentUuid"]], "environment")
        row = catalogue.find_type(provider["catalogue"], fields["instanceTypeUuid"])
        if row is None:
            raise bad_request(
                f"instanceTypeUuid {fields['instanceTypeUuid']} is not an instance type of provider {provider_uuid}"
            )
        _unique(
            (p for p in state["pools"].values() if p["environmentUuid"] == env["uuid"]),
            fields["name"],
            "instance pool",
            f"environment {env['uuid']}",
            enforced=config.unique_names,
        )
        uuid = documented_uuid(state, "pool", provider_uuid, fields["instanceTypeUuid"], fields["name"]) or new_uuid()
        ready = now + config.provision_seconds
        failure = lifecycle.decide_failure(
            config, fields["name"], provider["platformName"], provider["regionName"], row["name"], fields["countMin"]
        )
        state["pools"][uuid] = {
            **fields,
            "uuid": uuid,
            "environmentUuid": env["uuid"],
            "providerUuid": provider_uuid,
            "createdAt": now,
            "readyAt": ready,
            "deletedAt": None,
            "failure": failure,
            "settled": False,
        }
        if failure is None:
            _add_instances(state, uuid, fields["countMin"], now, ready)
        store.record(
            "INSTANCE_POOL_CREATED",
            f"Instance pool {fields['name']} created: {fields['countMin']} x {row['name']} "
            f"on {provider['platformName']}",
            now,
            environment=env["uuid"],
            pool=uuid,
        )
        return {"uuid": uuid, "name": fields["name"]}


def _add_instances(state: Doc, pool_uuid: str, count: int, now: float, ready: float) -> None:
    for _ in range(count):
        scheduling.add_instance(state, pool_uuid, now, ready, documented_uuid(state, "instance", pool_uuid))


def get_pool(store: Store, uuid: str) -> Doc:
    with store.transaction() as (state, _):
        return views.pool(_get(state, "pools", "instance pool", uuid))


def update_pool(store: Store, uuid: str, body: Doc) -> Doc:
    """Partial update; read-only fields are ignored, the instance type cannot change."""
    changes = validation.pool_fields(
        {k: v for k, v in body.items() if k not in validation.POOL_READ_ONLY}, partial=True
    )
    with store.transaction() as (state, now):
        pool = _live(_get(state, "pools", "instance pool", uuid), "instance pool")
        if changes.get("instanceTypeUuid", pool["instanceTypeUuid"]) != pool["instanceTypeUuid"]:
            raise bad_request(
                "instanceTypeUuid cannot be changed on an existing instance pool: create a new pool instead"
            )
        validation.merged_counts(pool, changes)
        if "name" in changes and changes["name"] != pool["name"]:
            _unique(
                (p for p in state["pools"].values() if p["environmentUuid"] == pool["environmentUuid"]),
                changes["name"],
                "instance pool",
                f"environment {pool['environmentUuid']}",
            )
        old_count = pool["countMin"]
        pool.update(changes)
        if pool["failure"] is None and pool["countMin"] != old_count:
            _rescale(state, pool, now, store.config.provision_seconds)
            store.record(
                "INSTANCE_POOL_SCALED",
                f"Instance pool {pool['name']} scaled from {old_count} to {pool['countMin']} instance(s)",
                now,
                environment=pool["environmentUuid"],
                pool=uuid,
            )
        else:
            store.record(
                "INSTANCE_POOL_UPDATED",
                f"Instance pool {pool['name']} updated",
                now,
                environment=pool["environmentUuid"],
                pool=uuid,
            )
        return views.pool(pool)


def _rescale(state: Doc, pool: Doc, now: float, provision_seconds: float) -> None:
    """Add instances (ready after the provisioning delay) or remove the least useful ones."""
    instances = views.pool_instances(state, pool["uuid"])
    extra = pool["countMin"] - len(instances)
    if extra > 0:
        _add_instances(state, pool["uuid"], extra, now, max(now + provision_seconds, pool["readyAt"]))
        return
    replicas = views.replicas_per_node(state)
    # Not-yet-running first, then the emptiest, then the newest.
    victims = sorted(
        instances, key=lambda i: (lifecycle.instance_running(i, now), replicas[i["uuid"]], -i["createdAt"])
    )
    for inst in victims[:-extra]:
        del state["instances"][inst["uuid"]]


def _delete_pool(store: Store, state: Doc, pool: Doc, now: float) -> None:
    pool["deletedAt"] = now
    for inst in views.pool_instances(state, pool["uuid"]):
        del state["instances"][inst["uuid"]]
    store.record(
        "INSTANCE_POOL_DELETED",
        f"Instance pool {pool['name']} deleted",
        now,
        environment=pool["environmentUuid"],
        pool=pool["uuid"],
    )


def delete_pool(store: Store, uuid: str) -> Doc:
    with store.transaction() as (state, now):
        pool = _live(_get(state, "pools", "instance pool", uuid), "instance pool")
        _delete_pool(store, state, pool, now)
        return views.pool(pool)


def pool_status(store: Store, uuid: str, *, with_instances: bool, with_metrics: bool) -> Doc:
    with store.transaction() as (state, now):
        pool = _get(state, "pools", "instance pool", uuid)
        return views.pool_status(
            state, store.config, pool, now, with_instances=with_instances, with_metrics=with_metrics
        )


# -- services -------------------------------------------------------------------------------


def list_services(store: Store, environment_uuid: str) -> list[Doc]:
    with store.transaction() as (state, _):
        _get(state, "environments", "environment", environment_uuid)
        found = [
            s for s in state["services"].values() if s["environmentUuid"] == environment_uuid and s["deletedAt"] is None
        ]
        return [views.service(state, s) for s in sorted(found, key=lambda s: s["createdAt"])]


def _ports(state: Doc, service_uuid: str, service_name: str, env_uuid: str, ports: list[Doc]) -> list[Doc]:
    """Created ports with ids and the documented default domain for each rule."""
    out = []
    for port in ports:
        rules = []
        listening = str(port["listeningPort"])
        for index, public in enumerate(port["publicPorts"]):
            rules.append(
                {
                    "uuid": documented_uuid(state, "rule", service_uuid, listening, str(public)) or new_uuid(),
                    "publicPort": public,
                    "domain": f"{service_name}-{port['listeningPort']}-{service_uuid[:8]}."
                    f"{env_uuid[:8]}.env.layerops.com",
                    "isDefaultRule": index == 0,
                }
            )
        port_uuid = documented_uuid(state, "port", service_uuid, listening) or new_uuid()
        out.append({"uuid": port_uuid, "listeningPort": port["listeningPort"], "loadBalancerRules": rules})
    return out


def create_service(store: Store, environment_uuid: str, body: Doc) -> Doc:
    fields = validation.service_fields(body, partial=False)
    config = store.config
    with store.transaction() as (state, now):
        env = _live(_get(state, "environments", "environment", environment_uuid), "environment")
        _unique(
            (s for s in state["services"].values() if s["environmentUuid"] == env["uuid"]),
            fields["name"],
            "service",
            f"environment {env['uuid']}",
            enforced=config.unique_names,
        )
        _check_constraints(state, env["uuid"], fields["constraints"])
        uuid = documented_uuid(state, "service", env["uuid"], fields["name"]) or new_uuid()
        service = {
            "uuid": uuid,
            "name": fields["name"],
            "environmentUuid": env["uuid"],
            "type": "docker",
            "dockerConfiguration": fields.get("dockerConfiguration"),
            "countMin": fields["countMin"],
            "countMax": fields["countMax"],
            "cpuMhz": fields.get("cpuMhz", config.default_service_cpu_mhz),
            "memoryMB": fields.get("memoryMB", config.default_service_memory_mb),
            "constraints": fields["constraints"],
            "environmentVariables": fields.get("environmentVariables", []),
            "ports": _ports(state, uuid, fields["name"], env["uuid"], fields["ports"]),
            "createdAt": now,
            "deletedAt": None,
        }
        state["services"][uuid] = service
        store.record(
            "SERVICE_CREATED",
            f"Service {service['name']} created with {service['countMin']} "
            f"replica(s) of {service['cpuMhz']} MHz / {service['memoryMB']} MB",
            now,
            environment=env["uuid"],
            service=uuid,
        )
        return views.service_created(state, service)


def _check_constraints(state: Doc, env_uuid: str, constraints: Doc) -> None:
    for provider in constraints["providerUuids"]:
        found = state["providers"].get(provider)
        if found is None or found["environmentUuid"] != env_uuid:
            raise bad_request(f"constraints.providerUuids: provider {provider} is not in environment {env_uuid}")
    for pool in constraints["instancePoolUuids"]:
        found = state["pools"].get(pool)
        if found is None or found["environmentUuid"] != env_uuid:
            raise bad_request(f"constraints.instancePoolUuids: instance pool {pool} is not in environment {env_uuid}")


def get_service(store: Store, uuid: str) -> Doc:
    with store.transaction() as (state, _):
        return views.service(state, _get(state, "services", "service", uuid))


def update_service(store: Store, uuid: str, body: Doc) -> Doc:
    """Partial update; a changed reservation or constraint re-places every replica."""
    changes = validation.service_fields(
        {k: v for k, v in body.items() if k not in validation.SERVICE_READ_ONLY}, partial=True
    )
    with store.transaction() as (state, now):
        service = _live(_get(state, "services", "service", uuid), "service")
        validation.merged_counts(service, changes)
        if "name" in changes and changes["name"] != service["name"]:
            _unique(
                (s for s in state["services"].values() if s["environmentUuid"] == service["environmentUuid"]),
                changes["name"],
                "service",
                f"environment {service['environmentUuid']}",
            )
        if "constraints" in changes:
            _check_constraints(state, service["environmentUuid"], changes["constraints"])
        if "ports" in changes:
            name = str(changes.get("name") or service["name"])
            changes["ports"] = _ports(state, uuid, name, service["environmentUuid"], changes["ports"])
        replace = any(changes.get(k, service[k]) != service[k] for k in ("cpuMhz", "memoryMB", "constraints"))
        service.update(changes)
        service["updatedAt"] = now
        if replace:
            state["allocations"][uuid] = []
        store.record(
            "SERVICE_UPDATED",
            f"Service {service['name']} updated",
            now,
            environment=service["environmentUuid"],
            service=uuid,
        )
        return views.service(state, service)


def _delete_service(store: Store, state: Doc, service: Doc, now: float) -> None:
    service["deletedAt"] = now
    state["allocations"].pop(service["uuid"], None)
    store.record(
        "SERVICE_DELETED",
        f"Service {service['name']} deleted",
        now,
        environment=service["environmentUuid"],
        service=service["uuid"],
    )


def delete_service(store: Store, uuid: str) -> Doc:
    with store.transaction() as (state, now):
        service = _live(_get(state, "services", "service", uuid), "service")
        _delete_service(store, state, service, now)
        return views.service(state, service)


def service_status(store: Store, uuid: str, *, with_instances: bool, with_stats: bool, only_stats: bool) -> Doc:
    with store.transaction() as (state, now):
        service = _get(state, "services", "service", uuid)
        return views.service_status(
            state,
            store.config,
            service,
            now,
            with_instances=with_instances,
            with_stats=with_stats,
            only_stats=only_stats,
        )


# -- events -------------------------------------------------------------------------------

EVENT_SUBJECTS = {
    "environments": ("environments", "environment", "environmentUuid"),
    "instancePools": ("pools", "instance pool", "poolUuid"),
    "services": ("services", "service", "serviceUuid"),
}


def events(store: Store, collection: str, uuid: str) -> list[Doc]:
    """Events about one object, oldest first."""
    table, kind, key = EVENT_SUBJECTS[collection]
    with store.transaction() as (state, _):
        _get(state, table, kind, uuid)
        found = [e for e in state["events"] if e[key] == uuid]
        return [views.event(e) for e in sorted(found, key=lambda e: e["createdAt"])]
