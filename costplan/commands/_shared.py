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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from costplan.api import AsyncClient, Client
    from costplan.config import Settings
    from costplan.currency import Rates

F = TypeVar("F", bound=Callable[..., Any])

OUTPUT_FORMATS = ("table", "json", "csv")


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

    def async_client(self) -> AsyncClient:
        """An async client for fan-out; the caller closes it (`async with`) inside its event loop."""
        from costplan.api import AsyncClient

        return AsyncClient.from_settings(self.api_settings())

    def close(self) -> None:
        self._stack.close()


pass_app = click.make_pass_decorator(App)


def notice_line(message: str) -> None:
    """Progress and notices go to stderr; stdout is for data."""
    click.echo(message, err=True)


def output_option(default: str = "table") -> Callable[[F], F]:
    """`--output/-o table|json|csv`, shared by every command that prints data."""
    return click.option(
        "--output",
        "-o",
        "output",
        type=click.Choice(OUTPUT_FORMATS),
        default=default,
        show_default=True,
        help="Output format for the data on stdout.",
    )


def emit_records(
    records: Sequence[Mapping[str, Any]], output: str, *, columns: Sequence[str] | None = None, title: str = ""
) -> None:
    """Print rows as a table, JSON (a list of objects) or CSV, with the same columns in each."""
    columns = list(columns or (records[0].keys() if records else []))
    rows = [{c: record.get(c) for c in columns} for record in records]
    if output == "json":
        click.echo(json.dumps(rows, indent=2, default=str))
    elif output == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
    else:
        print_table(columns, ([_cell(r[c]) for c in columns] for r in rows), title=title)


def print_table(columns: Sequence[str], rows: Iterable[Sequence[str]], *, title: str = "") -> None:
    """A rich table on stdout (plain text when stdout is not a terminal)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title or None, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200).print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)
