"""The documentation's six curl commands, replayed verbatim against `costplan emulator serve`.

Each request is parsed from the document's own text (tests/data/api_examples.json holds every
curl command verbatim): method, URL, query, headers and body bytes exactly as written, only the
host changed. Each answer must have the documented status class, keys and value types
(recursively), and the documented values, except where noted in VOLATILE.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_support import HEADERS

from costplan.emulator import EmulatorConfig, serve_in_thread
from tests.conftest import API_EXAMPLES_FILE

EXAMPLES = json.loads(API_EXAMPLES_FILE.read_text())["examples"]
DOCUMENTED_HOST = "https://api.layerops.com"
REPO = Path(__file__).resolve().parents[2]
# Keys the emulator adds on purpose (the brief asks for errorMessage on pool status).
EXTRA_KEYS = {"pool_status": {"$": {"errorMessage"}}}
# Instance types may carry their currency and a price note (the documented rows stay verbatim).
OPTIONAL_KEYS = {"list_instance_types": {"$[]": {"currency", "priceNote"}}}
# Values that cannot match: the seed has 2 environments, an instance's createdAt is "now".
VOLATILE = {
    "list_workspaces": {"$.totalAssociatedEnvironments"},
    "service_status": {"$.instances[0].createdAt"},
}
SERVE_DEADLINE_S = 20.0


@dataclass(frozen=True)
class Curl:
    """One documented curl command: what it sends."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    data: bytes | None

    @classmethod
    def parse(cls, command: str) -> Curl:
        """`curl -X M 'URL' -H 'k: v' ... [-d 'body']`, the document's only form."""
        tokens = shlex.split(command.replace("\\\n", " "))
        assert tokens[0] == "curl", command
        method, url, headers, data = "GET", "", [], None
        args = iter(tokens[1:])
        for token in args:
            if token == "-X":
                method = next(args)
            elif token == "-H":
                name, _, value = next(args).partition(":")
                headers.append((name.strip(), value.strip()))
            elif token == "-d":
                data = next(args).encode()
            else:
                assert not token.startswith("-") and not url, f"unexpected curl argument {token!r}"
                url = token
        assert url.startswith(DOCUMENTED_HOST + "/v1/"), url
        return cls(method, url, tuple(headers), data)

    def send(self, client: httpx.Client, host: str) -> httpx.Response:
        """Sent as curl would: same method, URL (host changed), headers and body bytes."""
        url = host + self.url.removeprefix(DOCUMENTED_HOST)
        return client.request(self.method, url, headers=list(self.headers), content=self.data)


