"""Time for the emulator: an injectable clock and the API's timestamp format.

Lifecycles are derived from stored timestamps and "now", never from timers, so that two
processes sharing a state file agree and tests can move time forward instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]
"""Returns seconds since the epoch (like ``time.time``)."""


class ManualClock:
    """A clock that only moves when told to: for tests and deterministic demos.

    ```python
    clock = ManualClock(start=1_700_000_000.0)
    config = EmulatorConfig(clock=clock, provision_seconds=10)
    clock.advance(10)  # pools created before now report DONE
    ```
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` and return the new time."""
        if seconds < 0:
            raise ValueError("a ManualClock cannot go backwards")
        with self._lock:
            self._now += seconds
            return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now!r})"


def system_clock() -> float:
    """Wall-clock time; the default, since state files may be shared across processes."""
    return time.time()


def iso(epoch: float | None) -> str | None:
    """Format like the API: ``2023-09-12T10:17:58.000Z`` (UTC, milliseconds)."""
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """Inverse of :func:`iso`, for seeding documented timestamps."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
