"""What `[provision]` in the config file (and the command's flags) may set, with named defaults."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from costplan.errors import ConfigError
from costplan.waiter import WaiterConfig

if TYPE_CHECKING:
    from costplan.config import Settings

PROVISION_SECTION = "provision"
DEFAULT_VOLUME_SIZE = 0
DEFAULT_REPLACE_INSTANCE_DOWN_MINUTES = 5
DEFAULT_INSTANCE_UNUSED_MINUTES = 10
# Pauses between the listings that decide whether a create whose outcome is unknown took effect.
DEFAULT_RECONCILE_DELAYS = (0.5, 1.0, 2.0)


@dataclass(frozen=True)
class PoolDefaults:
    """Pool fields the plan does not decide (the documented create body's other fields)."""

    volume_size: int = DEFAULT_VOLUME_SIZE
    replace_instance_down_minutes: int = DEFAULT_REPLACE_INSTANCE_DOWN_MINUTES
    instance_unused_minutes: int = DEFAULT_INSTANCE_UNUSED_MINUTES

    @classmethod
    def from_settings(cls, settings: Settings, **flags: int | None) -> PoolDefaults:
        """Flags (None = not given) over `[provision]` over the defaults."""
        section = _section(settings)
        values: dict[str, int] = {}
        for name in ("volume_size", "replace_instance_down_minutes", "instance_unused_minutes"):
            raw = flags.get(name)
            raw = section.get(name) if raw is None else raw
            if raw is None:
                continue
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
                raise ConfigError(f"[{PROVISION_SECTION}] {name} must be a whole number >= 0, got {raw!r}")
            values[name] = raw
        return cls(**values)


def waiter_config(settings: Settings, *, timeout: float | None = None, delay: float | None = None) -> WaiterConfig:
    """Polling patience: flags, then `[provision]` wait_timeout / poll_delay / poll_max_delay (seconds)."""
    section = _section(settings)
    base = WaiterConfig()
    chosen = {
        "timeout": timeout if timeout is not None else section.get("wait_timeout", base.timeout),
        "delay": delay if delay is not None else section.get("poll_delay", base.delay),
        "max_delay": section.get("poll_max_delay", base.max_delay),
    }
    try:
        s = {k: float(v) for k, v in chosen.items()}
        return replace(base, timeout=s["timeout"], delay=s["delay"], max_delay=s["max_delay"])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"[{PROVISION_SECTION}] wait_timeout / poll_delay / poll_max_delay: {exc}") from None


def reconcile_delays(settings: Settings) -> tuple[float, ...]:
    """`[provision] reconcile_delays`: seconds between the listings made after an unknown outcome."""
    raw: Any = _section(settings).get("reconcile_delays", DEFAULT_RECONCILE_DELAYS)
    try:
        delays = tuple(float(d) for d in raw)
    except (TypeError, ValueError):
        raise ConfigError(f"[{PROVISION_SECTION}] reconcile_delays must be a list of seconds, got {raw!r}") from None
    if any(d < 0 for d in delays):
        raise ConfigError(f"[{PROVISION_SECTION}] reconcile_delays must not be negative")
    return delays


def _section(settings: Settings) -> dict[str, Any]:
    section = settings.sections.get(PROVISION_SECTION, {})
    if not isinstance(section, dict):
        raise ConfigError(f"[{PROVISION_SECTION}] must be a table")
    return section
