"""The plan report: the headline is the plan's own numbers, hostile names stay text, optional keys may go."""

from __future__ import annotations

import math
import re

import pytest

from costplan.report import render_plan_report
from costplan.report.packing import MAX_NODE_ROWS
from tests.report import samples
from tests.report.htmlcheck import Page, numbers_in


def render(plan: dict | None = None, **kwargs) -> str:
    kwargs.setdefault("generated_at", samples.GENERATED_AT)
    kwargs.setdefault("source", "sandbox")
    return render_plan_report(samples.plan() if plan is None else plan, **kwargs)


def shown_figures(plan: dict) -> dict[str, float]:
    """What the headline must show for `plan`, by the documented rounding rules."""
    cost = round(plan["monthly_cost"], 2)
    bound = math.floor(plan["lower_bound"] * 100 + 1e-6) / 100
    return {
        "monthly_cost": cost,
        "lower_bound": bound,
        "gap": round(plan["gap"] * 100, 2),
        "gap_amount": round(max(cost - bound, 0.0), 2),
    }


HEADLINE_CASES = [
    samples.plan(),
    samples.plan(monthly_cost=33.984, lower_bound=33.984, gap=0.0, status="optimal"),
    samples.plan(monthly_cost=1234567.8949, lower_bound=1200000.0051, gap=0.028),
    samples.plan(monthly_cost=0.005, lower_bound=0.0, gap=1.0),
    samples.plan(monthly_cost=99.995, lower_bound=99.9949, gap=0.0000001),
]


@pytest.mark.parametrize("plan", HEADLINE_CASES, ids=lambda p: f"cost={p['monthly_cost']}")
def test_every_number_in_the_headline_is_the_plans_own(plan: dict) -> None:
    page = Page(render(plan))
    expected = shown_figures(plan)
    marked = {attrs["data-key"]: attrs.get("data-value") for _, attrs in page.with_attribute("data-key")}
    assert set(marked) == set(expected)
    # The unrounded values ride along for machines (and for this test).
    for key in ("monthly_cost", "lower_bound", "gap"):
        assert float(marked[key]) == plan[key], key
    headline = page.text_of("headline")
    # Each figure, in the order the reader meets them, then nothing else numeric.
    assert numbers_in(headline) == [
        expected["monthly_cost"],
        expected["lower_bound"],
        expected["gap"],
        expected["gap_amount"],
    ], headline


def test_headline_is_the_first_thing_in_the_page_body() -> None:
    html = render()
    main = html.split("<main>", 1)[1]
    assert main.lstrip().startswith('<section class="headline" id="headline"')
    assert "Monthly cost" in Page(html).text_of("headline")


def test_headline_states_status_and_units() -> None:
    optimal = Page(render(samples.plan(status="optimal", gap=0.0, lower_bound=203.9904))).text_of("headline")
    assert "proven optimal" in optimal
    feasible = Page(render()).text_of("headline")
    assert "feasible" in feasible and "EUR / month" in feasible and "%" in feasible


def test_hostile_names_are_shown_as_text_never_as_markup() -> None:
    html = render(catalogue=samples.catalogue_frame(), current=samples.CURRENT_POOLS)
    assert samples.HOSTILE_TYPE not in html
    assert samples.HOSTILE_SERVICE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = Page(html)
    assert page.elements("script") == [] and page.elements("img") == []
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
    text = page.text
    assert samples.HOSTILE_TYPE in text  # the reader sees the name as it is
    assert samples.HOSTILE_SERVICE in text


def test_pools_table_and_chart_show_baseline_and_peak() -> None:
    page = Page(render())
    pools = page.text_of("pools")
    assert "costplan-azure-b2s" in pools and "costplan-scaleway-gp1-xs" in pools
    assert "67.97 EUR" in pools and "135.94 EUR" in pools  # 2 x and 4 x 33.984
    assert "339.97 EUR" in pools  # peak total: 4 x 33.984 + 3 x 68.0112
    assert "Monthly cost per pool (EUR)" in pools  # the chart's <title>


def test_packing_chart_aggregates_identical_nodes() -> None:
    page = Page(render())
    packing = page.text_of("packing")
    assert "4 nodes have 3 distinct layouts" in packing
    assert "\u00d72 identical nodes" in packing
    assert "CPU 51% \u00b7 2,500 / 4,936 MHz" in packing


def test_thousands_of_nodes_are_capped_with_a_note() -> None:
    nodes = [
        {"pool": "costplan-azure-b2s", "cpu_mhz": 4936, "memory_mb": 3175,
         "replicas": [{"service": f"svc-{i % 7}", "cpu_mhz": 100 + i % 97, "memory_mb": 64}]}
        for i in range(3000)
    ]  # fmt: skip
    html = render(samples.plan(nodes=nodes))
    packing = Page(html).text_of("packing")
    assert f"Showing {MAX_NODE_ROWS} of " in packing and "from the least full to the fullest" in packing
    assert html.count('<g class="node">') == MAX_NODE_ROWS


def test_alternatives_show_their_extra_cost() -> None:
    alternatives = Page(render()).text_of("alternatives")
    assert "only B2s" in alternatives and "+67.88 EUR" in alternatives and "+33.3%" in alternatives
    assert "not feasible" in alternatives


