"""The Provisioner: preview, then apply (journalled, reconciled, waited for), and destroy.

The rules it follows are in the package docstring (`costplan.provisioner`).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
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
from costplan.journal import Journal, JournalState, journal_path, lock_path, plan_digest, read_journal
from costplan.models import InstancePool, PoolStatus, Ref, ServiceInfo
from costplan.plans import Plan, PlannedPool, from_units, to_units
from costplan.provisioner import states
from costplan.provisioner.bodies import pool_body, service_body
from costplan.provisioner.checks import service_pools
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
)
from costplan.provisioner.settings import DEFAULT_RECONCILE_DELAYS, PoolDefaults
from costplan.waiter import FAILURE, STOPPED, SUCCESS, Acceptor, Outcome, Waiter, WaiterConfig, is_transient

if TYPE_CHECKING:
    from costplan.api import Client

WRITE_ROUNDS = 4  # attempts per create in one run, through transient or unknown outcomes


class Provisioner(EnvironmentReader):
    """Applies plans to an environment through `client`, journalling in `journal_dir`.

    Previews and reads need no journal; `apply` and `destroy` do (ValueError without one).

    `sleep` and `clock` are injected (tests: `sleep=lambda s: None`); `on_event` receives
    `ProgressEvent`s for a display; `resume_hint` is the command an interruption tells to run.

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

    @property
    def journal_dir(self) -> Path:
        if self._journal_dir is None:
            raise ValueError("this Provisioner was made without journal_dir: apply and destroy need one")
        return self._journal_dir

    def journal_path(self, plan: Plan, environment_uuid: str) -> Path:
        return journal_path(self.journal_dir, plan_digest(plan.to_dict()), environment_uuid)

    def request_stop(self) -> None:
        """Stop at the next safe point, after the call in flight (safe to call from a signal handler)."""
        self._stop.set()

    def _check_stop(self, journal: Journal) -> None:
        if self._stop.is_set():
            journal.append("run_end", outcome="interrupted")
            how = f"`{self.resume_hint}`" if self.resume_hint else "the same command again"
            raise ProvisioningInterrupted(
                f"interrupted after the call in flight, nothing is half-done; resume with {how}"
            )

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

    # -- preview -------------------------------------------------------------------------------

    def preview(self, plan: Plan, environment_uuid: str, *, with_services: bool = False) -> Preview:
        """What apply would do, and the monthly cost before -> after. Reads only; InputError if stale."""
        prices, notices = self.inspect(plan, environment_uuid)
        live = self.live_pools(environment_uuid)
        by_name: dict[str, list[InstancePool]] = {}
        for pool in live:
            by_name.setdefault(pool.name, []).append(pool)
        statuses = self.pool_statuses(p for pool in plan.pools for p in by_name.get(pool.name, []))
        known: dict[str, str] = {}
        if self._journal_dir is not None:
            known = JournalState.from_records(read_journal(self.journal_path(plan, environment_uuid))).uuids
        changes = [self._change(pool, by_name.get(pool.name, []), statuses, prices, known) for pool in plan.pools]
        before = sum(to_units(prices.cost(p) or 0.0) for p in live)
        after = before + sum(to_units(c.cost_after) - to_units(c.cost_before) for c in changes)
        services: tuple[tuple[str, str], ...] = ()
        if with_services:
            existing = {s.name for s in self.live_services(environment_uuid)}
            services = tuple((s.name, KEEP if s.name in existing else CREATE) for s in plan.ordered_services())
        return Preview(
            environment_uuid,
            plan.currency,
            tuple(changes),
            from_units(before),
            from_units(after),
            unpriced=tuple(p.name for p in live if prices.cost(p) is None),
            notices=tuple(notices),
            services=services,
        )

    def _change(
        self,
        pool: PlannedPool,
        same_name: list[InstancePool],
        statuses: Mapping[str, PoolStatus | None],
        prices: PriceBook,
        known: Mapping[str, str],
    ) -> PoolChange:
        unit = prices.unit_price(pool.provider_uuid, pool.instance_type_uuid) or pool.unit_monthly_price
        after = from_units(to_units(unit) * pool.count_min)
        if not same_name:
            return PoolChange(CREATE, pool, cost_after=after)

        def rank(p: InstancePool) -> tuple[bool, bool]:  # keep the journalled copy, else a healthy one
            status = statuses.get(p.uuid)
            return p.uuid != known.get(f"pool:{pool.name}"), status is None or states.pool_failed(status)

        existing, *extras = sorted(same_name, key=rank)  # stable: ties keep the listing's (oldest) order
        status = statuses.get(existing.uuid)
        before = from_units(sum(to_units(prices.cost(p) or 0.0) for p in same_name))
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
        if sorted(existing.tags) != sorted(pool.tags):
            diffs.append(f"tags {sorted(existing.tags)} -> {sorted(pool.tags)}")
        return replace(base, action=UPDATE if diffs else KEEP, changes=tuple(diffs))

    # -- apply ---------------------------------------------------------------------------------

    def apply(self, plan: Plan, environment_uuid: str, *, with_services: bool = False) -> RunResult:
        """Converge the environment to the plan and wait for every pool (then service); journalled.

        Returns a RunResult (check `.ok`, or `.raise_for_failures()`). Raises InputError or
        ProvisioningError before any write when the plan cannot be applied as it stands, and
        ProvisioningInterrupted after `request_stop()`.
        """
        path = self.journal_path(plan, environment_uuid)
        with Journal.open(path, lock=lock_path(self.journal_dir, environment_uuid)) as journal:
            preview = self.preview(plan, environment_uuid, with_services=with_services)  # fresh, under the lock
            if preview.conflicts:
                raise ProvisioningError("nothing was changed: " + "; ".join(c.reason for c in preview.conflicts))
            journal.append(
                "run_start",
                mode="apply",
                plan_digest=plan_digest(plan.to_dict()),
                environment_uuid=environment_uuid,
                pools=[p.name for p in plan.pools],
                with_services=with_services,
            )
            result = RunResult(environment_uuid, path)
            uuids: dict[str, str] = {}
            for change in preview.changes:
                self._check_stop(journal)
                try:
                    uuids[change.pool.name] = self._converge(journal, change, environment_uuid)
                except Rejected as exc:
                    self._emit("pool", change.pool.name, REJECTED, detail=str(exc))
                    result.results.append(
                        ResourceResult("pool", change.pool.name, None, change.action, REJECTED, detail=str(exc))
                    )
            self._dedupe(journal, environment_uuid, uuids)
            actions = {c.pool.name: c.action for c in preview.changes}
            result.results += self._wait(journal, "pool", uuids, actions, states.POOL_READY)
            if with_services and result.ok:
                result.results += self._apply_services(journal, plan, environment_uuid, uuids)
            elif with_services:
                result.results += [
                    ResourceResult("service", s.name, None, CREATE, SKIPPED, detail="not all pools are ready")
                    for s in plan.services
                ]
            journal.append("run_end", outcome=READY if result.ok else "not_ready")
            return result

    def _converge(self, journal: Journal, change: PoolChange, environment_uuid: str) -> str:
        """Make one plan pool exist as planned and return its uuid; Rejected if the API will not."""
        pool, key, existing = change.pool, f"pool:{change.pool.name}", change.existing
        for extra in change.extras:
            self._delete(journal, "pool", pool.name, extra.uuid, "a duplicate of the same name")
        if change.action == KEEP and existing is not None:
            self._emit("pool", pool.name, "exists", change.status)
            return existing.uuid
        if change.action == UPDATE and existing is not None:
            body = pool_body(pool, self.defaults, existing)
            journal.append("intent", op="update_pool", key=key, uuid=existing.uuid, body=body)
            self._emit("pool", pool.name, "updating", detail=", ".join(change.changes))
            try:
                self.client.update_instance_pool(existing.uuid, body)  # PUT: idempotent, retried by the client
            except AuthenticationError:
                raise
            except ApiError as exc:
                journal.append("failed", op="update_pool", key=key, uuid=existing.uuid, error=str(exc))
                raise Rejected(f"the update was refused: {exc}") from None
            journal.append("done", op="update_pool", key=key, uuid=existing.uuid)
            return existing.uuid
        if change.action == RECREATE and existing is not None:
            self._delete(journal, "pool", pool.name, existing.uuid, change.reason)
        return self._create(
            journal,
            "pool",
            pool.name,
            pool_body(pool, self.defaults),
            send=lambda body: self.client.create_instance_pool(pool.provider_uuid, body),
            listing=lambda: self.live_pools(environment_uuid),
        )

    def _create(
        self,
        journal: Journal,
        kind: str,
        name: str,
        body: dict[str, Any],
        *,
        send: Callable[[dict[str, Any]], Ref],
        listing: Callable[[], list[Any]],
    ) -> str:
        """POST; after any doubt list and adopt by name; POST again only once confirmed absent."""
        key, op = f"{kind}:{name}", f"create_{kind}"
        doubt = journal.state().in_doubt.get(key)
        if doubt is not None and doubt.get("op") == op:  # a killed run may have sent it: look harder
            found = self._find(listing, name)
            if found is not None:
                journal.append("adopted", op=op, key=key, uuid=found.uuid, reason="listed after an earlier run's doubt")
                return str(found.uuid)
        for round_ in range(WRITE_ROUNDS):
            journal.append("intent", op=op, key=key, name=name, body=body, round=round_ + 1)
            self._emit(kind, name, "creating")
            try:
                ref = send(body)
            except AuthenticationError:
                raise
            except ApiError as exc:
                status = exc.status_code if isinstance(exc, ApiStatusError) else None
                if getattr(exc, "outcome_unknown", False) or status == 409:
                    journal.append("unknown", op=op, key=key, error=str(exc), status=status)
                    found = self._find(listing, name)
                    if found is not None:
                        journal.append("adopted", op=op, key=key, uuid=found.uuid, reason="listed after the doubt")
                        return str(found.uuid)
                    journal.append("absent", op=op, key=key, reason="not listed after the doubt")
                elif is_transient(exc):  # 429/503 or never sent: nothing was created
                    journal.append("failed", op=op, key=key, error=str(exc), retry=True)
                    self._pause(round_)
                else:
                    journal.append("failed", op=op, key=key, error=str(exc))
                    raise Rejected(f"the API refused to create it: {exc}") from None
                continue
            journal.append("done", op=op, key=key, uuid=ref.uuid)
            self._emit(kind, name, "created")
            return ref.uuid
        raise Rejected(f"no confirmed create after {WRITE_ROUNDS} attempts; run again to reconcile")

    def _find(self, listing: Callable[[], list[Any]], name: str) -> Any:
        """The live resource named `name`, listed once plus once per reconcile delay.

        None only when a listing succeeded and never showed it; Rejected if none could be made.
        """
        looked = False
        for delay in (0.0, *self.reconcile_delays):
            if delay:
                self._sleep(delay)
            try:
                found = [item for item in listing() if item.name == name]
            except ApiError as exc:
                if not is_transient(exc):
                    raise
                continue
            looked = True
            if found:
                return found[0]
        if not looked:
            raise Rejected("a create's outcome is unknown and the API cannot be listed; run again to reconcile")
        return None

    def _delete(self, journal: Journal, kind: str, name: str, uuid: str, reason: str) -> None:
        """DELETE (a 404 counts as done), then wait until the resource is really gone."""
        key, op = f"{kind}:{name}", f"delete_{kind}"
        journal.append("intent", op=op, key=key, uuid=uuid, reason=reason)
        self._emit(kind, name, "deleting", detail=reason)
        try:
            (self.client.delete_instance_pool if kind == "pool" else self.client.delete_service)(uuid)
        except NotFoundError:
            journal.append("absent", op=op, key=key, uuid=uuid)
            return
        except AuthenticationError:
            raise
        except ApiError as exc:
            journal.append("failed", op=op, key=key, uuid=uuid, error=str(exc))
            raise Rejected(f"could not delete {kind} {uuid}: {exc}") from None
        describe = self.client.get_instance_pool_status if kind == "pool" else self.client.get_service_status
        outcome = self._waiter(f"{kind} deleted", states.GONE).wait_many(
            {uuid: lambda: describe(uuid)}, should_stop=self._stop.is_set
        )[uuid]
        if outcome.state == STOPPED:
            self._check_stop(journal)
        if not outcome.ok:
            journal.append("failed", op=op, key=key, uuid=uuid, error=outcome.reason)
            raise Rejected(f"{kind} {uuid} was not gone after {outcome.attempts} checks ({outcome.reason})")
        journal.append("done", op=op, key=key, uuid=uuid)
        self._emit(kind, name, DELETED)

    def _dedupe(self, journal: Journal, environment_uuid: str, uuids: dict[str, str]) -> None:
        """Rule 4's last check: each planned name live exactly once, the journalled uuid kept."""
        by_name: dict[str, list[InstancePool]] = {}
        for pool in self.live_pools(environment_uuid):
            if pool.name in uuids:
                by_name.setdefault(pool.name, []).append(pool)
        for name, pools in by_name.items():
            keep = uuids[name] if any(p.uuid == uuids[name] for p in pools) else pools[0].uuid
            uuids[name] = keep
            for extra in (p for p in pools if p.uuid != keep):
                self._check_stop(journal)
                try:
                    self._delete(journal, "pool", name, extra.uuid, "a duplicate of the same name")
                except Rejected as exc:
                    self._emit("pool", name, "duplicate left", detail=str(exc))

    def _wait(
        self,
        journal: Journal,
        kind: str,
        uuids: Mapping[str, str],
        actions: Mapping[str, str],
        acceptors: tuple[Acceptor, ...],
    ) -> list[ResourceResult]:
        """Poll every resource concurrently until each settles; one journalled result each."""
        describe = self.client.get_instance_pool_status if kind == "pool" else self.client.get_service_status
        names = {uuid: name for name, uuid in uuids.items()}

        def on_poll(uuid: str, seen: Any, attempts: int, state: str) -> None:
            if not isinstance(seen, BaseException):
                self._emit(kind, names[uuid], seen.status or "?", seen)

        outcomes: dict[str, Outcome[Any]] = self._waiter(f"{kind} ready", acceptors).wait_many(
            {uuid: functools.partial(describe, uuid) for uuid in names},
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
                op=f"wait_{kind}",
                key=f"{kind}:{name}",
                uuid=uuid,
                status=states.status_text(last),
                detail=detail,
            )
            self._emit(kind, name, state, last, detail)
            results.append(
                ResourceResult(
                    kind,
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
        self, journal: Journal, plan: Plan, environment_uuid: str, pool_uuids: Mapping[str, str]
    ) -> list[ResourceResult]:
        """Create the plan's services that do not exist (by name) on their plan pools; wait for all.

        Services are submitted one by one in `plans.submission_order`: largest replica first (its
        CPU share plus its memory share of the plan's largest node, ties by name). The platform
        places a service's replicas when it is created, so this is the order its scheduler sees
        them in, and the order the planner's placement simulation assumed; each service is
        restricted (`constraints.instancePoolUuids`) to the plan pools the simulation let it use
        (`service_pools`). Same nodes, same order, same eligibility: the same placement.
        """
        existing = {s.name: s.uuid for s in self.live_services(environment_uuid)}
        hosts = service_pools(plan)
        uuids: dict[str, str] = {}
        actions: dict[str, str] = {}
        rejected = []
        for spec in plan.ordered_services():
            self._check_stop(journal)
            if spec.name in existing:
                uuids[spec.name], actions[spec.name] = existing[spec.name], KEEP
                continue
            body = service_body(spec, [pool_uuids[p] for p in hosts[spec.name] if p in pool_uuids])
            try:
                uuids[spec.name] = self._create(
                    journal,
                    "service",
                    spec.name,
                    body,
                    send=lambda b: self.client.create_docker_service(environment_uuid, b),
                    listing=lambda: self.live_services(environment_uuid),
                )
                actions[spec.name] = CREATE
            except Rejected as exc:
                rejected.append(ResourceResult("service", spec.name, None, CREATE, REJECTED, detail=str(exc)))
        return rejected + self._wait(journal, "service", uuids, actions, states.SERVICE_READY)

    # -- destroy -------------------------------------------------------------------------------

    def destroy_targets(self, plan: Plan, environment_uuid: str) -> tuple[list[InstancePool], list[ServiceInfo]]:
        """The live pools and services bearing the plan's names (every copy): what destroy removes."""
        self.environment(environment_uuid)
        pool_names = {p.name for p in plan.pools}
        service_names = {s.name for s in plan.services}
        pools = [p for p in self.live_pools(environment_uuid) if p.name in pool_names]
        services = [s for s in self.live_services(environment_uuid) if s.name in service_names]
        return pools, services

    def destroy(self, plan: Plan, environment_uuid: str) -> RunResult:
        """Delete the plan's services, then its pools (by name only); journalled, resumable."""
        path = self.journal_path(plan, environment_uuid)
        with Journal.open(path, lock=lock_path(self.journal_dir, environment_uuid)) as journal:
            pools, services = self.destroy_targets(plan, environment_uuid)
            journal.append(
                "run_start",
                mode="destroy",
                environment_uuid=environment_uuid,
                pools=[p.uuid for p in pools],
                services=[s.uuid for s in services],
            )
            result = RunResult(environment_uuid, path, goal=DELETED)
            targets: list[tuple[str, InstancePool | ServiceInfo]] = [("service", s) for s in services]
            targets += [("pool", p) for p in pools]
            for kind, item in targets:
                self._check_stop(journal)
                try:
                    self._delete(journal, kind, item.name, item.uuid, "destroy")
                    result.results.append(ResourceResult(kind, item.name, item.uuid, "delete", DELETED))
                except Rejected as exc:
                    result.results.append(ResourceResult(kind, item.name, item.uuid, "delete", FAILED, detail=str(exc)))
            journal.append("run_end", outcome=DELETED if result.ok else "not_deleted")
            return result
