"""When the emulator schedules: evaluations, autoscaling and idle scale-down, in time order.

Derived state is brought up to "now" one moment at a time: every instant at which something
happens by itself (a pool or an instance becomes ready, an idle instance's time is up) is
processed in order, then "now" (after a request's change). So what the platform did does not
depend on when it was asked, and a seeded run is reproducible.

At each moment, as Nomad's evaluations and blocked evaluations behave:
- a service is evaluated (:func:`placement.evaluate`, one evaluation for all its missing
  replicas, on every ready node of its environment) when it is new, when its count,
  reservation or constraints changed, when it lost replicas, or, while replicas are missing,
  when capacity grew (a node became ready or replicas freed room); services in submission order;
- a replica that fits nowhere makes the first of the service's pools with room grow by one
  instance (:func:`placement.growable`), unless capacity it may use is still on its way; the
  pool's and the service's events say why; the instance goes through the pool lifecycle and,
  once it is ready, the service is evaluated again;
- an instance above its pool's ``countMin`` that has hosted nothing for the pool's
  ``instanceUnusedMinutes`` is removed.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from collections import Counter
from typing import TYPE_CHECKING, Any

from costplan.emulator import lifecycle, placement

if TYPE_CHECKING:
    from costplan.emulator.store import Store

Doc = dict[str, Any]
PLACED, WAITING, FAILED = "placed", "pending", "failed"


def _scheduler(state: Doc) -> Doc:
    sched: Doc = state.setdefault("scheduler", {"evaluations": 0, "epoch": 0, "clock": None, "load": {}})
    return sched


def advance(store: Store, state: Doc, now: float) -> None:
    """Process every moment due since the last call, then ``now``."""
    sched = _scheduler(state)
    while (moment := _next_moment(state, sched["clock"], now)) is not None:
        _step(store, state, moment)
        sched["clock"] = moment
    _step(store, state, now)
    sched["clock"] = now


def next_due(state: Doc, now: float) -> float | None:
    """The next moment after ``now`` at which something happens by itself."""
    future = [t for t in _moments(state) if t > now]
    return min(future) if future else None


def _moments(state: Doc) -> list[float]:
    out = [p["readyAt"] for p in state["pools"].values() if p["deletedAt"] is None and not p["settled"]]
    out += [i["readyAt"] for i in state["instances"].values()]
    for pool in _live_pools(state):
        if len(_instances(state, pool["uuid"])) > pool["countMin"]:
            out += [deadline for i in _instances(state, pool["uuid"]) if (deadline := _idle_deadline(pool, i))]
    return out


def _next_moment(state: Doc, after: float | None, upto: float) -> float | None:
    due = [t for t in _moments(state) if (after is None or t > after) and t < upto]
    return min(due) if due else None


def add_instance(state: Doc, pool_uuid: str, now: float, ready: float, uuid: str | None = None) -> str:
    """A new instance of ``pool_uuid``, up at ``ready`` (a fresh uuid unless one is given); its uuid."""
    uuid = uuid or str(uuidlib.uuid4())
    state["instances"][uuid] = {"uuid": uuid, "poolUuid": pool_uuid, "createdAt": now, "readyAt": ready}
    return uuid


def _live_pools(state: Doc) -> list[Doc]:
    return [p for p in state["pools"].values() if p["deletedAt"] is None and p["failure"] is None]


def _instances(state: Doc, pool_uuid: str) -> list[Doc]:
    return [i for i in state["instances"].values() if i["poolUuid"] == pool_uuid]


def _idle_deadline(pool: Doc, instance: Doc) -> float | None:
    since = instance.get("idleSince")
    return None if since is None else float(since) + 60.0 * pool["instanceUnusedMinutes"]


def _submitted(state: Doc) -> list[Doc]:
    """Live services in submission order (creation time, then creation order)."""
    live = [(seq, s) for seq, s in enumerate(state["services"].values()) if s["deletedAt"] is None]
    return [s for _, s in sorted(live, key=lambda item: (item[1]["createdAt"], item[0]))]


def _step(store: Store, state: Doc, t: float) -> None:
    _settle_pools(store, state, t)
    while True:
        _scale_in(store, state, t)
        nodes = _ready_nodes(store, state, t)
        _keep_valid_allocations(store, state, nodes)
        _notice_capacity(state, nodes)
        grew_now = _evaluate(store, state, nodes, t)
        _mark_idle(store, state, nodes, t)
        _scheduler(state)["load"] = {u: [n.used_cpu, n.used_memory] for u, n in nodes.items()}
        if not grew_now:
            return


def _settle_pools(store: Store, state: Doc, t: float) -> None:
    for pool in state["pools"].values():
        if pool["deletedAt"] is not None or pool["settled"] or t < pool["readyAt"]:
            continue
        pool["settled"] = True
        if pool["failure"] is not None:
            message = f"Instance pool {pool['name']} failed: {pool['failure']['errorMessage']}"
            store.record(
                "INSTANCE_POOL_FAILED", message, pool["readyAt"], environment=pool["environmentUuid"], pool=pool["uuid"]
            )
        else:
            message = f"Instance pool {pool['name']} is ready with {pool['countMin']} instance(s)"
            store.record(
                "INSTANCE_POOL_READY", message, pool["readyAt"], environment=pool["environmentUuid"], pool=pool["uuid"]
            )


def _scale_in(store: Store, state: Doc, t: float) -> None:
    """Remove instances above ``countMin`` whose idle time is up (the longest idle first)."""
    for pool in _live_pools(state):
        instances = _instances(state, pool["uuid"])
        excess = len(instances) - pool["countMin"]
        due = [(d, i) for i in instances if (d := _idle_deadline(pool, i)) is not None and d <= t]
        for deadline, inst in sorted(due, key=lambda item: item[0])[: max(excess, 0)]:
            del state["instances"][inst["uuid"]]
            store.record(
                "INSTANCE_POOL_SCALED_IN",
                f"scale-down: an instance of {pool['name']} hosted nothing for {pool['instanceUnusedMinutes']} "
                f"minute(s); {len(instances)} -> {len(instances) - 1} instance(s) (countMin {pool['countMin']})",
                deadline,
                environment=pool["environmentUuid"],
                pool=pool["uuid"],
            )
            instances.remove(inst)


def _ready_nodes(store: Store, state: Doc, t: float) -> dict[str, placement.Node]:
    """Ready instances as placement nodes, in creation order."""
    config = store.config
    nodes: dict[str, placement.Node] = {}
    in_pool: Counter[str] = Counter()
    for inst in state["instances"].values():
        pool = state["pools"][inst["poolUuid"]]
        index = in_pool[pool["uuid"]]
        in_pool[pool["uuid"]] += 1
        if inst["readyAt"] > t or pool["deletedAt"] is not None:
            continue
        cpu, memory = lifecycle.node_capacity(config, lifecycle.instance_type_of(state, pool))
        nodes[inst["uuid"]] = placement.Node(
            inst["uuid"],
            cpu,
            memory,
            config.overhead_cpu_mhz,
            config.overhead_memory_mb,
            pool["uuid"],
            rank=(pool["name"], index),
        )
    return nodes


def _keep_valid_allocations(store: Store, state: Doc, nodes: dict[str, placement.Node]) -> None:
    """Keep replicas that still have a home (running replicas are not moved); a service that
    lost some is evaluated again."""
    allocations: dict[str, list[str]] = state["allocations"]
    for gone in [k for k in allocations if state["services"].get(k, {}).get("deletedAt", 1) is not None]:
        del allocations[gone]
        state["placement"].pop(gone, None)
        store.mark_changed()
    for service in _submitted(state):
        sid, old = service["uuid"], allocations.get(service["uuid"], [])
        kept = [n for n in old if n in nodes and lifecycle.pool_accepts(service, state["pools"][nodes[n].pool])]
        if len(kept) < len(old) and sid in state["placement"]:
            state["placement"][sid]["epoch"] = None
        kept = kept[: service["countMin"]]
        if kept != old:
            allocations[sid] = kept
            store.mark_changed()
        for node in kept:
            nodes[node].reserve(sid, service["cpuMhz"], service["memoryMB"])


def _notice_capacity(state: Doc, nodes: dict[str, placement.Node]) -> None:
    """A new node, or a node with less reserved than at the last moment: capacity grew."""
    sched = _scheduler(state)
    load: dict[str, list[int]] = sched["load"]
    grew = any(u not in load or n.used_cpu < load[u][0] or n.used_memory < load[u][1] for u, n in nodes.items())
    if grew:
        sched["epoch"] += 1


def _allowed_pools(state: Doc, service: Doc) -> list[Doc]:
    """The pools the service may use, in growth order: its ``instancePoolUuids`` order when
    given, else the environment's pools in creation order."""
    listed = service["constraints"]["instancePoolUuids"]
    pools = [state["pools"][u] for u in listed if u in state["pools"]] if listed else list(state["pools"].values())
    return [p for p in pools if p["failure"] is None and lifecycle.pool_accepts(service, p)]


