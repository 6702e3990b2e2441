"""`make_plan`: catalogue + services + options -> a verified `Plan`.

Steps: candidate node types (capacity model, provider and environment filters), the baseline
demand (`count_min`) solved within most of the time limit, N+1 spares if asked, the peak demand
(`count_max`) placed on the same pools' types to set each pool's `count_max`, rejected
alternatives (greedy baselines, best single type, best per provider), explanations, the
scheduler simulation, and an independent verification of the result.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from costplan.errors import InfeasiblePlan, InputError, PlanningError
from costplan.models import ServiceSpec
from costplan.planner import explain
from costplan.planner.assemble import build_nodes, build_pools, pool_names
from costplan.planner.baselines import best_single_type, ffd_baseline, least_waste_baseline
from costplan.planner.capacity import check_provider_options, node_types, single_environment
from costplan.planner.greedy import class_types, ffd
from costplan.planner.layout import N_PLUS_ONE_METHOD, Layout, add_spares, cluster_for, from_packing, pool_tags
from costplan.planner.options import PlanOptions
from costplan.planner.placeable import Placeable, make_placeable, settle_packing
from costplan.planner.problem import Packing, Problem, build_problem
from costplan.planner.scheduler import BEST_FIT_METHOD as PLACEMENT_METHOD
from costplan.planner.scheduler import schedule, submission_indexes
from costplan.planner.search import SearchResult, solve, stderr_progress
from costplan.planner.verify import verify_plan
from costplan.plans import (
    Explanations,
    PeakPlan,
    PlacementCheck,
    Plan,
    bound_from_units,
    from_units,
    relative_gap,
)

ALTERNATIVE_TIME = 2.0  # seconds at most per single-provider alternative (a 1% gap is enough there)
TAGS_POLICY = "a pool carries the union of the tags of the services placed on its nodes"
PEAK_METHOD = (
    "the count_max demand is planned again (same solver, a share of the time limit) on the node types "
    "of the baseline pools (other types only for services those cannot host); each pool's count_max is "
    "the larger of its count_min and its node count in that peak plan"
)


def make_plan(catalogue: pd.DataFrame, services: Iterable[ServiceSpec], options: PlanOptions | None = None) -> Plan:
    """The cheapest pools found for `services` on `catalogue`, verified, with a proven bound.

    ```python
    plan = make_plan(catalogue, load_services("services.yaml"), PlanOptions(time_limit=10))
    plan.monthly_cost, plan.lower_bound, plan.status
    ```
    Raises `InfeasiblePlan` (naming the service) when some demand fits no allowed node type.
    """
    options = options or PlanOptions()
    began = time.monotonic()
    deadline = began + options.time_limit
    specs = tuple(services)
    _check_services(specs)
    check_provider_options(
        catalogue,
        specs,
        environment_uuid=options.environment_uuid,
        providers=options.providers,
        exclude_providers=options.exclude_providers,
    )
    environment_uuid, chosen = options.environment_uuid, None
    if environment_uuid is None:  # one environment per plan: pools of several could not be provisioned
        environment_uuid, chosen = single_environment(
            catalogue, specs, options.capacity, providers=options.providers, exclude_providers=options.exclude_providers
        )
    types, notes = node_types(
        catalogue,
        options.capacity,
        environment_uuid=environment_uuid,
        providers=options.providers,
        exclude_providers=options.exclude_providers,
        currency=options.currency,
        rates=options.currency_rates,
    )
    if chosen:
        notes["environment"] = chosen
    if types.empty:
        skipped = ", ".join(f"{k}: {v}" for k, v in notes["skipped_rows"].items()) or "none left after the filters"
        raise InfeasiblePlan(f"no usable node type in the catalogue ({skipped})")
    need_peak = options.plan_peak and any(s.count_max != s.count_min for s in specs)

    # Baseline demand (count_min): greedy plans first, then the solver within its share of time.
    base = build_problem(types, specs, [s.count_min for s in specs], max_pools=options.max_pools)
    greedy = {
        "baseline_ffd": ffd_baseline(base),
        "baseline_least_waste": least_waste_baseline(base),
    }
    single = best_single_type(base)
    starts: list[tuple[Packing | None, str]] = [(p, k) for k, p in greedy.items()]
    starts.append((single[1] if single else None, "best single type"))
    share = 0.7 if need_peak else 0.85
    result = _solve(
        base, time_limit=_left(deadline) * share, options=options, starts=starts, effort=options.time_limit * share
    )
    counts_min = [s.count_min for s in specs]
    names = pool_names(options.pool_prefix, types, range(len(types)))
    layout = from_packing(base, result.packing, len(specs), counts_min).canonical(names)

    # Peak demand (count_max) on the same pools' types where possible. Tags are final once both
    # layouts are known, and every scheduler simulation (N+1, placement, verify) uses them.
    peak_layout: Layout | None = None
    peak_result: SearchResult | None = None
    if need_peak:
        peak_result, peak_layout = _plan_peak(types, specs, layout, options, deadline)
        peak_layout = peak_layout.canonical(names)
    extra = [peak_layout] if peak_layout is not None else []
    tags = pool_tags(specs, [layout, *extra])
    spares = 0
    with_spares: dict[str, tuple[int, str]] = {}  # start method -> its own cost as priced, and how
    if options.n_plus_one:
        in_peak = peak_layout.types if peak_layout is not None else None
        layout, spares = add_spares(types, specs, layout, tags, names, max_pools=options.max_pools, pools=in_peak)
        # Greedy plans with their own spares compete too: the cheapest N+1 plan is kept.
        for packing, method in starts:
            if packing is None or not packing.is_valid(base):
                continue
            own = from_packing(base, packing, len(specs), counts_min).canonical(names)
            own_tags = pool_tags(specs, [own, *extra])
            other, other_spares = add_spares(
                types, specs, own, own_tags, names, max_pools=options.max_pools, pools=in_peak
            )
            with_spares[method] = (other.cost(types), "priced with its own N+1 spare nodes")
            plan_pools = np.union1d(other.types, in_peak if in_peak is not None else [])
            within = options.max_pools is None or len(plan_pools) <= options.max_pools  # with the peak's pools
            if other.cost(types) < layout.cost(types) and within:
                layout, spares, tags = other, other_spares, own_tags
                result = replace(result, method=f"{method} (cheaper once N+1 spares are added)")
        if peak_layout is not None:
            peak_layout, _ = add_spares(
                types, specs, peak_layout, tags, names, max_pools=options.max_pools, pools=layout.types
            )

    # Placeability: the platform's own scheduler must land every replica on these nodes.
    placeable: Placeable | None = None
    if options.ensure_placement:
        placeable = make_placeable(
            types,
            specs,
            base,
            layout,
            peak_layout,
            names,
            starts,
            n_plus_one=options.n_plus_one,
            max_pools=options.max_pools,
            deadline=deadline,
        )
        layout, peak_layout, tags = placeable.layout, placeable.peak, placeable.tags
        spares = (spares if placeable.adopted is None else 0) + placeable.base.spares
        with_spares.update(placeable.priced)
        if placeable.adopted:
            result = replace(result, method=f"{placeable.adopted} (cheaper once made placeable)")

    # Pools and nodes.
    pools = build_pools(types, layout, peak_layout, names, tags)
    nodes = build_nodes(types, layout, names, specs)
    cost_units = layout.cost(types)
    bound_units = int(min(result.bound_units, cost_units))
    lower_bound = bound_from_units(bound_units)
    monthly_cost = from_units(cost_units)
    status = "optimal" if bound_units >= cost_units else "feasible"

    # Rejected alternatives and explanations.
    alternatives = _alternatives(types, specs, base, greedy, single, cost_units, options, deadline, with_spares)
    cluster = cluster_for(types, specs, layout.types, tags, distinct_hosts=True)
    check = schedule(cluster, layout.counts.sum(axis=1), submission_indexes(specs, cluster), mode="best-fit")
    ok, failed = check.lands, check.failed
    peak = None
    if peak_layout is not None and peak_result is not None:
        peak_cost = peak_layout.cost(types)
        peak_bound = int(min(peak_result.bound_units, peak_cost))
        peak = PeakPlan(
            monthly_cost=from_units(peak_cost),
            lower_bound=bound_from_units(peak_bound),
            gap=relative_gap(from_units(peak_cost), bound_from_units(peak_bound)),
            status="optimal" if peak_bound >= peak_cost else "feasible",
            nodes=build_nodes(types, peak_layout, names, specs),
        )
    first = next((a for a in alternatives if a.kind == "baseline_ffd"), None)
    repaired = placeable.describe(types, notes["currency"]) if placeable is not None else ""
    explanations = Explanations(
        summary=explain.summary(cost_units, bound_units, notes["currency"], pools, len(nodes), first)
        + (f" {repaired[0].upper()}{repaired[1:]}." if repaired else ""),
        bound=f"{result.bound_method}; plan found by {result.method}",
        pools=explain.pool_explanations(pools, nodes),
    )
    assumptions: dict[str, Any] = {
        "capacity": options.capacity.to_dict(),
        "options": options.to_dict(),
        "catalogue": notes,
        "money": "monthly_price from the catalogue; totals exact in 1/10000 units, stored rounded to 4 decimals",
        "providers_match": "service and option providers match a provider name (any case) or uuid",
        "tags": TAGS_POLICY,
        "peak": PEAK_METHOD if need_peak else "count_max equals count_min for every service: no peak plan",
        "n_plus_one": {"method": N_PLUS_ONE_METHOD, "spare_nodes": spares} if options.n_plus_one else None,
        "placement_simulation": PLACEMENT_METHOD,
        "placeability": placeable.to_dict(types, notes["currency"]) if placeable is not None else None,
        "solver": {
            "engine": "HiGHS",
            "method": result.method,
            "bound": result.bound_method,
            "seconds": round(time.monotonic() - began, 3),
            "stats": result.stats,
        },
    }
    plan = Plan(
        monthly_cost=monthly_cost,
        lower_bound=lower_bound,
        gap=relative_gap(monthly_cost, lower_bound),
        status=status,
        currency=notes["currency"],
        environment_uuid=options.environment_uuid or _single_environment(types),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        pools=pools,
        nodes=nodes,
        services=specs,
        assumptions=assumptions,
        alternatives=alternatives,
        explanations=explanations,
        placement_check=PlacementCheck(ok, failed, PLACEMENT_METHOD),
        peak=peak,
    )
    verify_plan(plan)
    return plan


def _check_services(specs: Sequence[ServiceSpec]) -> None:
    if not specs:
        raise InputError("no services to plan for")
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"services are named twice: {', '.join(duplicates)}")
    for s in specs:
        if s.count_min < 0 or s.count_max < s.count_min or s.cpu_mhz < 0 or s.memory_mb < 0:
            raise InputError(
                f"service {s.name!r}: counts and reservations must be >= 0 with count_min <= count_max "
                f"(got {s.count_min}..{s.count_max}, {s.cpu_mhz} MHz, {s.memory_mb} MB)"
            )


def _left(deadline: float) -> float:
    return max(0.2, deadline - time.monotonic())


def _solve(
    problem: Problem,
    *,
    time_limit: float,
    options: PlanOptions,
    starts: Sequence[tuple[Packing | None, str]],
    effort: float,
) -> SearchResult:
    """`effort` fixes the search's work (reproducible plans); `time_limit` is only its ceiling."""
    try:
        return solve(
            problem,
            time_limit=time_limit,
            target_gap=options.target_gap,
            seed=options.seed,
            starts=starts,
            effort=effort,
            progress=stderr_progress(),
        )
    except PlanningError:
        raise
    except RuntimeError as exc:
        if problem.max_pools is not None:
            raise InfeasiblePlan(f"no plan found with at most {problem.max_pools} pool(s): {exc}") from exc
        raise PlanningError(f"no plan found: {exc}") from exc


