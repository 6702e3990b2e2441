"""`--output markdown`: one GitHub-flavoured table renderer for every command, rendered to HTML and parsed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from costplan.cli import cli
from costplan.commands._shared import markdown_table
from tests.markdown_support import parse, records, render

CATALOGUE = """provider,instance_type,vcpus,memory_gb,monthly_price,price_note
Acme | Cloud,small <b>general</b>,2,4,1234.5678,illustrative: hand-written figures
Acme | Cloud,medium*general*,4,8,2469.1356,
Other,big,16,64,15000.25,
"""
SERVICES = "services:\n  - {name: api, countMin: 2, cpuMhz: 1500, memoryMB: 2000}\n"


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    (tmp_path / "c.csv").write_text(CATALOGUE)
    (tmp_path / "s.yaml").write_text(SERVICES)
    return str(tmp_path / "c.csv"), str(tmp_path / "s.yaml")


@pytest.mark.parametrize(
    "text",
    ["a|b", "a\\|b", "<script>x</script>", "*not bold*", "~~kept~~", "[link](http://x)", "> quote", "- item", "`c`"],
)
def test_cells_keep_their_text_exactly(text: str) -> None:
    document = parse(markdown_table(["name", "n"], [{"name": text, "n": 1}]))
    assert records(document.tables[0]) == [{"name": text, "n": "1"}]
    assert "<script>" not in render(markdown_table(["name"], [{"name": text}]))


def test_numbers_are_right_aligned_money_to_the_cent_and_empty_columns_left_out() -> None:
    table = markdown_table(
        ["pool", "monthly_cost", "tags"], [{"pool": "a", "monthly_cost": 1234.5678, "tags": ""}, {"pool": "b"}]
    )
    assert table.splitlines()[:2] == ["| pool | monthly cost |", "| --- | ---: |"]
    assert records(parse(table).tables[0]) == [
        {"pool": "a", "monthly cost": "1,234.57"},
        {"pool": "b", "monthly cost": ""},
    ]


def test_no_rows_is_a_table_that_says_so() -> None:
    assert records(parse(markdown_table(["pool", "cost"], [])).tables[0]) == [{"pool": "(none)", "cost": ""}]


def test_catalogue_markdown_shows_the_rows_of_the_csv(files: tuple[str, str]) -> None:
    result = CliRunner().invoke(cli, ["catalogue", files[0], "-o", "markdown"])
    assert result.exit_code == 0, result.output
    document = parse(result.stdout)
    assert document.paragraphs[0] == "3 instance types"
    shown = records(document.tables[0])
    rows = list(csv.DictReader(io.StringIO(CliRunner().invoke(cli, ["catalogue", files[0], "-o", "csv"]).stdout)))
    assert [(r["provider"], r["instance type"]) for r in shown] == [(r["provider"], r["instance_type"]) for r in rows]
    assert shown[0]["provider"] == "Acme | Cloud" and shown[0]["instance type"] == "small <b>general</b>"
    assert [r["monthly price"] for r in shown] == [f"{float(r['monthly_price']):,.2f}" for r in rows]


def test_plan_markdown_is_a_summary_and_the_pools(files: tuple[str, str]) -> None:
    base = ["plan", files[1], "--catalogue", files[0], "--time-limit", "3", "--landing", "0"]
    result = CliRunner().invoke(cli, [*base, "-o", "markdown"])
    assert result.exit_code == 0, result.output
    plan = json.loads(CliRunner().invoke(cli, [*base, "-o", "json"]).stdout)
    document = parse(result.stdout)
    assert document.paragraphs[0].startswith(f"{plan['monthly_cost']:,.2f} {plan['currency']}/month")
    pools = records(document.tables[0])
    assert [(r["pool"], r["count min"], r["monthly cost"]) for r in pools] == [
        (p["name"], str(p["count_min"]), f"{p['monthly_cost']:,.2f}") for p in plan["pools"]
    ]


@pytest.mark.parametrize(("limit", "code"), [("1e9", 0), ("equal", 0), ("1", 3)])
def test_plan_budget_gate(files: tuple[str, str], limit: str, code: int) -> None:
    base = ["plan", files[1], "--catalogue", files[0], "--time-limit", "3", "--landing", "0", "-o", "json"]
    cost = json.loads(CliRunner().invoke(cli, base).stdout)["monthly_cost"]
    result = CliRunner().invoke(cli, [*base, "--max-monthly-cost", str(cost) if limit == "equal" else limit])
    assert result.exit_code == code, result.output
    assert json.loads(result.stdout)["monthly_cost"] == cost  # the plan is printed either way
    if code:
        assert f"exceeds --max-monthly-cost 1.00 EUR by {cost - 1:,.2f} EUR" in result.stderr
