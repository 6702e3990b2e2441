"""The LayerOps API client: every endpoint costplan uses, with retries and typed errors.

```
with Client.from_settings(settings) as client:
    for workspace in client.list_workspaces():
        print(workspace.name, [e.name for e in workspace.environments])
```

One client, `Client`, synchronous and thread-safe: fan-out (catalogue collection, the
provisioner's reads and waits) runs it on a few threads. Each endpoint's method, path, query
string and result parsing is written once in `_Calls`; what to do after a failed attempt
(retry, or which error to raise) once in `_Attempts`; how one request is bounded (an overall
deadline, a cap on the decompressed body) once in `Client._exchange`. Retry rules are in
`costplan.retry`.

Every failure is a `costplan.errors.ApiError`; no httpx exception escapes, and none is chained
(httpx errors hold the request, and the request holds the `X-API-KEY` header). Each ApiError raised
here also carries `attempts` (how many requests were sent) and `outcome_unknown`: True when a POST
may have been applied although it failed (read timeout, dropped connection, 500/502/504), so the
caller should list what exists before creating it again.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from costplan.config import DEFAULT_MAX_RESPONSE_MB, DEFAULT_REQUEST_DEADLINE_S, public_url
from costplan.errors import (
    ApiError,
    ApiResponseError,
    ApiStatusError,
    ApiTransportError,
    AuthenticationError,
    ConfigError,
    NotFoundError,
    RateLimitedError,
)
from costplan.models import (
    Environment,
    InstancePool,
    InstanceType,
    PoolStatus,
    Ref,
    ServiceInfo,
    ServiceStatus,
    Workspace,
)
from costplan.retry import SAFE_METHODS, RetryPolicy, parse_retry_after

DEFAULT_MAX_RESPONSE_BYTES = int(DEFAULT_MAX_RESPONSE_MB * 1024 * 1024)

if TYPE_CHECKING:
    from costplan.config import Settings

__all__ = ["EVENT_KINDS", "Client", "RetryPolicy"]

T = TypeVar("T")
E = TypeVar("E", bound=ApiError)

logger = logging.getLogger(__name__)

EVENT_KINDS = ("environments", "services", "instancePools")
REQUEST_ID_HEADERS = ("x-request-id", "x-correlation-id")
TEXT_SNIPPET_CHARS = 200
REDACTED = "**********"
_OUTCOME_UNKNOWN_NOTE = (
    "; the outcome is unknown: the server may have applied it, so check what exists "
    "(for example by listing) before sending it again"
)


# ---------------------------------------------------------------------------------------------
# Endpoints: one place for paths, query strings and result shapes.


class _ShapeError(Exception):
    """A body that is valid JSON but not the documented shape; becomes an ApiResponseError."""


@dataclass(frozen=True)
class _Call(Generic[T]):
    """One API call as data: what to send, and how to turn the decoded JSON body into a result."""

    method: str
    path: str
    parse: Callable[[Any], T]
    params: Mapping[str, str] | None = None
    body: Mapping[str, Any] | None = None

    @property
    def where(self) -> str:
        return f"{self.method} {self.path}"

    def request_args(self) -> dict[str, Any]:
        body = None if self.body is None else dict(self.body)
        return {"method": self.method, "url": self.path, "params": self.params, "json": body}


def _segment(value: str) -> str:
    """One path segment, quoted so an id can never change the path (`a/b`, `?x`, `#x`)."""
    text = str(value)
    # URL normalisation would drop "." and fold ".." into the parent: the call would hit another path.
    if text in ("", ".", ".."):
        raise ValueError(f"a resource id must not be empty, '.' or '..', got {text!r}")
    return quote(text, safe="")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _describe(data: Any) -> str:
    if data is None:
        return "an empty body"
    if isinstance(data, list):
        return "a JSON array"
    if isinstance(data, Mapping):
        return "a JSON object"
    return f"a JSON {type(data).__name__} ({str(data)[:40]!r})"


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise _ShapeError(f"{what} should be a JSON object, got {_describe(data)}")
    return data


def _unwrap_list(data: Any, keys: tuple[str, ...]) -> list[Any]:
    """The array of a list answer: a bare array, or one under a known key (no paging is documented)."""
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping):
        for key in (*keys, "items", "data"):
            if isinstance(data.get(key), list):
                return list(data[key])
    wanted = ", ".join(repr(k) for k in (*keys, "items", "data"))
    raise _ShapeError(f"expected a JSON array or an object with a {wanted} array, got {_describe(data)}")


def _one(from_json: Callable[[Mapping[str, Any]], T]) -> Callable[[Any], T]:
    return lambda data: from_json(_mapping(data, "the body"))


def _created(data: Any) -> Ref:
    """A create's answer: an object whose `uuid` is a non-empty string, or nothing is known."""
    body = _mapping(data, "the body")
    uuid = body["uuid"]
    if not isinstance(uuid, str) or not uuid.strip():
        raise _ShapeError(f"the body has no uuid (got {_describe(uuid)})")
    return Ref.from_json(body)