def _plan_peak(
    types: pd.DataFrame, specs: Sequence[ServiceSpec], layout: Layout, options: PlanOptions, deadline: float
) -> tuple[SearchResult, Layout]:
    """Plan the count_max demand on the baseline's types (others only where needed)."""
    counts_max = [s.count_max for s in specs]
    full = build_problem(types, specs, counts_max)
    used = np.unique(layout.types)
    if full.n_groups and (full.kmax[:, used] > 0).any(axis=1).all():
        problem = full.restrict(used)
    else:
        free = np.isin(np.arange(full.n_types), used)
        left = None if options.max_pools is None else max(0, options.max_pools - len(used))
        problem = replace(full, cap_free=free, max_pools=left)
    start = ffd(problem, class_types(problem))
    result = _solve(
        problem,
        time_limit=_left(deadline) * 0.7,
        options=options,
        starts=[(start, "first-fit decreasing")],
        effort=options.time_limit * 0.3 * 0.7,
    )
    return result, from_packing(problem, result.packing, len(specs), counts_max)


def _alternatives(
    types: pd.DataFrame,
    specs: Sequence[ServiceSpec],
    base: Problem,
    greedy: dict[str, Packing | None],
    single: tuple[int, Packing] | None,
    plan_units: int,
    options: PlanOptions,
    deadline: float,
    with_spares: dict[str, tuple[int, str]],
) -> tuple[Any, ...]:
    """The greedy baselines, the best single-type plan and the best plan per provider.

    With N+1 the baselines are priced with their own spare nodes, and with `ensure_placement` made
    placeable the same way as the plan, so the comparison is fair.
    """

    def label(t: int) -> str:
        return f"{types.at[int(base.type_ids[t]), 'provider']} {types.at[int(base.type_ids[t]), 'instance_type']}"

    def priced(kind: str, packing: Packing | None) -> tuple[int | None, str]:
        if packing is None:
            return None, "no greedy plan"
        if options.max_pools is not None and packing.n_pools(base) > options.max_pools:
            return None, f"uses {packing.n_pools(base)} pools, more than max_pools"
        if kind in with_spares:
            return with_spares[kind]
        return packing.cost(base), ""

    out = []
    names = {
        "baseline_ffd": ("first-fit decreasing on the cheapest-per-capacity type", "first-fit decreasing"),
        "baseline_least_waste": (
            "cluster-autoscaler least-waste node type",
            "least idle CPU + memory share after scale-up, first-fit decreasing",
        ),
    }
    for kind, (name, method) in names.items():
        packing = greedy[kind]
        if packing is not None and packing.n_nodes:
            name += f" ({label(int(packing.types[0]))})"
        cost, note = priced(kind, packing)
        out.append(explain.alternative(kind, name, cost, plan_units, method=method, note=note))
    cost, note = priced("best single type", single[1] if single else None)
    out.append(
        explain.alternative(
            "single_type",
            f"best single type ({label(single[0])})" if single else "best single type",
            cost,
            plan_units,
            method="first-fit decreasing on every type that can host all services",
            note=note if single else "no single node type can host every service",
        )
    )
    providers = sorted(set(types["provider"].astype(str)))
    names_all = pool_names(options.pool_prefix, types, range(len(types)))
    if len(providers) > 1:
        budget = min(ALTERNATIVE_TIME, options.time_limit * 0.075 / len(providers))  # effort: reproducible
        for provider in providers:
            if time.monotonic() >= deadline:  # the time limit covers the whole call
                note = "not computed: the time limit was reached"
                out.append(explain.alternative("single_provider", provider, None, plan_units, method="", note=note))
                continue
            keep = (types["provider"].astype(str) == provider).to_numpy()
            try:
                problem = build_problem(
                    types.loc[keep].reset_index(drop=True),
                    specs,
                    [s.count_min for s in specs],
                    max_pools=options.max_pools,
                )
            except InfeasiblePlan as exc:
                out.append(explain.alternative("single_provider", provider, None, plan_units, method="", note=str(exc)))
                continue
            start = ffd(problem, class_types(problem))
            try:
                found = solve(
                    problem,
                    time_limit=max(0.2, min(budget * 2, _left(deadline) * 0.5 / len(providers))),
                    target_gap=0.01,
                    seed=options.seed,
                    starts=[(start, "ffd")],
                    effort=budget,
                )
            except (RuntimeError, PlanningError) as exc:
                out.append(explain.alternative("single_provider", provider, None, plan_units, method="", note=str(exc)))
                continue
            cost, note = found.cost_units, ""
            if options.ensure_placement:
                settled = settle_packing(
                    types,
                    specs,
                    problem,
                    found.packing,
                    [s.count_min for s in specs],
                    names_all,
                    rows=np.flatnonzero(keep),
                    n_plus_one=options.n_plus_one,
                    max_pools=options.max_pools,
                    deadline=deadline,
                )
                cost, note = settled.cost_after, "made placeable the same way as the plan"
                if options.n_plus_one:
                    note += ", with its own N+1 spare nodes"
            out.append(
                explain.alternative(
                    "single_provider",
                    provider,
                    cost,
                    plan_units,
                    bound_units=found.bound_units,
                    method=f"planner restricted to {provider}, {budget:.1f} s",
                    note=note,
                )
            )
    return tuple(out)


def _single_environment(types: pd.DataFrame) -> str | None:
    envs = sorted(set(types["environment_uuid"].astype(str)) - {""})
    return envs[0] if len(envs) == 1 else None
