"""The state a fresh emulator starts from: the documentation's objects, and a few more.

Documented objects keep their exact uuids and names (workspace "Client A", environment
"Prod" with Azure, Google Cloud Platform and Scaleway). Everything else gets a uuid5
derived from its name, so two fresh emulators agree on every id.
"""

from __future__ import annotations

import hashlib
from typing import Any

from costplan.emulator.catalogue import platform, stable_uuid, synthetic_key
from costplan.emulator.clock import parse_iso
from costplan.emulator.config import EmulatorConfig

STATE_VERSION = 1

CLIENT_A_UUID = "ada681e6-b50e-434b-a6cf-4e9b4db2019a"
CLIENT_A_CREATED = "2023-09-12T10:17:58.000Z"
PROD_UUID = "e7b73b16-7931-4878-944f-bdb97c5b1d85"
PROD_LB_DNS = "lb-02eae809.layerops.com"
AZURE_PROVIDER_UUID = "d57b214f-ec43-41b9-8cf1-71329349093b"
GCP_PROVIDER_UUID = "62ae1fd9-b355-4d3c-a05e-3a0e23497855"
SCALEWAY_PROVIDER_UUID = "8bd4754c-1392-4d79-b3d7-32eed491e90c"
STAGING_UUID = stable_uuid("environment", "Client A", "Staging")
BENCHMARK_WORKSPACE_UUID = stable_uuid("workspace", "Benchmark")
SYNTHETIC_ENV_UUID = stable_uuid("environment", "Benchmark", "Synthetic")

DEFAULT_LIMIT_ENVIRONMENT_NUMBER = 4


def lb_dns(environment_uuid: str) -> str:
    """A stable load-balancer host name for an environment."""
    if environment_uuid == PROD_UUID:
        return PROD_LB_DNS
    return f"lb-{hashlib.sha256(environment_uuid.encode()).hexdigest()[:8]}.layerops.com"


def workspace_record(uuid: str, name: str, created: float, limit: int) -> dict[str, Any]:
    """A stored workspace."""
    return {"uuid": uuid, "name": name, "createdAt": created, "limitEnvironmentNumber": limit, "deletedAt": None}


def environment_record(uuid: str, name: str, workspace_uuid: str, created: float) -> dict[str, Any]:
    """A stored environment."""
    return {
        "uuid": uuid,
        "name": name,
        "workspaceUuid": workspace_uuid,
        "createdAt": created,
        "deletedAt": None,
        "lbDns": lb_dns(uuid),
    }


def provider_record(uuid: str, catalogue_key: str, environment_uuid: str) -> dict[str, Any]:
    """A stored provider: display fields come from its platform."""
    plat = platform(catalogue_key)
    return {
        "uuid": uuid,
        "platformName": plat.platform_name,
        "platformIcon": plat.platform_icon,
        "regionName": plat.region_name,
        "environmentUuid": environment_uuid,
        "catalogue": catalogue_key,
    }


def initial_state(config: EmulatorConfig) -> dict[str, Any]:
    """The seeded state for ``config`` (extra synthetic providers included)."""
    created = parse_iso(CLIENT_A_CREATED)
    state: dict[str, Any] = {
        "version": STATE_VERSION,
        "workspaces": {},
        "environments": {},
        "providers": {},
        "pools": {},
        "instances": {},
        "services": {},
        "allocations": {},
        "placement": {},
        "events": [],
    }
    state["workspaces"][CLIENT_A_UUID] = workspace_record(
        CLIENT_A_UUID, "Client A", created, DEFAULT_LIMIT_ENVIRONMENT_NUMBER
    )
    environments = [
        (
            PROD_UUID,
            "Prod",
            [(AZURE_PROVIDER_UUID, "azure"), (GCP_PROVIDER_UUID, "gcp"), (SCALEWAY_PROVIDER_UUID, "scaleway")],
        ),
        (
            STAGING_UUID,
            "Staging",
            [(stable_uuid("provider", "Staging", key), key) for key in ("aws", "outscale", "exoscale")],
        ),
    ]
    for offset, (env_uuid, name, providers) in enumerate(environments):
        state["environments"][env_uuid] = environment_record(env_uuid, name, CLIENT_A_UUID, created + 60 * (offset + 1))
        for provider_uuid, key in providers:
            state["providers"][provider_uuid] = provider_record(provider_uuid, key, env_uuid)
    if config.extra_providers:
        state["workspaces"][BENCHMARK_WORKSPACE_UUID] = workspace_record(
            BENCHMARK_WORKSPACE_UUID, "Benchmark", created + 3600, 1
        )
        state["environments"][SYNTHETIC_ENV_UUID] = environment_record(
            SYNTHETIC_ENV_UUID, "Synthetic", BENCHMARK_WORKSPACE_UUID, created + 3660
        )
        for index in range(1, config.extra_providers + 1):
            key = synthetic_key(index, config.extra_types_per_provider)
            provider_uuid = stable_uuid("provider", "Synthetic", index)
            state["providers"][provider_uuid] = provider_record(provider_uuid, key, SYNTHETIC_ENV_UUID)
    return state
