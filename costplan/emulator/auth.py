"""``X-API-KEY`` check, as ASGI middleware, against SHA-256 digests only.

The emulator never stores, logs or echoes a key: it hashes the header value and looks
the digest up, and the 401 body says what is wrong without repeating what was sent.
"""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from costplan.emulator.config import EmulatorConfig, hash_key
from costplan.emulator.errors import error_response

PUBLIC_PREFIX = "/_emulator/"


class ApiKeyMiddleware:
    """Answers 401 (NestJS shape) unless ``X-API-KEY`` hashes to an accepted digest."""

    def __init__(self, app: ASGIApp, config: EmulatorConfig) -> None:
        self.app = app
        self.digests = tuple(d.encode() for d in config.api_key_hashes or ())

    def accepted(self, header_value: str) -> bool:
        """Constant-time comparison against every accepted digest."""
        candidate = hash_key(header_value).encode()
        found = False
        for digest in self.digests:
            found |= hmac.compare_digest(candidate, digest)
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(PUBLIC_PREFIX):
            await self.app(scope, receive, send)
            return
        raw = None
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                raw = value
                break
        if raw is None or not raw.strip():
            response = error_response(401, "Missing API key: send the X-API-KEY header (keyId:secret)")
        elif not self.accepted(raw.decode("latin-1").strip()):
            response = error_response(401, "Invalid API key")
        else:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)
