"""The catalogue report: per provider, per size, what is missing or kept out, and what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from costplan.report import render_catalogue_report
from tests.report import samples
from tests.report.htmlcheck import Page


def render(catalogue=None, **kwargs) -> str:
    kwargs.setdefault("generated_at", samples.GENERATED_AT)
    return render_catalogue_report(samples.catalogue_frame() if catalogue is None else catalogue, **kwargs)


@dataclass(frozen=True)
class CatalogueLike:
    """The shape of `costplan.catalogue.Catalogue`, without importing it (reports must not)."""

    frame: pd.DataFrame
    quality: pd.DataFrame = field(default_factory=samples.quality_frame)
    missing: pd.DataFrame = field(default_factory=samples.missing_frame)
    collected_at: datetime | None = samples.COLLECTED_AT
    currency: str = "EUR"
    source: str = "sandbox emulator at http://127.0.0.1:8123/v1"
    notices: tuple[str, ...] = ("2 prices changed by your price rules",)


def test_headline_names_the_cheapest_compute_and_memory() -> None:
    headline = Page(render(source="sandbox")).text_of("headline")
    assert "9 from 3 providers" in headline
    assert "3.17 EUR / vCPU-month" in headline and "DEV1-S" in headline  # 6.336 / 2


def test_a_catalogue_object_is_read_by_its_attributes() -> None:
    page = Page(render(CatalogueLike(samples.catalogue_frame())))
    assert "SANDBOX" in page.text_of("source")  # from .source
    assert "AWS" in page.text_of("missing") and "HTTP 503 after 4 attempts" in page.text_of("missing")
    assert "priceFactor is 0" in page.text_of("quality-table")
    assert "2 prices changed by your price rules" in page.text


def test_hostile_instance_type_is_text() -> None:
    html = render(quality=samples.quality_frame())
    assert samples.HOSTILE_TYPE not in html and "Broken<b>Type</b>" not in html
    page = Page(html)
    assert page.elements("script") == [] and page.elements("b") == []
    assert samples.HOSTILE_TYPE in page.text and "Broken<b>Type</b>" in page.text


def test_cheapest_per_size_class() -> None:
    sizes = Page(render()).text_of("sizes")
    assert "1\u20132 vCPUs 4 types DEV1-S" in sizes
    assert "32+ vCPUs 1 type GP1-L" in sizes
    assert "17\u201331 vCPUs no priced type of this size" in sizes


def test_scatter_chart_is_labelled_with_units_and_currency() -> None:
    html = render()
    page = Page(html)
    providers = page.text_of("providers")
    assert "Monthly price (EUR) against vCPUs, per provider" in providers  # <title>
    assert "vCPUs per instance (log scale)" in providers
    assert "Price per month, EUR (log scale)" in providers
    assert html.count('class="series"') == 3


def test_changelog_only_when_given() -> None:
    assert 'id="changelog"' not in render()
    changes = Page(render(changelog=samples.changelog_frame())).text_of("changelog")
    assert "1 price change, 1 type added, 0 removed" in changes
    assert "+3.98 EUR" in changes and "+13.3%" in changes


def test_all_good_says_so() -> None:
    quality = Page(render()).text_of("quality")
    assert "Every provider the API lists was collected" in quality
    assert "No row was kept out" in quality


def test_large_catalogues_collapse_the_full_lists() -> None:
    rows = [("P", f"t{i}", f"type-{i}", 2 + i % 30, 4.0, 0.01 + i / 1e5) for i in range(400)]
    html = render(samples.catalogue_frame(rows))
    assert "<details open>" not in html and "<details>" in html
    assert "<details open>" in render()
