"""The demand: services specs (YAML or JSON) read into `ServiceSpec`s, validated with clear errors.

The spec format is DESIGN.md section 4:

```yaml
services:
  - name: api
    countMin: 2          # replicas always running (the baseline plan)
    countMax: 6          # replicas at peak (sets each pool's countMax); defaults to countMin
    cpuMhz: 500          # reservation per replica
    memoryMB: 512
    spread: true         # at most one replica per node
    constraints: {providers: [Azure], tags: [backend]}
```

Unknown fields are ignored (a LayerOps service export carries many), so a spec can be the
export itself. Every error names the file, the service and the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from costplan.errors import InputError
from costplan.models import ServiceSpec

EXAMPLE_SOURCE = "costplan/examples/services.yaml"

# Spec keys (camelCase, as LayerOps writes them) and the snake_case aliases also accepted.
_ALIASES: dict[str, tuple[str, ...]] = {
    "count_min": ("countMin", "count_min"),
    "count_max": ("countMax", "count_max"),
    "cpu_mhz": ("cpuMhz", "cpuMHz", "cpu_mhz"),
    "memory_mb": ("memoryMB", "memoryMb", "memory_mb"),
}


def load_services(path: str | Path) -> list[ServiceSpec]:
    """Read a services spec file (`.yaml`, `.yml` or `.json`) into validated `ServiceSpec`s.

    ```python
    services = load_services("examples/services.yaml")
    ```
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{source}: cannot read the services file: {exc.strerror or exc}") from exc
    data = _parse(text, source, json_first=Path(path).suffix.lower() == ".json")
    return services_from_dicts(data, source=source)


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
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{source}: not valid YAML{where}: {problem}") from exc


def services_from_dicts(data: Any, *, source: str = "services") -> list[ServiceSpec]:
    """Validate a parsed spec: `{"services": [...]}` or a bare list of service objects."""
    if isinstance(data, Mapping):
        if "services" not in data:
            raise InputError(f"{source}: expected a top-level 'services' list")
        items = data["services"]
    else:
        items = data
    if not isinstance(items, list):
        raise InputError(f"{source}: 'services' must be a list of service objects, got {type(items).__name__}")
    if not items:
        raise InputError(f"{source}: the services list is empty")
    services: list[ServiceSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        spec = _service(item, source, index)
        if spec.name in seen:
            raise InputError(
                f"{source}: service {spec.name!r} (entry {index + 1}) is defined twice"
                f" (also entry {seen[spec.name] + 1})"
            )
        seen[spec.name] = index
        services.append(spec)
    return services


def _service(item: Any, source: str, index: int) -> ServiceSpec:
    label = f"{source}: service #{index + 1}"
    if not isinstance(item, Mapping):
        raise InputError(f"{label}: expected an object with name, countMin, cpuMhz, memoryMB")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(f"{label}: 'name' is missing or not a non-empty string")
    label = f"{source}: service {name!r}"

    def number(field: str, *, required: bool = True) -> int | None:
        keys = _ALIASES[field]
        key = next((k for k in keys if k in item), None)
        if key is None:
            if required:
                raise InputError(f"{label}: '{keys[0]}' is missing")
            return None
        value = item[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(f"{label}: '{key}' must be a whole number, got {value!r}")
        if isinstance(value, float) and not value.is_integer():
            raise InputError(f"{label}: '{key}' must be a whole number, got {value!r}")
        if value < 0:
            raise InputError(f"{label}: '{key}' must not be negative, got {value!r}")
        return int(value)

    def required(field: str) -> int:
        value = number(field)
        return 0 if value is None else value

    count_min = required("count_min")
    cpu_mhz = required("cpu_mhz")
    memory_mb = required("memory_mb")
    count_max = number("count_max", required=False)
    if count_max is None:
        count_max = count_min
    if count_min > count_max:
        raise InputError(f"{label}: countMin ({count_min}) is greater than countMax ({count_max})")
    if cpu_mhz == 0 and memory_mb == 0 and count_max > 0:
        raise InputError(f"{label}: cpuMhz and memoryMB are both 0: a replica must reserve something")

    spread = item.get("spread", False)
    if not isinstance(spread, bool):
        raise InputError(f"{label}: 'spread' must be true or false, got {spread!r}")

    constraints = item.get("constraints") or {}
    if not isinstance(constraints, Mapping):
        raise InputError(f"{label}: 'constraints' must be an object with providers and/or tags")
    providers = _strings(constraints, "providers", label) + _strings(constraints, "providerUuids", label)
    tags = _strings(constraints, "tags", label)

    image = item.get("image")
    if image is None and isinstance(item.get("dockerConfiguration"), Mapping):
        image = item["dockerConfiguration"].get("image")
    if image is not None and not isinstance(image, str):
        raise InputError(f"{label}: 'image' must be a string, got {image!r}")

    return ServiceSpec(
        name=name.strip(),
        count_min=count_min,
        count_max=count_max,
        cpu_mhz=cpu_mhz,
        memory_mb=memory_mb,
        spread=spread,
        providers=providers,
        tags=tags,
        image=image,
    )


def _strings(constraints: Mapping[str, Any], key: str, label: str) -> tuple[str, ...]:
    value = constraints.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(f"{label}: 'constraints.{key}' must be a list of names, got {value!r}")
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
