"""Instance types as the API sends them -> catalogue rows, exactly; rows that cannot be trusted -> a report.

Prices arrive as integers scaled by `priceFactor` (B2s: 472 / 10000 = 0.0472 per hour,
339840 / 10000 = 33.984 per month). Every division is done on `Decimal`s and the result is
rounded once, to `PRICE_DECIMALS` places, before it is stored as Float64: a stored price is
the nearest double to an exact decimal, so sums shown to the cent do not drift.

A row is kept out of the catalogue, and listed in the quality table with a sentence saying
why, when: `priceFactor` is missing or not positive; `onDemandCost` is null, zero or
negative; `monthlyPrice` is more than 1 % away from hourly x 720; vCPUs or memory are
missing, zero, negative (or vCPUs not whole); the same uuid appears twice for one provider
with different data (identical copies: the first is kept, the others are listed).

Negotiated prices come from the `[prices]` section of the config file:

```toml
[prices.discounts]            # percent off list price, by provider name or provider uuid
Azure = 12.5

[prices.instance_types]       # by "Provider/TypeName" or instance type uuid
"Google Cloud Platform/e2-standard-4" = { monthly = 80.0 }   # absolute monthly price
"Azure/B2s" = { hourly = 0.04 }                                # absolute hourly price
"Scaleway/DEV1-S" = { discount = 20 }                          # percent off list

[prices.reserved]             # committed prices (for `plan --commit baseline`), by provider or type
Azure = { discount = 30 }                                      # committed = list on-demand less 30 %
"Azure/B2s" = { hourly = 0.03 }                                # absolute committed hourly price
```

An instance-type rule replaces (never compounds with) its provider's discount. Rules change
the on-demand prices (`hourly_price`, `monthly_price` and the per-vCPU / per-GB figures);
`reserved_hourly_price` is the API's `reservedCost` unless a `[prices.reserved]` rule (a type's
beating its provider's) sets it; the listed one stays in `list_reserved_hourly_price`. The list
prices stay in `list_hourly_price` and `list_monthly_price`, and `price_note` says which rule
applied, so a report never hides a discount. Keys match case-insensitively.

Each row carries its own currency: the provider's in `[currency] providers` of the config
file, else the row's own `currency` field (the emulator's data states it; the LayerOps API
does not), else the configured currency. A row's provenance note (`priceNote`, e.g. the
emulator's "illustrative: ...") is kept in `source_note` and always leads `price_note`.
"""

from __future__ import annotations

import json
import math
import re
import uuid as uuidlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pandas as pd

from costplan.errors import ConfigError, InputError
from costplan.models import CATALOGUE_DTYPES, InstanceType

MONTH_HOURS = 720  # the API's own month: monthlyPrice == onDemandCost x 720 in the documented example
MONTHLY_TOLERANCE = Decimal("0.01")  # monthlyPrice further than 1 % from hourly x 720 is inconsistent
PRICE_DECIMALS = 6  # exact for every priceFactor up to 10**6
_QUANTUM = Decimal(1).scaleb(-PRICE_DECIMALS)
_HOURS = Decimal(MONTH_HOURS)

# Columns beyond models.CATALOGUE_COLUMNS: list prices and what changed them.
EXTRA_DTYPES: dict[str, str] = {
    "list_hourly_price": "Float64",
    "list_monthly_price": "Float64",
    "list_reserved_hourly_price": "Float64",
    "price_note": "string",
    "source_note": "string",
}
FRAME_DTYPES: dict[str, str] = {**CATALOGUE_DTYPES, **EXTRA_DTYPES}
FRAME_COLUMNS: tuple[str, ...] = tuple(FRAME_DTYPES)

QUALITY_DTYPES: dict[str, str] = {
    "provider_uuid": "string",
    "provider": "string",
    "instance_type_uuid": "string",
    "instance_type": "string",
    "check": "string",
    "problem": "string",
    "raw": "string",
}
QUALITY_COLUMNS: tuple[str, ...] = tuple(QUALITY_DTYPES)

