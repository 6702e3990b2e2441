"""The Starlette application: routes under ``/v1``, auth, faults, NestJS-style errors.

Handlers are thin: parse the request, call :mod:`costplan.emulator.operations`, encode
JSON. Creates answer 201 (NestJS's default for POST), everything else 200. Besides the
API, ``GET /_emulator/health`` (no key, no faults) tells a launcher the server is up.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from costplan.emulator import operations as ops
from costplan.emulator.auth import ApiKeyMiddleware
from costplan.emulator.config import EmulatorConfig
from costplan.emulator.errors import ApiError, handle_api_error, handle_http_exception, handle_unexpected
from costplan.emulator.faults import FaultInjector
from costplan.emulator.store import Store
from costplan.emulator.validation import parse_bool_param, parse_json_object


def _json(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(body, status_code=status, media_type="application/json")


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def _param(request: Request, name: str) -> str:
    value: str = request.path_params[name]
    return value


def _flag(request: Request, name: str, default: bool = False) -> bool:
    return parse_bool_param(dict(request.query_params), name, default)


async def _body(request: Request) -> dict[str, Any]:
    return parse_json_object(await request.body())


async def health(request: Request) -> Response:
    return _json({"status": "ok"})


async def list_workspaces(request: Request) -> Response:
    return _json(ops.list_workspaces(_store(request), _flag(request, "includeEnvironmentAndProviders")))


async def create_workspace(request: Request) -> Response:
    return _json(ops.create_workspace(_store(request), await _body(request)), 201)


async def delete_workspace(request: Request) -> Response:
    return _json(ops.delete_workspace(_store(request), _param(request, "uuid")))


async def environments(request: Request) -> Response:
    store, uuid = _store(request), _param(request, "uuid")
    if request.method == "POST":
        return _json(ops.create_environment(store, uuid, await _body(request)), 201)
    return _json(ops.list_environments(store, uuid))


async def environment(request: Request) -> Response:
    store, uuid = _store(request), _param(request, "uuid")
    if request.method == "DELETE":
        return _json(ops.delete_environment(store, uuid))
    return _json(ops.get_environment(store, uuid))


async def instance_types(request: Request) -> Response:
    body = ops.instance_types_json(_store(request), _param(request, "uuid"))
    return Response(body, media_type="application/json")


async def list_pools(request: Request) -> Response:
    return _json(ops.list_pools(_store(request), _param(request, "uuid")))


async def create_pool(request: Request) -> Response:
    return _json(ops.create_pool(_store(request), _param(request, "uuid"), await _body(request)), 201)


async def pool(request: Request) -> Response:
    store, uuid = _store(request), _param(request, "uuid")
    if request.method == "PUT":
        return _json(ops.update_pool(store, uuid, await _body(request)))
    if request.method == "DELETE":
        return _json(ops.delete_pool(store, uuid))
    return _json(ops.get_pool(store, uuid))


async def pool_status(request: Request) -> Response:
    _flag(request, "includeAlerts")  # validated, no effect: the emulator raises no alerts
    return _json(
        ops.pool_status(
            _store(request),
            _param(request, "uuid"),
            with_instances=_flag(request, "includeInstancesDistribution"),
            with_metrics=_flag(request, "includeMetrics"),
        )
    )


async def services(request: Request) -> Response:
    store, uuid = _store(request), _param(request, "uuid")
    if request.method == "POST":
        return _json(ops.create_service(store, uuid, await _body(request)), 201)
    return _json(ops.list_services(store, uuid))


async def create_docker_service(request: Request) -> Response:
    return _json(ops.create_service(_store(request), _param(request, "uuid"), await _body(request)), 201)


async def service(request: Request) -> Response:
    store, uuid = _store(request), _param(request, "uuid")
    if request.method == "PUT":
        return _json(ops.update_service(store, uuid, await _body(request)))
    if request.method == "DELETE":
        return _json(ops.delete_service(store, uuid))
    return _json(ops.get_service(store, uuid))


async def service_status(request: Request) -> Response:
    _flag(request, "includeAlerts")
    return _json(
        ops.service_status(
            _store(request),
            _param(request, "uuid"),
            with_instances=_flag(request, "includeInstancesDistribution"),
            with_stats=_flag(request, "includeStats", True),
            only_stats=_flag(request, "onlyStats"),
        )
    )


async def analyze(request: Request) -> Response:
    """Known from the third-party client only; inventing its answer would mislead, so 501."""
    ops.get_environment(_store(request), _param(request, "uuid"))  # 404 for an unknown id
    raise ApiError(501, f"GET {request.url.path} is not emulated: its response shape is not documented")


async def events(request: Request) -> Response:
    collection = request.url.path.split("/")[2]
    return _json(ops.events(_store(request), collection, _param(request, "uuid")))


ROUTES = [
    Route("/_emulator/health", health, methods=["GET"]),
    Route("/v1/workspaces", list_workspaces, methods=["GET"]),
    Route("/v1/workspaces", create_workspace, methods=["POST"]),
    Route("/v1/workspaces/{uuid}", delete_workspace, methods=["DELETE"]),
    Route("/v1/workspaces/{uuid}/environments", environments, methods=["GET", "POST"]),
    Route("/v1/environments/{uuid}", environment, methods=["GET", "DELETE"]),
    Route("/v1/environments/{uuid}/instancePools", list_pools, methods=["GET"]),
    Route("/v1/environments/{uuid}/services", services, methods=["GET", "POST"]),
    Route("/v1/environments/{uuid}/services/docker", create_docker_service, methods=["POST"]),
    Route("/v1/environments/{uuid}/events", events, methods=["GET"]),
    Route("/v1/environments/{uuid}/analyze", analyze, methods=["GET"]),
    Route("/v1/providers/{uuid}/instancesTypes", instance_types, methods=["GET"]),
    Route("/v1/providers/{uuid}/instancePools", create_pool, methods=["POST"]),
    Route("/v1/instancePools/{uuid}", pool, methods=["GET", "PUT", "DELETE"]),
    Route("/v1/instancePools/{uuid}/status", pool_status, methods=["GET"]),
    Route("/v1/instancePools/{uuid}/events", events, methods=["GET"]),
    Route("/v1/services/{uuid}", service, methods=["GET", "PUT", "DELETE"]),
    Route("/v1/services/{uuid}/status", service_status, methods=["GET"]),
    Route("/v1/services/{uuid}/events", events, methods=["GET"]),
]


def create_app(config: EmulatorConfig | None = None) -> Starlette:
    """A LayerOps-compatible ASGI app; ``app.state.store`` holds its state.

    Serve it with :func:`costplan.emulator.serve_in_thread` (tests, sandbox) or
    :func:`costplan.emulator.run` (foreground), or mount it in any ASGI server.
    """
    config = config or EmulatorConfig()
    middleware = [Middleware(ApiKeyMiddleware, config=config)]
    if config.faults_enabled:
        middleware.insert(0, Middleware(FaultInjector, config=config))
    app = Starlette(
        routes=ROUTES,
        middleware=middleware,
        exception_handlers={
            ApiError: handle_api_error,
            HTTPException: handle_http_exception,
            Exception: handle_unexpected,
        },
    )
    app.state.store = Store(config)
    app.state.config = config
    return app
