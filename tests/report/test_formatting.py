"""Number formats: missing reads as a dash, signs are explicit, ages read in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from costplan.report.formatting import MISSING, age, fmt, money, number, percent, signed_money, timestamp


@pytest.mark.parametrize("value", [None, float("nan"), pd.NA, "n/a", float("inf")])
def test_missing_values_print_as_a_dash(value: object) -> None:
    assert money(value, "EUR") == MISSING and number(value) == MISSING and percent(value) == MISSING


def test_money_and_numbers() -> None:
    assert money(1234.5, "EUR") == "1,234.50\u00a0EUR"
    assert number(1234.4) == "1,234" and number(1234.6) == "1,235"
    assert number(2, 1) == "2.0"
    assert signed_money(-3.5) == "\u22123.50" and signed_money(3.5) == "+3.50" and signed_money(0) == "\u00b10.00"
    assert percent(0.02712) == "2.7%"


def test_ages() -> None:
    now = datetime(2025, 1, 2, tzinfo=UTC)
    assert age(now - timedelta(hours=3, minutes=5), now) == "3 hours ago"
    assert age(now - timedelta(days=1), now) == "1 day ago"
    assert age(now - timedelta(seconds=5), now) == "just now"
    assert age(None, now) == "unknown age"
    assert age("2025-01-01T00:00:00Z", now) == "1 day ago"
    assert timestamp(pd.Timestamp("2025-01-01 10:30", tz="UTC")) == "2025-01-01 10:30 UTC"


def test_fmt_by_name() -> None:
    assert fmt(3, "int") == "3" and fmt(0.5, "percent") == "50.0%" and fmt(pd.NA) == MISSING
    assert fmt(0.15, "auto") == "0.15" and fmt(720.0, "auto") == "720" and fmt("x", "auto") == "x"
