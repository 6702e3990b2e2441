"""`make_plan`: catalogue + services + options -> a verified `Plan`, in named stages.

candidates -> bound -> starting plans -> search -> scheduler stage -> peak -> assemble -> verify.
Each stage is one short function below; `docs/planner.md` explains why each is shaped as it is.
One deadline covers them all: each stage gets a share of what is left (`_Clock`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from costplan.errors import InfeasiblePlan, InputError, PlanningError
from costplan.models import ServiceSpec
from costplan.planner import explain, pinning, scheduler
from costplan.planner.assemble import build_nodes, build_pools, pool_names
from costplan.planner.baselines import best_single_type, ffd_baseline, least_waste_baseline
from costplan.planner.bounds import integral, lp_bound
from costplan.planner.capacity import check_provider_options, node_types, single_environment
from costplan.planner.greedy import class_types, ffd
from costplan.planner.landing import (
    RUN_CELLS_PER_SECOND,
    Landed,
    cells_of,
    land,
    one_pool_per_service,
    run_cells,
    unstaged,
)
from costplan.planner.layout import N_PLUS_ONE_METHOD, Layout, add_spares, from_packing, pool_tags
from costplan.planner.options import PlanOptions
from costplan.planner.problem import Packing, Problem, build_problem
from costplan.planner.scheduler import BEST_FIT_METHOD as PLACEMENT_METHOD
from costplan.planner.search import ARCFLOW_REPLICAS, SearchResult, solve, stderr_progress
from costplan.planner.verify import placement_of, verify_plan
from costplan.plans import (
    Commitment,
    Explanations,
    PeakPlan,
    PlacementCheck,
    Plan,
    bound_from_units,
    from_units,
    relative_gap,
)
from costplan.sharing import METHOD as COST_SHARE_METHOD
from costplan.sharing import cost_shares
from costplan.usage import committed_peak_units, describe, expected_monthly_cost

ALTERNATIVE_TIME = 2.0  # seconds at most per single-provider alternative (a 1% gap is enough there)
MIN_ALTERNATIVE_TIME = 0.2  # below this, a single-provider alternative is only its greedy plan
TAGS_POLICY = "a pool carries the union of the tags of the services that may use it (services[].pools)"
PEAK_METHOD = (
    "the count_max demand is planned again (same solver, a share of the time limit) on the node types "
    "of the baseline pools (other types only for services those cannot host); each pool's count_max is "
    "its count_min plus the nodes the peak plan needs beyond the baseline's on its node type (every pool "
    "of a type may grow by that much, so each service can scale out in its own pools)"
)
# Shares of the time left that each stage may use (the rest is kept for the stages after it).
# The baseline search, by (scheduler stage on, peak plan to come); without the stage, as before it.
SEARCH_SHARE = {(True, True): 0.5, (True, False): 0.6, (False, True): 0.7, (False, False): 0.85}
LANDING_SHARE = 0.7  # the scheduler stage (it keeps time for the estimates after it itself)
TAIL_ESTIMATES = 1.5  # the plan's full estimate after the stage, and a margin for assembling and verifying
PEAK_SHARE = 0.6  # the peak plan
PEAK_EFFORT = 0.21  # the peak search's work, as a share of the time limit (reproducible plans)
ALTERNATIVES_SHARE = 0.5  # the single-provider alternatives
LOAD_ALLOWANCE = 1.0  # seconds of loading the compiled code counted in the time limit (a cache load)
USAGE_NONE = "none given (--peak-hours or the services file's usage block): expected_monthly_cost is null"
COMMIT_METHOD = (
    "--commit baseline: the always-on baseline (count_min nodes) at the committed price (reserved_hourly_price "
    "x 720, the lower of it and on-demand) where the catalogue has one, on-demand elsewhere; the planner "
    "optimises and bounds those prices (the alternatives are priced the same way); at peak the baseline "
    "nodes stay committed and the burst above count_min is on demand (the peak plan is searched at "
    "committed prices, so its bound stays a bound)"
)
# The scheduler stage's run count is fixed by a work estimate, not the clock (reproducible plans):
# one seeded run makes `run_cells` node visits (shuffling and scoring them).
LANDING_RUN_SHARE = 0.3  # of the time limit, for all the stage's runs (screens, confirmation, the plan's estimate)
STAGE_ESTIMATES = 5  # full estimates' worth of time the stage needs (screens, growth, confirmation)
SERVICE_SECONDS = 50e-6  # an estimate's fixed cost per service (building its nodes, the walk's call)
RUN_PASSES = 4  # full estimates of `landing_runs` runs that the stage and the plan's estimate need, roughly
RUNS_NOTE = (
    "{runs} seeded runs instead of the {asked} asked for: one run simulates {cells:,} service x node cells, "
    "and the time limit leaves room for about {runs} (figures, target and bound are over those runs)"
)


class _Clock:
    """One deadline for the whole run; `share(f)` is the deadline of a stage allowed f of what is left."""

    def __init__(self, seconds: float, *, began: float | None = None) -> None:
        self.began = time.monotonic() if began is None else began
        self.deadline = self.began + seconds

    def left(self) -> float:
        return max(0.05, self.deadline - time.monotonic())

    def share(self, fraction: float, keep: float = 0.0) -> float:
        """The deadline of a stage allowed `fraction` of what is left once `keep` seconds are set aside."""
        return time.monotonic() + max(0.05, self.left() - keep) * fraction

    def elapsed(self) -> float:
        return time.monotonic() - self.began


@dataclass(frozen=True)
class _Candidates:
    types: pd.DataFrame  # usable node types (capacity after overhead), one row each
    notes: dict[str, Any]
    names: dict[int, str]  # node-type row -> its pool's name
    environment_uuid: str | None  # the plan's environment (asked for, chosen, or the candidates' only one)


@dataclass(frozen=True)
class _Starts:
    greedy: dict[str, Packing | None]
    single: tuple[int, Packing] | None

    def listed(self) -> list[tuple[Packing | None, str]]:
        single = self.single[1] if self.single else None
        return [*((p, k) for k, p in self.greedy.items()), (single, "best single type")]


@dataclass(frozen=True)
class _Found:
    result: SearchResult
    layout: Layout  # node-type rows per node, replicas per service and node
    spares: int
    with_spares: dict[str, tuple[int, str]]  # start method -> its own cost with its own N+1 spares


def make_plan(catalogue: pd.DataFrame, services: Iterable[ServiceSpec], options: PlanOptions | None = None) -> Plan:
    """The cheapest pools found for `services` on `catalogue`, verified, with a proven bound.

    ```python
    plan = make_plan(catalogue, load_services("services.yaml"), PlanOptions(time_limit=10))
    plan.monthly_cost, plan.lower_bound, plan.status, plan.placement.landing_probability
    ```
    Raises `InfeasiblePlan` (naming the service) when some demand fits no allowed node type.
    """
    options = options or PlanOptions()
    began = time.monotonic()
    specs = _check_services(tuple(services))
    past_arcflow = sum(s.count_min for s in specs) > ARCFLOW_REPLICAS  # the search may then use value correction
    loaded = _load_compiled(scheduler_stage=options.landing > 0, value_correction=past_arcflow)
    clock = _Clock(options.time_limit, began=began + max(0.0, loaded - LOAD_ALLOWANCE))
    candidates = _candidates(catalogue, specs, options)
    base = build_problem(candidates.types, specs, [s.count_min for s in specs], max_pools=options.max_pools)
    bound = _bound(base)
    starts = _starting_plans(base)
    need_peak = options.plan_peak and any(s.count_max != s.count_min for s in specs)
    keep = _stage_reserve(specs, starts, options)
    found = _search(
        candidates, specs, base, starts, options, clock.share(SEARCH_SHARE[options.landing > 0, need_peak], keep=keep)
    )
    progress = stderr_progress()  # the stages after the search report too (terminals only)

    def report(stage: str, landed: Landed) -> None:
        if progress is not None:
            progress(stage, landed.layout.cost(landed.pool_rows), float(found.result.bound_units))

    landed = _scheduler_stage(candidates, specs, found, options, clock.share(LANDING_SHARE))
    if options.n_plus_one and landed.landing is not None:  # N+1 again, on the model's placement
        landed, _ = landed.with_spares(specs)
    report("scheduler stage", landed)
    tail = TAIL_ESTIMATES * landed.estimate_seconds  # the plan's placement estimate, verification
    peak = None
    if need_peak:
        peak, landed = _peak(candidates, specs, landed, options, clock.share(PEAK_SHARE, keep=tail))
        report("peak plan", landed)
    plan = _assemble(candidates, specs, base, bound, starts, found, landed, peak, options, clock, tail)
    verify_plan(plan, estimate_placement=False)  # its placement block was estimated from this very JSON view
    report("assembled and verified", landed)
    return plan


def _load_compiled(*, scheduler_stage: bool = True, value_correction: bool = True) -> float:
    """Load the compiled code before anything is timed: value correction's knapsack (not for the
    small instances the arc-flow model takes: loading numba would double their time), and for the
    scheduler stage (which shares its deadline by timing its estimates) the model and the pinned
    replay; seconds taken. A cache load (~0.5 s) counts in the time limit; the compile on first use
    after an install (~5-10 s each) does not (`LOAD_ALLOWANCE`)."""
    began = time.monotonic()
    if value_correction:
        from costplan.planner import knapsack  # numba: not on the planner's import path

        knapsack.warm_up()
    if scheduler_stage:
        scheduler.warm_up()
        pinning.warm_up()
    return time.monotonic() - began


def _stage_reserve(specs: Sequence[ServiceSpec], starts: _Starts, options: PlanOptions) -> float:
    """Seconds the scheduler stage needs at least (`STAGE_ESTIMATES` full estimates, each priced by
    its node visits and a fixed cost per service), set aside before the search takes its share: at
    10,000 services the search used to leave the stage no time to grow, and the plan fell back to
    one pool per service (+58 %). Sized from the cheapest starting plan's nodes (a count, not a clock)."""
    packings = [p for p, _ in starts.listed() if p is not None]
    if options.landing <= 0 or not packings:
        return 0.0
    nodes = min(packings, key=lambda p: p.n_nodes).n_nodes
    replicas = sum(s.count_min for s in specs)
    cells = cells_of(len(specs), nodes, replicas, replicas, options)  # a span per replica at most
    runs = affordable_runs(cells, options)[0]
    return STAGE_ESTIMATES * (runs * cells / RUN_CELLS_PER_SECOND + len(specs) * SERVICE_SECONDS)


