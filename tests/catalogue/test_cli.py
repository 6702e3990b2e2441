"""`costplan collect` and `costplan catalogue`: exit codes, snapshots, and exports equal to the view."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from costplan import cli as cli_module
from costplan.catalogue import filter_catalogue, load_catalogue
from costplan.commands._shared import App
from costplan.snapshots import list_snapshots
from tests.catalogue.conftest import GCP, api_handler, mock_client


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, serve_emulator: Any, example_key: str) -> Any:
    """`run(*args)`: the costplan CLI against a loopback emulator, stdout and stderr kept apart."""
    monkeypatch.setitem(cli_module.COMMANDS, "collect", "costplan.commands.catalogue:collect")
    monkeypatch.setitem(cli_module.COMMANDS, "catalogue", "costplan.commands.catalogue:catalogue")
    server = serve_emulator(extra_providers=1, extra_types_per_provider=3)
    monkeypatch.setenv("LAYEROPS_API_URL", server.base_url)
    monkeypatch.setenv("LAYEROPS_API_KEY", example_key)

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli_module.cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def data_dir(clean_environ: Path) -> Path:
    return clean_environ / "costplan-data"


def test_collect_writes_a_snapshot_and_prints_one_line_per_provider(run: Any, tmp_path: Path) -> None:
    result = run("collect", "--out", str(tmp_path), "--concurrency", "2", "--output", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["records"]
    assert {r["status"] for r in rows} == {"ok"} and sum(r["instance_types"] for r in rows) > 0
    assert any(r["kept_out"] for r in rows)  # the seed's bad rows
    (snapshot,) = list_snapshots(tmp_path)
    assert f"snapshot written to {snapshot}" in result.stderr
    assert "kept out for data quality" in result.stderr and "priceFactor is 0" in result.stderr


def test_partial_collection_exits_3_and_strict_writes_nothing(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(App, "client", lambda self: mock_client(api_handler(down=frozenset({GCP}))))
    partial = run("collect", "--out", str(tmp_path / "a"))
    assert partial.exit_code == 3
    assert "missing provider Google Cloud Platform" in partial.stderr and "503" in partial.stderr
    assert len(list_snapshots(tmp_path / "a")) == 1

    strict = run("collect", "--out", str(tmp_path / "b"), "--strict")
    assert strict.exit_code == 3 and "missing from the catalogue" in strict.stderr
    assert list_snapshots(tmp_path / "b") == []


def test_nothing_collected_exits_1(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    down = frozenset({"d57b214f-ec43-41b9-8cf1-71329349093b", GCP, "8bd4754c-1392-4d79-b3d7-32eed491e90c"})
    monkeypatch.setattr(App, "client", lambda self: mock_client(api_handler(down=down)))
    result = run("collect", "--out", str(tmp_path))
    assert result.exit_code == 1 and "no provider could be collected" in result.stderr


def test_catalogue_collects_first_then_reads_the_latest_snapshot(run: Any, data_dir: Path) -> None:
    first = run("catalogue", "--sort", "price_per_vcpu_month", "--output", "table")
    assert first.exit_code == 0, first.output
    assert "collecting one first" in first.stderr and "vcpu" in first.stdout  # headers: "price per vcpu month"
    assert len(list_snapshots(data_dir / "snapshots")) == 1
    again = run("catalogue", "--sort", "price_per_vcpu_month", "--output", "table")
    assert again.exit_code == 0 and "collecting" not in again.stderr
    assert len(list_snapshots(data_dir / "snapshots")) == 1


@pytest.mark.parametrize("output", ["csv", "json"])
def test_export_is_exactly_the_filtered_sorted_view(run: Any, data_dir: Path, output: str) -> None:
    assert run("collect").exit_code == 0
    args = [
        "--min-vcpus",
        "2",
        "--max-price",
        "300",
        "--name",
        "*standard*",
        "--sort",
        "monthly_price",
        "--desc",
    ]
    result = run("catalogue", *args, "--output", output)
    assert result.exit_code == 0, result.output
    view = filter_catalogue(
        load_catalogue(data_dir / "snapshots").frame,
        min_vcpus=2,
        max_monthly_price=300,
        name_pattern="*standard*",
        sort="monthly_price",
        descending=True,
    )
    assert len(view) > 1
    if output == "csv":
        exported = pd.read_csv(io.StringIO(result.stdout), dtype=str, keep_default_na=False)
    else:
        exported = pd.DataFrame(json.loads(result.stdout)["records"])
    assert list(exported.columns) == list(view.columns)
    assert exported["instance_type_uuid"].tolist() == view["instance_type_uuid"].tolist()
    for column in ("monthly_price", "hourly_price", "price_per_vcpu_month", "vcpus", "memory_gb"):
        assert [float(v) for v in exported[column]] == [float(v) for v in view[column]], column


def test_bad_sort_column_is_a_usage_error_listing_columns(run: Any) -> None:
    assert run("collect").exit_code == 0
    result = run("catalogue", "--sort", "cheapest")
    assert result.exit_code == 2
    assert "cannot sort by 'cheapest'" in result.stderr and "monthly_price" in result.stderr


def test_quality_lists_rows_kept_out(run: Any) -> None:
    assert run("collect").exit_code == 0
    result = run("catalogue", "--quality", "--output", "json")
    problems = json.loads(result.stdout)["records"]
    assert {"price_factor", "missing_price"} <= {p["check"] for p in problems}
    assert all(p["problem"].endswith(".") for p in problems)


def test_catalogue_of_a_hand_made_file_with_options_after_it(run: Any, tmp_path: Path) -> None:
    path = tmp_path / "what-if.csv"
    path.write_text("provider,instance_type,vcpus,memory_gb,monthly_price\nOnPrem,a,2,4,20\nOnPrem,b,8,32,50\n")
    result = run("catalogue", str(path), "--min-vcpus", "4", "-o", "json")
    assert result.exit_code == 0, result.output
    assert [r["instance_type"] for r in json.loads(result.stdout)["records"]] == ["b"]


def test_catalogue_diff(run: Any, tmp_path: Path) -> None:
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    old.write_text("provider,instance_type,vcpus,memory_gb,monthly_price\nP,a,2,4,20\nP,b,4,8,40\n")
    new.write_text("provider,instance_type,vcpus,memory_gb,monthly_price\nP,a,2,4,22\nP,c,8,16,80\n")
    result = run("catalogue", "diff", str(old), str(new), "--output", "json")
    assert result.exit_code == 0, result.output
    changes = {r["instance_type"]: (r["change"], r["change_pct"]) for r in json.loads(result.stdout)["records"]}
    assert changes == {"b": ("removed", None), "c": ("added", None), "a": ("price", 10.0)}


def test_help_shows_both_forms(run: Any) -> None:
    result = run("catalogue", "--help")
    assert "[SNAPSHOT] [OPTIONS]  |  diff OLD [NEW]" in result.stdout and "diff" in result.stdout
    assert run("catalogue", "diff", "--help").exit_code == 0
