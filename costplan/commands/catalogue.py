"""`costplan collect` and `costplan catalogue [SNAPSHOT] | catalogue diff OLD [NEW]`.

Register in `costplan.cli.COMMANDS`:
`"collect": "costplan.commands.catalogue:collect"` and
`"catalogue": "costplan.commands.catalogue:catalogue"`.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from costplan.commands._shared import App, emit_records, notice_line, output_option, pass_app

if TYPE_CHECKING:
    import pandas as pd

    from costplan.catalogue import Catalogue

# What `--output table` shows; csv and json carry every column of the filtered view.
TABLE_COLUMNS = (
    "provider",
    "instance_type",
    "vcpus",
    "memory_gb",
    "hourly_price",
    "monthly_price",
    "price_per_vcpu_month",
    "price_per_gb_month",
    "currency",
)
# Left out of the table first when the screen is narrow (csv and json always have them).
OPTIONAL = ("hourly_price", "price_per_gb_month", "price_per_vcpu_month")
SUMMARY_COLUMNS = ("provider", "provider_uuid", "instance_types", "kept_out", "status")
QUALITY_TABLE_COLUMNS = ("provider", "instance_type", "instance_type_uuid", "problem")
MAX_PROBLEM_LINES = 20
EXIT_PARTIAL = 3


def _collect_catalogue(app: App, *, concurrency: int | None, strict: bool) -> Catalogue:
    """Collect with a progress bar on stderr (terminals only)."""
    from costplan.catalogue import collect_from
    from costplan.config import public_url
    from costplan.progress import terminal_progress

    settings = app.settings
    client = app.client()
    source = f"sandbox emulator at {app.api_settings().api_url}" if app.sandbox else public_url(settings.api_url)
    with terminal_progress(sys.stderr) as progress:
        return collect_from(
            client,
            currency=settings.currency,
            concurrency=concurrency or settings.concurrency,
            prices=settings.sections.get("prices"),
            strict=strict,
            progress=progress,
            source=source,
            provider_currencies=settings.sections.get("currency", {}).get("providers"),
        )


def _report_collection(catalogue: Catalogue, path: Any) -> None:
    """What was left out and why, on stderr: the data table itself goes to stdout."""
    notice_line(f"snapshot written to {path}")
    quality = catalogue.quality
    if not quality.empty:
        notice_line(
            f"{quality['instance_type_uuid'].nunique()} instance types kept out for data quality "
            "(`costplan catalogue --quality` lists them):"
        )
        for row in quality.head(MAX_PROBLEM_LINES).itertuples(index=False):
            notice_line(f"  {row.provider} / {row.instance_type}: {row.problem}")
        if len(quality) > MAX_PROBLEM_LINES:
            notice_line(f"  ... and {len(quality) - MAX_PROBLEM_LINES} more")
    for row in catalogue.missing.itertuples(index=False):
        notice_line(f"missing provider {row.provider} ({row.provider_uuid}): {row.reason}")
    for notice in catalogue.notices:
        notice_line(f"note: {notice}")


def _summary_rows(catalogue: Catalogue) -> list[dict[str, Any]]:
    frame, quality = catalogue.frame, catalogue.quality
    kept = frame.groupby("provider_uuid", sort=False).size()
    out = quality.groupby("provider_uuid", sort=False)["instance_type_uuid"].nunique()
    names = dict(zip(frame["provider_uuid"], frame["provider"], strict=True))
    names.update(zip(quality["provider_uuid"], quality["provider"], strict=True))
    rows = [
        {
            "provider": names[uuid],
            "provider_uuid": uuid,
            "instance_types": int(kept.get(uuid, 0)),
            "kept_out": int(out.get(uuid, 0)),
            "status": "ok",
        }
        for uuid in dict.fromkeys([*kept.index, *out.index])
    ]
    rows += [
        {
            "provider": m.provider,
            "provider_uuid": m.provider_uuid,
            "instance_types": 0,
            "kept_out": 0,
            "status": "missing",
        }
        for m in catalogue.missing.itertuples(index=False)
    ]
    return rows


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Directory for the snapshot (default: <data dir>/snapshots).",
)
@click.option("--strict", is_flag=True, help="Fail (exit 3) and write nothing if any provider is missing.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Providers fetched at once (default: 8).")
@output_option()
@pass_app
def collect(app: App, out_dir: str | None, strict: bool, concurrency: int | None, output: str) -> None:
    """Collect every provider's instance types and write a catalogue snapshot.

    Prints one line per provider. Rows with inconsistent prices or sizes are kept
    out and listed on stderr. Exit status: 0 complete, 3 some providers missing
    (the snapshot is still written unless --strict), 1 nothing collected.

    \b
    Example:
        costplan collect
        costplan collect --out ./snapshots --concurrency 4 --strict
    """
    from costplan.snapshots import write_snapshot

    catalogue = _collect_catalogue(app, concurrency=concurrency, strict=strict)
    path = write_snapshot(catalogue, out_dir, settings=app.settings)
    emit_records(_summary_rows(catalogue), output, columns=SUMMARY_COLUMNS, title=catalogue.summary())
    _report_collection(catalogue, path)
    if not catalogue.complete:
        click.get_current_context().exit(EXIT_PARTIAL)


class _SnapshotOrCommand(click.Group):
    """`catalogue [SNAPSHOT] [OPTIONS]`, or a subcommand when the first word names one (`diff`)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            return super().parse_args(ctx, args)
        ctx.allow_interspersed_args = True  # options may come before or after SNAPSHOT
        rest = click.Command.parse_args(self, ctx, args)
        if len(rest) > 1:
            ctx.fail(f"expected at most one SNAPSHOT, got: {' '.join(rest)}")
        ctx.params["snapshot"] = rest[0] if rest else None
        ctx.args = []
        return []

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return ["[SNAPSHOT] [OPTIONS]  |  diff OLD [NEW]"]


