"""Provisioning reliability campaigns: kills, 503/429 storms and unknown outcomes, with duplicate counts.

Against the emulator on loopback (in this process; children talk to it over 127.0.0.1):

1. **kill**: a child process applies a 3-pool, 2-service plan and is SIGKILLed at seeded points
   (at the k-th request, before sending it or just after its answer arrived, or after a random
   delay), then re-run until it completes; the end state is compared with a clean apply's.
2. **kill+faults**: the same while the emulator also fails 10 % of requests (500/502/503/429)
   and commits-then-hides 20 % of writes behind a 502.
3. **storm**: in-process applies of a 6-pool plan while 20 % of requests answer 503 or 429.
4. **unknown**: in-process applies while 40 % of POSTs are applied but answered 502 (or hang
   past the client's timeout).
5. **operators** (the real CLI, `costplan provision ... --apply --yes --with-services`): on an
   emulator that allows duplicate names and answers 20 % of committed POSTs with an empty 2xx,
   another plan and a hand-made pool already live in the environment; two operators with two
   data dirs apply one plan at the same time, one of them SIGKILLed during its services phase
   and re-run; then a pool is deleted out of band, another flips from DONE to ERROR (the state
   file edited), and an operator re-runs; finally a run whose data dir is a nearly full tmpfs
   must fail with a clear error and the resume command, and resume once space is freed.
   "not owned deleted" counts objects of the other plan or the hand-made pool that disappeared;
   "exit 70" counts runs that ended as internal errors.

Every check lists the pools and services by name: "duplicates" counts names seen live more than
once (at any check, mid-campaign included); "409s" counts creates the emulator refused because
the name existed (on an API without unique names each would have been a duplicate).

    python benchmarks/provision_reliability.py [--kills 15] [--seeds 10] [--episodes 4] [--only operators]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from costplan.api import Client  # noqa: E402
from costplan.emulator import EmulatorConfig, serve_in_thread  # noqa: E402
from costplan.errors import ApiError  # noqa: E402
from costplan.journal import read_journal  # noqa: E402
from costplan.plans import Plan  # noqa: E402
from costplan.provisioner import Provisioner  # noqa: E402
from costplan.retry import RetryPolicy  # noqa: E402
from costplan.waiter import WaiterConfig  # noqa: E402

PROD = "e7b73b16-7931-4878-944f-bdb97c5b1d85"
AZURE = "d57b214f-ec43-41b9-8cf1-71329349093b"
B2S = ("cc6d622a-5144-11ed-84a1-1b508e278eb5", "B2s", 33.984)
B1S = ("e25908b3-dcf7-5de6-bc3c-ec3a7db7974a", "B1s", 8.928)

# The same driver the kill test runs (HTTP timeout 5 s, reconcile pauses 0.05 and 0.1 s, wait up to 60 s).
DRIVER = str(Path(__file__).resolve().parent.parent / "tests" / "provision" / "kill_driver.py")
DRIVER_SETTINGS = ["5", "0.05,0.1", "60"]


def pool(name: str, itype: tuple[str, str, float], count_min: int = 1, count_max: int = 3) -> dict[str, Any]:
    uuid, type_name, unit = itype
    return {
        "name": name,
        "provider_uuid": AZURE,
        "provider": "Azure",
        "instance_type_uuid": uuid,
        "instance_type": type_name,
        "count_min": count_min,
        "count_max": count_max,
        "unit_monthly_price": unit,
        "monthly_cost": round(unit * count_min, 4),
        "cpu_mhz": 4936,
        "memory_mb": 3175,
        "tags": [],
    }


def plan_document(pools: list[dict[str, Any]], services: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    total = round(sum(p["monthly_cost"] for p in pools), 4)
    return {
        "version": 1,
        "status": "optimal",
        "monthly_cost": total,
        "lower_bound": total,
        "currency": "EUR",
        "environment_uuid": PROD,
        "pools": pools,
        "nodes": [],
        "services": services or [],
    }


KILL_PLAN = plan_document(
    [pool("rb-web", B2S, 2), pool("rb-db", B1S), pool("rb-batch", B2S, 1, 4)],
    [
        {"name": name, "count_min": count, "count_max": count + 1, "cpu_mhz": 200, "memory_mb": 256}
        for name, count in (("api", 2), ("worker", 1))
    ],
)
STORM_PLAN = plan_document([pool(f"rb-{i}", B2S if i % 2 else B1S) for i in range(6)])


@dataclass
class Figures:
    name: str
    runs: int = 0
    kills: int = 0
    completed: int = 0
    clean_matches: int = 0
    mismatches: int = 0
    duplicates: int = 0
    conflicts_409: int = 0
    adopted: int = 0
    foreign_deleted: int = 0
    internal_errors: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def make_client(base_url: str, key: str, timeout: float = 5.0) -> Client:
    http = httpx.Client(base_url=base_url, headers={"x-api-key": key}, timeout=timeout)
    return Client(http, retry=RetryPolicy(max_retries=4, backoff_base=0.0, backoff_max=0.0), sleep=lambda s: None)


def live_names(base_url: str, key: str) -> Counter[str]:
    with make_client(base_url, key) as client:
        found = Counter(p.name for p in client.list_instance_pools(PROD) if not p.deleted_at)
        found.update(f"service:{s.name}" for s in client.list_services(PROD))
    return found


def fingerprint(base_url: str, key: str) -> list[str]:
    with make_client(base_url, key) as client:
        pools = client.list_instance_pools(PROD)
        by_uuid = {p.uuid: p.name for p in pools}
        state = [
            repr(
                (
                    "pool",
                    p.name,
                    p.instance_type_uuid,
                    p.count_min,
                    p.count_max,
                    client.get_instance_pool_status(p.uuid).status,
                )
            )
            for p in pools
        ]
        for s in client.list_services(PROD):
            status = client.get_service_status(s.uuid)
            hosts = sorted(by_uuid.get(u, u) for u in s.raw["constraints"]["instancePoolUuids"])
            state.append(repr(("service", s.name, hosts, status.status, status.count_running)))
    return sorted(state)


def journal_stats(journals: Path) -> tuple[int, int]:
    records = [r for path in journals.glob("*.jsonl") for r in read_journal(path)]
    return sum(r.get("status") == 409 for r in records), sum(r.get("event") == "adopted" for r in records)


def kill_campaign(name: str, kills: int, key: str, work: Path, faults: dict[str, Any], seed: int) -> Figures:
    """Kill children at seeded points until `kills` kills landed; check every completed episode."""
    figures = Figures(name)
    started = time.perf_counter()
    plan = work / f"{name}-plan.json"
    plan.write_text(json.dumps(KILL_PLAN), encoding="utf-8")
    env = dict(os.environ, LAYEROPS_API_KEY=key, PLAN_ENVIRONMENT=PROD, PYTHONPATH=str(ROOT))
    config = EmulatorConfig(api_keys=(key,), provision_seconds=0.1, retry_after_seconds=0)

    def drive(
        base_url: str, journals: Path, kill_at: int = 0, when: str = "never", after: float | None = None
    ) -> tuple[int, str, str]:
        argv = [sys.executable, DRIVER, base_url, str(plan), str(journals), str(kill_at), when, "1", *DRIVER_SETTINGS]
        with subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
        ) as child:
            try:
                out, err = child.communicate(timeout=after if after is not None else 120)
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
                out, err = child.communicate()
        return child.returncode, out, err

    with serve_in_thread(config) as reference:
        code, out, err = drive(reference.base_url, work / f"{name}-clean")
        if code != 0:
            raise SystemExit(f"the clean reference apply failed: {err}")
        requests = json.loads(out)["requests"]
        expected = fingerprint(reference.base_url, key)
    reference_seconds = time.perf_counter() - started

    rng = random.Random(seed)
    episode = 0
    faulty = config.replace(**faults)

    def finish(base_url: str, journals: Path) -> None:
        figures.completed += 1
        if fingerprint(base_url, key) == expected:
            figures.clean_matches += 1
        else:
            figures.mismatches += 1
        c409, adopted = journal_stats(journals)
        figures.conflicts_409 += c409
        figures.adopted += adopted

    while figures.kills < kills:
        journals = work / f"{name}-journals-{episode}"
        with serve_in_thread(faulty.replace(fault_seed=seed + episode)) as emulator:
            while figures.kills < kills:
                mode = rng.choice(["before", "after", "timer"])
                if mode == "timer":
                    code, _, err = drive(emulator.base_url, journals, after=rng.uniform(0.3, 0.3 + reference_seconds))
                else:
                    code, _, err = drive(emulator.base_url, journals, rng.randint(1, requests), mode)
                figures.runs += 1
                figures.duplicates += sum(n - 1 for n in live_names(emulator.base_url, key).values() if n > 1)
                if code == -signal.SIGKILL:
                    figures.kills += 1
                    continue
                if code != 0:
                    figures.failures.append(err.strip().splitlines()[-1] if err.strip() else f"exit {code}")
                    continue
                finish(emulator.base_url, journals)
                break
            else:
                code, _, err = drive(emulator.base_url, journals)
                figures.runs += 1
                figures.duplicates += sum(n - 1 for n in live_names(emulator.base_url, key).values() if n > 1)
                if code == 0:
                    finish(emulator.base_url, journals)
                else:
                    figures.failures.append(err.strip().splitlines()[-1] if err.strip() else f"exit {code}")
        episode += 1
    figures.seconds = time.perf_counter() - started
    return figures


def in_process_campaign(
    name: str, seeds: int, key: str, work: Path, faults: dict[str, Any], timeout: float = 5.0
) -> Figures:
    figures = Figures(name)
    started = time.perf_counter()
    plan = Plan.from_dict(STORM_PLAN)
    wanted = {p.name for p in plan.pools}
    for seed in range(seeds):
        config = EmulatorConfig(
            api_keys=(key,), provision_seconds=0.05, retry_after_seconds=0, fault_seed=seed, **faults
        )
        with serve_in_thread(config) as emulator, make_client(emulator.base_url, key, timeout) as client:
            journals = work / f"{name}-{seed}"
            provisioner = Provisioner(
                client,
                journal_dir=journals,
                reconcile_delays=(0.0, 0.05),
                sleep=time.sleep,
                wait=WaiterConfig(delay=0.01, max_delay=0.05, timeout=30),
            )
            result = provisioner.apply(plan, PROD)
            figures.runs += 1
            found = live_names(emulator.base_url, key)
            figures.duplicates += sum(n - 1 for n in found.values() if n > 1)
            if result.ok and set(found) == wanted:
                figures.completed += 1
                figures.clean_matches += 1
            else:
                figures.failures.append(str(result.records()))
            c409, adopted = journal_stats(journals)
            figures.conflicts_409 += c409
            figures.adopted += adopted
    figures.seconds = time.perf_counter() - started
    return figures


OPERATOR_PLAN = {
    **plan_document(
        [pool("op-web", B2S, 2), pool("op-db", B1S)],
        [
            {"name": name, "count_min": count, "count_max": count + 1, "cpu_mhz": 200, "memory_mb": 256}
            for name, count in (("op-api", 2), ("op-worker", 1))
        ],
    ),
    "name": "shop",
}
OTHER_PLAN = {
    **plan_document(
        [pool("other-web", B1S)],
        [{"name": "other-api", "count_min": 1, "count_max": 2, "cpu_mhz": 200, "memory_mb": 256}],
    ),
    "name": "other",
}
CLI_CONFIG = """
[provision]
reconcile_delays = [0.05, 0.1, 0.2]
poll_delay = 0.05
poll_max_delay = 0.1
wait_timeout = 60
"""


class Cli:
    """`costplan` as an operator runs it, one data dir per machine, against `base_url`."""

    def __init__(self, base_url: str, key: str, work: Path) -> None:
        self.base_url, self.key, self.work = base_url, key, work
        self.config = work / "config.toml"
        self.config.write_text(CLI_CONFIG, encoding="utf-8")

    def start(self, plan: Path, data_dir: Path, *extra: str) -> subprocess.Popen[str]:
        env = dict(
            os.environ,
            LAYEROPS_API_URL=self.base_url,
            LAYEROPS_API_KEY=self.key,
            COSTPLAN_DATA_DIR=str(data_dir),
            COSTPLAN_CONFIG=str(self.config),
            COSTPLAN_TIMEOUT="5",
            PYTHONPATH=str(ROOT),
        )
        argv = [sys.executable, "-m", "costplan", "provision", str(plan), "--apply", "--yes", "--with-services"]
        return subprocess.Popen(
            [*argv, *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=self.work
        )


def _finish(child: subprocess.Popen[str], kill_on: str | None = None, rng: random.Random | None = None) -> int:
    """Wait for a CLI run; with `kill_on`, SIGKILL it a moment after a stderr line containing it."""
    if kill_on is None:
        child.communicate(timeout=180)
        return child.returncode
    assert child.stderr is not None and rng is not None
    for line in child.stderr:
        if kill_on in line:
            time.sleep(rng.uniform(0.0, 0.3))
            child.send_signal(signal.SIGKILL)
            break
    child.communicate(timeout=180)
    return child.returncode


def owned_fingerprint(base_url: str, key: str, marker: str) -> list[str]:
    """The owned objects (by marker) as in `fingerprint`, plus how many copies of each name."""
    with make_client(base_url, key) as client:
        pools = [p for p in client.list_instance_pools(PROD) if marker in p.tags]
        by_uuid = {p.uuid: p.name for p in pools}
        state = [
            repr(("pool", p.name, p.count_min, p.count_max, client.get_instance_pool_status(p.uuid).status))
            for p in pools
        ]
        for s in client.list_services(PROD):
            if not any(v.get("value") == marker for v in s.raw.get("environmentVariables") or []):
                continue
            status = client.get_service_status(s.uuid)
            hosts = sorted(by_uuid.get(u, "stale:" + u) for u in s.raw["constraints"]["instancePoolUuids"])
            state.append(repr(("service", s.name, hosts, status.status, status.count_running)))
    return sorted(state)


def everything(base_url: str, key: str) -> set[str]:
    with make_client(base_url, key) as client:
        return {p.uuid for p in client.list_instance_pools(PROD)} | {s.uuid for s in client.list_services(PROD)}


def duplicates_of(base_url: str, key: str) -> int:
    """Live copies beyond the first of (owner markers, name): one intent seen more than once."""
    with make_client(base_url, key) as client:
        seen = Counter((tuple(sorted(p.tags)), p.name) for p in client.list_instance_pools(PROD))
        seen.update(
            (tuple(sorted(str(v.get("value")) for v in s.raw.get("environmentVariables") or [])), s.name)
            for s in client.list_services(PROD)
        )
    return sum(n - 1 for n in seen.values() if n > 1)


def flip_to_error(state_file: Path, name: str) -> None:
    """Out of band: the live pool `name` (one that was DONE) now reports a provider error."""
    state = json.loads(state_file.read_text(encoding="utf-8"))
    for record in state["pools"].values():
        if record["name"] == name and record["deletedAt"] is None:
            record["failure"] = {
                "errorType": "PROVISIONING",
                "errorCode": "INSTANCE_LOST",
                "errorMessage": "the provider lost the instances (injected out of band)",
            }
            record["settled"] = False
    tmp = state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, state_file)


def tiny_tmpfs(path: Path) -> str:
    """Mount a 1 MB tmpfs at `path` (root only); '' when mounted, else why not."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(path)], capture_output=True, text=True)
    return "" if done.returncode == 0 else (done.stderr.strip() or f"mount exited {done.returncode}")


