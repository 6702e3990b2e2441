"""What every command shares: the context object (settings, API clients, the sandbox) and output.

Imported by command bodies only; heavy modules (httpx, pandas, the emulator) are imported
inside the functions that need them, so `costplan --help` never loads them.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

if TYPE_CHECKING:
    from costplan.api import Client
    from costplan.config import Settings
    from costplan.currency import Rates

F = TypeVar("F", bound=Callable[..., Any])

OUTPUT_FORMATS = ("table", "json", "csv", "markdown")
# The format version of every JSON document a command prints (`costplan schema NAME` describes each);
# a plan's own is `costplan.plans.PLAN_FORMAT_VERSION`.
OUTPUT_VERSION = 1


@dataclass
class App:
    """The context object: settings resolved once, API access, and the sandbox emulator if needed."""

    flags: dict[str, Any]
    environ: Mapping[str, str]
    _settings: Settings | None = None
    _api_settings: Settings | None = None
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def settings(self) -> Settings:
        """The user's settings; notices (such as a world-readable key file) go to stderr once."""
        if self._settings is None:
            from costplan.config import Settings

            flags = {k: v for k, v in self.flags.items() if k != "sandbox"}
            self._settings = Settings.resolve(flags, self.environ)
            for notice in self._settings.notices:
                notice_line(notice)
        return self._settings

    @property
    def sandbox(self) -> bool:
        return bool(self.flags.get("sandbox")) or self.settings.sandbox

    def api_settings(self) -> Settings:
        """Settings pointing at the API to use: the configured one, or the sandbox emulator."""
        if self._api_settings is None:
            settings = self.settings
            if self.sandbox:
                settings = self._start_sandbox(settings)
            self._api_settings = settings
        return self._api_settings

    def _start_sandbox(self, settings: Settings) -> Settings:
        from costplan.sandbox import SANDBOX_STATE_FILE, sandbox_settings

        state_file = Path(settings.data_dir) / SANDBOX_STATE_FILE
        sandboxed = self._stack.enter_context(sandbox_settings(settings, self.environ, state_file=state_file))
        notice_line(
            f"costplan: no LayerOps API key configured: using the built-in emulator (sandbox) "
            f"at {sandboxed.api_url}, state in {state_file}"
            if settings.sandbox
            else f"costplan: --sandbox: using the built-in emulator at {sandboxed.api_url}"
        )
        return sandboxed

    def currency_rates(self, *, sandbox: bool | None = None) -> Rates:
        """`[currency] rates` from the config file; in the sandbox, without any, its illustrative rates."""
        from costplan.currency import Rates
        from costplan.sandbox import sandbox_rates

        configured = self.settings.sections.get("currency", {}).get("rates")
        if configured is not None:
            return Rates.from_config(configured)
        if self.sandbox if sandbox is None else sandbox:
            return sandbox_rates()
        return Rates()

    def client(self) -> Client:
        from costplan.api import Client

        client = Client.from_settings(self.api_settings())
        self._stack.callback(client.close)
        return client

    def close(self) -> None:
        self._stack.close()


pass_app = click.make_pass_decorator(App)


def terminal_text(text: str, *, lines: bool = True) -> str:
    """`text` safe to show on a terminal: names from the API may hold escape sequences, which would
    recolour, move the cursor or retitle the window. Control characters become `\\xNN`; with
    `lines`, newlines and tabs are kept."""
    kept = "\n\t" if lines else ""
    return "".join(
        c if c in kept or (c.isprintable() and not 0x80 <= ord(c) < 0xA0) else f"\\x{ord(c):02x}" for c in text
    )


def notice_line(message: str) -> None:
    """Progress and notices go to stderr; stdout is for data."""
    click.echo(terminal_text(message), err=True)


def output_option(default: str = "table") -> Callable[[F], F]:
    """`--output/-o table|json|csv|markdown`, shared by every command that prints data."""
    return click.option(
        "--output",
        "-o",
        "output",
        type=click.Choice(OUTPUT_FORMATS),
        default=default,
        show_default=True,
        help="Output format for the data on stdout (markdown: GitHub tables for a pull-request comment).",
    )


def emit_records(
    records: Sequence[Mapping[str, Any]],
    output: str,
    *,
    columns: Sequence[str] | None = None,
    title: str = "",
    optional: Sequence[str] = (),
) -> None:
    """Print rows as a table, JSON (`{"version": 1, "records": [...]}`), CSV or Markdown, with the same columns in each.

    JSON and CSV carry every column unrounded, keys in `columns` order (stable for scripts);
    Markdown is the table as GitHub shows it (`markdown_table`), its title in bold above. The
    table is for reading: money to the cent, hourly prices to 1/10,000, numbers right-aligned and
    never broken; empty columns are left out, and when the table is wider than the screen the
    `optional` columns go first (said on stderr), then it is shown one record per block.
    """
    columns = list(columns or (records[0].keys() if records else []))
    rows = [{c: record.get(c) for c in columns} for record in records]
    if output == "json":
        emit_json({"records": rows})
    elif output == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
    elif output == "markdown":
        if title:
            click.echo(f"**{markdown_text(title)}**\n")
        click.echo(markdown_table(columns, rows) + "\n")
    else:
        print_table(columns, rows, title=title, optional=optional)


