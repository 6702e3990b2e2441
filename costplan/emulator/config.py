"""EmulatorConfig: every knob of the emulator, with named defaults and env parsing.

One frozen value, built once at the edge (``EmulatorConfig(...)`` in code and tests,
``EmulatorConfig.from_env(os.environ)`` for ``costplan emulator serve``), so that the
server code never reads the environment itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costplan.emulator.clock import Clock, system_clock
from costplan.emulator.placement import NOMAD, SCHEDULERS

ENV_PREFIX = "COSTPLAN_EMULATOR_"

# SHA-256 of the documentation's example key ("<keyId>:<secret>", key id
# LYPFNN8BTS9GBQFRIXCHGWJXU). Only the digest lives in the code: the secret itself must not.
EXAMPLE_KEY_ID = "LYPFNN8BTS9GBQFRIXCHGWJXU"
EXAMPLE_KEY_SHA256 = "9b390db3f87b34ff1a334fadd7b6061436e142e87ffeaa07c784be3601da9901"

# Calibrated on the documentation's Azure B2s node (2 vCPU, 4 GB): 5586 MHz, 3903 MB total,
# 778 MHz / 856 MB reserved with one 128 MHz / 128 MB service.
DEFAULT_MHZ_PER_VCPU = 2793
DEFAULT_HIDDEN_MEMORY_MB = 193
DEFAULT_OVERHEAD_CPU_MHZ = 650
DEFAULT_OVERHEAD_MEMORY_MB = 728
DEFAULT_SERVICE_CPU_MHZ = 128
DEFAULT_SERVICE_MEMORY_MB = 128
DEFAULT_PROVISION_SECONDS = 1.5
HTTP_METHODS = ("GET", "POST", "PUT", "DELETE")
POST_COMMIT_FAULT_KINDS = ("502", "hang", "empty", "malformed")
# How a pool's DONE relates to its instances (the documentation's one sample fits both):
# "metrics": DONE once every instance runs, and includeMetrics=false zeroes countRunning and the
# totals; "early": DONE once the pool is accepted, before its instances run, counts always real.
METRICS_READING, EARLY_READING = "metrics", "early"
DONE_READINGS = (METRICS_READING, EARLY_READING)


def hash_key(header_value: str) -> str:
    """SHA-256 hex digest of a full ``X-API-KEY`` value (``keyId:secret``)."""
    return hashlib.sha256(header_value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EmulatorConfig:
    """How the emulator behaves. Every field has a default; all are optional.

    ```python
    config = EmulatorConfig(provision_seconds=0, error_rate=0.1, fault_seed=7)
    with serve_in_thread(config) as server:
        httpx.get(server.base_url + "/workspaces", headers={"X-API-KEY": key})
    ```

    ``api_keys`` takes plain ``keyId:secret`` strings and keeps only their SHA-256 digests
    (in ``api_key_hashes``): the plain values are dropped in ``__post_init__`` and never
    appear in a repr. With neither ``api_keys`` nor ``api_key_hashes`` given, the
    documentation's example key is the one accepted; giving either replaces it (so a
    sandbox with its own random key cannot be reached with the public one).
    """

    # Authentication.
    api_keys: tuple[str, ...] = field(default=(), repr=False, compare=False)
    api_key_hashes: tuple[str, ...] | None = None
    # State and time.
    state_file: Path | None = None
    clock: Clock = field(default=system_clock, repr=False, compare=False)
    # Names: unique among live siblings (a 409 otherwise), or duplicates allowed, as the real API may.
    unique_names: bool = True
    # Catalogue.
    include_bad_rows: bool = True
    extra_providers: int = 0
    extra_types_per_provider: int = 12
    # Node capacity and the lifecycle of pools.
    provision_seconds: float = DEFAULT_PROVISION_SECONDS
    mhz_per_vcpu: int = DEFAULT_MHZ_PER_VCPU
    hidden_memory_mb: int = DEFAULT_HIDDEN_MEMORY_MB
    overhead_cpu_mhz: int = DEFAULT_OVERHEAD_CPU_MHZ
    overhead_memory_mb: int = DEFAULT_OVERHEAD_MEMORY_MB
    default_service_cpu_mhz: int = DEFAULT_SERVICE_CPU_MHZ
    default_service_memory_mb: int = DEFAULT_SERVICE_MEMORY_MB
    fail_pools: tuple[str, ...] = ()
    fail_pool_rate: float = 0.0
    fail_seed: int = 0
    # Scheduling (placement.py): "nomad" (Nomad's service scheduler, each evaluation's shuffle
    # seeded from ``seed`` and the evaluation's number) or "best-fit" (deterministic: every node
    # scored).
    scheduler: str = NOMAD
    seed: int = 0
    done_reading: str = DONE_READINGS[0]
    # HTTP faults.
    latency: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    rate_limit_every: int = 0
    rate_limit_per_second: float = 0.0
    rate_limit_burst: int = 10
    retry_after_seconds: int = 1
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    post_commit_fault_rate: float = 0.0
    post_commit_fault_kind: str = "502"
    fault_methods: tuple[str, ...] = HTTP_METHODS
    fault_seed: int = 0

    def __post_init__(self) -> None:
        if self.api_key_hashes is not None:
            given = list(self.api_key_hashes)
        else:
            # The example key is the default only when no key at all is configured.
            given = [] if self.api_keys else [EXAMPLE_KEY_SHA256]
        hashes = tuple(dict.fromkeys([h.lower() for h in given] + [hash_key(k) for k in self.api_keys]))
        object.__setattr__(self, "api_key_hashes", hashes)
        object.__setattr__(self, "api_keys", ())
        if self.state_file is not None:
            object.__setattr__(self, "state_file", Path(self.state_file))
        for name in ("fail_pools", "error_statuses"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "fault_methods", tuple(m.upper() for m in self.fault_methods))
        self._validate()

    def _validate(self) -> None:
        for name in ("fail_pool_rate", "error_rate", "hang_rate", "post_commit_fault_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value!r}")
        for name in (
            "provision_seconds",
            "latency",
            "hang_seconds",
            "rate_limit_per_second",
            "extra_providers",
            "extra_types_per_provider",
            "rate_limit_every",
            "mhz_per_vcpu",
            "hidden_memory_mb",
            "overhead_cpu_mhz",
            "overhead_memory_mb",
            "default_service_cpu_mhz",
            "default_service_memory_mb",
            "retry_after_seconds",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)!r}")
        if self.rate_limit_burst < 1:
            raise ValueError("rate_limit_burst must be at least 1")
        if self.scheduler not in SCHEDULERS:
            raise ValueError(f"scheduler must be one of {', '.join(SCHEDULERS)}, got {self.scheduler!r}")
        if self.done_reading not in DONE_READINGS:
            raise ValueError(f"done_reading must be one of {DONE_READINGS}, got {self.done_reading!r}")
        if self.post_commit_fault_kind not in POST_COMMIT_FAULT_KINDS:
            raise ValueError(f"post_commit_fault_kind must be one of {POST_COMMIT_FAULT_KINDS}")
        if not self.error_statuses or any(not 400 <= s <= 599 for s in self.error_statuses):
            raise ValueError("error_statuses must be non-empty HTTP error codes (400-599)")
        if any(m not in HTTP_METHODS for m in self.fault_methods):
            raise ValueError(f"fault_methods must be among {HTTP_METHODS}")
        for digest in self.api_key_hashes or ():
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError("api_key_hashes must be SHA-256 hex digests")

    def accepts(self, header_value: str) -> bool:
        """True when ``header_value`` hashes to one of the accepted digests."""
        return hash_key(header_value) in (self.api_key_hashes or ())

    @property
    def faults_enabled(self) -> bool:
        """Whether any request-level fault can fire (lets the middleware stay out of the way)."""
        return bool(
            self.latency
            or self.error_rate
            or self.rate_limit_every
            or self.rate_limit_per_second
            or self.hang_rate
            or self.post_commit_fault_rate
        )

    def replace(self, **changes: Any) -> EmulatorConfig:
        """A copy with some fields changed (keys already hashed stay accepted)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def env_names(cls) -> dict[str, str]:
        """Environment variable name -> field name, for every field settable from the env."""
        return {ENV_PREFIX + f.name.upper(): f.name for f in dataclasses.fields(cls) if f.name != "clock"}

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> EmulatorConfig:
        """Build from ``COSTPLAN_EMULATOR_*`` variables; keyword ``overrides`` win.

        Booleans accept 1/0, true/false, yes/no, on/off; tuples are comma-separated;
        ``COSTPLAN_EMULATOR_API_KEYS`` holds plain ``keyId:secret`` keys (hashed at once).
        Variables with other names are ignored. A bad value raises ``ValueError`` naming
        the variable, but never echoing a key.
        """
        defaults = {f.name: f.default for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for env_name, field_name in cls.env_names().items():
            if env_name not in environ:
                continue
            raw = environ[env_name]
            try:
                values[field_name] = _parse(field_name, raw, defaults[field_name])
            except ValueError as exc:
                shown = "<hidden>" if field_name in _KEY_FIELDS else repr(raw)
                raise ValueError(f"{env_name}={shown}: {exc}") from None
        values.update(overrides)
        return cls(**values)


def _parse_bool(raw: str) -> bool:
    text = raw.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected a boolean (1/0, true/false, yes/no, on/off)")


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


_TUPLE_PARSERS: dict[str, Callable[[str], Any]] = {"error_statuses": int}
_KEY_FIELDS = ("api_keys", "api_key_hashes")


def _parse(name: str, raw: str, default: Any) -> Any:
    """Parse one environment value into the type of the field's default."""
    if name == "state_file":
        return Path(raw) if raw.strip() else None
    if name in _KEY_FIELDS:
        return tuple(_split(raw))
    if isinstance(default, bool):
        return _parse_bool(raw)
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, tuple):
        item = _TUPLE_PARSERS.get(name, str)
        return tuple(item(part) for part in _split(raw))
    if isinstance(default, str):
        return raw.strip()
    raise ValueError(f"cannot parse field {name}")
