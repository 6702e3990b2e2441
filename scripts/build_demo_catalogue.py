"""Regenerate the emulator's packaged demo catalogue from the shared price data.

The emulator must run from an installed wheel, so it never reads ``shared/pricing``
itself: this script derives ``costplan/emulator/data/catalogue.json`` (and its NOTICE)
once, and the result is committed.

Usage::

    python scripts/build_demo_catalogue.py [--pricing-dir ../shared/pricing] [--check]

Sources:

- Google Cloud: ``gcp-pricing-cyclenerd.yml`` (Cyclenerd/google-cloud-pricing-cost-calculator,
  Apache-2.0), ``compute.instance`` only, region europe-west1, GPU machine types skipped.
- Exoscale: ``exoscale-prices.json`` (exoscale/karpenter-provider-exoscale, Apache-2.0),
  ``eur`` hourly figures; vCPU/memory per size are public Exoscale facts listed below.
- Azure (except the two documented rows), Scaleway, AWS and 3DS Outscale: illustrative rows
  written here by hand, labelled as such in the data file and the NOTICE.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PRICING_DIR = REPO_ROOT.parent / "shared" / "pricing"
OUTPUT_DIR = REPO_ROOT / "costplan" / "emulator" / "data"

# The API's own convention (documented monthlyPrice = onDemandCost x 720), not a 730-hour month.
HOURS_PER_MONTH = 720
PRICE_FACTOR = 10_000
# Used only to turn the GCP file's 1-year-commitment *monthly* figure into an hourly one:
# that file's months are 730 hours.
GCP_FILE_HOURS_PER_MONTH = 730

GCP_REGION = "europe-west1"
GCP_COMMIT = "fd66b26ff84fee5cdd94f341ea89206e76c06b99"
GCP_FAMILIES = ("e2", "n1", "n2", "n2d", "n4", "c2", "c2d", "c3", "t2d", "m1", "m2", "m3")
GCP_ACCELERATOR_KEYS = ("a100", "a100-80gb", "h100-80gb", "h100-80gb-mega", "l4", "rtx6000")

EXOSCALE_COMMIT = "cf7165a2bc6fcaa4c4159e542d6802f8f5df451f"
# (family, size) -> (vCPUs, memory GB), from Exoscale's public instance-type table.
EXOSCALE_SIZES: dict[tuple[str, str], tuple[int, float]] = {
    ("standard", "micro"): (1, 0.5),
    ("standard", "tiny"): (1, 1),
    ("standard", "small"): (2, 2),
    ("standard", "medium"): (2, 4),
    ("standard", "large"): (4, 8),
    ("standard", "extra-large"): (4, 16),
    ("standard", "huge"): (8, 32),
    ("standard", "mega"): (12, 64),
    ("standard", "titan"): (16, 128),
    ("standard", "jumbo"): (24, 256),
    ("standard", "colossus"): (40, 320),
    ("cpu", "extra-large"): (8, 16),
    ("cpu", "huge"): (16, 32),
    ("cpu", "mega"): (32, 64),
    ("cpu", "titan"): (40, 128),
    ("memory", "extra-large"): (2, 16),
    ("memory", "huge"): (4, 32),
    ("memory", "mega"): (8, 64),
    ("memory", "titan"): (12, 128),
}

# Deterministic ids for every row the documentation does not give.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://costplan.invalid/emulator")

# The documentation's two Azure rows, verbatim (uuids included).
AZURE_DOCUMENTED = [
    {
        "uuid": "cc6d622a-5144-11ed-84a1-1b508e278eb5",
        "name": "B2s",
        "memory": 4,
        "vCPUs": 2,
        "ssd": 8,
        "storage": None,
        "onDemandCost": 472,
        "reservedCost": None,
        "priceFactor": 10000,
        "monthlyPrice": 339840,
    },
    {
        "uuid": "cc6d6261-5144-11ed-84a1-1b508e278eb5",
        "name": "DS1 v2",
        "memory": 3.5,
        "vCPUs": 1,
        "ssd": 7,
        "storage": None,
        "onDemandCost": 877,
        "reservedCost": None,
        "priceFactor": 10000,
        "monthlyPrice": 631440,
    },
]

# Illustrative rows: (name, vCPUs, memory GB, local ssd GB, hourly, reserved hourly or None).
# Plausible orders of magnitude only; NOT provider list prices.
AZURE_ILLUSTRATIVE = [
    ("B1s", 1, 1, 4, 0.0124, None),
    ("B1ms", 1, 2, 4, 0.0248, None),
    ("B2ms", 2, 8, 16, 0.0992, None),
    ("B4ms", 4, 16, 32, 0.198, None),
    ("B8ms", 8, 32, 64, 0.396, None),
    ("DS2 v2", 2, 7, 14, 0.175, None),
    ("DS3 v2", 4, 14, 28, 0.351, None),
    ("D2s v5", 2, 8, 0, 0.115, None),
    ("D4s v5", 4, 16, 0, 0.23, None),
    ("D8s v5", 8, 32, 0, 0.46, None),
    ("D16s v5", 16, 64, 0, 0.92, None),
    ("E2s v5", 2, 16, 0, 0.152, None),
    ("E4s v5", 4, 32, 0, 0.304, None),
    ("E8s v5", 8, 64, 0, 0.608, None),
    ("F2s v2", 2, 4, 16, 0.0998, None),
    ("F4s v2", 4, 8, 32, 0.1996, None),
    ("F8s v2", 8, 16, 64, 0.399, None),
]
SCALEWAY_ILLUSTRATIVE = [
    ("PLAY2-PICO", 1, 2, 0, 0.014, None),
    ("PLAY2-NANO", 2, 4, 0, 0.027, None),
    ("PLAY2-MICRO", 4, 8, 0, 0.054, None),
    ("DEV1-S", 2, 2, 20, 0.0099, None),
    ("DEV1-M", 3, 4, 40, 0.0198, None),
    ("DEV1-L", 4, 8, 80, 0.042, None),
    ("DEV1-XL", 4, 12, 120, 0.063, None),
    ("GP1-XS", 4, 16, 150, 0.091, None),
    ("GP1-S", 8, 32, 300, 0.187, None),
    ("GP1-M", 16, 64, 600, 0.376, None),
    ("GP1-L", 32, 128, 600, 0.759, None),
    ("PRO2-XXS", 2, 8, 0, 0.055, None),
    ("PRO2-XS", 4, 16, 0, 0.11, None),
    ("PRO2-S", 8, 32, 0, 0.219, None),
    ("PRO2-M", 16, 64, 0, 0.438, None),
    ("PRO2-L", 32, 128, 0, 0.877, None),
    ("POP2-2C-8G", 2, 8, 0, 0.0735, None),
    ("POP2-4C-16G", 4, 16, 0, 0.147, None),
    ("POP2-8C-32G", 8, 32, 0, 0.29, None),
    ("POP2-HM-2C-16G", 2, 16, 0, 0.1, None),
]
AWS_ILLUSTRATIVE = [
    ("t3.micro", 2, 1, 0, 0.0118, 0.0074),
    ("t3.small", 2, 2, 0, 0.0236, 0.0149),
    ("t3.medium", 2, 4, 0, 0.0472, 0.0297),
    ("t3.large", 2, 8, 0, 0.0944, 0.0595),
    ("t3.xlarge", 4, 16, 0, 0.1888, 0.119),
    ("m5.large", 2, 8, 0, 0.112, 0.0706),
    ("m5.xlarge", 4, 16, 0, 0.224, 0.1411),
    ("m5.2xlarge", 8, 32, 0, 0.448, 0.2822),
    ("m5.4xlarge", 16, 64, 0, 0.896, 0.5645),
    ("m6i.large", 2, 8, 0, 0.112, 0.0706),
    ("m6i.xlarge", 4, 16, 0, 0.224, 0.1411),
    ("m5d.large", 2, 8, 75, 0.132, 0.0832),
    ("c5.large", 2, 4, 0, 0.101, 0.0636),
    ("c5.xlarge", 4, 8, 0, 0.202, 0.1273),
    ("c5.2xlarge", 8, 16, 0, 0.404, 0.2545),
    ("r5.large", 2, 16, 0, 0.148, 0.0932),
    ("r5.xlarge", 4, 32, 0, 0.296, 0.1865),
    ("r5.2xlarge", 8, 64, 0, 0.592, 0.373),
]
OUTSCALE_ILLUSTRATIVE = [
    ("tinav5.c1r1p2", 1, 1, 0, 0.0339, None),
    ("tinav5.c1r2p2", 1, 2, 0, 0.0394, None),
    ("tinav5.c2r4p2", 2, 4, 0, 0.0788, None),
    ("tinav5.c2r8p2", 2, 8, 0, 0.1008, None),
    ("tinav5.c4r8p2", 4, 8, 0, 0.1576, None),
    ("tinav5.c4r16p2", 4, 16, 0, 0.2016, None),
    ("tinav5.c8r16p2", 8, 16, 0, 0.3152, None),
    ("tinav5.c8r32p2", 8, 32, 0, 0.4032, None),
    ("tinav5.c16r32p2", 16, 32, 0, 0.6304, None),
    ("tinav5.c16r64p2", 16, 64, 0, 0.8064, None),
    ("tinav6.c2r4p1", 2, 4, 0, 0.0912, None),
    ("tinav6.c4r8p1", 4, 8, 0, 0.1824, None),
    ("tinav6.c8r32p1", 8, 32, 0, 0.4672, None),
]
# Deliberately broken rows (served unless include_bad_rows=False) so that the catalogue's
# data-quality checks have something to report: a zero priceFactor and a missing price.
OUTSCALE_BAD: list[dict[str, Any]] = [
    {
        "name": "tinav4.c2r4p3",
        "vCPUs": 2,
        "memory": 4,
        "ssd": 0,
        "storage": None,
        "onDemandCost": 700,
        "reservedCost": None,
        "priceFactor": 0,
        "monthlyPrice": 504000,
        "defect": "priceFactor is 0 (prices cannot be scaled)",
    },
    {
        "name": "tinav5.c32r64p1",
        "vCPUs": 32,
        "memory": 64,
        "ssd": 0,
        "storage": None,
        "onDemandCost": None,
        "reservedCost": None,
        "priceFactor": 10000,
        "monthlyPrice": None,
        "defect": "onDemandCost and monthlyPrice are null (no price published)",
    },
]

NOTICE = f"""costplan emulator demo catalogue (catalogue.json)
=================================================

