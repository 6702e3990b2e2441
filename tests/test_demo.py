"""`costplan demo` end to end: plan, provision with services, reports; every replica must run."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from costplan.cli import cli
from costplan.demand import example_services
from costplan.sandbox import SANDBOX_RATES_SOURCE


def test_demo_provisions_a_plan_the_scheduler_places_entirely(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--out-dir", str(out), "--time-limit", "5"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for name in ("plan.json", "catalogue.html", "plan.html", "status.html"):
        assert (out / name).is_file(), name

    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["placement_check"]["succeeds"] is True, plan["placement_check"]
    assert plan["placement_check"]["failed_services"] == {}
    assert plan["lower_bound"] <= plan["monthly_cost"]
    assert plan["placement"]["model"] == "nomad" and plan["placement"]["landing_probability"] >= 0.99
    assert "so that it lands on >= 99% of runs" in result.output

    # What the emulator's scheduler did, read back through the API: every replica runs, no pool grew.
    realised = re.search(r"realised: (.*)", result.output)
    assert realised is not None, result.output
    assert realised.group(1).startswith("every replica runs"), realised.group(1)
    assert "no pool grew" in realised.group(1) and "as planned" in realised.group(1)

    # The demo environment mixes USD (Google Cloud) and EUR rows: added only at a stated, illustrative rate.
    conversion = plan["assumptions"]["catalogue"]["currency_conversion"]
    assert conversion == {"USD": "1 USD = 0.92 EUR (" + SANDBOX_RATES_SOURCE + ")"}
    assert "converted at 1 USD = 0.92 EUR" in result.output
    plan_page = (out / "plan.html").read_text(encoding="utf-8")
    assert "1 USD = 0.92 EUR (illustrative sandbox rate" in plan_page
    noted = {p["instance_type_uuid"] for p in plan["pools"]} & set(plan["assumptions"]["catalogue"]["price_notes"])
    assert plan_page.count("price: illustrative") == len(noted)
    assert "illustrative: hand-written figures" in (out / "catalogue.html").read_text(encoding="utf-8")

    # The status report (what the emulator runs after provisioning) shows every replica running.
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (out / "status.html").read_text(encoding="utf-8")))
    wanted = {s.name: s.count_min for s in example_services()}
    services = re.search(r"Services healthy (\d+) of (\d+)", text)
    replicas = re.search(r"(\d+) of (\d+) replicas running", text)
    assert services is not None and services.groups() == (str(len(wanted)), str(len(wanted))), text[:600]
    assert replicas is not None and replicas.groups() == (str(sum(wanted.values())),) * 2
    assert "no placement failure" in text
    for name, count in wanted.items():
        assert re.search(rf"{re.escape(name)} DONE {count} / {count} placed", text), name
    pools = re.search(r"Nodes running (\d+) of (\d+)", text)
    assert pools is not None and pools.group(1) == pools.group(2) == str(len(plan["nodes"]))

    # The same plan provisioned twice into one (CLI) sandbox: the second run changes nothing.
    def provision() -> Any:
        args = ["--data-dir", str(tmp_path / "data"), "provision", str(out / "plan.json")]
        args += ["--apply", "--yes", "--with-services", "--output", "json"]
        run = CliRunner().invoke(cli, args, catch_exceptions=False)
        assert run.exit_code == 0, run.output
        return json.loads(run.stdout)

    first, second = provision(), provision()
    assert {(r["kind"], r["state"]) for r in first["result"]} == {("pool", "ready"), ("service", "ready")}
    # `provision --apply --with-services` ends with the placement the API reports against the plan.
    assert first["realised"]["summary"].startswith("realised: every replica runs"), first["realised"]
    assert {r["kind"] for r in first["realised"]["rows"]} == {"pool", "service", "nodes"}
    assert all(r["realised"] == r["planned"] for r in first["realised"]["rows"] if r["kind"] != "nodes")
    assert {(r["action"], r["state"]) for r in second["result"]} == {("keep", "ready")}
    assert second["preview"]["difference"] == 0.0
