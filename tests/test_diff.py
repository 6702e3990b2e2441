"""`costplan diff OLD NEW`: pools added, removed, resized; services moved; cost; every output format; gates."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from costplan.cli import cli
from costplan.diff import DIFF_FORMAT_VERSION, PoolState, Side, diff_sides, side_from_plan
from costplan.errors import InputError
from costplan.plans import Plan
from tests.markdown_support import parse, records
from tests.provision.conftest import B1S, B2S_CPU, B2S_MEMORY, DS1, plan_dict, pool_dict, service_dict

# B2s 33.984, B1s 8.928, DS1 v2 63.144 EUR a month (tests/provision/conftest.py)
OLD_COST, NEW_COST = 76.896, 165.096  # 2 x B2s + 1 x B1s; 3 x B2s + 1 x DS1 v2


def node(pool: str, *services: str) -> dict[str, Any]:
    replicas = [{"service": s, "cpu_mhz": 200, "memory_mb": 256} for s in services]
    return {"pool": pool, "cpu_mhz": B2S_CPU, "memory_mb": B2S_MEMORY, "replicas": replicas}


def old_plan() -> dict[str, Any]:
    return plan_dict(
        [pool_dict("cp-web", count_min=2), pool_dict("cp-db", B1S)],
        services=[service_dict("api", 2), service_dict("db", 1)],
        nodes=[node("cp-web", "api"), node("cp-web", "api"), node("cp-db", "db")],
    )


def new_plan() -> dict[str, Any]:
    """cp-web grows to 3 nodes, cp-db goes, cp-big comes: db moves from cp-db (B1s) to cp-big (DS1 v2)."""
    return plan_dict(
        [pool_dict("cp-web", count_min=3, count_max=4), pool_dict("cp-big", DS1)],
        services=[service_dict("api", 3), service_dict("db", 1)],
        nodes=[node("cp-web", "api"), node("cp-web", "api"), node("cp-web", "api"), node("cp-big", "db")],
    )


@pytest.fixture
def plans(tmp_path: Path) -> tuple[str, str]:
    old, new = tmp_path / "main.json", tmp_path / "new.json"
    old.write_text(json.dumps(old_plan()), encoding="utf-8")
    new.write_text(json.dumps(new_plan()), encoding="utf-8")
    return str(old), str(new)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


# -- the comparison (pure) -------------------------------------------------------------------


def test_pools_and_services_compared_by_name() -> None:
    result = diff_sides(
        side_from_plan(Plan.from_dict(old_plan()), "main"), side_from_plan(Plan.from_dict(new_plan()), "new")
    )
    assert [(p.change, p.name) for p in result.pools] == [
        ("added", "cp-big"),
        ("removed", "cp-db"),
        ("resized", "cp-web"),
    ]
    assert result.pools_of("resized")[0].changes == ("count_min 2 -> 3", "count_max 3 -> 4")
    assert (result.monthly_cost.old, result.monthly_cost.new) == (OLD_COST, NEW_COST)
    assert result.monthly_cost.difference == 88.2 and result.monthly_cost.percent == 114.7
    moves = {s.name: s for s in result.services}
    assert moves["db"].change == "moved"
    assert [(p.pool, p.instance_type, p.replicas) for p in moves["db"].old] == [("cp-db", "B1s", 1)]
    assert [(p.pool, p.instance_type, p.replicas) for p in moves["db"].new] == [("cp-big", "DS1 v2", 1)]
    assert moves["api"].change == "rescaled"  # same pool, 3 replicas on 3 nodes instead of 2
    assert result.summary() == (
        "Monthly cost 76.90 EUR -> 165.10 EUR (+88.20 EUR, +114.7 %): 1 pool added, 1 removed, 1 resized; "
        "1 service moved, 1 service rescaled."
    )


def test_the_same_plan_twice_changes_nothing() -> None:
    side = side_from_plan(Plan.from_dict(old_plan()), "main")
    result = diff_sides(side, side)
    assert not result.changed and result.pools == () and result.services == ()
    assert result.monthly_cost.difference == 0.0 and result.monthly_cost.percent == 0.0
    assert result.summary() == "Monthly cost 76.90 EUR -> 76.90 EUR (+0.00 EUR, +0.0 %): no pool changed."


def _side(cost: float, currency: str = "EUR", expected: float | None = None) -> Side:
    pool = PoolState("p", "Azure", "B2s", 1, 1, cost)
    return Side("plan", "x", currency, cost, (pool,) if cost else (), expected_monthly_cost=expected)


def test_percent_is_none_from_nothing() -> None:
    result = diff_sides(_side(0.0), _side(10.0))
    assert result.monthly_cost.percent is None
    assert result.to_dict()["monthly_cost"] == {"old": 0.0, "new": 10.0, "difference": 10.0, "percent": None}
    assert "(+10.00 EUR)" in result.summary()


def test_different_currencies_are_refused() -> None:
    with pytest.raises(InputError, match="cannot compare plan x in EUR with plan x in USD"):
        diff_sides(_side(1.0), _side(1.0, "USD"))


def test_expected_cost_is_shown_only_when_both_sides_have_it() -> None:
    assert diff_sides(_side(10.0, expected=5.0), _side(12.0)).expected_monthly_cost is None
    both = diff_sides(_side(10.0, expected=5.0), _side(12.0, expected=6.0))
    assert both.to_dict()["expected_monthly_cost"] == {"old": 5.0, "new": 6.0, "difference": 1.0, "percent": 20.0}
    assert "Expected (usage-aware) 5.00 EUR -> 6.00 EUR (+1.00 EUR, +20.0 %)." in both.summary()


# -- the command: every output format ------------------------------------------------------------


def test_json_is_versioned_and_carries_every_change(plans: tuple[str, str]) -> None:
    result = run("diff", *plans, "-o", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["version"] == DIFF_FORMAT_VERSION and document["currency"] == "EUR"
    assert set(document) >= {"old", "new", "monthly_cost", "pools", "services"}
    assert document["monthly_cost"] == {"old": OLD_COST, "new": NEW_COST, "difference": 88.2, "percent": 114.7}
    assert [p["name"] for p in document["pools"]["added"]] == ["cp-big"]
    assert [p["name"] for p in document["pools"]["removed"]] == ["cp-db"]
    resized = document["pools"]["resized"][0]
    assert (resized["old"]["count_min"], resized["new"]["count_min"]) == (2, 3)
    db = next(s for s in document["services"] if s["name"] == "db")
    assert db["change"] == "moved" and db["new"] == [
        {"pool": "cp-big", "instance_type": "DS1 v2", "nodes": 1, "replicas": 1}
    ]
    assert document["old"]["source"] == plans[0] and document["new"]["nodes"] == 4


def test_table_states_the_summary_and_the_pools(plans: tuple[str, str]) -> None:
    result = CliRunner().invoke(cli, ["diff", *plans], env={"COLUMNS": "150"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Monthly cost 76.90 EUR -> 165.10 EUR (+88.20 EUR, +114.7 %)")
    web = next(line for line in lines if "cp-web" in line and "resized" in line)
    assert "2 -> 3" in web and "67.97" in web and "101.95" in web
    assert any("db" in line and "cp-db (B1s) x1 on 1 node" in line for line in lines)


def test_csv_has_a_row_per_change_and_a_total(plans: tuple[str, str]) -> None:
    result = run("diff", *plans, "-o", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    pools = {r["name"]: r for r in rows if r["kind"] == "pool"}
    assert pools["cp-web"]["count_min_old"] == "2" and pools["cp-web"]["count_min_new"] == "3"
    assert pools["cp-big"]["monthly_cost_new"] == "63.144" and pools["cp-big"]["monthly_cost_old"] == ""
    (total,) = [r for r in rows if r["kind"] == "total"]
    assert (total["monthly_cost_old"], total["monthly_cost_new"], total["currency"]) == ("76.896", "165.096", "EUR")
    assert "Monthly cost" in result.stderr  # the summary is not in the CSV


def test_markdown_renders_to_tables_and_a_summary(plans: tuple[str, str]) -> None:
    result = run("diff", *plans, "-o", "markdown")
    assert result.exit_code == 0, result.output
    document = parse(result.stdout)
    assert document.paragraphs[0].startswith("Monthly cost 76.90 EUR -> 165.10 EUR (+88.20 EUR, +114.7 %): 1 pool")
    pools, services = (records(t) for t in document.tables)
    by_name = {r["pool"]: r for r in pools}
    assert by_name["cp-web"]["count min"] == "2 -> 3" and by_name["cp-web"]["monthly after"] == "101.95"
    assert by_name["cp-big"]["change"] == "added" and by_name["cp-db"]["monthly before"] == "8.93"
    db = next(r for r in services if r["service"] == "db")
    assert (db["before"], db["after"]) == ("cp-db (B1s) x1 on 1 node", "cp-big (DS1 v2) x1 on 1 node")


def test_only_if_changed_prints_nothing_for_the_same_plan(plans: tuple[str, str]) -> None:
    same = run("diff", plans[0], plans[0], "-o", "markdown", "--only-if-changed")
    assert same.exit_code == 0 and same.stdout == ""
    changed = run("diff", *plans, "-o", "markdown", "--only-if-changed")
    assert changed.exit_code == 0 and "| cp-web |" in changed.stdout
    assert run("diff", *plans, "--only-if-changed").exit_code == 2  # only with markdown


def test_new_or_environment_one_of_them(plans: tuple[str, str]) -> None:
    neither = run("diff", plans[0])
    assert neither.exit_code == 2 and "give NEW.json or --environment UUID" in neither.stderr
    assert run("diff", *plans, "--environment", "e1").exit_code == 2


def test_plans_in_different_currencies_are_refused(plans: tuple[str, str], tmp_path: Path) -> None:
    dollars = {**new_plan(), "currency": "USD"}
    path = tmp_path / "usd.json"
    path.write_text(json.dumps(dollars), encoding="utf-8")
    result = run("diff", plans[0], str(path))
    assert result.exit_code == 1 and "in EUR with plan" in result.stderr and "in USD" in result.stderr


# -- gates: pass, equal, fail; the data comes first -------------------------------------------


@pytest.mark.parametrize(
    ("gate", "code"),
    [
        (["--max-monthly-cost", "200"], 0),
        (["--max-monthly-cost", "165.096"], 0),
        (["--max-monthly-cost", "165.09"], 3),
        (["--fail-on-increase", "120%"], 0),
        (["--fail-on-increase", "88.2"], 0),
        (["--fail-on-increase", "88.19"], 3),
        (["--fail-on-increase", "5%"], 3),
    ],
    ids=["budget-pass", "budget-equal", "budget-fail", "pct-pass", "amount-equal", "amount-fail", "pct-fail"],
)
def test_gate_exit_codes(plans: tuple[str, str], gate: list[str], code: int) -> None:
    result = run("diff", *plans, "-o", "json", *gate)
    assert result.exit_code == code, result.output
    assert json.loads(result.stdout)["monthly_cost"]["new"] == NEW_COST  # printed either way
    if code:
        assert "Error: gate failed: monthly cost" in result.stderr and gate[0] in result.stderr


def test_a_failing_gate_says_by_how_much_in_the_markdown_too(plans: tuple[str, str]) -> None:
    result = run("diff", *plans, "-o", "markdown", "--fail-on-increase", "5%")
    assert result.exit_code == 3
    failed = [p for p in parse(result.stdout).paragraphs if p.startswith("Gate failed")]
    assert failed == [
        "Gate failed: monthly cost increase +88.20 EUR (76.90 EUR -> 165.10 EUR, +114.7 %) exceeds "
        "--fail-on-increase 5 % (3.84 EUR) by 84.36 EUR"
    ]


def test_config_gates_apply_and_the_flag_overrides_them(plans: tuple[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[profiles.ci.gates]\nmax_monthly_cost = 150\n", encoding="utf-8")
    base = ["--config", str(config), "--profile", "ci", "diff", *plans, "-o", "json"]
    failed = run(*base)
    assert failed.exit_code == 3
    assert "monthly cost 165.10 EUR exceeds [gates] max_monthly_cost 150.00 EUR by 15.10 EUR (10.1 %)" in failed.stderr
    assert run(*base, "--max-monthly-cost", "170").exit_code == 0
    assert run("--config", str(config), "diff", *plans, "-o", "json").exit_code == 0  # another profile: no gate
