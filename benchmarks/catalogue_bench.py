"""Catalogue benchmark: concurrent collection against a slow API, and the cost of normalisation.

Runs the emulator on loopback with 200 ms injected per request and 24 providers, and prints
the collection wall time at concurrency 8 (the default) and 1, their ratio, the ideal
(latency x ceil(providers / concurrency), i.e. the provider requests alone) and wall / ideal
(target <= 1.5). Then times building the catalogue from 10,000 instance types, no network.
Takes about 10 s.

    python benchmarks/catalogue_bench.py [--providers 24] [--latency 0.2] [--types 10000]
"""

from __future__ import annotations

import argparse
import math
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from costplan.api import Client  # noqa: E402
from costplan.catalogue import collect, collect_from  # noqa: E402
from costplan.config import DEFAULT_CONCURRENCY, Secret, Settings  # noqa: E402
from costplan.emulator import EmulatorConfig, serve_in_thread  # noqa: E402
from costplan.models import InstanceType  # noqa: E402
from costplan.normalise import PriceRules, ProviderTypes, apply_prices, build_frame  # noqa: E402

TARGET_RATIO = 1.5


def base_provider_count(key: str) -> int:
    """How many providers the emulator's seed has before extra ones are added."""
    with serve_in_thread(EmulatorConfig(api_keys=(key,))) as server:
        return len(set(collect(_settings(server.base_url, key, 8)).frame["provider_uuid"]))


def _settings(url: str, key: str, concurrency: int) -> Settings:
    return Settings(api_url=url, api_key=Secret(key), concurrency=concurrency, data_dir=Path("/nonexistent"))


def time_collection(url: str, key: str, concurrency: int, runs: int) -> tuple[float, int]:
    """Median wall time of `runs` collections with a ready client, and the number of providers.

    The client is built before the clock starts: creating an httpx client loads the CA bundle
    (tens of ms), a one-off cost of the process, not of collecting. `end_to_end` measures it.
    """
    walls, providers = [], 0
    for _ in range(runs):
        with Client.from_settings(_settings(url, key, concurrency)) as client:
            start = time.perf_counter()
            catalogue = collect_from(client, concurrency=concurrency)
            wall = time.perf_counter() - start
        if not catalogue.complete:
            raise SystemExit(f"collection was partial: {catalogue.summary()}")
        walls.append(wall)
        providers = len(catalogue.frame["provider_uuid"].unique())
    return statistics.median(walls), providers


def end_to_end(url: str, key: str) -> float:
    """`collect(settings)` as a script calls it: client creation and collection."""
    start = time.perf_counter()
    collect(_settings(url, key, DEFAULT_CONCURRENCY))
    return time.perf_counter() - start


def synthetic_batches(count: int, providers: int = 25) -> list[ProviderTypes]:
    per = math.ceil(count / providers)
    batches = []
    for p in range(providers):
        types = []
        for t in range(min(per, count - p * per)):
            cost = 100 + 37 * t + p
            raw = {
                "uuid": f"{p}-{t}",
                "name": f"type-{t}",
                "vCPUs": 1 + t % 64,
                "memory": 0.5 + (t % 128) * 1.5,
                "ssd": 10,
                "onDemandCost": cost,
                "reservedCost": cost // 2,
                "priceFactor": 10000,
                "monthlyPrice": cost * 720,
            }
            types.append(InstanceType.from_json(raw))
        batches.append(ProviderTypes(f"provider-{p}", f"Provider {p}", "env", types))
    return batches


def time_build(count: int, runs: int = 3) -> tuple[float, float, int]:
    """Median seconds to build the frame, and to apply one provider discount, for `count` types."""
    batches = synthetic_batches(count)
    rules = PriceRules.from_config({"discounts": {"Provider 1": 10}})
    builds, prices, rows = [], [], 0
    for _ in range(runs):
        start = time.perf_counter()
        frame, _ = build_frame(batches, currency="EUR", collected_at=datetime.now(UTC))
        frame, _ = apply_prices(frame, PriceRules())
        builds.append(time.perf_counter() - start)
        start = time.perf_counter()
        apply_prices(frame, rules)
        prices.append(time.perf_counter() - start)
        rows = len(frame)
    return statistics.median(builds), statistics.median(prices), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=24)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--types", type=int, default=10_000)
    args = parser.parse_args()

    key = f"BENCH{secrets.token_hex(6).upper()}:{secrets.token_hex(16)}"
    extra = max(0, args.providers - base_provider_count(key))
    config = EmulatorConfig(api_keys=(key,), latency=args.latency, extra_providers=extra)
    with serve_in_thread(config) as server:
        fast, providers = time_collection(server.base_url, key, DEFAULT_CONCURRENCY, runs=3)
        slow, _ = time_collection(server.base_url, key, 1, runs=1)
        whole = end_to_end(server.base_url, key)
    ideal = args.latency * math.ceil(providers / DEFAULT_CONCURRENCY)
    print(f"collection: {providers} providers, {args.latency * 1000:.0f} ms per request (loopback emulator)")
    print(f"  concurrency {DEFAULT_CONCURRENCY}: {fast:7.3f} s (median of 3; includes the workspaces request)")
    print(f"  concurrency 1: {slow:7.3f} s")
    print(f"  speed-up: {slow / fast:5.1f}x")
    print(
        f"  ideal at {DEFAULT_CONCURRENCY}: {ideal:.3f} s"
        f" = latency x ceil({providers}/{DEFAULT_CONCURRENCY}) (provider requests only)"
    )
    verdict = "ok" if fast / ideal <= TARGET_RATIO else "ABOVE TARGET"
    print(f"  wall / ideal: {fast / ideal:.2f} (target <= {TARGET_RATIO}) {verdict}")
    print(f"  collect(settings) end to end at {DEFAULT_CONCURRENCY}, with client creation: {whole:.3f} s")

    build, prices, rows = time_build(args.types)
    print(f"normalisation: {rows} instance types, no network")
    print(f"  build catalogue: {build * 1000:7.1f} ms (median of 3; {rows / build:,.0f} types/s)")
    print(f"  apply a provider discount: {prices * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
