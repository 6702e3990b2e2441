"""X-API-KEY: the example key is accepted by default, keys are stored hashed, never echoed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from emulator_support import EXAMPLE_KEY, EXAMPLE_SECRET, Serve, assert_nest_error

from costplan.emulator import EmulatorConfig, hash_key

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-KEY": ""},
        {"X-API-KEY": "LYPFNN8BTS9GBQFRIXCHGWJXU:not-the-secret"},
        {"X-API-KEY": EXAMPLE_SECRET},
        {"X-API-KEY": EXAMPLE_KEY + "x"},
        {"Authorization": f"Bearer {EXAMPLE_KEY}"},
    ],
)
def test_missing_or_wrong_key_is_401_without_echo(serve: Serve, headers: dict[str, str]) -> None:
    emulator, _ = serve()
    response = httpx.get(f"{emulator.base_url}/workspaces", headers=headers, timeout=5)
    body = assert_nest_error(response, 401)
    assert body["error"] == "Unauthorized"
    for secret in (EXAMPLE_SECRET, "not-the-secret", "LYPFNN8BTS9GBQFRIXCHGWJXU"):
        assert secret not in response.text
        assert secret not in str(response.headers)


def test_every_route_needs_the_key(serve: Serve) -> None:
    emulator, _ = serve()
    for method, path in [
        ("GET", "/providers/x/instancesTypes"),
        ("POST", "/workspaces"),
        ("DELETE", "/instancePools/x"),
        ("GET", "/services/x/status"),
    ]:
        response = httpx.request(method, emulator.base_url + path, timeout=5)
        assert_nest_error(response, 401)


def test_configured_keys_are_hashed_and_the_example_key_can_be_refused(serve: Serve) -> None:
    config = EmulatorConfig(api_keys=("LYPOTHERKEY:s3cret-value",), provision_seconds=0)
    assert "s3cret-value" not in repr(config)
    assert config.api_keys == ()
    assert config.api_key_hashes == (hash_key("LYPOTHERKEY:s3cret-value"),)
    emulator, _ = serve(config)
    ok = httpx.get(f"{emulator.base_url}/workspaces", headers={"X-API-KEY": "LYPOTHERKEY:s3cret-value"})
    assert ok.status_code == 200
    refused = httpx.get(f"{emulator.base_url}/workspaces", headers={"X-API-KEY": EXAMPLE_KEY})
    assert_nest_error(refused, 401)


def test_default_config_accepts_the_example_key_by_digest_only() -> None:
    config = EmulatorConfig()
    assert config.accepts(EXAMPLE_KEY)
    assert not config.accepts("LYPFNN8BTS9GBQFRIXCHGWJXU:wrong")
    assert EXAMPLE_SECRET not in repr(config)
    both = EmulatorConfig(api_keys=("K:s",), api_key_hashes=(hash_key(EXAMPLE_KEY),))
    assert both.accepts(EXAMPLE_KEY) and both.accepts("K:s")
    assert not EmulatorConfig(api_key_hashes=()).accepts(EXAMPLE_KEY)
    kept = EmulatorConfig(api_keys=("K:s",)).replace(latency=0.5)
    assert kept.accepts("K:s") and not kept.accepts(EXAMPLE_KEY)


def test_example_secret_is_not_in_package_or_scripts() -> None:
    hits = []
    for folder in ("costplan", "scripts", "benchmarks"):
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                if EXAMPLE_SECRET.encode() in path.read_bytes():
                    hits.append(str(path.relative_to(REPO)))
    assert hits == []


def test_server_log_never_shows_the_key(tmp_path: Path) -> None:
    """Run `run()` in a subprocess with access logs on; the key must not reach stdout/stderr."""
    script = (
        "import threading, time, httpx\n"
        "from costplan.emulator import EmulatorConfig, run\n"
        "threading.Thread(target=run, args=(EmulatorConfig(),), kwargs={'port': PORT}, daemon=True).start()\n"
        "for _ in range(200):\n"
        "    try:\n"
        "        httpx.get('http://127.0.0.1:PORT/_emulator/health'); break\n"
        "    except httpx.TransportError: time.sleep(0.02)\n"
        "for key in (__KEY__, 'LYPFNN8BTS9GBQFRIXCHGWJXU:bad'):\n"
        "    httpx.get('http://127.0.0.1:PORT/v1/workspaces', headers={'X-API-KEY': key})\n"
    )
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = script.replace("PORT", str(port)).replace("__KEY__", repr(EXAMPLE_KEY))
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "GET /v1/workspaces" in done.stdout + done.stderr  # the access log did run
    assert EXAMPLE_SECRET not in done.stdout + done.stderr
    assert ":bad" not in done.stdout + done.stderr