# Larger than any machine or price on offer: beyond these a row is a data error (and would overflow
# the planner's integer arithmetic), so it goes to the quality table instead.
MAX_VCPUS = 4096
MAX_MEMORY_GB = 65_536
MAX_MONTHLY_PRICE = 1_000_000_000
MAX_FILE_NUMBER = 1e12  # a number in a catalogue file beyond this cannot be priced exactly (nor be real)
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
# Names -> uuids for hand-made catalogue rows that have none: uuid5, the same on every read.
DERIVED_NAMESPACE = uuidlib.uuid5(uuidlib.NAMESPACE_URL, "https://costplan.invalid/catalogue-file")

DERIVED_UUID_NOTE = "uuids derived from the names (uuid5)"

# What a hand-made catalogue must have; everything else can be derived or left empty.
ESSENTIAL_COLUMNS = ("provider", "instance_type", "vcpus", "memory_gb")
PRICE_COLUMNS = ("monthly_price", "hourly_price", "list_monthly_price", "list_hourly_price")
_NUMERIC = tuple(c for c, d in FRAME_DTYPES.items() if d in ("Int64", "Float64"))


@dataclass(frozen=True)
class ProviderTypes:
    """One provider's instance types as fetched, with the environment it was found in."""

    provider_uuid: str
    provider: str
    environment_uuid: str
    types: Sequence[InstanceType]
    currency: str | None = None  # from `[currency] providers`: wins over the rows' own field


def money(value: Decimal) -> float:
    """A price rounded once, half up, to `PRICE_DECIMALS` places: the only way a price becomes a float."""
    return float(value.quantize(_QUANTUM, rounding=ROUND_HALF_UP))


def dec(value: Any) -> Decimal:
    """A JSON or frame number as the decimal it was written as (floats via their shortest repr)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(float(value)))


def empty_quality() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in QUALITY_DTYPES.items()})


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in FRAME_DTYPES.items()})


def build_frame(
    batches: Iterable[ProviderTypes], *, currency: str, collected_at: datetime
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The catalogue frame (FRAME_COLUMNS) and the quality table for what was fetched."""
    rows: list[dict[str, Any]] = []
    quality: list[dict[str, Any]] = []
    for batch in batches:
        duplicates = _duplicate_problems(batch.types)
        for index, item in enumerate(batch.types):
            problems = _problems(item) + duplicates.get(index, [])
            if problems:
                raw = json.dumps(dict(item.raw), sort_keys=True, default=str)
                for check, sentence in problems:
                    quality.append(
                        {
                            "provider_uuid": batch.provider_uuid,
                            "provider": batch.provider,
                            "instance_type_uuid": item.uuid,
                            "instance_type": item.name,
                            "check": check,
                            "problem": sentence,
                            "raw": raw,
                        }
                    )
                continue
            rows.append(_row(batch, item, currency))
    frame = _typed(pd.DataFrame(rows, columns=list(FRAME_COLUMNS)), FRAME_DTYPES)
    frame["collected_at"] = pd.Series(pd.Timestamp(collected_at), index=frame.index).astype(
        CATALOGUE_DTYPES["collected_at"]
    )
    return frame, _typed(pd.DataFrame(quality, columns=list(QUALITY_COLUMNS)), QUALITY_DTYPES)


def _row(batch: ProviderTypes, item: InstanceType, currency: str) -> dict[str, Any]:
    """Prices of a row that passed every check; `_problems` guarantees the numbers are usable."""
    assert item.price_factor and item.on_demand_cost is not None and item.vcpus and item.memory_gb
    factor = dec(item.price_factor)
    hourly = dec(item.on_demand_cost) / factor
    monthly = dec(item.monthly_price) / factor if item.monthly_price is not None else hourly * _HOURS
    reserved = dec(item.reserved_cost) / factor if item.reserved_cost is not None else None
    return {
        "environment_uuid": batch.environment_uuid,
        "provider_uuid": batch.provider_uuid,
        "provider": batch.provider,
        "instance_type_uuid": item.uuid,
        "instance_type": item.name,
        "vcpus": int(item.vcpus),
        "memory_gb": float(item.memory_gb),
        "ssd_gb": None if item.ssd_gb is None else float(item.ssd_gb),
        "hourly_price": money(hourly),
        "reserved_hourly_price": None if reserved is None else money(reserved),
        "monthly_price": money(monthly),
        "price_per_vcpu_month": money(monthly / dec(item.vcpus)),
        "price_per_gb_month": money(monthly / dec(item.memory_gb)),
        "currency": batch.currency or _own_currency(item) or currency,
        "list_hourly_price": money(hourly),
        "list_monthly_price": money(monthly),
        "list_reserved_hourly_price": None if reserved is None else money(reserved),
        "price_note": None,
        "source_note": _own_note(item),
    }


