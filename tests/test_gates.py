"""Budget and change gates: pass, fail and equal for each, exact money, the config's [gates], the messages."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from costplan.config import Settings
from costplan.errors import ConfigError, GateFailed, InputError
from costplan.gates import Gates, Increase, check, enforce, parse_increase


def test_parse_increase_reads_percent_and_amount() -> None:
    assert parse_increase("5%") == Increase(Decimal("5"), True)
    assert parse_increase(" 2.5 % ") == Increase(Decimal("2.5"), True)
    assert parse_increase("20") == Increase(Decimal("20"), False)
    assert parse_increase(20) == Increase(Decimal("20"), False)


@pytest.mark.parametrize("bad", ["-5%", "five", "%", "nan", "inf", True, ""])
def test_parse_increase_refuses_what_is_not_a_limit(bad: object) -> None:
    with pytest.raises(InputError, match="percent such as 5%"):
        parse_increase(bad)


@pytest.mark.parametrize(
    ("cost", "passed"),
    [(149.99, True), (150.0, True), (182.40, False)],
    ids=["below", "equal", "above"],
)
def test_max_monthly_cost(cost: float, passed: bool) -> None:
    (verdict,) = check(Gates(max_monthly_cost=150.0), currency="EUR", new=cost)
    assert verdict.passed is passed
    if not passed:
        assert verdict.message == (
            "monthly cost 182.40 EUR exceeds --max-monthly-cost 150.00 EUR by 32.40 EUR (21.6 %)"
        )


@pytest.mark.parametrize(
    ("new", "passed"),
    [(104.99, True), (105.0, True), (105.01, False), (90.0, True)],
    ids=["below", "equal", "above", "decrease"],
)
def test_fail_on_increase_percent(new: float, passed: bool) -> None:
    (verdict,) = check(Gates(fail_on_increase=parse_increase("5%")), currency="EUR", old=100.0, new=new)
    assert verdict.passed is passed
    if not passed:
        assert "monthly cost increase +5.01 EUR (100.00 EUR -> 105.01 EUR, +5.0 %)" in verdict.message
        assert "exceeds --fail-on-increase 5 % (5.00 EUR) by 0.01 EUR" in verdict.message


@pytest.mark.parametrize(("new", "passed"), [(119.99, True), (120.0, True), (120.01, False)])
def test_fail_on_increase_amount(new: float, passed: bool) -> None:
    (verdict,) = check(Gates(fail_on_increase=parse_increase("20")), currency="EUR", old=100.0, new=new)
    assert verdict.passed is passed
    if not passed:
        assert verdict.message.endswith("exceeds --fail-on-increase 20.00 EUR by 0.01 EUR")


def test_percent_is_exact_where_floats_are_not() -> None:
    # 0.1 + 0.2 style noise: 7 % of 162.07 is 11.3449; 173.4149 is exactly that increase
    (verdict,) = check(Gates(fail_on_increase=parse_increase("7%")), currency="EUR", old=162.07, new=173.4149)
    assert verdict.passed
    (verdict,) = check(Gates(fail_on_increase=parse_increase("7%")), currency="EUR", old=162.07, new=173.415)
    assert not verdict.passed


def test_from_nothing_any_increase_fails_a_percent_gate_and_none_passes() -> None:
    gates = Gates(fail_on_increase=parse_increase("5%"))
    (fails,) = check(gates, currency="EUR", old=0.0, new=10.0)
    assert not fails.passed and "any increase from 0 does" in fails.message
    (passes,) = check(gates, currency="EUR", old=0.0, new=0.0)
    assert passes.passed


def test_the_increase_gate_needs_an_old_cost() -> None:
    assert check(Gates(fail_on_increase=parse_increase("5%")), currency="EUR", new=10.0) == []


def test_enforce_names_every_failing_gate() -> None:
    gates = Gates(max_monthly_cost=100.0, fail_on_increase=parse_increase("1%"))
    enforce(check(gates, currency="EUR", old=100.0, new=100.0))  # both equal: no error
    with pytest.raises(GateFailed) as caught:
        enforce(check(gates, currency="EUR", old=100.0, new=110.0))
    assert caught.value.exit_code == 3
    assert str(caught.value).startswith("2 gates failed:")
    assert "--max-monthly-cost 100.00 EUR by 10.00 EUR (10.0 %)" in str(caught.value)
    assert "--fail-on-increase 1 % (1.00 EUR) by 9.00 EUR" in str(caught.value)


def _settings(tmp_path: Path, text: str, profile: str = "default") -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return Settings.resolve({"config": str(path), "profile": profile}, {})


def test_gates_live_in_the_config_per_profile_and_flags_override_them(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        '[gates]\nmax_monthly_cost = 500\n\n[profiles.ci.gates]\nfail_on_increase = "5%"\n',
        profile="ci",
    )
    gates = Gates.resolve(settings.sections.get("gates"))
    assert gates.max_monthly_cost == 500.0 and gates.fail_on_increase == parse_increase("5%")
    (verdict,) = check(Gates.resolve(settings.sections.get("gates")), currency="EUR", new=600.0)[:1]
    assert "exceeds [gates] max_monthly_cost 500.00 EUR by 100.00 EUR" in verdict.message
    flagged = Gates.resolve(settings.sections.get("gates"), max_monthly_cost=700.0)
    assert flagged.max_monthly_cost == 700.0 and flagged.max_monthly_cost_source == "--max-monthly-cost"
    assert flagged.fail_on_increase == parse_increase("5%")
    default = _settings(tmp_path, '[gates]\nmax_monthly_cost = 500\n\n[profiles.ci.gates]\nfail_on_increase = "5%"\n')
    assert Gates.resolve(default.sections.get("gates")).fail_on_increase is None


def test_an_unknown_gate_key_is_an_error_naming_the_nearest(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"unknown key 'max_monthly' in \[gates\] of \[profiles.ci\]: did you mean 'max_monthly_cost'"
    ):
        _settings(tmp_path, "[profiles.ci.gates]\nmax_monthly = 5\n", profile="ci")


def test_a_bad_gate_value_in_the_config_is_a_config_error(tmp_path: Path) -> None:
    settings = _settings(tmp_path, '[gates]\nfail_on_increase = "lots"\n')
    with pytest.raises(ConfigError, match=r"\[gates\]: an allowed increase is a percent"):
        Gates.resolve(settings.sections.get("gates"))