Generated by scripts/build_demo_catalogue.py. Prices are integers scaled by priceFactor
(10000); monthlyPrice = onDemandCost x {HOURS_PER_MONTH} (the LayerOps API convention).
The API has no currency field; this file adds two fields the API lacks to each row:
"currency" (the Google Cloud figures are USD, the Exoscale figures EUR; the illustrative
figures are no one's prices and are labelled EUR for the demo) and, on illustrative rows,
"priceNote" ("illustrative: ..."; null on real prices), which costplan shows beside every such row. The two rows
copied from the LayerOps documentation stay verbatim (no currency stated).
The Apache License 2.0 text is in LICENSE-Apache-2.0 next to this file.

1. Google Cloud Platform ("gcp"): derived from real price data.
   Source: https://github.com/Cyclenerd/google-cloud-pricing-cost-calculator
   Path: pricing.yml, commit {GCP_COMMIT}
   Copyright 2022-2025 Nils Knieling. Licensed under the Apache License, Version 2.0
   (http://www.apache.org/licenses/LICENSE-2.0). Distributed on an "AS IS" BASIS,
   WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND.
   Modifications: only compute.instance, region {GCP_REGION}, families
   {", ".join(GCP_FAMILIES)}; GPU and shared-core fractional-vCPU types skipped;
   onDemandCost = round(hour x 10000); reservedCost = round(month_1y / {GCP_FILE_HOURS_PER_MONTH} x 10000);
   ssd = local-ssd GB (0 when none); storage null.

2. Exoscale ("exoscale"): derived from real price data.
   Source: https://github.com/exoscale/karpenter-provider-exoscale
   Path: pkg/providers/instancetype/prices.json, commit {EXOSCALE_COMMIT}
   Licensed under the Apache License, Version 2.0
   (http://www.apache.org/licenses/LICENSE-2.0). Distributed on an "AS IS" BASIS,
   WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND.
   Modifications: eur running_<size> prices of the standard, cpu and memory families,
   onDemandCost = round(hour x 10000); vCPU and memory per size added from Exoscale's
   public instance-type table (not in the source file).

3. Azure ("azure"): the rows B2s and DS1 v2 are copied from the LayerOps API
   documentation's worked example. ALL OTHER Azure rows are ILLUSTRATIVE.

4. Scaleway, AWS, 3DS Outscale ("scaleway", "aws", "outscale"): ILLUSTRATIVE rows written
   by hand (plausible sizes and orders of magnitude, not list prices). Do not use them for
   real cost decisions.

5. Deliberately bad rows ("badTypes" of "outscale"): tinav4.c2r4p3 has priceFactor 0 and
   tinav5.c32r64p1 has a null onDemandCost/monthlyPrice. They exist so that catalogue
   data-quality checks have something to find; EmulatorConfig(include_bad_rows=False)
   hides them.
"""


def type_uuid(catalogue: str, name: str) -> str:
    """Stable id for an undocumented instance type."""
    return str(uuid.uuid5(NAMESPACE, f"instance-type/{catalogue}/{name}"))


def scaled(hourly: float | None) -> int | None:
    """An hourly price as the API's integer (x priceFactor); None stays None."""
    return None if hourly is None else int(round(hourly * PRICE_FACTOR))


def row(
    catalogue: str, name: str, vcpus: int, memory: float, ssd: int, hourly: float | None, reserved_hourly: float | None
) -> dict[str, Any]:
    """One instance-type row in the API's exact shape."""
    on_demand = scaled(hourly)
    return {
        "uuid": type_uuid(catalogue, name),
        "name": name,
        "memory": int(memory) if float(memory).is_integer() else memory,
        "vCPUs": vcpus,
        "ssd": ssd,
        "storage": None,
        "onDemandCost": on_demand,
        "reservedCost": scaled(reserved_hourly),
        "priceFactor": PRICE_FACTOR,
        "monthlyPrice": None if on_demand is None else on_demand * HOURS_PER_MONTH,
    }


def gcp_rows(pricing_dir: Path) -> list[dict[str, Any]]:
    """Google Cloud machine types priced in one region, from the Cyclenerd file."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(pricing_dir / "gcp-pricing-cyclenerd.yml", encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=loader)
    rows = []
    for name, spec in sorted(data["compute"]["instance"].items()):
        if name.split("-")[0] not in GCP_FAMILIES:
            continue
        if any(key in spec for key in GCP_ACCELERATOR_KEYS):
            continue
        cost = (spec.get("cost") or {}).get(GCP_REGION) or {}
        if not cost.get("hour"):
            continue
        cpu = spec["cpu"]
        if not float(cpu).is_integer():
            # Shared-core types (e2-micro 0.25, e2-small 0.5): the API's vCPUs is an integer.
            continue
        month_1y = cost.get("month_1y")
        reserved = month_1y / GCP_FILE_HOURS_PER_MONTH if month_1y else None
        rows.append(row("gcp", name, int(cpu), spec["ram"], int(spec.get("local-ssd", 0)), cost["hour"], reserved))
    return rows


def exoscale_rows(pricing_dir: Path) -> list[dict[str, Any]]:
    """Exoscale standard/cpu/memory sizes with the eur hourly figures."""
    prices = json.loads((pricing_dir / "exoscale-prices.json").read_text(encoding="utf-8"))["eur"]
    rows = []
    for (family, size), (vcpus, memory) in EXOSCALE_SIZES.items():
        key_size = size.replace("-", "_")
        key = f"running_{key_size}" if family == "standard" else f"running_{family}_{key_size}"
        rows.append(row("exoscale", f"{family}.{size}", vcpus, memory, 0, float(prices[key]), None))
    return rows


def illustrative(catalogue: str, table: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Rows from one of the hand-written illustrative tables."""
    return [row(catalogue, *entry) for entry in table]


ILLUSTRATIVE_NOTE = "illustrative: hand-written figures, not a list price"


def bad_rows(catalogue: str) -> list[dict[str, Any]]:
    """The deliberately broken rows, with their defect kept out of the API shape."""
    out = []
    for entry in OUTSCALE_BAD:
        body = {k: v for k, v in entry.items() if k != "defect"}
        row = {"uuid": type_uuid(catalogue, body["name"]), **body, "currency": "EUR", "priceNote": ILLUSTRATIVE_NOTE}
        out.append({"defect": entry["defect"], "row": row})
    return out


def labelled(rows: list[dict[str, Any]], currency: str | None, note: str | None = None) -> list[dict[str, Any]]:
    """Rows with the two fields the API lacks: their currency, and a note when they are not real prices.

    `currency` and `priceNote` are extra fields on every row (clients accept unknown fields; null
    where unknown or not needed), so a catalogue built from the emulator labels each row truly
    instead of applying one currency to all.
    """
    return [{**r, "currency": currency, "priceNote": note} for r in rows]


def build(pricing_dir: Path) -> dict[str, Any]:
    """The whole catalogue document."""
    gcp = gcp_rows(pricing_dir)
    if not 100 <= len(gcp) <= 250:
        raise SystemExit(f"expected 100-250 GCP machine types, got {len(gcp)}")
    return {
        "generatedBy": "scripts/build_demo_catalogue.py",
        "priceFactor": PRICE_FACTOR,
        "hoursPerMonth": HOURS_PER_MONTH,
        "catalogues": {
            "azure": {
                "illustrative": True,
                "source": "B2s and DS1 v2 from the LayerOps API documentation; other rows illustrative",
                "documentedTypes": [r["name"] for r in AZURE_DOCUMENTED],
                "types": AZURE_DOCUMENTED
                + labelled(illustrative("azure", AZURE_ILLUSTRATIVE), "EUR", ILLUSTRATIVE_NOTE),
            },
            "gcp": {
                "illustrative": False,
                "source": (
                    f"Cyclenerd/google-cloud-pricing-cost-calculator pricing.yml@{GCP_COMMIT}, "
                    f"{GCP_REGION}, USD, Apache-2.0"
                ),
                "types": labelled(gcp, "USD"),
            },
            "scaleway": {
                "illustrative": True,
                "source": "illustrative (hand-written)",
                "types": labelled(illustrative("scaleway", SCALEWAY_ILLUSTRATIVE), "EUR", ILLUSTRATIVE_NOTE),
            },
            "aws": {
                "illustrative": True,
                "source": "illustrative (hand-written)",
                "types": labelled(illustrative("aws", AWS_ILLUSTRATIVE), "EUR", ILLUSTRATIVE_NOTE),
            },
            "outscale": {
                "illustrative": True,
                "source": "illustrative (hand-written)",
                "types": labelled(illustrative("outscale", OUTSCALE_ILLUSTRATIVE), "EUR", ILLUSTRATIVE_NOTE),
                "badTypes": bad_rows("outscale"),
            },
            "exoscale": {
                "illustrative": False,
                "source": (
                    f"exoscale/karpenter-provider-exoscale "
                    f"pkg/providers/instancetype/prices.json@{EXOSCALE_COMMIT}, eur, Apache-2.0"
                ),
                "types": labelled(exoscale_rows(pricing_dir), "EUR"),
            },
        },
    }


def render(document: dict[str, Any]) -> str:
    """Compact but diff-friendly JSON: one instance type per line."""
    lines = ["{"]
    head = {k: v for k, v in document.items() if k != "catalogues"}
    for key, value in head.items():
        lines.append(f"  {json.dumps(key)}: {json.dumps(value)},")
    lines.append('  "catalogues": {')
    names = list(document["catalogues"])
    for i, name in enumerate(names):
        cat = document["catalogues"][name]
        lines.append(f"    {json.dumps(name)}: {{")
        fields = list(cat)
        for j, field in enumerate(fields):
            comma = "," if j < len(fields) - 1 else ""
            value = cat[field]
            if field in ("types", "badTypes"):
                lines.append(f"      {json.dumps(field)}: [")
                for k, item in enumerate(value):
                    sep = "," if k < len(value) - 1 else ""
                    lines.append(f"        {json.dumps(item, separators=(',', ':'))}{sep}")
                lines.append(f"      ]{comma}")
            else:
                lines.append(f"      {json.dumps(field)}: {json.dumps(value)}{comma}")
        lines.append("    }" + ("," if i < len(names) - 1 else ""))
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, verify) the packaged data files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pricing-dir", type=Path, default=DEFAULT_PRICING_DIR)
    parser.add_argument("--output-dir", type=Path, default=OUTPUT_DIR)
    parser.add_argument("--check", action="store_true", help="fail if the files are out of date")
    args = parser.parse_args(argv)
    outputs = {"catalogue.json": render(build(args.pricing_dir)), "NOTICE": NOTICE}
    stale = []
    for name, text in outputs.items():
        path = args.output_dir / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    if stale:
        print(f"out of date: {', '.join(stale)} (run scripts/build_demo_catalogue.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
