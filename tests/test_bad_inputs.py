"""Ordinary bad input is a clear error with exit 1 or 2, never an internal error (exit 70).

Each case was once an internal error (finding 7 of issue 12); `benchmarks/bad_inputs.py` runs
these and many more through the installed command and prints the table.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from costplan.cli import cli

ONE_SERVICE = "services:\n  - {name: a, countMin: 1, cpuMhz: 100, memoryMB: 100}\n"
CATALOGUE = "provider,instance_type,vcpus,memory_gb,monthly_price\nAcme,ok,2,4,20\n"


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


CASES = {
    "binary services file": (
        lambda t: ["plan", write(t, "s.yaml", b"\x89PNG\r\n\x1a\n\x00\xff\xfe\x00")],
        {},
        "not a text file",
    ),
    "1e30 replicas (JSON)": (
        lambda t: ["plan", write(t, "s.json", '[{"name": "a", "countMin": 1e30, "cpuMhz": 1, "memoryMB": 1}]')],
        {},
        "more than the 100,000",
    ),
    "1e30 MHz (YAML)": (
        lambda t: ["plan", write(t, "s.yaml", "services:\n  - {name: a, countMin: 1, cpuMhz: 1.0e+30, memoryMB: 1}\n")],
        {},
        "'cpuMhz' is 1e+30",
    ),
    "COSTPLAN_TIMEOUT=nan": (lambda t: ["providers"], {"COSTPLAN_TIMEOUT": "nan"}, "timeout must be between"),
    "catalogue row with 1e9 vCPUs": (
        lambda t: [
            "plan", write(t, "s.yaml", ONE_SERVICE), "--time-limit", "2", "--catalogue",
            write(t, "c.csv", CATALOGUE + "Acme,huge,1000000000,4,20\n"),
        ],
        {},
        None,  # planned without the row, which goes to the quality table
    ),
    "catalogue price 1e30": (
        lambda t: ["catalogue", write(t, "c.csv", CATALOGUE + "Acme,pricey,2,4,1e30\n")],
        {},
        "out of any sensible range",
    ),
    "emulator serve --port 99999": (lambda t: ["emulator", "serve", "--port", "99999"], {}, "not in the range"),
    "demo --out-dir /proc/x": (lambda t: ["demo", "--out-dir", "/proc/x/y"], {}, "cannot create it"),
    "plan --save into /proc": (
        lambda t: ["plan", write(t, "s.yaml", ONE_SERVICE), "--time-limit", "2", "--save", "/proc/x/plan.json",
                   "--catalogue", write(t, "c.csv", CATALOGUE)],
        {},
        "/proc/x",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_a_clear_error_not_an_internal_one(name: str, tmp_path: Path) -> None:
    make_args, env, message = CASES[name]
    args = ["--data-dir", str(tmp_path / "data"), *make_args(tmp_path)]
    result = CliRunner().invoke(cli, args, env=env)
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (1, 2), result.output
    assert message in result.output, result.output
    assert "Traceback" not in result.output