def _check_services(specs: tuple[ServiceSpec, ...]) -> tuple[ServiceSpec, ...]:
    if not specs:
        raise InputError("no services to plan for")
    duplicates = sorted(n for n, k in Counter(s.name for s in specs).items() if k > 1)
    if duplicates:
        raise InputError(f"services are named twice: {', '.join(duplicates)}")
    for s in specs:
        if s.count_min < 0 or s.count_max < s.count_min or s.cpu_mhz < 0 or s.memory_mb < 0:
            raise InputError(
                f"service {s.name!r}: counts and reservations must be >= 0 with count_min <= count_max "
                f"(got {s.count_min}..{s.count_max}, {s.cpu_mhz} MHz, {s.memory_mb} MB)"
            )
    return specs


def _candidates(catalogue: pd.DataFrame, specs: Sequence[ServiceSpec], options: PlanOptions) -> _Candidates:
    """Stage 1: the node types a plan may use (capacity model, provider and environment filters)."""
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
        commit=options.commit == "baseline",
    )
    if chosen:
        notes["environment"] = chosen
    if types.empty:
        skipped = ", ".join(f"{k}: {v}" for k, v in notes["skipped_rows"].items()) or "none left after the filters"
        raise InfeasiblePlan(f"no usable node type in the catalogue ({skipped})")
    names = pool_names(options.pool_prefix, types, range(len(types)))
    return _Candidates(types, notes, names, environment_uuid or _single_environment(types))