def _asked(service: Doc) -> str:
    return json.dumps([service["countMin"], service["cpuMhz"], service["memoryMB"], service["constraints"]])


def _evaluate(store: Store, state: Doc, nodes: dict[str, placement.Node], t: float) -> bool:
    """Evaluate the services that need it; True when autoscaling added an instance ready at ``t``."""
    config, sched = store.config, _scheduler(state)
    grew_now = False
    for service in _submitted(state):
        sid = service["uuid"]
        kept = state["allocations"].setdefault(sid, [])
        missing = service["countMin"] - len(kept)
        record = state["placement"].get(sid)
        if missing <= 0:
            _update(store, state, service, {"state": PLACED, "dimensionExhausted": None, "message": None}, t)
            continue
        if record is not None and record.get("epoch") == sched["epoch"] and record.get("asked") == _asked(service):
            continue  # blocked: nothing new since its last evaluation
        pools = _allowed_pools(state, service)
        ask = placement.Service(
            sid, service["cpuMhz"], service["memoryMB"], service["countMin"], tuple(p["uuid"] for p in pools)
        )
        env = service["environmentUuid"]
        seen = [n for n in nodes.values() if state["pools"][n.pool]["environmentUuid"] == env]
        outcome = placement.evaluate(
            seen, ask, missing, scheduler=config.scheduler, seed=config.seed, evaluation=sched["evaluations"]
        )
        sched["evaluations"] += 1
        store.mark_changed()
        kept.extend(outcome.placed)
        new: Doc
        if outcome.unplaced == 0:
            new = {"state": PLACED, "dimensionExhausted": None, "message": None}
        elif any(_provisioning(state, p, t) for p in pools):
            new = {"state": WAITING, "dimensionExhausted": None, "message": None}
        elif (grown := _grow(store, state, service, ask, pools, outcome, t)) is not None:
            new = {"state": WAITING, "dimensionExhausted": None, "message": None}
            grew_now = grew_now or grown <= t
        else:
            new = {
                "state": FAILED,
                "dimensionExhausted": outcome.dimension_exhausted,
                "message": _failure(service, outcome),
            }
        _update(store, state, service, new, t)
        state["placement"][sid].update(epoch=sched["epoch"], asked=_asked(service))
    return grew_now


