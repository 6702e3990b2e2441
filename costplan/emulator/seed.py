"""The state a fresh emulator starts from: the documentation's objects, and a few more.

Documented objects keep their exact uuids and names (workspace "Client A", environment
"Prod" with Azure, Google Cloud Platform and Scaleway). Everything else gets a uuid5
derived from its name, so two fresh emulators agree on every id.

Objects the documentation *creates* get its uuids too, so its curl commands work verbatim:
the first pool named ``vmAzure`` of type B2s on the documented Azure provider is
``27d6c053-…``, its first instance ``b727c4f2-…``; the first service ``myservice`` in Prod
is ``e07550ad-…``, with the documented port and load-balancer rule ids. "First" means once
per state: a documented id is never issued twice, even after the object is deleted.
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

B2S_TYPE_UUID = "cc6d622a-5144-11ed-84a1-1b508e278eb5"
DOCUMENTED_POOL_UUID = "27d6c053-5eab-4838-bd14-040ed5d617d9"
DOCUMENTED_SERVICE_UUID = "e07550ad-cce6-4aca-ad56-fa085f388c6f"
# What the documentation creates -> the uuid it shows for it (see documented_uuid).
DOCUMENTED_UUIDS: dict[tuple[str, ...], str] = {
    ("pool", AZURE_PROVIDER_UUID, B2S_TYPE_UUID, "vmAzure"): DOCUMENTED_POOL_UUID,
    ("instance", DOCUMENTED_POOL_UUID): "b727c4f2-8b2d-4234-ac66-992aeace0765",
    ("service", PROD_UUID, "myservice"): DOCUMENTED_SERVICE_UUID,
    ("port", DOCUMENTED_SERVICE_UUID, "80"): "564b6913-18bc-4e21-a193-bd00d697a270",
    ("rule", DOCUMENTED_SERVICE_UUID, "80", "443"): "f1c2b635-ed60-4890-8437-fa483f8f23b6",
}
ISSUED_KEY = "documentedUuidsIssued"


def documented_uuid(state: dict[str, Any], *key: str) -> str | None:
    """The documentation's uuid for the object ``key`` describes, the first time only."""
    uuid = DOCUMENTED_UUIDS.get(key)
    issued: list[str] = state.setdefault(ISSUED_KEY, [])
    if uuid is None or uuid in issued:
        return None
    issued.append(uuid)
    return uuid


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
        ISSUED_KEY: [],
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