def operators_campaign(episodes: int, key: str, work: Path, seed: int) -> Figures:
    """Two operators, another plan, out-of-band changes, empty-2xx answers, kills, a full disk."""
    figures = Figures("operators (CLI)")
    started = time.perf_counter()
    rng = random.Random(seed)
    plan, other = work / "operators-plan.json", work / "other-plan.json"
    plan.write_text(json.dumps(OPERATOR_PLAN), encoding="utf-8")
    other.write_text(json.dumps(OTHER_PLAN), encoding="utf-8")
    marker = f"costplan-owner=shop@{PROD}"

    def check(base_url: str, code: int) -> None:
        figures.runs += 1
        figures.internal_errors += code == 70

    # The end state a clean apply gives, for comparison.
    base = EmulatorConfig(api_keys=(key,), provision_seconds=0.1, retry_after_seconds=0, unique_names=False)
    with serve_in_thread(base) as reference:
        cli = Cli(reference.base_url, key, work)
        if _finish(cli.start(plan, work / "clean")) != 0:
            raise SystemExit("the clean reference apply (CLI) failed")
        expected = owned_fingerprint(reference.base_url, key, marker)

    tmpfs_note = ""
    for episode in range(episodes):
        state = work / f"operators-state-{episode}.json"
        config = base.replace(
            state_file=state,
            post_commit_fault_rate=0.2,
            post_commit_fault_kind="empty",
            fault_methods=("POST",),
            fault_seed=seed + episode,
        )
        with serve_in_thread(config) as emulator:
            url = emulator.base_url
            cli = Cli(url, key, work)
            check(url, _finish(cli.start(other, work / f"other-{episode}")))
            with make_client(url, key) as client, contextlib.suppress(ApiError):  # the answer may be faulty
                client.create_instance_pool(
                    AZURE,
                    {"name": "op-web-manual", "instanceTypeUuid": B1S[0], "tags": [], "countMin": 1, "countMax": 1},
                )
            not_ours = everything(url, key)
            one, two = work / f"machine-1-{episode}", work / f"machine-2-{episode}"

            # Two operators at once; the first is killed during its services phase, then re-run.
            first, second = cli.start(plan, one), cli.start(plan, two)
            code = _finish(first, kill_on="service ", rng=rng)
            if code == -signal.SIGKILL:
                figures.kills += 1
            check(url, code)
            check(url, _finish(second))
            check(url, _finish(cli.start(plan, one)))
            # Out of band: one pool deleted, another failed; the other operator re-runs.
            with make_client(url, key) as client:
                live = {p.name: p.uuid for p in client.list_instance_pools(PROD) if marker in p.tags}
                client.delete_instance_pool(live["op-db"])
            time.sleep(0.2)
            flip_to_error(state, "op-web")
            code = _finish(cli.start(plan, two))
            check(url, code)
            if code != 0:  # a service waited on while its pool was replaced may need one more run
                check(url, _finish(cli.start(plan, two)))
            records = [r for path in (two / "journals").glob("*.jsonl") for r in read_journal(path)]
            if not any(r.get("op") == "delete_pool" and r.get("event") == "done" for r in records):
                figures.failures.append(f"episode {episode}: the pool flipped to ERROR was not replaced")

            # Disk full while journalling: a clear error naming the resume command, then a resume.
            if episode == 0:
                full = work / "full-disk"
                tmpfs_note = tiny_tmpfs(full)
                if not tmpfs_note:
                    try:
                        with make_client(url, key) as client:
                            client.delete_instance_pool(
                                next(p.uuid for p in client.list_instance_pools(PROD) if p.name == "op-db")
                            )
                        (full / "filler").write_bytes(b"\0" * (1024 * 1024 - 6 * 1024))
                        child = cli.start(plan, full / "data")
                        _, err = child.communicate(timeout=180)
                        check(url, child.returncode)
                        if child.returncode != 1 or "resume with" not in err:
                            figures.failures.append(f"disk full: exit {child.returncode}: {err.strip()[-200:]}")
                        (full / "filler").unlink()
                        check(url, _finish(cli.start(plan, full / "data")))
                    finally:
                        subprocess.run(["umount", str(full)], check=False)

            figures.duplicates += duplicates_of(url, key)
            figures.foreign_deleted += len(not_ours - everything(url, key))
            figures.completed += 1
            got = owned_fingerprint(url, key, marker)
            if got == expected:
                figures.clean_matches += 1
            else:
                figures.mismatches += 1
                figures.failures.append(f"episode {episode}: {sorted(set(got) ^ set(expected))}")
            for journals in (one, two):
                c409, adopted = journal_stats(journals / "journals")
                figures.conflicts_409 += c409
                figures.adopted += adopted
    if tmpfs_note:
        print(f"disk-full scenario skipped: cannot mount a tmpfs ({tmpfs_note})")
    figures.seconds = time.perf_counter() - started
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=15, help="SIGKILLs per kill campaign (default 15)")
    parser.add_argument("--seeds", type=int, default=10, help="runs per in-process campaign (default 10)")
    parser.add_argument("--episodes", type=int, default=4, help="episodes of the operators campaign (default 4)")
    parser.add_argument("--only", choices=["operators"], help="run one campaign only")
    parser.add_argument("--seed", type=int, default=20240501)
    args = parser.parse_args()
    key = f"BENCH{secrets.token_hex(8).upper()}:{secrets.token_hex(16)}"
    with tempfile.TemporaryDirectory(prefix="costplan-reliability-") as tmp:
        work = Path(tmp)
        operators = operators_campaign(args.episodes, key, work, args.seed + 2)
        campaigns = (
            []
            if args.only
            else [
                kill_campaign("kill", args.kills, key, work, {}, args.seed),
                kill_campaign(
                    "kill+faults",
                    args.kills,
                    key,
                    work,
                    {"error_rate": 0.1, "error_statuses": (500, 502, 503, 429), "post_commit_fault_rate": 0.2},
                    args.seed + 1,
                ),
                in_process_campaign(
                    "storm 20% 503/429", args.seeds, key, work, {"error_rate": 0.2, "error_statuses": (503, 429)}
                ),
                in_process_campaign(
                    "unknown 40% POST->502",
                    args.seeds,
                    key,
                    work,
                    {"post_commit_fault_rate": 0.4, "fault_methods": ("POST",)},
                ),
                in_process_campaign(
                    "unknown 40% POST hang",
                    args.seeds,
                    key,
                    work,
                    {
                        "post_commit_fault_rate": 0.4,
                        "post_commit_fault_kind": "hang",
                        "hang_seconds": 1.0,
                        "fault_methods": ("POST",),
                    },
                    timeout=0.3,
                ),
            ]
        )
        campaigns.append(operators)
    header = (
        f"{'campaign':24} {'runs':>5} {'kills':>5} {'done':>5} {'=clean':>6} {'dups':>5} {'409s':>5} "
        f"{'adopt':>5} {'!own':>5} {'ex70':>5} {'fail':>5} {'secs':>6}"
    )
    print(header)
    print("-" * len(header))
    for f in campaigns:
        print(
            f"{f.name:24} {f.runs:5d} {f.kills:5d} {f.completed:5d} {f.clean_matches:6d} {f.duplicates:5d} "
            f"{f.conflicts_409:5d} {f.adopted:5d} {f.foreign_deleted:5d} {f.internal_errors:5d} "
            f"{len(f.failures):5d} {f.seconds:6.1f}"
        )
    for f in campaigns:
        for failure in f.failures[:3]:
            print(f"  {f.name}: {failure}")
    bad = sum(f.duplicates + f.mismatches + f.conflicts_409 + f.foreign_deleted + f.internal_errors for f in campaigns)
    print(
        "\nduplicates, end-state mismatches, repeated creates, deletions of what a run did not own and "
        "internal errors in all campaigns:",
        bad,
    )
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