def _provisioning(state: Doc, pool: Doc, t: float) -> bool:
    """Capacity on its way: the pool, or one of its instances, is not ready yet."""
    return bool(t < pool["readyAt"] or any(i["readyAt"] > t for i in _instances(state, pool["uuid"])))


def _grow(
    store: Store,
    state: Doc,
    service: Doc,
    ask: placement.Service,
    pools: list[Doc],
    outcome: placement.Outcome,
    t: float,
) -> float | None:
    """Autoscaling: add one instance to the pool :func:`placement.growable` picks; its readyAt."""
    config = store.config
    room = []
    for pool in pools:
        cpu, memory = lifecycle.node_capacity(config, lifecycle.instance_type_of(state, pool))
        count = len(_instances(state, pool["uuid"]))
        room.append(
            placement.Pool(
                pool["uuid"], cpu, memory, config.overhead_cpu_mhz, config.overhead_memory_mb, count, pool["countMax"]
            )
        )
    chosen = placement.growable(room, ask)
    if chosen is None:
        return None
    pool = state["pools"][chosen.name]
    ready = t + config.provision_seconds
    add_instance(state, pool["uuid"], t, ready)
    why = ", ".join(f"{d} exhausted on {n} node(s)" for d, n in sorted((outcome.dimension_exhausted or {}).items()))
    store.record(
        "INSTANCE_POOL_SCALED_OUT",
        f"scale-out: service {service['name']} replica did not fit ({service['cpuMhz']} MHz / "
        f"{service['memoryMB']} MB{'; ' + why if why else ''}); {pool['name']} grows from {chosen.count} to "
        f"{chosen.count + 1} instance(s) (countMax {pool['countMax']})",
        t,
        environment=pool["environmentUuid"],
        pool=pool["uuid"],
        service=service["uuid"],
    )
    return ready


