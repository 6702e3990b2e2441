"""How pool and service statuses read: failed, ready, gone; and the waiters' acceptors built on that.

The API documents only `DONE`; every other status string is waited on, never crashed on.
"""

from __future__ import annotations

from typing import Any

from costplan.errors import NotFoundError
from costplan.models import PoolStatus, ServiceStatus
from costplan.waiter import FAILURE, SUCCESS, Acceptor

DELETED = "DELETED"
# Not documented, but unambiguous whatever else the API says.
FAILED_STATUSES = frozenset({"ERROR", "FAILED", "FAILURE"})


def pool_failed(status: PoolStatus) -> bool:
    """An error reported, a failed status, or DONE without success: the provider gave up on it."""
    return (
        status.is_failed or status.status.upper() in FAILED_STATUSES or (status.status == "DONE" and not status.success)
    )


def counts_known(status: PoolStatus) -> bool:
    """Whether the answer carries instance counts: the documented DONE answer to
    `includeMetrics=false` has countRunning and every total at 0 although count is 1, so
    zeros there may mean "not measured" rather than "nothing running"."""
    cpu = status.total_cpu_mhz or status.total_reserved_cpu_mhz
    memory = status.total_memory_mb or status.total_reserved_memory_mb
    return status.count_running > 0 or bool(cpu or memory)


def pool_ready(status: PoolStatus) -> bool:
    """DONE with success; and every desired instance running, when the answer says how many run."""
    return status.is_done and (status.count_running >= status.count or not counts_known(status))


def service_failed(status: ServiceStatus) -> bool:
    return status.placement_failure or bool(status.error_type)


def service_ready(status: ServiceStatus) -> bool:
    """DONE, no placement failure, and every desired replica running."""
    return status.is_done and status.count_running >= status.count


def gone(status: PoolStatus | ServiceStatus) -> bool:
    return bool(status.raw.get("deletedAt")) or status.status == DELETED


def failure_text(status: PoolStatus | ServiceStatus) -> str:
    """`errorType/errorCode: errorMessage`, or the exhausted dimension of a placement failure."""
    if isinstance(status, ServiceStatus) and status.placement_failure:
        head = f"placement failed, dimension exhausted: {status.dimension_exhausted or 'not stated'}"
        return f"{head} ({status.error_message})" if status.error_message else head
    code = status.error_code if isinstance(status, PoolStatus) else None
    kind = "/".join(str(x) for x in (status.error_type, code) if x) or status.status or "failed"
    return f"{kind}: {status.error_message}" if status.error_message else kind


def status_text(status: Any) -> str:
    """`DONE 2/2`, `ERROR 0/3 (QUOTA_EXCEEDED)`: state and running/desired instances or replicas."""
    if not isinstance(status, PoolStatus | ServiceStatus):
        return ""
    text = f"{status.status or '?'} {status.count_running}/{status.count}"
    code = (status.error_code if isinstance(status, PoolStatus) else None) or status.error_type
    return f"{text} ({code})" if code else text


def _missing(error: Any) -> bool:
    return isinstance(error, NotFoundError)


POOL_READY = (
    Acceptor(FAILURE, pool_failed, reason=failure_text),
    Acceptor(FAILURE, gone, reason="the pool was deleted while being waited for"),
    Acceptor(SUCCESS, pool_ready),
    Acceptor(FAILURE, _missing, reason="the pool no longer exists", on_error=True),
)
SERVICE_READY = (
    Acceptor(FAILURE, service_failed, reason=failure_text),
    Acceptor(FAILURE, gone, reason="the service was deleted while being waited for"),
    Acceptor(SUCCESS, service_ready),
    Acceptor(FAILURE, _missing, reason="the service no longer exists", on_error=True),
)
GONE = (
    Acceptor(SUCCESS, gone),
    Acceptor(SUCCESS, _missing, on_error=True),
)
