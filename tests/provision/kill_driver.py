"""Applies a plan and SIGKILLs itself at the KILL_AT-th request, before sending it or once its answer arrived.

Run as a script by tests/provision/test_kill_resume.py and benchmarks/provision_reliability.py:
    python kill_driver.py BASE_URL PLAN JOURNAL_DIR KILL_AT before|after SERVICES(0|1)
                          [HTTP_TIMEOUT [RECONCILE_DELAYS [WAIT_TIMEOUT]]]
The API key comes from LAYEROPS_API_KEY and the environment uuid from PLAN_ENVIRONMENT.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from typing import Any

import httpx

from costplan.api import Client
from costplan.plans import Plan
from costplan.provisioner import Provisioner
from costplan.retry import RetryPolicy
from costplan.waiter import WaiterConfig


class KillingTransport(httpx.HTTPTransport):
    """Counts requests and kills the process at the chosen one."""

    def __init__(self, kill_at: int, when: str) -> None:
        super().__init__()
        self.kill_at, self.when, self.sent = kill_at, when, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.sent == self.kill_at and self.when == "before":
            os.kill(os.getpid(), signal.SIGKILL)
        response = super().handle_request(request)
        if self.sent == self.kill_at and self.when == "after":
            response.read()
            os.kill(os.getpid(), signal.SIGKILL)
        return response


def main(argv: list[str]) -> int:
    base_url, plan_path, journal_dir, kill_at, when, services = argv[:6]
    http_timeout = float(argv[6]) if len(argv) > 6 else 10.0
    reconcile_delays = tuple(float(d) for d in argv[7].split(",")) if len(argv) > 7 else (0.05,)
    wait_timeout = float(argv[8]) if len(argv) > 8 else 30.0
    transport = KillingTransport(int(kill_at), when)
    http = httpx.Client(
        base_url=base_url,
        headers={"x-api-key": os.environ["LAYEROPS_API_KEY"]},
        transport=transport,
        timeout=http_timeout,
    )
    client = Client(http, retry=RetryPolicy(max_retries=4, backoff_base=0.01, backoff_max=0.05))
    provisioner = Provisioner(
        client,
        journal_dir=journal_dir,
        reconcile_delays=reconcile_delays,
        wait=WaiterConfig(delay=0.02, max_delay=0.05, timeout=wait_timeout),
    )
    result: Any = provisioner.apply(Plan.load(plan_path), os.environ["PLAN_ENVIRONMENT"], with_services=services == "1")
    print(json.dumps({"ok": result.ok, "requests": transport.sent}))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
