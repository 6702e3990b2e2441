"""The waiter: acceptors decide, unknown states are waited on, patience is bounded, sleep is injected."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from costplan.errors import ApiStatusError, ApiTransportError, AuthenticationError, ResourceFailed, WaitTimeout
from costplan.waiter import FAILURE, RETRY, STOPPED, SUCCESS, TIMEOUT, Acceptor, Waiter, WaiterConfig


@dataclass
class FakeStatus:
    status: str
    error: str | None = None


class FakeClock:
    """Time that moves only when the waiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


ACCEPTORS = (
    Acceptor(FAILURE, lambda s: s.error is not None, reason=lambda s: f"error {s.error}"),
    Acceptor(SUCCESS, lambda s: s.status == "DONE"),
)


def sequence(*items: object) -> Callable[[], FakeStatus]:
    """A describe function answering `items` in turn (exceptions are raised), then the last forever."""
    it: Iterator[object] = iter(items)
    last: list[object] = [None]

    def describe() -> FakeStatus:
        item = next(it, last[0])
        last[0] = item
        if isinstance(item, BaseException):
            raise item
        assert isinstance(item, FakeStatus)
        return item

    return describe


def waiter(clock: FakeClock, **config: object) -> Waiter[FakeStatus]:
    cfg = WaiterConfig(**{"delay": 1.0, "max_delay": 4.0, "multiplier": 2.0, "jitter": 0.0, **config})  # type: ignore[arg-type]
    return Waiter("pool ready", ACCEPTORS, cfg, sleep=clock.sleep, clock=clock, rng=random.Random(0))


def test_unknown_states_are_waited_on_with_exponential_backoff() -> None:
    clock = FakeClock()
    describe = sequence(
        FakeStatus("PENDING"),
        FakeStatus("SOMETHING_NEW"),
        FakeStatus("WARMING"),
        FakeStatus("PROVISIONING"),
        FakeStatus("DONE"),
    )
    assert waiter(clock).wait("p-1", describe).status == "DONE"
    assert clock.sleeps == [1.0, 2.0, 4.0, 4.0]  # capped at max_delay


def test_a_failure_acceptor_stops_with_the_resource_and_last_state() -> None:
    clock = FakeClock()
    with pytest.raises(ResourceFailed, match="p-1 failed after 2 status checks: error QUOTA") as info:
        waiter(clock).wait("p-1", sequence(FakeStatus("PENDING"), FakeStatus("ERROR", error="QUOTA")))
    assert info.value.resource_id == "p-1"
    assert info.value.last_status == FakeStatus("ERROR", error="QUOTA")


def test_timeout_is_measured_on_the_injected_clock_and_ends_at_the_deadline() -> None:
    clock = FakeClock()
    with pytest.raises(WaitTimeout) as info:
        waiter(clock, timeout=10.0).wait("p-1", sequence(FakeStatus("PENDING")))
    assert info.value.attempts == 5  # t = 0, 1, 3, 7, then at the deadline 10 (not 15)
    assert clock.now == 10.0
    assert info.value.last_status == FakeStatus("PENDING")
    assert "timeout (10 s) reached" in str(info.value)


def test_max_attempts_bounds_the_polls() -> None:
    clock = FakeClock()
    outcome = waiter(clock, timeout=None, max_attempts=3).wait_many({"p": sequence(FakeStatus("PENDING"))})["p"]
    assert (outcome.state, outcome.attempts) == (TIMEOUT, 3)


def test_transient_api_errors_are_retried_and_others_fail_or_raise() -> None:
    clock = FakeClock()
    flaky = sequence(
        ApiTransportError("reset"), ApiStatusError("busy", method="GET", path="/x", status_code=503), FakeStatus("DONE")
    )
    assert waiter(clock).wait("p", flaky).status == "DONE"
    gone = ApiStatusError("bad", method="GET", path="/x", status_code=400)
    outcome = waiter(clock).wait_many({"p": sequence(gone)})["p"]
    assert outcome.state == FAILURE and outcome.error is gone
    denied = AuthenticationError("no", method="GET", path="/x", status_code=403)
    with pytest.raises(AuthenticationError):
        waiter(clock).wait("p", sequence(denied))


def test_error_acceptors_can_turn_an_error_into_success() -> None:
    clock = FakeClock()
    not_found = ApiStatusError("gone", method="GET", path="/x", status_code=404)
    gone = Waiter(
        "deleted",
        [Acceptor(SUCCESS, lambda e: getattr(e, "status_code", 0) == 404, on_error=True)],
        WaiterConfig(delay=0, timeout=5),
        sleep=clock.sleep,
        clock=clock,
    )
    assert gone.classify(not_found) == (SUCCESS, "")
    assert gone.classify(FakeStatus("DONE")) == (RETRY, "")
    assert gone.wait_many({"p": sequence(FakeStatus("DELETING"), not_found)})["p"].state == SUCCESS


def test_many_resources_settle_independently_and_are_polled_concurrently() -> None:
    clock = FakeClock()
    polls: list[str] = []

    def tracked(name: str, describe: Callable[[], FakeStatus]) -> Callable[[], FakeStatus]:
        def call() -> FakeStatus:
            polls.append(name)
            return describe()

        return call

    outcomes = waiter(clock, timeout=30.0).wait_many(
        {
            "fast": tracked("fast", sequence(FakeStatus("DONE"))),
            "slow": tracked("slow", sequence(FakeStatus("PENDING"), FakeStatus("PENDING"), FakeStatus("DONE"))),
            "bad": tracked("bad", sequence(FakeStatus("PENDING"), FakeStatus("ERROR", error="X"))),
            "stuck": tracked("stuck", sequence(FakeStatus("PENDING"))),
        }
    )
    assert {k: o.state for k, o in outcomes.items()} == {
        "fast": SUCCESS,
        "slow": SUCCESS,
        "bad": FAILURE,
        "stuck": TIMEOUT,
    }
    assert polls.count("fast") == 1 and polls.count("slow") == 3
    assert sorted(polls[:4]) == ["bad", "fast", "slow", "stuck"]  # one round polls every resource


def test_should_stop_ends_the_wait_with_stopped_outcomes() -> None:
    clock = FakeClock()
    calls = []

    def describe() -> FakeStatus:
        calls.append(1)
        return FakeStatus("PENDING")

    outcomes = waiter(clock).wait_many({"a": describe, "b": describe}, should_stop=lambda: len(calls) >= 2)
    assert {o.state for o in outcomes.values()} == {STOPPED}


def test_config_refuses_a_waiter_that_could_never_stop() -> None:
    with pytest.raises(ValueError, match="never stop"):
        WaiterConfig(timeout=None, max_attempts=None)
