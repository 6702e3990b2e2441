"""The compiled pinned replay and best fit against their Python oracles, on random instances."""

from __future__ import annotations

import random

import numpy as np

from costplan.planner import scheduler
from costplan.planner.pinning import replay
from tests.planner.conftest import service
from tests.planner.oracles import python_best_fit, python_replay


def _instance(rng: random.Random) -> tuple[object, ...]:
    """Few node shapes and coarse sizes, so that ties (risky and harmless) and failures are common."""
    n_nodes = rng.randint(1, 12)
    shapes = [(4000, 8192), (8000, 16384), (4000, 16384)][: rng.randint(1, 3)]
    caps = [rng.choice(shapes) for _ in range(n_nodes)]
    sizes = [500, 1000, 1500, 2000], [512, 1024, 4096]
    specs = [
        service(f"s{i}", rng.randint(0, 9), rng.choice(sizes[0]), rng.choice(sizes[1]), spread=rng.random() < 0.3)
        for i in range(rng.randint(1, 8))
    ]
    allowed = [sorted(rng.sample(range(n_nodes), rng.randint(1, n_nodes))) for _ in specs]
    order = rng.sample(range(len(specs)), len(specs))
    fits = [sorted(set(a) | set(rng.sample(range(n_nodes), rng.randint(0, n_nodes)))) for a in allowed]
    wide = frozenset(s for s in range(len(specs)) if rng.random() < 0.25)
    return [c for c, _ in caps], [m for _, m in caps], specs, allowed, order, fits, wide


def test_the_compiled_replay_is_the_python_oracle_on_random_instances() -> None:
    rng = random.Random(20261203)
    seen = {"ties": 0, "missing": 0, "shared": 0}
    for _ in range(400):
        instance = _instance(rng)
        done = replay(*instance)
        placed, missing, ties, shared, room = python_replay(*instance)
        assert done.placed == placed and done.missing == missing and done.ties == ties
        assert done.spread_shared == shared and done.room == room
        seen["ties"] += bool(ties)
        seen["missing"] += any(missing)
        seen["shared"] += bool(shared)
    assert min(seen.values()) >= 20, seen  # the instances exercise every output


def test_the_compiled_best_fit_is_the_python_oracle_on_random_instances() -> None:
    rng = random.Random(7)
    seen = {"missing": 0, "shared": 0}
    for _ in range(150):
        caps, mems, specs, allowed, order, _, _ = _instance(rng)
        pools = [
            scheduler.Pool(name=f"p{n}", cpu_mhz=c, memory_mb=m)
            for n, (c, m) in enumerate(zip(caps, mems, strict=True))
        ]
        apart = rng.random() < 0.3  # spread services get distinct hosts
        cluster = scheduler.make_cluster(specs, pools, range(len(pools)), allowed, distinct_hosts=apart)
        demand = [s.count_min for s in specs]
        out = scheduler.schedule(cluster, demand, order, mode="best-fit")
        placed, missing = python_best_fit(cluster, demand, order)
        assert np.array_equal(out.placed, placed) and np.array_equal(out.missing, missing)
        seen["missing"] += bool(missing.any())
        seen["shared"] += bool((placed > 1).any())
    assert min(seen.values()) >= 20, seen
