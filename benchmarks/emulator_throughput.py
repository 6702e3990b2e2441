"""Requests per second the emulator serves for ``GET /v1/providers/{uuid}/instancesTypes``.

Starts the emulator on loopback (a free port), then measures sequential requests from one
client and the same endpoint hit by a few concurrent clients (threads, one keep-alive
connection each). Bounded in both request count and wall time.

Usage::

    python benchmarks/emulator_throughput.py [--requests 1000] [--clients 4] [--max-seconds 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from costplan.emulator import EmulatorConfig, hash_key, serve_in_thread  # noqa: E402

GCP_PROVIDER = "62ae1fd9-b355-4d3c-a05e-3a0e23497855"  # the largest seeded catalogue
BENCH_KEY = "LYPBENCHMARK:throughput-only"  # a throwaway key accepted by this run only


def run_client(base_url: str, path: str, count: int, deadline: float, latencies: list[float]) -> int:
    """Send up to ``count`` requests before ``deadline``; return how many succeeded."""
    done = 0
    with httpx.Client(base_url=base_url, headers={"X-API-KEY": BENCH_KEY}, timeout=10) as client:
        for _ in range(count):
            if time.perf_counter() > deadline:
                break
            started = time.perf_counter()
            response = client.get(path)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"unexpected {response.status_code}: {response.text[:200]}")
            done += 1
    return done


def measure(
    base_url: str, path: str, clients: int, requests: int, max_seconds: float
) -> tuple[int, float, list[float]]:
    """(requests done, elapsed seconds, latencies) with ``clients`` threads sharing ``requests``."""
    latencies: list[float] = []
    counts = [0] * clients
    deadline = time.perf_counter() + max_seconds
    per_client = max(1, requests // clients)

    def worker(index: int) -> None:
        counts[index] = run_client(base_url, path, per_client, deadline, latencies)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts), time.perf_counter() - started, latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per scenario (default 1000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--max-seconds", type=float, default=10.0, help="time cap per scenario (default 10)")
    parser.add_argument("--provider", default=GCP_PROVIDER, help="provider uuid (default: the GCP one)")
    args = parser.parse_args(argv)

    config = EmulatorConfig(api_key_hashes=(hash_key(BENCH_KEY),))
    with serve_in_thread(config) as emulator:
        path = f"/providers/{args.provider}/instancesTypes"
        rows = len(httpx.get(emulator.base_url + path, headers={"X-API-KEY": BENCH_KEY}).json())
        run_client(emulator.base_url, path, 20, time.perf_counter() + 5, [])  # warm-up
        print(f"emulator {emulator.base_url}, GET {path} ({rows} instance types per response)")
        for label, clients in (("sequential", 1), (f"{args.clients} concurrent clients", args.clients)):
            done, elapsed, latencies = measure(emulator.base_url, path, clients, args.requests, args.max_seconds)
            p50 = statistics.median(latencies) * 1000
            p95 = statistics.quantiles(latencies, n=20)[-1] * 1000 if len(latencies) >= 20 else float("nan")
            print(
                f"{label:>22}: {done} requests in {elapsed:.2f} s = {done / elapsed:,.0f} req/s "
                f"(p50 {p50:.2f} ms, p95 {p95:.2f} ms)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
