"""The main path: collect from the emulator over loopback, snapshot, load back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from costplan.catalogue import collect, filter_catalogue, load_catalogue
from costplan.config import Secret, Settings
from costplan.snapshots import write_snapshot


def settings_for(server: Any, key: str, tmp_path: Path, **extra: Any) -> Settings:
    return Settings(api_url=server.base_url, api_key=Secret(key), data_dir=tmp_path, **extra)


def test_collect_from_the_emulator(serve_emulator: Any, example_key: str, tmp_path: Path) -> None:
    server = serve_emulator(extra_providers=2, extra_types_per_provider=5)
    catalogue = collect(settings_for(server, example_key, tmp_path, concurrency=4))
    assert catalogue.complete and catalogue.source == server.base_url
    frame = catalogue.frame
    assert {"Azure", "Google Cloud Platform", "Scaleway"} <= set(frame["provider"])
    assert frame["provider_uuid"].nunique() >= 5
    b2s = frame[frame["instance_type_uuid"] == "cc6d622a-5144-11ed-84a1-1b508e278eb5"].iloc[0]
    assert (b2s["hourly_price"], b2s["monthly_price"]) == (0.0472, 33.984)
    # The seed's deliberately bad rows are reported, not planned with.
    assert {"price_factor", "missing_price"} <= set(catalogue.quality["check"])
    assert not set(catalogue.quality["instance_type_uuid"]) & set(frame["instance_type_uuid"])
    assert frame["monthly_price"].gt(0).all() and frame["vcpus"].gt(0).all()

    path = write_snapshot(catalogue, settings=catalogue_settings(tmp_path))
    loaded = load_catalogue(settings=catalogue_settings(tmp_path))
    assert path.parent == tmp_path / "snapshots" and len(loaded.frame) == len(frame)
    cheapest = filter_catalogue(loaded.frame, min_vcpus=2, sort="monthly_price").iloc[0]
    assert cheapest["monthly_price"] == frame.loc[frame["vcpus"] >= 2, "monthly_price"].min()


def catalogue_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def test_without_a_key_collect_uses_the_sandbox(tmp_path: Path) -> None:
    catalogue = collect(Settings(data_dir=tmp_path))
    assert catalogue.source.startswith("sandbox emulator at http://127.0.0.1:")
    assert len(catalogue.frame) > 0


def test_each_row_states_its_own_currency_and_provenance(tmp_path: Path) -> None:
    """The emulator's Google Cloud prices are USD (data/NOTICE): never labelled with one global EUR."""
    catalogue = collect(Settings(data_dir=tmp_path))
    frame = catalogue.frame.set_index("provider")
    assert set(frame.loc["Google Cloud Platform", "currency"]) == {"USD"}
    assert set(frame.loc["Exoscale", "currency"]) == {"EUR"}
    assert catalogue.currencies == ["EUR", "USD"] and "EUR, USD" in catalogue.summary()
    illustrative = frame.loc[["AWS", "Scaleway", "3DS Outscale"], "price_note"]
    assert illustrative.str.startswith("illustrative").all()
    assert frame.loc["Google Cloud Platform", "price_note"].isna().all()
    azure = catalogue.frame[catalogue.frame["provider"] == "Azure"].set_index("instance_type")
    assert pd.isna(azure.at["B2s", "price_note"]) and azure.drop(["B2s", "DS1 v2"])["price_note"].notna().all()
    # Negotiated prices add to the provenance, never hide it.
    discounted = collect(Settings(data_dir=tmp_path), prices={"discounts": {"AWS": 10}}).frame
    note = discounted.loc[discounted["provider"] == "AWS", "price_note"].iloc[0]
    assert note.startswith("illustrative") and "10 % off list" in note
    # Snapshots keep both.
    loaded = load_catalogue(write_snapshot(catalogue, tmp_path / "snaps"))
    assert loaded.frame["currency"].tolist() == catalogue.frame["currency"].tolist()
    assert loaded.frame["price_note"].fillna("").tolist() == catalogue.frame["price_note"].fillna("").tolist()


def test_provider_currency_from_the_config_wins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, sections={"currency": {"providers": {"azure": "chf"}}})
    frame = collect(settings).frame
    assert set(frame.loc[frame["provider"] == "Azure", "currency"]) == {"CHF"}
    assert set(frame.loc[frame["provider"] == "Google Cloud Platform", "currency"]) == {"USD"}
