"""The planner's scheduler model and the emulator's scheduler agree, run for run in distribution.

They are two separately written implementations of Nomad's service scheduler (the emulator
imports nothing from costplan), so a shared misreading of Nomad's source is the only way both
could be wrong together. On seeded random clusters whose landing rate is neither 0 nor 1, the
landing rates, the share of runs where a spread service keeps one replica per node and the mean
number of nodes autoscaling adds must agree within sampling error (4 standard errors).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from costplan.emulator import placement as emulator
from costplan.models import ServiceSpec
from costplan.planner import scheduler

RUNS = 300


def _case(seed: int) -> tuple[list[scheduler.Pool], list[int], list[ServiceSpec]]:
    """A small random cluster: 2-3 pools of 3-7 nodes, 4-6 services that fill it to 70-95 %."""
    rng = np.random.default_rng(seed)
    pools = [
        scheduler.Pool(
            name=f"pool-{p}",
            cpu_mhz=int(rng.choice([2000, 4000, 8000])),
            memory_mb=int(rng.choice([2048, 4096, 8192])),
            price_units=10_000 * (p + 1),
            room=3,
        )
        for p in range(int(rng.integers(2, 4)))
    ]
    node_pool = [p for p in range(len(pools)) for _ in range(int(rng.integers(3, 8)))]
    total_cpu = sum(pools[p].cpu_mhz for p in node_pool)
    total_mem = sum(pools[p].memory_mb for p in node_pool)
    fill = float(rng.uniform(0.7, 0.95))
    n_services = int(rng.integers(4, 7))
    services = []
    for s in range(n_services):
        count = int(rng.integers(2, 7))
        services.append(
            ServiceSpec(
                name=f"svc-{s}",
                count_min=count,
                count_max=count,
                cpu_mhz=max(50, int(fill * total_cpu / n_services / count * rng.uniform(0.6, 1.4))),
                memory_mb=max(32, int(fill * total_mem / n_services / count * rng.uniform(0.6, 1.4))),
                spread=bool(rng.random() < 0.4),
            )
        )
    return pools, node_pool, services


def _emulator_rates(
    pools: list[scheduler.Pool], node_pool: list[int], services: list[ServiceSpec], *, grow: bool
) -> tuple[float, dict[str, float], float]:
    per_pool: dict[int, int] = {}
    nodes = []
    for p in node_pool:
        index = per_pool.get(p, 0)
        per_pool[p] = index + 1
        pool = pools[p]
        node = emulator.Node(f"{pool.name}/{index}", pool.cpu_mhz, pool.memory_mb, 0, 0, pool.name)
        nodes.append(dataclasses.replace(node, rank=(pool.name, index)))
    grows = [
        emulator.Pool(p.name, p.cpu_mhz, p.memory_mb, 0, 0, per_pool.get(i, 0), per_pool.get(i, 0) + p.room)
        for i, p in enumerate(pools)
    ]
    jobs = [emulator.Service(s.name, s.cpu_mhz, s.memory_mb, s.count_min, None) for s in services]
    landed, kept, extra = 0, {s.name: 0 for s in services if s.spread}, 0
    for seed in range(RUNS):
        result = emulator.simulate(nodes, jobs, seed, pools=grows if grow else ())
        landed += result.landed
        extra += sum(result.grown.values())
        for name in kept:
            hosts = result.placed[name]
            kept[name] += len(hosts) == len(set(hosts))
    return landed / RUNS, {k: v / RUNS for k, v in kept.items()}, extra / RUNS


def _close(a: float, b: float, runs: int = RUNS) -> bool:
    p = (a + b) / 2
    return abs(a - b) <= 4 * math.sqrt(max(p * (1 - p), 1 / runs) * 2 / runs)


def _interesting_cases(wanted: int = 4) -> list[int]:
    """Seeds whose landing rate (planner model, a quick look) is neither ~0 nor ~1."""
    found = []
    for seed in range(200):
        pools, node_pool, services = _case(seed)
        cluster = scheduler.make_cluster(services, pools, node_pool)
        order = list(range(len(services)))
        rate = scheduler.estimate(cluster, [s.count_min for s in services], order, runs=40, autoscale=False)
        if 0.15 <= rate.probability <= 0.85:
            found.append(seed)
        if len(found) == wanted:
            break
    return found


CASES = _interesting_cases()


def test_there_are_cases_that_discriminate() -> None:
    assert len(CASES) == 4


@pytest.mark.parametrize("seed", CASES)
def test_landing_and_spread_rates_agree(seed: int) -> None:
    pools, node_pool, services = _case(seed)
    cluster = scheduler.make_cluster(services, pools, node_pool)
    order = list(range(len(services)))
    model = scheduler.estimate(cluster, [s.count_min for s in services], order, runs=RUNS, seed=seed, autoscale=False)
    landed, kept, _ = _emulator_rates(pools, node_pool, services, grow=False)
    assert _close(model.probability, landed), (model.probability, landed)
    for name, rate in kept.items():
        assert _close(model.spread_kept[name], rate), (name, model.spread_kept[name], rate)


@pytest.mark.parametrize("seed", CASES[:2])
def test_autoscaling_adds_as_many_nodes(seed: int) -> None:
    pools, node_pool, services = _case(seed)
    cluster = scheduler.make_cluster(services, pools, node_pool)
    order = list(range(len(services)))
    model = scheduler.estimate(cluster, [s.count_min for s in services], order, runs=RUNS, seed=seed)
    _, _, extra = _emulator_rates(pools, node_pool, services, grow=True)
    spread = float(np.std(model.extra_nodes)) or 0.5
    assert abs(model.extra_nodes_expected - extra) <= 4 * spread * math.sqrt(2 / RUNS), (
        model.extra_nodes_expected,
        extra,
    )
