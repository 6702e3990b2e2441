"""Budget and change gates for CI: `--max-monthly-cost`, `--fail-on-increase`, `[gates]` in the config.

A gate compares monthly costs (in the plan's currency) with a limit and says by how much it was
exceeded. Equal is a pass. Money is compared exactly, in the plans' 1/10 000 units, and percents
as decimals, so `5%` of 100.00 allows exactly 5.00. Pure: the commands read the flags and the
config, print their data, then call `enforce`, whose `GateFailed` exits with code 3.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from costplan.errors import ConfigError, GateFailed, InputError
from costplan.plans import MONEY_SCALE, from_units, to_units

MAX_MONTHLY_COST = "max_monthly_cost"
FAIL_ON_INCREASE = "fail_on_increase"
KEYS = frozenset({MAX_MONTHLY_COST, FAIL_ON_INCREASE})  # what `[gates]` may hold (config.SECTIONS)


@dataclass(frozen=True)
class Increase:
    """An allowed increase: a percent of the old monthly cost (`5%`) or an amount in its currency (`20`)."""

    value: Decimal
    percent: bool

    def __str__(self) -> str:
        return f"{self.value.normalize():f} %" if self.percent else f"{self.value:,.2f}"


def parse_increase(text: Any) -> Increase:
    """`"5%"`, `"5 %"`, `"20"` or 20 -> an Increase; negative, nan or garbage -> InputError."""
    raw = str(text).strip()
    percent = raw.endswith("%")
    number = raw.removesuffix("%").strip()
    try:
        value = Decimal(number)
    except InvalidOperation:
        value = Decimal("nan")
    if isinstance(text, bool) or not value.is_finite() or value < 0:
        raise InputError(f"an allowed increase is a percent such as 5% or an amount such as 20, got {text!r}")
    return Increase(value, percent)


def parse_amount(text: Any) -> float:
    """A monthly amount: a finite number >= 0."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(text, bool) or not math.isfinite(value) or value < 0:
        raise InputError(f"a monthly cost limit is a number >= 0 such as 500, got {text!r}")
    return value


@dataclass(frozen=True)
class Gates:
    """The gates in force; `*_source` is how the message names each (the flag or the config key)."""

    max_monthly_cost: float | None = None
    fail_on_increase: Increase | None = None
    max_monthly_cost_source: str = "--max-monthly-cost"
    fail_on_increase_source: str = "--fail-on-increase"

    @classmethod
    def resolve(
        cls,
        section: Mapping[str, Any] | None,
        *,
        max_monthly_cost: float | None = None,
        fail_on_increase: Increase | None = None,
        source: str = "the config file",
    ) -> Gates:
        """`[gates]` of the config profile (`[profiles.NAME.gates]` over the top-level `[gates]`),
        each key overridden by its flag when given."""
        section = section or {}
        where = "[gates]"
        gates = cls()
        try:
            if max_monthly_cost is not None:
                gates = cls(max_monthly_cost=max_monthly_cost)
            elif MAX_MONTHLY_COST in section:
                source = f"{where} {MAX_MONTHLY_COST}"
                gates = cls(parse_amount(section[MAX_MONTHLY_COST]), max_monthly_cost_source=source)
            if fail_on_increase is not None:
                return _with_increase(gates, fail_on_increase, "--fail-on-increase")
            if FAIL_ON_INCREASE in section:
                increase = parse_increase(section[FAIL_ON_INCREASE])
                return _with_increase(gates, increase, f"{where} {FAIL_ON_INCREASE}")
        except InputError as error:
            raise ConfigError(f"{source}, {where}: {error}") from None
        return gates

    @property
    def any(self) -> bool:
        return self.max_monthly_cost is not None or self.fail_on_increase is not None


def _with_increase(gates: Gates, increase: Increase, source: str) -> Gates:
    return Gates(gates.max_monthly_cost, increase, gates.max_monthly_cost_source, source)


@dataclass(frozen=True)
class Verdict:
    """One gate's outcome, with the sentence that says why."""

    gate: str  # "max_monthly_cost" | "fail_on_increase"
    passed: bool
    message: str


def check(gates: Gates, *, currency: str, new: float, old: float | None = None) -> list[Verdict]:
    """Each gate in force against the monthly cost `new` (and, for the increase, `old` -> `new`).

    The increase gate needs an old cost; where there is none (`plan`), it is not evaluated.
    """
    verdicts = []
    if gates.max_monthly_cost is not None:
        verdicts.append(_budget(gates.max_monthly_cost, gates.max_monthly_cost_source, currency, new))
    if gates.fail_on_increase is not None and old is not None:
        verdicts.append(_increase(gates.fail_on_increase, gates.fail_on_increase_source, currency, old, new))
    return verdicts


def _money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def _budget(limit: float, source: str, currency: str, cost: float) -> Verdict:
    over = to_units(cost) - to_units(limit)
    if over <= 0:
        message = f"monthly cost {_money(cost, currency)} is within {source} {_money(limit, currency)}"
        return Verdict(MAX_MONTHLY_COST, True, message)
    share = f" ({100 * over / to_units(limit):.1f} %)" if to_units(limit) else ""
    message = (
        f"monthly cost {_money(cost, currency)} exceeds {source} {_money(limit, currency)} "
        f"by {_money(from_units(over), currency)}{share}"
    )
    return Verdict(MAX_MONTHLY_COST, False, message)


def _increase(allowed: Increase, source: str, currency: str, old: float, new: float) -> Verdict:
    before, after = to_units(old), to_units(new)
    rise = after - before
    change = f"{_money(old, currency)} -> {_money(new, currency)}"
    pct = f", {100 * rise / before:+.1f} %" if before else ""
    if allowed.percent:
        # rise / before > value / 100, exactly; from nothing, any rise is more than a percentage
        limit_units = Decimal(before) * allowed.value / 100
        failed = rise > 0 and (before == 0 or Decimal(rise) > limit_units)
        limit_text = f"{allowed} ({_money(float(limit_units / MONEY_SCALE), currency)})"
    else:
        limit_units = allowed.value * MONEY_SCALE
        failed = Decimal(rise) > limit_units
        limit_text = f"{allowed} {currency}"
    increase = f"monthly cost increase {from_units(rise):+,.2f} {currency} ({change}{pct})"
    if not failed:
        return Verdict(FAIL_ON_INCREASE, True, f"{increase} is within {source} {limit_text}")
    if before == 0 and allowed.percent:
        return Verdict(FAIL_ON_INCREASE, False, f"{increase} exceeds {source} {allowed}: any increase from 0 does")
    over = from_units(int(Decimal(rise) - limit_units.to_integral_value(rounding="ROUND_FLOOR")))
    return Verdict(FAIL_ON_INCREASE, False, f"{increase} exceeds {source} {limit_text} by {_money(over, currency)}")


def enforce(verdicts: Sequence[Verdict]) -> None:
    """Raise `GateFailed` (exit 3) naming every failing gate; nothing when all pass (or none is set)."""
    failed = [v.message for v in verdicts if not v.passed]
    if len(failed) == 1:
        raise GateFailed(f"gate failed: {failed[0]}")
    if failed:
        raise GateFailed(f"{len(failed)} gates failed:\n" + "\n".join(f"  - {m}" for m in failed))
