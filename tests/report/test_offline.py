"""Every report is self-contained: nothing to fetch from any host, no script to run."""

from __future__ import annotations

import pytest

from costplan.report import render_catalogue_report, render_plan_report, render_status_report
from tests.report import samples
from tests.report.htmlcheck import Page, external_references


def all_reports() -> dict[str, str]:
    kw = {"generated_at": samples.GENERATED_AT}
    return {
        "plan": render_plan_report(
            samples.plan(), catalogue=samples.catalogue_frame(), current=samples.CURRENT_POOLS, **kw
        ),
        "catalogue": render_catalogue_report(
            samples.catalogue_frame(),
            quality=samples.quality_frame(),
            missing=samples.missing_frame(),
            changelog=samples.changelog_frame(),
            **kw,
        ),
        "status": render_status_report(
            samples.STATUS_POOLS, samples.STATUS_SERVICES, catalogue=samples.catalogue_frame(), **kw
        ),
    }


REPORTS = all_reports()


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_no_external_reference(name: str) -> None:
    assert external_references(REPORTS[name]) == []


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_no_script_and_a_restrictive_content_security_policy(name: str) -> None:
    page = Page(REPORTS[name])
    assert page.elements("script") == []
    metas = page.elements("meta")
    policies = [m.get("content") or "" for m in metas if m.get("http-equiv") == "Content-Security-Policy"]
    assert policies and "default-src 'none'" in policies[0]


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_internal_links_point_at_existing_ids(name: str) -> None:
    page = Page(REPORTS[name])
    ids = {attrs["id"] for _, attrs in page.with_attribute("id")}
    for tag, attribute, value in page.urls:
        assert value.startswith("#") and value[1:] in ids, (tag, attribute, value)
    for value in page.css_urls():
        assert value[1:] in ids, value


def test_the_checker_catches_what_it_should() -> None:
    leaky = (
        '<html><head><link rel="stylesheet" href="https://cdn.example/x.css"></head><body>'
        '<img src="//img.example/a.png"><svg><image href="http://x.example/i.png"/></svg>'
        '<p style="background: url(https://bg.example/b.png)">x</p>'
        "<style>@import 'https://fonts.example/f.css';</style><script></script></body></html>"
    )
    found = "\n".join(external_references(leaky))
    for needle in ("cdn.example", "img.example", "x.example", "bg.example", "@import", "<script>", "<link>"):
        assert needle in found, needle


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_charts_are_accessible(name: str) -> None:
    page = Page(REPORTS[name])
    for svg in page.elements("svg"):
        if svg.get("class") == "chart":
            assert svg.get("role") == "img"
            assert svg.get("aria-labelledby", "").endswith("-desc")
