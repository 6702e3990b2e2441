"""The client against the emulator over a real loopback socket: every method, happy and error
paths, and the faults the retry rules exist for (429, 503, a POST whose answer is lost).

Uses the documentation's example key, which the emulator accepts by default.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest

from costplan.api import Client
from costplan.config import Secret, Settings
from costplan.errors import (
    ApiStatusError,
    ApiTransportError,
    AuthenticationError,
    NotFoundError,
)

WORKSPACE = "ada681e6-b50e-434b-a6cf-4e9b4db2019a"
PROD = "e7b73b16-7931-4878-944f-bdb97c5b1d85"
AZURE = "d57b214f-ec43-41b9-8cf1-71329349093b"
B2S = "cc6d622a-5144-11ed-84a1-1b508e278eb5"
POOL_BODY = {
    "instanceTypeUuid": B2S,
    "name": "vmAzure",
    "tags": ["backend"],
    "volumeSize": 0,
    "countMin": 1,
    "countMax": 10,
    "replaceInstanceDownMinutes": 5,
    "instanceUnusedMinutes": 10,
}
SERVICE_BODY = {
    "dockerConfiguration": {"image": "nginx", "imageVersion": "latest"},
    "name": "myservice",
    "countMin": 1,
    "countMax": 1,
    "ports": [
        {
            "healthCheckType": "HTTP",
            "healthCheckMethod": "GET",
            "listeningPort": 80,
            "loadBalancerRules": [{"publicPort": 443}],
            "healthCheckEnabled": True,
            "healthCheckTimeoutSeconds": 30,
            "healthCheckPath": "/",
            "healthCheckIntervalSeconds": 60,
        }
    ],
}


@pytest.fixture
def connect(serve_emulator, example_key, sleeps):
    """`connect(key=..., timeout=..., max_retries=..., **emulator_config)`: a Client on a fresh emulator."""
    clients: list[Client] = []

    def make(*, key: str = example_key, timeout: float = 10.0, max_retries: int = 3, **config: Any) -> Client:
        emulator = serve_emulator(provision_seconds=0, **config)
        settings = Settings(api_url=emulator.base_url, api_key=Secret(key), timeout=timeout, max_retries=max_retries)
        client = Client.from_settings(settings, sleep=sleeps.append)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_every_method_round_trips(connect):
    client = connect()

    (workspace,) = [w for w in client.list_workspaces() if w.uuid == WORKSPACE]
    assert [p.uuid for e in workspace.environments if e.uuid == PROD for p in e.providers][0] == AZURE
    assert PROD in {e.uuid for e in client.list_environments(WORKSPACE)}
    assert client.get_environment(PROD).name == "Prod"
    assert B2S in {t.uuid for t in client.list_instance_types(AZURE)}

    ref = client.create_instance_pool(AZURE, POOL_BODY)
    assert ref.name == "vmAzure"
    assert client.get_instance_pool(ref.uuid).count_max == 10
    assert ref.uuid in {p.uuid for p in client.list_instance_pools(PROD)}
    assert client.get_instance_pool_status(ref.uuid, include_instances_distribution=True).is_done
    updated = client.update_instance_pool(ref.uuid, {**POOL_BODY, "countMax": 3})
    assert updated is None or updated.count_max == 3
    assert client.get_instance_pool(ref.uuid).count_max == 3

    service = client.create_docker_service(PROD, SERVICE_BODY)
    assert client.get_service(service.uuid).name == "myservice"
    assert service.uuid in {s.uuid for s in client.list_services(PROD)}
    client.update_service(service.uuid, {"countMin": 1, "countMax": 2})
    assert client.get_service(service.uuid).count_max == 2
    status = client.get_service_status(service.uuid)
    assert status.is_done and status.instances and status.instances[0].instance_pool_uuid == ref.uuid

    assert client.list_events("instancePools", ref.uuid)
    assert client.list_events("services", service.uuid)
    assert client.list_events("environments", PROD)

    assert client.delete_service(service.uuid) is None
    assert client.delete_instance_pool(ref.uuid) is None
    staging = next(e.uuid for e in workspace.environments if e.uuid != PROD)
    assert client.delete_environment(staging) is None


def test_workspaces_environments_and_generic_services_round_trip(connect):
    client = connect()

    workspace = client.create_workspace({"name": "Client B"})
    assert workspace.name == "Client B" and workspace.uuid in {w.uuid for w in client.list_workspaces()}
    environment = client.create_environment(workspace.uuid, {"name": "Dev", "platformNames": ["Azure"]})
    assert [e.uuid for e in client.list_environments(workspace.uuid)] == [environment.uuid]
    (provider,) = client.get_environment(environment.uuid).providers
    pool = client.create_instance_pool(provider.uuid, POOL_BODY)
    service = client.create_service(environment.uuid, {**SERVICE_BODY, "name": "generic"})
    assert client.get_service(service.uuid).name == "generic"
    assert client.get_service_status(service.uuid).instances[0].instance_pool_uuid == pool.uuid
    with pytest.raises(ApiStatusError) as caught:
        client.create_service(environment.uuid, {"name": "no-image"})
    assert caught.value.status_code == 400 and "dockerConfiguration is required" in caught.value.server_message
    with pytest.raises(ApiStatusError) as caught:
        client.delete_workspace(workspace.uuid)
    assert caught.value.status_code == 409  # it still has an environment
    client.delete_environment(environment.uuid)
    assert client.delete_workspace(workspace.uuid) is None
    assert workspace.uuid not in {w.uuid for w in client.list_workspaces()}
    with pytest.raises(NotFoundError):
        client.delete_workspace(workspace.uuid)


def test_every_violation_reaches_the_error_message(connect):
    client = connect()

    with pytest.raises(ApiStatusError) as caught:
        client.create_instance_pool(AZURE, {"name": "", "countMin": "one"})
    message = caught.value.server_message
    for field in ("instanceTypeUuid is required", "countMax is required", "name must", "countMin must"):
        assert field in message and field in str(caught.value)


def test_a_wrong_key_is_refused_with_a_helpful_401(connect, example_key):
    wrong = "LYPWRONGKEY0000000000000:00000000-0000-0000-0000-000000000000"
    client = connect(key=wrong)

    with pytest.raises(AuthenticationError) as caught:
        client.list_workspaces()

    exc = caught.value
    assert exc.status_code == 401 and exc.attempts == 1
    assert "check LAYEROPS_API_KEY or --api-key-file" in str(exc)
    assert wrong.split(":")[1] not in "".join(traceback.format_exception(exc)) + repr(exc)


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (lambda c: c.get_instance_pool("no-such-pool"), "/instancePools/no-such-pool"),
        (lambda c: c.get_instance_pool_status("no-such-pool"), "/instancePools/no-such-pool/status"),
        (lambda c: c.get_service("no-such-service"), "/services/no-such-service"),
        (lambda c: c.get_service_status("no-such-service"), "/services/no-such-service/status"),
        (lambda c: c.get_environment("no-such-env"), "/environments/no-such-env"),
        (lambda c: c.list_instance_types("no-such-provider"), "/providers/no-such-provider/instancesTypes"),
        (lambda c: c.delete_instance_pool("no-such-pool"), "/instancePools/no-such-pool"),
        (lambda c: c.update_service("no-such-service", {"countMin": 1}), "/services/no-such-service"),
    ],
)
def test_unknown_ids_are_404s_naming_the_path(connect, call, path):
    with pytest.raises(NotFoundError) as caught:
        call(connect())

    assert caught.value.path == path and path in str(caught.value)
    assert caught.value.attempts == 1


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda c: c.create_instance_pool(AZURE, {**POOL_BODY, "instanceTypeUuid": None}),
            "instanceTypeUuid",
        ),
        (lambda c: c.create_instance_pool(AZURE, {**POOL_BODY, "countMin": "one"}), "countMin"),
        (lambda c: c.create_instance_pool(AZURE, {**POOL_BODY, "countMin": 5, "countMax": 2}), "countMin"),
        (lambda c: c.create_docker_service(PROD, {**SERVICE_BODY, "dockerConfiguration": {}}), "image"),
    ],
)
def test_an_invalid_body_is_a_400_naming_the_field(connect, call, field):
    with pytest.raises(ApiStatusError) as caught:
        call(connect())

    exc = caught.value
    assert exc.status_code == 400 and field in exc.server_message and field in str(exc)
    assert exc.attempts == 1 and exc.outcome_unknown is False


def test_rate_limits_are_waited_out_as_the_server_asks(connect, sleeps):
    client = connect(rate_limit_every=2, retry_after_seconds=3)

    for _ in range(3):
        assert client.list_instance_types(AZURE)

    assert sleeps and set(sleeps) == {3.0}


def test_an_unavailable_server_is_retried_then_reported(connect, sleeps):
    client = connect(error_rate=1.0, error_statuses=(503,), retry_after_seconds=2, max_retries=2)

    with pytest.raises(ApiStatusError) as caught:
        client.list_workspaces()

    assert caught.value.status_code == 503 and caught.value.attempts == 3
    assert "after 3 attempts: Injected fault" in str(caught.value)
    assert sleeps == [2.0, 2.0]


def test_a_post_whose_answer_is_lost_is_not_repeated_and_can_be_reconciled(connect, sleeps):
    client = connect(post_commit_fault_rate=1.0, post_commit_fault_kind="502", fault_methods=("POST",))

    with pytest.raises(ApiStatusError) as caught:
        client.create_instance_pool(AZURE, POOL_BODY)

    assert caught.value.status_code == 502 and caught.value.outcome_unknown is True
    assert caught.value.attempts == 1 and sleeps == []
    # The provisioner's way out: look before creating again. Exactly one pool was made.
    assert [p.name for p in client.list_instance_pools(PROD)].count("vmAzure") == 1


def test_a_post_that_times_out_is_not_repeated(connect, sleeps):
    client = connect(
        timeout=0.3, post_commit_fault_rate=1.0, post_commit_fault_kind="hang", hang_seconds=1.0,
        fault_methods=("POST",),
    )  # fmt: skip

    with pytest.raises(ApiTransportError) as caught:
        client.create_instance_pool(AZURE, POOL_BODY)

    assert caught.value.timeout and caught.value.outcome_unknown and caught.value.attempts == 1
    assert sleeps == []


def test_the_key_stays_out_of_logs_over_a_real_socket(connect, example_key, caplog):
    client = connect(error_rate=1.0, error_statuses=(502,), max_retries=1)

    with caplog.at_level(logging.DEBUG):
        with pytest.raises(ApiStatusError):
            client.list_workspaces()

    assert any(r.name.startswith(("httpx", "httpcore")) for r in caplog.records)  # logs were captured
    assert example_key.split(":")[1] not in caplog.text


def test_the_client_fans_out_on_threads_over_the_emulator(serve_emulator, example_key):
    from concurrent.futures import ThreadPoolExecutor

    emulator = serve_emulator(provision_seconds=0)
    settings = Settings(api_url=emulator.base_url, api_key=Secret(example_key))
    with Client.from_settings(settings) as client, ThreadPoolExecutor(8) as pool:
        workspaces = client.list_workspaces()
        providers = sorted({p.uuid for w in workspaces for e in w.environments for p in e.providers})
        counts = dict(zip(providers, (len(t) for t in pool.map(client.list_instance_types, providers)), strict=True))
        created = client.create_instance_pool(AZURE, POOL_BODY)
        assert client.get_instance_pool_status(created.uuid).is_done
    assert len(counts) >= 6 and all(n > 0 for n in counts.values())
