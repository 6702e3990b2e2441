"""`costplan diff OLD NEW | OLD --environment UUID`: pools, service moves and monthly cost between two plans.

Register in `costplan.cli.COMMANDS`: `"diff": "costplan.commands.diff:diff"`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from costplan.commands._shared import (
    App,
    check_only_if_changed,
    emit_records,
    emit_summary,
    fail_on_increase_option,
    max_monthly_cost_option,
    only_if_changed_option,
    output_option,
    pass_app,
    report_gates,
    resolve_gates,
)

if TYPE_CHECKING:
    from costplan.diff import Diff

POOL_COLUMNS = (
    "change",
    "pool",
    "provider",
    "instance_type",
    "count_min",
    "count_max",
    "monthly_before",
    "monthly_after",
    "detail",
)
SERVICE_COLUMNS = ("change", "service", "before", "after")
CSV_COLUMNS = (
    "kind",
    "change",
    "name",
    "provider",
    "instance_type_old",
    "instance_type_new",
    "count_min_old",
    "count_min_new",
    "count_max_old",
    "count_max_new",
    "monthly_cost_old",
    "monthly_cost_new",
    "difference",
    "percent",
    "currency",
    "old",
    "new",
)


@click.command()
@click.argument("old", metavar="OLD.json", type=click.Path(dir_okay=False))
@click.argument("new", metavar="[NEW.json]", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--environment",
    "environment_uuid",
    metavar="UUID",
    help="Instead of NEW.json: what the environment runs now (its pools, counts and prices today).",
)
@max_monthly_cost_option("the NEW monthly cost")
@fail_on_increase_option("the monthly cost")
@only_if_changed_option
@output_option()
@pass_app
def diff(
    app: App,
    old: str,
    new: str | None,
    environment_uuid: str | None,
    max_monthly_cost: float | None,
    fail_on_increase: Any,
    only_if_changed: bool,
    output: str,
) -> None:
    """Compare two plans: pools added, removed or resized, services moved, monthly cost before -> after.

    With --environment UUID in place of NEW.json, NEW is what the environment runs now: its pools
    with their instance counts now, priced at today's prices (as `costplan status` shows them).
    Both sides must be in one currency. Exits 0 whatever changed, unless a gate fails
    (--max-monthly-cost, --fail-on-increase or [gates] in the config file): then 3, after printing.

    \b
    Example:
        costplan diff main.json new.json
        costplan diff main.json new.json --output markdown --fail-on-increase 5%
        costplan diff plan.json --environment e7b73b16-7931-4878-944f-bdb97c5b1d85 -o json
    """
    from costplan.diff import diff_sides, side_from_plan
    from costplan.provisioner import load_plan

    check_only_if_changed(only_if_changed, output)
    if (new is None) == (environment_uuid is None):
        raise click.UsageError("give NEW.json or --environment UUID (what runs now), one of them")
    gates = resolve_gates(app, max_monthly_cost, fail_on_increase)
    before = side_from_plan(load_plan(old), old)
    if new is not None:
        after = side_from_plan(load_plan(new), new)
    else:
        from costplan.provisioner import reconcile_delays
        from costplan.provisioner.reader import EnvironmentReader
        from costplan.provisioner.status import environment_side

        assert environment_uuid is not None
        settings = app.settings
        reader = EnvironmentReader(
            app.client(), reconcile_delays=reconcile_delays(settings), concurrency=settings.concurrency
        )
        after = environment_side(reader, environment_uuid, currency=settings.currency)
    result = diff_sides(before, after)
    printed = not (only_if_changed and not result.changed)
    if printed:
        emit_diff(result, output)
    from costplan.gates import check

    verdicts = check(gates, currency=result.currency, new=result.monthly_cost.new, old=result.monthly_cost.old)
    report_gates(verdicts, output, printed=printed)


def emit_diff(result: Diff, output: str) -> None:
    """The diff in one of the output formats: the summary first, then pools, then services."""
    if output == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    if output == "csv":
        emit_records(csv_rows(result), "csv", columns=CSV_COLUMNS)
        emit_summary(result.summary(), "csv")
        return
    if output == "markdown":
        click.echo(f"### costplan: {result.old.source} -> {result.new.source}\n")
    emit_summary(result.summary(), output)
    emit_records(pool_rows(result), output, columns=POOL_COLUMNS, title=f"Pools ({result.currency} a month)")
    if result.services:
        emit_records(service_rows(result), output, columns=SERVICE_COLUMNS, title="Services moved")


def _arrow(before: Any, after: Any) -> str:
    if before is None or after is None:
        return str(after if before is None else before)
    return str(after) if before == after else f"{before} -> {after}"


def pool_rows(result: Diff) -> list[dict[str, Any]]:
    rows = []
    for change in result.pools:
        a, b = change.old, change.new
        rows.append(
            {
                "change": change.change,
                "pool": change.name,
                "provider": _arrow(a and a.provider, b and b.provider),
                "instance_type": _arrow(a and a.instance_type, b and b.instance_type),
                "count_min": _arrow(a and a.count_min, b and b.count_min),
                "count_max": _arrow(a and a.count_max, b and b.count_max),
                "monthly_before": None if a is None else a.monthly_cost,
                "monthly_after": None if b is None else b.monthly_cost,
                "detail": ", ".join(change.changes),
            }
        )
    return rows


def service_rows(result: Diff) -> list[dict[str, Any]]:
    from costplan.diff import placements_text

    return [
        {"change": s.change, "service": s.name, "before": placements_text(s.old), "after": placements_text(s.new)}
        for s in result.services
    ]


def csv_rows(result: Diff) -> list[dict[str, Any]]:
    """One row per pool change and service move, and a `total` row with the monthly cost."""
    from costplan.diff import placements_text

    rows: list[dict[str, Any]] = []
    for change in result.pools:
        a, b = change.old, change.new
        cost = change.cost
        either = b or a
        rows.append(
            {
                "kind": "pool",
                "change": change.change,
                "name": change.name,
                "provider": either.provider if either else None,
                "instance_type_old": a and a.instance_type,
                "instance_type_new": b and b.instance_type,
                "count_min_old": a and a.count_min,
                "count_min_new": b and b.count_min,
                "count_max_old": a and a.count_max,
                "count_max_new": b and b.count_max,
                "monthly_cost_old": a and a.monthly_cost,
                "monthly_cost_new": b and b.monthly_cost,
                "difference": cost.difference,
                "percent": cost.percent,
                "currency": result.currency,
            }
        )
    for move in result.services:
        old, new = placements_text(move.old), placements_text(move.new)
        rows.append({"kind": "service", "change": move.change, "name": move.name, "old": old, "new": new})
    total = result.monthly_cost
    rows.append(
        {
            "kind": "total",
            "change": "changed" if result.changed else "unchanged",
            "name": "monthly_cost",
            "monthly_cost_old": total.old,
            "monthly_cost_new": total.new,
            "difference": total.difference,
            "percent": total.percent,
            "currency": result.currency,
            "old": result.old.source,
            "new": result.new.source,
        }
    )
    return rows