def _own_currency(item: InstanceType) -> str | None:
    """The row's `currency` field, when it holds a currency code (the emulator states it; the API does not)."""
    value = item.raw.get("currency")
    return value.upper() if isinstance(value, str) and CURRENCY_CODE.match(value.upper()) else None


def _own_note(item: InstanceType) -> str | None:
    value = item.raw.get("priceNote")
    return value.strip() if isinstance(value, str) and value.strip() else None


def _problems(item: InstanceType) -> list[tuple[str, str]]:
    """(check, sentence) for every reason this instance type cannot be planned with."""
    raw = item.raw
    found: list[tuple[str, str]] = []

    def shown(key: str) -> str:
        return "missing" if key not in raw else json.dumps(raw[key], default=str)

    if item.price_factor is None:
        found.append(("price_factor", f"priceFactor is {_absent(raw, 'priceFactor')}, so its prices cannot be scaled."))
    elif item.price_factor <= 0:
        found.append(("price_factor", f"priceFactor is {shown('priceFactor')}, so its prices cannot be scaled."))
    if item.on_demand_cost is None:
        found.append(("missing_price", f"onDemandCost is {_absent(raw, 'onDemandCost')}: it has no hourly price."))
    elif item.on_demand_cost < 0:
        found.append(("negative_price", f"onDemandCost is negative ({shown('onDemandCost')})."))
    elif item.on_demand_cost == 0:
        found.append(("missing_price", "onDemandCost is 0: a free instance type is almost certainly a data error."))
    for key, value in (("reservedCost", item.reserved_cost), ("monthlyPrice", item.monthly_price)):
        if value is not None and value < 0:
            found.append(("negative_price", f"{key} is negative ({shown(key)})."))
    if item.on_demand_cost and item.on_demand_cost > 0 and item.monthly_price is not None and item.monthly_price >= 0:
        expected = dec(item.on_demand_cost) * _HOURS
        actual = dec(item.monthly_price)
        if abs(actual - expected) > expected * MONTHLY_TOLERANCE:
            off = (actual - expected) / expected * 100
            found.append(
                (
                    "monthly_mismatch",
                    f"monthlyPrice {shown('monthlyPrice')} is {off:+.1f} % away from onDemandCost x "
                    f"{MONTH_HOURS} = {expected.normalize():f} "
                    f"(more than {MONTHLY_TOLERANCE * 100:.0f} % off).",
                )
            )
    if item.vcpus is None:
        found.append(("bad_vcpus", f"vCPUs is {_absent(raw, 'vCPUs')}."))
    elif item.vcpus <= 0:
        found.append(("bad_vcpus", f"vCPUs is {shown('vCPUs')}: a usable type has at least one vCPU."))
    elif item.vcpus != int(item.vcpus):
        found.append(
            (
                "bad_vcpus",
                f"vCPUs is {shown('vCPUs')}, not a whole number (the catalogue counts whole vCPUs).",
            )
        )
    if item.memory_gb is None:
        found.append(("bad_memory", f"memory is {_absent(raw, 'memory')}."))
    elif item.memory_gb <= 0:
        found.append(("bad_memory", f"memory is {shown('memory')} GB: a usable type has some memory."))
    if item.vcpus is not None and item.vcpus > MAX_VCPUS:
        found.append(("bad_vcpus", f"vCPUs is {shown('vCPUs')}, more than any machine ({MAX_VCPUS:,})."))
    if item.memory_gb is not None and item.memory_gb > MAX_MEMORY_GB:
        found.append(("bad_memory", f"memory is {shown('memory')} GB, more than any machine ({MAX_MEMORY_GB:,} GB)."))
    if item.price_factor and item.price_factor > 0 and item.on_demand_cost and item.on_demand_cost > 0:
        monthly = dec(item.on_demand_cost) / dec(item.price_factor) * _HOURS
        if not monthly.is_finite() or monthly > MAX_MONTHLY_PRICE:
            found.append(
                (
                    "bad_price",
                    f"onDemandCost {shown('onDemandCost')} makes more than "
                    f"{MAX_MONTHLY_PRICE:,} a month: a data error.",
                )
            )
    return found


