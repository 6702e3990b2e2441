"""Fault injection, as the outermost ASGI middleware.

Kinds (all off by default, see :class:`EmulatorConfig`): fixed ``latency``; ``error_rate``
answered with one of ``error_statuses`` before the request runs; rate limiting (every Nth
request and/or a token bucket) answered 429 with ``Retry-After``; ``hang_rate`` requests
that sleep ``hang_seconds`` before running (client timeouts); and ``post_commit_fault_rate``,
where a mutating request *does* take effect but the client gets a 502 (kind ``502``), a 502
after a hang (``hang``), or its own 2xx status with an empty body (``empty``) or a cut-off
JSON body (``malformed``) - the "outcome unknown" cases a provisioner must survive.

Random draws come from one RNG seeded with ``fault_seed``, three draws per request, so a
given sequence of requests meets the same faults every run.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from costplan.emulator.config import EmulatorConfig
from costplan.emulator.errors import error_response

MUTATING = ("POST", "PUT", "DELETE")
PUBLIC_PREFIX = "/_emulator/"


@dataclass(frozen=True)
class Decision:
    """What happens to one request."""

    retry_after: int | None = None
    error_status: int | None = None
    hang: bool = False
    post_commit: bool = False


class FaultInjector:
    """Middleware applying the configured faults to requests whose method is targeted."""

    def __init__(self, app: ASGIApp, config: EmulatorConfig) -> None:
        self.app = app
        self.config = config
        self._rng = random.Random(config.fault_seed)
        self._lock = threading.Lock()
        self._count = 0
        self._tokens = float(config.rate_limit_burst)
        self._refilled = time.monotonic()

    def decide(self, method: str) -> Decision:
        """Draw this request's fate (thread-safe, deterministic for a given sequence)."""
        c = self.config
        with self._lock:
            self._count += 1
            error_draw, hang_draw, commit_draw = self._rng.random(), self._rng.random(), self._rng.random()
            status_draw = self._rng.randrange(len(c.error_statuses))
            retry_after = self._rate_limited()
        if retry_after is not None:
            return Decision(retry_after=retry_after)
        if error_draw < c.error_rate:
            return Decision(error_status=c.error_statuses[status_draw])
        return Decision(
            hang=hang_draw < c.hang_rate, post_commit=method in MUTATING and commit_draw < c.post_commit_fault_rate
        )

    def _rate_limited(self) -> int | None:
        """Seconds to wait when this request is over a limit, else None (lock held)."""
        c = self.config
        if c.rate_limit_every and self._count % c.rate_limit_every == 0:
            return c.retry_after_seconds
        if c.rate_limit_per_second:
            now = time.monotonic()
            self._tokens = min(
                float(c.rate_limit_burst), self._tokens + (now - self._refilled) * c.rate_limit_per_second
            )
            self._refilled = now
            if self._tokens < 1.0:
                return max(1, math.ceil((1.0 - self._tokens) / c.rate_limit_per_second))
            self._tokens -= 1.0
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method", "")
        if (
            scope["type"] != "http"
            or scope["path"].startswith(PUBLIC_PREFIX)
            or method not in self.config.fault_methods
        ):
            await self.app(scope, receive, send)
            return
        decision = self.decide(method)
        if self.config.latency:
            await asyncio.sleep(self.config.latency)
        if decision.retry_after is not None:
            response = error_response(
                429,
                "Too Many Requests: rate limit exceeded (injected fault)",
                {"Retry-After": str(decision.retry_after)},
            )
            await response(scope, receive, send)
            return
        if decision.error_status is not None:
            headers = {"Retry-After": str(self.config.retry_after_seconds)} if decision.error_status == 503 else None
            response = error_response(decision.error_status, "Injected fault", headers)
            await response(scope, receive, send)
            return
        if decision.hang:
            await asyncio.sleep(self.config.hang_seconds)
        if decision.post_commit:
            await self._commit_then_fail(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _commit_then_fail(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request for real; if it succeeded, hide the answer behind a 502."""
        held: list[Message] = []
        status = 0

        async def hold(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            held.append(message)

        await self.app(scope, receive, hold)
        if not 200 <= status < 300:
            for message in held:
                await send(message)
            return
        kind = self.config.post_commit_fault_kind
        if kind in ("empty", "malformed"):
            body = b"" if kind == "empty" else b'{"uuid": "'
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        if kind == "hang":
            await asyncio.sleep(self.config.hang_seconds)
        response = error_response(502, "Bad Gateway (injected post-commit fault)")
        await response(scope, receive, send)
