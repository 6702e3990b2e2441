"""How numbers, money, percentages and ages read in a report: one home, used by templates and charts.

Missing values (None, NaN, pandas NA, strings that are not numbers) all print as an em dash,
so a half-filled plan or catalogue still renders instead of failing on a format call.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

MISSING = "\u2014"  # em dash: "no value", distinct from a real zero


def to_float(value: Any) -> float | None:
    """A finite float, or None for anything that is not a usable number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def to_int(value: Any) -> int | None:
    number = to_float(value)
    return None if number is None else int(round(number))


def number(value: Any, decimals: int = 0) -> str:
    """`1234.5` -> `1,234.5` (thousands separated, fixed decimals)."""
    number_ = to_float(value)
    if number_ is None:
        return MISSING
    if decimals == 0:
        return f"{int(round(number_)):,}"
    return f"{number_:,.{decimals}f}"


def money(value: Any, currency: str | None = None, decimals: int = 2) -> str:
    """`1234.5, "EUR"` -> `1,234.50 EUR`; the currency code follows so columns stay aligned."""
    text = number(value, decimals)
    if text == MISSING or not currency:
        return text
    return f"{text}\u00a0{currency}"


def signed_money(value: Any, currency: str | None = None, decimals: int = 2) -> str:
    """A difference, always with its sign (`+12.00`, `\u221212.00`): savings must never read as costs."""
    number_ = to_float(value)
    if number_ is None:
        return MISSING
    sign = "+" if number_ > 0 else ("\u2212" if number_ < 0 else "\u00b1")
    return sign + money(abs(number_), currency, decimals)


def percent(fraction: Any, decimals: int = 1) -> str:
    """A fraction as a percentage: `0.0281` -> `2.8%`."""
    number_ = to_float(fraction)
    if number_ is None:
        return MISSING
    return f"{number_ * 100:,.{decimals}f}%"


def signed_percent(fraction: Any, decimals: int = 1) -> str:
    number_ = to_float(fraction)
    if number_ is None:
        return MISSING
    sign = "+" if number_ > 0 else ("\u2212" if number_ < 0 else "\u00b1")
    return sign + percent(abs(number_), decimals)


def to_datetime(value: Any) -> datetime | None:
    """A timezone-aware UTC datetime from a datetime, pandas Timestamp or ISO string."""
    if value is None:
        return None
    if hasattr(value, "to_pydatetime"):
        try:
            value = value.to_pydatetime()
        except (TypeError, ValueError):
            return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def timestamp(value: Any) -> str:
    """`2025-11-27 08:47 UTC`: minutes are precise enough for a price snapshot."""
    moment = to_datetime(value)
    return MISSING if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def age(then: Any, now: Any) -> str:
    """`3 hours ago`; reports are read later than they are written, so the age is stated in words."""
    start, end = to_datetime(then), to_datetime(now)
    if start is None or end is None:
        return "unknown age"
    seconds = (end - start).total_seconds()
    if seconds < 0:
        return "in the future (clock skew?)"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def fmt(value: Any, kind: str = "text", currency: str | None = None) -> str:
    """Format `value` by name, so a generic table macro can take its column formats as data."""
    if kind == "money":
        return money(value, currency)
    if kind == "money0":
        return money(value, currency, 0)
    if kind == "signed_money":
        return signed_money(value, currency)
    if kind == "int":
        return number(value, 0)
    if kind.startswith("num") and kind[3:].isdigit():
        return number(value, int(kind[3:]))
    if kind == "percent":
        return percent(value)
    if kind == "signed_percent":
        return signed_percent(value)
    if kind == "auto":
        return _auto(value)
    if kind == "timestamp":
        return timestamp(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    text = str(value)
    return MISSING if text in ("", "<NA>", "nan", "NaT") else text


def _auto(value: Any) -> str:
    """Free-form values (assumptions): numbers without trailing zeros, the rest as text."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number_ = to_float(value)
        if number_ is None:
            return MISSING
        if number_.is_integer():
            return number(number_, 0)
        return f"{number_:,.4f}".rstrip("0").rstrip(".")
    return fmt(value)
