"""The emulator's state: one JSON document, a lock, optional persistence, reconciliation.

Every operation runs as a transaction: take the in-process lock (and, with a state file,
an advisory file lock), re-read the file if another process changed it, bring derived
state up to date for "now" (pool events, replica placement), apply the change, and write
the file back atomically (temp file + ``os.replace``). That keeps separate CLI
invocations sharing one state file consistent, and concurrent requests safe.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid as uuidlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from costplan.emulator import lifecycle, placement
from costplan.emulator.config import EmulatorConfig
from costplan.emulator.seed import STATE_VERSION, initial_state

try:  # POSIX only; elsewhere the in-process lock is all there is.
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

MAX_EVENTS = 5000
PLACED, WAITING, FAILED = "placed", "pending", "failed"


class StateFileError(ValueError):
    """The state file is not an emulator state this version can read (corrupt, truncated, foreign)."""


def new_uuid() -> str:
    """A fresh id for a created resource."""
    return str(uuidlib.uuid4())


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class Store:
    """Holds the state document; :mod:`costplan.emulator.operations` mutates it."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self._lock = threading.RLock()
        self._path = config.state_file
        self._signature: tuple[int, int, int] | None = None
        self._changed = False
        self._dirty = True
        self._next_due: float | None = None
        with self._file_lock():
            if self._path is not None and self._path.exists():
                self._state = self._read()
            else:
                self._state = initial_state(config)
                self._write()

    # -- persistence -------------------------------------------------------------------

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self._path is None or fcntl is None:
            yield
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._path.with_name(self._path.name + ".lock"), "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _read(self) -> dict[str, Any]:
        assert self._path is not None
        self._signature = _signature(self._path)
        try:
            state = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise StateFileError(
                f"emulator state file {self._path} cannot be read ({exc}); move it away to start from a fresh state"
            ) from None
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            found = state.get("version") if isinstance(state, dict) else type(state).__name__
            raise StateFileError(
                f"emulator state file {self._path} is not an emulator state of version {STATE_VERSION} "
                f"(found {found!r}); move it away to start from a fresh state"
            )
        self._dirty = True
        return state

    def _write(self) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(f".{self._path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps(self._state, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, self._path)
        self._signature = _signature(self._path)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[tuple[dict[str, Any], float]]:
        """Yield ``(state, now)`` with derived state current; persist changes on exit."""
        with self._lock, self._file_lock():
            if self._path is not None and _signature(self._path) != self._signature:
                self._state = self._read() if self._path.exists() else initial_state(self.config)
            now = self.config.clock()
            self._changed = False
            self.reconcile(now)
            if self._changed:
                # Persist what time alone changed now, so a request that fails validation
                # below does not leave memory and file apart.
                self._write()
                self._changed = False
            yield self._state, now
            if self._changed:
                self._dirty = True
                self.reconcile(now)
            if self._changed:
                self._write()

    def mark_changed(self) -> None:
        """Record that the current transaction mutated the state."""
        self._changed = True

    # -- events ------------------------------------------------------------------------

    def record(
        self,
        kind: str,
        message: str,
        at: float,
        *,
        environment: str,
        pool: str | None = None,
        service: str | None = None,
    ) -> None:
        """Append an event (kept internally with the ids it concerns)."""
        events = self._state["events"]
        events.append(
            {
                "uuid": new_uuid(),
                "type": kind,
                "message": message,
                "createdAt": at,
                "environmentUuid": environment,
                "poolUuid": pool,
                "serviceUuid": service,
            }
        )
        if len(events) > MAX_EVENTS:
            del events[: len(events) - MAX_EVENTS]
        self._changed = True

    # -- derived state -----------------------------------------------------------------

    def reconcile(self, now: float) -> None:
        """Settle pools whose time has come and (re)place service replicas."""
        if not self._dirty and (self._next_due is None or now < self._next_due):
            return
        state = self._state
        self._settle_pools(now)
        nodes, pending_pools = self._running_nodes(now)
        self._place_services(nodes, pending_pools, now)
        self._dirty = False
        upcoming = [p["readyAt"] for p in state["pools"].values() if p["deletedAt"] is None and p["readyAt"] > now]
        upcoming += [i["readyAt"] for i in state["instances"].values() if i["readyAt"] > now]
        self._next_due = min(upcoming) if upcoming else None

    def _settle_pools(self, now: float) -> None:
        for pool in self._state["pools"].values():
            if pool["deletedAt"] is not None or pool["settled"] or now < pool["readyAt"]:
                continue
            pool["settled"] = True
            if pool["failure"] is not None:
                self.record(
                    "INSTANCE_POOL_FAILED",
                    f"Instance pool {pool['name']} failed: {pool['failure']['errorMessage']}",
                    pool["readyAt"],
                    environment=pool["environmentUuid"],
                    pool=pool["uuid"],
                )
            else:
                self.record(
                    "INSTANCE_POOL_READY",
                    f"Instance pool {pool['name']} is ready with {pool['countMin']} instance(s)",
                    pool["readyAt"],
                    environment=pool["environmentUuid"],
                    pool=pool["uuid"],
                )

    def _running_nodes(self, now: float) -> tuple[dict[str, placement.Node], list[dict[str, Any]]]:
        """Running instances as placement nodes, and pools that will still add capacity."""
        state, config = self._state, self.config
        nodes: dict[str, placement.Node] = {}
        pending: dict[str, dict[str, Any]] = {}
        # Ties go to the instance created first: creation time, then creation order (the state
        # keeps insertion order, also through its JSON file), never a random uuid.
        for seq, inst in enumerate(state["instances"].values()):
            pool = state["pools"][inst["poolUuid"]]
            if not lifecycle.instance_running(inst, now):
                pending[pool["uuid"]] = pool
                continue
            cpu, memory = lifecycle.node_capacity(config, lifecycle.instance_type_of(state, pool))
            nodes[inst["uuid"]] = placement.Node(
                inst["uuid"],
                cpu,
                memory,
                config.overhead_cpu_mhz,
                config.overhead_memory_mb,
                order=(inst["createdAt"], f"{seq:012d}"),
                base_cpu=config.overhead_cpu_mhz,
                base_memory=config.overhead_memory_mb,
            )
        for pool in state["pools"].values():
            if pool["deletedAt"] is None and pool["failure"] is None and now < pool["readyAt"]:
                pending[pool["uuid"]] = pool
        return nodes, list(pending.values())

    def _place_services(
        self, nodes: dict[str, placement.Node], pending_pools: list[dict[str, Any]], now: float
    ) -> None:
        state = self._state
        # Services are placed in the order they were submitted (creation time, then creation order).
        live = [(seq, s) for seq, s in enumerate(state["services"].values()) if s["deletedAt"] is None]
        services = [s for _, s in sorted(live, key=lambda item: (item[1]["createdAt"], item[0]))]
        allocations: dict[str, list[str]] = state["allocations"]
        for gone in [k for k in allocations if state["services"].get(k, {}).get("deletedAt", 1) is not None]:
            del allocations[gone]
            state["placement"].pop(gone, None)
            self._changed = True

        def allowed(service: dict[str, Any], node_uuid: str) -> bool:
            pool = state["pools"][state["instances"][node_uuid]["poolUuid"]]
            return lifecycle.pool_accepts(service, pool)

        # Keep replicas that still have a valid home (running allocations are not moved).
        for service in services:
            kept = [n for n in allocations.get(service["uuid"], []) if n in nodes and allowed(service, n)]
            kept = kept[: service["countMin"]]
            if kept != allocations.get(service["uuid"], []):
                allocations[service["uuid"]] = kept
                self._changed = True
            for node_uuid in kept:
                nodes[node_uuid].reserve(service["uuid"], service["cpuMhz"], service["memoryMB"])

        for service in services:
            sid = service["uuid"]
            kept = allocations.setdefault(sid, [])
            missing = service["countMin"] - len(kept)
            eligible = [n for uid, n in nodes.items() if allowed(service, uid)]
            outcome = placement.place(eligible, sid, service["cpuMhz"], service["memoryMB"], max(missing, 0))
            if outcome.placed:
                kept.extend(outcome.placed)
                self._changed = True
            self._update_placement(service, outcome, pending_pools, now)

    def _update_placement(
        self, service: dict[str, Any], outcome: placement.Outcome, pending_pools: list[dict[str, Any]], now: float
    ) -> None:
        sid = service["uuid"]
        new: dict[str, Any]
        if outcome.unplaced == 0:
            new = {"state": PLACED, "dimensionExhausted": None, "message": None}
        elif any(lifecycle.pool_accepts(service, p) for p in pending_pools):
            new = {"state": WAITING, "dimensionExhausted": None, "message": None}
        else:
            new = {
                "state": FAILED,
                "dimensionExhausted": outcome.dimension_exhausted,
                "message": _failure_message(service, outcome),
            }
        old = self._state["placement"].get(sid)
        if old == new:
            return
        self._state["placement"][sid] = new
        self._changed = True
        if old is not None and old["state"] == new["state"]:
            return
        running = len(self._state["allocations"].get(sid, []))
        if new["state"] == PLACED:
            nodes = set(self._state["allocations"].get(sid, []))
            # Dated when it became possible (service created, last node up), not when first
            # observed, so every process sharing a state file tells the same story.
            ready = [self._state["instances"][n]["readyAt"] for n in nodes]
            at = max([service["createdAt"], service.get("updatedAt", 0.0), *ready])
            self.record(
                "SERVICE_PLACED",
                f"Service {service['name']}: {running} replica(s) placed on {len(nodes)} instance(s)",
                min(at, now),
                environment=service["environmentUuid"],
                service=sid,
            )
        elif new["state"] == FAILED:
            self.record(
                "SERVICE_PLACEMENT_FAILED",
                f"Service {service['name']}: {new['message']}",
                now,
                environment=service["environmentUuid"],
                service=sid,
            )


def _failure_message(service: dict[str, Any], outcome: placement.Outcome) -> str:
    """A sentence a human can act on, in the spirit of Nomad's placement failures."""
    head = f"{outcome.unplaced} of {service['countMin']} replica(s) could not be placed"
    if outcome.nodes_evaluated == 0:
        return f"{head}: no running instance matches the service's environment and constraints"
    exhausted = ", ".join(
        f"{dim} exhausted on {n} node(s)" for dim, n in sorted((outcome.dimension_exhausted or {}).items())
    )
    ask = f"{service['cpuMhz']} MHz / {service['memoryMB']} MB per replica"
    return f"{head} ({ask}): {outcome.nodes_evaluated} node(s) evaluated, {exhausted}"
