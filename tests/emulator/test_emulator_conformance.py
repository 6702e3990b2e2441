"""Each documented request, sent over a real socket, answers in the documented shape."""

from __future__ import annotations

import json
from typing import Any

import httpx
from emulator_support import HEADERS

from costplan.emulator import EmulatorConfig, serve_in_thread
from tests.conftest import API_EXAMPLES_FILE

EXAMPLES = json.loads(API_EXAMPLES_FILE.read_text())["examples"]
DOC_POOL = "27d6c053-5eab-4838-bd14-040ed5d617d9"
DOC_SERVICE = "e07550ad-cce6-4aca-ad56-fa085f388c6f"
# Keys the emulator adds on purpose (the brief asks for errorMessage on pool status).
EXTRA_KEYS = {"pool_status": {"$": {"errorMessage"}}}
# Instance types may carry their currency and a price note (the documented rows stay verbatim).
OPTIONAL_KEYS = {"list_instance_types": {"$[]": {"currency", "priceNote"}}}


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


def test_documented_requests_answer_in_documented_shapes() -> None:
    ids: dict[str, str] = {}
    with (
        serve_in_thread(EmulatorConfig(provision_seconds=0)) as emulator,
        httpx.Client(base_url=emulator.base_url, timeout=5) as client,
    ):
        for example in EXAMPLES:
            path = example["path"].replace(DOC_POOL, ids.get("pool", DOC_POOL))
            path = path.replace(DOC_SERVICE, ids.get("service", DOC_SERVICE))
            headers = {"accept": "application/json", **HEADERS}
            response = client.request(example["method"], path, headers=headers, json=example.get("body"))
            assert response.status_code in (200, 201), (example["name"], response.text)
            assert response.headers["content-type"].startswith("application/json")
            body = response.json()
            name = example["name"]
            assert_same_shape(body, example["response"], extra=EXTRA_KEYS.get(name), optional=OPTIONAL_KEYS.get(name))
            if example["name"] == "create_pool":
                ids["pool"] = body["uuid"]
                assert body["name"] == "vmAzure"
            if example["name"] == "create_service":
                ids["service"] = body["uuid"]
                rule = body["ports"][0]["loadBalancerRules"][0]
                assert rule["domain"] == f"myservice-80-{body['uuid'][:8]}.e7b73b16.env.layerops.com"
                assert body["environmentLbDns"] == example["response"]["environmentLbDns"]
            if example["name"] == "service_status":
                # Same numbers as the documented B2s node with one default service.
                documented = example["response"]
                for key in (
                    "status",
                    "success",
                    "count",
                    "countRunning",
                    "totalReservedCpuMhz",
                    "totalReservedMemoryMB",
                    "placementFailure",
                    "runningSuccess",
                ):
                    assert body[key] == documented[key], key
                node, doc_node = body["instances"][0], documented["instances"][0]
                for key in (
                    "totalCpuMhz",
                    "totalMemoryMB",
                    "totalReservedCpuMhz",
                    "totalReservedMemoryMB",
                    "serviceCount",
                    "isRunning",
                    "provider",
                ):
                    assert node[key] == doc_node[key], key
                assert node["instancePoolUuid"] == ids["pool"]
    assert set(ids) == {"pool", "service"}


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
