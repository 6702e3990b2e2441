"""`costplan --help` must stay fast: no pandas, solver, HTTP stack or emulator at start-up."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "numpy", "highspy", "pyarrow", "httpx", "starlette", "uvicorn", "rich", "yaml", "jinja2")


def loaded_modules(code: str) -> set[str]:
    script = f"import sys, json\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_help_imports_nothing_heavy() -> None:
    code = (
        "from click.testing import CliRunner\n"
        "from costplan.cli import cli\n"
        "result = CliRunner().invoke(cli, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "for name in cli.list_commands(None):\n"
        "    assert CliRunner().invoke(cli, [name, '--help']).exit_code == 0, name\n"
    )
    heavy = {m for m in loaded_modules(code) if m.split(".")[0] in HEAVY}
    assert heavy == set()


def test_import_costplan_is_light() -> None:
    heavy = {m for m in loaded_modules("import costplan") if m.split(".")[0] in HEAVY}
    assert heavy == set()


def test_console_script_help_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "from costplan.cli import main; main()", "--help"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert "providers" in result.stdout
