"""The `provision`, `status` and `destroy` commands: preview by default, confirmation, exit codes, output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from costplan import cli as cli_module
from tests.conftest import EXAMPLE_KEY
from tests.provision.conftest import B1S, PROD, names, plan_dict, pool_dict, service_dict

FAST = """
[provision]
poll_delay = 0.02
poll_max_delay = 0.05
reconcile_delays = [0.0]
"""


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """`run(base_url, *args, input=None)`: the CLI with our commands registered, pointed at an emulator."""
    for name in ("provision", "status", "destroy"):
        monkeypatch.setitem(cli_module.COMMANDS, name, f"costplan.commands.provision:{name}")
    monkeypatch.setenv("LAYEROPS_API_KEY", EXAMPLE_KEY)
    monkeypatch.setenv("COSTPLAN_BACKOFF_BASE", "0.001")
    config = tmp_path / "config.toml"
    config.write_text(FAST, encoding="utf-8")

    def invoke(base_url: str, *args: str, input: str | None = None) -> Result:
        argv = ["--config", str(config), "--api-url", base_url, *args]
        return CliRunner().invoke(cli_module.cli, argv, input=input, catch_exceptions=False)

    return invoke


def test_the_default_is_a_preview_that_changes_nothing(
    serve_emulator: Callable[..., Any], run: Callable[..., Result], write_plan: Callable[..., Path]
) -> None:
    emulator = serve_emulator(provision_seconds=0.05)
    result = run(emulator.base_url, "provision", str(write_plan(plan_dict())))
    assert result.exit_code == 0, result.output
    assert "create" in result.stdout and "cp-web" in result.stdout and "cp-db" in result.stdout
    assert "0.0000 -> 76.8960 EUR (+76.8960)" in result.stdout
    assert "preview only: nothing was changed" in result.stderr
    assert names(emulator.base_url) == {}


def test_apply_refuses_without_a_terminal_or_yes(
    serve_emulator: Callable[..., Any], run: Callable[..., Result], write_plan: Callable[..., Path]
) -> None:
    emulator = serve_emulator(provision_seconds=0.05)
    result = run(emulator.base_url, "provision", str(write_plan(plan_dict())), "--apply")
    assert result.exit_code == 2
    assert "stdin is not a terminal; add --yes" in result.stderr
    assert names(emulator.base_url) == {}


def test_apply_asks_first_and_a_no_changes_nothing(
    serve_emulator: Callable[..., Any],
    run: Callable[..., Result],
    write_plan: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from costplan.commands import provision as command

    monkeypatch.setattr(command, "stdin_is_interactive", lambda: True)
    emulator = serve_emulator(provision_seconds=0.05)
    plan = str(write_plan(plan_dict()))
    refused = run(emulator.base_url, "provision", plan, "--apply", input="n\n")
    assert refused.exit_code == 1 and "Apply these changes to environment" in refused.stderr
    assert names(emulator.base_url) == {}
    accepted = run(emulator.base_url, "provision", plan, "--apply", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert names(emulator.base_url) == {"cp-web": 1, "cp-db": 1}


def test_apply_yes_provisions_reports_json_and_a_rerun_keeps_everything(
    serve_emulator: Callable[..., Any], run: Callable[..., Result], write_plan: Callable[..., Path]
) -> None:
    emulator = serve_emulator(provision_seconds=0.05)
    plan = str(write_plan(plan_dict()))
    result = run(emulator.base_url, "provision", plan, "--apply", "--yes", "--output", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["preview"]["monthly_cost_after"] == 76.896
    assert [(r["name"], r["action"], r["state"]) for r in document["result"]] == [
        ("cp-web", "create", "ready"),
        ("cp-db", "create", "ready"),
    ]
    assert "pool cp-web: creating" in result.stderr and "all 2 resources are ready" in result.stderr
    again = run(emulator.base_url, "provision", plan, "--apply", "--yes", "--output", "json")
    assert again.exit_code == 0, again.output
    assert [r["action"] for r in json.loads(again.stdout)["result"]] == ["keep", "keep"]
    assert names(emulator.base_url) == {"cp-web": 1, "cp-db": 1}


def test_a_tampered_plan_is_refused_before_any_call(
    serve_emulator: Callable[..., Any], run: Callable[..., Result], write_plan: Callable[..., Path]
) -> None:
    emulator = serve_emulator(provision_seconds=0.05)
    document = plan_dict()
    document["pools"][0]["count_min"] = 1  # cheaper nodes, same claimed cost
    result = run(emulator.base_url, "provision", str(write_plan(document)), "--apply", "--yes")
    assert result.exit_code == 1
    assert "pools[0] ('cp-web'): monthly_cost" in result.stderr and "the plan was edited" in result.stderr
    assert names(emulator.base_url) == {}


def test_a_failed_pool_exits_non_zero_naming_it_and_the_command_to_resume(
    serve_emulator: Callable[..., Any], run: Callable[..., Result], write_plan: Callable[..., Path]
) -> None:
    emulator = serve_emulator(provision_seconds=0.05, fail_pools=("doomed",))
    plan = str(write_plan(plan_dict([pool_dict("cp-web"), pool_dict("cp-doomed")])))
    result = run(emulator.base_url, "provision", plan, "--apply", "--yes")
    assert result.exit_code == 1
    assert "1 of 2 resources are not ready" in result.stderr
    assert "pool cp-doomed" in result.stderr and "QUOTA_EXCEEDED" in result.stderr
    assert f"provision {plan} --environment {PROD} --apply --yes" in result.stderr
    assert names(emulator.base_url) == {"cp-web": 1, "cp-doomed": 1}


def test_status_shows_utilisation_and_cost(
    serve_emulator: Callable[..., Any], run: Callable[..., Result], write_plan: Callable[..., Path]
) -> None:
    emulator = serve_emulator(provision_seconds=0.05)
    plan = plan_dict([pool_dict("cp-web", count_min=2), pool_dict("cp-db", B1S)], services=[service_dict("api")])
    assert (
        run(emulator.base_url, "provision", str(write_plan(plan)), "--apply", "--yes", "--with-services").exit_code == 0
    )
    result = run(emulator.base_url, "status", "--environment", PROD, "--output", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["monthly_cost"] == 76.896 and report["currency"] == "EUR"
    web = {p["pool"]: p for p in report["pools"]}["cp-web"]
    assert (web["count"], web["running"], web["cpu_total_mhz"], web["unit_monthly_price"]) == (2, 2, 11172, 33.984)
    assert web["cpu_used_pct"] is not None and web["memory_reserved_mb"] >= 2 * 728
    assert [s["service"] for s in report["services"]] == ["api"] and report["services"][0]["running"] == 1
    table = run(emulator.base_url, "status", "--environment", PROD)
    assert table.exit_code == 0 and "cp-web" in table.stdout and "monthly cost now 76.8960 EUR" in table.stdout


@pytest.mark.parametrize("reading", ["metrics", "early"])
def test_apply_with_services_is_ready_under_either_reading_of_done(
    serve_emulator: Callable[..., Any], run: Callable[..., Result], write_plan: Callable[..., Path], reading: str
) -> None:
    """`metrics`: DONE answers carry no counts without includeMetrics; `early`: DONE comes before
    the instances run. Either way apply ends with every pool up and every replica placed."""
    emulator = serve_emulator(provision_seconds=0.3, done_reading=reading)
    pools = [pool_dict("cp-web", count_min=2), pool_dict("cp-db", B1S)]
    plan = str(write_plan(plan_dict(pools, services=[service_dict("api", count_min=2)])))
    result = run(emulator.base_url, "provision", plan, "--apply", "--yes", "--with-services", "--output", "json")
    assert result.exit_code == 0, result.output
    assert {r["state"] for r in json.loads(result.stdout)["result"]} == {"ready"}
    report = json.loads(run(emulator.base_url, "status", "--environment", PROD, "--output", "json").stdout)
    assert {p["pool"]: (p["count"], p["running"]) for p in report["pools"]} == {"cp-web": (2, 2), "cp-db": (1, 1)}
    assert [(s["service"], s["running"]) for s in report["services"]] == [("api", 2)]


def test_destroy_previews_asks_and_removes_the_plans_resources(
    serve_emulator: Callable[..., Any], run: Callable[..., Result], write_plan: Callable[..., Path]
) -> None:
    emulator = serve_emulator(provision_seconds=0.05)
    plan = str(write_plan(plan_dict()))
    assert run(emulator.base_url, "provision", plan, "--apply", "--yes").exit_code == 0
    refused = run(emulator.base_url, "destroy", "--plan", plan)
    assert refused.exit_code == 2 and "cp-web" in refused.stdout and "monthly cost saved: 76.8960" in refused.stdout
    result = run(emulator.base_url, "destroy", "--plan", plan, "--yes")
    assert result.exit_code == 0, result.output
    assert names(emulator.base_url) == {}
    again = run(emulator.base_url, "destroy", "--plan", plan, "--yes")
    assert again.exit_code == 0 and "nothing of plan" in again.stderr


def test_every_command_has_help_with_an_example(run: Callable[..., Result]) -> None:
    for name in ("provision", "status", "destroy"):
        result = CliRunner().invoke(cli_module.cli, [name, "--help"])
        assert result.exit_code == 0 and "Example" in result.output, name


def test_a_second_plan_id_sees_the_first_plans_pools_as_conflicts_and_destroys_none_of_them(
    serve_emulator: Callable[..., Any], run: Callable[..., Result], write_plan: Callable[..., Path]
) -> None:
    emulator = serve_emulator(provision_seconds=0.02)
    plan = str(write_plan(plan_dict()))
    assert run(emulator.base_url, "provision", plan, "--apply", "--yes", "--plan-id", "first").exit_code == 0
    preview = run(emulator.base_url, "provision", plan, "--plan-id", "second")
    assert preview.exit_code == 0 and "conflict: a pool named cp-web" in preview.stderr
    assert "does not own" in preview.stderr and "--plan-id" in preview.stderr
    refused = run(emulator.base_url, "provision", plan, "--apply", "--yes", "--plan-id", "second")
    assert refused.exit_code == 1 and "resolve the conflicts" in refused.stderr
    gone = run(emulator.base_url, "destroy", "--plan", plan, "--yes", "--plan-id", "second")
    assert gone.exit_code == 0 and "nothing of plan" in gone.stderr
    assert names(emulator.base_url) == {"cp-web": 1, "cp-db": 1}
    assert run(emulator.base_url, "destroy", "--plan", plan, "--yes", "--plan-id", "first").exit_code == 0
    assert names(emulator.base_url) == {}
