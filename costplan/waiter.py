"""Polling resources until they settle: botocore's `Waiter`, with the sleep and the clock injected.

A waiter calls a describe function (a pool's or a service's status), classifies what it sees
through a list of *acceptors* into success, failure or retry, and stops on success or failure,
or when `max_attempts` or `timeout` runs out. Between polls it backs off exponentially. What no
acceptor matches is waited on: the API's status strings are open, so an unknown one means "not
yet", never a crash. Transient API errors (5xx, 429, no answer) are retried like an unknown
status; they count as attempts.

`wait_many` polls several resources concurrently (a thread pool over the sync client) and
returns one `Outcome` per resource, so one failed pool never hides the others' results.

```
waiter = Waiter("pool ready", [
    Acceptor(FAILURE, lambda s: s.is_failed, reason=lambda s: s.error_message or s.status),
    Acceptor(SUCCESS, lambda s: s.is_done),
], WaiterConfig(delay=2, timeout=900), sleep=time.sleep)
status = waiter.wait(pool_uuid, lambda: client.get_instance_pool_status(pool_uuid))
```
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from costplan.errors import (
    ApiError,
    ApiResponseError,
    ApiStatusError,
    ApiTransportError,
    AuthenticationError,
    ResourceFailed,
    WaitTimeout,
)

T = TypeVar("T")

SUCCESS = "success"
FAILURE = "failure"
RETRY = "retry"
TIMEOUT = "timeout"
STOPPED = "stopped"  # the caller asked to stop (Ctrl-C) before this resource settled

DEFAULT_DELAY_S = 2.0
DEFAULT_MAX_DELAY_S = 20.0
DEFAULT_MULTIPLIER = 1.5
DEFAULT_TIMEOUT_S = 1800.0
DEFAULT_CONCURRENCY = 8

# on_poll(resource_id, what was observed (a response or an exception), attempts, state)
PollCallback = Callable[[str, Any, int, str], None]


@dataclass(frozen=True)
class Acceptor:
    """Maps an observation to a state: `matcher(observed)` true means `state`.

    `on_error=True` matches exceptions raised by the describe call instead of responses
    (for example a 404 is success when waiting for a deletion). `reason` explains a failure.
    """

    state: str
    matcher: Callable[[Any], bool]
    reason: str | Callable[[Any], str] = ""
    on_error: bool = False

    def explain(self, observed: Any) -> str:
        return self.reason(observed) if callable(self.reason) else self.reason


@dataclass(frozen=True)
class WaiterConfig:
    """How patiently to poll: first `delay`, times `multiplier` per attempt up to `max_delay`.

    Stops after `max_attempts` polls or `timeout` seconds, whichever comes first (None: no limit
    of that kind; at least one of them must be set).
    """

    delay: float = DEFAULT_DELAY_S
    max_delay: float = DEFAULT_MAX_DELAY_S
    multiplier: float = DEFAULT_MULTIPLIER
    max_attempts: int | None = None
    timeout: float | None = DEFAULT_TIMEOUT_S
    jitter: float = 0.1  # +/- this fraction of each delay, so many pools do not poll in lockstep

    def __post_init__(self) -> None:
        if self.max_attempts is None and self.timeout is None:
            raise ValueError("a waiter needs max_attempts or timeout, or it may never stop")
        if min(self.delay, self.max_delay) < 0 or self.multiplier < 1 or not 0 <= self.jitter < 1:
            raise ValueError("delays must be >= 0, multiplier >= 1 and 0 <= jitter < 1")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay_after(self, attempts: int, rng: random.Random) -> float:
        """Seconds to wait after the `attempts`-th unsettled poll."""
        base = min(self.max_delay, self.delay * self.multiplier ** max(attempts - 1, 0))
        return max(0.0, base * (1 + rng.uniform(-self.jitter, self.jitter)))


@dataclass
class Outcome(Generic[T]):
    """How waiting for one resource ended, with the last thing seen (botocore's `last_response`)."""

    resource_id: str
    state: str
    last: T | None = None
    error: Exception | None = None
    attempts: int = 0
    elapsed: float = 0.0
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.state == SUCCESS

    def result(self, what: str = "resource") -> T:
        """The last response on success; otherwise the matching ProvisioningError."""
        if self.state == SUCCESS:
            assert self.last is not None
            return self.last
        last_status = self.last if self.last is not None else self.error
        if self.state == FAILURE:
            raise ResourceFailed(
                f"{what} {self.resource_id} failed after {self.attempts} status checks: {self.reason}",
                resource_id=self.resource_id,
                last_status=last_status,
            )
        raise WaitTimeout(
            f"{what} {self.resource_id} did not settle after {self.attempts} status checks in "
            f"{self.elapsed:.0f} s ({self.reason})",
            resource_id=self.resource_id,
            last_status=last_status,
            attempts=self.attempts,
        )


def is_transient(exc: BaseException) -> bool:
    """An API error worth polling through: no answer, 5xx, 429, or a garbled body."""
    if isinstance(exc, ApiTransportError | ApiResponseError):
        return True
    return isinstance(exc, ApiStatusError) and (exc.status_code >= 500 or exc.status_code == 429)


class Waiter(Generic[T]):
    """Polls until an acceptor says success or failure, or patience runs out.

    `sleep` and `clock` are injected (tests pass `sleep=lambda s: None`); `rng` seeds the jitter.
    """

    def __init__(
        self,
        name: str,
        acceptors: Sequence[Acceptor],
        config: WaiterConfig | None = None,
        *,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.name = name
        self.acceptors = tuple(acceptors)
        self.config = config or WaiterConfig()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._concurrency = max(1, concurrency)

    def classify(self, observed: Any) -> tuple[str, str]:
        """(state, reason) for one observation; the first matching acceptor wins."""
        is_error = isinstance(observed, BaseException)
        for acceptor in self.acceptors:
            if acceptor.on_error == is_error and acceptor.matcher(observed):
                return acceptor.state, acceptor.explain(observed)
        if is_error:
            if is_transient(observed):
                return RETRY, str(observed)
            return FAILURE, str(observed)
        return RETRY, ""

    def wait(self, resource_id: str, describe: Callable[[], T], *, on_poll: PollCallback | None = None) -> T:
        """Poll one resource; its last response on success, else ResourceFailed / WaitTimeout."""
        return self.wait_many({resource_id: describe}, on_poll=on_poll)[resource_id].result(self.name)

    def wait_many(
        self,
        describes: Mapping[str, Callable[[], T]],
        *,
        on_poll: PollCallback | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> dict[str, Outcome[T]]:
        """Poll every resource until each settles; one Outcome per resource id, never raises for one.

        Each resource keeps its own backoff. Time between rounds is what was slept, so an injected
        no-op sleep polls back to back; `timeout` is measured on the injected clock.
        """
        outcomes: dict[str, Outcome[T]] = {}
        attempts = dict.fromkeys(describes, 0)
        started = {rid: self._clock() for rid in describes}
        last: dict[str, Any] = {}
        due_at = dict.fromkeys(describes, 0.0)
        virtual_now = 0.0
        workers = min(self._concurrency, len(describes)) or 1
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="costplan-wait") as executor:
            while len(outcomes) < len(describes):
                pending = [rid for rid in describes if rid not in outcomes]
                if should_stop is not None and should_stop():
                    for rid in pending:
                        outcomes[rid] = self._outcome(rid, STOPPED, last.get(rid), attempts[rid], started, "stopped")
                    break
                due = [rid for rid in pending if due_at[rid] <= virtual_now]
                observed = self._observe_all(executor, [(rid, describes[rid]) for rid in due])
                for rid, seen in zip(due, observed, strict=True):
                    attempts[rid] += 1
                    if isinstance(seen, AuthenticationError):
                        raise seen  # the key cannot see it: no point polling anything else
                    state, reason = self.classify(seen)
                    last[rid] = seen
                    if on_poll is not None:
                        on_poll(rid, seen, attempts[rid], state)
                    if state in (SUCCESS, FAILURE):
                        outcomes[rid] = self._outcome(rid, state, seen, attempts[rid], started, reason)
                        continue
                    limit = self._limit_reached(rid, attempts[rid], started)
                    if limit:
                        outcomes[rid] = self._outcome(rid, TIMEOUT, seen, attempts[rid], started, limit)
                        continue
                    delay = self.config.delay_after(attempts[rid], self._rng)
                    if self.config.timeout is not None:  # one last look at the deadline, not after it
                        remaining = self.config.timeout - (self._clock() - started[rid])
                        delay = min(delay, max(remaining, 0.0))
                    due_at[rid] = virtual_now + delay
                waiting = [due_at[rid] for rid in describes if rid not in outcomes]
                if waiting and min(waiting) > virtual_now:
                    self._sleep(min(waiting) - virtual_now)
                    virtual_now = min(waiting)
        return outcomes

    def _observe_all(self, executor: ThreadPoolExecutor, calls: list[tuple[str, Callable[[], T]]]) -> list[Any]:
        if len(calls) == 1:
            return [_observe(calls[0][1])]
        return list(executor.map(lambda item: _observe(item[1]), calls))

    def _limit_reached(self, rid: str, attempts: int, started: Mapping[str, float]) -> str:
        config = self.config
        if config.max_attempts is not None and attempts >= config.max_attempts:
            return f"max attempts ({config.max_attempts}) reached"
        if config.timeout is not None and self._clock() - started[rid] >= config.timeout:
            return f"timeout ({config.timeout:g} s) reached"
        return ""

    def _outcome(
        self, rid: str, state: str, seen: Any, attempts: int, started: Mapping[str, float], reason: str
    ) -> Outcome[T]:
        error = seen if isinstance(seen, BaseException) else None
        response = None if error is not None else seen
        return Outcome(
            resource_id=rid,
            state=state,
            last=response,
            error=error if isinstance(error, Exception) else None,
            attempts=attempts,
            elapsed=self._clock() - started[rid],
            reason=reason,
        )


def _observe(describe: Callable[[], T]) -> T | ApiError:
    """The response, or the API error it raised (other exceptions are bugs and propagate)."""
    try:
        return describe()
    except ApiError as exc:
        return exc