def _bound(base: Problem) -> float:
    """Stage 2: the aggregate-capacity LP bound (microseconds); the search may prove a better one."""
    return integral(lp_bound(base).units) if base.demand.any() else 0.0


def _starting_plans(base: Problem) -> _Starts:
    """Stage 3: what a person or an autoscaler would do; the search starts from them and must beat them."""
    greedy = {"baseline_ffd": ffd_baseline(base), "baseline_least_waste": least_waste_baseline(base)}
    return _Starts(greedy, best_single_type(base))


def _search(
    candidates: _Candidates,
    specs: Sequence[ServiceSpec],
    base: Problem,
    starts: _Starts,
    options: PlanOptions,
    deadline: float,
) -> _Found:
    """Stage 4: the cheapest packing of the count_min demand (and N+1 spares, if asked for)."""
    types, names = candidates.types, candidates.names
    counts_min = [s.count_min for s in specs]
    share = SEARCH_SHARE[options.landing > 0, options.plan_peak and any(s.count_max != s.count_min for s in specs)]
    result = _solve(
        base,
        time_limit=max(0.2, deadline - time.monotonic()),
        options=options,
        starts=starts.listed(),
        effort=options.time_limit * share,
    )
    layout = from_packing(base, result.packing, len(specs), counts_min).canonical(names)
    spares = 0
    with_spares: dict[str, tuple[int, str]] = {}
    if options.n_plus_one:
        tags = pool_tags(specs, [layout])
        layout, spares = add_spares(types, specs, layout, tags, names, max_pools=options.max_pools)
        # Greedy plans with their own spares compete too: the cheapest N+1 plan is kept.
        for packing, method in starts.listed():
            if packing is None or not packing.is_valid(base):
                continue
            own = from_packing(base, packing, len(specs), counts_min).canonical(names)
            own_tags = pool_tags(specs, [own])
            other, other_spares = add_spares(types, specs, own, own_tags, names, max_pools=options.max_pools)
            with_spares[method] = (other.cost(types), "priced with its own N+1 spare nodes")
            if other.cost(types) < layout.cost(types):
                layout, spares = other, other_spares
                result = replace(result, method=f"{method} (cheaper once N+1 spares are added)")
    return _Found(result, layout, spares, with_spares)


