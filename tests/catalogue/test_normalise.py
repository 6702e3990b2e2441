"""Prices to the cent, from the documented integers; every unusable row reported with a sentence."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from costplan.errors import ConfigError
from costplan.models import CATALOGUE_COLUMNS, CATALOGUE_DTYPES, InstanceType
from costplan.normalise import (
    EXTRA_DTYPES,
    MAX_MONTHLY_PRICE,
    QUALITY_COLUMNS,
    PriceRules,
    ProviderTypes,
    apply_prices,
    build_frame,
)
from tests.catalogue.conftest import AZURE, B2S, DS1, NOW, PROD, instance_type


def build(*rows: dict, provider: str = "Azure") -> tuple[pd.DataFrame, pd.DataFrame]:
    types = [InstanceType.from_json(r) for r in rows]
    return build_frame([ProviderTypes(AZURE, provider, PROD, types)], currency="EUR", collected_at=NOW)


def test_documented_examples_to_the_cent() -> None:
    frame, quality = build(B2S, DS1)
    assert quality.empty
    b2s, ds1 = frame.iloc[0], frame.iloc[1]
    assert (b2s["hourly_price"], b2s["monthly_price"]) == (0.0472, 33.984)
    assert (ds1["hourly_price"], ds1["monthly_price"]) == (0.0877, 63.144)
    assert b2s["price_per_vcpu_month"] == 16.992 and b2s["price_per_gb_month"] == 8.496
    assert ds1["price_per_gb_month"] == 18.041143  # 63.144 / 3.5, rounded once to 6 places
    assert (b2s["vcpus"], b2s["memory_gb"], b2s["ssd_gb"]) == (2, 4.0, 8.0)
    assert b2s["currency"] == "EUR" and b2s["collected_at"] == pd.Timestamp(NOW)
    assert (b2s["environment_uuid"], b2s["provider_uuid"], b2s["instance_type"]) == (PROD, AZURE, "B2s")


def test_frame_has_the_declared_columns_and_dtypes() -> None:
    frame, quality = build(B2S)
    assert tuple(frame.columns[: len(CATALOGUE_COLUMNS)]) == CATALOGUE_COLUMNS
    assert {c: str(frame[c].dtype) for c in frame.columns} == {**CATALOGUE_DTYPES, **EXTRA_DTYPES}
    assert tuple(quality.columns) == QUALITY_COLUMNS


def test_totals_to_the_cent_do_not_drift() -> None:
    frame, _ = build(*[instance_type(f"t{i}", f"t{i}", cost=472) for i in range(1000)])
    assert round(frame["monthly_price"].sum(), 2) == 33984.00
    assert round(frame["hourly_price"].sum(), 4) == 47.2


@settings(max_examples=200, deadline=None)
@given(cost=st.integers(1, 10**9), factor=st.sampled_from([100, 1000, 10_000, 1_000_000]))
def test_stored_price_is_the_exact_decimal(cost: int, factor: int) -> None:
    assume(cost * 720 / factor <= MAX_MONTHLY_PRICE)  # beyond it a row is a data error (tested below)
    frame, quality = build(instance_type("t", "t", cost=cost, priceFactor=factor, monthlyPrice=cost * 720))
    assert quality.empty
    assert Decimal(repr(float(frame.at[0, "hourly_price"]))) == Decimal(cost) / Decimal(factor)
    assert Decimal(repr(float(frame.at[0, "monthly_price"]))) == Decimal(cost * 720) / Decimal(factor)


@pytest.mark.parametrize(
    ("fields", "check"),
    [
        ({"vCPUs": 10**9}, "bad_vcpus"),
        ({"memory": 10**9}, "bad_memory"),
        ({"onDemandCost": 10**30, "monthlyPrice": 720 * 10**30}, "bad_price"),
    ],
)
def test_rows_beyond_any_machine_or_price_are_kept_out(fields: dict[str, int], check: str) -> None:
    """1e9 vCPUs once ran the planner out of memory (exit 70): now a data-quality row."""
    frame, quality = build(dict(B2S, **fields))
    assert frame.empty and quality["check"].tolist() == [check]


def test_monthly_falls_back_to_hourly_times_720() -> None:
    frame, quality = build(dict(B2S, monthlyPrice=None))
    assert quality.empty and frame.at[0, "monthly_price"] == 33.984


def test_reserved_price_is_scaled_too() -> None:
    frame, _ = build(dict(B2S, reservedCost=300))
    assert frame.at[0, "reserved_hourly_price"] == 0.03


@pytest.mark.parametrize(
    ("row", "check", "words"),
    [
        (dict(DS1, priceFactor=0), "price_factor", "priceFactor is 0"),
        ({k: v for k, v in DS1.items() if k != "priceFactor"}, "price_factor", "priceFactor is missing"),
        (dict(DS1, priceFactor=None), "price_factor", "priceFactor is null"),
        (dict(DS1, onDemandCost=None), "missing_price", "onDemandCost is null"),
        (dict(DS1, onDemandCost="877"), "missing_price", 'not a number ("877")'),
        (dict(DS1, onDemandCost=0, monthlyPrice=0), "missing_price", "onDemandCost is 0"),
        (dict(DS1, onDemandCost=-5), "negative_price", "onDemandCost is negative"),
        (dict(DS1, monthlyPrice=640000), "monthly_mismatch", "+1.4 % away"),
        (dict(DS1, vCPUs=0), "bad_vcpus", "vCPUs is 0"),
        (dict(DS1, vCPUs=-2), "bad_vcpus", "vCPUs is -2"),
        (dict(DS1, vCPUs=0.5), "bad_vcpus", "not a whole number"),
        (dict(DS1, vCPUs=None), "bad_vcpus", "vCPUs is null"),
        (dict(DS1, memory=0), "bad_memory", "memory is 0"),
        (dict(DS1, memory=-1), "bad_memory", "memory is -1"),
    ],
)
def test_each_bad_row_kind_is_reported_with_a_sentence(row: dict, check: str, words: str) -> None:
    frame, quality = build(B2S, row)
    assert frame["instance_type"].tolist() == ["B2s"]  # the bad one is kept out...
    assert len(quality) == 1  # ...and reported, once
    found = quality.iloc[0]
    assert (found["check"], found["instance_type"], found["provider"]) == (check, "DS1 v2", "Azure")
    assert words in found["problem"] and found["problem"].endswith(".")
    assert '"uuid": "cc6d6261-5144-11ed-84a1-1b508e278eb5"' in found["raw"]  # raw values shown


def test_monthly_within_one_percent_is_accepted() -> None:
    frame, quality = build(dict(DS1, monthlyPrice=631440 + 6000))  # 0.95 % off
    assert quality.empty and frame.at[0, "monthly_price"] == 63.744


def test_duplicate_uuids_differing_are_all_kept_out() -> None:
    frame, quality = build(B2S, dict(B2S, onDemandCost=500, monthlyPrice=360000))
    assert frame.empty
    assert quality["check"].tolist() == ["duplicate_uuid", "duplicate_uuid"]
    assert "appears 2 times" in quality.at[0, "problem"]


def test_identical_duplicate_keeps_the_first_and_reports_the_copy() -> None:
    frame, quality = build(B2S, DS1, B2S)
    assert frame["instance_type"].tolist() == ["B2s", "DS1 v2"]
    assert quality["check"].tolist() == ["duplicate_uuid"] and "first copy is kept" in quality.at[0, "problem"]


def test_same_uuid_under_two_providers_is_not_a_duplicate() -> None:
    types = [InstanceType.from_json(B2S)]
    frame, quality = build_frame(
        [ProviderTypes("a", "A", PROD, types), ProviderTypes("b", "B", PROD, types)],
        currency="EUR",
        collected_at=NOW,
    )
    assert len(frame) == 2 and quality.empty


def test_several_problems_give_several_rows() -> None:
    _, quality = build(dict(DS1, priceFactor=0, vCPUs=0, memory=0))
    assert sorted(quality["check"]) == ["bad_memory", "bad_vcpus", "price_factor"]


# --- negotiated prices ---------------------------------------------------------------------------

PRICES = {
    "discounts": {"Azure": 12.5},
    "instance_types": {
        "Azure/DS1 v2": {"monthly": 50.0},
        "Google Cloud Platform/e2-standard-4": {"hourly": 0.1},
    },
}


def test_custom_prices_are_applied_visibly() -> None:
    frame, _ = build(B2S, DS1, instance_type("x", "B1s", 1, 1, 100))
    priced, notices = apply_prices(frame, PriceRules.from_config(PRICES))
    rows = priced.set_index("instance_type")
    # Provider discount: 12.5 % off 33.984 = 29.736, exactly.
    assert rows.at["B2s", "monthly_price"] == 29.736 and rows.at["B2s", "hourly_price"] == 0.0413
    assert rows.at["B2s", "list_monthly_price"] == 33.984 and rows.at["B2s", "list_hourly_price"] == 0.0472
    assert rows.at["B2s", "price_per_vcpu_month"] == 14.868
    assert "12.5 % off list" in rows.at["B2s", "price_note"] and "prices.discounts" in rows.at["B2s", "price_note"]
    # Instance-type rule replaces the provider discount.
    assert rows.at["DS1 v2", "monthly_price"] == 50.0 and rows.at["DS1 v2", "hourly_price"] == 0.069444
    assert rows.at["DS1 v2", "list_monthly_price"] == 63.144
    assert "negotiated monthly 50" in rows.at["DS1 v2", "price_note"]
    assert notices == [
        'the price rule prices.instance_types."Google Cloud Platform/e2-standard-4" matches '
        "no instance type in the catalogue"
    ]


def test_applying_prices_twice_starts_from_list_prices() -> None:
    frame, _ = build(B2S)
    rules = PriceRules.from_config({"discounts": {"azure": 50}})
    once, _ = apply_prices(frame, rules)
    twice, _ = apply_prices(once, rules)
    assert twice.at[0, "monthly_price"] == once.at[0, "monthly_price"] == 16.992
    cleared, _ = apply_prices(once, PriceRules())
    assert cleared.at[0, "monthly_price"] == 33.984 and pd.isna(cleared.at[0, "price_note"])


def test_rules_match_uuids_and_hourly_override() -> None:
    frame, _ = build(B2S)
    rules = PriceRules.from_config({"instance_types": {B2S["uuid"]: {"hourly": 0.04}}})
    priced, _ = apply_prices(frame, rules)
    assert (priced.at[0, "hourly_price"], priced.at[0, "monthly_price"]) == (0.04, 28.8)


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ({"discount": {}}, "unknown keys discount"),
        ({"discounts": {"Azure": 120}}, "up to (not including) 100"),
        ({"discounts": {"Azure": "ten"}}, "must be a number"),
        ({"instance_types": {"Azure/B2s": 10}}, "must be a table"),
        ({"instance_types": {"Azure/B2s": {"price": 1}}}, "takes discount"),
        ({"instance_types": {"Azure/B2s": {"discount": 5, "monthly": 1}}}, "not both"),
        ({"instance_types": {"Azure/B2s": {"monthly": 0}}}, "must be positive"),
    ],
)
def test_bad_price_config_is_a_config_error_naming_the_entry(section: dict, words: str) -> None:
    with pytest.raises(ConfigError, match="prices") as caught:
        PriceRules.from_config(section)
    assert words in str(caught.value)


def test_reserved_rules_set_committed_prices_a_type_beating_its_provider() -> None:
    frame, _ = build(B2S, DS1)
    rules = PriceRules.from_config({"reserved": {"Azure": {"discount": 30}, "Azure/DS1 v2": {"hourly": 0.05}}})
    priced, notices = apply_prices(frame, rules)
    rows = priced.set_index("instance_type")
    # 30 % off B2s's list 0.0472/h = 0.03304/h; DS1 v2's own rule replaces the provider's.
    assert rows.at["B2s", "reserved_hourly_price"] == 0.03304 and rows.at["DS1 v2", "reserved_hourly_price"] == 0.05
    assert "committed: 30 % off list" in rows.at["B2s", "price_note"] and notices == []
    assert rows.at["B2s", "monthly_price"] == 33.984  # on-demand prices untouched
    again, _ = apply_prices(priced, rules)  # from the listed committed price again, never compounded
    assert again.set_index("instance_type").at["B2s", "reserved_hourly_price"] == 0.03304
    cleared, _ = apply_prices(priced, PriceRules())
    assert pd.isna(cleared.at[0, "reserved_hourly_price"])  # the documented rows list no reservedCost
    with pytest.raises(ConfigError, match="prices.reserved"):
        PriceRules.from_config({"reserved": {"Azure": {"hourly": -1}}})
    _, unmatched = apply_prices(frame, PriceRules.from_config({"reserved": {"Nowhere": {"discount": 5}}}))
    assert unmatched == ['the price rule prices.reserved."Nowhere" matches no instance type in the catalogue']
