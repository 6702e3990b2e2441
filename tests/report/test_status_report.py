"""The status report: what runs now, how full it is, what it costs, what failed to place."""

from __future__ import annotations

from costplan.models import PoolStatus
from costplan.report import render_status_report
from tests.report import samples
from tests.report.htmlcheck import Page, numbers_in


def render(pools=None, services=None, **kwargs) -> str:
    kwargs.setdefault("generated_at", samples.GENERATED_AT)
    kwargs.setdefault("source", "sandbox")
    return render_status_report(
        samples.STATUS_POOLS if pools is None else pools,
        samples.STATUS_SERVICES if services is None else services,
        **kwargs,
    )


def test_headline_cost_nodes_and_health() -> None:
    headline = Page(render(catalogue=samples.catalogue_frame())).text_of("headline")
    # 2 x 33.984 + 3 x 65.5200 (GP1-XS at 0.091/h) priced from the catalogue
    assert numbers_in(headline)[:1] == [264.53]
    assert "4 of 5" in headline and "1 of 2" in headline
    assert "1 placement failure" in headline


def test_pool_costs_given_on_the_rows_win() -> None:
    pools = [dict(row, monthly_cost=100.0) for row in samples.STATUS_POOLS]
    assert numbers_in(Page(render(pools)).text_of("headline"))[:1] == [200.0]


def test_unpriced_pools_are_flagged_not_counted_as_zero() -> None:
    headline = Page(render()).text_of("headline")
    assert "2 pools without a price" in headline


def test_hostile_names_are_text() -> None:
    html = render(catalogue=samples.catalogue_frame())
    assert samples.HOSTILE_TYPE not in html and samples.HOSTILE_SERVICE not in html
    page = Page(html)
    assert page.elements("script") == [] and page.elements("img") == []
    assert samples.HOSTILE_SERVICE in page.text_of("services")


def test_model_objects_are_accepted() -> None:
    status = PoolStatus.from_json(
        {"uuid": "p1", "status": "DONE", "success": True, "count": 2, "countRunning": 2,
         "totalCpuMhz": 11172, "totalReservedCpuMhz": 5586, "totalMemoryMB": 7806, "totalReservedMemoryMB": 0}
    )  # fmt: skip
    pools = Page(render([status], [])).text_of("pools")
    assert "2 / 2" in pools and "50%" in pools and "5,586 / 11,172 MHz" in pools


def test_empty_environment() -> None:
    page = Page(render([], []))
    assert "No instance pool in this environment" in page.text_of("pools")
    assert "No service in this environment" in page.text_of("services")
