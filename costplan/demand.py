"""The demand: services specs (YAML or JSON) read into `ServiceSpec`s, validated with clear errors.

The spec format:

```yaml
services:
  - name: api
    countMin: 2          # replicas always running (the baseline plan)
    countMax: 6          # replicas at peak (sets each pool's countMax); defaults to countMin
    cpuMhz: 500          # reservation per replica
    memoryMB: 512
    spread: true         # at most one replica per node
    constraints: {providers: [Azure], tags: [backend]}
usage:                   # optional: hours a month at peak, for the expected cost (costplan.usage)
  peakHoursPerMonth: 200 # or peak: {days: [mon, tue, wed, thu, fri], hours: "09-18"}
```

Keys are checked strictly: a typo (`countmax`, `sprad`) is an error naming the file, the
service, its entry number and the nearest valid key, never dropped silently. The fields of a
LayerOps service export (`ports`, `environmentVariables`, ...) are known and ignored, so a spec
can be the export itself. Every problem of a file is reported at once. Numbers must be whole,
not negative and within `LIMITS`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from costplan.errors import InputError, problems_message, unknown_key
from costplan.models import ServiceSpec
from costplan.plans import Usage
from costplan.usage import MONTH_HOURS, usage_from_dict

EXAMPLE_SOURCE = "costplan/examples/services.yaml"

# Spec keys (camelCase, as LayerOps writes them) and the snake_case aliases also accepted.
_ALIASES: dict[str, tuple[str, ...]] = {
    "count_min": ("countMin", "count_min"),
    "count_max": ("countMax", "count_max"),
    "cpu_mhz": ("cpuMhz", "cpuMHz", "cpu_mhz"),
    "memory_mb": ("memoryMB", "memoryMb", "memory_mb"),
}
# Largest sensible value per field: far above any real service, far below an overflow.
LIMITS: dict[str, int] = {
    "count_min": 100_000,
    "count_max": 100_000,
    "cpu_mhz": 10_000_000,  # about 3,600 vCPUs for one replica
    "memory_mb": 100_000_000,  # about 95 TB for one replica
}
SPEC_KEYS = frozenset({"name", "spread", "constraints", "image"} | {k for keys in _ALIASES.values() for k in keys})
# A LayerOps service export's other fields (API-NOTES.md section 6 and the status shape): known, not planned with.
EXPORT_KEYS = frozenset(
    {
        "uuid", "dockerConfiguration", "ports", "environmentVariables", "sharedEnvironmentVariables", "type",
        "volumes", "links", "cooldownMinutes", "cpuLimit", "cpuLimitHigh", "cpuLimitLow", "cpuDurationMinutes",
        "cpuWindowMinutes", "memoryLimitMiB", "memoryLimitHigh", "memoryLimitLow", "memoryDurationMinutes",
        "memoryWindowMinutes", "sideTasks", "runningSchedule", "scalingSchedule", "files", "cronExpression",
        "cronAllowOverlap", "databaseBackups", "isPaused", "useNvidiaGpu", "environmentLbDns",
    }
)  # fmt: skip
CONSTRAINT_KEYS = frozenset({"providers", "providerUuids", "tags"})
TOP_LEVEL_KEYS = frozenset({"services", "usage"})
USAGE_HINT = (
    "peak hours are stated once for the whole file (the pools are shared): a top-level "
    "'usage: {peakHoursPerMonth: H}' block, or --peak-hours H"
)


def load_services(path: str | Path) -> list[ServiceSpec]:
    """Read a services spec file (`.yaml`, `.yml` or `.json`) into validated `ServiceSpec`s.

    ```python
    services = load_services("examples/services.yaml")
    ```
    """
    return load_demand(path)[0]


def load_demand(path: str | Path) -> tuple[list[ServiceSpec], Usage | None]:
    """The services of a spec file and its usage assumption (None without a `usage` block)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{source}: cannot read the services file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: not a text file (byte {exc.start} is not UTF-8): a services file is YAML or JSON"
        ) from None
    if "\x00" in text:
        raise InputError(f"{source}: not a text file (it holds NUL bytes): a services file is YAML or JSON")
    data = _parse(text, source, json_first=Path(path).suffix.lower() == ".json")
    services = services_from_dicts(data, source=source)
    usage = usage_from_dict(data["usage"], source) if isinstance(data, Mapping) and "usage" in data else None
    return services, usage


def example_services() -> list[ServiceSpec]:
    """The packaged example spec (`costplan/examples/services.yaml`): a typical web product.

    Read through `importlib.resources`, so it works from a wheel or a zip as well as a checkout.

    ```python
    from costplan.demand import example_services
    plan = make_plan(catalogue.frame, example_services())
    ```
    """
    resource = files("costplan").joinpath("examples", "services.yaml")
    return services_from_dicts(
        _parse(resource.read_text(encoding="utf-8"), EXAMPLE_SOURCE, json_first=False), source=EXAMPLE_SOURCE
    )


