"""Demand read from a live environment: what its services reserve now, per replica.

The planner's other input, a services spec file, is read by `costplan.demand`; this module
is the API-backed twin, so the planner never talks to the API itself.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from costplan.errors import InputError
from costplan.models import ServiceSpec

if TYPE_CHECKING:
    from costplan.api import Client


def services_from_environment(client: Client, environment_uuid: str) -> list[ServiceSpec]:
    """One ServiceSpec per running service; reservation per replica = reserved totals / count.

    A service with no replicas reports no reservation, so its request is taken from
    `cpuLimit` / `memoryLimitMiB` when present; a service with neither cannot be planned
    and is named in the error.
    """
    environment = client.get_environment(environment_uuid)
    provider_names = {p.uuid: p.platform_name for p in environment.providers}
    specs: list[ServiceSpec] = []
    for service in client.list_services(environment_uuid):
        status = client.get_service_status(service.uuid, include_instances_distribution=False)
        if status.count > 0 and status.total_reserved_cpu_mhz > 0:
            cpu = math.ceil(status.total_reserved_cpu_mhz / status.count)
            memory = math.ceil(status.total_reserved_memory_mb / status.count)
        elif service.cpu_limit and service.memory_limit_mib:
            cpu, memory = math.ceil(service.cpu_limit), math.ceil(service.memory_limit_mib)
        else:
            raise InputError(
                f"service {service.name!r} in environment {environment_uuid} runs no replica and "
                "declares no cpuLimit/memoryLimitMiB, so its reservation is unknown"
            )
        constraints = service.raw.get("constraints") or {}
        count_min = service.count_min if service.count_min is not None else status.count
        count_max = max(service.count_max if service.count_max is not None else count_min, count_min)
        specs.append(
            ServiceSpec(
                name=service.name,
                count_min=count_min,
                count_max=count_max,
                cpu_mhz=cpu,
                memory_mb=memory,
                providers=tuple(provider_names.get(uuid, uuid) for uuid in constraints.get("providerUuids") or ()),
                tags=tuple(constraints.get("tags") or ()),
                image=(service.raw.get("dockerConfiguration") or {}).get("image"),
            )
        )
    return specs
