"""When a LayerOps call is tried again, and how long to wait first.

The rules, applied after each failed attempt while attempts remain (`max_retries + 1` in all):

| What happened                                  | GET/HEAD | PUT/DELETE | POST (not idempotent)    |
|------------------------------------------------|----------|------------|--------------------------|
| connect error, connect timeout, pool timeout   | retry    | retry      | retry (never sent)       |
| read/write timeout, connection dropped         | retry    | retry      | stop, outcome unknown    |
| 429 Too Many Requests, 503 Service Unavailable | retry    | retry      | retry (answered: not     |
|                                                |          |            | processed)               |
| 502 Bad Gateway, 504 Gateway Timeout           | retry    | retry      | stop, outcome unknown    |
| 500 Internal Server Error                      | retry    | stop       | stop, outcome unknown    |
| any other status, other transport errors       | stop     | stop       | stop                     |

500 is retried for safe methods only: a read that hit a transient server bug costs nothing to
repeat, while a PUT/DELETE that failed half-way is better reported than replayed blindly.
"Outcome unknown" means the server may have acted on the request: the caller should look (list
the pools) before sending it again, which is what the provisioner's reconciliation does.

Waits use exponential backoff with full jitter, `uniform(0, min(backoff_max, backoff_base * 2**n))`,
unless the answer carries `Retry-After` (seconds or an HTTP date): that is honoured exactly, even
above `backoff_max`, up to `retry_after_max` (120 s by default).
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import httpx

from costplan.config import DEFAULT_BACKOFF_BASE_S, DEFAULT_BACKOFF_MAX_S, DEFAULT_MAX_RETRIES

if TYPE_CHECKING:
    from costplan.config import Settings

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Answers that say the request was not processed: safe to send again whatever the method.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
# Gateway answers: the upstream may or may not have acted, so only idempotent calls are repeated.
GATEWAY_STATUSES = frozenset({502, 504})
DEFAULT_RETRY_AFTER_MAX_S = 120.0
# 2**62 is far past any backoff_max; the cap keeps the float arithmetic from overflowing.
_MAX_EXPONENT = 62


class Delivery(enum.Enum):
    """What a transport error says about whether the server saw the request."""

    NOT_SENT = "not sent"  # failed before the request left: sending again cannot duplicate it
    UNKNOWN = "unknown"  # failed after (part of) the request left: the server may have acted
    LOCAL = "local"  # a problem on this side (bad URL, protocol misuse) that retrying cannot fix


def delivery_of(error: type[BaseException]) -> Delivery:
    """Classify an httpx error type by whether its request can have reached the server."""
    if issubclass(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return Delivery.NOT_SENT
    if issubclass(
        error,
        httpx.ReadTimeout
        | httpx.WriteTimeout
        | httpx.ReadError
        | httpx.WriteError
        | httpx.CloseError
        | httpx.RemoteProtocolError,
    ):
        return Delivery.UNKNOWN
    return Delivery.LOCAL


def status_outcome_unknown(method: str, status: int) -> bool:
    """True when an error status leaves it open whether a non-idempotent request was applied."""
    return method not in IDEMPOTENT_METHODS and status >= 500 and status not in (501, 503)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds asked for by a `Retry-After` header (delta-seconds or HTTP date); None if absent or bad."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive result means the zone was omitted
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):  # float() accepts "nan" and "inf"
        return None
    return max(0.0, seconds)


@dataclass(frozen=True)
class Decision:
    """What to do after a failed attempt: wait `delay` seconds and retry, or stop (`delay is None`)."""

    delay: float | None
    outcome_unknown: bool = False

    @property
    def retry(self) -> bool:
        return self.delay is not None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a call is repeated; `rng` makes the jitter reproducible.

    ```
    policy = RetryPolicy(max_retries=2, rng=random.Random(0))
    policy.after_status("GET", 503, retry_after=None, attempts=1)  # Decision(delay=0.42...)
    ```
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_base: float = DEFAULT_BACKOFF_BASE_S
    backoff_max: float = DEFAULT_BACKOFF_MAX_S
    retry_after_max: float = DEFAULT_RETRY_AFTER_MAX_S
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if min(self.backoff_base, self.backoff_max, self.retry_after_max) < 0:
            raise ValueError("backoff_base, backoff_max and retry_after_max must not be negative")

    @classmethod
    def from_settings(cls, settings: Settings, *, rng: random.Random | None = None) -> RetryPolicy:
        return cls(
            max_retries=settings.max_retries,
            backoff_base=settings.backoff_base,
            backoff_max=settings.backoff_max,
            rng=rng or random.Random(),
        )

    @property
    def max_attempts(self) -> int:
        return self.max_retries + 1

    def backoff(self, attempts: int) -> float:
        """Full-jitter wait after the `attempts`-th failed attempt (1 for the first)."""
        exponent = min(max(attempts - 1, 0), _MAX_EXPONENT)
        return self.rng.uniform(0.0, min(self.backoff_max, self.backoff_base * 2.0**exponent))

    def after_status(self, method: str, status: int, *, retry_after: float | None, attempts: int) -> Decision:
        """Decide after an error status; `attempts` counts the attempts made so far."""
        method = method.upper()
        unknown = status_outcome_unknown(method, status)
        retryable = (
            status in NOT_PROCESSED_STATUSES
            or (status in GATEWAY_STATUSES and method in IDEMPOTENT_METHODS)
            or (status == 500 and method in SAFE_METHODS)
        )
        if not retryable or attempts >= self.max_attempts:
            return Decision(None, outcome_unknown=unknown)
        if retry_after is not None:
            return Decision(min(retry_after, self.retry_after_max))
        return Decision(self.backoff(attempts))

    def after_error(self, method: str, error: type[BaseException], *, attempts: int) -> Decision:
        """Decide after a transport error of type `error`; `attempts` counts the attempts made so far."""
        delivery = delivery_of(error)
        idempotent = method.upper() in IDEMPOTENT_METHODS
        unknown = delivery is Delivery.UNKNOWN and not idempotent
        retryable = delivery is Delivery.NOT_SENT or (delivery is Delivery.UNKNOWN and idempotent)
        if not retryable or attempts >= self.max_attempts:
            return Decision(None, outcome_unknown=unknown)
        return Decision(self.backoff(attempts))
