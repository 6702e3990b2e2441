"""Prints how long `costplan --help` takes, against bare `python -c pass` as the floor.

Run: python benchmarks/cli_startup.py [runs]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    floor = median_seconds([sys.executable, "-c", "pass"], runs)
    help_time = median_seconds([sys.executable, "-m", "costplan", "--help"], runs)
    import_time = median_seconds([sys.executable, "-c", "import costplan.cli"], runs)
    print(f"runs: {runs}")
    print(f"python -c pass           {floor * 1000:7.1f} ms (interpreter floor)")
    print(f"import costplan.cli      {import_time * 1000:7.1f} ms")
    print(f"costplan --help          {help_time * 1000:7.1f} ms ({help_time / floor:.1f}x the floor)")


if __name__ == "__main__":
    main()
