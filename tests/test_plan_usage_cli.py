"""`costplan plan` with peak hours, `--commit baseline` and the cost-per-service table, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from costplan.cli import cli

# "ondemand" is cheaper on demand; "committed" has a committed price (0.10/h = 72.00/month) below both.
CATALOGUE = """provider,instance_type,vcpus,memory_gb,monthly_price,reserved_hourly_price
Acme,ondemand,2,4,100,
Acme,committed,2,4,120,0.1
"""
SERVICES = """services:
  - {name: api, countMin: 1, countMax: 2, cpuMhz: 2000, memoryMB: 2000}
usage:
  peakHoursPerMonth: 180
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "c.csv").write_text(CATALOGUE)
    (tmp_path / "s.yaml").write_text(SERVICES)
    return str(tmp_path / "c.csv"), str(tmp_path / "s.yaml")


def plan(files: tuple[str, str], *extra: str) -> dict[str, object]:
    result = CliRunner().invoke(
        cli, ["plan", files[1], "--catalogue", files[0], "--time-limit", "3", *extra, "-o", "json"]
    )
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_usage_block_and_flag(files: tuple[str, str]) -> None:
    from_file = plan(files)
    # baseline 100 (one "ondemand" node), peak 200: 100 + 100 x 180/720 = 125.
    assert from_file["expected_monthly_cost"] == 125.0
    assert from_file["usage"] == {
        "peak_hours_per_month": 180.0,
        "source": f"services file {files[1]}: usage.peakHoursPerMonth = 180.0",
    }
    flagged = plan(files, "--peak-hours", "72")  # the flag overrides the file: 100 + 100 x 72/720 = 110
    assert flagged["expected_monthly_cost"] == 110.0
    assert "--peak-hours 72" in str(flagged["usage"])


def test_commit_baseline_from_the_command_line(files: tuple[str, str]) -> None:
    data = plan(files, "--commit", "baseline")
    assert [p["instance_type"] for p in data["pools"]] == ["committed"]  # type: ignore[index]
    commit = data["commit"]
    assert isinstance(commit, dict)
    assert (commit["committed_monthly_cost"], commit["on_demand_monthly_cost"], commit["saving"]) == (72.0, 120.0, 48.0)
    assert data["monthly_cost"] == 72.0 and data["expected_monthly_cost"] == 72.0 + 120.0 * 180 / 720
    assert plan(files)["commit"] is None  # off by default


def test_table_shows_cost_per_service_expected_cost_and_saving(files: tuple[str, str]) -> None:
    args = ["plan", files[1], "--catalogue", files[0], "--time-limit", "3", "--commit", "baseline"]
    result = CliRunner().invoke(cli, args, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "Cost per service" in result.stdout and "(idle)" in result.stdout
    assert "expected 102.00 EUR/month: 180.0 h a month at peak" in result.stderr
    assert "saving 48.00 EUR/month" in result.stderr
    assert "baseline 72.00 EUR/month, peak 192.00 EUR/month" in result.stderr


def test_unknown_usage_key_is_a_clear_error(files: tuple[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SERVICES.replace("peakHoursPerMonth", "peakHoursPerMnth"))
    result = CliRunner().invoke(cli, ["plan", str(bad), "--catalogue", files[0]])
    assert result.exit_code == 1
    assert "unknown key 'peakHoursPerMnth' in the usage block: did you mean 'peakHoursPerMonth'?" in result.output
    assert "Traceback" not in result.output


def test_committed_prices_from_the_config_profile(files: tuple[str, str], tmp_path: Path) -> None:
    """[prices.reserved] per profile: "ondemand" committed at 0.05/h = 36.00 a month beats "committed" (72.00)."""
    config = tmp_path / "config.toml"
    config.write_text('[profiles.staging.prices.reserved]\n"Acme/ondemand" = { hourly = 0.05 }\n')
    args = ["--config", str(config), "--profile", "staging", "plan", files[1], "--catalogue", files[0]]
    result = CliRunner().invoke(cli, [*args, "--time-limit", "3", "--commit", "baseline", "-o", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [p["instance_type"] for p in data["pools"]] == ["ondemand"]
    assert (data["monthly_cost"], data["commit"]["on_demand_monthly_cost"], data["commit"]["saving"]) == (
        36.0,
        100.0,
        64.0,
    )
    plain = CliRunner().invoke(
        cli, ["--config", str(config), "plan", files[1], "--catalogue", files[0], "--commit", "baseline", "-o", "json"]
    )
    assert json.loads(plain.stdout)["monthly_cost"] == 72.0  # the default profile has no such rule
