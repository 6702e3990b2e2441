"""Running the emulator over real sockets: in a background thread, or in the foreground.

A real socket matters because the client's transport, timeouts and retries are part of
what the emulator tests (an in-process ASGI transport would skip them).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from costplan.emulator.app import create_app
from costplan.emulator.config import EmulatorConfig

HEALTH_PATH = "/_emulator/health"
STARTUP_TIMEOUT = 10.0


@dataclass(frozen=True)
class RunningEmulator:
    """A started emulator: where it listens and how it was configured."""

    base_url: str
    config: EmulatorConfig
    app: Starlette
    host: str
    port: int


def _answers(host: str, port: int) -> bool:
    connection = http.client.HTTPConnection(host, port, timeout=1.0)
    try:
        connection.request("GET", HEALTH_PATH)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def serve_in_thread(
    config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningEmulator]:
    """Run the emulator on ``host:port`` (port 0: a free one) in a daemon thread.

    Waits until the server answers before yielding, and shuts it down on exit.

    ```python
    with serve_in_thread(EmulatorConfig(provision_seconds=0)) as emulator:
        httpx.get(f"{emulator.base_url}/workspaces", headers={"X-API-KEY": key})
    ```
    """
    config = config or EmulatorConfig()
    app = create_app(config)
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it every response waits ~40 ms for a delayed ACK.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    actual_port = sock.getsockname()[1]
    # uvicorn skips signal handlers outside the main thread, so a thread is fine.
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"costplan-emulator-{actual_port}", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _answers(host, actual_port):
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"emulator did not start on {host}:{actual_port}")
            time.sleep(0.02)
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        yield RunningEmulator(f"http://{shown}:{actual_port}/v1", config, app, host, actual_port)
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()


def run(config: EmulatorConfig | Starlette | None = None, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve a config's (or an app made already) in the foreground until interrupted (``costplan emulator serve``)."""
    app = config if isinstance(config, Starlette) else create_app(config or EmulatorConfig())
    uvicorn.run(app, host=host, port=port, log_level="info", lifespan="off")
