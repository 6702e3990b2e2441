"""Independent verification of a plan from its JSON alone: no solver, no planner state.

Every check is re-derived from the document: capacities (from the recorded capacity model),
per-node fit in both dimensions, spread, provider and tag constraints, the pools each service may
use and the submission order, replica counts per service, pool counts, money to the 1/10 000 unit,
the bound, the options, N+1 and the peak; and the scheduler model is the referee of the placement
claims: the best-fit `placement_check`, and the `placement` estimate recomputed with the plan's own
seed and run count (the same figures, to the run).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from costplan.errors import InputError, PlanVerificationError
from costplan.planner.capacity import CapacityModel, matches_provider
from costplan.planner.scheduler import MODES, PlanView, estimate, from_plan, lost_node_failures, schedule
from costplan.planner.scheduler import submission_indexes as default_order
from costplan.plans import PlacementEstimate, Plan, may_use, relative_gap, to_units
from costplan.sharing import cost_shares
from costplan.usage import committed_peak_units, expected_monthly_cost

MAX_REPORTED = 12
FIGURES_TOLERANCE = 5e-5  # the placement block's figures may be stored rounded to 4 decimals


def verify_plan(plan: Plan | Mapping[str, Any], *, estimate_placement: bool = True) -> None:
    """Raise `PlanVerificationError` listing what is wrong with the plan (nothing = valid).

    `estimate_placement=False` skips re-running the scheduler model on the placement claims (the
    placement block's Monte Carlo estimate and the best-fit `placement_check`): for `make_plan`,
    which has just computed both with the same model from the same plan JSON view."""
    data = plan.to_dict() if isinstance(plan, Plan) else plan
    try:
        parsed = Plan.from_dict(data)
    except InputError as exc:
        raise PlanVerificationError(f"plan is malformed: {exc}") from exc
    problems = _check(parsed, data, estimate_placement)
    if problems:
        more = f" (and {len(problems) - MAX_REPORTED} more)" if len(problems) > MAX_REPORTED else ""
        raise PlanVerificationError("plan fails verification: " + "; ".join(problems[:MAX_REPORTED]) + more)


def bound_problems(plan: Plan) -> list[str]:
    """The bound, the gap and the status must agree with the cost: checkable on any plan, even one without nodes."""
    out = []
    if to_units(plan.lower_bound) > to_units(plan.monthly_cost):
        out.append(f"lower_bound {plan.lower_bound} exceeds monthly_cost {plan.monthly_cost}")
    if abs(plan.gap - relative_gap(plan.monthly_cost, plan.lower_bound)) > 1e-6:
        out.append(f"gap {plan.gap} does not match cost and bound")
    if plan.status == "optimal" and to_units(plan.lower_bound) != to_units(plan.monthly_cost):
        out.append("status is optimal but the bound does not meet the cost")
    return out


def _check(plan: Plan, data: Mapping[str, Any], estimate_placement: bool = True) -> list[str]:
    out: list[str] = []
    services = {s.name: s for s in plan.services}
    if len(services) != len(plan.services):
        out.append("duplicate service names")
    pools = {p.name: p for p in plan.pools}
    if len(pools) != len(plan.pools):
        out.append("duplicate pool names")
    assumptions = plan.assumptions
    options = assumptions.get("options", {}) if isinstance(assumptions.get("options"), Mapping) else {}

    # Pools: counts, money, capacity re-derived from the recorded model.
    model = None
    if isinstance(assumptions.get("capacity"), Mapping):
        try:
            model = CapacityModel.from_dict(assumptions["capacity"])
        except Exception as exc:  # a corrupted model is a verification failure, whatever broke
            out.append(f"capacity model unreadable: {exc}")
    total = 0
    for p in plan.pools:
        if p.count_min < 0 or p.count_max < p.count_min:
            out.append(f"pool {p.name}: count_min {p.count_min} / count_max {p.count_max}")
        if to_units(p.monthly_cost) != p.count_min * to_units(p.unit_monthly_price):
            out.append(f"pool {p.name}: monthly_cost {p.monthly_cost} != {p.count_min} x {p.unit_monthly_price}")
        total += to_units(p.monthly_cost)
        if model is not None and p.vcpus is not None and p.memory_gb is not None:
            if model.node_capacity(p.provider, p.vcpus, p.memory_gb) != (p.cpu_mhz, p.memory_mb):
                out.append(
                    f"pool {p.name}: capacity {p.cpu_mhz} MHz / {p.memory_mb} MB does not follow the capacity model"
                )
        if p.cpu_mhz <= 0 or p.memory_mb <= 0:
            out.append(f"pool {p.name}: no usable capacity")
    if to_units(plan.monthly_cost) != total:
        out.append(f"monthly_cost {plan.monthly_cost} != sum of pool costs {total / 10_000}")

    out += bound_problems(plan)

    # Options that constrain every pool.
    allowed = [str(x) for x in options.get("providers") or []]
    excluded = [str(x) for x in options.get("exclude_providers") or []]
    for p in plan.pools:
        if allowed and not matches_provider(allowed, p.provider, p.provider_uuid):
            out.append(f"pool {p.name}: provider {p.provider} is not among the allowed providers")
        if excluded and matches_provider(excluded, p.provider, p.provider_uuid):
            out.append(f"pool {p.name}: provider {p.provider} is excluded")
    max_pools = options.get("max_pools")
    if isinstance(max_pools, int) and len(plan.pools) > max_pools:
        out.append(f"{len(plan.pools)} pools exceed max_pools {max_pools}")
    env = options.get("environment_uuid")
    if env and plan.environment_uuid != env:
        out.append(f"environment {plan.environment_uuid} is not the requested {env}")

    # Baseline nodes: the count_min demand; peak nodes: the count_max demand within count_max.
    # The baseline nodes of a plan with a placement estimate are the scheduler model's placement in a
    # landing run, where spread is a preference (the platform may break it); a packing must keep it.
    want_min = {n: s.count_min for n, s in services.items()}
    out += _check_nodes("nodes", plan.nodes, pools, services, want_min, spread_rule=plan.placement is None)
    per_pool = Counter(n.pool for n in plan.nodes)
    for p in plan.pools:
        if per_pool.get(p.name, 0) != p.count_min:
            out.append(f"pool {p.name}: count_min {p.count_min} but {per_pool.get(p.name, 0)} nodes")
    if plan.peak is not None:
        out += _check_nodes("peak", plan.peak.nodes, pools, services, {n: s.count_max for n, s in services.items()})
        peak_pool = Counter(n.pool for n in plan.peak.nodes)
        for p in plan.pools:
            if peak_pool.get(p.name, 0) > p.count_max:
                out.append(f"pool {p.name}: count_max {p.count_max} but {peak_pool[p.name]} peak nodes")
        peak_total = sum(peak_pool.get(p.name, 0) * to_units(p.unit_monthly_price) for p in plan.pools)
        if plan.commit is not None:
            peak_total = committed_peak_units(plan.pools, plan.peak.nodes, plan.commit.on_demand_unit_prices)
        if to_units(plan.peak.monthly_cost) != peak_total:
            out.append(f"peak monthly_cost {plan.peak.monthly_cost} != its nodes' cost {peak_total / 10_000}")
        if to_units(plan.peak.lower_bound) > to_units(plan.peak.monthly_cost):
            out.append("peak lower_bound exceeds the peak cost")
    out += _check_constraints(plan)
    out += _check_usage_fields(plan)
    if out:
        return out

    # Simulations: the scheduler model is the referee (best fit for placement_check, the seeded
    # estimate for the placement block, best fit again for N+1).
    if plan.placement_check is not None and estimate_placement:
        lands, failed = placement_of(plan)
        if plan.placement_check.succeeds != lands:
            out.append(
                f"placement_check says succeeds={plan.placement_check.succeeds}, simulation says {lands} {failed}"
            )
    if plan.placement is not None:
        out += _check_placement(plan.placement, from_plan(plan)) if estimate_placement else []
        premium = to_units(plan.monthly_cost) - to_units(plan.placement.packing_cost)
        if plan.placement.packing_cost and to_units(plan.placement.premium) != premium:  # 0: not stated
            out.append("placement: premium is not monthly_cost - packing_cost")
        if plan.placement.packing_cost and to_units(plan.placement.packing_cost) < to_units(plan.lower_bound):
            out.append("placement: packing_cost is below the lower bound")
    if options.get("n_plus_one"):
        for label, peak in (("nodes", False), ("peak", True)):
            if peak and plan.peak is None:
                continue
            nodes = from_plan(plan, peak=peak, distinct_hosts=True)
            order = default_order(plan.services, nodes.cluster)  # the planner's N+1 re-placement order
            failing = lost_node_failures(nodes.cluster, nodes.counts, order)
            if failing:
                out.append(f"N+1 fails in {label}: losing node #{failing[0]} leaves replicas unplaceable")
    return out


def _check_usage_fields(plan: Plan) -> list[str]:
    """Expected cost, the commit block and the cost per service agree with the plan's own figures."""
    out = []
    if plan.usage is not None and plan.expected_monthly_cost is not None:
        peak = None if plan.peak is None else plan.peak.monthly_cost
        want = expected_monthly_cost(plan.monthly_cost, peak, plan.usage)
        if to_units(plan.expected_monthly_cost) != to_units(want):
            out.append(f"expected_monthly_cost {plan.expected_monthly_cost} != {want} for its usage")
    if plan.commit is not None:
        c = plan.commit
        on_demand = sum(p.count_min * to_units(c.on_demand_unit_prices.get(p.name, 0.0)) for p in plan.pools)
        committed = to_units(c.committed_monthly_cost)
        if committed != to_units(plan.monthly_cost) or to_units(c.on_demand_monthly_cost) != on_demand:
            out.append("commit: committed or on-demand monthly cost does not match the pools")
        if to_units(c.saving) != to_units(c.on_demand_monthly_cost) - to_units(c.committed_monthly_cost):
            out.append("commit: saving is not on_demand_monthly_cost - committed_monthly_cost")
    prices = {p.name: p.unit_monthly_price for p in plan.pools}
    if plan.service_costs and plan.idle_monthly_cost is not None and all(n.pool in prices for n in plan.nodes):
        shares = cost_shares(plan.nodes, prices)
        if dict(plan.service_costs) != shares.of(plan.services):
            out.append("services[].monthly_cost do not split the nodes' cost by their binding dimension")
        if to_units(plan.idle_monthly_cost) != to_units(shares.idle):
            out.append(f"idle_monthly_cost {plan.idle_monthly_cost} != {shares.idle}")
    return out


def placement_of(plan: Plan) -> tuple[bool, dict[str, int]]:
    """The `placement_check`: the model's deterministic best fit of the count_min demand on the plan's
    empty nodes, each service on its pools, in submission order, spread services kept apart."""
    strict = from_plan(plan, distinct_hosts=True)  # the planner's checks keep spread services apart
    # The best-fit run as `estimate` makes it keeps no [S, N] placement (`schedule` does: 1.3 GB at
    # 10,000 services x 16,000 nodes); only a run that does not land is replayed for its counts.
    run = estimate(strict.cluster, strict.count_min, strict.order, runs=1, mode="best-fit", autoscale=False)
    if run.landed:
        return True, {}
    check = schedule(strict.cluster, strict.count_min, strict.order, mode="best-fit")
    return check.lands, check.failed


def _check_constraints(plan: Plan) -> list[str]:
    """`services[].pools` name plan pools the service may use (providers, tags), every replica sits
    on one of them, and `submission_order` lists each service exactly once."""
    out: list[str] = []
    pools = {p.name: p for p in plan.pools}
    for spec in plan.services:
        listed = plan.pools_of(spec.name)
        for name in listed:
            if name not in pools:
                out.append(f"service {spec.name}: pools names {name!r}, not a pool of the plan")
            elif not may_use(spec, pools[name]):
                out.append(f"service {spec.name}: pools lists {name}, whose provider or tags it may not use")
        planned = spec.count_min if plan.peak is None else max(spec.count_min, spec.count_max)
        if planned > 0 and not listed:
            out.append(f"service {spec.name}: no pool it may use")
    named = {s.name for s in plan.services}
    for label, nodes in (("nodes", plan.nodes), ("peak", plan.peak.nodes if plan.peak else ())):
        for i, node in enumerate(nodes):
            for name in sorted({r.service for r in node.replicas}):
                if name in named and node.pool not in plan.pools_of(name):
                    out.append(f"{label}[{i}]: {name} runs on pool {node.pool}, not among its pools")
    if plan.submission_order and sorted(plan.submission_order) != sorted(s.name for s in plan.services):
        out.append(
            f"submission_order {list(plan.submission_order)} is not a permutation of the services "
            f"{[s.name for s in plan.services]}"
        )
    return out


def _check_placement(claimed: PlacementEstimate, view: PlanView) -> list[str]:
    """The placement block against a fresh estimate with the plan's own model, seed and run count."""
    if claimed.model not in MODES:
        return [f"placement.model {claimed.model!r} is not one of {', '.join(MODES)}"]
    if claimed.runs < 1:
        return [f"placement.runs {claimed.runs} must be >= 1"]
    landing = estimate(
        view.cluster, view.count_min, view.order, runs=claimed.runs, seed=claimed.seed, mode=claimed.model
    )
    fresh = landing.placement(target=claimed.target)
    out: list[str] = []
    exact = ("landed_runs", "extra_nodes_p95")
    close = (
        "landing_probability",
        "landing_lower_bound",
        "extra_nodes_expected",
        "extra_monthly_cost_expected",
        "extra_monthly_cost_p95",
    )
    for name in exact:
        if getattr(claimed, name) != getattr(fresh, name):
            out.append(f"placement.{name} is {getattr(claimed, name)}, the scheduler model says {getattr(fresh, name)}")
    for name in close:
        if abs(getattr(claimed, name) - getattr(fresh, name)) > FIGURES_TOLERANCE:
            out.append(f"placement.{name} is {getattr(claimed, name)}, the scheduler model says {getattr(fresh, name)}")
    kept, want = dict(claimed.spread_kept), fresh.spread_kept
    if set(kept) != set(want) or any(abs(kept[k] - want[k]) > FIGURES_TOLERANCE for k in want):
        out.append(f"placement.spread_kept is {kept}, the scheduler model says {dict(want)}")
    return out


def _check_nodes(
    label: str,
    nodes: Sequence[Any],
    pools: Mapping[str, Any],
    services: Mapping[str, Any],
    want: Mapping[str, int],
    *,
    spread_rule: bool = True,
) -> list[str]:
    out: list[str] = []
    placed: Counter[str] = Counter()
    for i, node in enumerate(nodes):
        where = f"{label}[{i}]"
        pool = pools.get(node.pool)
        if pool is None:
            out.append(f"{where}: unknown pool {node.pool!r}")
            continue
        if (node.cpu_mhz, node.memory_mb) != (pool.cpu_mhz, pool.memory_mb):
            out.append(f"{where}: capacity differs from its pool {pool.name}")
        cpu = mem = 0
        on_node: Counter[str] = Counter()
        for r in node.replicas:
            spec = services.get(r.service)
            if spec is None:
                out.append(f"{where}: replica of unknown service {r.service!r}")
                continue
            if (r.cpu_mhz, r.memory_mb) != (spec.cpu_mhz, spec.memory_mb):
                out.append(
                    f"{where}: replica of {r.service} reserves {r.cpu_mhz}/{r.memory_mb}, "
                    f"not {spec.cpu_mhz}/{spec.memory_mb}"
                )
            cpu += r.cpu_mhz
            mem += r.memory_mb
            on_node[r.service] += 1
            placed[r.service] += 1
        if cpu > pool.cpu_mhz or mem > pool.memory_mb:
            out.append(
                f"{where} ({pool.name}): {cpu} MHz / {mem} MB placed on {pool.cpu_mhz} MHz / {pool.memory_mb} MB"
            )
        for name, k in on_node.items():
            spec = services.get(name)
            if spec is None:
                continue
            if spec.spread and k > 1 and spread_rule:
                out.append(f"{where}: {k} replicas of spread service {name}")
            if spec.providers and not matches_provider(spec.providers, pool.provider, pool.provider_uuid):
                out.append(f"{where}: {name} is limited to {', '.join(spec.providers)}, pool is {pool.provider}")
            if not set(spec.tags) <= set(pool.tags):
                out.append(f"{where}: {name} needs tags {sorted(spec.tags)}, pool {pool.name} has {sorted(pool.tags)}")
    for name, k in want.items():
        if placed.get(name, 0) != k:
            out.append(f"{label}: service {name} has {placed.get(name, 0)} replicas, demand is {k}")
    return out
