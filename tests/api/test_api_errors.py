"""Failures map onto costplan's error tree, with messages a person can act on.

No httpx exception escapes, and none is chained: the httpx request holds the key header.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from costplan.errors import (
    ApiResponseError,
    ApiStatusError,
    ApiTransportError,
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
)

Handler = Callable[[httpx.Request], httpx.Response]
PROVIDER = "d57b214f-ec43-41b9-8cf1-71329349093b"
POOL = "27d6c053-5eab-4838-bd14-040ed5d617d9"


def unauthorized(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"statusCode": 401, "message": "Unauthorized"})


def forbidden(request: httpx.Request) -> httpx.Response:
    return httpx.Response(403, json={"statusCode": 403, "message": "Forbidden resource", "error": "Forbidden"})


def not_found(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        404,
        json={"statusCode": 404, "message": "Instance pool not found"},
        headers={"x-request-id": "req-42"},
    )


def not_found_empty(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404)


def bad_request_nest(request: httpx.Request) -> httpx.Response:
    body = {
        "statusCode": 400,
        "message": ["countMin must be a number", "name should not be empty"],
        "error": "Bad Request",
    }
    return httpx.Response(400, json=body)


def bad_request_fastapi(request: httpx.Request) -> httpx.Response:
    body = {"detail": [{"loc": ["body", "countMax"], "msg": "field required", "type": "missing"}]}
    return httpx.Response(422, json=body)


def bad_request_error_key(request: httpx.Request) -> httpx.Response:
    return httpx.Response(409, json={"error": "a pool named vmAzure already exists"})


def html_gateway(request: httpx.Request) -> httpx.Response:
    page = "<html><head><title>502 Bad Gateway</title></head><body>" + "x" * 500 + "</body></html>"
    return httpx.Response(502, text=page, headers={"content-type": "text/html"})


def unavailable(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, json={"message": "upstream down"})


def teapot(request: httpx.Request) -> httpx.Response:
    return httpx.Response(418, text="")


def moved(request: httpx.Request) -> httpx.Response:
    return httpx.Response(301, headers={"location": "https://elsewhere.test/v1/workspaces"})


def not_json(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="<html>maintenance</html>", headers={"content-type": "text/html"})


def truncated_json(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text='[{"uuid": "cc6d622a", "name": "B2')


def missing_uuid(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"name": "vmAzure"})


def list_item_missing_uuid(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=[{"uuid": "a", "name": "B2s"}, {"name": "DS1 v2"}])


def object_instead_of_list(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"unexpected": True})


def array_instead_of_object(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=[{"uuid": POOL}])


def empty_success(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="")


def wrong_types(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"uuid": POOL, "status": "DONE", "count": "many"})


def test_401_says_what_to_check(make_client):
    with pytest.raises(AuthenticationError) as caught:
        make_client(unauthorized).list_workspaces()

    exc = caught.value
    assert str(exc) == (
        "the API key was refused (401) for GET /workspaces — check LAYEROPS_API_KEY or --api-key-file, "
        "that the key is active, and that its groups grant read access to this project; "
        "the server said: Unauthorized"
    )
    assert (exc.status_code, exc.method, exc.path, exc.server_message) == (
        401,
        "GET",
        "/workspaces",
        "Unauthorized",
    )
    assert exc.attempts == 1 and exc.outcome_unknown is False


def test_403_on_a_write_asks_for_write_access(make_client):
    with pytest.raises(
        AuthenticationError, match=r"refused \(403\) for POST /providers/.*grant write access"
    ) as caught:
        make_client(forbidden).create_instance_pool(PROVIDER, {"name": "p"})
    assert caught.value.server_message == "Forbidden resource"


def test_404_names_the_path_and_keeps_the_request_id(make_client):
    with pytest.raises(NotFoundError) as caught:
        make_client(not_found).get_instance_pool(POOL)

    exc = caught.value
    assert (
        str(exc) == f"GET /instancePools/{POOL} failed with 404 Not Found: Instance pool not found (request id req-42)"
    )
    assert exc.request_id == "req-42"
    assert exc.body == {"statusCode": 404, "message": "Instance pool not found"}
    assert repr(exc) == f"NotFoundError(GET /instancePools/{POOL} -> 404)"


def test_404_without_a_body_still_reads_as_a_sentence(make_client):
    with pytest.raises(NotFoundError, match=r"failed with 404 Not Found: no such resource, or this key cannot see it$"):
        make_client(not_found_empty).get_service("nope")


@pytest.mark.parametrize(
    ("handler", "status", "server_message"),
    [
        (bad_request_nest, 400, "countMin must be a number; name should not be empty"),
        (bad_request_fastapi, 422, "body.countMax: field required"),
        (bad_request_error_key, 409, "a pool named vmAzure already exists"),
    ],
)
def test_client_errors_carry_the_servers_message(make_client, handler, status, server_message):
    with pytest.raises(ApiStatusError) as caught:
        make_client(handler).create_instance_pool(PROVIDER, {"name": "vmAzure"})

    exc = caught.value
    assert type(exc) is ApiStatusError
    assert exc.status_code == status and exc.server_message == server_message
    assert str(exc).endswith(f": {server_message}")
    assert exc.attempts == 1 and exc.outcome_unknown is False  # 4xx: the server refused it, nothing happened


def test_text_bodies_are_cut_to_200_characters(make_client):
    with pytest.raises(ApiStatusError) as caught:
        make_client(html_gateway, max_retries=0).list_workspaces()

    assert caught.value.server_message.startswith("<html><head><title>502 Bad Gateway")
    assert len(caught.value.server_message) == 200


def test_the_message_counts_attempts_when_retries_ran_out(make_client):
    with pytest.raises(ApiStatusError) as caught:
        make_client(unavailable).list_instance_types("abc")

    assert str(caught.value) == (
        "GET /providers/abc/instancesTypes failed with 503 Service Unavailable after 5 attempts: upstream down"
    )
    assert caught.value.attempts == 5


@pytest.mark.parametrize(("handler", "status"), [(teapot, 418), (moved, 301)])
def test_other_statuses_are_status_errors_without_retry(make_client, sleeps, handler, status):
    with pytest.raises(ApiStatusError) as caught:
        make_client(handler).list_workspaces()
    assert caught.value.status_code == status and sleeps == []


@pytest.mark.parametrize(
    ("handler", "fragment"),
    [
        (not_json, "the body is not JSON: '<html>maintenance</html>'"),
        (truncated_json, "the body is not JSON"),
    ],
)
def test_a_success_that_is_not_json_is_a_response_error(make_client, handler, fragment):
    with pytest.raises(ApiResponseError) as caught:
        make_client(handler).list_instance_types(PROVIDER)

    exc = caught.value
    assert str(exc).startswith(f"GET /providers/{PROVIDER}/instancesTypes answered 200 OK but ")
    assert fragment in str(exc)
    assert (exc.method, exc.path) == ("GET", f"/providers/{PROVIDER}/instancesTypes")


@pytest.mark.parametrize(
    ("handler", "call", "fragment"),
    [
        (missing_uuid, lambda c: c.create_instance_pool(PROVIDER, {}), "the body lacks the key 'uuid'"),
        (list_item_missing_uuid, lambda c: c.list_instance_types(PROVIDER), "item 1 lacks the key 'uuid'"),
        (
            object_instead_of_list,
            lambda c: c.list_instance_pools("env"),
            "expected a JSON array or an object",
        ),
        (
            array_instead_of_object,
            lambda c: c.get_instance_pool(POOL),
            "the body should be a JSON object, got a JSON array",
        ),
        (empty_success, lambda c: c.get_instance_pool_status(POOL), "got an empty body"),
        (wrong_types, lambda c: c.get_instance_pool_status(POOL), "invalid literal for int()"),
        (array_instead_of_object, lambda c: c.update_service("s", {}), "should be a JSON object"),
    ],
)
def test_a_success_of_the_wrong_shape_is_a_response_error_naming_the_path(make_client, handler, call, fragment):
    with pytest.raises(ApiResponseError) as caught:
        call(make_client(handler))

    exc = caught.value
    assert exc.path in str(exc) and fragment in str(exc)
    assert exc.__context__ is None and exc.__cause__ is None


def raise_(exc_type: type[Exception]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("boom", request=request)  # type: ignore[call-arg]

    return handler


@pytest.mark.parametrize(
    ("exc_type", "timeout"),
    [
        (httpx.ConnectError, False),
        (httpx.ConnectTimeout, True),
        (httpx.ReadTimeout, True),
        (httpx.WriteTimeout, True),
        (httpx.PoolTimeout, True),
        (httpx.ReadError, False),
        (httpx.WriteError, False),
        (httpx.RemoteProtocolError, False),
        (httpx.LocalProtocolError, False),
        (httpx.ProxyError, False),
        (httpx.UnsupportedProtocol, False),
        (httpx.DecodingError, False),
        (httpx.TooManyRedirects, False),
    ],
)
def test_no_httpx_exception_escapes_and_none_is_chained(make_client, exc_type, timeout):
    with pytest.raises(ApiTransportError) as caught:
        make_client(raise_(exc_type), max_retries=1).list_workspaces()

    exc = caught.value
    assert type(exc) is ApiTransportError and exc.timeout is timeout
    assert not isinstance(exc, httpx.HTTPError)
    assert exc.__cause__ is None and exc.__context__ is None
    assert str(exc).startswith("GET /workspaces failed")


def test_an_unparseable_api_url_is_a_config_error():
    from costplan.api import Client
    from costplan.config import Settings
    from costplan.errors import ConfigError

    with pytest.raises(ConfigError, match=r"api_url 'http://\[::1' is not a valid URL"):
        Client.from_settings(Settings(api_url="http://[::1"))


def test_transport_messages_read_as_sentences(make_client):
    with pytest.raises(ApiTransportError) as caught:
        make_client(raise_(httpx.ConnectError), max_retries=2).list_workspaces()
    assert str(caught.value) == "GET /workspaces failed after 3 attempts: could not connect to api.layerops.test: boom"

    with pytest.raises(ApiTransportError) as caught:
        make_client(raise_(httpx.ReadTimeout), max_retries=0).list_workspaces()
    assert str(caught.value) == "GET /workspaces failed: api.layerops.test did not answer in time (read timeout)"


def test_rate_limited_after_all_retries(make_client):
    def always_429(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, json={"message": "slow down"}, headers={"retry-after": "2"})

    with pytest.raises(RateLimitedError) as caught:
        make_client(always_429, max_retries=2).list_workspaces()

    assert str(caught.value) == (
        "GET /workspaces failed with 429 Too Many Requests after 3 attempts: slow down (the server asked to wait 2 s)"
    )
    assert caught.value.attempts == 3
