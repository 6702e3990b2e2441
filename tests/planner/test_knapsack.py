"""The value-correction knapsack: exact where its work limit is not reached, always a valid pattern,
and the same pattern for the same input (a count limit, not a clock)."""

from __future__ import annotations

import itertools

import numpy as np

from costplan.planner.knapsack import solve


def _instance(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    value = rng.random(n) * 10
    cpu = rng.integers(0, 6, n).astype(np.int64)
    mem = rng.integers(0, 6, n).astype(np.int64)
    upper = rng.integers(0, 4, n).astype(np.int64)
    return value, cpu, mem, upper, int(rng.integers(1, 15)), int(rng.integers(1, 15))


def _best(value, cpu, mem, upper, cap_cpu, cap_mem) -> float:  # type: ignore[no-untyped-def]
    best = 0.0
    for counts in itertools.product(*(range(k + 1) for k in upper)):
        k = np.asarray(counts)
        if k @ cpu <= cap_cpu and k @ mem <= cap_mem:
            best = max(best, float(k @ value))
    return best


def test_the_knapsack_is_exact_on_small_cases() -> None:
    rng = np.random.default_rng(1)
    for _ in range(300):
        value, cpu, mem, upper, cap_cpu, cap_mem = _instance(rng, int(rng.integers(1, 6)))
        counts, _ = solve(value, cpu, mem, upper, cap_cpu, cap_mem, 1_000_000)
        assert (counts >= 0).all() and (counts <= upper).all()
        assert counts @ cpu <= cap_cpu and counts @ mem <= cap_mem
        assert abs(float(counts @ value) - _best(value, cpu, mem, upper, cap_cpu, cap_mem)) < 1e-9


def test_a_work_limit_gives_a_valid_pattern_and_the_same_one_twice() -> None:
    rng = np.random.default_rng(2)
    n = 60
    value = rng.random(n) * 100
    cpu = rng.integers(100, 3000, n).astype(np.int64)
    mem = rng.integers(128, 8000, n).astype(np.int64)
    upper = rng.integers(1, 30, n).astype(np.int64)
    first, cells = solve(value, cpu, mem, upper, 10_522, 64_615, 25_000)
    again, _ = solve(value, cpu, mem, upper, 10_522, 64_615, 25_000)
    assert 25_000 < cells <= 25_000 + 3 * n  # stopped by the limit (at most one node's bounds past it)
    assert np.array_equal(first, again)
    assert first @ cpu <= 10_522 and first @ mem <= 64_615 and (first <= upper).all() and first.any()
    more, _ = solve(value, cpu, mem, upper, 10_522, 64_615, 10_000_000)
    assert float(more @ value) >= float(first @ value)


def test_a_big_valuable_replica_is_not_left_out() -> None:
    """Density order fills the node with small replicas (three of four fit); the big one is worth more."""
    value = np.array([3.2, 3.2, 3.2, 3.2, 9.9])
    cpu = np.array([3, 3, 3, 3, 10], dtype=np.int64)
    mem = np.array([3, 3, 3, 3, 10], dtype=np.int64)
    upper = np.array([1, 1, 1, 1, 1], dtype=np.int64)
    counts, _ = solve(value, cpu, mem, upper, 10, 10, 10_000)
    assert counts.tolist() == [0, 0, 0, 0, 1]
