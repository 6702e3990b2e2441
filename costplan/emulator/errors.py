"""Error responses in the NestJS shape ``{"statusCode", "message", "error"}``.

The real API's error body is undocumented; NestJS's default shape is the best guess
(API-NOTES.md section 7), so every error the emulator returns uses it. As NestJS's
``ValidationPipe`` does, a 400 lists every violation (``message`` is a list of strings);
every other error carries one ``message`` string.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response


class ApiError(Exception):
    """An error the route handlers raise; rendered by :func:`error_response`."""

    def __init__(self, status: int, message: str | list[str], headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.message!r})"


def bad_request(message: str | list[str]) -> ApiError:
    """400: the body or a query parameter is invalid; each message names its field."""
    return ApiError(400, [message] if isinstance(message, str) else list(message))


def not_found(kind: str, uuid: str) -> ApiError:
    """404 naming the resource kind and the id that was asked for."""
    return ApiError(404, f"{kind} {uuid} not found")


def deleted(kind: str, uuid: str) -> ApiError:
    """404 for any write to a deleted object (reads still show it, with ``deletedAt`` set)."""
    return ApiError(404, f"{kind} {uuid} was deleted")


def conflict(message: str) -> ApiError:
    """409: the request clashes with current state (duplicate name, deleted object...)."""
    return ApiError(409, message)


def error_body(status: int, message: str | list[str]) -> bytes:
    """The encoded NestJS-style error document."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return json.dumps({"statusCode": status, "message": message, "error": phrase}, separators=(",", ":")).encode()


def error_response(status: int, message: str | list[str], headers: dict[str, str] | None = None) -> Response:
    """A JSON error response."""
    return Response(error_body(status, message), status_code=status, media_type="application/json", headers=headers)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    """Starlette exception handler for :class:`ApiError`."""
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.headers)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Unknown routes and wrong methods, phrased the way NestJS phrases them."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (404, 405):
        # NestJS answers an unrouted method/path pair with 404 "Cannot GET /path".
        return error_response(404, f"Cannot {request.method} {request.url.path}")
    return error_response(exc.status_code, str(exc.detail), dict(exc.headers or {}))


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    """Any bug in the emulator still answers in the API's error shape."""
    return error_response(500, "Internal server error")