def _absent(raw: Mapping[str, Any], key: str) -> str:
    if key not in raw:
        return "missing"
    if raw[key] is None:
        return "null"
    return f"not a number ({json.dumps(raw[key], default=str)})"


def _duplicate_problems(types: Sequence[InstanceType]) -> dict[int, list[tuple[str, str]]]:
    """Index -> problems for repeated uuids: identical copies after the first, or every differing copy."""
    positions: dict[str, list[int]] = {}
    for index, item in enumerate(types):
        positions.setdefault(item.uuid, []).append(index)
    found: dict[int, list[tuple[str, str]]] = {}
    for uuid, indexes in positions.items():
        if len(indexes) < 2:
            continue
        bodies = {json.dumps(dict(types[i].raw), sort_keys=True, default=str) for i in indexes}
        if len(bodies) == 1:
            sentence = (
                f"uuid {uuid} appears {len(indexes)} times for this provider with identical data; "
                "the first copy is kept, this one is not."
            )
            for i in indexes[1:]:
                found[i] = [("duplicate_uuid", sentence)]
        else:
            sentence = (
                f"uuid {uuid} appears {len(indexes)} times for this provider with different data; "
                "none is used, since which one is right cannot be told."
            )
            for i in indexes:
                found[i] = [("duplicate_uuid", sentence)]
    return found


def _typed(frame: pd.DataFrame, dtypes: Mapping[str, str]) -> pd.DataFrame:
    return frame.astype({c: d for c, d in dtypes.items() if c in frame.columns and c != "collected_at"})


# --- negotiated prices -------------------------------------------------------------------------


@dataclass(frozen=True)
class PriceRule:
    """One negotiated price: a percentage off list, or absolute hourly and/or monthly prices."""

    source: str
    discount: Decimal | None = None
    hourly: Decimal | None = None
    monthly: Decimal | None = None

    def note(self) -> str:
        if self.discount is not None:
            return f"{self.discount.normalize():f} % off list ({self.source})"
        parts = []
        if self.hourly is not None:
            parts.append(f"hourly {self.hourly.normalize():f}")
        if self.monthly is not None:
            parts.append(f"monthly {self.monthly.normalize():f}")
        return f"negotiated {' and '.join(parts)} ({self.source})"

    def apply(self, list_hourly: Decimal, list_monthly: Decimal) -> tuple[Decimal, Decimal]:
        """Effective (hourly, monthly) from list prices."""
        if self.discount is not None:
            keep = (100 - self.discount) / 100
            return list_hourly * keep, list_monthly * keep
        if self.hourly is not None:
            return self.hourly, self.monthly if self.monthly is not None else self.hourly * _HOURS
        assert self.monthly is not None, "a rule has a discount, an hourly or a monthly price"
        return self.monthly / _HOURS, self.monthly


