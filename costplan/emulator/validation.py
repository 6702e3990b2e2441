"""Request-body validation: a 400 lists every violation, each naming its field.

The real API validates with NestJS/class-validator (we assume), whose ``ValidationPipe``
reports all violations at once, so a check here never stops at the first one. Unknown
fields are accepted and ignored, as the client must tolerate a schema that grows, but a
PUT must carry at least one field the resource has. JSON has one number type, so ``1.0``
counts as the integer 1, but ``true`` is never a number; ``NaN`` and ``Infinity`` are not
JSON (Node's parser, behind NestJS, refuses them), so the emulator refuses them too.
Integers are bounded by a signed 32-bit column (our assumption: no limit is documented).
"""

from __future__ import annotations

import json
import math
from typing import Any

from costplan.emulator.errors import bad_request

MAX_COUNT = 1000
MAX_INT = 2**31 - 1
PORT = 65535
POOL_DEFAULTS: dict[str, Any] = {
    "tags": [],
    "volumeSize": 0,
    "replaceInstanceDownMinutes": 5,
    "instanceUnusedMinutes": 10,
}
POOL_FIELDS = ("instanceTypeUuid", "name", "tags", "volumeSize", "countMin", "countMax") + (
    "replaceInstanceDownMinutes",
    "instanceUnusedMinutes",
)
SERVICE_FIELDS = ("name", "countMin", "countMax", "dockerConfiguration", "ports", "cpuLimit", "memoryLimitMiB") + (
    "constraints",
    "environmentVariables",
)
POOL_READ_ONLY = ("uuid", "environmentUuid", "providerUuid", "createdAt", "deletedAt")
SERVICE_READ_ONLY = ("uuid", "environmentUuid", "environmentLbDns", "createdAt", "deletedAt", "pausedAt", "type")


class Violations:
    """Collects what is wrong with one request; :meth:`check` raises them all as one 400."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        self.messages.append(message)

    def check(self) -> None:
        if self.messages:
            raise bad_request(self.messages)


def _not_json(constant: str) -> float:
    raise ValueError(f"{constant} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range for a number")
    return value


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 (NaN, Infinity and overflowing numbers refused)."""
    if not raw.strip():
        raise bad_request("request body must be a JSON object (body is empty)")
    try:
        body = json.loads(raw, parse_constant=_not_json, parse_float=_finite_float)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        detail = str(exc) if "JSON number" in str(exc) or "out of range" in str(exc) else ""
        raise bad_request("request body is not valid JSON" + (f": {detail}" if detail else "")) from None
    except RecursionError:
        raise bad_request("request body is not valid JSON: nested too deeply") from None
    if not isinstance(body, dict):
        raise bad_request("request body must be a JSON object")
    return body


def parse_bool_param(params: dict[str, str], name: str, default: bool = False) -> bool:
    """A ``true``/``false`` query parameter."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise bad_request(f"query parameter {name} must be true or false")


def _integer(v: Violations, name: str, value: Any, *, minimum: int = 0, maximum: int = MAX_INT) -> int | None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and not value.is_integer())
    ):
        v.add(f"{name} must be an integer")
        return None
    number = int(value)
    if number < minimum:
        v.add(f"{name} must not be less than {minimum}")
        return None
    if number > maximum:
        v.add(f"{name} must not be greater than {maximum}")
        return None
    return number


def _positive_number(v: Violations, name: str, value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        v.add(f"{name} must be a number")
        return None
    if value <= 0:
        v.add(f"{name} must be greater than 0")
        return None
    if value > MAX_INT:
        v.add(f"{name} must not be greater than {MAX_INT}")
        return None
    return float(value)


def _string(v: Violations, name: str, value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        v.add(f"{name} must be a non-empty string")
        return None
    return value


def _string_list(v: Violations, name: str, value: Any) -> list[str] | None:
    if not isinstance(value, list) or any(not isinstance(item, str) for item in value):
        v.add(f"{name} must be an array of strings")
        return None
    return list(value)


def _present(body: dict[str, Any]) -> dict[str, Any]:
    """The fields that carry a value: ``null`` means "not given"."""
    return {k: val for k, val in body.items() if val is not None}


def _require(v: Violations, body: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name not in body:
            v.add(f"{name} is required")


def _nothing_to_update(v: Violations, body: dict[str, Any], fields: tuple[str, ...]) -> None:
    if not any(name in body for name in fields):
        v.add(f"the body has no field to update: send at least one of {', '.join(fields)}")


def _counts_agree(v: Violations, count_min: int | None, count_max: int | None) -> None:
    if count_min is not None and count_max is not None and count_min > count_max:
        v.add(f"countMin ({count_min}) must not be greater than countMax ({count_max})")


def pool_fields(body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validated pool fields; with ``partial`` only those present (for PUT)."""
    v = Violations()
    body = _present(body)
    if partial:
        _nothing_to_update(v, body, POOL_FIELDS)
    else:
        _require(v, body, ("instanceTypeUuid", "name", "countMin", "countMax"))
        body = {**POOL_DEFAULTS, **body}
    out: dict[str, Any] = {}
    for name in ("instanceTypeUuid", "name"):
        if name in body:
            out[name] = _string(v, name, body[name])
    if "tags" in body:
        out["tags"] = _string_list(v, "tags", body["tags"])
    for name in ("volumeSize", "replaceInstanceDownMinutes", "instanceUnusedMinutes"):
        if name in body:
            out[name] = _integer(v, name, body[name])
    for name in ("countMin", "countMax"):
        if name in body:
            out[name] = _integer(v, name, body[name], maximum=MAX_COUNT)
    if not partial:
        _counts_agree(v, out.get("countMin"), out.get("countMax"))
    v.check()
    return out


