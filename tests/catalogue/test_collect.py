"""Collection over a mock API: discovery, concurrency, partial failure, strictness, progress."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pandas as pd
import pytest

from costplan.catalogue import Catalogue, collect, collect_from
from costplan.config import Secret, Settings
from costplan.errors import CatalogueError, PartialCatalogue
from costplan.models import Provider
from tests.catalogue.conftest import (
    AZURE,
    B2S,
    DEFAULT_TYPES,
    DS1,
    GCP,
    NOW,
    PROD,
    SCALEWAY,
    STAGING,
    api_handler,
    environment,
    instance_type,
    mock_client,
    workspaces,
)


def test_collects_every_provider_into_one_frame(run_collect: Any) -> None:
    catalogue = run_collect(api_handler())
    assert catalogue.complete and catalogue.missing.empty and catalogue.quality.empty
    frame = catalogue.frame
    assert len(frame) == 7
    assert set(frame["provider"]) == {"Azure", "Google Cloud Platform", "Scaleway"}
    b2s = frame.set_index("instance_type").loc["B2s"]
    assert (b2s["hourly_price"], b2s["monthly_price"], b2s["environment_uuid"]) == (0.0472, 33.984, PROD)
    assert catalogue.collected_at == NOW and (frame["collected_at"] == pd.Timestamp(NOW)).all()


def test_one_provider_down_gives_a_partial_catalogue_with_a_reason(run_collect: Any) -> None:
    catalogue = run_collect(api_handler(down=frozenset({GCP})))
    assert not catalogue.complete
    assert set(catalogue.frame["provider"]) == {"Azure", "Scaleway"}
    missing = catalogue.missing.iloc[0]
    assert (missing["provider_uuid"], missing["provider"]) == (GCP, "Google Cloud Platform")
    assert "could not be fetched" in missing["reason"] and "503" in missing["reason"]
    assert "1 providers missing: Google Cloud Platform" in catalogue.summary()


def test_strict_raises_partial_catalogue(run_collect: Any) -> None:
    with pytest.raises(PartialCatalogue) as caught:
        run_collect(api_handler(down=frozenset({GCP})), strict=True)
    assert caught.value.exit_code == 3
    assert "Google Cloud Platform" in str(caught.value) and "503" in str(caught.value)
    assert len(caught.value.catalogue.frame) == 4  # type: ignore[attr-defined]


def test_every_provider_down_is_a_catalogue_error(run_collect: Any) -> None:
    with pytest.raises(CatalogueError, match="no provider could be collected") as caught:
        run_collect(api_handler(down=frozenset({AZURE, GCP, SCALEWAY})))
    assert type(caught.value) is CatalogueError and caught.value.exit_code == 1


def test_no_provider_at_all_is_a_catalogue_error(run_collect: Any) -> None:
    with pytest.raises(CatalogueError, match="none with a cloud provider"):
        run_collect(api_handler(workspace_doc=workspaces(environment(PROD))))


def test_a_provider_in_two_environments_is_fetched_once_with_the_first(run_collect: Any) -> None:
    calls: list[str] = []
    handler = api_handler(
        workspace_doc=workspaces(
            environment(PROD, (AZURE, "Azure")),
            environment(STAGING, (AZURE, "Azure"), (GCP, "Google Cloud Platform")),
            environment("deleted-env", (SCALEWAY, "Scaleway"), deleted=True),
        )
    )

    def counting(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return handler(request)

    frame = run_collect(counting).frame
    assert calls.count(f"/v1/providers/{AZURE}/instancesTypes") == 1
    assert f"/v1/providers/{SCALEWAY}/instancesTypes" not in calls  # deleted environments are skipped...
    catalogue = run_collect(handler)
    assert any("is deleted" in n and "Scaleway" in n for n in catalogue.notices)  # ...and say so
    assert set(frame.loc[frame["provider_uuid"] == AZURE, "environment_uuid"]) == {PROD}
    assert set(frame.loc[frame["provider_uuid"] == GCP, "environment_uuid"]) == {STAGING}


def test_bad_rows_from_the_api_land_in_the_quality_table(run_collect: Any) -> None:
    types = dict(DEFAULT_TYPES)
    types[AZURE] = [B2S, dict(DS1, priceFactor=0), instance_type("n", "nullprice", cost=None)]
    catalogue = run_collect(api_handler(types))
    assert "DS1 v2" not in set(catalogue.frame["instance_type"])
    assert set(catalogue.quality["check"]) == {"price_factor", "missing_price"}
    assert "2 kept out for data quality" in catalogue.summary()


@pytest.mark.parametrize("concurrency", [1, 3])
def test_no_more_than_concurrency_requests_in_flight(concurrency: int) -> None:
    providers = [(f"p{i}", f"P{i}") for i in range(7)]
    doc = workspaces(environment(PROD, *providers))
    state = {"now": 0, "max": 0}
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/workspaces"):
            return httpx.Response(200, json=doc)
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.05)
        with lock:
            state["now"] -= 1
        return httpx.Response(200, json=[instance_type(request.url.path, "t")])

    with mock_client(handler) as client:
        assert len(collect_from(client, concurrency=concurrency).frame) == 7
    assert state["max"] == concurrency


def test_progress_hears_of_every_provider(run_collect: Any) -> None:
    events: list[tuple[str, str]] = []

    class Recorder:
        def discovered(self, providers: list[Provider]) -> None:
            events.append(("discovered", str(len(providers))))

        def started(self, provider: Provider) -> None:
            events.append(("started", provider.platform_name))

        def done(self, provider: Provider, instance_types: int) -> None:
            events.append(("done", f"{provider.platform_name}:{instance_types}"))

        def failed(self, provider: Provider, reason: str) -> None:
            events.append(("failed", provider.platform_name))

    run_collect(api_handler(down=frozenset({GCP})), progress=Recorder())
    assert events[0] == ("discovered", "3")
    assert sorted(events[1:]) == sorted(
        [
            ("started", "Azure"),
            ("started", "Google Cloud Platform"),
            ("started", "Scaleway"),
            ("done", "Azure:2"),
            ("done", "Scaleway:2"),
            ("failed", "Google Cloud Platform"),
        ]
    )


def test_prices_from_settings_are_applied_by_collect() -> None:
    settings = Settings(
        api_url="http://127.0.0.1:9/v1",
        api_key=Secret("KEY:secret"),
        currency="USD",
        concurrency=2,
        sections={"prices": {"discounts": {"Azure": 50}}},
    )
    catalogue = collect(settings, transport=httpx.MockTransport(api_handler()), now=lambda: NOW)
    rows = catalogue.frame.set_index("instance_type")
    assert rows.at["B2s", "monthly_price"] == 16.992 and rows.at["B2s", "list_monthly_price"] == 33.984
    assert set(catalogue.frame["currency"]) == {"USD"} and catalogue.currency == "USD"
    assert catalogue.source == "http://127.0.0.1:9/v1"


def test_collect_works_inside_a_running_event_loop() -> None:
    """Jupyter runs a loop in the main thread: collect() must still return a catalogue there."""

    async def notebook_cell() -> Catalogue:
        return collect(mock_client(api_handler()), now=lambda: NOW)

    catalogue = asyncio.run(notebook_cell())
    assert len(catalogue.frame) == 7


def test_an_unexpected_error_is_not_swallowed(run_collect: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/workspaces"):
            return api_handler()(request)
        raise RuntimeError("boom")  # a bug, not an API failure: it must surface

    with pytest.raises(RuntimeError, match="boom"):
        run_collect(handler)


def test_repr_and_html_summarise() -> None:
    catalogue = collect(mock_client(api_handler(down=frozenset({SCALEWAY}))), now=lambda: NOW)
    assert repr(catalogue).startswith("<Catalogue 5 instance types from 2 providers")
    page = catalogue._repr_html_()
    assert "Missing providers" in page and "B2s" in page and "<table" in page
