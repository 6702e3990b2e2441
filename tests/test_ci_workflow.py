"""docs/ci/costplan-diff.yml: a GitHub Actions workflow whose costplan commands run as written.

No network: the workflow is parsed with yaml, and each `costplan ...` command of its run steps is
executed in-process (CliRunner) against the sandbox, in a directory laid out as the job's checkout.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from costplan.cli import cli
from costplan.plans import Plan
from tests.markdown_support import parse, records

WORKFLOW = Path(__file__).resolve().parent.parent / "docs" / "ci" / "costplan-diff.yml"
BASE = (
    "services:\n"
    "  - {name: api, countMin: 2, cpuMhz: 1500, memoryMB: 2000}\n"
    "  - {name: db, countMin: 1, cpuMhz: 1000, memoryMB: 3000}\n"
)
GROWN = BASE.replace("countMin: 2", "countMin: 6")


def workflow() -> dict[Any, Any]:
    document: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return document


def steps() -> list[dict[str, Any]]:
    (job,) = workflow()["jobs"].values()
    found: list[dict[str, Any]] = job["steps"]
    return found


def costplan_lines() -> list[str]:
    return [line.strip() for s in steps() for line in s.get("run", "").splitlines() if "costplan " in line]


def run_line(line: str) -> int:
    """A shell line of `costplan` commands joined by `&&`, with `> FILE` redirects, run in-process."""
    words = shlex.split(line)
    commands: list[list[str]] = [[]]
    for word in words:
        if word == "&&":
            commands.append([])
        else:
            commands[-1].append(word)
    for command in commands:
        out = None
        if ">" in command:
            out = command[command.index(">") + 1]
            command = command[: command.index(">")]
        assert command[0] == "costplan", command
        result = CliRunner().invoke(cli, command[1:])
        if out is not None:
            Path(out).write_text(result.stdout, encoding="utf-8")
        if result.exit_code != 0:
            assert result.exit_code in (1, 2, 3), result.output
            return result.exit_code
    return 0


def test_the_workflow_runs_on_pull_requests_and_may_comment() -> None:
    document = workflow()
    triggers = document.get("on", document.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    assert document["permissions"]["pull-requests"] == "write"
    post = next(s for s in steps() if "gh pr comment" in s.get("run", ""))
    assert "--body-file comment.md" in post["run"] and "always()" in post["if"]
    fail = steps()[-1]
    assert "exit_code" in fail["if"] and fail["run"].startswith("exit")


def test_its_commands_are_the_documented_ci_line() -> None:
    (line,) = [line for line in costplan_lines() if "costplan diff" in line]
    assert line.startswith(
        "costplan plan services.yaml --save new.json && "
        "costplan diff main.json new.json --output markdown --fail-on-increase 5%"
    )
    readme = (WORKFLOW.parent.parent.parent / "README.md").read_text(encoding="utf-8")
    assert line.split(" > ")[0] in readme


@pytest.mark.parametrize("services", [BASE, GROWN], ids=["unchanged", "grown"])
def test_its_commands_run_against_the_sandbox(services: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "services.yaml").write_text(BASE, encoding="utf-8")
    # "The plan on the base branch": main.json, as committed on main
    assert CliRunner().invoke(cli, ["plan", "services.yaml", "--save", "main.json"]).exit_code == 0
    (tmp_path / "services.yaml").write_text(services, encoding="utf-8")  # the pull request's change
    codes = [run_line(line) for line in costplan_lines()]
    old, new = Plan.load("main.json"), Plan.load("new.json")
    rise = (new.monthly_cost - old.monthly_cost) / old.monthly_cost
    assert codes == [3 if rise > 0.05 else 0]
    if services == GROWN:
        assert codes == [3]  # six api replicas cost more than 5 % over two
    comment = parse((tmp_path / "comment.md").read_text(encoding="utf-8"))
    assert comment.paragraphs[0].startswith(f"Monthly cost {old.monthly_cost:,.2f} EUR -> {new.monthly_cost:,.2f} EUR")
    shown = {r["pool"] for r in records(comment.tables[0]) if r["change"] != "(none)"}
    before = {p.name: (p.provider, p.instance_type, p.count_min, p.count_max) for p in old.pools}
    after = {p.name: (p.provider, p.instance_type, p.count_min, p.count_max) for p in new.pools}
    assert shown == {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    if codes == [3]:
        assert any(p.startswith("Gate failed: monthly cost increase") for p in comment.paragraphs)
