"""The plan report states the usage assumption, the committed-price saving and the cost per service."""

from __future__ import annotations

from costplan.planner import PlanOptions, make_plan
from costplan.plans import Usage
from costplan.report import render_plan_report
from tests.planner.conftest import catalogue, service
from tests.report import samples
from tests.report.htmlcheck import Page


def _plan(**options: object) -> dict:
    frame = catalogue([("Alpha", "ondemand", 2, 4.0, 100.0), ("Alpha", "committed", 2, 4.0, 120.0)])
    frame["reserved_hourly_price"] = frame["reserved_hourly_price"].astype("Float64")
    frame.loc[frame["instance_type"] == "committed", "reserved_hourly_price"] = 0.1
    specs = [service("api", 1, 1000, 1500, count_max=2), service("db", 1, 500, 1000)]
    return make_plan(frame, specs, PlanOptions(time_limit=3, **options)).to_dict()  # type: ignore[arg-type]


def test_report_shows_expected_cost_saving_and_cost_per_service() -> None:
    plan = _plan(usage=Usage(180.0, "services file s.yaml: usage.peakHoursPerMonth = 180.0"), commit="baseline")
    page = Page(render_plan_report(plan, source="sandbox", generated_at=samples.GENERATED_AT))
    usage = page.text_of("usage")
    assert f"Expected monthly cost {plan['expected_monthly_cost']:,.2f}" in usage
    assert "180.0 h a month at peak" in usage and "usage.peakHoursPerMonth" in usage
    assert "committed prices" in usage and "120.00" in usage
    assert f"{plan['commit']['saving']:,.2f}" in page.text_of("commit-saving")
    services = page.text_of("services")
    for s in plan["services"]:
        assert f"{s['monthly_cost']:,.2f}" in services
    assert f"{plan['idle_monthly_cost']:,.2f}" in services and "binding dimension" in services


def test_report_of_a_plan_without_usage_says_none_was_given() -> None:
    page = Page(render_plan_report(samples.plan(), source="sandbox", generated_at=samples.GENERATED_AT))
    assert "No usage assumption given" in page.text_of("usage")
