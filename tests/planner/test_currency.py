"""Prices in different currencies are never added: converted at a configured rate, stated, or refused."""

from __future__ import annotations

import pandas as pd
import pytest

from costplan.currency import Rates
from costplan.errors import CatalogueError, ConfigError
from costplan.planner import PlanOptions, make_plan
from tests.planner.conftest import catalogue, service

EUR_ROWS = [("Eurocloud", "e4", 4, 16, 100.0)]
USD_ROWS = [("Dollarcloud", "u4", 4, 16, 90.0)]


def mixed() -> pd.DataFrame:
    return pd.concat([catalogue(EUR_ROWS), catalogue(USD_ROWS, currency="USD")], ignore_index=True)


def test_mixed_currencies_without_a_rate_are_refused_naming_them() -> None:
    with pytest.raises(CatalogueError) as caught:
        make_plan(mixed(), [service("web", 1, 1000, 1000)], PlanOptions(time_limit=2, currency="EUR"))
    message = str(caught.value)
    assert "plan is in EUR" in message and "USD (1 types of Dollarcloud)" in message
    assert "[currency] rates" in message and '"USD/EUR"' in message


def test_a_configured_rate_converts_and_is_stated() -> None:
    rates = Rates.from_config({"USD/EUR": 1.2}, source="test rates")
    plan = make_plan(
        mixed(), [service("web", 1, 1000, 1000)], PlanOptions(time_limit=2, currency="EUR", currency_rates=rates)
    )
    # 90 USD at 1.2 is 108 EUR: the EUR type at 100 is cheaper, and the plan says which rate it used.
    assert plan.currency == "EUR" and plan.pools[0].provider == "Eurocloud" and plan.monthly_cost == 100.0
    assert plan.assumptions["catalogue"]["currency_conversion"] == {"USD": "1 USD = 1.2 EUR (test rates)"}
    assert plan.assumptions["options"]["currency_rates"] == {"USD/EUR": 1.2}
    cheap = Rates.from_config({"EUR/USD": 2.0}, source="inverse")  # 1 USD = 0.5 EUR
    plan = make_plan(
        mixed(), [service("web", 1, 1000, 1000)], PlanOptions(time_limit=2, currency="EUR", currency_rates=cheap)
    )
    assert plan.pools[0].provider == "Dollarcloud" and plan.monthly_cost == 45.0


def test_one_foreign_currency_is_never_relabelled() -> None:
    """A USD catalogue planned in EUR used to show the USD figures labelled EUR."""
    usd = catalogue(USD_ROWS, currency="USD")
    with pytest.raises(CatalogueError, match="plan is in EUR"):
        make_plan(usd, [service("web", 1, 1000, 1000)], PlanOptions(time_limit=2, currency="EUR"))
    plan = make_plan(usd, [service("web", 1, 1000, 1000)], PlanOptions(time_limit=2))
    assert plan.currency == "USD" and plan.monthly_cost == 90.0


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"USD": 0.9}, "FROM/TO"),
        ({"USD/EUR": 0}, "positive"),
        ({"USD/EUR": float("nan")}, "positive"),
        ({"USD/EUR": 1e30}, "positive"),
        ({"USD/EUR": "0.9"}, "positive"),
        ([1], "must be a table"),
    ],
)
def test_bad_rates_are_config_errors(table: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Rates.from_config(table)  # type: ignore[arg-type]
