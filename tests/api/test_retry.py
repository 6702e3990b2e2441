"""`costplan.retry`: the policy as data, away from any HTTP."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costplan.config import Settings
from costplan.retry import Delivery, RetryPolicy, delivery_of, parse_retry_after

NOW = datetime(2025, 1, 2, 12, 0, 0, tzinfo=UTC)


@given(
    attempts=st.integers(min_value=1, max_value=10_000),
    base=st.floats(min_value=0, max_value=10),
    cap=st.floats(min_value=0, max_value=300),
    seed=st.integers(),
)
def test_backoff_is_full_jitter_under_the_exponential_cap(attempts, base, cap, seed):
    policy = RetryPolicy(backoff_base=base, backoff_max=cap, rng=random.Random(seed))

    delay = policy.backoff(attempts)

    assert 0 <= delay <= min(cap, base * 2 ** min(attempts - 1, 62))


def test_a_seeded_policy_is_reproducible():
    delays = [RetryPolicy(rng=random.Random(3)).backoff(n) for n in range(1, 6)]
    again = [RetryPolicy(rng=random.Random(3)).backoff(n) for n in range(1, 6)]
    assert delays == again


def test_from_settings_copies_the_three_numbers():
    settings = Settings(max_retries=2, backoff_base=0.1, backoff_max=5.0)

    policy = RetryPolicy.from_settings(settings)

    assert (policy.max_retries, policy.backoff_base, policy.backoff_max) == (2, 0.1, 5.0)
    assert policy.max_attempts == 3
    assert policy == RetryPolicy(max_retries=2, backoff_base=0.1, backoff_max=5.0)  # the rng is not compared


@pytest.mark.parametrize("kwargs", [{"max_retries": -1}, {"backoff_base": -0.1}, {"retry_after_max": -1}])
def test_nonsense_numbers_are_refused(kwargs):
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


# method, status -> retried?, outcome unknown once it stops?
STATUS_RULES = [
    ("GET", 500, True, False),
    ("HEAD", 500, True, False),
    ("PUT", 500, False, False),
    ("DELETE", 500, False, False),
    ("POST", 500, False, True),
    ("GET", 502, True, False),
    ("PUT", 504, True, False),
    ("POST", 502, False, True),
    ("POST", 504, False, True),
    ("POST", 503, True, False),
    ("POST", 429, True, False),
    ("DELETE", 429, True, False),
    ("POST", 501, False, False),
    ("GET", 400, False, False),
    ("POST", 409, False, False),
    ("GET", 404, False, False),
]


@pytest.mark.parametrize(("method", "status", "retried", "unknown"), STATUS_RULES)
def test_status_rules(method, status, retried, unknown):
    policy = RetryPolicy(max_retries=1)

    decision = policy.after_status(method, status, retry_after=None, attempts=1)

    assert decision.retry is retried
    if not retried:
        assert decision.outcome_unknown is unknown


@pytest.mark.parametrize(("method", "status", "retried", "unknown"), STATUS_RULES)
def test_nothing_is_retried_once_attempts_run_out(method, status, retried, unknown):
    decision = RetryPolicy(max_retries=1).after_status(method, status, retry_after=None, attempts=2)
    assert not decision.retry and decision.outcome_unknown is unknown


@pytest.mark.parametrize(
    ("exc_type", "delivery"),
    [
        (httpx.ConnectError, Delivery.NOT_SENT),
        (httpx.ConnectTimeout, Delivery.NOT_SENT),
        (httpx.PoolTimeout, Delivery.NOT_SENT),
        (httpx.ReadTimeout, Delivery.UNKNOWN),
        (httpx.WriteTimeout, Delivery.UNKNOWN),
        (httpx.ReadError, Delivery.UNKNOWN),
        (httpx.WriteError, Delivery.UNKNOWN),
        (httpx.CloseError, Delivery.UNKNOWN),
        (httpx.RemoteProtocolError, Delivery.UNKNOWN),
        (httpx.LocalProtocolError, Delivery.LOCAL),
        (httpx.UnsupportedProtocol, Delivery.LOCAL),
        (httpx.ProxyError, Delivery.LOCAL),
    ],
)
def test_transport_errors_are_classified_by_whether_the_server_can_have_seen_them(exc_type, delivery):
    policy = RetryPolicy(max_retries=1)

    assert delivery_of(exc_type) is delivery
    get, post = (
        policy.after_error("GET", exc_type, attempts=1),
        policy.after_error("POST", exc_type, attempts=1),
    )
    assert get.retry is (delivery is not Delivery.LOCAL)
    assert post.retry is (delivery is Delivery.NOT_SENT)
    assert post.outcome_unknown is (delivery is Delivery.UNKNOWN)


def test_retry_after_wins_over_backoff_and_is_capped():
    policy = RetryPolicy(backoff_max=1.0, retry_after_max=60.0)

    assert policy.after_status("GET", 429, retry_after=12.5, attempts=1).delay == 12.5
    assert policy.after_status("GET", 503, retry_after=600.0, attempts=1).delay == 60.0
    assert policy.after_status("GET", 503, retry_after=0.0, attempts=1).delay == 0.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("Thu, 02 Jan 2025 12:00:30 GMT", 30.0),
        ("Thu, 02 Jan 2025 11:59:00 GMT", 0.0),  # in the past: go now
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after(value, seconds):
    assert parse_retry_after(value, now=NOW) == seconds
