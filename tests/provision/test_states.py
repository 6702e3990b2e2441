"""Pool readiness from what an answer says for sure: status and success, counts only when carried."""

from __future__ import annotations

from typing import Any

import pytest

from costplan.models import PoolStatus
from costplan.provisioner import states
from costplan.waiter import FAILURE, RETRY, SUCCESS, Waiter
from tests.conftest import documented_response


def status(**changes: Any) -> PoolStatus:
    """The documented pool status (DONE, count 1, countRunning 0, totals 0), with changes."""
    return PoolStatus.from_json({**documented_response("pool_status"), **changes})


RUNNING_TOTALS = {"totalCpuMhz": 5586, "totalMemoryMB": 3903, "totalReservedCpuMhz": 650}


@pytest.mark.parametrize(
    "changes,expected",
    [
        ({}, SUCCESS),  # the documented answer: zeros are "not measured", DONE and success decide
        ({"count": 2, "countRunning": 2, **RUNNING_TOTALS}, SUCCESS),
        ({"count": 3, "countRunning": 1, **RUNNING_TOTALS}, RETRY),  # counts carried: wait for all
        ({"count": 2, "countRunning": 0, "totalReservedMemoryMB": 728}, RETRY),  # a total alone carries counts
        ({"status": "PROVISIONING", "success": False}, RETRY),
        ({"status": "DONE", "success": False}, FAILURE),
        ({"status": "ERROR", "success": False, "errorType": "PROVISIONING"}, FAILURE),
    ],
)
def test_pool_readiness_trusts_counts_only_when_the_answer_carries_them(changes: dict[str, Any], expected: str) -> None:
    assert Waiter("pool ready", states.POOL_READY).classify(status(**changes))[0] == expected


def test_counts_are_known_when_anything_is_measured() -> None:
    assert not states.counts_known(status())
    assert states.counts_known(status(countRunning=1))
    assert states.counts_known(status(totalMemoryMB=1))
