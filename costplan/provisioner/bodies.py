"""The documented request bodies for creating (and updating) pools and docker services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from costplan.models import InstancePool, ServiceSpec
from costplan.plans import PlannedPool
from costplan.provisioner.ownership import Owner
from costplan.provisioner.settings import PoolDefaults

DEFAULT_IMAGE = "nginx:latest"


def pool_body(
    pool: PlannedPool, defaults: PoolDefaults, existing: InstancePool | None = None, owner: Owner | None = None
) -> dict[str, Any]:
    """The documented create body; for a PUT the settings tuned on the existing pool are kept.

    With `owner`, the tags carry its marker (`ownership`).
    The whole body is sent on update too: whether the API's PUT accepts a partial body is unknown.
    """
    raw = existing.raw if existing is not None else {}

    def kept(key: str, default: Any) -> Any:
        return default if raw.get(key) is None else raw[key]

    return {
        "instanceTypeUuid": pool.instance_type_uuid,
        "name": pool.name,
        "tags": owner.pool_tags(pool.tags) if owner is not None else list(pool.tags),
        "volumeSize": kept("volumeSize", defaults.volume_size),
        "countMin": pool.count_min,
        "countMax": pool.count_max,
        "replaceInstanceDownMinutes": kept("replaceInstanceDownMinutes", defaults.replace_instance_down_minutes),
        "instanceUnusedMinutes": kept("instanceUnusedMinutes", defaults.instance_unused_minutes),
    }


def split_image(image: str) -> tuple[str, str]:
    """`repo/name:tag` -> (`repo/name`, `tag`); no tag means `latest` (a registry port is not a tag)."""
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        return image, "latest"
    return name, tag


def service_body(spec: ServiceSpec, pool_uuids: Iterable[str], owner: Owner | None = None) -> dict[str, Any]:
    """A docker service reserving the planned MHz / MB per replica, restricted to its plan pools.

    With `owner`, its marker is the environment variable `COSTPLAN_OWNER` (`ownership`).
    `cpuLimit` is sent as MHz per replica (the emulator's reading; the docs do not give its unit).
    """
    image, version = split_image(spec.image or DEFAULT_IMAGE)
    body: dict[str, Any] = {
        "name": spec.name,
        "dockerConfiguration": {"image": image, "imageVersion": version},
        "countMin": spec.count_min,
        "countMax": spec.count_max,
        "cpuLimit": spec.cpu_mhz,
        "memoryLimitMiB": spec.memory_mb,
        "constraints": {"instancePoolUuids": list(pool_uuids), "providerUuids": [], "tags": []},
    }
    if owner is not None:
        body["environmentVariables"] = owner.service_variables()
    return body
