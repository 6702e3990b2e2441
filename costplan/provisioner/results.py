"""What a preview shows and what a run reports: plain values, printable as records."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costplan.errors import ProvisioningError, ResourceFailed, WaitTimeout
from costplan.models import InstancePool, PoolStatus
from costplan.plans import PlannedPool, from_units, to_units
from costplan.provisioner.states import status_text

CREATE, UPDATE, RECREATE, KEEP, CONFLICT = "create", "update", "recreate", "keep", "conflict"
READY, FAILED, TIMED_OUT, REJECTED, SKIPPED, DELETED = (
    "ready",
    "failed",
    "timeout",
    "rejected",
    "skipped",
    "deleted",
)


@dataclass(frozen=True)
class PoolChange:
    """One plan pool against the environment, and what apply does about it."""

    action: str
    pool: PlannedPool
    existing: InstancePool | None = None
    status: PoolStatus | None = None
    extras: tuple[InstancePool, ...] = ()  # more live pools of the same name: apply deletes them
    changes: tuple[str, ...] = ()
    cost_before: float = 0.0
    cost_after: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class ServiceChange:
    """One plan service against the environment (with --with-services): create, keep, update or conflict."""

    name: str
    action: str
    duplicates: int = 0  # more live copies with our marker: apply deletes them (the oldest is kept)
    reason: str = ""


@dataclass(frozen=True)
class Preview:
    """The diff apply acts on, with the environment's monthly cost before and after."""

    environment_uuid: str
    currency: str
    changes: tuple[PoolChange, ...]
    cost_before: float
    cost_after: float
    unpriced: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()
    services: tuple[ServiceChange, ...] = ()  # with --with-services
    plan_id: str = ""  # whose owner marker apply writes and adopts

    @property
    def difference(self) -> float:
        return from_units(to_units(self.cost_after) - to_units(self.cost_before))

    @property
    def difference_pct(self) -> float | None:
        return round(100 * self.difference / self.cost_before, 2) if self.cost_before else None

    @property
    def conflicts(self) -> tuple[str, ...]:
        """Why apply would refuse, one sentence with what to do per pool or service."""
        found = [c.reason for c in self.changes if c.action == CONFLICT]
        return tuple(found + [s.reason for s in self.services if s.action == CONFLICT])

    @property
    def has_writes(self) -> bool:
        pools = any(c.action != KEEP or c.extras for c in self.changes)
        return pools or any(s.action != KEEP or s.duplicates for s in self.services)

    def records(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = [
            {
                "kind": "pool",
                "action": c.action + (f" +delete {len(c.extras)} duplicate(s)" if c.extras else ""),
                "name": c.pool.name,
                "provider": c.pool.provider,
                "instance_type": c.pool.instance_type,
                "count_min": _arrow(c.existing.count_min if c.existing else None, c.pool.count_min),
                "count_max": _arrow(c.existing.count_max if c.existing else None, c.pool.count_max),
                "state": status_text(c.status),
                "monthly_before": c.cost_before,
                "monthly_after": c.cost_after,
                "detail": c.reason or ", ".join(c.changes),
            }
            for c in self.changes
        ]
        rows += [
            {
                "kind": "service",
                "action": s.action + (f" +delete {s.duplicates} duplicate(s)" if s.duplicates else ""),
                "name": s.name,
                "detail": s.reason,
            }
            for s in self.services
        ]
        return rows

    def totals(self) -> dict[str, Any]:
        return {
            "environment_uuid": self.environment_uuid,
            "currency": self.currency,
            "monthly_cost_before": self.cost_before,
            "monthly_cost_after": self.cost_after,
            "difference": self.difference,
            "difference_pct": self.difference_pct,
            "unpriced_pools": list(self.unpriced),
            "plan_id": self.plan_id,
        }

    def summary(self) -> str:
        pct = "" if self.difference_pct is None else f", {self.difference_pct:+.2f} %"
        line = (
            f"monthly cost of environment {self.environment_uuid}: {self.cost_before:,.4f} -> "
            f"{self.cost_after:,.4f} {self.currency} ({self.difference:+,.4f}{pct})"
        )
        return line + (f"; not priced (unknown type): {', '.join(self.unpriced)}" if self.unpriced else "")


def _arrow(before: int | None, after: int) -> str:
    return str(after) if before is None or before == after else f"{before} -> {after}"


@dataclass(frozen=True)
class ProgressEvent:
    """One step of progress for the display: a pool or service, its state and instance counts."""

    kind: str  # "pool" | "service"
    name: str
    state: str
    running: int | None = None
    count: int | None = None
    detail: str = ""


@dataclass
class ResourceResult:
    """How one pool or service ended."""

    kind: str
    name: str
    uuid: str | None
    action: str
    state: str  # ready | failed | timeout | rejected | skipped | deleted
    status: str = ""
    detail: str = ""
    last: Any = field(default=None, repr=False)  # the last status seen (or error), as the API gave it
    attempts: int = 0  # status checks made


@dataclass
class RunResult:
    """Every resource a run touched or waited for; `ok` when each reached `goal`."""

    environment_uuid: str
    journal: Path
    results: list[ResourceResult] = field(default_factory=list)
    goal: str = READY

    @property
    def ok(self) -> bool:
        return all(r.state == self.goal for r in self.results)

    def records(self) -> list[dict[str, Any]]:
        keys = ("kind", "name", "uuid", "action", "state", "status", "detail")
        return [{k: getattr(r, k) for k in keys} for r in self.results]

    def raise_for_failures(self, resume: str = "") -> None:
        """ResourceFailed (WaitTimeout if all merely timed out) naming every resource not at its goal."""
        bad = [r for r in self.results if r.state != self.goal]
        if not bad:
            return
        lines = [f"{len(bad)} of {len(self.results)} resources are not {self.goal}:"]
        lines += [f"  - {r.kind} {r.name} ({r.uuid or 'no uuid'}): {r.state}: {r.detail}" for r in bad]
        lines.append("The others were not affected.")
        if resume:
            lines.append(f"Fix the cause, then run again (failed pools are deleted and created again): {resume}")
        first = bad[0]
        rid = first.uuid or first.name
        if all(r.state == TIMED_OUT for r in bad):
            raise WaitTimeout("\n".join(lines), resource_id=rid, last_status=first.last, attempts=first.attempts)
        raise ResourceFailed("\n".join(lines), resource_id=rid, last_status=first.last)


class Rejected(ProvisioningError):
    """One resource's write could not be made to succeed in this run; the others go on."""
