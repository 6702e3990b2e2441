"""Request-body validation: every 400 names the offending field.

The real API validates with NestJS/class-validator (we assume); unknown fields are
accepted and ignored, as the client must tolerate a schema that grows. JSON has one
number type, so ``1.0`` counts as the integer 1, but ``true`` is never a number.
"""

from __future__ import annotations

import json
from typing import Any

from costplan.emulator.errors import ApiError, bad_request

MAX_COUNT = 1000
POOL_DEFAULTS: dict[str, Any] = {
    "tags": [],
    "volumeSize": 0,
    "replaceInstanceDownMinutes": 5,
    "instanceUnusedMinutes": 10,
}
POOL_READ_ONLY = ("uuid", "environmentUuid", "providerUuid", "createdAt", "deletedAt")
SERVICE_READ_ONLY = ("uuid", "environmentUuid", "environmentLbDns", "createdAt", "deletedAt", "pausedAt", "type")


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or a 400."""
    if not raw.strip():
        raise bad_request("request body must be a JSON object (body is empty)")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("request body is not valid JSON") from None
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


def _integer(body: dict[str, Any], name: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    value = body[name]
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and not value.is_integer())
    ):
        raise bad_request(f"{name} must be an integer")
    number = int(value)
    if number < minimum:
        raise bad_request(f"{name} must not be less than {minimum}")
    if maximum is not None and number > maximum:
        raise bad_request(f"{name} must not be greater than {maximum}")
    return number


def _number(body: dict[str, Any], name: str, *, positive: bool = True) -> float:
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_request(f"{name} must be a number")
    if positive and value <= 0:
        raise bad_request(f"{name} must be greater than 0")
    return float(value)


def _string(body: dict[str, Any], name: str) -> str:
    value = body[name]
    if not isinstance(value, str) or not value.strip():
        raise bad_request(f"{name} must be a non-empty string")
    return value


def _string_list(body: dict[str, Any], name: str) -> list[str]:
    value = body[name]
    if not isinstance(value, list) or any(not isinstance(v, str) for v in value):
        raise bad_request(f"{name} must be an array of strings")
    return list(value)


def _require(body: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if name not in body or body[name] is None:
            raise bad_request(f"{name} is required")


def _check_counts(count_min: int, count_max: int) -> None:
    if count_min > count_max:
        raise bad_request(f"countMin ({count_min}) must not be greater than countMax ({count_max})")


def pool_fields(body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validated pool fields; with ``partial`` only those present (for PUT)."""
    if not partial:
        _require(body, ("instanceTypeUuid", "name", "countMin", "countMax"))
        body = {**POOL_DEFAULTS, **{k: v for k, v in body.items() if v is not None}}
    out: dict[str, Any] = {}
    if "instanceTypeUuid" in body:
        out["instanceTypeUuid"] = _string(body, "instanceTypeUuid")
    if "name" in body:
        out["name"] = _string(body, "name")
    if "tags" in body:
        out["tags"] = _string_list(body, "tags")
    for name in ("volumeSize", "replaceInstanceDownMinutes", "instanceUnusedMinutes"):
        if name in body:
            out[name] = _integer(body, name)
    for name in ("countMin", "countMax"):
        if name in body:
            out[name] = _integer(body, name, maximum=MAX_COUNT)
    if not partial:
        _check_counts(out["countMin"], out["countMax"])
    return out


def merged_pool_counts(current: dict[str, Any], changes: dict[str, Any]) -> None:
    """Reject a PUT whose resulting countMin/countMax disagree."""
    _check_counts(changes.get("countMin", current["countMin"]), changes.get("countMax", current["countMax"]))


def _constraints(body: dict[str, Any]) -> dict[str, list[str]]:
    raw = body["constraints"]
    if not isinstance(raw, dict):
        raise bad_request("constraints must be an object")
    out: dict[str, list[str]] = {}
    for name in ("instancePoolUuids", "providerUuids", "tags"):
        if raw.get(name) is not None:
            try:
                out[name] = _string_list(raw, name)
            except ApiError:
                raise bad_request(f"constraints.{name} must be an array of strings") from None
        else:
            out[name] = []
    return out


def _variables(body: dict[str, Any]) -> list[dict[str, Any]]:
    """``environmentVariables``: ``[{key, value, isSensitive}]`` (API-NOTES.md section 6)."""
    raw = body["environmentVariables"]
    if not isinstance(raw, list) or not all(isinstance(v, dict) and isinstance(v.get("key"), str) for v in raw):
        raise bad_request("environmentVariables must be an array of {key, value, isSensitive} objects")
    return [{"key": v["key"], "value": str(v.get("value", "")), "isSensitive": bool(v.get("isSensitive"))} for v in raw]