def _parse(text: str, source: str, *, json_first: bool) -> Any:
    """JSON files are parsed as JSON; anything else as YAML (a superset of JSON)."""
    if json_first:
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from exc
    import yaml

    try:
        # libyaml's C loader when the wheel has it (10x faster on a 10,000-service file), same safe subset
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{source}: not valid YAML{where}: {problem}") from exc


def services_from_dicts(data: Any, *, source: str = "services") -> list[ServiceSpec]:
    """Validate a parsed spec: `{"services": [...]}` or a bare list of service objects.

    Every problem of every entry is collected, then raised as one `InputError`.
    """
    if data is None:
        raise InputError(f"{source}: the file is empty: expected a top-level 'services' list of service objects")
    if isinstance(data, Mapping):
        problems = [unknown_key(str(k), TOP_LEVEL_KEYS, "the top level") for k in data if k not in TOP_LEVEL_KEYS]
        if "services" not in data:
            raise InputError(problems_message(source, [*problems, "expected a top-level 'services' list"]))
        if problems:
            raise InputError(problems_message(source, problems))
        if "usage" in data:  # checked here too, so no reader of a spec accepts a malformed block
            usage_from_dict(data["usage"], source)
        items = data["services"]
    else:
        items = data
    if items is None or (isinstance(items, list) and not items):
        raise InputError(f"{source}: the services list is empty: nothing to plan")
    if not isinstance(items, list):
        raise InputError(f"{source}: 'services' must be a list of service objects, got {_kind(items)}")
    problems = []
    services: list[ServiceSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        spec = _service(item, index, problems)
        if spec is None:
            continue
        if spec.name in seen:
            problems.append(
                f"service {spec.name!r} (entry {index + 1}) is defined twice (also entry {seen[spec.name] + 1})"
            )
        seen.setdefault(spec.name, index)
        services.append(spec)
    if problems:
        raise InputError(problems_message(source, problems))
    return services


def _kind(value: Any) -> str:
    """What a YAML/JSON value is, in the file's words (not Python's)."""
    if value is None:
        return "nothing (null)"
    names = {bool: "true/false", str: "a string", int: "a number", float: "a number", list: "a list"}
    return next((f"{n} ({value!r})" for t, n in names.items() if isinstance(value, t)), "an object")


def _service(item: Any, index: int, problems: list[str]) -> ServiceSpec | None:
    """One entry as a ServiceSpec, or None after appending what is wrong with it to `problems`."""
    if not isinstance(item, Mapping):
        problems.append(f"entry {index + 1}: expected an object (name, countMin, cpuMhz, memoryMB), got {_kind(item)}")
        return None
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        label = f"service #{index + 1}"
        problems.append(f"{label}: 'name' is missing or not a non-empty string")
    else:
        label = f"service {name.strip()!r} (entry {index + 1})"
    found: list[str] = [
        f"{label}: '{key}': {USAGE_HINT}"
        if key in ("usage", "peakHoursPerMonth", "peak_hours_per_month")
        else unknown_key(str(key), SPEC_KEYS, label)
        for key in item
        if key not in SPEC_KEYS and key not in EXPORT_KEYS
    ]

    def number(field: str, *, required: bool = True) -> int | None:
        keys = _ALIASES[field]
        key = next((k for k in keys if k in item), None)
        if key is None:
            if required:
                found.append(f"{label}: '{keys[0]}' is missing")
            return None
        value = item[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            found.append(f"{label}: '{key}' must be a whole number, got {value!r}")
        elif isinstance(value, float) and not value.is_integer():
            found.append(f"{label}: '{key}' must be a whole number, got {value!r}")
        elif value < 0:
            found.append(f"{label}: '{key}' must not be negative, got {value!r}")
        elif value > LIMITS[field]:
            found.append(f"{label}: '{key}' is {value:g}, more than the {LIMITS[field]:,} costplan accepts")
        else:
            return int(value)
        return None

    count_min = number("count_min")
    cpu_mhz = number("cpu_mhz")
    memory_mb = number("memory_mb")
    count_max = number("count_max", required=False)
    if count_max is None and not any(k in item for k in _ALIASES["count_max"]):
        count_max = count_min
    if count_min is not None and count_max is not None and count_min > count_max:
        found.append(f"{label}: countMin ({count_min}) is greater than countMax ({count_max})")
    if cpu_mhz == 0 and memory_mb == 0 and (count_max or 0) > 0:
        found.append(f"{label}: cpuMhz and memoryMB are both 0: a replica must reserve something")

    spread = item.get("spread", False)
    if not isinstance(spread, bool):
        found.append(f"{label}: 'spread' must be true or false, got {spread!r}")

    constraints = item.get("constraints") or {}
    providers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    if not isinstance(constraints, Mapping):
        found.append(f"{label}: 'constraints' must be an object with providers and/or tags")
    else:
        found.extend(
            unknown_key(str(key), CONSTRAINT_KEYS, f"the constraints of {label}")
            for key in constraints
            if key not in CONSTRAINT_KEYS
        )
        providers = _strings(constraints, "providers", label, found) + _strings(
            constraints, "providerUuids", label, found
        )
        tags = _strings(constraints, "tags", label, found)

    image = item.get("image")
    if image is None and isinstance(item.get("dockerConfiguration"), Mapping):
        image = item["dockerConfiguration"].get("image")
    if image is not None and not isinstance(image, str):
        found.append(f"{label}: 'image' must be a string, got {image!r}")

    problems.extend(found)
    if found or not isinstance(name, str) or not name.strip():
        return None
    assert count_min is not None and count_max is not None and cpu_mhz is not None and memory_mb is not None
    return ServiceSpec(
        name=name.strip(),
        count_min=count_min,
        count_max=count_max,
        cpu_mhz=cpu_mhz,
        memory_mb=memory_mb,
        spread=spread,
        providers=providers,
        tags=tags,
        image=image if isinstance(image, str) else None,
    )


def _strings(constraints: Mapping[str, Any], key: str, label: str, found: list[str]) -> tuple[str, ...]:
    value = constraints.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        found.append(f"{label}: 'constraints.{key}' must be a list of names, got {value!r}")
        return ()
    return tuple(dict.fromkeys(v.strip() for v in value))


def service_from_reservations(
    name: str,
    reservations: Sequence[tuple[int, int]] | Iterable[tuple[int, int]],
    *,
    count_max: int | None = None,
    spread: bool = False,
    providers: Sequence[str] = (),
    tags: Sequence[str] = (),
) -> ServiceSpec:
    """A `ServiceSpec` from a live service's per-replica (cpu MHz, memory MB) reservations.

    Replicas of one service are planned as identical, so the largest reservation in each
    dimension is used: planning for it is safe for every replica.
    """
    pairs = [(int(c), int(m)) for c, m in reservations]
    if not pairs:
        raise InputError(f"service {name!r}: no replica reservations to plan from")
    if any(c < 0 or m < 0 for c, m in pairs):
        raise InputError(f"service {name!r}: negative reservation in {pairs!r}")
    count = len(pairs)
    return ServiceSpec(
        name=name,
        count_min=count,
        count_max=max(count, count_max if count_max is not None else count),
        cpu_mhz=max(c for c, _ in pairs),
        memory_mb=max(m for _, m in pairs),
        spread=spread,
        providers=tuple(providers),
        tags=tuple(tags),
    )


def schema() -> dict[str, Any]:
    """The services file's JSON Schema, built from the key tables above (the reader's own definitions).

    What it cannot say, the reader still checks: names unique, countMin <= countMax, some reservation.
    """
    number = {f: {"type": "integer", "minimum": 0, "maximum": LIMITS[f]} for f in _ALIASES}
    names: dict[str, Any] = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    service = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "pattern": r"\S"},
            **{key: number[f] for f, keys in _ALIASES.items() for key in keys},
            "spread": {"type": "boolean"},
            "constraints": {
                "type": ["object", "null"],
                "properties": {key: names for key in sorted(CONSTRAINT_KEYS)},
                "additionalProperties": False,
            },
            "image": {"type": ["string", "null"]},
            **{key: {"description": "a LayerOps export field: known, not planned with"} for key in sorted(EXPORT_KEYS)},
        },
        "required": ["name"],
        "allOf": [{"anyOf": [{"required": [k]} for k in _ALIASES[f]]} for f in ("count_min", "cpu_mhz", "memory_mb")],
        "additionalProperties": False,
    }
    services = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/service"}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "costplan services file (YAML or JSON)",
        "anyOf": [
            {
                "type": "object",
                "properties": {"services": services, "usage": _usage_schema()},
                "required": ["services"],
                "additionalProperties": False,
            },
            services,
        ],
        "$defs": {"service": service},
    }


def _usage_schema() -> dict[str, Any]:
    """The top-level `usage` block (`costplan.usage`): hours a month at peak, or a weekly profile."""
    hours = {"type": "number", "minimum": 0, "maximum": MONTH_HOURS}
    profile = {
        "type": "object",
        "properties": {
            "days": {"type": "array", "minItems": 1, "items": {"type": "string"}},
            "hours": {"type": "string", "pattern": r"^\s*\d{1,2}(:00)?\s*-\s*\d{1,2}(:00)?\s*$"},
        },
        "required": ["days", "hours"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"peakHoursPerMonth": hours, "peak_hours_per_month": hours, "peak": profile},
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
    }
