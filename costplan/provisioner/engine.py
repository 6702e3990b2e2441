"""The Provisioner: preview, then apply (journalled, reconciled, waited for), and destroy.

The rules it follows are in the package docstring (`costplan.provisioner`).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costplan.errors import (
    ApiError,
    ApiStatusError,
    AuthenticationError,
    NotFoundError,
    ProvisioningError,
    ProvisioningInterrupted,
)
from costplan.journal import Journal, JournalWriteError, journal_path, lock_path, plan_digest
from costplan.models import InstancePool, PoolStatus, ServiceInfo
from costplan.plans import Plan, PlannedPool, from_units, to_units
from costplan.provisioner import states
from costplan.provisioner.bodies import pool_body, service_body
from costplan.provisioner.checks import service_pools
from costplan.provisioner.ownership import ENV_VAR, Owner, keep_first, plan_id, plan_tags
from costplan.provisioner.prices import PriceBook
from costplan.provisioner.reader import EnvironmentReader
from costplan.provisioner.results import (
    CONFLICT,
    CREATE,
    DELETED,
    FAILED,
    KEEP,
    READY,
    RECREATE,
    REJECTED,
    SKIPPED,
    TIMED_OUT,
    UPDATE,
    PoolChange,
    Preview,
    ProgressEvent,
    Rejected,
    ResourceResult,
    RunResult,
    ServiceChange,
)
from costplan.provisioner.settings import DEFAULT_RECONCILE_DELAYS, PoolDefaults
from costplan.waiter import FAILURE, STOPPED, SUCCESS, Acceptor, Outcome, Waiter, WaiterConfig, is_transient

if TYPE_CHECKING:
    from costplan.api import Client
    from costplan.models import Ref

WRITE_ROUNDS = 4  # attempts per create in one run, through transient or unknown outcomes


@dataclass(frozen=True)
class Kind:
    """One resource kind as the engine handles it: how to list, create, update, delete and poll it."""

    name: str  # "pool" | "service"
    create: Callable[[Client, str, dict[str, Any]], Ref]  # (client, parent uuid, body)
    update: Callable[[Client, str, dict[str, Any]], Any]
    delete: Callable[[Client, str], None]
    status: Callable[[Client, str], Any]
    listing: Callable[[EnvironmentReader, str], list[Any]]
    ready: tuple[Acceptor, ...]

    def key(self, name: str) -> str:
        return f"{self.name}:{name}"


POOL = Kind(
    "pool",
    create=lambda c, provider, body: c.create_instance_pool(provider, body),
    update=lambda c, uuid, body: c.update_instance_pool(uuid, body),
    delete=lambda c, uuid: c.delete_instance_pool(uuid),
    status=lambda c, uuid: c.get_instance_pool_status(uuid),
    listing=lambda r, env: r.live_pools(env),
    ready=states.POOL_READY,
)
SERVICE = Kind(
    "service",
    create=lambda c, env, body: c.create_docker_service(env, body),
    update=lambda c, uuid, body: c.update_service(uuid, body),
    delete=lambda c, uuid: c.delete_service(uuid),
    status=lambda c, uuid: c.get_service_status(uuid),
    listing=lambda r, env: r.live_services(env),
    ready=states.SERVICE_READY,
)
KINDS = {kind.name: kind for kind in (POOL, SERVICE)}


def _constraint_pools(service: Any) -> list[str]:
    constraints = service.raw.get("constraints") if isinstance(service.raw, Mapping) else None
    uuids = constraints.get("instancePoolUuids") if isinstance(constraints, Mapping) else None
    return sorted(str(u) for u in uuids) if isinstance(uuids, list) else []


class Provisioner(EnvironmentReader):
    """Applies plans to an environment through `client`, journalling in `journal_dir`.

    Previews and reads need no journal; `apply` and `destroy` do (ValueError without one).

    `sleep` and `clock` are injected (tests: `sleep=lambda s: None`); `on_event` receives
    `ProgressEvent`s for a display; `resume_hint` is the command an interruption tells to run;
    `plan_id` overrides the plan's identity (`ownership.plan_id`).

    ```
    provisioner = Provisioner(client, journal_dir=default_journal_dir(settings.data_dir))
    plan = load_plan("plan.json")
    print(provisioner.preview(plan, environment_uuid).summary())
    provisioner.apply(plan, environment_uuid).raise_for_failures()
    ```
    """

    def __init__(
        self,
        client: Client,
        *,
        journal_dir: Path | str | None = None,
        defaults: PoolDefaults | None = None,
        wait: WaiterConfig | None = None,
        reconcile_delays: tuple[float, ...] = DEFAULT_RECONCILE_DELAYS,
        sleep: Callable[[float], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_event: Callable[[ProgressEvent], None] | None = None,
        concurrency: int = 8,
        resume_hint: str = "",
        plan_id: str | None = None,
    ) -> None:
        self._stop = threading.Event()
        # A stop request cuts a pause short.
        super().__init__(
            client, sleep=sleep or self._stop.wait, reconcile_delays=reconcile_delays, concurrency=concurrency
        )
        self._journal_dir = None if journal_dir is None else Path(journal_dir)
        self.defaults = defaults or PoolDefaults()
        self.wait_config = wait or WaiterConfig()
        self._clock = clock
        self._on_event = on_event or (lambda event: None)
        self.resume_hint = resume_hint
        self.plan_id = plan_id

    @property
    def journal_dir(self) -> Path:
        if self._journal_dir is None:
            raise ValueError("this Provisioner was made without journal_dir: apply and destroy need one")
        return self._journal_dir

    def journal_path(self, plan: Plan, environment_uuid: str) -> Path:
        return journal_path(self.journal_dir, plan_digest(plan.to_dict()), environment_uuid)

    def owner(self, plan: Plan, environment_uuid: str) -> Owner:
        """Whose marker this run writes and adopts (`costplan.provisioner.ownership`)."""
        return Owner(plan_id(plan, self.plan_id), environment_uuid)

    def request_stop(self) -> None:
        """Stop at the next safe point, after the call in flight (safe to call from a signal handler)."""
        self._stop.set()

    def _resume(self) -> str:
        return f"`{self.resume_hint}`" if self.resume_hint else "the same command again"

    def _check_stop(self, journal: Journal) -> None:
        if self._stop.is_set():
            journal.append("run_end", outcome="interrupted")
            raise ProvisioningInterrupted(
                f"interrupted after the call in flight, nothing is half-done; resume with {self._resume()}"
            )

    @contextlib.contextmanager
    def _guarded(self, journal: Journal) -> Iterator[None]:
        """A refused key or an unwritable journal mid-run: say what this run did and how to resume."""
        try:
            yield
        except (AuthenticationError, JournalWriteError) as exc:
            done = [
                f"{r['op'].replace('_', ' ')} {r['key'].partition(':')[2]} ({r.get('uuid', '?')})"
                for r in journal.records
                if r.get("run") == journal.run and r.get("event") in ("done", "adopted") and r.get("key")
            ]
            what = "; this run had already done: " + ", ".join(done) if done else "; this run had changed nothing yet"
            fix = "Free space for the journal" if isinstance(exc, JournalWriteError) else "Fix the API key"
            raise ProvisioningError(f"{exc}{what}. {fix}, then resume with {self._resume()}") from None

    def _emit(self, kind: str, name: str, state: str, status: Any = None, detail: str = "") -> None:
        running, count = getattr(status, "count_running", None), getattr(status, "count", None)
        self._on_event(ProgressEvent(kind, name, state, running, count, detail))

    def _waiter(self, name: str, acceptors: tuple[Acceptor, ...]) -> Waiter[Any]:
        return Waiter(
            name,
            acceptors,
            self.wait_config,
            sleep=self._sleep,
            clock=self._clock,
            concurrency=self.concurrency,
        )

    def _owned(self, kind: Kind, environment_uuid: str, owner: Owner) -> tuple[dict[str, list[Any]], list[Any]]:
        """The live objects of `kind`: owned ones by name, and every one `owner` does not own."""
        owned: dict[str, list[Any]] = {}
        foreign = []
        for item in kind.listing(self, environment_uuid):
            if owner.owns(item):
                owned.setdefault(item.name, []).append(item)
            else:
                foreign.append(item)
        return owned, foreign

    # -- preview -------------------------------------------------------------------------------

    def preview(self, plan: Plan, environment_uuid: str, *, with_services: bool = False) -> Preview:
        """What apply would do, and the monthly cost before -> after. Reads only; InputError if stale."""
        owner = self.owner(plan, environment_uuid)
        prices, notices = self.inspect(plan, environment_uuid)
        live = self.live_pools(environment_uuid)
        owned: dict[str, list[InstancePool]] = {}
        foreign: dict[str, list[InstancePool]] = {}
        for pool in live:
            (owned if owner.owns(pool) else foreign).setdefault(pool.name, []).append(pool)
        statuses = self.pool_statuses(p for pool in plan.pools for p in owned.get(pool.name, []))
        changes = [
            self._change(owner, pool, owned.get(pool.name, []), foreign.get(pool.name, []), statuses, prices)
            for pool in plan.pools
        ]
        for change in changes:
            if change.action != CONFLICT and foreign.get(change.pool.name):
                notices.append(
                    f"pool {change.pool.name}: {len(foreign[change.pool.name])} more pool(s) of this name not owned "
                    f"by plan {owner.plan_id} exist; they are left alone"
                )
        before = sum(to_units(prices.cost(p) or 0.0) for p in live)
        after = before + sum(to_units(c.cost_after) - to_units(c.cost_before) for c in changes)
        services: tuple[ServiceChange, ...] = ()
        if with_services:
            services = self._service_changes(plan, environment_uuid, owner, changes)
        return Preview(
            environment_uuid,
            plan.currency,
            tuple(changes),
            from_units(before),
            from_units(after),
            unpriced=tuple(p.name for p in live if prices.cost(p) is None),
            notices=tuple(notices),
            services=services,
            plan_id=owner.plan_id,
        )

    def _change(
        self,
        owner: Owner,
        pool: PlannedPool,
        owned: list[InstancePool],
        foreign: list[InstancePool],
        statuses: Mapping[str, PoolStatus | None],
        prices: PriceBook,
    ) -> PoolChange:
        unit = prices.unit_price(pool.provider_uuid, pool.instance_type_uuid) or pool.unit_monthly_price
        after = from_units(to_units(unit) * pool.count_min)
        existing, extras = keep_first(owned)
        if existing is None:
            if foreign:
                reason = (
                    f"a pool named {pool.name} ({foreign[0].uuid}) exists that plan {owner.plan_id} does not own "
                    f"(no tag {owner.marker}): it is another plan's or was made by hand and is left alone; "
                    "plan again with another --pool-prefix, or pass the --plan-id of the plan that made it"
                )
                return PoolChange(CONFLICT, pool, cost_after=0.0, reason=reason)
            return PoolChange(CREATE, pool, cost_after=after)
        status = statuses.get(existing.uuid)
        before = from_units(sum(to_units(prices.cost(p) or 0.0) for p in owned))
        base = PoolChange(KEEP, pool, existing, status, tuple(extras), cost_before=before, cost_after=after)
        provider = prices.provider_of(existing)
        if existing.instance_type_uuid not in (None, pool.instance_type_uuid) or provider not in (
            None,
            pool.provider_uuid,
        ):
            found = prices.find(provider, existing.instance_type_uuid)
            what = f"{found.name} at {prices.provider_names.get(provider or '', provider)}" if found else "another type"
            reason = (
                f"a pool named {pool.name} exists with {what}: rename the plan's pool or destroy that "
                "one first (an instance type cannot change in place)"
            )
            return replace(base, action=CONFLICT, extras=(), cost_after=before, reason=reason)
        if status is None or states.pool_failed(status):
            why = "its status cannot be read" if status is None else f"it failed ({states.failure_text(status)})"
            return replace(base, action=RECREATE, reason=f"delete and create again: {why}")
        diffs = []
        if existing.count_min is not None and existing.count_min != pool.count_min:
            diffs.append(f"count_min {existing.count_min} -> {pool.count_min}")
        if existing.count_max is not None and existing.count_max != pool.count_max:
            diffs.append(f"count_max {existing.count_max} -> {pool.count_max}")
        if sorted(plan_tags(existing.tags)) != sorted(pool.tags):
            diffs.append(f"tags {sorted(plan_tags(existing.tags))} -> {sorted(pool.tags)}")
        return replace(base, action=UPDATE if diffs else KEEP, changes=tuple(diffs))

    def _service_changes(
        self, plan: Plan, environment_uuid: str, owner: Owner, changes: list[PoolChange]
    ) -> tuple[ServiceChange, ...]:
        owned, foreign = self._owned(SERVICE, environment_uuid, owner)
        foreign_names = {s.name: s for s in foreign}
        kept = {c.pool.name: c.existing.uuid for c in changes if c.action in (KEEP, UPDATE) and c.existing}
        hosts = service_pools(plan)
        out = []
        for spec in plan.ordered_services():
            service, extras = keep_first(owned.get(spec.name, []))
            if service is None and spec.name in foreign_names:
                reason = (
                    f"a service named {spec.name} ({foreign_names[spec.name].uuid}) exists that plan "
                    f"{owner.plan_id} does not own (no {ENV_VAR}={owner.marker}): it is left alone; rename the "
                    "plan's service, or pass the --plan-id of the plan that made it"
                )
                out.append(ServiceChange(spec.name, CONFLICT, reason=reason))
            elif service is None:
                out.append(ServiceChange(spec.name, CREATE))
            else:
                wanted = sorted(kept.get(p, "?") for p in hosts[spec.name])
                moved = wanted != _constraint_pools(service)
                reason = "its pools change: constraints.instancePoolUuids is updated" if moved else ""
                out.append(ServiceChange(spec.name, UPDATE if moved else KEEP, len(extras), reason))
        return tuple(out)

    # -- apply ---------------------------------------------------------------------------------

    def apply(self, plan: Plan, environment_uuid: str, *, with_services: bool = False) -> RunResult:
        """Converge the environment to the plan and wait for every pool (then service); journalled.

        Returns a RunResult (check `.ok`, or `.raise_for_failures()`). Raises InputError or
        ProvisioningError before any write when the plan cannot be applied as it stands, and
        ProvisioningInterrupted after `request_stop()`.
        """
        path = self.journal_path(plan, environment_uuid)
        owner = self.owner(plan, environment_uuid)
        with Journal.open(path, lock=lock_path(self.journal_dir, environment_uuid)) as journal, self._guarded(journal):
            preview = self.preview(plan, environment_uuid, with_services=with_services)  # fresh, under the lock
            if preview.conflicts:
                raise ProvisioningError("nothing was changed: " + "; ".join(preview.conflicts))
            journal.append(
                "run_start",
                mode="apply",
                plan_digest=plan_digest(plan.to_dict()),
                plan_id=owner.plan_id,
                environment_uuid=environment_uuid,
                pools=[p.name for p in plan.pools],
                with_services=with_services,
            )
            result = RunResult(environment_uuid, path)
            uuids: dict[str, str] = {}
            for change in preview.changes:
                self._check_stop(journal)
                try:
                    uuids[change.pool.name] = self._converge(journal, change, owner)
                except Rejected as exc:
                    self._emit("pool", change.pool.name, REJECTED, detail=str(exc))
                    result.results.append(
                        ResourceResult("pool", change.pool.name, None, change.action, REJECTED, detail=str(exc))
                    )
            self._dedupe(journal, POOL, owner, uuids)
            actions = {c.pool.name: c.action for c in preview.changes}
            result.results += self._wait(journal, POOL, uuids, actions)
            if with_services and result.ok:
                result.results += self._apply_services(journal, plan, owner, uuids)
            elif with_services:
                result.results += [
                    ResourceResult("service", s.name, None, CREATE, SKIPPED, detail="not all pools are ready")
                    for s in plan.services
                ]
            journal.append("run_end", outcome=READY if result.ok else "not_ready")
            return result

    def _converge(self, journal: Journal, change: PoolChange, owner: Owner) -> str:
        """Make one plan pool exist as planned and return its uuid; Rejected if the API will not."""
        pool, existing = change.pool, change.existing
        for extra in change.extras:
            self._delete(journal, POOL, pool.name, extra.uuid, "a duplicate of the same owner and name")
        if change.action == KEEP and existing is not None:
            self._adopted(journal, POOL, pool.name, existing.uuid)
            self._emit("pool", pool.name, "exists", change.status)
            return existing.uuid
        if change.action == UPDATE and existing is not None:
            self._adopted(journal, POOL, pool.name, existing.uuid)
            self._update(journal, POOL, pool.name, existing.uuid, pool_body(pool, self.defaults, existing, owner))
            return existing.uuid
        if change.action == RECREATE and existing is not None:
            self._delete(journal, POOL, pool.name, existing.uuid, change.reason)
        return self._create(
            journal, POOL, pool.name, pool.provider_uuid, pool_body(pool, self.defaults, owner=owner), owner
        )

    def _adopted(self, journal: Journal, kind: Kind, name: str, uuid: str) -> None:
        """Journal a listed object this run takes as its own, unless the journal already says so."""
        key = kind.key(name)
        if journal.state().uuids.get(key) != uuid:
            journal.append("adopted", op=f"create_{kind.name}", key=key, uuid=uuid, reason="listed with our marker")

    def _update(self, journal: Journal, kind: Kind, name: str, uuid: str, body: dict[str, Any]) -> None:
        """PUT an owned object (idempotent, retried by the client); Rejected if refused."""
        key, op = kind.key(name), f"update_{kind.name}"
        journal.append("intent", op=op, key=key, uuid=uuid, body=body)
        self._emit(kind.name, name, "updating")
        try:
            kind.update(self.client, uuid, body)
        except AuthenticationError as exc:
            journal.append("failed", op=op, key=key, uuid=uuid, error=str(exc))
            raise
        except ApiError as exc:
            journal.append("failed", op=op, key=key, uuid=uuid, error=str(exc))
            raise Rejected(f"the update was refused: {exc}") from None
        journal.append("done", op=op, key=key, uuid=uuid)

    def _create(self, journal: Journal, kind: Kind, name: str, parent: str, body: dict[str, Any], owner: Owner) -> str:
        """POST; after any doubt list and adopt our own by name; POST again only once confirmed absent."""
        key, op = kind.key(name), f"create_{kind.name}"
        environment_uuid = owner.environment_uuid
        doubt = journal.state().in_doubt.get(key)
        if doubt is not None and doubt.get("op") == op:  # a killed run may have sent it: look harder
            found = self._find(kind, environment_uuid, owner, name)
            if found is not None:
                journal.append("adopted", op=op, key=key, uuid=found.uuid, reason="listed after an earlier run's doubt")
                return str(found.uuid)
        for round_ in range(WRITE_ROUNDS):
            journal.append("intent", op=op, key=key, name=name, body=body, round=round_ + 1)
            self._emit(kind.name, name, "creating")
            try:
                ref = kind.create(self.client, parent, body)
            except AuthenticationError as exc:
                journal.append("failed", op=op, key=key, error=str(exc))
                raise
            except ApiError as exc:
                status = exc.status_code if isinstance(exc, ApiStatusError) else None
                if getattr(exc, "outcome_unknown", False) or status == 409:
                    journal.append("unknown", op=op, key=key, error=str(exc), status=status)
                    found = self._find(kind, environment_uuid, owner, name)
                    if found is not None:
                        journal.append("adopted", op=op, key=key, uuid=found.uuid, reason="listed after the doubt")
                        return str(found.uuid)
                    journal.append("absent", op=op, key=key, reason="not listed after the doubt")
                    if status == 409:  # a same-name object we do not own: creating again cannot help
                        raise Rejected(f"the API refused a second {kind.name} named {name}: {exc}") from None
                elif is_transient(exc):  # 429/503 or never sent: nothing was created
                    journal.append("failed", op=op, key=key, error=str(exc), retry=True)
                    self._pause(round_)
                else:
                    journal.append("failed", op=op, key=key, error=str(exc))
                    raise Rejected(f"the API refused to create it: {exc}") from None
                continue
            journal.append("done", op=op, key=key, uuid=ref.uuid)
            self._emit(kind.name, name, "created")
            return ref.uuid
        raise Rejected(f"no confirmed create after {WRITE_ROUNDS} attempts; run again to reconcile")

    def _find(self, kind: Kind, environment_uuid: str, owner: Owner, name: str) -> Any:
        """The live object of ours named `name` (the oldest), listed once plus once per reconcile delay.

        None only when a listing succeeded and never showed it; Rejected if none could be made.
        """
        looked = False
        for delay in (0.0, *self.reconcile_delays):
            if delay:
                self._sleep(delay)
            try:
                found, _ = keep_first(
                    i for i in kind.listing(self, environment_uuid) if i.name == name and owner.owns(i)
                )
            except ApiError as exc:
                if not is_transient(exc):
                    raise
                continue
            looked = True
            if found is not None:
                return found
        if not looked:
            raise Rejected("a create's outcome is unknown and the API cannot be listed; run again to reconcile")
        return None

    def _delete(self, journal: Journal, kind: Kind, name: str, uuid: str, reason: str) -> None:
        """DELETE (a 404 counts as done), then wait until the resource is really gone."""
        key, op = kind.key(name), f"delete_{kind.name}"
        journal.append("intent", op=op, key=key, uuid=uuid, reason=reason)
        self._emit(kind.name, name, "deleting", detail=reason)
        try:
            kind.delete(self.client, uuid)
        except NotFoundError:
            journal.append("absent", op=op, key=key, uuid=uuid)
            return
        except AuthenticationError as exc:
            journal.append("failed", op=op, key=key, uuid=uuid, error=str(exc))
            raise
        except ApiError as exc:
            journal.append("failed", op=op, key=key, uuid=uuid, error=str(exc))
            raise Rejected(f"could not delete {kind.name} {uuid}: {exc}") from None
        outcome = self._waiter(f"{kind.name} deleted", states.GONE).wait_many(
            {uuid: lambda: kind.status(self.client, uuid)}, should_stop=self._stop.is_set
        )[uuid]
        if outcome.state == STOPPED:
            self._check_stop(journal)
        if not outcome.ok:
            journal.append("failed", op=op, key=key, uuid=uuid, error=outcome.reason)
            raise Rejected(f"{kind.name} {uuid} was not gone after {outcome.attempts} checks ({outcome.reason})")
        journal.append("done", op=op, key=key, uuid=uuid)
        self._emit(kind.name, name, DELETED)

    def _dedupe(self, journal: Journal, kind: Kind, owner: Owner, uuids: dict[str, str]) -> None:
        """The last check, one rule on every machine: each planned name of ours live once, the oldest kept."""
        owned, _ = self._owned(kind, owner.environment_uuid, owner)
        for name in list(uuids):
            keep, extras = keep_first(owned.get(name, []))
            if keep is None:
                continue
            if keep.uuid != uuids[name]:
                journal.append(
                    "adopted", op=f"create_{kind.name}", key=kind.key(name), uuid=keep.uuid, reason="the oldest copy"
                )
                uuids[name] = keep.uuid
            for extra in extras:
                self._check_stop(journal)
                try:
                    self._delete(journal, kind, name, extra.uuid, "a duplicate of the same owner and name")
                except Rejected as exc:
                    self._emit(kind.name, name, "duplicate left", detail=str(exc))

    def _wait(
        self, journal: Journal, kind: Kind, uuids: Mapping[str, str], actions: Mapping[str, str]
    ) -> list[ResourceResult]:
        """Poll every resource concurrently until each settles; one journalled result each."""
        names = {uuid: name for name, uuid in uuids.items()}

        def on_poll(uuid: str, seen: Any, attempts: int, state: str) -> None:
            if not isinstance(seen, BaseException):
                self._emit(kind.name, names[uuid], seen.status or "?", seen)

        outcomes: dict[str, Outcome[Any]] = self._waiter(f"{kind.name} ready", kind.ready).wait_many(
            {uuid: functools.partial(kind.status, self.client, uuid) for uuid in names},
            on_poll=on_poll,
            should_stop=self._stop.is_set,
        )
        if any(o.state == STOPPED for o in outcomes.values()):
            self._check_stop(journal)
        results = []
        for uuid, outcome in ((u, outcomes[u]) for u in names):  # in plan order, not settling order
            name, last = names[uuid], outcome.last
            state = {SUCCESS: READY, FAILURE: FAILED}.get(outcome.state, TIMED_OUT)
            detail = (
                "" if outcome.ok else f"{outcome.reason} (after {outcome.attempts} checks, {outcome.elapsed:.0f} s)"
            )
            journal.append(
                state,
                op=f"wait_{kind.name}",
                key=kind.key(name),
                uuid=uuid,
                status=states.status_text(last),
                detail=detail,
            )
            self._emit(kind.name, name, state, last, detail)
            results.append(
                ResourceResult(
                    kind.name,
                    name,
                    uuid,
                    actions.get(name, KEEP),
                    state,
                    states.status_text(last),
                    detail,
                    last if last is not None else outcome.error,
                    outcome.attempts,
                )
            )
        return results

    def _apply_services(
        self, journal: Journal, plan: Plan, owner: Owner, pool_uuids: Mapping[str, str]
    ) -> list[ResourceResult]:
        """Create the plan's services we do not own yet, point every one at today's pools; wait for all.

        Services are submitted one by one in `plans.submission_order`: largest replica first (its
        CPU share plus its memory share of the plan's largest node, ties by name). The platform
        places a service's replicas when it is created, so this is the order its scheduler sees
        them in, and the order the planner's placement simulation assumed; each service is
        restricted (`constraints.instancePoolUuids`) to the plan pools the simulation let it use
        (`service_pools`). Same nodes, same order, same eligibility: the same placement.

        A service follows its pools: when a pool was recreated (new uuid), every service of ours
        that names the old one is PUT with the new uuids before it is waited on, and the listing
        must then show them.
        """
        environment_uuid = owner.environment_uuid
        owned, _ = self._owned(SERVICE, environment_uuid, owner)
        hosts = service_pools(plan)
        specs = {s.name: s for s in plan.services}
        wanted = {name: [pool_uuids[p] for p in pools if p in pool_uuids] for name, pools in hosts.items()}
        uuids: dict[str, str] = {}
        actions: dict[str, str] = {}
        rejected = []
        for spec in plan.ordered_services():
            self._check_stop(journal)
            keep, _ = keep_first(owned.get(spec.name, []))
            if keep is not None:
                self._adopted(journal, SERVICE, spec.name, keep.uuid)
                uuids[spec.name], actions[spec.name] = keep.uuid, KEEP
                continue
            body = service_body(spec, wanted[spec.name], owner)
            try:
                uuids[spec.name] = self._create(journal, SERVICE, spec.name, environment_uuid, body, owner)
                actions[spec.name] = CREATE
            except Rejected as exc:
                rejected.append(ResourceResult("service", spec.name, None, CREATE, REJECTED, detail=str(exc)))
        self._dedupe(journal, SERVICE, owner, uuids)
        for name, reason in self._follow_pools(journal, owner, uuids, wanted, specs, actions).items():
            rejected.append(ResourceResult("service", name, uuids.pop(name), UPDATE, REJECTED, detail=reason))
        return rejected + self._wait(journal, SERVICE, uuids, actions)

    def _follow_pools(
        self,
        journal: Journal,
        owner: Owner,
        uuids: Mapping[str, str],
        wanted: Mapping[str, list[str]],
        specs: Mapping[str, Any],
        actions: dict[str, str],
    ) -> dict[str, str]:
        """PUT each service whose `constraints.instancePoolUuids` are not its pools' uuids today, then
        list to verify; service name -> why it could not be made to follow."""
        failed: dict[str, str] = {}
        for attempt in range(2):
            live = {s.uuid: s for s in self.live_services(owner.environment_uuid)}
            stale = [n for n, u in uuids.items() if u in live and _constraint_pools(live[u]) != sorted(wanted[n])]
            if not stale:
                return failed
            if attempt:
                return {n: "the listing still shows its old pools after the update" for n in stale}
            for name in stale:
                self._check_stop(journal)
                if actions.get(name) == KEEP:
                    actions[name] = UPDATE
                try:
                    self._update(journal, SERVICE, name, uuids[name], service_body(specs[name], wanted[name], owner))
                except Rejected as exc:
                    failed[name] = str(exc)
        return failed

    # -- destroy -------------------------------------------------------------------------------

    def destroy_targets(self, plan: Plan, environment_uuid: str) -> tuple[list[InstancePool], list[ServiceInfo]]:
        """The live pools and services carrying the plan's owner marker (every copy): what destroy removes.

        Same-name objects without the marker are another plan's or a person's, and are not touched.
        """
        self.environment(environment_uuid)
        owner = self.owner(plan, environment_uuid)
        pools = [p for p in self.live_pools(environment_uuid) if owner.owns(p)]
        services = [s for s in self.live_services(environment_uuid) if owner.owns(s)]
        return pools, services

    def destroy(self, plan: Plan, environment_uuid: str) -> RunResult:
        """Delete the plan's services, then its pools (those with its marker only); journalled, resumable."""
        path = self.journal_path(plan, environment_uuid)
        with Journal.open(path, lock=lock_path(self.journal_dir, environment_uuid)) as journal, self._guarded(journal):
            pools, services = self.destroy_targets(plan, environment_uuid)
            journal.append(
                "run_start",
                mode="destroy",
                environment_uuid=environment_uuid,
                plan_id=self.owner(plan, environment_uuid).plan_id,
                pools=[p.uuid for p in pools],
                services=[s.uuid for s in services],
            )
            result = RunResult(environment_uuid, path, goal=DELETED)
            targets: list[tuple[Kind, InstancePool | ServiceInfo]] = [(SERVICE, s) for s in services]
            targets += [(POOL, p) for p in pools]
            for kind, item in targets:
                self._check_stop(journal)
                try:
                    self._delete(journal, kind, item.name, item.uuid, "destroy")
                    result.results.append(ResourceResult(kind.name, item.name, item.uuid, "delete", DELETED))
                except Rejected as exc:
                    result.results.append(
                        ResourceResult(kind.name, item.name, item.uuid, "delete", FAILED, detail=str(exc))
                    )
            journal.append("run_end", outcome=DELETED if result.ok else "not_deleted")
            return result
