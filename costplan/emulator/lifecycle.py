"""Pure rules derived from stored state and "now": pool phases, capacity, eligibility.

Nothing here is stored: a pool's status is computed from its timestamps each time it is
read, so a pool created by one process is DONE for every process once its time has come.

Pool status strings: ``PENDING`` (first third of ``provision_seconds``), ``PROVISIONING``
(until every desired instance is up, also after a scale-up), ``DONE``, ``ERROR``
(provisioning failed: ``errorType``/``errorCode``/``errorMessage`` set), ``DELETED``.
Under ``done_reading="early"`` a pool that will not fail is ``DONE`` from its creation on,
while its instances still boot (after a scale-up too); one that will fail goes as above.
"""

from __future__ import annotations

import random
from typing import Any

from costplan.emulator import catalogue
from costplan.emulator.config import EARLY_READING, EmulatorConfig

PENDING = "PENDING"
PROVISIONING = "PROVISIONING"
DONE = "DONE"
ERROR = "ERROR"
DELETED = "DELETED"

PROVISIONING_ERROR_TYPE = "PROVISIONING"
QUOTA_EXCEEDED = "QUOTA_EXCEEDED"


def instance_type_of(state: dict[str, Any], pool: dict[str, Any]) -> dict[str, Any]:
    """The catalogue row a pool was created with."""
    provider = state["providers"][pool["providerUuid"]]
    row = catalogue.find_type(provider["catalogue"], pool["instanceTypeUuid"])
    if row is None:
        raise KeyError(f"instance type {pool['instanceTypeUuid']} vanished from the catalogue")
    return row


def node_capacity(config: EmulatorConfig, row: dict[str, Any]) -> tuple[int, int]:
    """(MHz, MB) a node of this type offers, calibrated on the documented B2s node."""
    cpu = int(row["vCPUs"]) * config.mhz_per_vcpu
    memory = int(round(float(row["memory"]) * 1024)) - config.hidden_memory_mb
    return cpu, max(memory, 0)


def instance_running(instance: dict[str, Any], now: float) -> bool:
    """An instance is up once its ``readyAt`` has passed."""
    return bool(instance["readyAt"] <= now)


def pool_phase(pool: dict[str, Any], instances: list[dict[str, Any]], now: float, config: EmulatorConfig) -> str:
    """The pool's status string at ``now``."""
    if pool["deletedAt"] is not None:
        return DELETED
    if config.done_reading == EARLY_READING and pool["failure"] is None:
        return DONE
    if now >= pool["readyAt"]:
        if pool["failure"] is not None:
            return ERROR
        if all(instance_running(i, now) for i in instances):
            return DONE
        return PROVISIONING
    if now < pool["createdAt"] + config.provision_seconds / 3:
        return PENDING
    return PROVISIONING


def decide_failure(
    config: EmulatorConfig, name: str, platform_name: str, region: str, type_name: str, count: int
) -> dict[str, Any] | None:
    """Whether a new pool will fail, decided once at creation and stored.

    Name substrings in ``fail_pools`` always fail; ``fail_pool_rate`` fails a seeded,
    name-determined fraction (same name + seed, same fate, in every process).
    """
    doomed = any(part and part in name for part in config.fail_pools)
    if not doomed and config.fail_pool_rate > 0:
        doomed = random.Random(f"{config.fail_seed}:{name}").random() < config.fail_pool_rate
    if not doomed:
        return None
    return {
        "errorType": PROVISIONING_ERROR_TYPE,
        "errorCode": QUOTA_EXCEEDED,
        "errorMessage": (
            f"{platform_name} refused to create {count} x {type_name} in {region}: "
            "vCPU quota exceeded for this subscription"
        ),
    }


def pool_accepts(service: dict[str, Any], pool: dict[str, Any]) -> bool:
    """Whether ``service``'s constraints let it run on ``pool``'s instances.

    Same environment; when given, the pool's uuid and provider must be listed, and the
    pool must carry every constraint tag (each constraint must hold, as in Nomad).
    """
    if pool["environmentUuid"] != service["environmentUuid"] or pool["deletedAt"] is not None:
        return False
    constraints = service["constraints"]
    if constraints["instancePoolUuids"] and pool["uuid"] not in constraints["instancePoolUuids"]:
        return False
    if constraints["providerUuids"] and pool["providerUuid"] not in constraints["providerUuids"]:
        return False
    return set(constraints["tags"]) <= set(pool["tags"])
