"""Every command that reads a plan file verifies it first, with one message: a tampered plan is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from costplan.cli import cli
from costplan.models import ServiceSpec
from costplan.planner import PlanOptions, make_plan
from tests.planner.conftest import catalogue

READERS = [
    ["report", "plan", "{plan}", "--out", "{out}"],
    ["provision", "{plan}"],
    ["destroy", "--plan", "{plan}", "--yes"],
]


@pytest.fixture(scope="module")
def plan_data() -> dict[str, object]:
    frame = catalogue([("Acme", "s", 2, 4, 20.0), ("Acme", "m", 4, 8, 38.0)], environment="env-1")
    plan = make_plan(frame, [ServiceSpec("api", 2, 2, 1500, 2000)], PlanOptions(time_limit=5))
    return plan.to_dict()


def tampered(data: dict[str, object], change: str) -> dict[str, object]:
    edited = json.loads(json.dumps(data))
    if change == "cost":  # the total edited down, as in the issue: 99 beside a higher proven bound
        edited["monthly_cost"] = 9.0
    elif change == "bound":  # a bound above the cost
        edited["lower_bound"] = float(edited["monthly_cost"]) + 50  # type: ignore[arg-type]
    elif change == "capacity":  # a node type made bigger than its capacity model allows
        edited["pools"][0]["cpu_mhz"] = 10 * edited["pools"][0]["cpu_mhz"]  # type: ignore[index]
    return edited


@pytest.mark.parametrize("change", ["cost", "bound", "capacity"])
def test_a_tampered_plan_is_refused_by_every_reader_with_one_message(
    plan_data: dict[str, object], change: str, tmp_path: Path
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(tampered(plan_data, change)), encoding="utf-8")
    messages = set()
    for words in READERS:
        args = [w.format(plan=path, out=tmp_path / "plan.html") for w in words]
        result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), *args])
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith(f"Error: {path}: "), result.output
        messages.add(result.output.strip())
    assert len(messages) == 1, messages
    assert not (tmp_path / "plan.html").exists()


def test_an_untouched_plan_renders(plan_data: dict[str, object], tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan_data), encoding="utf-8")
    out = tmp_path / "plan.html"
    result = CliRunner().invoke(cli, ["report", "plan", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file()
