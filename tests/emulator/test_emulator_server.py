"""serve_in_thread: a real loopback server that starts, answers and stops cleanly."""

from __future__ import annotations

import socket

import httpx
import pytest
from emulator_support import HEADERS

from costplan.emulator import EmulatorConfig, create_app, serve_in_thread


def test_serves_on_a_free_loopback_port_and_stops() -> None:
    config = EmulatorConfig(provision_seconds=0)
    with serve_in_thread(config) as emulator:
        assert emulator.base_url == f"http://127.0.0.1:{emulator.port}/v1"
        assert emulator.config is config
        assert httpx.get(f"{emulator.base_url}/workspaces", headers=HEADERS).status_code == 200
        port = emulator.port
    with socket.socket() as probe:
        probe.settimeout(1)
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_two_servers_run_side_by_side_with_separate_state() -> None:
    with serve_in_thread(EmulatorConfig()) as one, serve_in_thread(EmulatorConfig()) as two:
        assert one.port != two.port
        created = httpx.post(f"{one.base_url}/workspaces", json={"name": "only-here"}, headers=HEADERS)
        assert created.status_code == 201
        names = [w["name"] for w in httpx.get(f"{two.base_url}/workspaces", headers=HEADERS).json()["workspaces"]]
        assert "only-here" not in names


def test_busy_port_is_an_error() -> None:
    with serve_in_thread(EmulatorConfig()) as emulator, pytest.raises(OSError):
        with serve_in_thread(EmulatorConfig(), port=emulator.port):
            pass


def test_create_app_exposes_its_store_and_config() -> None:
    config = EmulatorConfig()
    app = create_app(config)
    assert app.state.config is config
    assert app.state.store.config is config
