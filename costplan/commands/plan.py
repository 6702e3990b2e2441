"""`costplan plan SERVICES_FILE`: the cheapest pools for a services spec, with a proven bound.

Register in `costplan.cli.COMMANDS`: `"plan": "costplan.commands.plan:plan"`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import click

from costplan.commands._shared import (
    App,
    emit_records,
    emit_summary,
    max_monthly_cost_option,
    notice_line,
    output_option,
    pass_app,
    report_gates,
    resolve_gates,
)

if TYPE_CHECKING:
    from costplan.plans import Plan

POOL_COLUMNS = (
    "pool",
    "provider",
    "instance_type",
    "count_min",
    "count_max",
    "unit_monthly_price",
    "monthly_cost",
    "cpu_used_pct",
    "memory_used_pct",
    "tags",
    "price_note",
)
POOL_OPTIONAL = ("unit_monthly_price", "pool", "tags")  # left out first (last first) on narrow screens
ALTERNATIVE_COLUMNS = ("alternative", "monthly_cost", "extra_cost", "note")
SERVICE_COLUMNS = ("service", "count_min", "count_max", "monthly_cost", "share_pct")


def landing_option(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """`--landing P`: a probability in [0, 1]; anything else (1.5, -1, nan) is a usage error (exit 2)."""
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise click.BadParameter(f"must be a probability between 0 and 1 (0: no scheduler stage), got {value!r}")
    return value


landing = click.option(
    "--landing",
    type=float,
    callback=landing_option,
    default=0.99,
    show_default=True,
    help="Share of simulated scheduler runs on which every replica must land (0: the packing alone).",
)


@click.command()
@click.argument("services_file", type=click.Path(dir_okay=False))
@click.option(
    "--catalogue",
    "catalogue_path",
    type=click.Path(),
    help="Catalogue: a snapshot, a snapshot directory, or a CSV/Parquet/JSON file "
    "(default: the latest snapshot; collects one first when there is none).",
)
@click.option("--mhz-per-vcpu", type=click.FloatRange(min=0, min_open=True), help="CPU MHz per vCPU [2793].")
@click.option("--overhead-cpu-mhz", type=click.FloatRange(min=0), help="Platform CPU reserved per node [650].")
@click.option("--overhead-memory-mb", type=click.FloatRange(min=0), help="Memory per node not for services [921].")
@click.option(
    "--headroom", type=click.FloatRange(min=0, max=1, max_open=True), help="Fraction of each node kept free [0]."
)
@click.option(
    "--time-limit", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True, help="Seconds."
)
@click.option(
    "--target-gap", type=click.FloatRange(min=0, max=1, max_open=True), default=0.0, help="Stop at this proven gap."
)
@click.option("--n-plus-one", is_flag=True, help="Losing any one node must leave every replica placeable.")
@landing
@click.option(
    "--landing-runs", type=click.IntRange(min=1), default=200, show_default=True, help="Seeded scheduler runs."
)
@click.option("--landing-seed", type=int, default=0, show_default=True, help="Seed of the first scheduler run.")
@click.option("--max-pools", type=click.IntRange(min=1), help="At most this many distinct pools (node types).")
@click.option("--provider", "providers", multiple=True, help="Only this provider (name or uuid); repeatable.")
@click.option("--exclude-provider", "excluded", multiple=True, help="Never this provider; repeatable.")
@click.option("--pool-prefix", default="cp", show_default=True, help="Pools are named <prefix>-<provider>-<type>.")
@click.option("--environment", "environment_uuid", help="Only this environment's providers; recorded in the plan.")
@click.option(
    "--peak-hours",
    type=click.FloatRange(min=0, max=720),
    help="Hours a month at peak (count_max), for the expected monthly cost; overrides the services "
    "file's usage block. A month is 720 h, as the API prices it.",
)
@click.option(
    "--commit",
    type=click.Choice(["baseline"]),
    help="Price the always-on baseline at committed (reserved) prices where the catalogue has them, "
    "the burst above it on demand; the planner then picks types for those prices. Off by default.",
)
@max_monthly_cost_option("the plan's monthly cost")
@output_option()
@click.option("--save", "save_path", type=click.Path(dir_okay=False), help="Also write the plan JSON to this file.")
@pass_app
def plan(
    app: App,
    services_file: str,
    catalogue_path: str | None,
    mhz_per_vcpu: float | None,
    overhead_cpu_mhz: float | None,
    overhead_memory_mb: float | None,
    headroom: float | None,
    time_limit: float,
    target_gap: float,
    n_plus_one: bool,
    landing: float,
    landing_runs: int,
    landing_seed: int,
    max_pools: int | None,
    providers: tuple[str, ...],
    excluded: tuple[str, ...],
    pool_prefix: str,
    environment_uuid: str | None,
    peak_hours: float | None,
    commit: str | None,
    max_monthly_cost: float | None,
    output: str,
    save_path: str | None,
) -> None:
    """Plan the cheapest instance pools for the services in SERVICES_FILE (YAML or JSON).

    The plan states its monthly cost, a proven lower bound (no plan can be cheaper)
    and the gap between them; `--save` writes the plan file that `provision` and
    `report` read. Capacity options override the defaults for every provider.

    \b
    Example:
        costplan plan examples/services.yaml
        costplan plan services.yaml --catalogue what-if.csv --headroom 0.1 --n-plus-one
        costplan plan services.yaml --max-pools 2 --exclude-provider AWS -o json --save plan.json
        costplan plan services.yaml --landing 0.999 --landing-runs 1000
        costplan plan services.yaml --landing 0   # the packing alone, no scheduler stage
        costplan plan services.yaml --peak-hours 200 --commit baseline
        costplan plan services.yaml --save new.json --max-monthly-cost 500 -o markdown
    """
    from costplan.commands.catalogue import load_or_collect
    from costplan.demand import load_demand
    from costplan.planner import CapacityModel, PlanOptions, make_plan
    from costplan.usage import flag_usage

    gates = resolve_gates(app, max_monthly_cost, None)
    services, usage = load_demand(services_file)
    if peak_hours is not None:
        usage = flag_usage(peak_hours)
    capacity_flags = {
        "mhz_per_vcpu": mhz_per_vcpu,
        "overhead_cpu_mhz": overhead_cpu_mhz,
        "overhead_memory_mb": overhead_memory_mb,
        "headroom": headroom,
    }
    given: dict[str, Any] = {k: v for k, v in capacity_flags.items() if v is not None}
    capacity = CapacityModel(**given)
    options = PlanOptions(
        capacity=capacity,
        time_limit=time_limit,
        target_gap=target_gap,
        n_plus_one=n_plus_one,
        landing=landing,
        landing_runs=landing_runs,
        landing_seed=landing_seed,
        max_pools=max_pools,
        providers=providers,
        exclude_providers=excluded,
        environment_uuid=environment_uuid,
        pool_prefix=pool_prefix,
        currency=app.settings.currency,
        currency_rates=app.currency_rates(),
        usage=usage,
        commit=commit,
    )
    catalogue = load_or_collect(app, catalogue_path)
    notice_line(
        f"planning {sum(s.count_min for s in services)} replicas of {len(services)} services "
        f"(time limit {time_limit:g} s)"
    )
    result = make_plan(catalogue.frame, services, options)
    notes = result.assumptions.get("catalogue", {})
    where = f" of environment {result.environment_uuid}" if result.environment_uuid else ""
    notice_line(
        f"candidates: {notes.get('candidate_types')} instance types{where} (of {len(catalogue.frame)} in the catalogue)"
    )
    if notes.get("environment"):
        notice_line(f"environment {notes['environment']}")
    if save_path:
        notice_line(f"plan written to {result.save(save_path)}")
    _emit(result, output)
    if output != "json":
        for rate in result.assumptions.get("catalogue", {}).get("currency_conversion", {}).values():
            notice_line(f"prices converted at {rate}")
        if result.placement is None:
            notice_line(
                "note: --landing 0: the platform's scheduler was not simulated; the packing may not land as shown"
            )
    from costplan.gates import check

    report_gates(check(gates, currency=result.currency, new=result.monthly_cost), output)


def _emit(result: Plan, output: str) -> None:
    if output == "json":
        click.echo(result.to_json())
        return
    if output == "csv":  # the pools, one row each; the whole plan is --output json / --save
        emit_records(_pool_rows(result), "csv", columns=POOL_COLUMNS)
        return
    if output == "markdown":  # a pull-request comment: the sentence first, then the pools
        click.echo("### costplan plan\n")
        emit_summary(f"{_title(result)}. {result.explanations.summary}".strip(), output)
        emit_records(_pool_rows(result), output, columns=POOL_COLUMNS, title=f"Pools ({result.currency} a month)")
        emit_records(_alternative_rows(result), output, columns=ALTERNATIVE_COLUMNS, title="Rejected alternatives")
        emit_records(_service_rows(result), output, columns=SERVICE_COLUMNS, title=_service_title(result))
        return
    emit_records(_pool_rows(result), "table", columns=POOL_COLUMNS, title=_title(result), optional=POOL_OPTIONAL)
    emit_records(_alternative_rows(result), "table", columns=ALTERNATIVE_COLUMNS, title="Rejected alternatives")
    emit_records(_service_rows(result), "table", columns=SERVICE_COLUMNS, title=_service_title(result))
    notice_line(result.explanations.summary)
    for line in _usage_lines(result):
        notice_line(line)


def _title(result: Plan) -> str:
    expected = result.expected_monthly_cost
    title = (
        f"{result.monthly_cost:,.2f} {result.currency}/month, {len(result.nodes)} nodes, {result.status} "
        f"(lower bound {result.lower_bound:,.2f}, gap {result.gap:.2%})"
        + (f"; expected {expected:,.2f} with peak hours" if expected is not None else "")
        + ("; baseline at committed prices" if result.commit is not None else "")
    )
    p = result.placement
    if p is None:
        return title
    return (
        f"{title}; lands on {p.landing_probability:.1%} of {p.runs} runs (95 % lower bound "
        f"{p.landing_lower_bound:.1%}), premium {p.premium:,.2f} over the packing {p.packing_cost:,.2f}"
    )


def _usage_lines(result: Plan) -> list[str]:
    """Baseline, peak and expected figures and the committed-price saving, each naming the currency."""
    c = result.currency
    peak = result.peak.monthly_cost if result.peak is not None else result.monthly_cost
    lines = [f"baseline {result.monthly_cost:,.2f} {c}/month, peak {peak:,.2f} {c}/month (all hours at count_max)"]
    if result.expected_monthly_cost is not None and result.usage is not None:
        from costplan.usage import describe

        lines.append(f"expected {result.expected_monthly_cost:,.2f} {c}/month: {describe(result.usage)}")
    if result.commit is not None:
        m = result.commit
        lines.append(
            f"committed baseline {m.committed_monthly_cost:,.2f} {c}/month vs {m.on_demand_monthly_cost:,.2f} "
            f"{c}/month on demand for the same nodes: saving {m.saving:,.2f} {c}/month (--commit {m.mode})"
        )
    return lines


def _service_title(result: Plan) -> str:
    idle = result.idle_monthly_cost
    tail = f", idle {idle:,.2f} {result.currency}/month apart" if idle is not None else ""
    return f"Cost per service ({result.currency}/month of the baseline, by each node's binding dimension{tail})"


def _service_rows(result: Plan) -> list[dict[str, Any]]:
    total = result.monthly_cost
    rows = [
        {
            "service": s.name,
            "count_min": s.count_min,
            "count_max": s.count_max,
            "monthly_cost": result.service_costs.get(s.name),
            "share_pct": None if not total else round(100 * result.service_costs.get(s.name, 0.0) / total, 1),
        }
        for s in result.services
    ]
    if result.idle_monthly_cost is not None:
        idle = result.idle_monthly_cost
        rows.append(
            {
                "service": "(idle)",
                "monthly_cost": idle,
                "share_pct": None if not total else round(100 * idle / total, 1),
            }
        )
    return rows


def _pool_rows(result: Plan) -> list[dict[str, Any]]:
    usage = {e.pool: e for e in result.explanations.pools}
    notes = result.assumptions.get("catalogue", {}).get("price_notes", {})
    return [
        {
            "pool": p.name,
            "provider": p.provider,
            "instance_type": p.instance_type,
            "count_min": p.count_min,
            "count_max": p.count_max,
            "unit_monthly_price": p.unit_monthly_price,
            "monthly_cost": p.monthly_cost,
            "cpu_used_pct": usage[p.name].cpu_utilisation if p.name in usage else None,
            "memory_used_pct": usage[p.name].memory_utilisation if p.name in usage else None,
            "tags": ",".join(p.tags),
            "price_note": notes.get(p.instance_type_uuid),
        }
        for p in result.pools
    ]


def _alternative_rows(result: Plan) -> list[dict[str, Any]]:
    return [
        {
            "alternative": a.name,
            "monthly_cost": a.monthly_cost,
            "extra_cost": a.extra_cost,
            "note": a.note,
        }
        for a in result.alternatives
    ]
