"""`costplan emulator serve`: the LayerOps-compatible emulator as a real HTTP server."""

from __future__ import annotations

import click

from costplan.commands._shared import App, notice_line, pass_app


@click.group()
def emulator() -> None:
    """Run the built-in LayerOps emulator (for demos, notebooks and tests)."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8484, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one).")
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False),
    help="Persist the emulator's state to this JSON file (default: in memory).",
)
@click.option("--latency", type=float, help="Seconds added to every request.")
@click.option("--error-rate", type=float, help="Fraction of requests answered 500/502/503.")
@click.option("--provision-seconds", type=float, help="Seconds a new pool's instances take to start.")
@click.option(
    "--scheduler",
    type=click.Choice(["nomad", "best-fit"]),
    help="How replicas are placed: nomad (Nomad's service scheduler: seeded shuffle, log2 limit, soft "
    "anti-affinity; the default, also COSTPLAN_EMULATOR_SCHEDULER) or best-fit (every node scored, deterministic).",
)
@click.option(
    "--seed", type=int, help="Seed of the nomad scheduler's shuffles (also COSTPLAN_EMULATOR_SEED; default 0)."
)
@pass_app
def serve(
    app: App,
    host: str,
    port: int,
    state_file: str | None,
    latency: float | None,
    error_rate: float | None,
    provision_seconds: float | None,
    scheduler: str | None,
    seed: int | None,
) -> None:
    """Serve the LayerOps API emulator until Ctrl-C.

    It accepts the documentation's example key (key id LYPFNN8BTS9GBQFRIXCHGWJXU) unless
    COSTPLAN_EMULATOR_API_KEYS lists other keyId:secret keys, which then replace it; and a fresh
    emulator gives the objects the documentation creates the documentation's uuids. So the six
    documented curl commands work verbatim once the host is changed.

    The documentation shows a pool DONE with countRunning 0 and totals 0 (asked with
    includeMetrics=false); COSTPLAN_EMULATOR_DONE_READING picks how to read that:

    \b
      metrics  (default) DONE once every instance runs; includeMetrics=false
               zeroes countRunning and the totals
      early    DONE as soon as the pool is accepted, while its instances
               still boot; counts are always real

    Any other EmulatorConfig field is COSTPLAN_EMULATOR_<FIELD> too (faults: ERROR_RATE,
    LATENCY, RATE_LIMIT_EVERY, HANG_RATE, ...).

    Replicas that fit nowhere make their pool grow (up to countMax); idle extra instances
    are removed after the pool's instanceUnusedMinutes.

    \b
    Example:
        costplan emulator serve --port 8484
        curl -H 'X-API-KEY: LYPFNN8BTS9GBQFRIXCHGWJXU:<its documented secret>' http://127.0.0.1:8484/v1/workspaces
    """
    from costplan.emulator.server import run
    from costplan.sandbox import emulator_config

    overrides = {
        "state_file": state_file,
        "latency": latency,
        "error_rate": error_rate,
        "provision_seconds": provision_seconds,
        "scheduler": scheduler,
        "seed": seed,
    }
    config = emulator_config(app.environ, **{k: v for k, v in overrides.items() if v is not None})
    if host not in ("127.0.0.1", "localhost", "::1"):
        notice_line(f"warning: listening on {host}: the emulator accepts the documentation's public key")
    from costplan.emulator.app import create_app
    from costplan.emulator.store import StateFileError
    from costplan.errors import InputError

    try:
        application = create_app(config)  # reads the state file: refuse a corrupt one before listening
    except StateFileError as exc:
        raise InputError(str(exc)) from None
    notice_line(f"LayerOps emulator on http://{host}:{port}/v1 (Ctrl-C to stop)")
    run(application, host=host, port=port)
