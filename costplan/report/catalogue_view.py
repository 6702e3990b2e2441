"""The catalogue report's content, computed from plain rows: what is cheapest, per provider and per size.

Input is a `costplan.catalogue.Catalogue` (read by duck typing: `.frame`, `.quality`, `.missing`,
`.collected_at`, `.currency`, `.source`, `.notices`) or a bare DataFrame with the separate tables.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from costplan.report.charts import PricePoint, price_scatter
from costplan.report.formatting import to_float
from costplan.report.page import Page, now_utc, oldest_collected_at, resolve_source
from costplan.report.records import columns_of, pick, records

# (label, lowest vCPUs, highest vCPUs): the sizes people shop for.
SIZE_CLASSES: tuple[tuple[str, float, float], ...] = (
    ("1\u20132 vCPUs", 0, 2),
    ("3\u20134 vCPUs", 2.0001, 4),
    ("5\u20138 vCPUs", 4.0001, 8),
    ("9\u201316 vCPUs", 8.0001, 16),
    ("17\u201331 vCPUs", 16.0001, 31.9999),
    ("32+ vCPUs", 32, float("inf")),
)
CHEAPEST_PER_CLASS = 3
# Columns the report reads; anything else in the frame is ignored (it is in the snapshot).
_READ = (
    "provider", "provider_uuid", "instance_type", "instance_type_uuid", "vcpus", "memory_gb", "ssd_gb",
    "hourly_price", "monthly_price", "price_per_vcpu_month", "price_per_gb_month", "currency",
    "collected_at", "list_monthly_price", "price_note",
)  # fmt: skip
_CHANGE_LABELS = {
    "added": "added",
    "removed": "removed",
    "price": "price changed",
    "changed": "price changed",
}


@dataclass(frozen=True)
class CatalogueInput:
    frame: Any
    quality: Any = None
    missing: Any = None
    changelog: Any = None
    collected_at: Any = None
    currency: str | None = None
    source: str | None = None
    notices: Sequence[str] = ()


def read_input(catalogue: Any, **given: Any) -> CatalogueInput:
    """Accept a Catalogue-like object or a DataFrame; explicit keyword tables win over attributes."""
    wrapped = hasattr(catalogue, "frame") and not hasattr(catalogue, "columns")
    frame = catalogue.frame if wrapped else catalogue

    def attr(name: str, *aliases: str) -> Any:
        if given.get(name) is not None:
            return given[name]
        if not wrapped:  # a DataFrame: its attributes are columns, not tables
            return None
        for candidate in (name, *aliases):
            value = getattr(catalogue, candidate, None)
            if value is not None and not callable(value):
                return value
        return None

    return CatalogueInput(
        frame=frame,
        quality=attr("quality"),
        missing=attr("missing", "missing_providers"),
        changelog=attr("changelog"),
        collected_at=attr("collected_at"),
        currency=attr("currency"),
        source=attr("source"),
        notices=tuple(attr("notices") or ()),
    )


def _row(raw: Mapping[str, Any]) -> dict[str, Any]:
    row = {key: raw.get(key) for key in _READ}  # `records` has already made missing values None
    vcpus, price = to_float(row["vcpus"]), to_float(row["monthly_price"])
    memory = to_float(row["memory_gb"])
    if row["price_per_vcpu_month"] is None and vcpus and price is not None:
        row["price_per_vcpu_month"] = price / vcpus
    if row["price_per_gb_month"] is None and memory and price is not None:
        row["price_per_gb_month"] = price / memory
    row["provider"] = str(row["provider"] or row["provider_uuid"] or "unknown provider")
    row["instance_type"] = str(row["instance_type"] or row["instance_type_uuid"] or "unnamed")
    return row


def _cheapest(rows: Sequence[dict[str, Any]], key: str) -> dict[str, Any] | None:
    priced = [r for r in rows if to_float(r[key]) is not None]
    return min(priced, key=lambda r: (r[key], r["monthly_price"] or 0)) if priced else None


def _median(values: Sequence[Any]) -> float | None:
    numbers = [v for v in (to_float(x) for x in values) if v is not None]
    return statistics.median(numbers) if numbers else None


def catalogue_context(
    data: CatalogueInput, *, source: str | None, title: str | None, generated_at: datetime | None
) -> dict[str, Any]:
    """Everything `catalogue.html` shows, as plain values."""
    rows = [_row(r) for r in records(data.frame, _READ)]
    rows.sort(key=lambda r: (r["provider"].lower(), to_float(r["monthly_price"]) or 0.0, r["instance_type"]))
    currencies = sorted({str(r["currency"]) for r in rows if r["currency"]})
    currency = data.currency or (currencies[0] if len(currencies) == 1 else ("/".join(currencies) or "EUR"))
    page = Page(
        kind="catalogue",
        title=title or "Instance-type catalogue",
        source=resolve_source(source, data.source),
        currency=str(currency),
        generated_at=now_utc(generated_at),
        catalogue_collected_at=oldest_collected_at(rows, data.collected_at),
    )

    providers = []
    names = sorted({r["provider"] for r in rows}, key=str.lower)
    for name in names:
        own = [r for r in rows if r["provider"] == name]
        vcpus = [v for v in (to_float(r["vcpus"]) for r in own) if v is not None]
        providers.append(
            {
                "name": name,
                "types": len(own),
                "vcpus_min": min(vcpus) if vcpus else None,
                "vcpus_max": max(vcpus) if vcpus else None,
                "min_per_vcpu": _cheapest(own, "price_per_vcpu_month"),
                "median_per_vcpu": _median([r["price_per_vcpu_month"] for r in own]),
                "min_per_gb": _cheapest(own, "price_per_gb_month"),
                "median_per_gb": _median([r["price_per_gb_month"] for r in own]),
                "rows": own,
            }
        )
    top_vcpu = max([to_float(p["median_per_vcpu"]) or 0.0 for p in providers] + [1e-9])
    top_gb = max([to_float(p["median_per_gb"]) or 0.0 for p in providers] + [1e-9])
    for provider in providers:
        provider["vcpu_bar"] = (to_float(provider["median_per_vcpu"]) or 0.0) / top_vcpu
        provider["gb_bar"] = (to_float(provider["median_per_gb"]) or 0.0) / top_gb

    size_classes = []
    for label, low, high in SIZE_CLASSES:
        members = [r for r in rows if (v := to_float(r["vcpus"])) is not None and low <= v <= high]
        priced = [r for r in members if to_float(r["price_per_vcpu_month"]) is not None]
        priced.sort(key=lambda r: (r["price_per_vcpu_month"], r["monthly_price"] or 0.0))
        size_classes.append({"label": label, "count": len(members), "rows": priced[:CHEAPEST_PER_CLASS]})

    points = [
        PricePoint(r["provider"], r["instance_type"], v, to_float(r["memory_gb"]), p)
        for r in rows
        if (v := to_float(r["vcpus"])) is not None and (p := to_float(r["monthly_price"])) is not None
    ]
    quality = records(data.quality)
    missing = records(data.missing)
    changelog = _changelog(records(data.changelog))
    return {
        "page": page,
        "currency": page.currency,
        "rows": rows,
        "providers": providers,
        "cheapest_vcpu": _cheapest(rows, "price_per_vcpu_month"),
        "cheapest_gb": _cheapest(rows, "price_per_gb_month"),
        "size_classes": size_classes,
        "scatter": Markup(price_scatter(points, page.currency)),
        "unplotted": len(rows) - len(points),
        "has_notes": any(r["price_note"] for r in rows),
        "has_list_prices": any(
            r["list_monthly_price"] is not None and r["list_monthly_price"] != r["monthly_price"] for r in rows
        ),
        "quality": quality,
        "quality_columns": [c for c in columns_of(quality) if c not in ("raw", "provider_uuid", "instance_type_uuid")],
        "quality_types": len(
            {(q.get("provider"), q.get("instance_type_uuid") or q.get("instance_type")) for q in quality}
        ),
        "missing": missing,
        "changelog": changelog,
        "changelog_given": data.changelog is not None,
        "change_counts": {
            label: sum(1 for c in changelog if c["change"] == label) for label in ("added", "removed", "price changed")
        },
        "notices": list(data.notices),
        "open_tables": len(rows) <= 300,
        "nav": [
            ("headline", "Headline"),
            ("providers", "Per provider"),
            ("sizes", "Per size"),
            ("quality", "Missing & quality"),
            *([("changelog", "Price changes")] if data.changelog is not None else []),
            ("types", "All types"),
            ("assumptions", "Assumptions"),
        ],
        "header_assumptions": ["prices on demand", "monthly = the API's monthly price"],
        "assumptions": {},
        "extra_assumptions": {
            "monthly price": "the API's monthlyPrice / priceFactor, on demand "
            "(hourly \u00d7 720 in the documented example)",
            "price per vCPU-month": "monthly price / vCPUs: the whole price, none of it set aside for memory",
            "price per GB-month": "monthly price / memory GB: the whole price, none of it set aside for CPU",
            "currency": f"{page.currency}, as configured: the API does not state one",
            "size classes": "by vCPUs; ranked by price per vCPU-month",
        },
    }


def _changelog(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of `snapshots.diff`: `change_pct` there is already in percent, so it is divided back."""
    out = []
    for row in rows:
        old, new = to_float(pick(row, "old_monthly_price")), to_float(pick(row, "new_monthly_price"))
        pct = to_float(pick(row, "change_pct"))
        fraction = pct / 100 if pct is not None else ((new - old) / old if old and new is not None else None)
        change = str(pick(row, "change", default="price"))
        out.append(
            {
                "change": _CHANGE_LABELS.get(change, change),
                "provider": pick(row, "provider", "provider_uuid", default=""),
                "instance_type": pick(row, "instance_type", "instance_type_uuid", default=""),
                "old": old,
                "new": new,
                "delta": new - old if old is not None and new is not None else None,
                "fraction": fraction,
            }
        )
    return out
