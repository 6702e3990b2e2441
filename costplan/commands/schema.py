"""`costplan schema NAME`: the JSON Schema of a document costplan reads or prints."""

from __future__ import annotations

import click

# The names `costplan.contracts.CONTRACTS` registers (kept here too so --help imports nothing else;
# tests/test_contracts.py checks the two agree).
NAMES = ("services", "config", "plan", "diff", "preview", "status", "destroy", "catalogue", "providers", "records")


@click.command()
@click.argument("name", type=click.Choice(NAMES))
def schema(name: str) -> None:
    """Print the JSON Schema (draft 2020-12) of NAME: an input file or a command's --output json.

    services and config are the input files; plan is `plan --output json` and `--save`; preview is
    `provision --output json`; status, destroy, catalogue and providers their commands' JSON;
    records the JSON of collect, catalogue --quality and catalogue diff. The same files ship in
    the package as costplan/schemas/NAME.schema.json.

    \b
    Example:
        costplan schema plan > plan.schema.json
        python -m jsonschema -i plan.json plan.schema.json
    """
    from costplan.contracts import schema_text

    click.echo(schema_text(name), nl=False)
