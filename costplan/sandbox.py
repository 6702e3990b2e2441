"""The sandbox: the built-in emulator on loopback, used whenever no API key is configured.

One place starts it, for the CLI and the library alike: a fresh random key is accepted
for this run only, so nothing outside this process can talk to it with a known secret.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from costplan.config import Secret, Settings
from costplan.currency import Rates
from costplan.errors import ConfigError, InputError

SANDBOX_STATE_FILE = "sandbox-state.json"
# The demo catalogue mixes USD (Google Cloud) and EUR rows; a plan in the sandbox may add them at
# this rate, stated as illustrative wherever it is used. Real plans take `[currency] rates`.
SANDBOX_RATES = {"USD/EUR": 0.92}
SANDBOX_RATES_SOURCE = "illustrative sandbox rate, not a market rate: set [currency] rates for real plans"


def sandbox_rates() -> Rates:
    """The sandbox's illustrative rates, for plans over its catalogue: `PlanOptions(currency_rates=sandbox_rates())`."""
    return Rates.from_config(SANDBOX_RATES, source=SANDBOX_RATES_SOURCE)


def emulator_config(environ: Mapping[str, str] | None = None, **overrides: Any) -> Any:
    """The emulator's settings from `COSTPLAN_EMULATOR_*` (and overrides); a bad value is a ConfigError."""
    from costplan.emulator import EmulatorConfig

    try:
        return EmulatorConfig.from_env(environ or {}, **overrides)
    except ValueError as exc:
        raise ConfigError(f"emulator setting: {exc}") from None


@contextmanager
def sandbox_settings(
    settings: Settings, environ: Mapping[str, str] | None = None, *, state_file: Path | None = None
) -> Iterator[Settings]:
    """`settings` pointed at a freshly started emulator, for as long as the block runs.

    `state_file` keeps the emulator's state between runs (the CLI keeps it in the data dir,
    so `provision` and then `status` see the same pools); without it the state is in memory.
    """
    from costplan.emulator import serve_in_thread
    from costplan.emulator.store import StateFileError

    key = f"SANDBOX{secrets.token_hex(8).upper()}:{secrets.token_hex(16)}"
    if state_file is not None:
        state_file.parent.mkdir(parents=True, exist_ok=True)
    config = emulator_config(environ, api_keys=(key,), state_file=state_file)
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(serve_in_thread(config))
        except StateFileError as exc:
            raise InputError(str(exc)) from None
        yield settings.with_api(server.base_url, Secret(key))