def kind(value: Any) -> str:
    """JSON type name; JSON has one number type (the docs mix 4 and 3.5 for memory)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def assert_same_shape(
    actual: Any,
    expected: Any,
    path: str = "$",
    extra: dict[str, set[str]] | None = None,
    optional: dict[str, set[str]] | None = None,
) -> None:
    """Keys equal (plus allowed extras, plus optional ones), value types equal, list elements
    shaped like the documented ones, recursively."""
    extra, optional = extra or {}, optional or {}
    assert kind(actual) == kind(expected), f"{path}: {kind(actual)} != documented {kind(expected)}"
    if isinstance(expected, dict):
        allowed = set(expected) | extra.get(path, set())
        keys = set(actual) - optional.get(path, set())
        assert keys == allowed, f"{path}: keys {sorted(keys ^ allowed)} differ"
        for key in expected:
            assert_same_shape(actual[key], expected[key], f"{path}.{key}", extra, optional)
    elif isinstance(expected, list) and expected:
        assert actual, f"{path}: empty list, documented has elements"
        for index, item in enumerate(actual):
            assert_same_shape(item, expected[min(index, len(expected) - 1)], f"{path}[]", extra, optional)


def value_differences(actual: Any, expected: Any, path: str = "$") -> list[str]:
    """Paths whose value differs from the documented one; a documented list is a prefix
    (the document truncates the instance types with `[...]`)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [d for key in expected for d in value_differences(actual.get(key), expected[key], f"{path}.{key}")]
    if isinstance(expected, list) and isinstance(actual, list) and len(actual) >= len(expected):
        return [d for i, item in enumerate(expected) for d in value_differences(actual[i], item, f"{path}[{i}]")]
    return [] if actual == expected else [path]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def emulator_serve(**env: str) -> Iterator[str]:
    """`costplan emulator serve` in a subprocess on a free loopback port; yields `http://host:port`."""
    port = free_port()
    environ = {**os.environ, **{f"COSTPLAN_EMULATOR_{k.upper()}": v for k, v in env.items()}}
    command = [sys.executable, "-m", "costplan", "emulator", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=REPO, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    host = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVE_DEADLINE_S
        while True:
            assert process.poll() is None, process.communicate()[1]
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{host}/_emulator/health", timeout=1).status_code == 200:
                    break
            assert time.monotonic() < deadline, "costplan emulator serve did not start"
            time.sleep(0.1)
        yield host
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


def replay(client: httpx.Client, host: str, example: dict[str, Any]) -> httpx.Response:
    """One documented request; a status request is repeated (verbatim) until it reads DONE,
    the state the document shows."""
    curl = Curl.parse(example["request"])
    deadline = time.monotonic() + SERVE_DEADLINE_S
    while True:
        response = curl.send(client, host)
        if not example["name"].endswith("_status") or response.json().get("status") == "DONE":
            return response
        assert time.monotonic() < deadline, f"{example['name']}: never DONE: {response.text}"
        time.sleep(0.1)


@pytest.mark.parametrize("reading", ["metrics", "early"])
def test_the_documented_curl_commands_answer_as_documented(reading: str) -> None:
    with emulator_serve(done_reading=reading, provision_seconds="1") as host, httpx.Client(timeout=5) as client:
        for example in EXAMPLES:
            response = replay(client, host, example)
            expected_status = 201 if Curl.parse(example["request"]).method == "POST" else 200
            assert response.status_code == expected_status, (example["name"], response.text)
            assert response.headers["content-type"].startswith("application/json")
            body = response.json()
            name = example["name"]
            assert_same_shape(body, example["response"], extra=EXTRA_KEYS.get(name), optional=OPTIONAL_KEYS.get(name))
            differences = set(value_differences(body, example["response"]))
            assert differences <= VOLATILE.get(example["name"], set()), (example["name"], sorted(differences))


def test_serve_help_says_which_key_works_and_both_readings_of_done() -> None:
    from click.testing import CliRunner

    from costplan.cli import cli

    text = " ".join(CliRunner().invoke(cli, ["emulator", "serve", "--help"]).output.split())
    assert "example key (key id LYPFNN8BTS9GBQFRIXCHGWJXU) unless COSTPLAN_EMULATOR_API_KEYS" in text
    assert "COSTPLAN_EMULATOR_DONE_READING" in text and "metrics (default)" in text and "early DONE as soon" in text


def test_configured_keys_replace_the_documented_one_as_the_help_says() -> None:
    listing = Curl.parse(EXAMPLES[0]["request"])
    with emulator_serve(api_keys="LYPOWNKEY:own-secret") as host, httpx.Client(timeout=5) as client:
        assert listing.send(client, host).status_code == 401
        own = client.get(f"{host}/v1/workspaces", headers={"X-API-KEY": "LYPOWNKEY:own-secret"})
        assert own.status_code == 200


def test_the_curl_parser_reads_every_part_of_a_command() -> None:
    create_pool = Curl.parse(next(e["request"] for e in EXAMPLES if e["name"] == "create_pool"))
    assert create_pool.method == "POST"
    assert create_pool.url.endswith("/v1/providers/d57b214f-ec43-41b9-8cf1-71329349093b/instancePools")
    assert [name for name, _ in create_pool.headers] == ["accept", "X-API-KEY", "Content-Type"]
    assert create_pool.data is not None and create_pool.data.startswith(b'{\n    "instanceTypeUuid"')
    status = Curl.parse(next(e["request"] for e in EXAMPLES if e["name"] == "pool_status"))
    assert status.url.endswith("?includeInstancesDistribution=false&includeMetrics=false&includeAlerts=false")
    assert status.data is None


def test_a_second_documented_pool_gets_a_fresh_uuid(client: httpx.Client) -> None:
    """The documented ids are issued once: after a delete, the same request gets a new one."""
    curl = Curl.parse(next(e["request"] for e in EXAMPLES if e["name"] == "create_pool"))
    host = f"http://{client.base_url.host}:{client.base_url.port}"
    first = curl.send(client, host).json()["uuid"]
    assert first == "27d6c053-5eab-4838-bd14-040ed5d617d9"
    assert client.delete(f"/instancePools/{first}").status_code == 200
    second = curl.send(client, host).json()["uuid"]
    assert second != first


def test_seeded_objects_match_the_documentation_exactly() -> None:
    listing = EXAMPLES[0]["response"]["workspaces"][0]
    types = EXAMPLES[1]["response"]
    with (
        serve_in_thread(EmulatorConfig()) as emulator,
        httpx.Client(base_url=emulator.base_url, headers=HEADERS, timeout=5) as client,
    ):
        workspaces = client.get("/workspaces", params={"includeEnvironmentAndProviders": "true"}).json()
        client_a = next(w for w in workspaces["workspaces"] if w["uuid"] == listing["uuid"])
        prod = next(e for e in client_a["environments"] if e["uuid"] == listing["environments"][0]["uuid"])
        assert {k: client_a[k] for k in ("name", "createdAt", "limitEnvironmentNumber")} == {
            k: listing[k] for k in ("name", "createdAt", "limitEnvironmentNumber")
        }
        assert prod == listing["environments"][0]
        azure = client.get(f"/providers/{prod['providers'][0]['uuid']}/instancesTypes").json()
        assert azure[:2] == types
        assert 10 <= len(azure) <= 25


def test_workspace_listing_without_flag_omits_environments() -> None:
    with (
        serve_in_thread(EmulatorConfig()) as emulator,
        httpx.Client(base_url=emulator.base_url, headers=HEADERS, timeout=5) as client,
    ):
        for params in ({}, {"includeEnvironmentAndProviders": "false"}):
            body = client.get("/workspaces", params=params).json()
            assert set(body) == {"globalLimitEnvironmentNumber", "totalAssociatedEnvironments", "workspaces"}
            assert all("environments" not in w for w in body["workspaces"])
            assert body["totalAssociatedEnvironments"] >= 2
