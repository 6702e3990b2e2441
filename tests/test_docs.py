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


def readme_block(heading: str, language: str) -> str:
    section = README.split(heading, 1)[1]
    return section.split(f"```{language}\n", 1)[1].split("```", 1)[0]


def test_readme_library_session_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The `>>>` session of "Using as a library", executed as written (against the sandbox)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "services.yaml").write_text(
        (Path(__file__).resolve().parent.parent / "examples" / "services.yaml").read_text()
    )
    lines = readme_block("## Using as a library", "python").splitlines()
    source = "\n".join(line[4:] for line in lines if line.startswith((">>> ", "... ")))
    namespace: dict[str, object] = {}
    exec(compile(source, "README.md", "exec"), namespace)
    plan = namespace["plan"]
    assert plan.lower_bound <= plan.monthly_cost  # type: ignore[attr-defined]
    assert (tmp_path / "plan.json").exists()


PROD = "e7b73b16-7931-4878-944f-bdb97c5b1d85"


def test_readme_cli_lines_run_in_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every `costplan ...` line of "Using the CLI" runs against the sandbox and exits 0.

    Placeholders are filled in (ENV_UUID: the documented Prod environment; OLD/NEW: two
    snapshots); `emulator serve` runs until Ctrl-C, so it is tested in the emulator's suite.
    """
    import shlex

    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "services.yaml").write_text(
        (Path(__file__).resolve().parent.parent / "examples" / "services.yaml").read_text()
    )
    for line in readme_block("## Using the CLI", "sh").splitlines():
        command = line.split("  #", 1)[0].strip()
        if not command.startswith("costplan ") or "emulator serve" in command:
            continue
        if "OLD.parquet" in command:
            snapshots = sorted((tmp_path / "data" / "snapshots").glob("*.parquet"))
            command = command.replace("OLD.parquet", str(snapshots[0])).replace("NEW.parquet", str(snapshots[-1]))
        args = shlex.split(command.replace("ENV_UUID", PROD))[1:]
        if args[0] == "demo":
            args += ["--out-dir", str(tmp_path / "demo"), "--time-limit", "5"]
        if args[0] == "plan":
            args += ["--time-limit", "5"]
        result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), *args])
        assert result.exit_code == 0, f"{command}\n{result.output}"
        if args[0] == "collect":
            # a second snapshot so that `catalogue diff` has two to compare
            assert CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "collect"]).exit_code == 0
    assert (tmp_path / "plan.json").exists()
    assert (tmp_path / "plan.html").exists() and (tmp_path / "status.html").exists()
