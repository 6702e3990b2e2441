"""The `costplan` command line: one click group, commands loaded lazily from `costplan.commands`.

This is the only place where errors become exit codes. Command modules import only
click at module level, so `costplan --help` stays fast: pandas, the solver and the HTTP
stack are imported inside command bodies.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from costplan.errors import CostplanError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# name -> "module:attribute"; the order of `costplan --help` is alphabetical.
COMMANDS: dict[str, str] = {
    "catalogue": "costplan.commands.catalogue:catalogue",
    "collect": "costplan.commands.catalogue:collect",
    "demo": "costplan.commands.demo:demo",
    "diff": "costplan.commands.diff:diff",
    "destroy": "costplan.commands.provision:destroy",
    "emulator": "costplan.commands.emulator:emulator",
    "plan": "costplan.commands.plan:plan",
    "providers": "costplan.commands.providers:providers",
    "provision": "costplan.commands.provision:provision",
    "report": "costplan.commands.report:report",
    "schema": "costplan.commands.schema:schema",
    "status": "costplan.commands.provision:status",
}


class CommandFailed(click.ClickException):
    """A CostplanError on its way out: click prints `Error: <message>` and exits with its code."""

    def __init__(self, error: CostplanError) -> None:
        from costplan.commands._shared import terminal_text

        super().__init__(terminal_text(str(error)))
        self.exit_code = error.exit_code  # type: ignore[misc]  # click reads it per instance


class LazyGroup(click.Group):
    """A group whose commands are imported on first use, and whose errors become exit codes."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CostplanError as error:
            raise CommandFailed(error) from None
        except OSError as error:  # a path the user gave that cannot be read or written: not a bug
            if error.filename is None:
                raise
            where = error.filename if error.filename2 is None else f"{error.filename} -> {error.filename2}"
            raise click.ClickException(f"{where}: {error.strerror or error}") from None


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(package_name="costplan")
@click.option("--profile", help="Config-file profile to use (env COSTPLAN_PROFILE).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Config file (TOML) instead of the one in the user config dir (env COSTPLAN_CONFIG).",
)
@click.option("--api-url", help="LayerOps API base URL, ending in /v1 (env LAYEROPS_API_URL).")
@click.option(
    "--api-key-file",
    type=click.Path(dir_okay=False),
    help="File holding the API key as KEY_ID:SECRET (or env LAYEROPS_API_KEY). "
    "The key is never taken as a plain option.",
)
@click.option("--timeout", type=float, help="Per-request timeout in seconds.")
@click.option("--currency", help="Currency code for prices, e.g. EUR (the API does not state one).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Where snapshots and journals go.")
@click.option("--sandbox", is_flag=True, help="Use the built-in emulator even when a key is configured.")
@click.pass_context
def cli(ctx: click.Context, /, **flags: Any) -> None:
    """Plan, buy and report the cheapest capacity for your services on LayerOps.

    With no API key configured, every command runs against the built-in
    LayerOps emulator (the sandbox) and says so on stderr.

    \b
    Exit codes: 0 done; 1 error; 2 usage error; 3 a gate failed (--max-monthly-cost,
    --fail-on-increase, [gates]; for collect --strict: a provider is missing).

    \b
    Example:
        costplan providers
        costplan demo
        costplan diff main.json new.json --output markdown --fail-on-increase 5%
    """
    from costplan.commands._shared import App

    flags["config"] = flags.pop("config_path")
    app = App(flags=flags, environ=dict(os.environ))
    ctx.obj = app
    ctx.call_on_close(app.close)


def main() -> None:
    """Entry point: run the group; an unexpected error is reported as a bug, without a traceback."""
    try:
        cli.main(prog_name="costplan")
    except SystemExit:
        raise
    except Exception as error:  # a bug: say so plainly, keep the traceback for those who ask
        if os.environ.get("COSTPLAN_DEBUG"):
            raise
        click.echo(
            f"costplan: internal error ({type(error).__name__}): {error}\n"
            "This is a bug in costplan; run again with COSTPLAN_DEBUG=1 for the traceback.",
            err=True,
        )
        sys.exit(70)