def test_placement_check_failure_is_shown() -> None:
    plan = samples.plan(placement_check={"succeeds": False, "failed_services": {"db": 2}, "method": "best-fit"})
    page = Page(render(plan))
    assert "Placement check fails" in page.text_of("proof")
    assert "db: 2" in page.text_of("proof")


def test_diff_against_the_current_environment() -> None:
    page = Page(render(current=samples.CURRENT_POOLS))
    diff = page.text_of("diff")
    assert "495.65 EUR" in diff  # 427.68 + 67.968 running now
    assert "\u2212291.66 EUR" in diff  # 203.9904 - 495.648
    assert re.search(r"remove B4ms", diff)
    assert "keep B2s" in diff


@pytest.mark.parametrize(
    "missing", ["alternatives", "explanations", "placement_check", "services", "assumptions", "peak", "nodes"]
)
def test_optional_keys_may_be_absent(missing: str) -> None:
    page = Page(render(samples.plan(**{missing: ...})))
    assert "203.99" in page.text_of("headline")


def test_the_minimal_contract_renders() -> None:
    minimal = {
        "monthly_cost": 10.0,
        "lower_bound": 9.5,
        "status": "feasible",
        "currency": "CHF",
        "pools": [{"name": "p", "provider_uuid": "u", "provider": "Exoscale", "instance_type_uuid": "t",
                   "instance_type": "standard.small", "count_min": 1, "count_max": 1, "monthly_cost": 10.0}],
        "nodes": [{"pool": "p", "cpu_mhz": 2000, "memory_mb": 1500,
                   "replicas": [{"service": "api", "cpu_mhz": 500, "memory_mb": 256}]}],
        "assumptions": {},
    }  # fmt: skip
    page = Page(render(minimal))
    assert numbers_in(page.text_of("headline")) == [10.0, 9.5, 5.0, 0.5]  # gap derived: (10 - 9.5) / 10
    assert "CHF" in page.text_of("headline")


def test_an_object_with_to_dict_is_accepted() -> None:
    class PlanLike:
        def to_dict(self) -> dict:
            return samples.plan()

    assert Page(render(PlanLike())).text_of("headline") == Page(render()).text_of("headline")


def test_sandbox_and_live_are_clearly_labelled() -> None:
    sandbox = Page(render(source="sandbox"))
    assert "SANDBOX" in sandbox.text_of("source")
    live = Page(render(source="live API"))
    assert "LIVE" in live.text_of("source") and "SANDBOX" not in live.text


def test_header_dates_the_prices_from_the_catalogue() -> None:
    header = Page(render(catalogue=samples.catalogue_frame())).text
    assert "3 hours ago" in header and "2025-11-27 09:00 UTC" in header


def test_a_capped_packing_chart_shows_every_pool() -> None:
    small = {
        "name": "small",
        "provider": "A",
        "instance_type": "s",
        "count_min": 5,
        "count_max": 5,
        "unit_monthly_price": 1.0,
        "monthly_cost": 5.0,
    }
    nodes = [
        {
            "pool": "costplan-azure-b2s",
            "cpu_mhz": 4936,
            "memory_mb": 3175,
            "replicas": [{"service": "api", "cpu_mhz": 10 + i, "memory_mb": 64}],
        }
        for i in range(500)
    ] + [{"pool": "small", "cpu_mhz": 1000, "memory_mb": 1000, "replicas": []} for _ in range(5)]
    plan = samples.plan(nodes=nodes, pools=[*samples.PLAN["pools"], small])  # fmt: skip
    html = render(plan)
    assert html.count('<g class="node">') == MAX_NODE_ROWS
    assert "\u00d75 identical nodes" in Page(html).text_of("packing")  # the small pool is not crowded out
    # With every node different, the sample spans the range: the least and the most full are both drawn.
    packing = Page(html).text_of("packing")
    assert "CPU 0% \u00b7 10 / 4,936 MHz" in packing and "CPU 10% \u00b7 509 / 4,936 MHz" in packing


def test_peak_plan_cost_is_used_when_present() -> None:
    peak = {"monthly_cost": 301.5, "lower_bound": 290.0, "gap": 0.038, "status": "feasible", "nodes": []}
    facts = Page(render(samples.plan(peak=peak))).text
    assert "301.50 EUR" in facts and "gap 3.80%" in facts


def test_catalogue_object_sets_source_and_age() -> None:
    from tests.report.test_catalogue_report import CatalogueLike

    page = Page(render_plan_report(samples.plan(), catalogue=CatalogueLike(samples.catalogue_frame())))
    assert "SANDBOX" in page.text_of("source") and "3 hours ago" not in page.text  # generated now, not at noon
    assert "2025-11-27 09:00 UTC" in page.text


def test_a_real_plan_object_renders_like_its_dict() -> None:
    """`costplan.plans.Plan` round-trips the sample: the report reads what the planner writes."""
    from costplan.plans import Plan

    plan = Plan.from_dict(samples.plan())
    assert Page(render(plan)).text_of("headline") == Page(render(plan.to_dict())).text_of("headline")
    assert numbers_in(Page(render(plan)).text_of("headline"))[:2] == [203.99, 198.45]
