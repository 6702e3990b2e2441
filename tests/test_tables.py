"""Tables read well at 80 columns and when piped: COLUMNS respected, numbers whole and right-aligned."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from costplan.cli import cli

CATALOGUE = """provider,instance_type,vcpus,memory_gb,monthly_price,price_note
Acme Cloud Services,small-general-purpose,2,4,1234.5678,illustrative: hand-written figures
Acme Cloud Services,medium-general-purpose,4,8,2469.1356,
Other,big,16,64,15000.25,
"""
SERVICES = "services:\n  - {name: api, countMin: 2, cpuMhz: 1500, memoryMB: 2000}\n"


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "c.csv").write_text(CATALOGUE)
    (tmp_path / "s.yaml").write_text(SERVICES)
    return str(tmp_path / "c.csv"), str(tmp_path / "s.yaml")


@pytest.mark.parametrize("width", [60, 80, 120])
def test_catalogue_table_fits_columns_and_keeps_numbers_whole(files: tuple[str, str], width: int) -> None:
    result = CliRunner().invoke(cli, ["catalogue", files[0]], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    table = result.stdout
    assert max(len(line) for line in table.splitlines()) <= width
    for figure in ("1,234.57", "2,469.14", "15,000.25"):  # money to the cent, never broken
        assert figure in table
    if "\u2500" in table:  # a table (not one block per record): monthly prices right-aligned in one column
        ends = [line.index(f) + len(f) for line in table.splitlines() for f in ("1,234.57", "15,000.25") if f in line]
        assert len(set(ends)) == 1, table


def test_wide_enough_it_is_a_table(files: tuple[str, str]) -> None:
    result = CliRunner().invoke(cli, ["catalogue", files[0]], env={"COLUMNS": "120"})
    assert "\u2500" in result.stdout and "monthly" in result.stdout.splitlines()[2:5][-1] + result.stdout


def test_piped_output_without_columns_is_not_200_wide(files: tuple[str, str]) -> None:
    result = CliRunner().invoke(cli, ["catalogue", files[0]], env={"COLUMNS": ""})
    assert max(len(line) for line in result.stdout.splitlines()) <= 120


def test_plan_table_csv_and_json(files: tuple[str, str]) -> None:
    base = ["plan", files[1], "--catalogue", files[0], "--time-limit", "3"]
    table = CliRunner().invoke(cli, base, env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.output
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    assert re.search(r"proven lower bound [\d,]+\.\d\d EUR\)?\.", table.stderr) or "No cheaper plan" in table.stderr
    assert not re.search(r"\d\.\d{4} EUR", table.stderr), table.stderr  # summaries to the cent
    as_csv = CliRunner().invoke(cli, [*base, "-o", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert rows and {"pool", "provider", "instance_type", "count_min", "monthly_cost", "price_note"} <= set(rows[0])
    as_json = CliRunner().invoke(cli, [*base, "-o", "json"])
    assert json.loads(as_json.stdout)["pools"][0]["name"] == rows[0]["pool"]
