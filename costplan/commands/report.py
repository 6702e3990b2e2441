"""`costplan report catalogue|plan|status`: one self-contained HTML file each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from costplan.commands._shared import App, notice_line, pass_app


def out_options(function: Any) -> Any:
    """`--out FILE.html` and `--templates DIR`, shared by the three reports."""
    function = click.option(
        "--templates",
        type=click.Path(file_okay=False, exists=True),
        help="Directory of template overrides, searched before the built-in templates.",
    )(function)
    return click.option(
        "--out",
        "out",
        type=click.Path(dir_okay=False),
        required=True,
        callback=_existing_parent,
        help="HTML file to write (its directory must exist).",
    )(function)


def _existing_parent(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Checked before any work, and never created: a typo in a path must not make directories."""
    if not Path(value).parent.is_dir():
        raise click.BadParameter(f"the directory {Path(value).parent} does not exist")
    return value


@click.group()
def report() -> None:
    """Write HTML cost reports: one file, inline CSS and SVG, readable offline."""


@report.command("catalogue")
@click.argument("snapshot", required=False, type=click.Path(exists=True))
@click.option("--compare", type=click.Path(exists=True), help="An older snapshot: adds a price changelog.")
@out_options
@pass_app
def catalogue_report(app: App, snapshot: str | None, compare: str | None, out: str, templates: str | None) -> None:
    """Report on a catalogue: prices per provider, cheapest types per size, data quality.

    SNAPSHOT defaults to the latest one (collected first when there is none).

    \b
    Example:
        costplan report catalogue --out catalogue.html
        costplan report catalogue NEW.parquet --compare OLD.parquet --out changes.html
    """
    from costplan.commands.catalogue import load_or_collect
    from costplan.report import render_catalogue_report
    from costplan.snapshots import diff, load_catalogue

    catalogue = load_or_collect(app, snapshot)
    changelog = diff(load_catalogue(compare, settings=app.settings), catalogue) if compare else None
    html = render_catalogue_report(catalogue, changelog=changelog, source=_source(app), templates=templates)
    _write(html, out)


@report.command("plan")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--catalogue", "catalogue_file", type=click.Path(exists=True), help="Catalogue the plan came from.")
@click.option("--environment", help="Compare with the pools running in this environment now.")
@out_options
@pass_app
def plan_report(
    app: App, plan_file: str, catalogue_file: str | None, environment: str | None, out: str, templates: str | None
) -> None:
    """Report on a plan: cost, lower bound and gap, pools, node-by-node packing, alternatives.

    \b
    Example:
        costplan report plan plan.json --out plan.html
        costplan report plan plan.json --environment ENV_UUID --out plan.html
    """
    from costplan.provisioner import load_plan
    from costplan.report import render_plan_report
    from costplan.snapshots import load_catalogue

    plan = load_plan(plan_file)
    catalogue = load_catalogue(catalogue_file, settings=app.settings) if catalogue_file else None
    current = None
    if environment:
        current = [
            {"name": pool.name, "instance_type_uuid": pool.instance_type_uuid, "count": pool.count_min or 0}
            for pool in app.client().list_instance_pools(environment)
        ]
    html = render_plan_report(plan, catalogue=catalogue, current=current, source=_source(app), templates=templates)
    _write(html, out)


@report.command("status")
@click.option("--environment", required=True, help="Environment UUID.")
@out_options
@pass_app
def status_report(app: App, environment: str, out: str, templates: str | None) -> None:
    """Report on what runs in an environment now: pools, services, utilisation, cost.

    \b
    Example:
        costplan report status --environment ENV_UUID --out status.html
    """
    from costplan.provisioner import EnvironmentReader, environment_status
    from costplan.report import render_status_report

    status = environment_status(EnvironmentReader(app.client()), environment, currency=app.settings.currency)
    data = status.to_dict()
    html = render_status_report(
        data["pools"],
        data["services"],
        currency=app.settings.currency,
        environment=environment,
        source=_source(app),
        templates=templates,
    )
    _write(html, out)


def _source(app: App) -> str:
    return "sandbox" if app.sandbox else "live API"


def _write(html: str, out: str) -> None:
    from costplan.report import write_report

    path = write_report(html, Path(out))
    notice_line(f"report written to {path}")
    click.echo(str(path))
