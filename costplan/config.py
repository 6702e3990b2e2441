"""Settings, resolved once at the edge: flag > environment > config file profile > default.

Library code takes a `Settings` (or plain arguments) and never reads `os.environ`.
The API key is held in a `Secret`, whose repr and str never show it.

The config file is TOML in the user config dir (`COSTPLAN_CONFIG` or `--config` to
choose another). Top-level keys are the default profile; `[profiles.NAME]` tables
override them for `--profile NAME`. The sections `SECTIONS` names (`[prices]`, `[provision]`,
`[currency]`) are kept in `Settings.sections` for the modules that own them. Keys are checked
strictly: an unknown key or section (a typo such as `api_ulr`) is an error naming the file, the
profile and the nearest valid key, all of a file's problems at once.

```toml
api_url = "https://api.layerops.io/v1"
api_key_file = "~/.config/costplan/layerops.key"
currency = "EUR"

[profiles.staging]
api_url = "https://api.layerops.com/v1"
```
"""

from __future__ import annotations

import math
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from costplan.errors import ConfigError, problems_message, unknown_key

DEFAULT_API_URL = "https://api.layerops.com/v1"
DEFAULT_CURRENCY = "EUR"
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_CONNECT_TIMEOUT_S = 10.0
DEFAULT_MAX_RETRIES = 4
DEFAULT_BACKOFF_BASE_S = 0.5
DEFAULT_BACKOFF_MAX_S = 30.0
DEFAULT_CONCURRENCY = 8
DEFAULT_REQUEST_DEADLINE_S = 120.0  # connect + every read of one request, in all
DEFAULT_MAX_RESPONSE_MB = 64.0  # one answer's body after decompression
APP_NAME = "costplan"

# Settings keys that a config file or the environment may set, and how to read them.
_FLOAT_KEYS = ("timeout", "connect_timeout", "backoff_base", "backoff_max", "request_deadline", "max_response_mb")
_INT_KEYS = ("max_retries", "concurrency")
_STR_KEYS = ("api_url", "currency", "data_dir", "api_key_file")
# Sections of the config file and the keys each may hold (their owners check the values).
SECTIONS: dict[str, frozenset[str]] = {
    "prices": frozenset({"discounts", "instance_types"}),
    "provision": frozenset(
        {
            "volume_size",
            "replace_instance_down_minutes",
            "instance_unused_minutes",
            "wait_timeout",
            "poll_delay",
            "poll_max_delay",
            "reconcile_delays",
        }
    ),
    "currency": frozenset({"code", "rates", "providers"}),
}
# Sensible ranges: (low, high) inclusive, so nan, inf and 1e30 are refused with a clear message.
_RANGES: dict[str, tuple[float, float]] = {
    "timeout": (0.001, 86_400),
    "connect_timeout": (0.001, 86_400),
    "backoff_base": (0, 3_600),
    "backoff_max": (0, 86_400),
    "request_deadline": (0.001, 86_400),
    "max_response_mb": (0.001, 100_000),
    "max_retries": (0, 100),
    "concurrency": (1, 1_000),
}
_ENV = {
    "api_url": "LAYEROPS_API_URL",
    "api_key": "LAYEROPS_API_KEY",
    "api_key_file": "LAYEROPS_API_KEY_FILE",
    "currency": "COSTPLAN_CURRENCY",
    "timeout": "COSTPLAN_TIMEOUT",
    "connect_timeout": "COSTPLAN_CONNECT_TIMEOUT",
    "request_deadline": "COSTPLAN_REQUEST_DEADLINE",
    "max_response_mb": "COSTPLAN_MAX_RESPONSE_MB",
    "max_retries": "COSTPLAN_MAX_RETRIES",
    "backoff_base": "COSTPLAN_BACKOFF_BASE",
    "backoff_max": "COSTPLAN_BACKOFF_MAX",
    "concurrency": "COSTPLAN_CONCURRENCY",
    "data_dir": "COSTPLAN_DATA_DIR",
}


_USER_INFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s]*@")


def public_url(text: str) -> str:
    """`text` with the user-info of every URL in it removed (`https://user:secret@host/v1` ->
    `https://host/v1`): URLs are stored in snapshots and printed, and that part is a credential."""
    return _USER_INFO.sub(r"\1", text)