def emit_json(document: Mapping[str, Any]) -> None:
    """Print a JSON document with its format `version` first (see `costplan.contracts`)."""
    click.echo(json.dumps({"version": OUTPUT_VERSION, **document}, indent=2, default=str))


def markdown_text(text: str) -> str:
    """`text` safe inside a GitHub-flavoured Markdown table cell or paragraph: `|` does not end the
    cell, `<` opens no HTML tag, `*` or `~` format nothing (names come from the API and from files),
    a newline does not end the row."""
    text = terminal_text(text, lines=False)
    text = "".join(f"\\{c}" if c in MARKDOWN_PUNCTUATION else c for c in text)
    text = text.replace("&", "&amp;").replace("<", "&lt;")
    return "\\" + text if text.startswith((">", "#", "-", "+")) else text  # no quote, heading or list


def markdown_table(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    """One GitHub-flavoured Markdown table for every command: as `--output table` shows it (money to
    the cent, numbers right-aligned, columns empty in every row left out). No rows: a row saying so."""
    columns = [c for c in columns if any(r.get(c) not in (None, "") for r in rows)] or list(columns)
    filled = {c: [r.get(c) for r in rows if r.get(c) not in (None, "")] for c in columns}
    numeric = {c: bool(filled[c]) and all(_is_number(v) for v in filled[c]) for c in columns}
    lines = [
        "| " + " | ".join(markdown_text(c.replace("_", " ")) for c in columns) + " |",
        "|" + "|".join(" ---: |"[:-1] if numeric[c] else " --- " for c in columns) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(markdown_text(_cell(row.get(c), c)) for c in columns) + " |")
    if not rows:
        lines.append("| " + " | ".join(["(none)", *[""] * (len(columns) - 1)]) + " |")
    return "\n".join(lines)


def emit_summary(line: str, output: str) -> None:
    """A summary with the data: on stdout for a table or Markdown (a paragraph there); on stderr for
    csv, where it would break the format; json carries its figures itself."""
    if output == "table":
        click.echo(line)
    elif output == "markdown":
        click.echo(markdown_text(line) + "\n")
    elif output == "csv":
        notice_line(line)


def table_width(environ: Mapping[str, str] | None = None) -> int:
    """`COLUMNS` when set (also when piped), else the terminal's width, else 120 for pipes and files."""
    import os
    import shutil

    environ = os.environ if environ is None else environ
    given = environ.get("COLUMNS", "")
    if given.isdigit() and int(given) >= MIN_WIDTH:
        return int(given)
    return shutil.get_terminal_size((PIPE_WIDTH, 24)).columns if sys.stdout.isatty() else PIPE_WIDTH


def print_table(
    columns: Sequence[str], rows: Sequence[Mapping[str, Any]], *, title: str = "", optional: Sequence[str] = ()
) -> None:
    """A plain-text table on stdout that fits `table_width()`, or one block per record when none can."""
    from rich.console import Console

    width = table_width()
    console = Console(soft_wrap=False, width=width, highlight=False)
    shown = [c for c in columns if any(r[c] not in (None, "") for r in rows)] or list(columns)
    cells = {c: [_cell(r[c], c) for r in rows] for c in shown}
    numeric = {c: bool(rows) and all(_is_number(r[c]) for r in rows if r[c] not in (None, "")) for c in shown}
    hidden = []
    drop = [c for c in reversed(optional) if c in shown]
    while _needed_width(shown, cells, numeric) > width and drop:
        hidden.append(drop.pop(0))
        shown.remove(hidden[-1])
    if hidden:
        notice_line(f"(columns {', '.join(reversed(hidden))} left out at {width} columns: --output csv has them)")
    if _needed_width(shown, cells, numeric) > width:  # still too wide: one record per block
        if title:
            console.print(title)
        label = max(len(c) for c in shown)
        for index in range(len(rows)):
            console.print("")
            for column in shown:
                console.print(f"  {column.replace('_', ' '):<{label}}  {cells[column][index]}")
        return
    console.print(_table(shown, cells, numeric, title, width))


def _table(
    shown: Sequence[str], cells: Mapping[str, Sequence[str]], numeric: Mapping[str, bool], title: str, width: int
) -> Any:
    """The table with every column's width fixed here: numbers at their widest, text given what is left."""
    from rich import box
    from rich.table import Table

    table = Table(title=title or None, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    spare = max(width - _needed_width(shown, cells, numeric), 0)
    sizes = {c: _min_width(c, cells[c], numeric[c]) for c in shown}
    wants = {c: max(max(len(v) for v in [*cells[c], c]) - sizes[c], 0) for c in shown if not numeric[c]}
    share = min(1.0, spare / sum(wants.values())) if sum(wants.values()) else 0.0
    for column in shown:
        header = column.replace("_", " ")  # wraps between words, never inside one
        size = sizes[column] + int(wants.get(column, 0) * share)  # text shares the spare width by need
        justify: Literal["left", "right"] = "right" if numeric[column] else "left"
        table.add_column(header, justify=justify, min_width=size, max_width=size, overflow="fold")
    for index in range(len(next(iter(cells.values()), []))):
        table.add_row(*(cells[c][index] for c in shown))
    return table


def _needed_width(shown: Sequence[str], cells: Mapping[str, Sequence[str]], numeric: Mapping[str, bool]) -> int:
    """The narrowest the table can be drawn without breaking a number or a word: minimums plus the
    three characters (padding and divider) each column adds."""
    return sum(_min_width(c, cells[c], numeric[c]) + 3 for c in shown)


def _min_width(column: str, cells: Sequence[str], numeric: bool) -> int:
    """Numbers keep their whole width (never broken); text may wrap down to `TEXT_MIN_WIDTH`."""
    word = max([len(w) for w in column.split("_")] + [len(w) for c in cells for w in c.split()])
    widest = max([len(c) for c in cells] + [word])
    return widest if numeric else min(max(word, min(widest, TEXT_MIN_WIDTH)), TEXT_MAX_WORD)


MARKDOWN_PUNCTUATION = frozenset("\\|*`[]~")  # escaped with a backslash in Markdown output
PIPE_WIDTH = 120
MIN_WIDTH = 20
TEXT_MIN_WIDTH = 10  # text columns shrink to this before numbers do
TEXT_MAX_WORD = 24  # a longer word (a uuid) may break
_MONEY = ("monthly", "cost", "price_per", "saving")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cell(value: Any, column: str = "") -> str:
    if value is None:
        return ""
    if column == "price_note" and isinstance(value, str):  # "illustrative: hand-written ..." -> "illustrative"
        return "; ".join(part.split(":")[0].strip() for part in value.split(";"))
    if isinstance(value, float):
        if column.startswith("hourly") or "_hourly" in column:
            return f"{value:,.4f}"
        if any(word in column for word in _MONEY):
            return f"{value:,.2f}"
        if column.endswith("_pct"):
            return f"{value:,.1f}"
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return terminal_text(str(value), lines=False)


# -- gates (costplan.gates): the options, the config, the verdict -------------------------------

GATE_EXIT_HELP = "A failing gate exits with code 3 after the data is printed."


def _amount(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    from costplan.errors import InputError
    from costplan.gates import parse_amount

    try:
        return None if value is None else parse_amount(value)
    except InputError as error:
        raise click.BadParameter(str(error)) from None


def _increase(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    from costplan.errors import InputError
    from costplan.gates import parse_increase

    try:
        return None if value is None else parse_increase(value)
    except InputError as error:
        raise click.BadParameter(str(error)) from None


def max_monthly_cost_option(what: str) -> Callable[[F], F]:
    """`--max-monthly-cost AMOUNT`: a budget gate on `what` ([gates] max_monthly_cost)."""
    return click.option(
        "--max-monthly-cost",
        metavar="AMOUNT",
        callback=_amount,
        help=f"Gate: fail (exit 3) when {what} is above AMOUNT, in its currency; equal passes "
        "([gates] max_monthly_cost).",
    )


def fail_on_increase_option(what: str) -> Callable[[F], F]:
    """`--fail-on-increase PCT|AMOUNT`: a change gate ([gates] fail_on_increase)."""
    return click.option(
        "--fail-on-increase",
        metavar="PCT%|AMOUNT",
        callback=_increase,
        help=f"Gate: fail (exit 3) when {what} rises by more than PCT% (e.g. 5%) or AMOUNT (e.g. 20, "
        "in its currency); equal passes ([gates] fail_on_increase).",
    )


def only_if_changed_option(command: F) -> F:
    return click.option(
        "--only-if-changed",
        is_flag=True,
        help="With --output markdown: print nothing when neither the monthly cost nor the pools change "
        "(no pull-request comment for a change that costs nothing).",
    )(command)


def check_only_if_changed(only_if_changed: bool, output: str) -> None:
    if only_if_changed and output != "markdown":
        raise click.UsageError("--only-if-changed goes with --output markdown")


def resolve_gates(app: App, max_monthly_cost: float | None, fail_on_increase: Any) -> Any:
    """The gates in force: the flags, else `[gates]` of the config profile."""
    from costplan.gates import Gates

    settings = app.settings
    return Gates.resolve(
        settings.sections.get("gates"),
        max_monthly_cost=max_monthly_cost,
        fail_on_increase=fail_on_increase,
        source=f"config file {settings.config_file}",
    )


def report_gates(verdicts: Sequence[Any], output: str, *, printed: bool = True) -> None:
    """Each verdict on stderr (and, in Markdown that was printed, as a line of the comment), then
    `GateFailed` (exit 3) if any gate failed: the data is always printed before the verdict."""
    from costplan.gates import enforce

    for verdict in verdicts:
        if verdict.passed:  # a failure is the error message itself
            notice_line(f"gate passed: {verdict.message}")
        if output == "markdown" and printed:
            mark = "Gate passed" if verdict.passed else "**Gate failed**"
            click.echo(f"{mark}: {markdown_text(verdict.message)}\n")
    enforce(verdicts)
