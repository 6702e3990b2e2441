"""JSON documents the API returns, rendered from stored state (read-only).

Documented shapes (api-examples.txt) are reproduced key for key. Shapes the
documentation does not show are the emulator's choice and are listed in the docstrings
below; the client must treat them as guesses.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from costplan.emulator import lifecycle
from costplan.emulator.clock import iso
from costplan.emulator.config import METRICS_READING, EmulatorConfig
from costplan.emulator.scheduling import FAILED, PLACED, WAITING


def provider_brief(provider: dict[str, Any]) -> dict[str, Any]:
    """``{uuid, platformName, platformIcon}`` as in the workspace listing."""
    return {
        "uuid": provider["uuid"],
        "platformName": provider["platformName"],
        "platformIcon": provider["platformIcon"],
    }


def environment(state: dict[str, Any], env: dict[str, Any], *, detail: bool = False) -> dict[str, Any]:
    """Listing shape ``{uuid, name, deletedAt, providers}``; ``detail`` adds
    ``workspaceUuid`` and ``createdAt`` (GET /environments/{uuid}, POST)."""
    providers = [provider_brief(p) for p in state["providers"].values() if p["environmentUuid"] == env["uuid"]]
    out: dict[str, Any] = {
        "uuid": env["uuid"],
        "name": env["name"],
        "deletedAt": iso(env["deletedAt"]),
        "providers": providers,
    }
    if detail:
        out["workspaceUuid"] = env["workspaceUuid"]
        out["createdAt"] = iso(env["createdAt"])
    return out


def workspace(state: dict[str, Any], ws: dict[str, Any], *, with_environments: bool) -> dict[str, Any]:
    """``{uuid, name, createdAt, limitEnvironmentNumber[, environments]}``."""
    out: dict[str, Any] = {
        "uuid": ws["uuid"],
        "name": ws["name"],
        "createdAt": iso(ws["createdAt"]),
        "limitEnvironmentNumber": ws["limitEnvironmentNumber"],
    }
    if with_environments:
        out["environments"] = [
            environment(state, e)
            for e in state["environments"].values()
            if e["workspaceUuid"] == ws["uuid"] and e["deletedAt"] is None
        ]
    return out


def workspaces(state: dict[str, Any], *, with_environments: bool) -> dict[str, Any]:
    """The documented ``GET /workspaces`` object."""
    active = [w for w in state["workspaces"].values() if w["deletedAt"] is None]
    live_envs = [
        e
        for e in state["environments"].values()
        if e["deletedAt"] is None and state["workspaces"][e["workspaceUuid"]]["deletedAt"] is None
    ]
    return {
        "globalLimitEnvironmentNumber": sum(w["limitEnvironmentNumber"] for w in active),
        "totalAssociatedEnvironments": len(live_envs),
        "workspaces": [workspace(state, w, with_environments=with_environments) for w in active],
    }


POOL_FIELDS = (
    "uuid",
    "name",
    "environmentUuid",
    "providerUuid",
    "instanceTypeUuid",
    "tags",
    "volumeSize",
    "countMin",
    "countMax",
    "replaceInstanceDownMinutes",
    "instanceUnusedMinutes",
)


def pool(p: dict[str, Any]) -> dict[str, Any]:
    """GET /instancePools/{uuid} (undocumented): the create body's fields plus ids and dates."""
    out = {k: p[k] for k in POOL_FIELDS}
    out["tags"] = list(p["tags"])
    out["createdAt"] = iso(p["createdAt"])
    out["deletedAt"] = iso(p["deletedAt"])
    return out


def replicas_per_node(state: dict[str, Any]) -> Counter[str]:
    """instance uuid -> number of service replicas placed on it."""
    return Counter(node for nodes in state["allocations"].values() for node in nodes)


def node_usage(state: dict[str, Any], config: EmulatorConfig) -> dict[str, tuple[int, int, int]]:
    """instance uuid -> (reserved MHz, reserved MB, replicas) including platform overhead."""
    cpu: dict[str, int] = defaultdict(lambda: config.overhead_cpu_mhz)
    memory: dict[str, int] = defaultdict(lambda: config.overhead_memory_mb)
    replicas: dict[str, int] = defaultdict(int)
    for service_uuid, nodes in state["allocations"].items():
        service = state["services"][service_uuid]
        for node in nodes:
            cpu[node] += service["cpuMhz"]
            memory[node] += service["memoryMB"]
            replicas[node] += 1
    return {n: (cpu[n], memory[n], replicas[n]) for n in replicas}