@dataclass(frozen=True)
class PriceRules:
    """The `[prices]` config section, checked: provider discounts and per-instance-type rules."""

    providers: Mapping[str, PriceRule] = field(default_factory=dict)
    instance_types: Mapping[str, PriceRule] = field(default_factory=dict)
    reserved: Mapping[str, PriceRule] = field(default_factory=dict)  # provider or type -> committed price

    def __bool__(self) -> bool:
        return bool(self.providers or self.instance_types or self.reserved)

    @classmethod
    def from_config(cls, section: Mapping[str, Any] | None) -> PriceRules:
        """Rules from `settings.sections["prices"]`; a malformed entry is a ConfigError naming it."""
        section = dict(section or {})
        unknown = sorted(set(section) - {"discounts", "instance_types", "reserved"})
        if unknown:
            raise ConfigError(
                f"[prices] has unknown keys {', '.join(unknown)}; expected [prices.discounts], "
                "[prices.instance_types] and [prices.reserved]"
            )
        providers: dict[str, PriceRule] = {}
        for key, value in _table(section, "discounts").items():
            source = f'prices.discounts."{key}"'
            providers[str(key).casefold()] = PriceRule(source, discount=_percent(value, source))
        types: dict[str, PriceRule] = {}
        for key, value in _table(section, "instance_types").items():
            source = f'prices.instance_types."{key}"'
            types[str(key).casefold()] = _type_rule(value, source)
        reserved: dict[str, PriceRule] = {}
        for key, value in _table(section, "reserved").items():
            source = f'prices.reserved."{key}"'
            reserved[str(key).casefold()] = _type_rule(value, source)
        return cls(providers, types, reserved)


def _table(section: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = section.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"prices.{name} must be a table, got {value!r}")
    return value


def _number(value: Any, source: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{source} must be a number, got {value!r}")
    return dec(value)


def _percent(value: Any, source: str) -> Decimal:
    number = _number(value, source)
    if not 0 <= number < 100:
        raise ConfigError(f"{source} is a discount in percent and must be from 0 up to (not including) 100")
    return number


def _type_rule(value: Any, source: str) -> PriceRule:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source} must be a table such as {{ discount = 10 }} or {{ monthly = 80.0 }}")
    unknown = sorted(set(value) - {"discount", "hourly", "monthly"})
    if unknown or not value:
        raise ConfigError(f"{source} takes discount (percent), hourly or monthly; got {sorted(value)}")
    if "discount" in value and len(value) > 1:
        raise ConfigError(f"{source}: give either a discount or absolute prices, not both")
    if "discount" in value:
        return PriceRule(source, discount=_percent(value["discount"], source))
    prices = {k: _number(v, f"{source}.{k}") for k, v in value.items()}
    if any(p <= 0 for p in prices.values()):
        raise ConfigError(f"{source}: prices must be positive")
    return PriceRule(source, hourly=prices.get("hourly"), monthly=prices.get("monthly"))


