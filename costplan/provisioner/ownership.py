"""Who owns a pool or service: the marker costplan writes on what it creates, and the one rule for duplicates.

A plan's identity (`plan_id`) is `--plan-id`, else the plan's `name`, else derived from what the
plan is for: a hash of its service names (of its pool names when it has no services). It does not
depend on the machine, the data dir, the journal or the plan's prices, so every re-run and every
operator of one plan finds the same objects, and a re-plan of the same services adopts them.

The marker is `costplan-owner=<plan_id>@<environment_uuid>`:
- on a pool, one of its `tags` (a documented pool field that every listing returns);
- on a service, the environment variable `COSTPLAN_OWNER` (`environmentVariables`, a documented
  service field, API-NOTES.md section 6). Services have no tags of their own, and their
  `constraints.tags` would restrict placement, so the marker must not live there; the name
  stays the plan's name because it is part of the service's public domain.
Objects without the marker (made by hand, by another plan, or by costplan before markers existed)
are never adopted, updated, re-constrained or deleted.

Duplicates: objects with one marker and one name are one intent. Every machine keeps the same
one, the oldest `createdAt` then the smallest uuid (`keep_first`), and deletes only the others.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from costplan.errors import InputError

if TYPE_CHECKING:
    from costplan.plans import Plan

T = TypeVar("T")

TAG_PREFIX = "costplan-owner="
ENV_VAR = "COSTPLAN_OWNER"
PLAN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")


def plan_id(plan: Plan, given: str | None = None) -> str:
    """The plan's identity: `given` (`--plan-id`), else `plan.name`, else a hash of what it serves."""
    chosen = given or plan.name
    if chosen:
        if not PLAN_ID.fullmatch(chosen):
            raise InputError(
                f"plan id {chosen!r}: use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        return chosen
    names = sorted(s.name for s in plan.services) or sorted(p.name for p in plan.pools)
    return "plan-" + hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Owner:
    """The plan and environment that own what a run creates."""

    plan_id: str
    environment_uuid: str

    @property
    def marker(self) -> str:
        return f"{TAG_PREFIX}{self.plan_id}@{self.environment_uuid}"

    def owns(self, item: Any) -> bool:
        """Whether a listed pool (by tag) or service (by environment variable) carries this marker."""
        return self.marker in markers_of(item)

    def pool_tags(self, tags: Iterable[str]) -> list[str]:
        """The plan's tags plus the marker (any other costplan marker dropped)."""
        return [t for t in tags if not t.startswith(TAG_PREFIX)] + [self.marker]

    def service_variables(self) -> list[dict[str, Any]]:
        return [{"key": ENV_VAR, "value": self.marker, "isSensitive": False}]


def markers_of(item: Any) -> set[str]:
    """Every owner marker a listed pool or service carries."""
    raw: Mapping[str, Any] = getattr(item, "raw", {}) or {}
    found = {str(t) for t in getattr(item, "tags", ()) or () if str(t).startswith(TAG_PREFIX)}
    variables = raw.get("environmentVariables")
    if isinstance(variables, list):
        for variable in variables:
            if isinstance(variable, Mapping) and variable.get("key") == ENV_VAR:
                found.add(str(variable.get("value")))
    return found


def plan_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """A live pool's tags without owner markers: what the plan's `tags` are compared with."""
    return tuple(t for t in tags if not t.startswith(TAG_PREFIX))


def age_key(item: Any) -> tuple[str, str]:
    """Oldest first: `createdAt` (ISO text sorts in time order; missing sorts last), then uuid."""
    raw: Mapping[str, Any] = getattr(item, "raw", {}) or {}
    created = raw.get("createdAt")
    return (str(created) if created else "~", str(item.uuid))


def keep_first(items: Iterable[T]) -> tuple[T | None, list[T]]:
    """The one to keep (oldest, then smallest uuid) and the duplicates to delete."""
    ordered = sorted(items, key=age_key)
    return (ordered[0], ordered[1:]) if ordered else (None, [])
