"""Conversion rates: what lets one plan add prices that catalogue rows state in different currencies.

Each catalogue row carries its own currency (the API states none: the provider's
configuration or the data says it). A plan adds monthly prices, so every candidate node type
must be priced in the plan's currency or be convertible to it at a configured rate; the rates
used are recorded in the plan's assumptions and shown in its report.

```toml
[currency]
code = "EUR"                                      # the plan currency (same as `currency = "EUR"`)
rates = { "USD/EUR" = 0.92 }                      # 1 USD = 0.92 EUR; EUR -> USD uses 1 / 0.92
providers = { "Google Cloud Platform" = "USD" }   # what a provider's prices are in
```
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from costplan.errors import ConfigError

_PAIR = re.compile(r"^([A-Za-z]{3})/([A-Za-z]{3})$")
_SANE = (1e-6, 1e6)  # a rate outside this range is a typo, not an exchange rate
CONFIG_SOURCE = "[currency] rates in the config file"


@dataclass(frozen=True)
class Rates:
    """Rates as `(from, to) -> units of `to` per unit of `from``, and where they came from."""

    pairs: Mapping[tuple[str, str], float] = field(default_factory=dict)
    source: str = CONFIG_SOURCE

    def __bool__(self) -> bool:
        return bool(self.pairs)

    @classmethod
    def from_config(cls, table: Mapping[str, Any] | None, source: str = CONFIG_SOURCE) -> Rates:
        """`{"USD/EUR": 0.92}` checked: keys are `FROM/TO` codes, values positive, finite and sane."""
        if table is None:
            return cls(source=source)
        if not isinstance(table, Mapping):
            raise ConfigError(f'[currency] rates must be a table such as {{ "USD/EUR" = 0.92 }}, got {table!r}')
        pairs: dict[tuple[str, str], float] = {}
        for key, value in table.items():
            match = _PAIR.match(str(key))
            if not match:
                raise ConfigError(f'[currency] rates: key {key!r} must be FROM/TO currency codes, e.g. "USD/EUR"')
            number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
            if not (math.isfinite(number) and _SANE[0] <= number <= _SANE[1]):
                raise ConfigError(f'[currency] rates."{key}" must be a positive number of units, got {value!r}')
            pairs[(match.group(1).upper(), match.group(2).upper())] = float(number)
        return cls(pairs, source)

    def rate(self, source: str, target: str) -> float | None:
        """Units of `target` per unit of `source`: the configured pair, or the inverse of its reverse."""
        if source == target:
            return 1.0
        if (source, target) in self.pairs:
            return self.pairs[(source, target)]
        if (target, source) in self.pairs:
            return 1.0 / self.pairs[(target, source)]
        return None

    def describe(self, source: str, target: str) -> str:
        """`1 USD = 0.92 EUR (illustrative ...)`: how a plan states the rate it used."""
        rate = self.rate(source, target)
        return f"1 {source} = {rate:.6g} {target} ({self.source})"
