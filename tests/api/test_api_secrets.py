"""The API key never shows: not in messages, reprs, tracebacks (even with locals), chains or logs.

The key used is the documentation's public example key, as everywhere in the tests.
"""

from __future__ import annotations

import logging
import traceback

import httpx
import pytest

from costplan.api import Client
from costplan.config import Secret, Settings
from costplan.errors import ApiError, ApiResponseError, ApiTransportError, AuthenticationError


def echo_key_401(request: httpx.Request) -> httpx.Response:
    key = request.headers["x-api-key"]
    return httpx.Response(
        401,
        json={"message": f"key {key} is not valid", "key": key},
        headers={"x-request-id": f"req-{key}"},
    )


def echo_key_500(request: httpx.Request) -> httpx.Response:
    return httpx.Response(500, text=f"Traceback: header X-API-KEY={request.headers['x-api-key']}")


def echo_key_not_json(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text=f"<html>hello {request.headers['x-api-key']}</html>")


def echo_key_connect_error(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"proxy refused {request.headers['x-api-key']}", request=request)


def read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def everything_it_shows(exc: BaseException) -> str:
    """Message, repr, the whole chain formatted, tracebacks with locals, and every attribute."""
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    # Locals of costplan's own frames, as `pytest --showlocals` or an error tracker would show them
    # (the test's own frame holds the key on purpose, so it is left out).
    stack = traceback.TracebackException.from_exception(exc, capture_locals=True).stack
    parts.extend(repr(frame.locals) for frame in stack if "/costplan/" in frame.filename)
    assert any("/costplan/api.py" in frame.filename for frame in stack)
    seen: BaseException | None = exc
    while seen is not None:
        parts.extend(repr(v) for v in vars(seen).values())
        parts.append(repr(seen.args))
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [
        (echo_key_401, AuthenticationError),
        (echo_key_500, ApiError),
        (echo_key_not_json, ApiResponseError),
        (echo_key_connect_error, ApiTransportError),
        (read_timeout, ApiTransportError),
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_key_never_appears_in_an_error_or_a_log(make_client, example_key, caplog, handler, error_type, method):
    secret = example_key.split(":", 1)[1]
    client = make_client(handler, max_retries=1)

    with caplog.at_level(logging.DEBUG):
        with pytest.raises(error_type) as caught:
            if method == "GET":
                client.list_workspaces()
            else:
                client.create_instance_pool("p", {"name": "x"})

    shown = everything_it_shows(caught.value)
    assert secret not in shown and example_key not in shown
    assert secret not in caplog.text
    assert caught.value.__cause__ is None and caught.value.__context__ is None


def test_echoed_keys_are_replaced_not_dropped(make_client):
    with pytest.raises(AuthenticationError) as caught:
        make_client(echo_key_401).list_workspaces()

    exc = caught.value
    assert exc.server_message == "key ********** is not valid"
    assert exc.body["key"] == "**********"
    assert exc.request_id == "req-**********"


def test_client_reprs_show_the_server_not_the_key(example_key):
    settings = Settings(api_url="https://user:pw@api.layerops.test/v1", api_key=Secret(example_key))

    with Client.from_settings(settings, transport=httpx.MockTransport(echo_key_401)) as client:
        assert repr(client) == "<Client api.layerops.test/v1>"


def headers_seen(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"workspaces": [], "headers": dict(request.headers)})


def test_from_settings_sends_the_documented_headers(example_key):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"workspaces": []})

    settings = Settings(
        api_url="https://api.layerops.test/v1", api_key=Secret(example_key), timeout=12, connect_timeout=3
    )
    with Client.from_settings(settings, transport=httpx.MockTransport(handler)) as client:
        assert client.list_workspaces() == []

    (request,) = seen
    assert str(request.url) == "https://api.layerops.test/v1/workspaces?includeEnvironmentAndProviders=true"
    assert request.headers["x-api-key"] == example_key
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"].startswith("costplan/")
    assert request.extensions["timeout"] == {"connect": 3, "read": 12, "write": 12, "pool": 12}


def test_from_settings_without_a_key_sends_no_key_header():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    with Client.from_settings(Settings(api_url="http://127.0.0.1:1/v1"), transport=httpx.MockTransport(handler)) as c:
        c.list_workspaces()

    assert "x-api-key" not in seen[0].headers


def test_from_settings_takes_the_retry_policy_from_settings():
    settings = Settings(max_retries=1, backoff_base=0.25, backoff_max=2.0)
    calls: list[httpx.Request] = []
    slept: list[float] = []

    def down(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503)

    with Client.from_settings(settings, transport=httpx.MockTransport(down), sleep=slept.append) as client:
        with pytest.raises(ApiError, match="after 2 attempts"):
            client.list_workspaces()
    assert len(calls) == 2 and len(slept) == 1 and 0 <= slept[0] <= 0.25