class Secret:
    """A string that never shows itself: not in repr, str, f-strings or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself: only for the HTTP header, never for output."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


def parse_api_key(value: str, *, source: str) -> Secret:
    """A `keyId:secret` string, checked for shape; the error names the source, not the value."""
    value = value.strip()
    key_id, sep, secret = value.partition(":")
    if not sep or not key_id or not secret or any(c.isspace() for c in value):
        raise ConfigError(
            f"the API key from {source} is not of the form KEY_ID:SECRET "
            "(as shown when the key was created in the LayerOps console)"
        )
    return Secret(value)


def default_config_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


@dataclass(frozen=True)
class Settings:
    """Everything costplan needs to know about where and how to talk to LayerOps.

    `api_key` is None in the sandbox: commands then run against the built-in emulator.
    """

    api_url: str = DEFAULT_API_URL
    api_key: Secret | None = None
    profile: str = "default"
    currency: str = DEFAULT_CURRENCY
    timeout: float = DEFAULT_TIMEOUT_S
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S
    request_deadline: float = DEFAULT_REQUEST_DEADLINE_S
    max_response_mb: float = DEFAULT_MAX_RESPONSE_MB
    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_base: float = DEFAULT_BACKOFF_BASE_S
    backoff_max: float = DEFAULT_BACKOFF_MAX_S
    concurrency: int = DEFAULT_CONCURRENCY
    data_dir: Path = field(default_factory=default_data_dir)
    config_file: Path | None = None
    sections: Mapping[str, Any] = field(default_factory=dict)
    notices: tuple[str, ...] = ()

    @property
    def sandbox(self) -> bool:
        return self.api_key is None

    def with_api(self, api_url: str, api_key: Secret) -> Settings:
        """The same settings pointed at another server (the sandbox emulator, a test server)."""
        return replace(self, api_url=api_url, api_key=api_key)

    @classmethod
    def resolve(
        cls,
        flags: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        config_path: Path | None = None,
    ) -> Settings:
        """Settings from flags, then `environ`, then the config file's profile, then defaults.

        `flags` may hold any Settings key plus `profile`, `config` and `api_key_file`
        (the key itself is never a flag). Unset flags are None.
        """
        flags = {k: v for k, v in (flags or {}).items() if v is not None}
        environ = environ if environ is not None else {}
        notices: list[str] = []

        path_value = flags.get("config") or environ.get("COSTPLAN_CONFIG")
        path = Path(path_value).expanduser() if path_value else (config_path or default_config_path())
        profile = str(flags.get("profile") or environ.get("COSTPLAN_PROFILE") or "default")
        file_values, sections = _read_profile(path, profile, must_exist=bool(path_value), notices=notices)
        if "code" in sections.get("currency", {}):  # `[currency] code = "EUR"`, beside its rates
            file_values.setdefault("currency", sections["currency"]["code"])

        def pick(key: str) -> Any:
            if key in flags:
                return flags[key]
            env_name = _ENV.get(key)
            if env_name and environ.get(env_name):
                return environ[env_name]
            return file_values.get(key)

        values: dict[str, Any] = {}
        for key in _STR_KEYS + _FLOAT_KEYS + _INT_KEYS:
            raw = pick(key)
            if raw is None:
                continue
            values[key] = _coerce(key, raw)

        api_key = _resolve_key(flags, environ, file_values, values.pop("api_key_file", None), path, notices)
        data_dir = values.pop("data_dir", None)
        settings = cls(
            api_key=api_key,
            profile=profile,
            config_file=path if path.exists() else None,
            sections=sections,
            notices=tuple(notices),
            **values,
        )
        if data_dir:
            settings = replace(settings, data_dir=Path(str(data_dir)).expanduser())
        settings._check()
        return settings

    def _check(self) -> None:
        if not self.api_url.startswith(("http://", "https://")):
            raise ConfigError(f"api_url must start with http:// or https://, got {self.api_url!r}")
        for key, (low, high) in _RANGES.items():
            value = getattr(self, key)
            if not math.isfinite(value) or not low <= value <= high:
                unit = {"max_response_mb": " MB"}.get(key, " seconds" if key in _FLOAT_KEYS else "")
                raise ConfigError(f"setting {key} must be between {low:g} and {high:g}{unit}, got {value!r}")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ConfigError(f"currency must be a three-letter code such as EUR, got {self.currency!r}")


def _coerce(key: str, raw: Any) -> Any:
    try:
        if key in _FLOAT_KEYS:
            return float(raw)
        if key in _INT_KEYS:
            return int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"setting {key} must be a number, got {raw!r}") from None
    return str(raw).upper() if key == "currency" else str(raw)


def _read_profile(
    path: Path, profile: str, *, must_exist: bool, notices: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The chosen profile's keys (top level overlaid by `[profiles.NAME]`) and the other sections."""
    if not path.exists():
        if must_exist:
            raise ConfigError(f"config file {path} does not exist")
        if profile != "default":
            raise ConfigError(f"profile {profile!r} asked for, but there is no config file at {path}")
        return {}, {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None

    profiles = document.pop("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
        raise ConfigError(f"config file {path}: 'profiles' must hold [profiles.NAME] tables")
    problems = _unknown_keys(document, "the top level")
    for name, table in profiles.items():
        problems += _unknown_keys(table, f"[profiles.{name}]")
    if problems:
        raise ConfigError(problems_message(f"config file {path}", problems))
    if profile != "default" and profile not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(f"profile {profile!r} is not in {path} (profiles there: {known})")
    values = {k: v for k, v in document.items() if not isinstance(v, dict)}
    sections = {k: v for k, v in document.items() if isinstance(v, dict)}
    for key, value in profiles.get(profile, {}).items():
        if isinstance(value, dict):
            sections[key] = {**sections.get(key, {}), **value}
        else:
            values[key] = value
    if "api_key" in values and _readable_by_others(path):
        notices.append(
            f"warning: {path} holds an API key and is readable by other users; run: chmod 600 {path}"
        )
    return values, sections


def _unknown_keys(table: Mapping[str, Any], where: str) -> list[str]:
    """Every key of a profile (or the top level) and of its sections that no reader knows."""
    settings = set(_STR_KEYS + _FLOAT_KEYS + _INT_KEYS) | {"api_key"}
    problems = []
    for key, value in table.items():
        if key in SECTIONS and (isinstance(value, dict) or key not in settings):
            if not isinstance(value, dict):
                problems.append(f"{key} in {where} must be a table ([{key}]), got {value!r}")
                continue
            problems += [unknown_key(k, SECTIONS[key], f"[{key}] of {where}") for k in value if k not in SECTIONS[key]]
        elif key not in settings:
            problems.append(unknown_key(key, settings | set(SECTIONS), where))
    return problems


def _resolve_key(
    flags: Mapping[str, Any],
    environ: Mapping[str, str],
    file_values: Mapping[str, Any],
    key_file: str | None,
    config_path: Path,
    notices: list[str],
) -> Secret | None:
    """The key from --api-key-file, LAYEROPS_API_KEY, the key file setting, or the config file."""
    if flags.get("api_key_file"):
        return _read_key_file(Path(str(flags["api_key_file"])).expanduser(), notices)
    if environ.get("LAYEROPS_API_KEY"):
        return parse_api_key(environ["LAYEROPS_API_KEY"], source="LAYEROPS_API_KEY")
    if key_file:
        return _read_key_file(Path(key_file).expanduser(), notices)
    if file_values.get("api_key"):
        return parse_api_key(str(file_values["api_key"]), source=f"config file {config_path}")
    return None


def _read_key_file(path: Path, notices: list[str]) -> Secret:
    try:
        text = path.read_text(encoding="utf-8")
        if _readable_by_others(path):
            notices.append(f"warning: API key file {path} is readable by other users; run: chmod 600 {path}")
    except OSError as exc:
        raise ConfigError(f"cannot read API key file {path}: {exc.strerror or exc}") from None
    return parse_api_key(text, source=f"key file {path}")


def _readable_by_others(path: Path) -> bool:
    if os.name != "posix":
        return False
    return bool(path.stat().st_mode & (stat.S_IRGRP | stat.S_IROTH))


def schema() -> dict[str, Any]:
    """The config file's JSON Schema (of the TOML document), built from the key tables above.

    The sections' values are checked by the modules that own them; here only their keys.
    """
    settings: dict[str, Any] = {key: {"type": "string"} for key in (*_STR_KEYS, "api_key")}
    for key in _FLOAT_KEYS + _INT_KEYS:
        low, high = _RANGES[key]
        settings[key] = {"type": "number" if key in _FLOAT_KEYS else "integer", "minimum": low, "maximum": high}
    sections = {
        name: {"type": "object", "properties": {k: {} for k in sorted(keys)}, "additionalProperties": False}
        for name, keys in SECTIONS.items()
    }
    both = {k: {"anyOf": [settings[k], sections[k]]} for k in settings.keys() & sections.keys()}  # currency
    keys: dict[str, Any] = {**settings, **sections, **both}
    profiles = {"type": "object", "additionalProperties": {"$ref": "#/$defs/profile"}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "costplan config file (TOML)",
        "type": "object",
        "properties": {**keys, "profiles": profiles},
        "additionalProperties": False,
        "$defs": {"profile": {"type": "object", "properties": keys, "additionalProperties": False}},
    }
