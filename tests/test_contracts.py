"""The JSON contracts: shipped schemas equal the generated ones, every command's JSON output validates
against its schema, and the plan codec keeps its promises (unknown keys, all problems at once, old files)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner, Result

from costplan import contracts
from costplan.cli import cli
from costplan.commands.schema import NAMES
from costplan.errors import InputError
from costplan.plans import Plan
from tests.provision.conftest import plan_dict, pool_dict
from tests.provision.test_provision_cli import FAST

SERVICES = """
services:
  - {name: api, countMin: 2, countMax: 3, cpuMhz: 500, memoryMB: 512}
  - {name: db, countMin: 1, cpuMhz: 1000, memoryMB: 2048, constraints: {tags: []}}
"""


def validate(document: Any, name: str) -> None:
    jsonschema.Draft202012Validator(contracts.schema(name)).validate(document)


@pytest.mark.parametrize("name", list(contracts.CONTRACTS))
def test_the_shipped_schema_is_the_generated_one(name: str) -> None:
    """Fails when a definition changed without `python -m costplan.contracts` regenerating the files."""
    jsonschema.Draft202012Validator.check_schema(contracts.schema(name))
    assert contracts.shipped(name) == contracts.schema_text(name), f"run: python -m costplan.contracts ({name})"


def test_costplan_schema_prints_each_registered_schema() -> None:
    assert set(NAMES) == set(contracts.CONTRACTS)
    result = CliRunner().invoke(cli, ["schema", "plan"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == contracts.schema("plan")
    unknown = CliRunner().invoke(cli, ["schema", "nope"])
    assert unknown.exit_code == 2 and "services" in unknown.output


def test_every_command_json_output_validates_against_its_schema(tmp_path: Path) -> None:
    """In the sandbox (its state kept in the data dir), so one command sees what the one before did."""
    services = tmp_path / "services.yaml"
    services.write_text(SERVICES, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(FAST, encoding="utf-8")
    saved = tmp_path / "plan.json"
    base = ["--data-dir", str(tmp_path / "data"), "--config", str(config)]

    def run(*args: str) -> Any:
        result: Result = CliRunner().invoke(cli, [*base, *args], env={"COSTPLAN_EMULATOR_PROVISION_SECONDS": "0"})
        assert result.exit_code == 0, (args, result.output)
        document = json.loads(result.stdout)
        assert list(document)[0] == "version", args
        return document

    outputs = {
        "collect": (run("collect", "-o", "json"), "records"),
        "providers": (run("providers", "-o", "json"), "providers"),
        "catalogue": (run("catalogue", "-o", "json"), "catalogue"),
        "quality": (run("catalogue", "--quality", "-o", "json"), "records"),
        "plan": (run("plan", str(services), "--time-limit", "2", "-o", "json", "--save", str(saved)), "plan"),
    }
    outputs["saved plan"] = (json.loads(saved.read_text(encoding="utf-8")), "plan")
    snapshot = next((tmp_path / "data" / "snapshots").glob("*"))
    run("collect", "-o", "json")
    outputs["catalogue diff"] = (run("catalogue", "diff", str(snapshot), "-o", "json"), "records")
    outputs["diff"] = (run("diff", str(saved), str(saved), "-o", "json"), "diff")
    outputs["preview"] = (run("provision", str(saved), "-o", "json"), "preview")
    outputs["apply"] = (run("provision", str(saved), "--apply", "--yes", "--with-services", "-o", "json"), "preview")
    environment = outputs["plan"][0]["environment_uuid"]
    outputs["status"] = (run("status", "--environment", environment, "-o", "json"), "status")
    outputs["diff environment"] = (run("diff", str(saved), "--environment", environment, "-o", "json"), "diff")
    outputs["destroy"] = (run("destroy", "--plan", str(saved), "--yes", "-o", "json"), "destroy")
    outputs["destroy again"] = (run("destroy", "--plan", str(saved), "--yes", "-o", "json"), "destroy")

    assert outputs["catalogue"][0]["records"] and outputs["apply"][0]["realised"]["rows"]
    assert outputs["status"][0]["pools"] and outputs["destroy"][0]["delete"]
    for label, (document, name) in outputs.items():
        try:
            validate(document, name)
        except jsonschema.ValidationError as error:
            pytest.fail(f"{label}: {error.message} at {list(error.absolute_path)}")


def test_the_schemas_refuse_what_the_readers_refuse() -> None:
    plan = plan_dict(pools=[pool_dict("cp-web")])
    validate(Plan.from_dict(plan).to_dict(), "plan")
    for bad in ({**plan, "monthly_cots": 1}, {**plan, "status": "great"}, {**plan, "version": 2}):
        with pytest.raises(jsonschema.ValidationError):
            validate(bad, "plan")
        with pytest.raises(InputError):
            Plan.from_dict(bad)
    example = yaml.safe_load(Path("costplan/examples/services.yaml").read_text(encoding="utf-8"))
    validate(example, "services")
    typo = {"services": [{"name": "api", "countMin": 1, "cpuMhz": 1, "memoryMB": 1, "countmax": 2}]}
    with pytest.raises(jsonschema.ValidationError):
        validate(typo, "services")
    validate({"api_url": "https://x/v1", "currency": {"code": "EUR"}, "profiles": {"s": {"currency": "USD"}}}, "config")
    with pytest.raises(jsonschema.ValidationError):
        validate({"profiles": {"s": {"api_ulr": "https://x/v1"}}}, "config")


def test_unknown_plan_keys_are_named_with_the_nearest_one_and_every_problem_comes_at_once() -> None:
    data = json.loads(json.dumps(plan_dict(pools=[pool_dict("cp-web")])))
    data["monthly_cots"] = 1
    data["pools"][0]["count_min"] = "two"
    del data["pools"][0]["provider"]
    with pytest.raises(InputError) as caught:
        Plan.from_dict(data, source="plan.json")
    message = str(caught.value)
    assert message.startswith("plan.json: 3 problems:")
    assert "unknown key 'monthly_cots' in the top level: did you mean 'monthly_cost'?" in message
    assert "pools[0].count_min: expected an integer, got 'two'" in message
    assert "pools[0].provider: missing" in message


def test_an_older_plan_file_still_loads_and_gets_what_it_lacks_derived() -> None:
    """The oldest files: no version, gap, currency, services' pools, submission order or explanations."""
    services = [{"name": "api", "count_min": 1, "count_max": 1, "cpu_mhz": 100, "memory_mb": 100}]
    old = {
        "monthly_cost": 10.0,
        "lower_bound": 10.0,
        "status": "optimal",
        "pools": [pool_dict("cp-web")],
        "nodes": [],
        "services": services,
        "peak": {"monthly_cost": 10.0, "lower_bound": 9.0, "nodes": []},
        "alternatives": [{"kind": "single_type"}],
    }
    plan = Plan.from_dict(old)
    assert (plan.gap, plan.currency, plan.peak and plan.peak.status) == (0.0, "EUR", "feasible")
    assert plan.service_pools == {"api": ("cp-web",)} and plan.submission_order == ("api",)
    assert plan.alternatives[0].feasible and plan.alternatives[0].name == ""
    again = plan.to_dict()
    assert again["version"] == 1 and again["services"][0]["pools"] == ["cp-web"] and "name" not in again
    assert Plan.from_dict(again) == plan
    with pytest.raises(InputError, match="unsupported plan format version 0"):
        Plan.from_dict({**old, "version": 0})


def test_the_suite_checks_every_plan_it_produces() -> None:
    """tests/conftest.py wraps `Plan.to_dict`: a plan outside its schema fails the test that made it."""
    plan = Plan.from_dict(plan_dict(pools=[pool_dict("cp-web")]))
    broken = dataclasses.replace(plan, status="great")
    with pytest.raises(jsonschema.ValidationError, match="'great' is not one of"):
        broken.to_dict()
