"""Retries as the client applies them: which failures are repeated, how long it waits, and when
a POST stops with "outcome unknown" instead of risking a duplicate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from costplan.errors import ApiStatusError, ApiTransportError, RateLimitedError

PROVIDER = "d57b214f-ec43-41b9-8cf1-71329349093b"
POOL_BODY = {"name": "vmAzure", "instanceTypeUuid": "cc6d622a-5144-11ed-84a1-1b508e278eb5", "countMin": 1}
CREATED = {"uuid": "27d6c053-5eab-4838-bd14-040ed5d617d9", "name": "vmAzure"}


class Script:
    """A handler that plays a list of answers (a Response, or an exception type to raise) in order."""

    def __init__(self, *steps: httpx.Response | type[Exception]) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0)
        if isinstance(step, httpx.Response):
            return step
        raise step("scripted failure", request=request)  # type: ignore[call-arg]


def ok(payload: Any = None) -> httpx.Response:
    return httpx.Response(200, json=[] if payload is None else payload)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500),
        httpx.Response(502),
        httpx.Response(503),
        httpx.Response(504),
        httpx.Response(429),
        httpx.ReadTimeout,
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.RemoteProtocolError,
        httpx.ReadError,
    ],
    ids=lambda f: str(f.status_code) if isinstance(f, httpx.Response) else f.__name__,
)
def test_get_is_retried_after_transient_failures(make_client, sleeps, failure):
    script = Script(failure, failure, ok())

    assert make_client(script).list_instance_types(PROVIDER) == []

    assert len(script.requests) == 3
    assert len(sleeps) == 2 and all(0 <= s <= 1.0 for s in sleeps)  # jittered backoff: <= 0.5, then <= 1.0


def test_backoff_grows_but_stays_under_backoff_max(make_client, sleeps):
    script = Script(*[httpx.Response(503)] * 9)

    with pytest.raises(ApiStatusError):
        make_client(script, max_retries=8).list_workspaces()

    caps = [min(30.0, 0.5 * 2**n) for n in range(8)]
    assert len(sleeps) == 8 and all(0 <= s <= cap for s, cap in zip(sleeps, caps, strict=True))


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("PUT", lambda c: c.update_instance_pool("p", {"countMax": 2})),
        ("DELETE", lambda c: c.delete_service("s")),
    ],
)
def test_put_and_delete_are_retried_after_gateway_errors_and_timeouts(make_client, method, call):
    script = Script(httpx.Response(502), httpx.ReadTimeout, httpx.Response(504), httpx.Response(204))

    assert call(make_client(script)) is None

    assert [r.method for r in script.requests] == [method] * 4


def test_put_is_not_retried_after_500(make_client, sleeps):
    script = Script(httpx.Response(500, json={"message": "boom"}))

    with pytest.raises(ApiStatusError) as caught:
        make_client(script).update_service("s", {"countMin": 2})

    assert caught.value.attempts == 1 and sleeps == []
    assert caught.value.outcome_unknown is False  # PUT is idempotent: sending it again is always safe


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_client_errors_are_never_retried(make_client, sleeps, status):
    script = Script(httpx.Response(status))

    with pytest.raises(ApiStatusError):
        make_client(script).list_workspaces()

    assert len(script.requests) == 1 and sleeps == []


def test_retry_after_seconds_is_honoured_exactly(make_client, sleeps):
    script = Script(httpx.Response(429, headers={"Retry-After": "7"}), ok())

    make_client(script).list_workspaces()

    assert sleeps == [7.0]


def test_retry_after_is_honoured_above_backoff_max_up_to_the_ceiling(make_client, sleeps):
    script = Script(
        httpx.Response(503, headers={"Retry-After": "45"}),
        httpx.Response(429, headers={"Retry-After": "86400"}),
        ok(),
    )

    make_client(script).list_workspaces()

    assert sleeps == [45.0, 120.0]  # backoff_max is 30 s; the ceiling for Retry-After is 120 s


def test_retry_after_as_an_http_date(make_client, sleeps):
    when = datetime.now(UTC) + timedelta(seconds=20)
    script = Script(httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)}), ok())

    make_client(script).list_workspaces()

    (slept,) = sleeps
    assert 17 <= slept <= 20


def test_an_unreadable_retry_after_falls_back_to_backoff(make_client, sleeps):
    script = Script(httpx.Response(429, headers={"Retry-After": "soon"}), ok())

    make_client(script).list_workspaces()

    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.5


def test_retries_exhausted_raise_with_the_attempt_count(make_client, sleeps):
    script = Script(*[httpx.Response(429, headers={"Retry-After": "1"})] * 4)

    with pytest.raises(RateLimitedError) as caught:
        make_client(script, max_retries=3).list_workspaces()

    assert caught.value.attempts == 4 and "after 4 attempts" in str(caught.value)
    assert sleeps == [1.0, 1.0, 1.0]


def test_max_retries_zero_means_one_attempt(make_client, sleeps):
    script = Script(httpx.ReadTimeout)

    with pytest.raises(ApiTransportError) as caught:
        make_client(script, max_retries=0).list_workspaces()

    assert caught.value.attempts == 1 and caught.value.timeout and sleeps == []


# --- POST: retried only when the request surely was not processed ---------------------------------


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.Response(429), httpx.Response(503)],
    ids=lambda f: str(f.status_code) if isinstance(f, httpx.Response) else f.__name__,
)
def test_post_is_retried_when_the_request_surely_was_not_processed(make_client, failure):
    script = Script(failure, httpx.Response(201, json=CREATED))

    ref = make_client(script).create_instance_pool(PROVIDER, POOL_BODY)

    assert ref.uuid == CREATED["uuid"]
    assert [r.method for r in script.requests] == ["POST", "POST"]


@pytest.mark.parametrize(
    ("failure", "error_type"),
    [
        (httpx.ReadTimeout, ApiTransportError),
        (httpx.WriteTimeout, ApiTransportError),
        (httpx.RemoteProtocolError, ApiTransportError),
        (httpx.ReadError, ApiTransportError),
        (httpx.Response(502), ApiStatusError),
        (httpx.Response(504), ApiStatusError),
        (httpx.Response(500), ApiStatusError),
    ],
    ids=lambda f: str(f.status_code) if isinstance(f, httpx.Response) else getattr(f, "__name__", ""),
)
def test_post_is_not_retried_when_the_outcome_is_unknown(make_client, sleeps, failure, error_type):
    script = Script(failure, httpx.Response(201, json=CREATED))

    with pytest.raises(error_type) as caught:
        make_client(script).create_docker_service("env", {"name": "web"})

    exc = caught.value
    assert len(script.requests) == 1 and sleeps == []
    assert exc.outcome_unknown is True and exc.attempts == 1
    assert "the outcome is unknown" in str(exc) and "before sending it again" in str(exc)


def test_post_retried_until_exhausted_on_429_is_not_outcome_unknown(make_client):
    script = Script(*[httpx.Response(429)] * 3)

    with pytest.raises(RateLimitedError) as caught:
        make_client(script, max_retries=2).create_instance_pool(PROVIDER, POOL_BODY)

    assert caught.value.attempts == 3 and caught.value.outcome_unknown is False


def test_post_connect_errors_exhausted_are_not_outcome_unknown(make_client):
    script = Script(*[httpx.ConnectError] * 3)

    with pytest.raises(ApiTransportError) as caught:
        make_client(script, max_retries=2).create_instance_pool(PROVIDER, POOL_BODY)

    assert caught.value.attempts == 3 and caught.value.outcome_unknown is False


def test_a_retried_post_sends_the_same_body(make_client):
    script = Script(httpx.ConnectError, httpx.Response(201, json=CREATED))

    make_client(script).create_instance_pool(PROVIDER, POOL_BODY)

    first, second = script.requests
    assert first.content == second.content and first.url == second.url


def test_retries_are_logged_without_headers(make_client, caplog, example_key):
    script = Script(httpx.Response(503), ok())

    with caplog.at_level("DEBUG", logger="costplan.api"):
        make_client(script).list_workspaces()

    (record,) = [r for r in caplog.records if r.name == "costplan.api"]
    assert record.getMessage().startswith("GET /workspaces: 503 Service Unavailable; retrying in ")
    assert record.getMessage().endswith("(attempt 2 of 5)")
    assert example_key.split(":")[1] not in caplog.text
