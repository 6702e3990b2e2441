"""`costplan demo`: the whole pipeline against a fresh built-in emulator, never a live account."""

from __future__ import annotations

from pathlib import Path

import click

from costplan.commands._shared import App, notice_line, pass_app
from costplan.commands.plan import landing

# The documentation's "Prod" environment (Azure, Google Cloud Platform, Scaleway).
DEMO_ENVIRONMENT = "e7b73b16-7931-4878-944f-bdb97c5b1d85"


@click.command()
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False),
    default="costplan-demo",
    show_default=True,
    help="Where the plan, the journal and the reports are written.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Planner time limit, seconds.",
)
@landing
@pass_app
def demo(app: App, out_dir: str, time_limit: float, landing: float) -> None:
    """Collect, plan, provision and report, all against a fresh built-in emulator.

    Plans the example services for the documentation's "Prod" environment (searched until
    the simulated Nomad scheduler lands every replica on >= 99 % of seeded runs), provisions
    the pools and services into the emulator (which schedules as Nomad does),
    and writes plan.json, catalogue.html, plan.html and status.html. It never talks to a
    live LayerOps account, even when a key is configured.

    \b
    Example:
        costplan demo
        costplan demo --out-dir /tmp/demo --time-limit 5
    """
    from dataclasses import replace

    from costplan.api import Client
    from costplan.catalogue import collect_from
    from costplan.demand import EXAMPLE_SOURCE, example_services
    from costplan.errors import InputError
    from costplan.planner import PlanOptions, make_plan
    from costplan.planner.explain import landing_line
    from costplan.provisioner import Provisioner
    from costplan.provisioner.realised import realised
    from costplan.provisioner.status import environment_status
    from costplan.report import render_catalogue_report, render_plan_report, render_status_report, write_report
    from costplan.sandbox import sandbox_settings

    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out-dir {out}: cannot create it ({exc.strerror or exc})") from None
    settings = replace(app.settings, api_key=None)

    with sandbox_settings(settings, app.environ) as api:
        notice_line(f"1/4 starting the built-in LayerOps emulator (sandbox) at {api.api_url}")

        with Client.from_settings(api) as client:
            catalogue = collect_from(
                client, currency=settings.currency, concurrency=settings.concurrency, source="sandbox"
            )
        notice_line(f"    collected {len(catalogue.frame)} instance types ({len(catalogue.quality)} kept out)")

        services = example_services()
        notice_line(f"2/4 planning {len(services)} services from {EXAMPLE_SOURCE} for environment Prod")
        plan = make_plan(
            catalogue.frame,
            services,
            PlanOptions(
                environment_uuid=DEMO_ENVIRONMENT,
                time_limit=time_limit,
                currency=settings.currency,
                currency_rates=app.currency_rates(sandbox=True),
                landing=landing,
            ),
        )
        plan_path = plan.save(out / "plan.json")
        notice_line(
            f"    {plan.monthly_cost:,.2f} {plan.currency}/month, lower bound {plan.lower_bound:,.2f}, "
            f"gap {plan.gap:.2%} ({plan.status}); saved {plan_path}"
        )
        for rate in plan.assumptions["catalogue"].get("currency_conversion", {}).values():
            notice_line(f"    converted at {rate}")
        if plan.placement is not None:
            notice_line(f"    {landing_line(plan.placement, plan.monthly_cost, plan.currency, plan.lower_bound)}")

        notice_line("3/4 provisioning pools and services into the emulator")
        with Client.from_settings(api) as client:
            provisioner = Provisioner(client, journal_dir=out / "journals", resume_hint="costplan demo")
            result = provisioner.apply(plan, DEMO_ENVIRONMENT, with_services=True)
            result.raise_for_failures("costplan demo")
            status = environment_status(provisioner, DEMO_ENVIRONMENT, currency=settings.currency).to_dict()
            placed = realised(provisioner, plan, DEMO_ENVIRONMENT)
        notice_line(f"    {len(status['pools'])} pools DONE, {len(status['services'])} services running")
        notice_line(f"    {placed.summary()}")

        notice_line("4/4 writing reports")
        written = [
            write_report(render_catalogue_report(catalogue, source="sandbox"), out / "catalogue.html"),
            write_report(render_plan_report(plan, catalogue=catalogue, source="sandbox"), out / "plan.html"),
            write_report(
                render_status_report(
                    status["pools"],
                    status["services"],
                    currency=settings.currency,
                    environment=DEMO_ENVIRONMENT,
                    source="sandbox",
                ),
                out / "status.html",
            ),
        ]
    for path in [plan_path, *written]:
        click.echo(str(path))