def _one_or_none(from_json: Callable[[Mapping[str, Any]], T]) -> Callable[[Any], T | None]:
    """For PUT answers, whose body is undocumented: empty means "no echo", an object must parse."""
    return lambda data: None if data is None else from_json(_mapping(data, "the body"))


def _many(from_json: Callable[[Mapping[str, Any]], T], *keys: str) -> Callable[[Any], list[T]]:
    def parse(data: Any) -> list[T]:
        results = []
        for index, item in enumerate(_unwrap_list(data, keys)):
            try:
                results.append(from_json(_mapping(item, f"item {index}")))
            except KeyError as exc:
                raise _ShapeError(f"item {index} lacks the key {exc}") from None
        return results

    return parse


def _ignore(data: Any) -> None:
    """Deletes answer 200 with some body or 204 with none; neither is documented, neither matters."""


class _Calls:
    """Every endpoint, once. Paths are relative to the base URL, which ends in `/v1`."""

    @staticmethod
    def list_workspaces(include_environments_and_providers: bool) -> _Call[list[Workspace]]:
        params = {"includeEnvironmentAndProviders": _flag(include_environments_and_providers)}
        return _Call("GET", "/workspaces", _many(Workspace.from_json, "workspaces"), params=params)

    @staticmethod
    def create_workspace(body: Mapping[str, Any]) -> _Call[Ref]:
        return _Call("POST", "/workspaces", _created, body=body)

    @staticmethod
    def delete_workspace(uuid: str) -> _Call[None]:
        return _Call("DELETE", f"/workspaces/{_segment(uuid)}", _ignore)

    @staticmethod
    def create_environment(workspace_uuid: str, body: Mapping[str, Any]) -> _Call[Ref]:
        path = f"/workspaces/{_segment(workspace_uuid)}/environments"
        return _Call("POST", path, _created, body=body)

    @staticmethod
    def list_environments(workspace_uuid: str) -> _Call[list[Environment]]:
        path = f"/workspaces/{_segment(workspace_uuid)}/environments"
        return _Call("GET", path, _many(Environment.from_json, "environments"))

    @staticmethod
    def get_environment(uuid: str) -> _Call[Environment]:
        return _Call("GET", f"/environments/{_segment(uuid)}", _one(Environment.from_json))

    @staticmethod
    def delete_environment(uuid: str) -> _Call[None]:
        return _Call("DELETE", f"/environments/{_segment(uuid)}", _ignore)

    @staticmethod
    def list_instance_types(provider_uuid: str) -> _Call[list[InstanceType]]:
        path = f"/providers/{_segment(provider_uuid)}/instancesTypes"  # sic: the API's spelling
        return _Call("GET", path, _many(InstanceType.from_json, "instancesTypes", "instanceTypes"))

    @staticmethod
    def list_instance_pools(environment_uuid: str) -> _Call[list[InstancePool]]:
        path = f"/environments/{_segment(environment_uuid)}/instancePools"
        return _Call("GET", path, _many(InstancePool.from_json, "instancePools"))

    @staticmethod
    def create_instance_pool(provider_uuid: str, body: Mapping[str, Any]) -> _Call[Ref]:
        path = f"/providers/{_segment(provider_uuid)}/instancePools"
        return _Call("POST", path, _created, body=body)

    @staticmethod
    def get_instance_pool(uuid: str) -> _Call[InstancePool]:
        return _Call("GET", f"/instancePools/{_segment(uuid)}", _one(InstancePool.from_json))

    @staticmethod
    def update_instance_pool(uuid: str, body: Mapping[str, Any]) -> _Call[InstancePool | None]:
        path = f"/instancePools/{_segment(uuid)}"
        return _Call("PUT", path, _one_or_none(InstancePool.from_json), body=body)

    @staticmethod
    def delete_instance_pool(uuid: str) -> _Call[None]:
        return _Call("DELETE", f"/instancePools/{_segment(uuid)}", _ignore)

    @staticmethod
    def get_instance_pool_status(
        uuid: str, *, include_instances_distribution: bool, include_metrics: bool, include_alerts: bool
    ) -> _Call[PoolStatus]:
        params = {
            "includeInstancesDistribution": _flag(include_instances_distribution),
            "includeMetrics": _flag(include_metrics),
            "includeAlerts": _flag(include_alerts),
        }
        path = f"/instancePools/{_segment(uuid)}/status"
        return _Call("GET", path, _one(PoolStatus.from_json), params=params)

    @staticmethod
    def list_services(environment_uuid: str) -> _Call[list[ServiceInfo]]:
        path = f"/environments/{_segment(environment_uuid)}/services"
        return _Call("GET", path, _many(ServiceInfo.from_json, "services"))

    @staticmethod
    def create_service(environment_uuid: str, body: Mapping[str, Any]) -> _Call[Ref]:
        path = f"/environments/{_segment(environment_uuid)}/services"
        return _Call("POST", path, _created, body=body)

    @staticmethod
    def create_docker_service(environment_uuid: str, body: Mapping[str, Any]) -> _Call[Ref]:
        path = f"/environments/{_segment(environment_uuid)}/services/docker"
        return _Call("POST", path, _created, body=body)

    @staticmethod
    def get_service(uuid: str) -> _Call[ServiceInfo]:
        return _Call("GET", f"/services/{_segment(uuid)}", _one(ServiceInfo.from_json))

    @staticmethod
    def update_service(uuid: str, body: Mapping[str, Any]) -> _Call[ServiceInfo | None]:
        return _Call("PUT", f"/services/{_segment(uuid)}", _one_or_none(ServiceInfo.from_json), body=body)

    @staticmethod
    def delete_service(uuid: str) -> _Call[None]:
        return _Call("DELETE", f"/services/{_segment(uuid)}", _ignore)

    @staticmethod
    def get_service_status(
        uuid: str,
        *,
        include_instances_distribution: bool,
        include_alerts: bool,
        include_stats: bool,
        only_stats: bool,
    ) -> _Call[ServiceStatus]:
        params = {
            "includeInstancesDistribution": _flag(include_instances_distribution),
            "includeAlerts": _flag(include_alerts),
            "includeStats": _flag(include_stats),
            "onlyStats": _flag(only_stats),
        }
        return _Call("GET", f"/services/{_segment(uuid)}/status", _one(ServiceStatus.from_json), params=params)

    @staticmethod
    def list_events(kind: str, uuid: str) -> _Call[list[dict[str, Any]]]:
        if kind not in EVENT_KINDS:
            raise ValueError(f"event kind must be one of {', '.join(EVENT_KINDS)}, not {kind!r}")
        return _Call("GET", f"/{kind}/{_segment(uuid)}/events", _many(dict, "events"))


