"""Gates and Markdown against the emulator: `provision` (preview and --apply), `status`, `diff --environment`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from costplan import cli as cli_module
from tests.conftest import EXAMPLE_KEY
from tests.markdown_support import parse, records
from tests.provision.conftest import B1S, PROD, make_client, names, plan_dict, pool_dict, service_dict

FAST = """
[provision]
poll_delay = 0.02
poll_max_delay = 0.05
reconcile_delays = [0.0]
"""
PLAN_COST = 76.896  # cp-web 2 x B2s 33.984 + cp-db 1 x B1s 8.928


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """`run(base_url, *args)`: the CLI pointed at an emulator, with fast polls."""
    monkeypatch.setenv("LAYEROPS_API_KEY", EXAMPLE_KEY)
    monkeypatch.setenv("COSTPLAN_BACKOFF_BASE", "0.001")
    config = tmp_path / "config.toml"
    config.write_text(FAST, encoding="utf-8")

    def invoke(base_url: str, *args: str) -> Result:
        argv = ["--config", str(config), "--api-url", base_url, *args]
        return CliRunner().invoke(cli_module.cli, argv, catch_exceptions=False)

    return invoke


@pytest.fixture
def emulator(serve_emulator: Callable[..., Any]) -> Any:
    return serve_emulator(provision_seconds=0.05)


def count_min(base_url: str, pool: str) -> int | None:
    with make_client(base_url) as client:
        (found,) = [p for p in client.list_instance_pools(PROD) if p.name == pool and not p.deleted_at]
        return found.count_min


@pytest.mark.parametrize(
    ("gate", "code"),
    [
        (["--max-monthly-cost", "100"], 0),
        (["--max-monthly-cost", str(PLAN_COST)], 0),
        (["--max-monthly-cost", "76.89"], 3),
        (["--fail-on-increase", "76.896"], 0),
        (["--fail-on-increase", "76.8959"], 3),
        (["--fail-on-increase", "5%"], 3),  # from nothing, any increase is more than a percentage
    ],
    ids=["budget-pass", "budget-equal", "budget-fail", "amount-equal", "amount-fail", "pct-from-zero"],
)
def test_preview_gates_on_the_environment_cost_after(
    emulator: Any, run: Callable[..., Result], write_plan: Callable[..., Path], gate: list[str], code: int
) -> None:
    result = run(emulator.base_url, "provision", str(write_plan(plan_dict())), "-o", "json", *gate)
    assert result.exit_code == code, result.output
    assert json.loads(result.stdout)["preview"]["monthly_cost_after"] == PLAN_COST  # the data, then the verdict
    assert ("Error: gate failed" in result.stderr) is bool(code)
    assert names(emulator.base_url) == {}


@pytest.mark.parametrize("gate", [["--max-monthly-cost", "50"], ["--fail-on-increase", "10%"]])
def test_apply_creates_nothing_when_a_gate_fails(
    emulator: Any, run: Callable[..., Result], write_plan: Callable[..., Path], gate: list[str]
) -> None:
    result = run(emulator.base_url, "provision", str(write_plan(plan_dict())), "--apply", "--yes", *gate)
    assert result.exit_code == 3, result.output
    assert "a gate failed: nothing was changed" in result.stderr and "cp-web" in result.stdout
    assert names(emulator.base_url) == {}


def test_an_update_is_gated_on_its_increase_and_not_applied_when_it_fails(
    emulator: Any, run: Callable[..., Result], write_plan: Callable[..., Path]
) -> None:
    assert run(emulator.base_url, "provision", str(write_plan(plan_dict())), "--apply", "--yes").exit_code == 0
    bigger = plan_dict([pool_dict("cp-web", count_min=3), pool_dict("cp-db", B1S)])
    plan = str(write_plan(bigger, "bigger.json"))
    refused = run(emulator.base_url, "provision", plan, "--apply", "--yes", "--fail-on-increase", "33.98")
    assert refused.exit_code == 3
    assert "monthly cost increase +33.98 EUR (76.90 EUR -> 110.88 EUR, +44.2 %) exceeds --fail-on-increase" in (
        refused.stderr
    )
    assert count_min(emulator.base_url, "cp-web") == 2  # not resized
    accepted = run(emulator.base_url, "provision", plan, "--apply", "--yes", "--fail-on-increase", "33.984")
    assert accepted.exit_code == 0, accepted.output
    assert count_min(emulator.base_url, "cp-web") == 3


def test_preview_markdown_and_only_if_changed(
    emulator: Any, run: Callable[..., Result], write_plan: Callable[..., Path]
) -> None:
    plan = str(write_plan(plan_dict()))
    preview = run(emulator.base_url, "provision", plan, "-o", "markdown", "--only-if-changed")
    assert preview.exit_code == 0, preview.output
    document = parse(preview.stdout)
    assert document.paragraphs[0] == f"monthly cost of environment {PROD}: 0.0000 -> 76.8960 EUR (+76.8960)"
    rows = {r["name"]: r for r in records(document.tables[0])}
    assert rows["cp-web"]["action"] == "create" and rows["cp-web"]["monthly after"] == "67.97"
    assert run(emulator.base_url, "provision", plan, "--apply", "--yes").exit_code == 0
    again = run(emulator.base_url, "provision", plan, "-o", "markdown", "--only-if-changed")
    assert again.exit_code == 0 and again.stdout == ""
    # nothing to print is no reason to skip a gate
    gated = run(emulator.base_url, "provision", plan, "-o", "markdown", "--only-if-changed", "--max-monthly-cost", "1")
    assert gated.exit_code == 3 and gated.stdout == ""


def test_status_markdown(emulator: Any, run: Callable[..., Result], write_plan: Callable[..., Path]) -> None:
    assert run(emulator.base_url, "provision", str(write_plan(plan_dict())), "--apply", "--yes").exit_code == 0
    result = run(emulator.base_url, "status", "--environment", PROD, "-o", "markdown")
    assert result.exit_code == 0, result.output
    document = parse(result.stdout)
    assert document.paragraphs[0] == "2 pools, 0 services; monthly cost now 76.8960 EUR"
    pools = {r["pool"]: r for r in records(document.tables[0])}
    assert (pools["cp-web"]["count"], pools["cp-web"]["monthly cost"]) == ("2", "67.97")
    assert (pools["cp-db"]["instance type"], pools["cp-db"]["monthly cost"]) == ("B1s", "8.93")


def test_diff_against_what_runs_now(emulator: Any, run: Callable[..., Result], write_plan: Callable[..., Path]) -> None:
    plan = plan_dict(services=[service_dict("api", count_min=2)])
    path = str(write_plan(plan))
    assert run(emulator.base_url, "provision", path, "--apply", "--yes", "--with-services").exit_code == 0
    same = run(emulator.base_url, "diff", path, "--environment", PROD, "-o", "json")
    assert same.exit_code == 0, same.output
    document = json.loads(same.stdout)
    assert document["new"]["kind"] == "environment" and document["new"]["source"] == PROD
    assert document["monthly_cost"] == {"old": PLAN_COST, "new": PLAN_COST, "difference": 0.0, "percent": 0.0}
    assert document["pools"] == {"added": [], "removed": [], "resized": []} and not document["changed"]
    # a plan written without nodes says nothing of where api runs: no move can be told
    assert document["services"] == [] and document["old"]["placements_known"] is False
    quiet = run(emulator.base_url, "diff", path, "--environment", PROD, "-o", "markdown", "--only-if-changed")
    assert quiet.exit_code == 0 and quiet.stdout == ""

    other = str(write_plan(plan_dict([pool_dict("cp-web", count_min=1)]), "other.json"))
    changed = run(emulator.base_url, "diff", other, "--environment", PROD, "-o", "json", "--fail-on-increase", "40")
    assert changed.exit_code == 3  # 33.984 -> 76.896: +42.91, more than 40
    document = json.loads(changed.stdout)
    assert [p["name"] for p in document["pools"]["added"]] == ["cp-db"]
    assert document["pools"]["resized"][0]["changes"] == ["count_min 1 -> 2"]


def test_diff_refuses_an_environment_in_another_currency(
    emulator: Any, run: Callable[..., Result], write_plan: Callable[..., Path]
) -> None:
    result = run(emulator.base_url, "--currency", "USD", "diff", str(write_plan(plan_dict())), "--environment", PROD)
    assert result.exit_code == 1 and "in EUR with environment" in result.stderr and "in USD" in result.stderr


def test_diff_against_what_runs_now_tells_where_services_moved(
    emulator: Any, run: Callable[..., Result], write_plan: Callable[..., Path]
) -> None:
    """A plan whose nodes say where each service runs, against where the emulator's scheduler put them
    (what `status` reports): a service moved exactly when the two sets of pools differ."""
    from tests.test_diff import old_plan

    on_db = old_plan()  # api on the two cp-web nodes, db on cp-db
    on_web = old_plan()  # the same, with db beside api
    on_web["nodes"][0]["replicas"].append({"service": "db", "cpu_mhz": 200, "memory_mb": 256})
    on_web["nodes"][2]["replicas"] = []
    path = str(write_plan(on_db))
    assert run(emulator.base_url, "provision", path, "--apply", "--yes", "--with-services").exit_code == 0
    status = json.loads(run(emulator.base_url, "status", "--environment", PROD, "-o", "json").stdout)
    runs_on = {s["service"]: set(s["pools"].split(", ")) for s in status["services"]}
    assert set(runs_on) == {"api", "db"}
    told = []
    for document, db_pool in ((on_db, "cp-db"), (on_web, "cp-web")):
        result = run(emulator.base_url, "diff", str(write_plan(document, f"{db_pool}.json")), "--environment", PROD)
        assert result.exit_code == 0, result.output
        as_json = run(
            emulator.base_url, "diff", str(write_plan(document, f"{db_pool}.json")), "--environment", PROD, "-o", "json"
        )
        moved = {s["name"]: s for s in json.loads(as_json.stdout)["services"] if s["change"] == "moved"}
        planned = {"api": {"cp-web"}, "db": {db_pool}}
        assert set(moved) == {name for name in planned if runs_on[name] != planned[name]}
        if "db" in moved:
            told.append(db_pool)
            assert [p["pool"] for p in moved["db"]["old"]] == [db_pool]
            assert {p["pool"] for p in moved["db"]["new"]} == runs_on["db"]
            assert all(p["replicas"] is None for p in moved["db"]["new"])  # the API tells nodes, not replicas
            assert "1 service moved" in result.stdout.splitlines()[0]
    assert told  # db runs on one pool: one of the two plans has it elsewhere
