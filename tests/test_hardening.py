"""Issue 11, findings 6 and 7: bad files and hostile text end in one clear line, never a traceback,
and credentials or escape sequences do not reach storage or the terminal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from click.testing import CliRunner

from costplan.api import Client
from costplan.cli import cli
from costplan.commands._shared import emit_records, terminal_text
from costplan.config import Settings, public_url
from costplan.errors import ApiStatusError
from tests.conftest import EXAMPLE_KEY


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_inf_in_a_catalogue_file_is_a_clear_error_naming_the_column(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "provider_uuid": ["p"],
            "provider": ["Azure"],
            "instance_type_uuid": ["t"],
            "instance_type": ["B2s"],
            "vcpus": [2],
            "memory_gb": [4.0],
            "hourly_price": [float("inf")],
            "monthly_price": [float("inf")],
        }
    )
    path = tmp_path / "what-if.csv"
    frame.to_csv(path, index=False)
    services = Path(__file__).resolve().parents[1] / "examples" / "services.yaml"
    result = run("plan", str(services), "--catalogue", str(path))
    assert result.exit_code == 1, result.output
    assert "column hourly_price holds inf in row 0 (B2s)" in result.output


@pytest.mark.parametrize("content", ['{"version": 1, "pools": ', "[1, 2]", '{"version": 99}'])
def test_a_corrupt_emulator_state_file_is_a_clear_error(tmp_path: Path, content: str) -> None:
    state = tmp_path / "state.json"
    state.write_text(content, encoding="utf-8")
    result = run("emulator", "serve", "--port", "0", "--state-file", str(state))
    assert result.exit_code == 1, result.output
    assert f"emulator state file {state}" in result.output and "move it away" in result.output


def test_credentials_in_urls_are_stripped_before_storing_or_printing(tmp_path: Path) -> None:
    from costplan.catalogue import Catalogue
    from costplan.normalise import build_frame, empty_quality
    from costplan.snapshots import METADATA_KEY, write_snapshot

    assert public_url("https://user:secret@api.example/v1") == "https://api.example/v1"
    assert (
        public_url("catalogue (collected from http://u:p@127.0.0.1:8/v1)")
        == "catalogue (collected from http://127.0.0.1:8/v1)"
    )
    frame, _ = build_frame([], currency="EUR", collected_at=pd.Timestamp("2024-01-01", tz="UTC").to_pydatetime())
    catalogue = Catalogue(frame=frame, quality=empty_quality(), source="https://user:secret@api.example/v1")
    path = write_snapshot(catalogue, tmp_path)
    import pyarrow.parquet as pq

    meta = json.loads(pq.read_table(path).schema.metadata[METADATA_KEY])
    assert meta["source"] == "https://api.example/v1"


def test_a_world_readable_key_file_is_warned_about(tmp_path: Path) -> None:
    key = tmp_path / "layerops.key"
    key.write_text(EXAMPLE_KEY, encoding="utf-8")
    key.chmod(0o644)
    settings = Settings.resolve(flags={"api_key_file": str(key)}, environ={}, config_path=tmp_path / "none.toml")
    assert any("readable by other users" in n and "chmod 600" in n for n in settings.notices)
    key.chmod(0o600)
    settings = Settings.resolve(environ={"LAYEROPS_API_KEY_FILE": str(key)}, config_path=tmp_path / "none.toml")
    assert not any("readable by other users" in n for n in settings.notices)
    key.chmod(0o640)
    settings = Settings.resolve(environ={"LAYEROPS_API_KEY_FILE": str(key)}, config_path=tmp_path / "none.toml")
    assert any("readable by other users" in n for n in settings.notices)


def test_escape_sequences_in_names_never_reach_the_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert terminal_text("web\x1b]0;owned\x07\x1b[2J\x9b") == "web\\x1b]0;owned\\x07\\x1b[2J\\x9b"
    emit_records([{"name": "evil\x1b[31m\nline"}], "table", columns=["name"])
    out = capsys.readouterr().out
    assert "\x1b" not in out and "evil\\x1b[31m\\x0aline" in out.replace("\n", "")


def test_a_redirect_says_where_it_pointed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"location": "https://u:p@elsewhere.example/v1/workspaces"})

    http = httpx.Client(base_url="https://api.layerops.test/v1", transport=httpx.MockTransport(handler))
    with Client(http, sleep=lambda s: None) as client, pytest.raises(ApiStatusError) as caught:
        client.list_workspaces()
    message = str(caught.value)
    assert "a redirect to https://elsewhere.example/v1/workspaces" in message and "u:p" not in message
