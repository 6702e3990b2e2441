"""`costplan provision`, `costplan status`, `costplan destroy`: a plan applied through the API, resumably.

Only click is imported here at module level; the provisioner, httpx and rich load inside the commands.
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from costplan.commands._shared import (
    App,
    check_only_if_changed,
    emit_json,
    emit_records,
    emit_summary,
    fail_on_increase_option,
    max_monthly_cost_option,
    notice_line,
    only_if_changed_option,
    output_option,
    pass_app,
    report_gates,
    resolve_gates,
    terminal_text,
)

if TYPE_CHECKING:
    from costplan.plans import Plan
    from costplan.provisioner import ProgressEvent, Provisioner

PREVIEW_COLUMNS = (
    "kind",
    "action",
    "name",
    "provider",
    "instance_type",
    "count_min",
    "count_max",
    "state",
    "monthly_before",
    "monthly_after",
    "detail",
)
RESULT_COLUMNS = ("kind", "name", "uuid", "action", "state", "status", "detail")


def journal_option(command: Any) -> Any:
    return click.option(
        "--journal-dir",
        type=click.Path(file_okay=False),
        help="Where the journal of each run is kept (default: <data dir>/journals).",
    )(command)


def plan_id_option(command: Any) -> Any:
    return click.option(
        "--plan-id",
        metavar="ID",
        help="The plan's identity in owner markers (default: the plan's name, else derived from its service names).",
    )(command)


@click.command()
@click.argument("plan_file", metavar="PLAN.json", type=click.Path(dir_okay=False))
@click.option("--environment", "environment_uuid", metavar="UUID", help="Target environment (default: the plan's).")
@click.option("--apply", "do_apply", is_flag=True, help="Act on the preview, after a confirmation prompt.")
@click.option("--yes", "-y", is_flag=True, help="Do not prompt (needed when stdin is not a terminal).")
@click.option("--with-services", is_flag=True, help="Then create the plan's services on their pools and check them.")
@click.option("--volume-size", type=click.IntRange(min=0), help="Pool volumeSize ([provision] volume_size; 0).")
@click.option(
    "--replace-down-minutes",
    type=click.IntRange(min=0),
    help="Pool replaceInstanceDownMinutes ([provision] replace_instance_down_minutes; 5).",
)
@click.option(
    "--unused-minutes",
    type=click.IntRange(min=0),
    help="Pool instanceUnusedMinutes ([provision] instance_unused_minutes; 10).",
)
@click.option(
    "--wait-timeout",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to wait for each pool and service ([provision] wait_timeout; 1800).",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(min=0, min_open=True),
    help="First pause between status checks, growing 1.5x up to 20 s ([provision] poll_delay; 2).",
)
@plan_id_option
@journal_option
@max_monthly_cost_option("the environment's monthly cost after the plan is applied")
@fail_on_increase_option("the environment's monthly cost")
@only_if_changed_option
@output_option()
@pass_app
def provision(
    app: App,
    plan_file: str,
    environment_uuid: str | None,
    do_apply: bool,
    yes: bool,
    with_services: bool,
    volume_size: int | None,
    replace_down_minutes: int | None,
    unused_minutes: int | None,
    wait_timeout: float | None,
    poll_interval: float | None,
    plan_id: str | None,
    journal_dir: str | None,
    max_monthly_cost: float | None,
    fail_on_increase: Any,
    only_if_changed: bool,
    output: str,
) -> None:
    """Preview the plan's pools against the environment; with --apply, create or update them and wait.

    The preview lists each pool to create, update (count_min, count_max, tags) or keep, and the
    environment's monthly cost before and after. --apply journals every call, waits until every
    pool is ready (exit 0 only then), and can be re-run after any interruption: it finds what
    exists by name and owner marker, and never creates a pool twice. A failed pool is deleted and
    created again. What this plan does not own (no marker of its --plan-id) is never changed: a
    same-name object of someone else's is shown as a conflict.

    Gates (--max-monthly-cost, --fail-on-increase, [gates] in the config file) judge the
    environment's monthly cost after the plan against the limit and against the cost now; when
    one fails, the preview is printed, nothing is changed, and the exit code is 3.

    \b
    Example:
        costplan provision plan.json
        costplan provision plan.json --apply
        costplan provision plan.json --output markdown --only-if-changed --fail-on-increase 5%
        costplan provision plan.json --environment e7b73b16-7931-4878-944f-bdb97c5b1d85 --apply --yes
    """
    from costplan.provisioner import PoolDefaults, load_plan, waiter_config

    check_only_if_changed(only_if_changed, output)
    gates = resolve_gates(app, max_monthly_cost, fail_on_increase)
    plan = load_plan(plan_file)
    environment = _environment(plan, environment_uuid)
    defaults = PoolDefaults.from_settings(
        app.settings,
        volume_size=volume_size,
        replace_instance_down_minutes=replace_down_minutes,
        instance_unused_minutes=unused_minutes,
    )
    wait = waiter_config(app.settings, timeout=wait_timeout, delay=poll_interval)
    resume = _resume_command(environment)
    display = _Display(sys.stderr.isatty())
    provisioner = _provisioner(
        app, journal_dir, defaults=defaults, wait=wait, on_event=display, resume_hint=resume, plan_id=plan_id
    )

    preview = provisioner.preview(plan, environment, with_services=with_services)
    for notice in preview.notices:
        notice_line(f"note: {notice}")
    document: dict[str, Any] = {"preview": {**preview.totals(), "changes": preview.records()}, "result": None}
    changed = preview.has_writes or preview.difference != 0
    printed = not (only_if_changed and not changed)
    if output == "markdown" and printed:
        click.echo(f"### costplan provision: {plan_file} -> environment {environment}\n")
        emit_summary(preview.summary(), output)
    if printed and output in ("table", "markdown") or (output == "csv" and not do_apply):
        emit_records(preview.records(), output, columns=PREVIEW_COLUMNS, title=f"Plan {plan_file} -> {environment}")
    if output != "markdown":
        emit_summary(preview.summary(), output)
    for conflict in preview.conflicts:
        notice_line(f"conflict: {conflict}")
    from costplan.gates import check

    verdicts = check(gates, currency=preview.currency, new=preview.cost_after, old=preview.cost_before)
    if not do_apply:
        _done_json(document, output)
        notice_line("preview only: nothing was changed; add --apply to act on it")
        report_gates(verdicts, output, printed=printed)
        return
    if preview.conflicts:
        _done_json(document, output)
        raise click.ClickException("refusing to apply: resolve the conflicts above first (nothing was changed)")
    if any(not v.passed for v in verdicts):
        _done_json(document, output)
        notice_line("a gate failed: nothing was changed")
    report_gates(verdicts, output, printed=printed)  # GateFailed (exit 3) here: before any write
    if preview.has_writes:
        _confirm(yes, f"Apply these changes to environment {environment}?")
    notice_line(f"journal: {provisioner.journal_path(plan, environment)}")
    with _stop_on_ctrl_c(provisioner), display:
        result = provisioner.apply(plan, environment, with_services=with_services)
    document["result"] = result.records()
    if output != "json":
        emit_records(result.records(), output, columns=RESULT_COLUMNS, title="Provisioning result")
    placed = None
    if with_services and result.ok:
        # The placement the API reports against the plan's: replicas, nodes, pools grown, cost.
        from costplan.provisioner.realised import COLUMNS, realised

        placed = realised(provisioner, plan, environment)
        document["realised"] = {"summary": placed.summary(), "rows": placed.records()}
        if output in ("table", "markdown"):
            emit_records(placed.records(), output, columns=COLUMNS, title="Placement: the plan and what runs")
    _done_json(document, output)
    result.raise_for_failures(resume=resume)
    notice_line(f"all {len(result.results)} resources are ready")
    if placed is not None:
        notice_line(placed.summary())


@click.command()
@click.option("--environment", "environment_uuid", metavar="UUID", required=True, help="Environment to show.")
@journal_option
@output_option()
@pass_app
def status(app: App, environment_uuid: str, journal_dir: str | None, output: str) -> None:
    """Show an environment's pools and services: instances, reserved vs total CPU and memory, cost now.

    Each pool's monthly cost is its instance count times its type's monthly price
    (monthlyPrice / priceFactor); utilisation is reserved over total capacity.

    \b
    Example:
        costplan status --environment e7b73b16-7931-4878-944f-bdb97c5b1d85
        costplan status --environment e7b73b16-7931-4878-944f-bdb97c5b1d85 --output json
    """
    from costplan.provisioner import environment_status
    from costplan.provisioner.status import POOL_COLUMNS, SERVICE_COLUMNS

    report = environment_status(_provisioner(app, journal_dir), environment_uuid, currency=app.settings.currency)
    if output == "markdown":  # a comment: the sentence first
        click.echo(f"### costplan status: environment {environment_uuid}\n")
        emit_summary(report.summary(), output)
    if output == "json":
        emit_json(report.to_dict())
    elif output == "csv":
        columns = ("kind", *dict.fromkeys(POOL_COLUMNS + SERVICE_COLUMNS))
        rows = [{"kind": "pool", **r} for r in report.pools] + [{"kind": "service", **r} for r in report.services]
        emit_records(rows, output, columns=columns)
    else:
        emit_records(report.pools, output, columns=POOL_COLUMNS, title=f"Pools of {environment_uuid}")
        emit_records(report.services, output, columns=SERVICE_COLUMNS, title="Services")
    if output != "markdown":
        emit_summary(report.summary(), output)


@click.command()
@click.option(
    "--plan",
    "plan_file",
    metavar="PLAN.json",
    required=True,
    type=click.Path(dir_okay=False),
    help="The plan whose pools and services (those carrying its owner marker) are to be removed.",
)
@click.option("--environment", "environment_uuid", metavar="UUID", help="Environment (default: the plan's).")
@click.option("--yes", "-y", is_flag=True, help="Do not prompt (needed when stdin is not a terminal).")
@plan_id_option
@journal_option
@output_option()
@pass_app
def destroy(
    app: App,
    plan_file: str,
    environment_uuid: str | None,
    yes: bool,
    plan_id: str | None,
    journal_dir: str | None,
    output: str,
) -> None:
    """Delete what a plan created: its services, then its pools, those carrying its owner marker only.

    Objects of the same names without the plan's marker (another plan's, or made by hand) are left alone.

    Shows what would be removed and the monthly cost saved, then asks before deleting.

    \b
    Example:
        costplan destroy --plan plan.json
        costplan destroy --plan plan.json --environment e7b73b16-7931-4878-944f-bdb97c5b1d85 --yes
    """
    from costplan.provisioner import load_plan

    plan = load_plan(plan_file)
    environment = _environment(plan, environment_uuid)
    provisioner = _provisioner(app, journal_dir, resume_hint=_resume_command(environment), plan_id=plan_id)
    pools, services = provisioner.destroy_targets(plan, environment)
    prices = provisioner.price_book(provisioner.environment(environment))
    rows: list[dict[str, Any]] = [
        {"kind": "service", "name": s.name, "uuid": s.uuid, "monthly_cost": None} for s in services
    ]
    rows += [{"kind": "pool", "name": p.name, "uuid": p.uuid, "monthly_cost": prices.cost(p)} for p in pools]
    saved = round(sum(prices.cost(p) or 0.0 for p in pools), 4)
    if output != "json":
        emit_records(rows, output, columns=("kind", "name", "uuid", "monthly_cost"), title="To delete")
    emit_summary(f"monthly cost saved: {saved:,.4f} {plan.currency}", output)
    if not rows:
        if output == "json":
            emit_json({"delete": [], "monthly_cost_saved": 0.0, "result": []})
        notice_line(f"nothing of plan {plan_file} exists in environment {environment}")
        return
    _confirm(yes, f"Delete these {len(rows)} resources from environment {environment}?")
    with _stop_on_ctrl_c(provisioner):
        result = provisioner.destroy(plan, environment)
    if output == "json":
        emit_json({"delete": rows, "monthly_cost_saved": saved, "result": result.records()})
    else:
        emit_records(result.records(), output, columns=RESULT_COLUMNS, title="Destroy result")
    result.raise_for_failures(resume=_resume_command(environment))


# -- helpers ---------------------------------------------------------------------------------


def _environment(plan: Plan, given: str | None) -> str:
    from costplan.errors import InputError

    environment = given or plan.environment_uuid
    if not environment:
        raise InputError("the plan names no environment_uuid: pass --environment UUID")
    return environment


def _provisioner(app: App, journal_dir: str | None, **kwargs: Any) -> Provisioner:
    from costplan.provisioner import Provisioner, default_journal_dir, reconcile_delays

    settings = app.settings
    return Provisioner(
        app.client(),
        journal_dir=journal_dir or default_journal_dir(settings.data_dir),
        reconcile_delays=reconcile_delays(settings),
        concurrency=settings.concurrency,
        **kwargs,
    )


def _done_json(document: dict[str, Any], output: str) -> None:
    if output == "json":
        emit_json(document)


def stdin_is_interactive() -> bool:
    """Whether a person can answer a prompt (tests replace this)."""
    return sys.stdin.isatty()


def _confirm(yes: bool, question: str) -> None:
    if yes:
        return
    if not stdin_is_interactive():
        raise click.UsageError(
            "refusing to change anything without confirmation: stdin is not a terminal; "
            "add --yes to apply from a script"
        )
    click.confirm(question, abort=True, err=True)


def _resume_command(environment: str) -> str:
    """The exact command line to run again: the same options, plus --environment, --apply and --yes."""
    ctx = click.get_current_context()
    arguments = [str(ctx.params[p.name]) for p in ctx.command.params if isinstance(p, click.Argument) and p.name]
    overrides = {"environment_uuid": environment, "yes": True, "do_apply": True}
    words = ["costplan", *_options(ctx.find_root()), ctx.info_name or "", *arguments, *_options(ctx, overrides)]
    return shlex.join(words)


def _options(ctx: click.Context, overrides: dict[str, Any] | None = None) -> list[str]:
    """The options a context was given (or is overridden with), as command-line words."""
    words: list[str] = []
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name in (None, "help", "version"):
            continue
        overridden = overrides is not None and param.name in overrides
        value = overrides[param.name] if overrides is not None and overridden else ctx.params.get(param.name)
        source = ctx.get_parameter_source(param.name)
        given = overridden or (source is not None and source.name == "COMMANDLINE")
        if not given or value in (None, False, ()):
            continue
        flag = max(param.opts, key=len)
        words += [flag] if param.is_flag else [flag, str(value)]
    return words


@contextlib.contextmanager
def _stop_on_ctrl_c(provisioner: Provisioner) -> Iterator[None]:
    """First Ctrl-C: stop after the call in flight (resumable); a second one aborts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    pressed: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        if pressed:
            signal.signal(signal.SIGINT, previous)
            raise KeyboardInterrupt
        pressed.append(signum)
        provisioner.request_stop()
        sys.stderr.write("\nstopping after the call in flight (Ctrl-C again to abort at once)\n")

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Display:
    """Per pool and service: state and instances running. A rich Live table on a terminal,
    otherwise one plain stderr line whenever something changes."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty
        self.rows: dict[tuple[str, str], ProgressEvent] = {}
        self._live: Any = None

    def __enter__(self) -> _Display:
        if self.tty:
            from rich.console import Console
            from rich.live import Live

            self._live = Live(self._table(), console=Console(stderr=True), refresh_per_second=4, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.update(self._table())
            self._live.__exit__(*exc)
            self._live = None

    def __call__(self, event: ProgressEvent) -> None:
        key = (event.kind, event.name)
        before = self.rows.get(key)
        self.rows[key] = event
        if self._live is not None:
            self._live.update(self._table())
        elif before is None or (before.state, before.running, before.count) != (
            event.state,
            event.running,
            event.count,
        ):
            notice_line(
                f"{event.kind} {event.name}: {event.state}{_counts(event)}"
                + (f" ({event.detail})" if event.detail else "")
            )

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(title="Provisioning", title_justify="left")
        for column in ("kind", "name", "state", "running", "detail"):
            table.add_column(column, overflow="fold")
        for event in self.rows.values():
            running = "" if event.running is None else f"{event.running}/{event.count}"
            table.add_row(
                *(terminal_text(t, lines=False) for t in (event.kind, event.name, event.state)),
                running,
                terminal_text(event.detail, lines=False),
            )
        return table


def _counts(event: ProgressEvent) -> str:
    return "" if event.running is None else f", {event.running}/{event.count} running"