def instance(
    state: dict[str, Any],
    config: EmulatorConfig,
    inst: dict[str, Any],
    now: float,
    usage: dict[str, tuple[int, int, int]],
    service_uuid: str | None = None,
) -> dict[str, Any]:
    """One node as in the documented service status; ``serviceCount`` counts all replicas
    on the node. Without ``service_uuid`` (pool status) the ``serviceUuid`` key is left out."""
    p = state["pools"][inst["poolUuid"]]
    provider = state["providers"][p["providerUuid"]]
    cpu, memory = lifecycle.node_capacity(config, lifecycle.instance_type_of(state, p))
    running = lifecycle.instance_running(inst, now)
    reserved_cpu, reserved_memory, count = usage.get(
        inst["uuid"], (config.overhead_cpu_mhz, config.overhead_memory_mb, 0)
    )
    out: dict[str, Any] = {} if service_uuid is None else {"serviceUuid": service_uuid}
    out.update(
        {
            "uuid": inst["uuid"],
            "totalCpuMhz": cpu if running else 0,
            "totalMemoryMB": memory if running else 0,
            "serviceCount": count,
            "isRunning": running,
            "totalReservedCpuMhz": reserved_cpu if running else 0,
            "totalReservedMemoryMB": reserved_memory if running else 0,
            "instancePoolUuid": p["uuid"],
            "createdAt": iso(inst["createdAt"]),
            "instancePoolName": p["name"],
            "provider": {
                "uuid": provider["uuid"],
                "platformIcon": provider["platformIcon"],
                "platformName": provider["platformName"],
                "regionName": provider["regionName"],
            },
        }
    )
    return out


def pool_instances(state: dict[str, Any], pool_uuid: str) -> list[dict[str, Any]]:
    """A pool's instances, oldest first."""
    found = [i for i in state["instances"].values() if i["poolUuid"] == pool_uuid]
    return sorted(found, key=lambda i: (i["createdAt"], i["uuid"]))


def pool_status(
    state: dict[str, Any],
    config: EmulatorConfig,
    p: dict[str, Any],
    now: float,
    *,
    with_instances: bool,
    with_metrics: bool,
) -> dict[str, Any]:
    """The documented pool status, plus ``errorMessage`` and (on request) ``instances``.

    Under the ``metrics`` reading of DONE, ``countRunning`` and the four totals are metrics:
    without ``includeMetrics=true`` they are 0, as in the documented answer.
    """
    instances = pool_instances(state, p["uuid"])
    phase = lifecycle.pool_phase(p, instances, now, config)
    usage = node_usage(state, config)
    hidden = config.done_reading == METRICS_READING and not with_metrics
    running = [] if hidden else [i for i in instances if lifecycle.instance_running(i, now)]
    cpu = memory = reserved_cpu = reserved_memory = 0
    if running:
        node_cpu, node_memory = lifecycle.node_capacity(config, lifecycle.instance_type_of(state, p))
        for inst in running:
            cpu += node_cpu
            memory += node_memory
            used = usage.get(inst["uuid"], (config.overhead_cpu_mhz, config.overhead_memory_mb, 0))
            reserved_cpu += used[0]
            reserved_memory += used[1]
    failure = p["failure"] if phase == lifecycle.ERROR else None
    out: dict[str, Any] = {
        "uuid": p["uuid"],
        "status": phase,
        "success": phase == lifecycle.DONE,
        "alerts": [],
        # countMin, or more while autoscaling keeps extra instances (a failed pool has none).
        "count": 0 if p["deletedAt"] is not None else max(p["countMin"], len(instances)),
        "countRunning": len(running),
        "totalCpuMhz": cpu,
        "totalReservedCpuMhz": reserved_cpu,
        "totalMemoryMB": memory,
        "totalReservedMemoryMB": reserved_memory,
        "deletedAt": iso(p["deletedAt"]),
        "errorType": failure["errorType"] if failure else None,
        "errorCode": failure["errorCode"] if failure else None,
        "errorMessage": failure["errorMessage"] if failure else None,
    }
    if with_instances:
        out["instances"] = [instance(state, config, i, now, usage) for i in instances]
    return out


