"""The CLI end to end: sandbox by default, real servers over loopback, errors as sentences and exit codes."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from costplan.cli import cli
from tests.conftest import EXAMPLE_KEY, EXAMPLE_SECRET


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_providers_in_the_sandbox_says_so_and_lists_every_provider() -> None:
    result = run("providers", "--output", "json")
    assert result.exit_code == 0, result.output
    assert "sandbox" in result.stderr
    rows = json.loads(result.stdout)["records"]
    names = {row["provider"] for row in rows}
    assert {"Azure", "Google Cloud Platform", "Scaleway"} <= names
    assert len(names) >= 5
    azure = next(r for r in rows if r["provider"] == "Azure")
    assert azure["provider_uuid"] == "d57b214f-ec43-41b9-8cf1-71329349093b"
    assert azure["instance_types"] >= 2


def test_providers_csv_has_the_same_rows_as_json() -> None:
    as_json = json.loads(run("providers", "-o", "json").stdout)["records"]
    lines = run("providers", "-o", "csv").stdout.strip().splitlines()
    assert lines[0].split(",")[0] == "workspace"
    assert len(lines) == len(as_json) + 1


def test_live_api_with_key_never_prints_it(serve_emulator: Any) -> None:
    server = serve_emulator(provision_seconds=0)
    env = {"LAYEROPS_API_URL": server.base_url, "LAYEROPS_API_KEY": EXAMPLE_KEY}
    result = run("providers", env=env)
    assert result.exit_code == 0, result.output
    assert "sandbox" not in result.stderr
    assert "Prod" in result.stdout
    assert EXAMPLE_SECRET not in result.output


def test_wrong_key_is_a_clear_error_without_the_key(serve_emulator: Any) -> None:
    server = serve_emulator()
    wrong = "LYPWRONGKEY:not-the-secret-at-all"
    result = run("providers", env={"LAYEROPS_API_URL": server.base_url, "LAYEROPS_API_KEY": wrong})
    assert result.exit_code == 1
    assert "401" in result.stderr and "LAYEROPS_API_KEY" in result.stderr
    assert "not-the-secret-at-all" not in result.output
    assert "Traceback" not in result.output


def test_unreachable_api_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once closed
    env = {
        "LAYEROPS_API_URL": f"http://127.0.0.1:{port}/v1",
        "LAYEROPS_API_KEY": EXAMPLE_KEY,
        "COSTPLAN_MAX_RETRIES": "0",
    }
    result = run("providers", env=env)
    assert result.exit_code == 1
    assert "Error:" in result.stderr and "Traceback" not in result.output
    assert EXAMPLE_SECRET not in result.output


def test_bad_config_file_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("api_url = [\n")
    result = run("--config", str(config), "providers")
    assert result.exit_code == 1
    assert "not valid TOML" in result.stderr


def test_bad_emulator_setting_is_a_clear_error() -> None:
    result = run("providers", env={"COSTPLAN_EMULATOR_ERROR_RATE": "2"})
    assert result.exit_code == 1
    assert "error_rate must be between 0 and 1" in result.stderr


def test_the_key_is_not_an_option() -> None:
    result = run("--api-key", EXAMPLE_KEY, "providers")
    assert result.exit_code == 2
    assert "No such option" in result.stderr
