"""The plan, checked before anything is sent: a malformed or hand-edited plan is refused whole."""

from __future__ import annotations

from pathlib import Path

from costplan.errors import InputError, PlanVerificationError
from costplan.plans import Plan, from_units, to_units


def load_plan(path: str | Path) -> Plan:
    """Read and check a plan file: InputError naming the file and the field if malformed or tampered.

    Every command that reads a plan (provision, destroy, report plan) comes through here, so a
    hand-edited plan (a cost below its proven bound, a pool that no longer fits) is refused with
    one message everywhere: `check_plan`'s arithmetic first, then the planner's full verification
    (a plan written by hand, without nodes, gets the checks that need no nodes: bound, gap, status).
    """
    from costplan.planner.verify import bound_problems, verify_plan

    plan = Plan.load(path)
    check_plan(plan, source=str(path))
    try:
        if plan.nodes:
            verify_plan(plan)
        elif problems := bound_problems(plan):
            raise PlanVerificationError("plan fails verification: " + "; ".join(problems))
    except PlanVerificationError as error:
        raise InputError(f"{path}: {error} (the plan was edited or is damaged: plan again)") from None
    return plan


def check_plan(plan: Plan, *, source: str = "plan") -> None:
    """The plan's own arithmetic must hold: counts ordered, each pool's cost = count_min x unit
    price, the total = the sum of the pools, names unique (they are how pools are found again),
    and every service with replicas has plan pools it may use (`service_pools`), none unknown."""
    if not plan.pools:
        raise InputError(f"{source}: pools: the plan has no pools to provision")
    names: set[str] = set()
    for index, pool in enumerate(plan.pools):
        where = f"{source}: pools[{index}] ({pool.name!r})"
        if not pool.name.strip() or pool.name in names:
            raise InputError(f"{where}: name: must be non-empty and unique (pools are found again by name)")
        names.add(pool.name)
        if pool.count_min < 0 or pool.count_max < 1 or pool.count_min > pool.count_max:
            raise InputError(
                f"{where}: count_min/count_max: need 0 <= count_min <= count_max and count_max >= 1, "
                f"got {pool.count_min} and {pool.count_max}"
            )
        expected = to_units(pool.unit_monthly_price) * pool.count_min
        if abs(to_units(pool.monthly_cost) - expected) > pool.count_min:  # 1/10 000 rounding per node
            raise InputError(
                f"{where}: monthly_cost: {pool.monthly_cost} is not count_min x unit_monthly_price "
                f"({pool.count_min} x {pool.unit_monthly_price} = {from_units(expected)}): "
                "the plan was edited"
            )
    total = sum(to_units(p.monthly_cost) for p in plan.pools)
    if abs(to_units(plan.monthly_cost) - total) > len(plan.pools):
        raise InputError(
            f"{source}: monthly_cost: {plan.monthly_cost} is not the sum of the pools' monthly_cost "
            f"({from_units(total)}): the plan was edited"
        )
    for index, node in enumerate(plan.nodes):
        if node.pool not in names:
            raise InputError(f"{source}: nodes[{index}].pool: {node.pool!r} is not one of the plan's pools")
    services: set[str] = set()
    for index, spec in enumerate(plan.services):
        where = f"{source}: services[{index}] ({spec.name!r})"
        if not spec.name.strip() or spec.name in services:
            raise InputError(f"{where}: name: must be non-empty and unique (services are found again by name)")
        services.add(spec.name)
        if spec.count_min < 0 or spec.count_min > spec.count_max:
            raise InputError(f"{where}: count_min/count_max: need 0 <= count_min <= count_max")
        hosts = plan.pools_of(spec.name)
        unknown = [name for name in hosts if name not in names]
        if unknown:
            raise InputError(f"{where}: pools: {unknown[0]!r} is not one of the plan's pools")
        if spec.count_max > 0 and not hosts:
            # An empty instancePoolUuids would let the platform place it anywhere: refuse instead.
            raise InputError(
                f"{where}: no plan pool may host it (providers {list(spec.providers) or 'any'}, "
                f"tags {list(spec.tags) or 'none'})"
            )


def service_pools(plan: Plan) -> dict[str, list[str]]:
    """Service name -> the plan pools it may run on: the plan's own `services[].pools` (what the
    planner's scheduler model assumed), or for an older plan `plans.may_use` in plan order.

    Sent as `constraints.instancePoolUuids`, so the platform chooses among the same nodes as the
    simulation (and re-places on the same ones after a node loss, as the N+1 check assumed).
    """
    return {s.name: list(plan.pools_of(s.name)) for s in plan.services}