@click.group(cls=_SnapshotOrCommand, invoke_without_command=True)
@click.option("--provider", "providers", multiple=True, help="Only this provider (name or uuid); repeatable.")
@click.option("--min-vcpus", type=click.IntRange(min=0), help="At least this many vCPUs.")
@click.option("--min-memory", type=click.FloatRange(min=0), help="At least this much memory, in GB.")
@click.option("--max-price", type=click.FloatRange(min=0), help="At most this monthly price.")
@click.option("--name", help="Instance type name: a glob (e2-*), plain text to search, or re:REGEX.")
@click.option("--sort", "sort_column", help="Column to sort by, e.g. monthly_price or price_per_vcpu_month.")
@click.option("--desc", is_flag=True, help="Sort in descending order.")
@click.option("--quality", is_flag=True, help="Show the rows kept out of the catalogue, and why.")
@output_option()
@pass_app
@click.pass_context
def catalogue(
    ctx: click.Context,
    app: App,
    providers: tuple[str, ...],
    min_vcpus: int | None,
    min_memory: float | None,
    max_price: float | None,
    name: str | None,
    sort_column: str | None,
    desc: bool,
    quality: bool,
    output: str,
    snapshot: str | None = None,
) -> None:
    """Browse the catalogue: the latest snapshot, or SNAPSHOT (a snapshot, a directory,
    or a CSV/Parquet/JSON file of your own). Collects first when there is no snapshot.

    csv and json print every column of exactly the rows shown, in the same order.
    `catalogue diff OLD [NEW]` compares two catalogues (NEW: the latest snapshot).

    \b
    Example:
        costplan catalogue --sort price_per_vcpu_month --output table
        costplan catalogue --provider Azure --min-vcpus 4 --max-price 200 -o csv
        costplan catalogue what-if.csv --name 'e2-*' --desc --sort monthly_price
        costplan catalogue --quality
        costplan catalogue diff old.parquet
    """
    if ctx.invoked_subcommand is not None:
        return
    from costplan.catalogue import filter_catalogue
    from costplan.errors import InputError

    current = load_or_collect(app, snapshot)
    if current.source:
        notice_line(f"catalogue: {current.summary()}")
        for notice in current.notices:
            notice_line(f"note: {notice}")
    if not current.complete:
        notice_line("warning: this catalogue is partial; `costplan collect` to try the missing providers again")
    if quality:
        frame = current.quality
        if providers:
            wanted = {p.casefold() for p in providers}
            keep = frame["provider"].str.casefold().isin(wanted) | frame["provider_uuid"].str.casefold().isin(wanted)
            frame = frame[keep.fillna(False).astype(bool)]
        columns = QUALITY_TABLE_COLUMNS if output in ("table", "markdown") else tuple(frame.columns)
        emit_records(_records(frame), output, columns=columns, title="Kept out of the catalogue")
        return
    try:
        view = filter_catalogue(
            current.frame,
            provider=list(providers) or None,
            min_vcpus=min_vcpus,
            min_memory_gb=min_memory,
            max_monthly_price=max_price,
            name_pattern=name,
            sort=sort_column,
            descending=desc,
        )
    except InputError as error:
        option = "--sort" if sort_column and "sort" in str(error) else "--name"
        raise click.BadParameter(str(error), param_hint=option) from None
    if providers and view.empty:
        notice_line(_provider_hint(current.frame, providers))
    columns = _table_columns(view) if output in ("table", "markdown") else tuple(view.columns)
    emit_records(_records(view), output, columns=columns, title=f"{len(view)} instance types", optional=OPTIONAL)


