"""Usage-aware monthly cost: how many hours a month the pools run at peak, and what that costs.

Pools autoscale between `count_min` (the baseline plan) and `count_max` (the peak plan). With
H hours a month at peak, the expected monthly cost is

    expected = baseline + (peak - baseline) x H / 720

where 720 h is the month the LayerOps API itself uses (monthlyPrice = hourly x 720, i.e. 30 days),
so H = 720 means "always at peak" and H = 0 "never". H comes from `costplan plan --peak-hours H`,
else from the services file's top-level `usage` block (infracost's `monthly_hrs`, for pools):

```yaml
usage:
  peakHoursPerMonth: 200                 # or a weekly profile:
# usage:
#   peak: {days: [mon, tue, wed, thu, fri], hours: "09-18"}   # 5 x 9 h a week x 720/168 = 192.8571 h
```

A weekly profile becomes hours per month as days per week x hours per day x 720 / 168 (a 720 h
month holds 720/168 = 4.2857 weeks), rounded to 4 decimals. Unknown keys are errors.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from costplan.errors import InputError, problems_message, unknown_key
from costplan.plans import Node, PlannedPool, Usage, from_units, to_units

MONTH_HOURS = 720  # the API's month (monthlyPrice == hourly x 720): 30 days
WEEK_HOURS = 168
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
USAGE_KEYS = frozenset({"peakHoursPerMonth", "peak_hours_per_month", "peak"})
PROFILE_KEYS = frozenset({"days", "hours"})
_HOURS = re.compile(r"^\s*(\d{1,2})(?::00)?\s*-\s*(\d{1,2})(?::00)?\s*$")


def flag_usage(hours: float) -> Usage:
    """The usage stated by `--peak-hours H`."""
    return Usage(check_hours(hours, "--peak-hours"), f"--peak-hours {hours:g} (command line)")


def check_hours(hours: Any, where: str) -> float:
    """Hours at peak per month: a number from 0 to 720, else an `InputError` naming `where`."""
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not math.isfinite(hours):
        raise InputError(f"{where} must be a number of hours per month, got {hours!r}")
    if not 0 <= hours <= MONTH_HOURS:
        raise InputError(
            f"{where} is {hours:g} hours: it must be from 0 to {MONTH_HOURS} (the {MONTH_HOURS} h month costplan "
            "prices with, monthlyPrice = hourly x 720)"
        )
    return round(float(hours), 4)


def usage_from_dict(data: Any, source: str) -> Usage:
    """The services file's `usage` block as a `Usage`; every problem in it at once as one `InputError`."""
    where = "the usage block"
    if not isinstance(data, Mapping):
        raise InputError(
            f"{source}: 'usage' must be an object such as {{peakHoursPerMonth: 200}} or "
            f'{{peak: {{days: [mon, tue, wed, thu, fri], hours: "09-18"}}}}, got {data!r}'
        )
    problems = [unknown_key(str(k), USAGE_KEYS, where) for k in data if k not in USAGE_KEYS]
    given = [k for k in data if k in USAGE_KEYS]
    if len(given) != 1:
        problems.append(
            f"{where} takes exactly one of peakHoursPerMonth or peak (a weekly profile), got "
            f"{', '.join(map(str, given)) or 'neither'}"
        )
    if problems:
        raise InputError(problems_message(source, problems))
    key = given[0]
    if key != "peak":
        try:
            hours = check_hours(data[key], f"usage.{key}")
        except InputError as exc:
            raise InputError(f"{source}: {exc}") from None
        return Usage(hours, f"services file {source}: usage.{key} = {hours}")
    return _profile(data["peak"], source)


def _profile(data: Any, source: str) -> Usage:
    where = "usage.peak"
    if not isinstance(data, Mapping):
        raise InputError(f'{source}: {where} must be an object such as {{days: [mon, fri], hours: "09-18"}}')
    problems = [unknown_key(str(k), PROFILE_KEYS, where) for k in data if k not in PROFILE_KEYS]
    problems += [f"{where}: '{k}' is missing" for k in sorted(PROFILE_KEYS) if k not in data]
    days: list[str] = []
    raw_days = data.get("days")
    if "days" in data:
        items = raw_days if isinstance(raw_days, list) else None
        if items is None or not items or not all(isinstance(d, str) for d in items):
            problems.append(f"{where}.days must be a list of days ({', '.join(DAYS)}), got {raw_days!r}")
        else:
            for day in items:
                name = day.strip().casefold()
                short = name[:3]
                if name not in DAYS and name not in FULL_DAYS:
                    near = difflib.get_close_matches(name, (*DAYS, *FULL_DAYS), n=1, cutoff=0.6)
                    hint = f"did you mean {near[0]!r}?" if near else f"days are {', '.join(DAYS)}"
                    problems.append(f"{where}.days: unknown day {day!r}: {hint}")
                elif short in days:
                    problems.append(f"{where}.days names {short} twice")
                else:
                    days.append(short)
    span = 0
    if "hours" in data:
        match = _HOURS.match(str(data["hours"])) if isinstance(data["hours"], str) else None
        start, end = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        if match is None or not 0 <= start < end <= 24:
            problems.append(
                f'{where}.hours must be a span of whole hours "HH-HH" within 00-24, start before end '
                f'(e.g. "09-18"), got {data["hours"]!r}'
            )
        else:
            span = end - start
    if problems:
        raise InputError(problems_message(source, problems))
    hours = float(round(Fraction(len(days) * span * MONTH_HOURS, WEEK_HOURS), 4))
    ordered = [d for d in DAYS if d in days]
    return Usage(
        hours,
        f"services file {source}: usage.peak = {','.join(ordered)} {data['hours']} "
        f"({len(days)} days x {span} h a week x {MONTH_HOURS}/{WEEK_HOURS} = {hours} h a month)",
    )


def expected_monthly_cost(baseline: float, peak: float | None, usage: Usage) -> float:
    """baseline + (peak - baseline) x H / 720, exact in 1/10 000 units, rounded half up once.

    Without a peak plan (count_max == count_min everywhere) the peak costs the baseline.
    """
    base = to_units(baseline)
    burst = (to_units(peak) if peak is not None else base) - base
    extra = Fraction(burst) * Fraction(str(usage.peak_hours_per_month)) / MONTH_HOURS
    return from_units(base + math.floor(extra + Fraction(1, 2)))


def describe(usage: Usage) -> str:
    """The assumption in one sentence, as plans, tables and reports state it."""
    share = usage.peak_hours_per_month / MONTH_HOURS
    return (
        f"{usage.peak_hours_per_month} h a month at peak ({share:.1%} of a {MONTH_HOURS} h month), the rest at "
        f"the baseline: expected = baseline + (peak - baseline) x {usage.peak_hours_per_month}/{MONTH_HOURS}; "
        f"from {usage.source}"
    )


def committed_peak_units(
    pools: Sequence[PlannedPool], peak_nodes: Sequence[Node], on_demand: Mapping[str, float]
) -> int:
    """The peak's cost under `--commit baseline`, in 1/10 000 units: every pool's committed baseline
    nodes (paid whether used or not) plus its nodes above `count_min` at the on-demand price."""
    at_peak = Counter(n.pool for n in peak_nodes)
    return sum(
        p.count_min * to_units(p.unit_monthly_price)
        + max(0, at_peak.get(p.name, 0) - p.count_min) * to_units(on_demand.get(p.name, p.unit_monthly_price))
        for p in pools
    )
