"""The demo catalogue: instance types per cloud platform, served by ``instancesTypes``.

Rows come from the packaged ``data/catalogue.json`` (built by
``scripts/build_demo_catalogue.py``; see ``data/NOTICE`` for sources and licences) plus
synthetic platforms generated on demand for benchmarks. A provider stores only a
catalogue key, so a state file stays small and any process can rebuild the rows.
"""

from __future__ import annotations

import functools
import json
import random
import uuid
from dataclasses import dataclass
from importlib import resources
from typing import Any

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://costplan.invalid/emulator")
SYNTHETIC_PREFIX = "synthetic:"
PRICE_FACTOR = 10_000
HOURS_PER_MONTH = 720


@dataclass(frozen=True)
class Platform:
    """What a provider of this platform shows: display name, icon, region."""

    key: str
    platform_name: str
    platform_icon: str
    region_name: str


PLATFORMS: dict[str, Platform] = {
    p.key: p
    for p in (
        Platform("azure", "Azure", "azure-icon.svg", "France Central"),
        Platform("gcp", "Google Cloud Platform", "gcp-icon.svg", "europe-west1"),
        Platform("scaleway", "Scaleway", "scaleway-icon.svg", "fr-par"),
        Platform("aws", "AWS", "aws-icon.svg", "eu-west-3"),
        Platform("outscale", "3DS Outscale", "outscale-icon.svg", "eu-west-2"),
        Platform("exoscale", "Exoscale", "exoscale-icon.svg", "ch-gva-2"),
    )
}


def stable_uuid(*parts: object) -> str:
    """Deterministic uuid5 for seeded objects the documentation does not name."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


@functools.lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    text = resources.files("costplan.emulator").joinpath("data/catalogue.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def synthetic_key(index: int, type_count: int) -> str:
    """Catalogue key of the ``index``-th synthetic platform with ``type_count`` types."""
    return f"{SYNTHETIC_PREFIX}{index}:{type_count}"


def platform(key: str) -> Platform:
    """The platform for a catalogue key (synthetic keys included)."""
    if key.startswith(SYNTHETIC_PREFIX):
        index = int(key[len(SYNTHETIC_PREFIX) :].split(":")[0])
        return Platform(key, f"Synthetic Cloud {index:02d}", "synthetic-icon.svg", f"synthetic-{index:02d}")
    return PLATFORMS[key]


def platform_for_name(platform_name: str) -> Platform | None:
    """Look a real platform up by its display name (case-insensitive)."""
    wanted = platform_name.strip().lower()
    for candidate in PLATFORMS.values():
        if wanted in (candidate.platform_name.lower(), candidate.key):
            return candidate
    return None


def _synthetic_rows(index: int, type_count: int) -> list[dict[str, Any]]:
    """Illustrative rows for a synthetic platform: deterministic, plausibly priced."""
    rng = random.Random(f"synthetic-{index}")
    cpu_price = rng.uniform(0.018, 0.04)
    gb_price = rng.uniform(0.0025, 0.006)
    reserved_ratio = rng.choice([None, 0.62, 0.7])
    rows = []
    for j in range(type_count):
        vcpus = (1, 2, 4, 8, 16, 32, 48, 64)[j % 8]
        ratio = (1, 2, 4, 8)[(j // 8 + index) % 4]
        memory = vcpus * ratio
        name = f"syn{index:02d}.c{vcpus}m{memory}" + (f".g{j // 32}" if j >= 32 else "")
        hourly = (vcpus * cpu_price + memory * gb_price) * rng.uniform(0.9, 1.1)
        on_demand = max(1, int(round(hourly * PRICE_FACTOR)))
        rows.append(
            {
                "uuid": stable_uuid("instance-type", f"synthetic-{index}", name),
                "name": name,
                "memory": memory,
                "vCPUs": vcpus,
                "ssd": 0,
                "storage": None,
                "onDemandCost": on_demand,
                "reservedCost": None if reserved_ratio is None else int(round(on_demand * reserved_ratio)),
                "priceFactor": PRICE_FACTOR,
                "monthlyPrice": on_demand * HOURS_PER_MONTH,
                "currency": "EUR",
                "priceNote": "synthetic: generated for benchmarks, not a price",
            }
        )
    return rows


@functools.lru_cache(maxsize=256)
def instance_types(key: str, include_bad_rows: bool = True) -> tuple[dict[str, Any], ...]:
    """The rows served for a catalogue key, in the API's exact shape (do not mutate)."""
    if key.startswith(SYNTHETIC_PREFIX):
        index, count = (int(p) for p in key[len(SYNTHETIC_PREFIX) :].split(":"))
        return tuple(_synthetic_rows(index, count))
    entry = _document()["catalogues"][key]
    rows = list(entry["types"])
    if include_bad_rows:
        rows.extend(bad["row"] for bad in entry.get("badTypes", ()))
    return tuple(rows)


@functools.lru_cache(maxsize=256)
def instance_types_json(key: str, include_bad_rows: bool = True) -> bytes:
    """The encoded list, cached: catalogues never change while the process runs."""
    rows = list(instance_types(key, include_bad_rows))
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def find_type(key: str, type_uuid: str) -> dict[str, Any] | None:
    """The row with ``type_uuid`` in a catalogue (bad rows included: pools may use them)."""
    return _types_by_uuid(key).get(type_uuid)


@functools.lru_cache(maxsize=256)
def _types_by_uuid(key: str) -> dict[str, dict[str, Any]]:
    return {row["uuid"]: row for row in instance_types(key, True)}


def catalogue_info(key: str) -> dict[str, Any]:
    """Provenance of a catalogue: ``illustrative`` flag and ``source`` text."""
    if key.startswith(SYNTHETIC_PREFIX):
        return {"illustrative": True, "source": "synthetic (generated)"}
    entry = _document()["catalogues"][key]
    return {"illustrative": entry["illustrative"], "source": entry["source"]}
