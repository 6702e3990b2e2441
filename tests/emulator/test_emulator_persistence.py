"""A state file shared by two apps (and by two processes) tells one consistent story."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from emulator_support import (
    AZURE,
    B2S,
    EXAMPLE_SECRET,
    PROD,
    Serve,
    create_pool,
    create_service,
    pool_status,
    service_status,
)

from costplan.emulator import EmulatorConfig, ManualClock, create_app

REPO = Path(__file__).resolve().parents[2]


def test_two_servers_share_one_state_file(serve: Serve, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    clock = ManualClock()
    _, first = serve(state_file=state, clock=clock, provision_seconds=5)
    _, second = serve(state_file=state, clock=clock, provision_seconds=5)
    pool = create_pool(first)
    assert second.get(f"/instancePools/{pool}").json()["name"] == "vmAzure"
    assert pool_status(second, pool)["status"] == "PENDING"
    clock.advance(5)
    service = create_service(second)
    assert service_status(first, service)["status"] == "DONE"
    assert pool_status(first, pool)["totalReservedCpuMhz"] == 778
    first.delete(f"/services/{service}")
    assert second.get(f"/environments/{PROD}/services").json() == []
    events = second.get(f"/instancePools/{pool}/events").json()
    assert [e["type"] for e in events].count("INSTANCE_POOL_READY") == 1


def test_state_survives_a_restart_and_is_valid_json(serve: Serve, tmp_path: Path) -> None:
    state = tmp_path / "nested" / "state.json"
    _, client = serve(state_file=state)
    pool = create_pool(client)
    document = json.loads(state.read_text())
    assert pool in document["pools"] and document["version"] == 1
    assert not [p for p in state.parent.iterdir() if p.name.endswith(".tmp")]
    _, restarted = serve(state_file=state)
    assert restarted.get(f"/instancePools/{pool}/status").json()["status"] == "DONE"
    assert restarted.get(f"/environments/{PROD}/instancePools").json()[0]["uuid"] == pool


def test_separate_processes_share_state(tmp_path: Path) -> None:
    """Two sequential interpreter runs, as two CLI invocations would be."""
    state = tmp_path / "state.json"
    script = """
import json, sys, httpx
from costplan.emulator import EmulatorConfig, serve_in_thread
with serve_in_thread(EmulatorConfig(state_file=sys.argv[1], provision_seconds=0)) as emulator:
    client = httpx.Client(base_url=emulator.base_url,
                          headers={"X-API-KEY": "LYPFNN8BTS9GBQFRIXCHGWJXU:" + sys.argv[2]})
    if sys.argv[3] == "create":
        body = {"instanceTypeUuid": sys.argv[5], "name": "from-process", "countMin": 2, "countMax": 3}
        print(client.post("/providers/" + sys.argv[4] + "/instancePools", json=body).json()["uuid"])
    else:
        print(json.dumps(client.get("/instancePools/" + sys.argv[3] + "/status?includeMetrics=true").json()))
    client.close()
"""
    run = [sys.executable, "-c", script, str(state), EXAMPLE_SECRET]
    created = subprocess.run(run + ["create", AZURE, B2S], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert created.returncode == 0, created.stderr
    pool = created.stdout.strip()
    read = subprocess.run(run + [pool], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert read.returncode == 0, read.stderr
    status = json.loads(read.stdout)
    assert (status["status"], status["countRunning"], status["totalCpuMhz"]) == ("DONE", 2, 2 * 5586)


def test_unsupported_state_version_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"version": 99}))
    with pytest.raises(ValueError, match="version"):
        create_app(EmulatorConfig(state_file=state))
