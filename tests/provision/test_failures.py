"""Issue 11, finding 6 (provisioner side): disk full while journalling and a key refused mid-run end
in one clear error that says what was done and how to resume; the journal keeps no torn line."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from costplan import journal as journal_module
from costplan.errors import ProvisioningError
from costplan.plans import Plan
from tests.provision.conftest import PROD, names, plan_dict


def test_disk_full_while_journalling_is_a_clear_error_with_the_resume_command(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = serve_emulator(provision_seconds=0.05)
    provisioner = provisioner_for(emulator.base_url, resume_hint="costplan provision plan.json --apply --yes")
    plan = Plan.from_dict(plan_dict())
    real_write, calls = os.write, []

    def write(fd: int, data: bytes) -> int:
        calls.append(fd)
        if len(calls) == 4:  # the 4th record: a torn half line, then the disk is full
            real_write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(journal_module.os, "write", write)
    with pytest.raises(ProvisioningError) as caught:
        provisioner.apply(plan, PROD)
    monkeypatch.undo()
    message = str(caught.value)
    assert (
        "No space left on device" in message and "resume with `costplan provision plan.json --apply --yes`" in message
    )
    assert "this run had already done: create pool cp-web" in message
    path = provisioner.journal_path(plan, PROD)
    raw = path.read_bytes()
    assert raw.endswith(b"\n") and all(json.loads(line) for line in raw.splitlines())  # no torn line
    assert provisioner.apply(plan, PROD).ok  # resumed
    assert names(provisioner.client) == {"cp-web": 1, "cp-db": 1}


class RefuseAfter(httpx.BaseTransport):
    """The real emulator over HTTP, but every POST after the first `allowed` is answered 401."""

    def __init__(self, allowed: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.allowed = allowed

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.allowed -= 1
            if self.allowed < 0:
                return httpx.Response(401, json={"message": "key revoked"})
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_a_key_refused_mid_run_says_what_was_created_and_closes_the_intent(
    serve_emulator: Callable[..., Any], provisioner_for: Callable[..., Any]
) -> None:
    emulator = serve_emulator(provision_seconds=0.05)
    provisioner = provisioner_for(emulator.base_url, transport=RefuseAfter(1), resume_hint="costplan provision p.json")
    plan = Plan.from_dict(plan_dict())
    with pytest.raises(ProvisioningError) as caught:
        provisioner.apply(plan, PROD)
    message = str(caught.value)
    assert "the API key was refused (401)" in message and "create pool cp-web (" in message
    assert "Fix the API key, then resume with `costplan provision p.json`" in message
    state = journal_module.JournalState.from_records(journal_module.read_journal(provisioner.journal_path(plan, PROD)))
    assert not state.in_doubt  # the refused create is closed as failed, not left open