def _mark_idle(store: Store, state: Doc, nodes: dict[str, placement.Node], t: float) -> None:
    """Date when each ready instance last became empty (None while it hosts replicas)."""
    for inst in state["instances"].values():
        node = nodes.get(inst["uuid"])
        since = None
        if node is not None and not node.jobs:
            since = t if inst.get("idleSince") is None else inst["idleSince"]
        if inst.get("idleSince") != since:
            inst["idleSince"] = since
            store.mark_changed()


def _update(store: Store, state: Doc, service: Doc, new: Doc, t: float) -> None:
    """Store the service's placement state; record an event when it changes kind."""
    sid = service["uuid"]
    old = state["placement"].get(sid)
    if old is not None and all(old.get(k) == v for k, v in new.items()):
        return
    state["placement"][sid] = {**(old or {}), **new}
    store.mark_changed()
    if old is not None and old["state"] == new["state"]:
        return
    env = service["environmentUuid"]
    if new["state"] == PLACED:
        nodes = set(state["allocations"].get(sid, []))
        count = len(state["allocations"].get(sid, []))
        message = f"Service {service['name']}: {count} replica(s) placed on {len(nodes)} instance(s)"
        store.record("SERVICE_PLACED", message, t, environment=env, service=sid)
    elif new["state"] == FAILED:
        store.record(
            "SERVICE_PLACEMENT_FAILED", f"Service {service['name']}: {new['message']}", t, environment=env, service=sid
        )


def _failure(service: Doc, outcome: placement.Outcome) -> str:
    """A sentence a human can act on, in the spirit of Nomad's placement failures."""
    head = f"{outcome.unplaced} of {service['countMin']} replica(s) could not be placed"
    eligible = outcome.nodes_evaluated - outcome.nodes_filtered
    if eligible == 0:
        return f"{head}: no running instance matches the service's environment and constraints"
    exhausted = ", ".join(
        f"{d} exhausted on {n} node(s)" for d, n in sorted((outcome.dimension_exhausted or {}).items())
    )
    ask = f"{service['cpuMhz']} MHz / {service['memoryMB']} MB per replica"
    grow = "no instance pool it may use can grow to host it"
    return f"{head} ({ask}): {eligible} node(s) evaluated, {exhausted}; {grow}"