def merged_counts(current: dict[str, Any], changes: dict[str, Any]) -> None:
    """Reject a PUT whose resulting countMin/countMax disagree."""
    v = Violations()
    _counts_agree(v, changes.get("countMin", current["countMin"]), changes.get("countMax", current["countMax"]))
    v.check()


def _constraints(v: Violations, raw: Any) -> dict[str, list[str]] | None:
    if not isinstance(raw, dict):
        v.add("constraints must be an object")
        return None
    out: dict[str, list[str]] = {}
    for name in ("instancePoolUuids", "providerUuids", "tags"):
        value = raw.get(name)
        checked = [] if value is None else _string_list(v, f"constraints.{name}", value)
        if checked is not None:
            out[name] = checked
    return out


def _variables(v: Violations, raw: Any) -> list[dict[str, Any]] | None:
    """``environmentVariables``: ``[{key, value, isSensitive}]`` (API-NOTES.md section 6)."""
    if not isinstance(raw, list) or not all(isinstance(e, dict) and isinstance(e.get("key"), str) for e in raw):
        v.add("environmentVariables must be an array of {key, value, isSensitive} objects")
        return None
    return [{"key": e["key"], "value": str(e.get("value", "")), "isSensitive": bool(e.get("isSensitive"))} for e in raw]


def _docker(v: Violations, raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        v.add("dockerConfiguration must be an object")
        return None
    image = raw.get("image")
    if not isinstance(image, str) or not image.strip():
        v.add("dockerConfiguration.image must be a non-empty string")
    if raw.get("imageVersion") is not None and not isinstance(raw["imageVersion"], str):
        v.add("dockerConfiguration.imageVersion must be a string")
    return dict(raw)


def _ports(v: Violations, raw: Any) -> list[dict[str, Any]] | None:
    if not isinstance(raw, list):
        v.add("ports must be an array")
        return None
    out = []
    for i, port in enumerate(raw):
        if not isinstance(port, dict):
            v.add(f"ports[{i}] must be an object")
            continue
        listening = None
        if port.get("listeningPort") is None:
            v.add(f"ports[{i}].listeningPort is required")
        else:
            listening = _integer(v, f"ports[{i}].listeningPort", port["listeningPort"], minimum=1, maximum=PORT)
        rules = port.get("loadBalancerRules") or []
        if not isinstance(rules, list) or any(not isinstance(r, dict) for r in rules):
            v.add(f"ports[{i}].loadBalancerRules must be an array of objects")
            continue
        where = f"ports[{i}].loadBalancerRules"
        public_ports = [
            _integer(v, f"{where}[{j}].publicPort", r.get("publicPort", 443), minimum=1, maximum=PORT)
            for j, r in enumerate(rules)
        ]
        out.append({"listeningPort": listening, "publicPorts": public_ports})
    return out


def service_fields(body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validated service fields; with ``partial`` only those present (for PUT).

    ``cpuLimit`` is read as the MHz reserved per replica and ``memoryLimitMiB`` as the MB
    reserved per replica: the documentation never states ``cpuLimit``'s unit, and the
    status's ``totalReservedCpuMhz`` suggests the platform accounts CPU in MHz. Absent,
    the store applies the documented sample's 128 MHz / 128 MB. Every service needs an
    image, whichever create endpoint it comes through.
    """
    v = Violations()
    body = _present(body)
    if partial:
        _nothing_to_update(v, body, SERVICE_FIELDS)
    else:
        _require(v, body, ("name", "dockerConfiguration"))
    out: dict[str, Any] = {}
    if "name" in body:
        out["name"] = _string(v, "name", body["name"])
    for name in ("countMin", "countMax"):
        if name in body:
            out[name] = _integer(v, name, body[name], maximum=MAX_COUNT)
    if "dockerConfiguration" in body:
        out["dockerConfiguration"] = _docker(v, body["dockerConfiguration"])
    if "ports" in body:
        out["ports"] = _ports(v, body["ports"])
    if "cpuLimit" in body:
        cpu = _positive_number(v, "cpuLimit", body["cpuLimit"])
        out["cpuMhz"] = None if cpu is None else max(1, int(round(cpu)))
    if "memoryLimitMiB" in body:
        out["memoryMB"] = _integer(v, "memoryLimitMiB", body["memoryLimitMiB"], minimum=1)
    if "constraints" in body:
        out["constraints"] = _constraints(v, body["constraints"])
    if "environmentVariables" in body:
        out["environmentVariables"] = _variables(v, body["environmentVariables"])
    if not partial:
        out.setdefault("countMin", 1)
        out.setdefault("countMax", max(out["countMin"] or 1, 1))
        _counts_agree(v, out["countMin"], out["countMax"])
        out.setdefault("ports", [])
        out.setdefault("constraints", {"instancePoolUuids": [], "providerUuids": [], "tags": []})
    v.check()
    return out


def named_fields(body: dict[str, Any], *, required: tuple[str, ...]) -> dict[str, Any]:
    """``{"name": ...}`` bodies (workspaces, environments)."""
    v = Violations()
    body = _present(body)
    _require(v, body, required)
    out: dict[str, Any] = {}
    if "name" in body:
        out["name"] = _string(v, "name", body["name"])
    if "platformNames" in body:
        out["platformNames"] = _string_list(v, "platformNames", body["platformNames"])
    if "limitEnvironmentNumber" in body:
        out["limitEnvironmentNumber"] = _integer(
            v, "limitEnvironmentNumber", body["limitEnvironmentNumber"], minimum=1, maximum=100
        )
    v.check()
    return out