def apply_prices(frame: pd.DataFrame, rules: PriceRules) -> tuple[pd.DataFrame, list[str]]:
    """Effective prices from list prices and `rules`, with a `price_note` per changed row.

    Always starts again from the list columns, so applying rules to a snapshot that already
    had some gives the same result as applying them at collection. Returns notices for rules
    that matched nothing.
    """
    frame = frame.copy()
    frame["hourly_price"] = frame["list_hourly_price"]
    frame["monthly_price"] = frame["list_monthly_price"]
    if "source_note" not in frame.columns:
        frame["source_note"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame["price_note"] = frame["source_note"].astype("string")
    if "list_reserved_hourly_price" not in frame.columns:  # a snapshot from before [prices.reserved]
        frame["list_reserved_hourly_price"] = frame["reserved_hourly_price"].astype("Float64")
    frame["reserved_hourly_price"] = frame["list_reserved_hourly_price"]
    notices: list[str] = []
    if not rules or frame.empty:
        return with_unit_prices(frame), notices

    for index, rule in _rule_rows(frame, rules.providers, rules.instance_types, notices).items():
        list_hourly, list_monthly = (
            frame.at[index, "list_hourly_price"],
            frame.at[index, "list_monthly_price"],
        )
        if pd.isna(list_hourly) or pd.isna(list_monthly):
            continue
        hourly, monthly = rule.apply(dec(list_hourly), dec(list_monthly))
        frame.at[index, "hourly_price"] = money(hourly)
        frame.at[index, "monthly_price"] = money(monthly)
        own = frame.at[index, "source_note"]
        frame.at[index, "price_note"] = rule.note() if pd.isna(own) else f"{own}; {rule.note()}"
    # `[prices.reserved]`: committed hourly prices, one table keyed by provider or by type.
    for index, rule in _rule_rows(frame, rules.reserved, rules.reserved, notices).items():
        list_hourly, list_monthly = frame.at[index, "list_hourly_price"], frame.at[index, "list_monthly_price"]
        if pd.isna(list_hourly) or pd.isna(list_monthly):
            continue
        hourly, _ = rule.apply(dec(list_hourly), dec(list_monthly))
        frame.at[index, "reserved_hourly_price"] = money(hourly)
        note = f"committed: {rule.note()}"
        own = frame.at[index, "price_note"]
        frame.at[index, "price_note"] = note if pd.isna(own) else f"{own}; {note}"
    return with_unit_prices(frame), notices


def _rule_rows(
    frame: pd.DataFrame,
    provider_rules: Mapping[str, PriceRule],
    type_rules: Mapping[str, PriceRule],
    notices: list[str],
) -> dict[Any, PriceRule]:
    """The rule each row gets: a provider's (name or uuid), replaced by its type's ("provider/type" or
    uuid). A rule that matches no row is said in `notices`."""
    providers = frame["provider"].str.casefold()
    keyed = (
        (provider_rules, providers, frame["provider_uuid"].str.casefold()),
        (
            type_rules,
            providers + "/" + frame["instance_type"].str.casefold(),
            frame["instance_type_uuid"].str.casefold(),
        ),
    )
    chosen: dict[Any, PriceRule] = {}
    matched: set[str] = set()
    for table, names, uuids in keyed:
        for key, rule in table.items():
            rows = frame.index[((names == key) | (uuids == key)).fillna(False).to_numpy(dtype=bool)]
            if len(rows):
                matched.add(rule.source)
            chosen.update(dict.fromkeys(rows, rule))
    for rule in {r.source: r for table, _, _ in keyed for r in table.values()}.values():
        if rule.source not in matched:
            notices.append(f"the price rule {rule.source} matches no instance type in the catalogue")
    return chosen


def with_unit_prices(frame: pd.DataFrame) -> pd.DataFrame:
    """price_per_vcpu_month and price_per_gb_month from the effective monthly price, exactly."""
    frame["price_per_vcpu_month"] = _ratio(frame["monthly_price"], frame["vcpus"])
    frame["price_per_gb_month"] = _ratio(frame["monthly_price"], frame["memory_gb"])
    return frame


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    values = [
        None if pd.isna(n) or pd.isna(d) or d == 0 else money(dec(n) / dec(d))
        for n, d in zip(numerator.tolist(), denominator.tolist(), strict=True)
    ]
    return pd.Series(values, index=numerator.index, dtype="Float64")


# --- catalogues from files ---------------------------------------------------------------------


def complete_frame(
    frame: pd.DataFrame, *, currency: str, collected_at: datetime | None, origin: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A catalogue read from a file (a snapshot or a hand-made what-if) made whole, and its quality table.

    Missing derived columns are computed (monthly from hourly x 720 and back, per-vCPU and per-GB
    prices, list prices = given prices), optional ones are left empty; rows that cannot be planned
    with go to the quality table, as for collected rows.
    """
    missing = [c for c in ESSENTIAL_COLUMNS if c not in frame.columns]
    if not any(c in frame.columns for c in PRICE_COLUMNS):
        missing.append("monthly_price or hourly_price")
    if missing:
        raise InputError(
            f"{origin} is not a catalogue: it lacks the column(s) {', '.join(missing)} "
            f"(a catalogue needs {', '.join(ESSENTIAL_COLUMNS)} and monthly_price or hourly_price)"
        )
    frame = frame.reset_index(drop=True).copy()
    _check_numbers(frame, origin)
    for column in FRAME_COLUMNS:
        if column not in frame.columns:
            frame[column] = pd.NA
    hours, per_hour = _HOURS, 1 / _HOURS
    hourly, monthly = frame["hourly_price"].astype("Float64"), frame["monthly_price"].astype("Float64")
    list_hourly, list_monthly = (frame[c].astype("Float64") for c in ("list_hourly_price", "list_monthly_price"))
    list_monthly = list_monthly.fillna(_scaled(list_hourly, hours))
    list_hourly = list_hourly.fillna(_scaled(list_monthly, per_hour))
    monthly = monthly.fillna(_scaled(hourly, hours)).fillna(list_monthly)
    hourly = hourly.fillna(_scaled(monthly, per_hour)).fillna(list_hourly)
    frame["hourly_price"], frame["monthly_price"] = hourly, monthly
    frame["list_hourly_price"], frame["list_monthly_price"] = (
        list_hourly.fillna(hourly),
        list_monthly.fillna(monthly),
    )
    frame["list_reserved_hourly_price"] = (
        frame["list_reserved_hourly_price"].astype("Float64").fillna(frame["reserved_hourly_price"].astype("Float64"))
    )
    frame["currency"] = frame["currency"].astype("string").str.strip().str.upper().fillna(currency)
    frame["price_note"] = frame["price_note"].astype("string").fillna(frame["source_note"].astype("string"))
    _derive_uuids(frame)
    stamp = pd.Timestamp(collected_at) if collected_at is not None else pd.NaT
    frame["collected_at"] = pd.to_datetime(frame["collected_at"], utc=True).fillna(stamp)
    frame = frame[list(FRAME_COLUMNS) + [c for c in frame.columns if c not in FRAME_DTYPES]]

    problems = _file_problems(frame)
    quality = _file_quality(frame, problems)
    kept = frame.drop(index=list(problems)).reset_index(drop=True)
    for column in ("vcpus",):
        kept[column] = pd.to_numeric(kept[column]).round().astype("Int64")
    kept = _typed(kept, FRAME_DTYPES)
    kept["collected_at"] = kept["collected_at"].astype(CATALOGUE_DTYPES["collected_at"])
    return with_unit_prices(kept), quality


def _derive_uuids(frame: pd.DataFrame) -> None:
    """Fill missing provider / instance type uuids from the names (uuid5), and say so in `source_note`.

    A what-if file of names only must not collapse to one row (the planner keys types by uuid).
    """
    provider_uuid = frame["provider_uuid"].astype("string")
    type_uuid = frame["instance_type_uuid"].astype("string")
    names = frame["provider"].astype("string")
    types = frame["instance_type"].astype("string")
    need_provider = provider_uuid.isna() & names.notna()
    need_type = type_uuid.isna() & names.notna() & types.notna()
    if not (need_provider.any() or need_type.any()):
        return
    for index in frame.index[need_provider.to_numpy(dtype=bool)]:
        provider_uuid.at[index] = str(uuidlib.uuid5(DERIVED_NAMESPACE, f"provider/{names.at[index]}"))
    for index in frame.index[need_type.to_numpy(dtype=bool)]:
        key = f"instance-type/{names.at[index]}/{types.at[index]}"
        type_uuid.at[index] = str(uuidlib.uuid5(DERIVED_NAMESPACE, key))
    frame["provider_uuid"], frame["instance_type_uuid"] = provider_uuid, type_uuid
    derived = (need_provider | need_type).to_numpy(dtype=bool)
    note = pd.Series(DERIVED_UUID_NOTE, index=frame.index, dtype="string")
    source = frame["source_note"].astype("string")
    frame["source_note"] = source.where(~derived, (source + "; " + DERIVED_UUID_NOTE).fillna(note))
    price = frame["price_note"].astype("string")
    frame["price_note"] = price.where(~derived, (price + "; " + DERIVED_UUID_NOTE).fillna(note))


def _scaled(series: pd.Series, factor: Decimal) -> pd.Series:
    values = [None if pd.isna(v) else money(dec(v) * factor) for v in series.tolist()]
    return pd.Series(values, index=series.index, dtype="Float64")


def _check_numbers(frame: pd.DataFrame, origin: str) -> None:
    """Text where a number belongs is a broken file, not a data-quality note: name the cells."""
    for column in (c for c in _NUMERIC if c in frame.columns):
        given = frame[column]
        parsed = pd.to_numeric(given, errors="coerce")
        bad = given.notna() & parsed.isna()
        if bad.any():
            rows = ", ".join(str(i + 1) for i in bad[bad].index[:5])
            sample = given[bad].iloc[0]
            raise InputError(f"{origin}: column {column} holds {sample!r} (row {rows}), which is not a number")
        huge = parsed.notna() & ~(parsed.abs() <= MAX_FILE_NUMBER)  # also inf and nan written as text
        if huge.any():
            rows = ", ".join(str(i + 1) for i in huge[huge].index[:5])
            raise InputError(
                f"{origin}: column {column} holds {str(given[huge].iloc[0])!r} (row {rows}), which is out of any "
                f"sensible range (at most {MAX_FILE_NUMBER:g})"
            )
        frame[column] = parsed


def _file_problems(frame: pd.DataFrame) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}

    def flag(mask: pd.Series, check: str, sentence: str) -> None:
        for index in mask[mask.fillna(False).astype(bool)].index:
            found.setdefault(int(index), []).append((check, sentence))

    vcpus, memory = frame["vcpus"].astype("Float64"), frame["memory_gb"].astype("Float64")
    flag(vcpus.isna(), "bad_vcpus", "vcpus is empty.")
    flag(vcpus <= 0, "bad_vcpus", "vcpus is zero or negative: a usable type has at least one vCPU.")
    flag((vcpus > 0) & (vcpus != vcpus.round()), "bad_vcpus", "vcpus is not a whole number.")
    flag(memory.isna(), "bad_memory", "memory_gb is empty.")
    flag(memory <= 0, "bad_memory", "memory_gb is zero or negative: a usable type has some memory.")
    flag(vcpus > MAX_VCPUS, "bad_vcpus", f"vcpus is more than any machine has ({MAX_VCPUS:,}).")
    flag(memory > MAX_MEMORY_GB, "bad_memory", f"memory_gb is more than any machine has ({MAX_MEMORY_GB:,}).")
    monthly = frame["monthly_price"].astype("Float64")
    flag(monthly.isna(), "missing_price", "the row has no monthly or hourly price.")
    flag(monthly <= 0, "missing_price", "the monthly price is zero or negative.")
    flag(monthly > MAX_MONTHLY_PRICE, "bad_price", f"the monthly price is over {MAX_MONTHLY_PRICE:,}: a data error.")
    for column in ("provider", "instance_type"):
        flag(frame[column].isna(), "missing_name", f"{column} is empty.")
    key = [
        frame["provider_uuid"].fillna(frame["provider"]),
        frame["instance_type_uuid"].fillna(frame["instance_type"]),
    ]
    repeated = pd.Series(pd.MultiIndex.from_arrays(key).duplicated(keep=False), index=frame.index)
    flag(repeated, "duplicate_uuid", "the same provider and instance type appear more than once; none is used.")
    return found


def _file_quality(frame: pd.DataFrame, problems: Mapping[int, list[tuple[str, str]]]) -> pd.DataFrame:
    rows = []
    for index, found in sorted(problems.items()):
        record = frame.loc[index]
        raw = json.dumps({k: (None if _is_na(v) else v) for k, v in record.items()}, default=str, sort_keys=True)
        for check, sentence in found:
            rows.append(
                {
                    "provider_uuid": record["provider_uuid"],
                    "provider": record["provider"],
                    "instance_type_uuid": record["instance_type_uuid"],
                    "instance_type": record["instance_type"],
                    "check": check,
                    "problem": sentence,
                    "raw": raw,
                }
            )
    return _typed(pd.DataFrame(rows, columns=list(QUALITY_COLUMNS)), QUALITY_DTYPES)


def _is_na(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError, InvalidOperation):
        return False