def service(state: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    """GET /services/{uuid} (undocumented shape): the create body's fields with effective
    ``cpuLimit`` (MHz) / ``memoryLimitMiB`` (MB) and the created ports."""
    env = state["environments"][s["environmentUuid"]]
    return {
        "uuid": s["uuid"],
        "name": s["name"],
        "environmentUuid": s["environmentUuid"],
        "type": s["type"],
        "dockerConfiguration": s["dockerConfiguration"],
        "countMin": s["countMin"],
        "countMax": s["countMax"],
        "cpuLimit": s["cpuMhz"],
        "memoryLimitMiB": s["memoryMB"],
        "constraints": s["constraints"],
        "environmentVariables": s.get("environmentVariables", []),
        "ports": s["ports"],
        "environmentLbDns": env["lbDns"],
        "createdAt": iso(s["createdAt"]),
        "deletedAt": iso(s["deletedAt"]),
        "pausedAt": None,
    }


def service_created(state: dict[str, Any], s: dict[str, Any]) -> dict[str, Any]:
    """The documented create-service response."""
    env = state["environments"][s["environmentUuid"]]
    return {"name": s["name"], "uuid": s["uuid"], "environmentLbDns": env["lbDns"], "ports": s["ports"]}


def service_status(
    state: dict[str, Any],
    config: EmulatorConfig,
    s: dict[str, Any],
    now: float,
    *,
    with_instances: bool,
    with_stats: bool,
    only_stats: bool,
) -> dict[str, Any]:
    """The documented service status; ``status`` is DONE, PENDING (capacity on its way),
    ERROR (placement failed) or DELETED."""
    nodes = state["allocations"].get(s["uuid"], [])
    running = len(nodes)
    stats = {
        "totalUsedCpuMhz": 0,
        "totalReservedCpuMhz": running * s["cpuMhz"],
        "totalUsedMemoryMB": 0,
        "totalReservedMemoryMB": running * s["memoryMB"],
    }
    count = 0 if s["deletedAt"] is not None else s["countMin"]
    if only_stats:
        return {"uuid": s["uuid"], "count": count, "countRunning": running, **stats}
    placement = state["placement"].get(s["uuid"], {"state": WAITING, "dimensionExhausted": None, "message": None})
    if s["deletedAt"] is not None:
        status, running_success = lifecycle.DELETED, "STOPPED"
    elif placement["state"] == PLACED:
        status, running_success = lifecycle.DONE, "SUCCESS"
    elif placement["state"] == FAILED:
        status, running_success = lifecycle.ERROR, "FAILURE"
    else:
        status, running_success = lifecycle.PENDING, "PENDING"
    failed = status == lifecycle.ERROR
    out: dict[str, Any] = {
        "uuid": s["uuid"],
        "status": status,
        "success": status == lifecycle.DONE,
        "alerts": [],
        "runningSuccess": running_success,
        "runHistory": [],
        "count": count,
        "countRunning": running,
    }
    if with_stats:
        out.update(stats)
    if with_instances:
        usage = node_usage(state, config)
        out["instances"] = [
            instance(state, config, state["instances"][n], now, usage, s["uuid"]) for n in dict.fromkeys(nodes)
        ]
    out.update(
        {
            "deletedAt": iso(s["deletedAt"]),
            "pausedAt": None,
            "errorType": "PLACEMENT_FAILURE" if failed else None,
            "dimensionExhausted": placement["dimensionExhausted"] if failed else None,
            "placementFailure": failed,
            "errorMessage": placement["message"] if failed else None,
        }
    )
    return out


def event(e: dict[str, Any]) -> dict[str, Any]:
    """``{uuid, type, message, createdAt}``."""
    return {"uuid": e["uuid"], "type": e["type"], "message": e["message"], "createdAt": iso(e["createdAt"])}
