"""Killed (SIGKILL) or interrupted (Ctrl-C) applies, then re-run: the end state is a clean apply's, never more.

The child processes talk to an emulator served by this test process over loopback, so the
server (and its state) survives every kill.
"""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from costplan.journal import read_journal
from tests.conftest import EXAMPLE_KEY
from tests.provision.conftest import B1S, PROD, make_client, names, plan_dict, pool_dict, service_dict

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL/SIGINT semantics are POSIX")

DRIVER = str(Path(__file__).with_name("kill_driver.py"))


def child_env(tmp_path: Path) -> dict[str, str]:
    env = dict(
        os.environ, LAYEROPS_API_KEY=EXAMPLE_KEY, PLAN_ENVIRONMENT=PROD, COSTPLAN_DATA_DIR=str(tmp_path / "data")
    )
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def drive(
    base_url: str,
    plan: Path,
    journals: Path,
    env: dict[str, str],
    kill_at: int = 0,
    when: str = "never",
    services: bool = True,
) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, DRIVER, base_url, str(plan), str(journals), str(kill_at), when, str(int(services))]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)


def fingerprint(base_url: str) -> list[tuple[Any, ...]]:
    """What a clean apply leaves: pools (type, counts, tags, state) and services (pools, replicas), by name."""
    with make_client(base_url) as client:
        pools = client.list_instance_pools(PROD)
        by_uuid = {p.uuid: p.name for p in pools}
        state = [
            (
                "pool",
                p.name,
                p.instance_type_uuid,
                p.count_min,
                p.count_max,
                p.tags,
                client.get_instance_pool_status(p.uuid).status,
            )
            for p in pools
        ]
        for s in client.list_services(PROD):
            status = client.get_service_status(s.uuid)
            hosts = tuple(sorted(by_uuid[u] for u in s.raw["constraints"]["instancePoolUuids"]))
            state.append(("service", s.name, hosts, status.status, status.count_running))
    return sorted(state, key=repr)


PLAN = plan_dict(
    [pool_dict("kp-web", count_min=2, tags=["web"]), pool_dict("kp-db", B1S), pool_dict("kp-batch", count_max=4)],
    services=[service_dict("api", count_min=2), service_dict("worker")],
    nodes=[
        {
            "pool": "kp-web",
            "cpu_mhz": 4936,
            "memory_mb": 3175,
            "replicas": [{"service": "api", "cpu_mhz": 200, "memory_mb": 256}],
        },
        {
            "pool": "kp-batch",
            "cpu_mhz": 4936,
            "memory_mb": 3175,
            "replicas": [{"service": "worker", "cpu_mhz": 200, "memory_mb": 256}],
        },
    ],
)


def test_sigkill_at_seeded_points_then_rerun_ends_as_a_clean_apply(
    serve_emulator: Callable[..., Any], write_plan: Callable[..., Path], tmp_path: Path
) -> None:
    plan, env = write_plan(PLAN), child_env(tmp_path)
    reference = serve_emulator(provision_seconds=0.1)
    clean = drive(reference.base_url, plan, tmp_path / "clean-journals", env)
    assert clean.returncode == 0, clean.stderr
    requests = json.loads(clean.stdout)["requests"]

    expected = fingerprint(reference.base_url)

    def episode_finished(base_url: str, journals: Path) -> None:
        assert names(base_url) == {"kp-web": 1, "kp-db": 1, "kp-batch": 1}
        assert fingerprint(base_url) == expected
        records = [r for path in journals.glob("*.jsonl") for r in read_journal(path)]
        assert not [r for r in records if r.get("status") == 409], "a create was sent for something that existed"

    # Kill at seeded points; when a run gets through, check it ended as the clean apply and start afresh.
    rng = random.Random(20240501)
    kills = episodes = 0
    emulator, journals = serve_emulator(provision_seconds=0.1), tmp_path / "journals-0"
    while kills < 8:
        run = drive(emulator.base_url, plan, journals, env, rng.randint(1, requests), rng.choice(["before", "after"]))
        assert run.returncode in (0, -signal.SIGKILL), run.stderr
        assert max(names(emulator.base_url).values(), default=1) == 1  # never two, even mid-way
        if run.returncode == -signal.SIGKILL:
            kills += 1
            continue
        episode_finished(emulator.base_url, journals)
        episodes += 1
        emulator, journals = serve_emulator(provision_seconds=0.1), tmp_path / f"journals-{episodes}"
    final = drive(emulator.base_url, plan, journals, env)
    assert final.returncode == 0, final.stderr
    episode_finished(emulator.base_url, journals)


def test_ctrl_c_stops_cleanly_prints_the_resume_command_and_that_command_finishes(
    serve_emulator: Callable[..., Any], write_plan: Callable[..., Path], tmp_path: Path
) -> None:
    from costplan.emulator import ManualClock

    clock = ManualClock()
    emulator = serve_emulator(provision_seconds=60, clock=clock)  # provisioning until the clock is moved
    plan, env = write_plan(plan_dict()), child_env(tmp_path)
    register = (
        "import costplan.cli as c\n"
        "for n in ('provision', 'status', 'destroy'):\n"
        "    c.COMMANDS.setdefault(n, 'costplan.commands.provision:' + n)\n"
        "c.main()\n"
    )
    costplan = [sys.executable, "-c", register]
    argv = [
        *costplan,
        "--api-url",
        emulator.base_url,
        "provision",
        str(plan),
        "--apply",
        "--yes",
        "--poll-interval",
        "0.05",
    ]
    with subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT) as child:
        assert child.stderr is not None
        seen = []
        for line in child.stderr:
            seen.append(line)
            if "cp-db: PENDING" in line:
                break
        child.send_signal(signal.SIGINT)
        _, rest = child.communicate(timeout=30)
    stderr = "".join(seen) + rest
    assert child.returncode == 130, stderr
    assert "stopping after the call in flight" in stderr
    match = re.search(r"resume with `(costplan [^`]+)`", stderr)
    assert match, stderr
    resume = shlex.split(match.group(1))
    assert ["--environment", PROD] == resume[resume.index("--environment") :][:2]
    assert "--apply" in resume and "--yes" in resume and str(plan) in resume
    assert names(emulator.base_url) == {"cp-web": 1, "cp-db": 1}

    clock.advance(61)  # the pools finish provisioning; the exact command printed finishes the job
    resumed = subprocess.run([*costplan, *resume[1:]], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert resumed.returncode == 0, resumed.stderr
    assert "all 2 resources are ready" in resumed.stderr
    assert names(emulator.base_url) == {"cp-web": 1, "cp-db": 1}
