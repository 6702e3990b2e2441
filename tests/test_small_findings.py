"""The smaller findings of issue 12 (item 9), one test each."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from costplan.cli import cli
from costplan.planner import PlanOptions, make_plan
from costplan.report import render_plan_report
from tests.planner.conftest import catalogue, service

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = "provider,instance_type,vcpus,memory_gb,monthly_price\nAzure,b2,2,4,30\nAWS,t3,2,4,20\n"


def test_provider_typo_gets_the_nearest_names(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(CATALOGUE)
    result = CliRunner().invoke(cli, ["catalogue", str(tmp_path / "c.csv"), "--provider", "Azur"])
    assert result.exit_code == 0
    assert "no provider named 'Azur': did you mean 'Azure'?" in result.stderr


def test_report_out_in_a_missing_directory_creates_nothing(tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "dir" / "x.html"
    result = CliRunner().invoke(cli, ["report", "catalogue", "--out", str(target)])
    assert result.exit_code == 2 and "does not exist" in result.output
    assert not (tmp_path / "nonexistent").exists()


def test_per_provider_alternatives_name_the_service_providers() -> None:
    frame = catalogue([("Azure", "b2", 2, 4, 30.0), ("AWS", "t3", 2, 4, 20.0), ("GCP", "e2", 2, 4, 25.0)])
    plan = make_plan(
        frame,
        [service("db", 1, 500, 500, providers=("Azure",)), service("web", 1, 500, 500)],
        PlanOptions(time_limit=3),
    )
    notes = {a.name: a.note for a in plan.alternatives if a.kind == "single_provider"}
    assert "may only run on Azure" in notes["AWS"] and "may only run on Azure" in notes["GCP"]
    assert not any("from provider(s) Azure" in n for n in notes.values())


def test_plan_report_states_money_units_and_what_utilisation_means() -> None:
    plan = make_plan(catalogue([("Azure", "b2", 2, 4, 30.0)]), [service("web", 3, 500, 500)], PlanOptions(time_limit=3))
    html = render_plan_report(plan)
    text = re.sub(r"<[^>]+>", " ", html)
    assert "after platform overhead and headroom" in text
    stats = plan.assumptions["solver"]["stats"]
    raw = [v for k, v in stats.items() if k.endswith(("_bound", "_units")) and isinstance(v, (int, float))]
    for value in raw:
        assert f"{value / 10_000:,.2f} EUR/month" in text


def test_readme_mentions_the_notebooks_extra() -> None:
    assert ".[notebooks]" in (ROOT / "README.md").read_text(encoding="utf-8")
