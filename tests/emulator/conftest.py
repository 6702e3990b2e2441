"""Fixtures for the emulator tests: real loopback servers and clients with the example key."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator_support import HEADERS, Serve

from costplan.emulator import EmulatorConfig, RunningEmulator, serve_in_thread


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never depend on the developer's COSTPLAN_* variables."""
    for name in list(os.environ):
        if name.startswith("COSTPLAN_"):
            monkeypatch.delenv(name)


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Factory: ``serve(**config_fields)`` starts an emulator and returns it with a client
    (example key set). Everything started is stopped at teardown."""
    with contextlib.ExitStack() as stack:

        def start(
            config: EmulatorConfig | None = None, *, timeout: float = 5.0, **fields: Any
        ) -> tuple[RunningEmulator, httpx.Client]:
            if config is None:
                fields.setdefault("provision_seconds", 0)
                config = EmulatorConfig(**fields)
            emulator = stack.enter_context(serve_in_thread(config))
            client = stack.enter_context(httpx.Client(base_url=emulator.base_url, headers=HEADERS, timeout=timeout))
            return emulator, client

        yield start


@pytest.fixture
def client(serve: Serve) -> httpx.Client:
    """A client on a fresh emulator whose pools are ready at once."""
    return serve()[1]


@pytest.fixture(scope="module")
def shared_client() -> Iterator[httpx.Client]:
    """One emulator per test module, for tests that must not (and do not) change state:
    starting and stopping uvicorn costs ~0.15 s, which adds up over parametrized cases."""
    with (
        serve_in_thread(EmulatorConfig(provision_seconds=0)) as emulator,
        httpx.Client(base_url=emulator.base_url, headers=HEADERS, timeout=5.0) as client,
    ):
        yield client