def _scheduler_stage(
    candidates: _Candidates, specs: Sequence[ServiceSpec], found: _Found, options: PlanOptions, deadline: float
) -> Landed:
    """Stage 5: pools, the pools each service may use, the submission order and extra nodes, so that
    the platform's scheduler (simulated) lands every replica on >= `options.landing` of the runs."""
    if options.landing <= 0:
        return unstaged(candidates.types, specs, found.layout, candidates.names)
    runs, cells = affordable_runs(run_cells(found.layout, options), options)
    if runs >= options.landing_runs:
        return land(candidates.types, specs, found.layout, candidates.names, options=options, deadline=deadline)
    fewer = replace(options, landing_runs=runs)
    landed = land(candidates.types, specs, found.layout, candidates.names, options=fewer, deadline=deadline)
    note = RUNS_NOTE.format(runs=runs, asked=options.landing_runs, cells=cells)
    return replace(landed, note="; ".join(x for x in (note, landed.note) if x))


def affordable_runs(cells: int, options: PlanOptions) -> tuple[int, int]:
    """(runs, cells per run): the seeded runs the time limit affords the scheduler stage, at most
    `landing_runs`, at least 1; decided by the input's size alone, so the plan is reproducible."""
    budget = RUN_CELLS_PER_SECOND * LANDING_RUN_SHARE * options.time_limit
    return max(1, min(options.landing_runs, int(budget // (RUN_PASSES * cells)))), cells


@dataclass(frozen=True)
class _Peak:
    result: SearchResult
    layout: Layout  # over the landed pool rows


def _peak(
    candidates: _Candidates, specs: Sequence[ServiceSpec], landed: Landed, options: PlanOptions, deadline: float
) -> tuple[_Peak, Landed]:
    """Stage 6: the count_max demand on the baseline's node types (others only where needed), on
    the baseline's pools (a node type only the peak needs gets a pool of its own)."""
    types = candidates.types
    counts_max = [s.count_max for s in specs]
    full = build_problem(types, specs, counts_max)
    used = np.unique(landed.type_of(landed.layout.types))
    if full.n_groups and (full.kmax[:, used] > 0).any(axis=1).all():
        problem = full.restrict(used)
    else:
        free = np.isin(np.arange(full.n_types), used)
        left = None if options.max_pools is None else max(0, options.max_pools - len(used))
        problem = replace(full, cap_free=free, max_pools=left)
    start = ffd(problem, class_types(problem))
    result = _solve(
        problem,
        time_limit=max(0.2, deadline - time.monotonic()),
        options=options,
        starts=[(start, "first-fit decreasing")],
        effort=options.time_limit * PEAK_EFFORT,
    )
    layout = from_packing(problem, result.packing, len(specs), counts_max)
    if options.n_plus_one:
        tags = pool_tags(specs, [layout])
        layout, _ = add_spares(types, specs, layout, tags, candidates.names, max_pools=options.max_pools)
    landed, on_pools = landed.onto_pools(layout)
    return _Peak(result, on_pools), landed


def _assemble(
    candidates: _Candidates,
    specs: tuple[ServiceSpec, ...],
    base: Problem,
    bound: float,
    starts: _Starts,
    found: _Found,
    landed: Landed,
    peak: _Peak | None,
    options: PlanOptions,
    clock: _Clock,
    tail: float,
) -> Plan:
    """Stage 7: pools, nodes, money, alternatives, explanations and assumptions as one `Plan`."""
    types, notes, currency = candidates.types, candidates.notes, candidates.notes["currency"]
    rows, layout, names = landed.pool_rows, landed.layout, landed.names
    tags = landed.tags(specs)
    count_max = landed.count_max(None if peak is None else peak.layout)
    pools = build_pools(rows, layout, names, tags, count_max)
    nodes = build_nodes(rows, layout, names, specs)
    cost_units = layout.cost(rows)
    bound_units = int(min(max(found.result.bound_units, bound), cost_units))
    monthly_cost, lower_bound = from_units(cost_units), bound_from_units(bound_units)
    until = clock.share(ALTERNATIVES_SHARE, keep=tail)
    alternatives = _alternatives(types, specs, base, starts, cost_units, options, until, found.with_spares, landed)
    peak_plan = None
    planned = {p.name for p in pools}
    on_demand = {  # pool -> on-demand price per node and month: what --commit's burst pays
        n: from_units(int(rows.at[t, "on_demand_units"])) for t, n in names.items() if options.commit and n in planned
    }
    if peak is not None:
        peak_cost = peak.layout.cost(rows)
        peak_nodes = build_nodes(rows, peak.layout, names, specs)
        if options.commit:  # the baseline's nodes are paid (committed) at peak too; the burst on demand
            peak_cost = committed_peak_units(pools, peak_nodes, on_demand)
        peak_bound = int(min(peak.result.bound_units, peak_cost))
        peak_plan = PeakPlan(
            monthly_cost=from_units(peak_cost),
            lower_bound=bound_from_units(peak_bound),
            gap=relative_gap(from_units(peak_cost), bound_from_units(peak_bound)),
            status="optimal" if peak_bound >= peak_cost else "feasible",
            nodes=peak_nodes,
        )
    first = next((a for a in alternatives if a.kind == "baseline_ffd"), None)
    assumptions: dict[str, Any] = {
        "capacity": options.capacity.to_dict(),
        "options": options.to_dict(),
        "catalogue": notes,
        "money": "monthly_price from the catalogue; totals exact in 1/10000 units, stored rounded to 4 decimals",
        "providers_match": "service and option providers match a provider name (any case) or uuid",
        "tags": TAGS_POLICY,
        "peak": PEAK_METHOD if peak is not None else "count_max equals count_min for every service: no peak plan",
        "n_plus_one": {"method": N_PLUS_ONE_METHOD, "spare_nodes": found.spares} if options.n_plus_one else None,
        "placement_simulation": PLACEMENT_METHOD,
        "scheduler_stage": landed.to_dict(currency),
        "usage": describe(options.usage) if options.usage else USAGE_NONE,
        "cost_per_service": COST_SHARE_METHOD,
        "commit": COMMIT_METHOD if options.commit else "off: every node at its on-demand price",
    }
    commit = None
    if options.commit:
        on_demand_units = int(landed.layout.cost(rows.assign(price_units=rows["on_demand_units"])))
        commit = Commitment(
            mode=options.commit,
            committed_monthly_cost=monthly_cost,
            on_demand_monthly_cost=from_units(on_demand_units),
            saving=from_units(on_demand_units - cost_units),
            on_demand_unit_prices=on_demand,
        )
    shares = cost_shares(nodes, {p.name: p.unit_monthly_price for p in pools})
    draft = Plan(
        monthly_cost=monthly_cost,
        lower_bound=lower_bound,
        gap=relative_gap(monthly_cost, lower_bound),
        status="optimal" if bound_units >= cost_units else "feasible",
        currency=currency,
        environment_uuid=candidates.environment_uuid,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        pools=pools,
        nodes=nodes,
        services=specs,
        alternatives=alternatives,
        peak=peak_plan,
        service_pools=landed.service_pools(specs),
        submission_order=landed.order(specs),
        expected_monthly_cost=None
        if options.usage is None
        else expected_monthly_cost(monthly_cost, None if peak_plan is None else peak_plan.monthly_cost, options.usage),
        usage=options.usage,
        commit=commit,
        service_costs=shares.of(specs),
        idle_monthly_cost=shares.idle,
    )
    placement = landed.estimate(draft)
    ok, failed = placement_of(draft)
    explanations = Explanations(
        summary=explain.summary(cost_units, bound_units, currency, pools, len(nodes), first, placement),
        bound=f"{found.result.bound_method}; plan found by {found.result.method}",
        pools=explain.pool_explanations(pools, nodes),
    )
    assumptions["solver"] = {
        "engine": "HiGHS",
        "method": found.result.method,
        "bound": found.result.bound_method,
        "seconds": round(clock.elapsed(), 3),
        "stats": found.result.stats,
    }
    return replace(
        draft,
        assumptions=assumptions,
        explanations=explanations,
        placement=placement,
        placement_check=PlacementCheck(ok, failed, PLACEMENT_METHOD),
    )


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


def _alternatives(
    types: pd.DataFrame,
    specs: Sequence[ServiceSpec],
    base: Problem,
    starts: _Starts,
    plan_units: int,
    options: PlanOptions,
    deadline: float,
    with_spares: dict[str, tuple[int, str]],
    landed: Landed,
) -> tuple[Any, ...]:
    """The greedy baselines, the best single-type plan, the best plan per provider, and the two
    ways to land without this planner's scheduler stage (uniform extra nodes, one pool per service).

    Greedy and per-provider plans are priced as packings (with N+1 their own spare nodes): the
    scheduler stage is not applied to them, as the notes say; the landing baselines are.
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
        return packing.cost(base), "packing only: not checked against the scheduler"

    out = []
    described = {
        "baseline_ffd": ("first-fit decreasing on the cheapest-per-capacity type", "first-fit decreasing"),
        "baseline_least_waste": (
            "cluster-autoscaler least-waste node type",
            "least idle CPU + memory share after scale-up, first-fit decreasing",
        ),
    }
    for kind, (name, method) in described.items():
        packing = starts.greedy[kind]
        if packing is not None and packing.n_nodes:
            name += f" ({label(int(packing.types[0]))})"
        cost, note = priced(kind, packing)
        out.append(explain.alternative(kind, name, cost, plan_units, method=method, note=note))
    single = starts.single
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
    out += list(landed.baselines(plan_units))
    per_service = one_pool_per_service(types, specs, max_pools=options.max_pools)
    out.append(
        explain.alternative(
            "pool_per_service",
            "one pool per service",
            per_service,
            plan_units,
            method="each service alone on the cheapest node type for its replicas (lands on every run: "
            "identical replicas on identical nodes)",
            note="" if per_service is not None else "more services than max_pools",
        )
    )
    out += _provider_alternatives(types, specs, plan_units, options, deadline)
    return tuple(out)


def _provider_alternatives(
    types: pd.DataFrame, specs: Sequence[ServiceSpec], plan_units: int, options: PlanOptions, deadline: float
) -> list[Any]:
    providers = sorted(set(types["provider"].astype(str)))
    if len(providers) <= 1:
        return []
    out = []
    budget = min(ALTERNATIVE_TIME, options.time_limit * 0.075 / len(providers))  # effort: reproducible
    for provider in providers:
        keep = (types["provider"].astype(str) == provider).to_numpy()
        try:
            problem = build_problem(
                types.loc[keep].reset_index(drop=True), specs, [s.count_min for s in specs], max_pools=options.max_pools
            )
        except InfeasiblePlan as exc:
            out.append(explain.alternative("single_provider", provider, None, plan_units, method="", note=str(exc)))
            continue
        start = ffd(problem, class_types(problem))
        ceiling = min(budget * 2, max(0.0, deadline - time.monotonic()) * 0.5 / len(providers))
        if ceiling < MIN_ALTERNATIVE_TIME:  # the time limit covers the whole call
            note = "not planned: the time limit was spent (first-fit decreasing shown)"
            cost = None if start is None else start.cost(problem)
            out.append(explain.alternative("single_provider", provider, cost, plan_units, method="ffd", note=note))
            continue
        try:
            found = solve(
                problem,
                time_limit=ceiling,
                target_gap=0.01,
                seed=options.seed,
                starts=[(start, "ffd")],
                effort=budget,
            )
        except (RuntimeError, PlanningError) as exc:
            out.append(explain.alternative("single_provider", provider, None, plan_units, method="", note=str(exc)))
            continue
        out.append(
            explain.alternative(
                "single_provider",
                provider,
                found.cost_units,
                plan_units,
                bound_units=found.bound_units,
                method=f"planner restricted to {provider}, {budget:.1f} s",
                note="packing only: not checked against the scheduler",
            )
        )
    return out


def _single_environment(types: pd.DataFrame) -> str | None:
    envs = sorted(set(types["environment_uuid"].astype(str)) - {""})
    return envs[0] if len(envs) == 1 else None
