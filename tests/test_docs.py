"""The README cannot drift: every command is documented, has help, and the two set-up lines stay two."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from costplan.cli import COMMANDS, cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
CI_SCRIPT = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_and_is_in_the_readme(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output or "Commands:" in result.output
    assert f"costplan {name}" in README, f"README.md never shows `costplan {name}`"


def test_readme_gives_exactly_two_setup_commands_and_ci_runs_the_second() -> None:
    block = README.split("## Two commands", 1)[1].split("```", 2)[1]
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith(("#", "sh"))]
    assert len(commands) == 2
    assert commands[1] in CI_SCRIPT, "the CI script must run the README's test command verbatim"
    assert re.search(r"costplan \w+", commands[0])