def _docker(body: dict[str, Any]) -> dict[str, Any]:
    raw = body["dockerConfiguration"]
    if not isinstance(raw, dict):
        raise bad_request("dockerConfiguration must be an object")
    if not isinstance(raw.get("image"), str) or not raw["image"].strip():
        raise bad_request("dockerConfiguration.image must be a non-empty string")
    if "imageVersion" in raw and raw["imageVersion"] is not None and not isinstance(raw["imageVersion"], str):
        raise bad_request("dockerConfiguration.imageVersion must be a string")
    return dict(raw)


def _ports(body: dict[str, Any]) -> list[dict[str, Any]]:
    raw = body["ports"]
    if not isinstance(raw, list):
        raise bad_request("ports must be an array")
    out = []
    for i, port in enumerate(raw):
        if not isinstance(port, dict):
            raise bad_request(f"ports[{i}] must be an object")
        if "listeningPort" not in port:
            raise bad_request(f"ports[{i}].listeningPort is required")
        listening = _integer(
            {f"ports[{i}].listeningPort": port["listeningPort"]}, f"ports[{i}].listeningPort", minimum=1, maximum=65535
        )
        rules = port.get("loadBalancerRules") or []
        if not isinstance(rules, list) or any(not isinstance(r, dict) for r in rules):
            raise bad_request(f"ports[{i}].loadBalancerRules must be an array of objects")
        public_ports = []
        for j, rule in enumerate(rules):
            key = f"ports[{i}].loadBalancerRules[{j}].publicPort"
            public_ports.append(_integer({key: rule.get("publicPort", 443)}, key, minimum=1, maximum=65535))
        out.append({"listeningPort": listening, "publicPorts": public_ports})
    return out


def service_fields(body: dict[str, Any], *, partial: bool, docker: bool) -> dict[str, Any]:
    """Validated service fields; with ``partial`` only those present (for PUT).

    ``cpuLimit`` is read as the MHz reserved per replica and ``memoryLimitMiB`` as the MB
    reserved per replica: the documentation never states ``cpuLimit``'s unit, and the
    status's ``totalReservedCpuMhz`` suggests the platform accounts CPU in MHz. Absent,
    the store applies the documented sample's 128 MHz / 128 MB.
    """
    if not partial:
        _require(body, ("name",) + (("dockerConfiguration",) if docker else ()))
    out: dict[str, Any] = {}
    if "name" in body:
        out["name"] = _string(body, "name")
    for name in ("countMin", "countMax"):
        if body.get(name) is not None:
            out[name] = _integer(body, name, maximum=MAX_COUNT)
    if body.get("dockerConfiguration") is not None:
        out["dockerConfiguration"] = _docker(body)
    if body.get("ports") is not None:
        out["ports"] = _ports(body)
    if body.get("cpuLimit") is not None:
        out["cpuMhz"] = int(round(_number(body, "cpuLimit")))
    if body.get("memoryLimitMiB") is not None:
        out["memoryMB"] = _integer(body, "memoryLimitMiB", minimum=1)
    if body.get("constraints") is not None:
        out["constraints"] = _constraints(body)
    if body.get("environmentVariables") is not None:
        out["environmentVariables"] = _variables(body)
    if not partial:
        out.setdefault("countMin", 1)
        out.setdefault("countMax", max(out["countMin"], 1))
        _check_counts(out["countMin"], out["countMax"])
        out.setdefault("ports", [])
        out.setdefault("constraints", {"instancePoolUuids": [], "providerUuids": [], "tags": []})
    return out


def merged_service_counts(current: dict[str, Any], changes: dict[str, Any]) -> None:
    """Reject a PUT whose resulting countMin/countMax disagree."""
    _check_counts(changes.get("countMin", current["countMin"]), changes.get("countMax", current["countMax"]))


def named_fields(body: dict[str, Any], *, required: tuple[str, ...]) -> dict[str, Any]:
    """``{"name": ...}`` bodies (workspaces, environments)."""
    _require(body, required)
    out: dict[str, Any] = {"name": _string(body, "name")}
    if body.get("platformNames") is not None:
        out["platformNames"] = _string_list(body, "platformNames")
    if body.get("limitEnvironmentNumber") is not None:
        out["limitEnvironmentNumber"] = _integer(body, "limitEnvironmentNumber", minimum=1, maximum=100)
    return out