@catalogue.command()
@click.argument("old")
@click.argument("new", required=False)
@output_option()
@pass_app
def diff(app: App, old: str, new: str | None, output: str) -> None:
    """Instance types added, removed or repriced between OLD and NEW (default: the latest snapshot).

    \b
    Example:
        costplan catalogue diff ~/.local/share/costplan/snapshots/catalogue-20240501T120000000000Z.parquet
        costplan catalogue diff before.csv after.csv --output json
    """
    from costplan.snapshots import diff as catalogue_diff
    from costplan.snapshots import load_catalogue

    changes = catalogue_diff(load_catalogue(old, settings=app.settings), load_catalogue(new, settings=app.settings))
    emit_records(_records(changes), output, columns=tuple(changes.columns), title=f"{len(changes)} changes")


def load_or_collect(app: App, snapshot: str | None) -> Catalogue:
    from costplan.snapshots import latest_snapshot, load_catalogue, snapshot_dir, write_snapshot

    prices = app.settings.sections.get("prices")
    if snapshot is None and latest_snapshot(snapshot_dir(app.settings)) is None:
        notice_line("no catalogue snapshot yet: collecting one first")
        collected = _collect_catalogue(app, concurrency=None, strict=False)
        _report_collection(collected, write_snapshot(collected, settings=app.settings))
        return collected
    return load_catalogue(snapshot, settings=app.settings, prices=prices)


def _provider_hint(frame: pd.DataFrame, asked: tuple[str, ...]) -> str:
    """An empty result for --provider: the nearest provider names, or all of them."""
    import difflib

    names = sorted(set(frame["provider"].dropna().astype(str)))
    folded = {n.casefold(): n for n in names}
    uuids = set(frame["provider_uuid"].dropna().str.casefold())
    unknown = [p for p in asked if p.casefold() not in folded and p.casefold() not in uuids]
    near = [folded[m] for p in unknown for m in difflib.get_close_matches(p.casefold(), list(folded), n=2, cutoff=0.5)]
    if unknown and near:
        return f"note: no provider named {', '.join(map(repr, unknown))}: did you mean {' or '.join(map(repr, near))}?"
    return f"note: no instance type matches; the providers are {', '.join(names)}"


def _table_columns(view: pd.DataFrame) -> tuple[str, ...]:
    notes = "price_note" in view.columns and view["price_note"].notna().any()
    return TABLE_COLUMNS + (("price_note",) if notes else ())


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain Python values (None for missing, ISO 8601 for instants), floats unrounded."""
    records: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", date_format="iso", double_precision=15))
    return records
