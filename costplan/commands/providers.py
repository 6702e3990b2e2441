"""`costplan providers`: what the API (or the sandbox) offers, workspace by workspace."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import click

from costplan.commands._shared import App, emit_records, output_option, pass_app

if TYPE_CHECKING:
    from costplan.api import Client

COLUMNS = ("workspace", "environment", "environment_uuid", "provider", "provider_uuid", "instance_types")


@click.command()
@output_option()
@pass_app
def providers(app: App, output: str) -> None:
    """List workspaces, environments and providers, with each provider's instance-type count.

    \b
    Example:
        costplan providers
        costplan providers --output json
    """
    rows = _collect_rows(app.client(), app.settings.concurrency)
    emit_records(rows, output, columns=COLUMNS, title="LayerOps providers")


def _collect_rows(client: Client, concurrency: int) -> list[dict[str, Any]]:
    """One row per (environment, provider); each provider's types are fetched once, on threads."""
    workspaces = client.list_workspaces(include_environments_and_providers=True)
    provider_ids = sorted({p.uuid for w in workspaces for e in w.environments for p in e.providers})
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(provider_ids)))) as pool:
        counts = dict(
            zip(provider_ids, pool.map(lambda u: len(client.list_instance_types(u)), provider_ids), strict=True)
        )
    return [
        {
            "workspace": workspace.name,
            "environment": environment.name,
            "environment_uuid": environment.uuid,
            "provider": provider.platform_name,
            "provider_uuid": provider.uuid,
            "instance_types": counts[provider.uuid],
        }
        for workspace in workspaces
        for environment in workspace.environments
        for provider in environment.providers
    ]