# ---------------------------------------------------------------------------------------------
# Attempts: one place for retry decisions and for mapping failures onto the error tree.


def _secrets_of(headers: httpx.Headers) -> tuple[str, ...]:
    """The strings to scrub from anything an error carries: the key and its secret half."""
    key = headers.get("x-api-key") or ""
    secret = key.partition(":")[2]
    return tuple(s for s in (key, secret) if len(s) >= 4)


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    # A server may echo the key it refused; it must not reach a message, a log or a report.
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def _status_text(response: httpx.Response) -> str:
    reason = response.reason_phrase or httpx.codes.get_reason_phrase(response.status_code)
    return f"{response.status_code} {reason}".rstrip()


def _after(attempts: int) -> str:
    return f" after {attempts} attempts" if attempts > 1 else ""


def _server_message(body: Any, text: str) -> str:
    """The server's own explanation: JSON `message` (string or list), `error`, `detail`, or the text."""
    if isinstance(body, Mapping):
        for key in ("message", "error", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
            if isinstance(value, list) and value:
                return "; ".join(_problem(v) for v in value)
    return " ".join(text.split())[:TEXT_SNIPPET_CHARS]


def _problem(item: Any) -> str:
    """One validation problem: a string (NestJS) or `{loc/field, msg/message}` (FastAPI and others)."""
    if isinstance(item, Mapping):
        where = item.get("loc") or item.get("field") or item.get("property")
        text = item.get("msg") or item.get("message") or json.dumps(item, default=str)
        if isinstance(where, list):
            where = ".".join(str(part) for part in where)
        return f"{where}: {text}" if where else str(text)
    return str(item)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _ShapeError(f"the number {text[:40]} is out of range")
    return value


MAX_INT = 2**63 - 1  # what a pandas column or a count can hold


def _bounded_int(text: str) -> int:
    value = int(text)
    if abs(value) > MAX_INT:
        raise _ShapeError(f"the number {text[:40]} is out of range")
    return value


def _reject_constant(name: str) -> Any:
    raise _ShapeError(f"{name} is not a JSON number")


def _loads(text: str) -> Any:
    """`json.loads`, refusing numbers out of range (`1e400`, `1` and 30 zeros), NaN/Infinity and nesting too
    deep for the parser: _ShapeError; ValueError if it is not JSON at all."""
    try:
        return json.loads(text, parse_float=_finite, parse_int=_bounded_int, parse_constant=_reject_constant)
    except RecursionError:
        raise _ShapeError("it is nested too deeply to be a LayerOps answer") from None


def _decode(text: str) -> Any:
    """JSON if the text is JSON, else the text (error bodies), None if empty."""
    if not text.strip():
        return None
    try:
        return _loads(text)
    except (ValueError, _ShapeError):
        return text


def _annotated(exc: E, *, attempts: int, outcome_unknown: bool = False) -> E:
    # errors.py does not declare these two yet; set on the instance so callers can rely on them
    # now (`exc.outcome_unknown`) and nothing changes for them once the classes declare them.
    exc.__dict__.update(attempts=attempts, outcome_unknown=outcome_unknown)
    return exc


def _server_label(url: httpx.URL) -> str:
    """Host and port only: a URL's user-info is a credential too."""
    return f"{url.host}:{url.port}" if url.port else url.host


@dataclass(frozen=True)
class _Failure:
    """A transport error reduced to its type and redacted text.

    The httpx error itself is not kept: it holds the request, and the request holds the key
    header, which would then sit in every traceback's locals (`pytest --showlocals`, error trackers).
    """

    error: type[Exception]
    detail: str

    def problem(self, server: str) -> str:
        """What went wrong, as the end of a sentence."""
        error, detail = self.error, self.detail or self.error.__name__
        if issubclass(error, DeadlineExceeded):
            return f"{server} sent {detail} (the request deadline, request_deadline / COSTPLAN_REQUEST_DEADLINE)"
        if issubclass(error, httpx.ConnectTimeout):
            return f"could not connect to {server} in time (connect timeout)"
        if issubclass(error, httpx.ReadTimeout):
            return f"{server} did not answer in time (read timeout)"
        if issubclass(error, httpx.WriteTimeout):
            return f"timed out sending the request to {server} (write timeout)"
        if issubclass(error, httpx.PoolTimeout):
            return "timed out waiting for a free connection (pool timeout)"
        if issubclass(error, httpx.ConnectError):
            return f"could not connect to {server}: {detail}"
        if issubclass(error, httpx.NetworkError | httpx.RemoteProtocolError):
            return f"the connection to {server} broke before a full answer: {detail}"
        return f"{error.__name__}: {detail}"


class DeadlineExceeded(httpx.ReadTimeout):
    """A request that did not complete within the overall deadline (a trickling answer).

    A ReadTimeout to the retry rules: retried when idempotent, outcome unknown for a POST.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)


_BODY_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


class _Attempts(Generic[T]):
    """One call's attempts: reads a success, or decides after a failure to wait or to raise."""

    def __init__(self, call: _Call[T], policy: RetryPolicy, http: httpx.Client) -> None:
        self.call = call
        self.policy = policy
        self.count = 0
        self._server = _server_label(http.base_url)
        self._secrets = _secrets_of(http.headers)

    def next_request(self) -> dict[str, Any]:
        self.count += 1
        return self.call.request_args()

    def failure(self, exc: Exception) -> _Failure:
        return _Failure(type(exc), _redact(str(exc), self._secrets))

    def too_large(self, limit: int) -> ApiResponseError:
        """The answer grew past the cap: not retried (it would be as large again)."""
        call = self.call
        unknown = call.method not in SAFE_METHODS and call.method != "DELETE"
        message = (
            f"{call.where} answered with a body larger than {limit / 1024 / 1024:g} MB (after decompression); "
            "raise max_response_mb (COSTPLAN_MAX_RESPONSE_MB) if that is expected"
        )
        if unknown:
            message += _OUTCOME_UNKNOWN_NOTE
        error = ApiResponseError(message, method=call.method, path=call.path)
        return _annotated(error, attempts=self.count, outcome_unknown=unknown)

    def result(self, response: httpx.Response) -> T:
        """The call's typed result; ApiResponseError if the body is not JSON or not the right shape.

        A POST answered 2xx with a body that does not parse may still have created something:
        the error then says `outcome_unknown`, and the caller lists before sending it again.
        """
        call = self.call
        text = _redact(response.text, self._secrets)
        answered = f"{call.where} answered {_status_text(response)}"
        try:
            data = _loads(text) if text.strip() else None
        except _ShapeError as exc:
            message = f"{answered} but the body is not usable JSON: {exc}"
        except ValueError:
            message = f"{answered} but the body is not JSON: {text[:TEXT_SNIPPET_CHARS]!r}"
        else:
            try:
                return call.parse(data)
            except KeyError as exc:
                message = f"{answered} but the body lacks the key {exc}"
            except (_ShapeError, TypeError, ValueError, AttributeError, OverflowError) as exc:
                message = f"{answered} but the body is not the documented shape: {exc}"
        unknown = call.method not in SAFE_METHODS and call.method != "DELETE"
        if unknown:
            message += _OUTCOME_UNKNOWN_NOTE
        # Raised outside the except blocks on purpose: nothing is chained to the error.
        error = ApiResponseError(message, method=call.method, path=call.path)
        raise _annotated(error, attempts=self.count, outcome_unknown=unknown)

    def delay_after(self, outcome: httpx.Response | _Failure) -> float:
        """Seconds to wait before the next attempt; raises the ApiError if there is none."""
        call = self.call
        if isinstance(outcome, httpx.Response):
            retry_after = parse_retry_after(outcome.headers.get("retry-after"))
            decision = self.policy.after_status(
                call.method, outcome.status_code, retry_after=retry_after, attempts=self.count
            )
            if decision.delay is None:
                error = self._status_error(outcome, retry_after, decision.outcome_unknown)
                raise _annotated(error, attempts=self.count, outcome_unknown=decision.outcome_unknown)
            what = _status_text(outcome)
        else:
            decision = self.policy.after_error(call.method, outcome.error, attempts=self.count)
            if decision.delay is None:
                failure = self._transport_error(outcome, decision.outcome_unknown)
                raise _annotated(failure, attempts=self.count, outcome_unknown=decision.outcome_unknown)
            what = outcome.error.__name__
        logger.info(
            "%s: %s; retrying in %.2f s (attempt %d of %d)",
            call.where,
            what,
            decision.delay,
            self.count + 1,
            self.policy.max_attempts,
        )
        return decision.delay

    def _status_error(self, response: httpx.Response, retry_after: float | None, unknown: bool) -> ApiStatusError:
        call, status = self.call, response.status_code
        text = _redact(response.text, self._secrets)
        body = _decode(text)
        server_message = _server_message(body, text)
        request_id = next((response.headers[h] for h in REQUEST_ID_HEADERS if h in response.headers), None)
        request_id = None if request_id is None else _redact(request_id, self._secrets)

        cls: type[ApiStatusError] = ApiStatusError
        if status in (401, 403):
            cls = AuthenticationError
            access = "read" if call.method in SAFE_METHODS else "write"
            message = (
                f"the API key was refused ({status}) for {call.where} — check LAYEROPS_API_KEY or "
                f"--api-key-file, that the key is active, and that its groups grant {access} access "
                "to this project"
            )
            if server_message:
                message += f"; the server said: {server_message}"
        else:
            if status == 404:
                cls = NotFoundError
                server_message = server_message or "no such resource, or this key cannot see it"
            elif status == 429:
                cls = RateLimitedError
            message = f"{call.where} failed with {_status_text(response)}{_after(self.count)}"
            if server_message:
                message += f": {server_message}"
            if status == 429 and retry_after is not None:
                message += f" (the server asked to wait {retry_after:g} s)"
            location = response.headers.get("location")
            if 300 <= status < 400 and location:
                target = public_url(_redact(location, self._secrets))[:TEXT_SNIPPET_CHARS]
                message += (
                    f" (a redirect to {target}: redirects are not followed, as they could carry the key elsewhere; "
                    "set api_url to the address the API really serves)"
                )
        if request_id:
            message += f" (request id {request_id})"
        if unknown:
            message += _OUTCOME_UNKNOWN_NOTE
        return cls(
            message,
            method=call.method,
            path=call.path,
            status_code=status,
            server_message=server_message,
            body=body,
            request_id=request_id,
        )

    def _transport_error(self, failure: _Failure, unknown: bool) -> ApiTransportError:
        message = f"{self.call.where} failed{_after(self.count)}: {failure.problem(self._server)}"
        if unknown:
            message += _OUTCOME_UNKNOWN_NOTE
        timeout = issubclass(failure.error, httpx.TimeoutException)
        return ApiTransportError(message, method=self.call.method, path=self.call.path, timeout=timeout)


# ---------------------------------------------------------------------------------------------
# The clients.


@functools.cache
def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"costplan/{version('costplan')}"
    except PackageNotFoundError:
        return "costplan/0"


def _http_options(settings: Settings) -> dict[str, Any]:
    """What an httpx client needs to talk to the configured API: base URL, headers, timeouts."""
    headers = {"accept": "application/json", "user-agent": _user_agent()}
    if settings.api_key is not None:
        headers["x-api-key"] = settings.api_key.reveal()
    timeout = httpx.Timeout(settings.timeout, connect=settings.connect_timeout)
    try:
        base_url = httpx.URL(settings.api_url)
    except httpx.InvalidURL as exc:
        raise ConfigError(f"api_url {public_url(settings.api_url)!r} is not a valid URL: {exc}") from None
    return {"base_url": base_url, "headers": headers, "timeout": timeout}


class Client:
    """Sync client over an injected `httpx.Client`, which holds the base URL and the key header.

    The client owns `http`: `close()` (or leaving the `with` block) closes it.
    Tests inject `httpx.Client(transport=httpx.MockTransport(handler))` and `sleep=lambda s: None`.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        deadline: float = DEFAULT_REQUEST_DEADLINE_S,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self._http = http
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._deadline = deadline
        self._max_bytes = max_response_bytes

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Client:
        """A client for `settings.api_url` with the key header, timeouts and retry policy from settings."""
        http = httpx.Client(transport=transport, **_http_options(settings))
        return cls(
            http,
            retry=RetryPolicy.from_settings(settings),
            sleep=sleep,
            deadline=settings.request_deadline,
            max_response_bytes=int(settings.max_response_mb * 1024 * 1024),
        )

    def __repr__(self) -> str:
        return f"<Client {_server_label(self._http.base_url)}{self._http.base_url.path.rstrip('/')}>"

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, call: _Call[T]) -> T:
        attempts = _Attempts(call, self._retry, self._http)
        while True:
            outcome = self._exchange(attempts)
            if isinstance(outcome, httpx.Response) and outcome.is_success:
                return attempts.result(outcome)
            self._sleep(attempts.delay_after(outcome))

    def _exchange(self, attempts: _Attempts[T]) -> httpx.Response | _Failure:
        """One request, bounded: connect and every read within `deadline` seconds in all, and at
        most `max_response_bytes` of body after decompression (read chunk by chunk, so a gzip
        bomb stops at the cap). Returns the response with its body read, or the failure."""
        started = time.monotonic()
        limit = self._deadline
        timeout = self._http.timeout
        request = attempts.next_request()
        request["timeout"] = httpx.Timeout(
            min(timeout.read or limit, limit),
            connect=min(timeout.connect or limit, limit),
            write=min(timeout.write or limit, limit),
            pool=min(timeout.pool or limit, limit),
        )
        try:
            with self._http.stream(**request) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > self._max_bytes:
                        raise attempts.too_large(self._max_bytes)
                    if time.monotonic() - started > limit:
                        return _Failure(DeadlineExceeded, f"no complete answer within {limit:g} s")
                headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
                return httpx.Response(
                    response.status_code,
                    headers=headers,
                    content=bytes(body),
                    request=response.request,
                    extensions={"reason_phrase": response.reason_phrase.encode("ascii", "replace")},
                )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            # Judged outside the except block, so nothing is chained to the ApiError raised.
            failure = attempts.failure(exc)
        return failure

    def list_workspaces(self, include_environments_and_providers: bool = True) -> list[Workspace]:
        """Workspaces (the UI's "projects"), by default with their environments and providers."""
        return self._send(_Calls.list_workspaces(include_environments_and_providers))

    def create_workspace(self, body: Mapping[str, Any]) -> Ref:
        """Create a workspace (a "project"); on an error with `outcome_unknown`, list before retrying."""
        return self._send(_Calls.create_workspace(body))

    def delete_workspace(self, uuid: str) -> None:
        self._send(_Calls.delete_workspace(uuid))

    def create_environment(self, workspace_uuid: str, body: Mapping[str, Any]) -> Ref:
        """Create an environment; on an error with `outcome_unknown`, list before retrying."""
        return self._send(_Calls.create_environment(workspace_uuid, body))

    def list_environments(self, workspace_uuid: str) -> list[Environment]:
        return self._send(_Calls.list_environments(workspace_uuid))

    def get_environment(self, uuid: str) -> Environment:
        return self._send(_Calls.get_environment(uuid))

    def delete_environment(self, uuid: str) -> None:
        self._send(_Calls.delete_environment(uuid))

    def list_instance_types(self, provider_uuid: str) -> list[InstanceType]:
        """A provider's instance types with their (scaled) prices."""
        return self._send(_Calls.list_instance_types(provider_uuid))

    def list_instance_pools(self, environment_uuid: str) -> list[InstancePool]:
        return self._send(_Calls.list_instance_pools(environment_uuid))

    def create_instance_pool(self, provider_uuid: str, body: Mapping[str, Any]) -> Ref:
        """Create a pool; on an error with `outcome_unknown`, list the pools before trying again."""
        return self._send(_Calls.create_instance_pool(provider_uuid, body))

    def get_instance_pool(self, uuid: str) -> InstancePool:
        return self._send(_Calls.get_instance_pool(uuid))

    def update_instance_pool(self, uuid: str, body: Mapping[str, Any]) -> InstancePool | None:
        """PUT the pool; None when the server answers without echoing it."""
        return self._send(_Calls.update_instance_pool(uuid, body))

    def delete_instance_pool(self, uuid: str) -> None:
        self._send(_Calls.delete_instance_pool(uuid))

    def get_instance_pool_status(
        self,
        uuid: str,
        *,
        include_instances_distribution: bool = False,
        include_metrics: bool = False,
        include_alerts: bool = False,
    ) -> PoolStatus:
        return self._send(
            _Calls.get_instance_pool_status(
                uuid,
                include_instances_distribution=include_instances_distribution,
                include_metrics=include_metrics,
                include_alerts=include_alerts,
            )
        )

    def list_services(self, environment_uuid: str) -> list[ServiceInfo]:
        return self._send(_Calls.list_services(environment_uuid))

    def create_service(self, environment_uuid: str, body: Mapping[str, Any]) -> Ref:
        """Create a service through the generic endpoint; `outcome_unknown` as for create_docker_service."""
        return self._send(_Calls.create_service(environment_uuid, body))

    def create_docker_service(self, environment_uuid: str, body: Mapping[str, Any]) -> Ref:
        """Create a Docker service; on an error with `outcome_unknown`, list services before retrying."""
        return self._send(_Calls.create_docker_service(environment_uuid, body))

    def get_service(self, uuid: str) -> ServiceInfo:
        return self._send(_Calls.get_service(uuid))

    def update_service(self, uuid: str, body: Mapping[str, Any]) -> ServiceInfo | None:
        """PUT the service; None when the server answers without echoing it."""
        return self._send(_Calls.update_service(uuid, body))

    def delete_service(self, uuid: str) -> None:
        self._send(_Calls.delete_service(uuid))

    def get_service_status(
        self,
        uuid: str,
        *,
        include_instances_distribution: bool = True,
        include_alerts: bool = False,
        include_stats: bool = True,
        only_stats: bool = False,
    ) -> ServiceStatus:
        return self._send(
            _Calls.get_service_status(
                uuid,
                include_instances_distribution=include_instances_distribution,
                include_alerts=include_alerts,
                include_stats=include_stats,
                only_stats=only_stats,
            )
        )

    def list_events(self, kind: str, uuid: str) -> list[dict[str, Any]]:
        """Raw events of an environment, service or instance pool (`kind` is one of EVENT_KINDS)."""
        return self._send(_Calls.list_events(kind, uuid))
